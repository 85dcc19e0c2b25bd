//! The connection page on this machine: served on 127.0.0.1 with the stack's state, signed
//! into through the simulated Teamleader's OAuth the way a browser would (redirects followed
//! by hand, the session cookie kept), then the reactivation: Teamleader revokes Koppel's
//! tokens, the reactivation URL says "sign in", a sign-in restores "Up & Running". Then the
//! URL is printed; in a terminal (and not in CI) the page stays up until Enter, with the
//! export and import queues served, so a person can sign in, press "Sync now" and watch.

use crate::{Checks, show};
use koppel_connect::AppSecret;
use koppel_core::{AccountId, Clock, JobKind, SystemClock};
use koppel_e2e::browser::Browser;
use koppel_e2e::stack::Stack;
use koppel_sim::teamleader::{self, Login};
use reactivation_page::signing::SigningKey;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// Serve the page, sign in, show the reactivation, print the URL (and wait in a terminal).
pub async fn serve(checks: &mut Checks, stack: &Stack) {
    show::title("The connection page (the reactivation URL), served on this machine");
    let resources = koppel_aws::Resources::from_env().expect("infra/dev wrote the environment");
    let app = match AppSecret::load(stack.aws.vault.as_ref(), &resources.app_secret).await {
        Ok(app) => app,
        Err(error) => {
            checks.expect(false, || {
                format!("the app secret in moto is unusable: {error}")
            });
            return;
        }
    };
    checks.expect(app.teamleader.client_id == teamleader::DEFAULT_CLIENT_ID, || {
        format!(
            "the app secret's Teamleader client id {:?} is not the simulator's: sign-in would be refused",
            app.teamleader.client_id
        )
    });
    let Some(key) = app.session_key.as_deref().and_then(SigningKey::new) else {
        checks.expect(false, || {
            "the app secret has no usable session_key".to_owned()
        });
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port on 127.0.0.1");
    let address = listener.local_addr().expect("bound address");
    let base = format!("http://{address}");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let router = stack
        .reactivation_page(base.parse().expect("URL"), key, clock)
        .router();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    stack.teamleader.set_login(Login::Approve {
        account_id: stack.account_id.clone(),
        user_id: None,
    });
    let connections = stack
        .aws
        .store
        .connections_of_account(&AccountId::new(stack.account_id.clone()))
        .await
        .unwrap_or_default();

    let mut browser = Browser::new(&base);
    match browser.open("/teamleader").await {
        Ok((200, page)) => {
            let all_listed = connections
                .iter()
                .all(|c| page.contains(&format!("/connections/{}/sync", c.id.as_str())));
            println!(
                "  signed in through the simulated Teamleader OAuth: {} connection(s) on the status page{}",
                connections.len(),
                if page.contains("Up &amp; Running") {
                    ", \"Up & Running\""
                } else {
                    ""
                }
            );
            checks.expect(all_listed, || {
                "the status page does not list every connection of the account".to_owned()
            });
        }
        other => checks.expect(false, || {
            format!("sign-in did not reach the status page: {other:?}")
        }),
    }

    // The reactivation: Teamleader stops accepting Koppel's tokens.
    if let Some(first) = connections.first() {
        stack.teamleader.revoke_tokens(&stack.account_id);
        stack
            .teamleader
            .expire_access_tokens(Some(&stack.account_id));
        let mut anonymous = Browser::new(&base);
        let link = format!("/teamleader?c={}", first.id.as_str());
        let before = anonymous.open(&link).await;
        let asks_sign_in = matches!(&before, Ok((200, page)) if page.contains("Meld je aan om je koppeling opnieuw te activeren"));
        println!(
            "  Teamleader revoked Koppel's tokens; {link} answers: {}",
            if asks_sign_in {
                "\"sign in to reactivate\""
            } else {
                "something else"
            }
        );
        checks.expect(asks_sign_in, || {
            format!("after the revocation {link} did not ask to sign in: {before:?}")
        });
        let signed_in = anonymous.open("/teamleader").await;
        let after = Browser::new(&base).open(&link).await;
        let up = matches!(&after, Ok((200, page)) if page.contains("Up &amp; Running"));
        println!(
            "  after one sign-in on the page, {link} answers: {}",
            if up {
                "\"Up & Running\""
            } else {
                "something else"
            }
        );
        checks.expect(matches!(signed_in, Ok((200, _))) && up, || {
            format!("signing in again did not restore the link: {signed_in:?} / {after:?}")
        });
    }

    println!("  the page: {base}/teamleader");
    let interactive = std::io::stdin().is_terminal()
        && std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false");
    if interactive {
        println!(
            "  open it in a browser (\"Aanmelden met Teamleader\" signs in as the demo account's user);"
        );
        println!(
            "  \"Sync now\" and \"Import companies\" run here while the page is up. Press Enter to stop."
        );
        let enter = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        });
        tokio::pin!(enter);
        let export = stack.export_function(Default::default());
        let import = stack.company_import_function();
        loop {
            tokio::select! {
                _ = &mut enter => break,
                _ = tokio::time::sleep(Duration::from_secs(2)) => {
                    stack.drain(JobKind::InvoiceExport, &export, Duration::from_secs(900)).await;
                    stack.drain(JobKind::CompanyImport, &import, Duration::from_secs(900)).await;
                }
            }
        }
    } else {
        println!("  (not a terminal, or CI: the page stops with the demo)");
    }
    server.abort();
}
