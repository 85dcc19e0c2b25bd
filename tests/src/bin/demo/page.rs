//! The connection page on this machine: served on 127.0.0.1 with the stack's state, signed
//! into through the simulated Teamleader's OAuth the way a browser would (redirects followed
//! by hand, the session cookie kept), then the reactivation: Teamleader revokes Koppel's
//! tokens, the reactivation URL says "sign in", a sign-in restores "Up & Running". Then the
//! URL is printed; in a terminal (and not in CI) the page stays up until Enter, with the
//! export and import queues served, so a person can sign in, press "Sync now" and watch.

use crate::{Checks, show};
use koppel_connect::AppSecret;
use koppel_core::jobs::setup::suggest_settings;
use koppel_core::{AccountId, Clock, Connector, JobKind, SystemClock};
use koppel_e2e::browser::Browser;
use koppel_e2e::stack::Stack;
use koppel_sim::teamleader::{self, GenerateSpec, Login};
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

    onboard_a_new_account(checks, stack, &base).await;

    println!("  the page: {base}/teamleader");
    let interactive = std::io::stdin().is_terminal()
        && std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false");
    if interactive {
        println!(
            "  open it in a browser: \"Aanmelden met Teamleader\" signs in as the new account's user"
        );
        println!(
            "  (its second department is still to link: \"Koppelen\"); the demo account's own connections"
        );
        println!("  are what the checks above signed into.");
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

/// A Teamleader account that has never used Koppel signs in and links its first department
/// to Exact through the page, as a person would: the ledger's consent, the division, the
/// settings form (the suggested journals, VAT codes and revenue account), the pre-flight.
/// The sign-in stays on this account, so a person trying the page next finds its second
/// department waiting.
async fn onboard_a_new_account(checks: &mut Checks, stack: &Stack, base: &str) {
    let spec = GenerateSpec {
        seed: 808,
        departments: 2,
        ..GenerateSpec::companies_only(808, 6)
    };
    let Ok(account) = stack.teamleader.generate(&spec) else {
        checks.expect(false, || {
            "the new demo account could not be generated".to_owned()
        });
        return;
    };
    stack.teamleader.set_login(Login::Approve {
        account_id: account.clone(),
        user_id: None,
    });
    let mut person = Browser::new(base);
    let result = async {
        let (_, page) = person.open("/teamleader").await?;
        let csrf = Browser::csrf(&page).ok_or("no form on the status page")?;
        let department = stack
            .teamleader
            .with_account(&account, |a| a.departments[0].id.clone())
            .ok_or("no department")?;
        let (_, page) = person
            .post(
                "/onboarding",
                &[
                    ("csrf", &csrf),
                    ("department", &department),
                    ("ledger", "exact_online"),
                ],
            )
            .await?;
        let division = Browser::options(&page, "administration")
            .into_iter()
            .next()
            .ok_or_else(|| format!("no division offered: {page}"))?;
        let draft = stack
            .aws
            .store
            .connections_of_account(&AccountId::new(account.clone()))
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or("no draft connection")?;
        person
            .post(
                &format!("/connections/{}/administration", draft.id.as_str()),
                &[("csrf", &csrf), ("administration", &division)],
            )
            .await?;
        let mut chosen = draft.clone();
        chosen.ledger_company = division.clone();
        chosen.status = koppel_core::ConnectionStatus::Active;
        let deadline = koppel_core::Deadline::none();
        let connector: &dyn Connector = stack.connector.as_ref();
        let reference = connector
            .ledger(&chosen, deadline)
            .await
            .map_err(|e| e.to_string())?
            .reference_data()
            .await
            .map_err(|e| e.to_string())?;
        let rates = connector
            .source(&chosen, deadline)
            .await
            .map_err(|e| e.to_string())?
            .tax_rates()
            .await
            .map_err(|e| e.to_string())?;
        let suggested = suggest_settings(&chosen.department_id, &rates, &reference);
        let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
        let mut put = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                form.push((name.to_owned(), value));
            }
        };
        put("invoice_journal", suggested.invoice_journal.clone());
        put("credit_note_journal", suggested.credit_note_journal.clone());
        put("default_gl_account", suggested.default_gl_account.clone());
        put(
            "start_date",
            Some(format!("{}-01-01", chrono::Utc::now().format("%Y"))),
        );
        for (rate, code) in &suggested.vat_codes {
            form.push((format!("vat.{}", rate.as_str()), code.clone()));
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (_, page) = person
            .post(&format!("/connections/{}/setup", draft.id.as_str()), &pairs)
            .await?;
        Ok::<_, String>((division, page.contains("De koppeling is ingesteld")))
    }
    .await;
    match result {
        Ok((division, true)) => println!(
            "  a new Teamleader account signed in and linked its first department to Exact division {division} on the page (consent, division, settings, pre-flight)"
        ),
        other => checks.expect(false, || {
            format!("onboarding a new account on the page failed: {other:?}")
        }),
    }
}
