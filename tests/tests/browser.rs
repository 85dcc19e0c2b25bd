//! The connection page in a real headless Chromium (Debian's chromium + chromedriver, which
//! `infra/dev` installs and starts): a person signs in through the simulated Teamleader OAuth,
//! links a department to the simulated Exact Online (consent, division, settings), opens the
//! preview, presses "Sync now" and watches the report finish without reloading by hand,
//! uploads a merge file and applies it, and — after Teamleader revoked Koppel's tokens — opens
//! the reactivation URL and signs in again to see "Up & Running". Every page is saved as a
//! screenshot at desktop and phone width in docs/screens/ (the README shows them).

use fantoccini::{Client, ClientBuilder, Locator};
use koppel_core::{AccountId, JobKind};
use koppel_e2e::stack::Stack;
use std::path::PathBuf;
use std::time::Duration;

/// How long a page may take to show what the test waits for (a run, a redirect chain).
const PATIENCE: Duration = Duration::from_secs(90);

fn webdriver_url() -> String {
    match std::env::var("KOPPEL_WEBDRIVER_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "KOPPEL_WEBDRIVER_URL is not set: run the tests with `infra/dev test` (it installs Debian's chromium and chromium-driver and starts chromedriver)"
        ),
    }
}

fn screens() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screens");
    std::fs::create_dir_all(&dir).expect("docs/screens");
    dir
}

async fn browser(profile: &std::path::Path) -> Client {
    let chromium = std::env::var("KOPPEL_CHROMIUM")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    let capabilities = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--lang=en-US", "--hide-scrollbars", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {"intl.accept_languages": "en-US,en"},
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("an object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&webdriver_url())
        .await
        .expect("a Chromium session through chromedriver")
}

/// Save the page as `name` at desktop width and at phone width.
async fn shoot(client: &Client, name: &str) {
    let dir = screens();
    client
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");
    let desktop = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}-desktop.png")), desktop).expect("saved");
    client.set_window_size(390, 844).await.expect("phone size");
    let phone = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}-phone.png")), phone).expect("saved");
    client
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");
}

/// Wait until the page shows `text` somewhere (a redirect chain, a page refreshing itself).
async fn wait_for_text(client: &Client, text: &str) {
    let xpath = format!("//*[contains(normalize-space(.), \"{text}\")]");
    if client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(&xpath))
        .await
        .is_err()
    {
        let source = client.source().await.unwrap_or_default();
        panic!("the page never showed {text:?}:\n{source}");
    }
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_onboards_syncs_merges_and_reactivates_in_chromium() {
    let stack = Stack::for_page().await;
    let (base, server) = stack
        .serve_page("the key of the browser test, at least 32 bytes")
        .await;
    let profile = std::env::temp_dir().join(format!("koppel-chromium-{}", uuid::Uuid::new_v4()));
    let client = browser(&profile).await;

    // The entry page, then the sign-in through Teamleader's (simulated) OAuth.
    client.goto(&format!("{base}/")).await.unwrap();
    wait_for_text(&client, "Sign in with Teamleader").await;
    shoot(&client, "01-entry").await;
    click(&client, "a.button.primary").await;
    wait_for_text(&client, "Departments without a connection").await;
    shoot(&client, "02-status-new-account").await;

    // Onboarding: Exact (the list offers every ledger, by name), its consent, the division,
    // the settings with their pre-flight.
    click(
        &client,
        "form.connect select[name=ledger] option[value='exact_online']",
    )
    .await;
    click(&client, "form.connect button[type=submit]").await;
    wait_for_text(&client, "Choose the administration").await;
    shoot(&client, "03-setup-administration").await;
    click(&client, "main form button[type=submit]").await;
    wait_for_text(&client, "Sales journal for invoices").await;
    shoot(&client, "04-setup-settings").await;
    click(&client, "form.settings button[type=submit]").await;
    wait_for_text(&client, "The connection is set up").await;
    shoot(&client, "05-status-connected").await;
    let account = AccountId::new(stack.account_id.clone());
    let connection = stack
        .aws
        .store
        .connections_of_account(&account)
        .await
        .unwrap()
        .remove(0);
    let id = connection.id.as_str().to_owned();

    // The preview of the first run.
    click(&client, &format!("a[href='/connections/{id}/preview']")).await;
    wait_for_text(&client, "Preview of the next sync").await;
    wait_for_text(&client, "new customer, will be created").await;
    shoot(&client, "06-preview").await;

    // "Sync now": the report page follows the run by itself until it is done.
    client.goto(&format!("{base}/teamleader")).await.unwrap();
    click(
        &client,
        &format!("form[action='/connections/{id}/sync'] button"),
    )
    .await;
    wait_for_text(&client, "Queued").await;
    shoot(&client, "07-report-queued").await;
    let export = stack.export_function(Default::default());
    stack
        .drain(JobKind::InvoiceExport, &export, Duration::from_secs(900))
        .await;
    wait_for_text(&client, "Counts").await;
    wait_for_text(&client, "exported").await;
    shoot(&client, "08-report-done").await;

    // The merge file: upload, preview, apply, unmatched rows listed.
    client.goto(&format!("{base}/teamleader")).await.unwrap();
    click(&client, "details.merge summary").await;
    let file = profile.join("segment.csv");
    std::fs::write(
        &file,
        "Name;External ID;VAT number\r\nNobody Of This Name BV;;BE0403170701\r\n",
    )
    .unwrap();
    client
        .find(Locator::Css("details.merge input[type=file]"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    click(&client, "details.merge button[type=submit]").await;
    wait_for_text(&client, "Queued").await;
    let merge = stack.merge_file_function();
    let merge_kind = JobKind::MergeFile {
        merge_id: String::new(),
        apply: false,
    };
    stack
        .drain(merge_kind.clone(), &merge, Duration::from_secs(900))
        .await;
    wait_for_text(&client, "Does the preview look right?").await;
    shoot(&client, "09-merge-preview").await;
    click(&client, "form[action$='/apply'] button").await;
    // The apply run's page is up (its job queued) before the queue is served; its "row 2"
    // comes after, when the page refreshes itself ("Queued" pages list no rows).
    wait_for_text(&client, "Queued").await;
    stack
        .drain(merge_kind, &merge, Duration::from_secs(900))
        .await;
    wait_for_text(&client, "row 2").await;
    shoot(&client, "10-merge-applied").await;

    // Teamleader stops accepting Koppel's tokens; the reactivation URL without a session.
    stack.teamleader.revoke_tokens(&stack.account_id);
    stack
        .teamleader
        .expire_access_tokens(Some(&stack.account_id));
    client.delete_all_cookies().await.unwrap();
    client
        .goto(&format!("{base}/teamleader?c={id}"))
        .await
        .unwrap();
    wait_for_text(&client, "Sign in to reactivate your connection").await;
    shoot(&client, "11-reactivate").await;
    click(&client, "a.button.primary").await;
    wait_for_text(&client, "Your connections").await;
    client
        .goto(&format!("{base}/teamleader?c={id}"))
        .await
        .unwrap();
    wait_for_text(&client, "Your connections").await;
    client.delete_all_cookies().await.unwrap();
    client
        .goto(&format!("{base}/teamleader?c={id}"))
        .await
        .unwrap();
    wait_for_text(&client, "Your connection works").await;
    shoot(&client, "12-up-and-running").await;

    client.close().await.unwrap();
    server.abort();
    let _ = std::fs::remove_dir_all(&profile);
}
