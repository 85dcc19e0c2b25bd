//! The connection page end to end over HTTP on 127.0.0.1, against the Teamleader and Exact
//! simulators: a person signs in, links a department to an Exact division (Exact's OAuth, the
//! division, the settings form with its pre-flight), asks for the company import, presses
//! "Sync now", sees the report, turns on automatic sync (offered only after that good manual
//! sync), signs in to Exact again; and the tokens of both simulators never appear in a page.

use koppel_core::jobs::setup::suggest_settings;
use koppel_core::{AccountId, ConnectionStatus, Connector, Deadline, JobKind, RunStatus};
use koppel_e2e::browser::Browser;
use koppel_e2e::stack::Stack;
use std::sync::Arc;
use std::time::Duration;

/// Every log line of the test, as Lambda would write them (JSON), at every level.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Capture every log line of this test's thread (its tokio runtime is single-threaded).
    /// Every test of this file captures: with subscribers set per thread, a test thread
    /// without one could leave a log call site disabled for the others (tracing caches a
    /// call site's interest), and a log line a test asserts would go missing.
    fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// The test's tokio runtime is single-threaded, so the subscriber set for its thread sees
/// everything: the page, the jobs, the clients.
#[tokio::test]
async fn a_person_links_a_department_to_exact_syncs_and_turns_on_automatic_sync() {
    let (logs, _capture) = Logs::capture();
    let stack = Stack::for_page().await;
    let (base, server) = stack
        .serve_page("the key of the connection page test, 32+ bytes")
        .await;
    let mut browser = Browser::new(&base);
    let (status, page) = browser.open("/teamleader").await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Departementen zonder koppeling"), "{page}");
    let department = stack.departments()[0].clone();
    let csrf = Browser::csrf(&page).unwrap();

    // Link the first department to Exact: Exact's consent, back on the division choice.
    let (status, page) = browser
        .post(
            "/onboarding",
            &[
                ("csrf", &csrf),
                ("department", department.as_str()),
                ("ledger", "exact_online"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Kies de administratie"), "{page}");
    let divisions = Browser::options(&page, "administration");
    assert!(divisions.len() >= 2, "{divisions:?}");
    let account = AccountId::new(stack.account_id.clone());
    let drafts = stack
        .aws
        .store
        .connections_of_account(&account)
        .await
        .unwrap();
    assert_eq!(drafts.len(), 1);
    let draft = drafts[0].clone();
    assert_eq!(draft.status, ConnectionStatus::Draft);
    assert!(
        stack
            .aws
            .vault
            .read(&draft.ledger_secret)
            .await
            .unwrap()
            .is_some(),
        "Exact's tokens kept"
    );
    assert!(
        stack
            .aws
            .store
            .active_connections()
            .await
            .unwrap()
            .is_empty(),
        "a draft never runs"
    );

    // A division this user cannot reach is refused; then the real one.
    let form_path = format!("/connections/{}/administration", draft.id.as_str());
    let (status, _) = browser
        .post(&form_path, &[("csrf", &csrf), ("administration", "999999")])
        .await
        .unwrap();
    assert_eq!(status, 404);
    let (status, page) = browser
        .post(
            &form_path,
            &[("csrf", &csrf), ("administration", &divisions[0])],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Verkoopdagboek voor facturen"), "{page}");
    assert!(
        page.contains("Opgelet: importeer je ook bankafschriften"),
        "the payment-journal warning"
    );

    // The suggested settings, as the form shows them.
    let chosen = stack
        .aws
        .store
        .connection(&draft.id)
        .await
        .unwrap()
        .unwrap();
    let mut usable = chosen.clone();
    usable.status = ConnectionStatus::Active;
    let ledger = stack
        .connector
        .ledger(&usable, Deadline::none())
        .await
        .unwrap();
    let reference = ledger.reference_data().await.unwrap();
    let rates = stack
        .connector
        .source(&usable, Deadline::none())
        .await
        .unwrap()
        .tax_rates()
        .await
        .unwrap();
    let suggested = suggest_settings(&chosen.department_id, &rates, &reference);
    let invoice = suggested.invoice_journal.clone().expect("a sales journal");
    let sales = Browser::options(&page, "invoice_journal");
    assert!(sales.contains(&invoice), "{sales:?}");
    for code in &sales {
        let journal = reference.journals.iter().find(|j| &j.code == code).unwrap();
        assert!(
            matches!(
                journal.kind,
                koppel_core::JournalKind::Sales | koppel_core::JournalKind::SalesReturns
            ),
            "only sales journals offered: {code}"
        );
    }
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("invoice_journal".into(), invoice.clone()),
        (
            "default_gl_account".into(),
            suggested.default_gl_account.clone().unwrap(),
        ),
        ("start_date".into(), "2026-01-01".into()),
        ("import_companies".into(), "on".into()),
        ("private_without_numbers".into(), "on".into()),
        ("automatic_sync".into(), "on".into()),
    ];
    assert!(
        page.contains("name=\"private_without_numbers\""),
        "the user can say customers without numbers are private persons: {page}"
    );
    for (rate, code) in &suggested.vat_codes {
        fields.push((format!("vat.{}", rate.as_str()), code.clone()));
    }
    // The same journal twice: the pre-flight refuses, nothing is saved.
    let mut same = fields.clone();
    same.push(("credit_note_journal".into(), invoice.clone()));
    let same_refs = pairs(&same);
    let setup_path = format!("/connections/{}/setup", draft.id.as_str());
    let (status, page) = browser.post(&setup_path, &same_refs).await.unwrap();
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Dit moet eerst in orde komen"), "{page}");
    assert!(
        page.contains("Facturen en creditnota&#39;s gaan naar hetzelfde dagboek")
            || page.contains("Facturen en creditnota's gaan naar hetzelfde dagboek"),
        "the blocker in the visitor's language: {page}"
    );
    let kept = stack
        .aws
        .store
        .connection(&draft.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.status, ConnectionStatus::Draft, "nothing saved");

    let credit = suggested
        .credit_note_journal
        .clone()
        .expect("a second sales journal");
    fields.push(("credit_note_journal".into(), credit));
    let good = pairs(&fields);
    let (status, page) = browser.post(&setup_path, &good).await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("De koppeling is ingesteld"), "{page}");
    let saved = stack
        .aws
        .store
        .connection(&draft.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.status, ConnectionStatus::Active);
    assert!(saved.settings.private_customers_without_numbers);
    assert!(
        !saved.settings.automatic_sync,
        "only after a good manual sync"
    );
    assert!(page.contains("Automatische synchronisatie kan aan na een geslaagde synchronisatie"));

    // The preview: what the first run would post, with the real mapping; nothing posted.
    let division: i32 = divisions[0].parse().unwrap();
    let before = stack.exact.entries(division).len();
    let (status, page) = browser
        .open(&format!("/connections/{}/preview", draft.id.as_str()))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Voorbeeld van de volgende synchronisatie"),
        "{page}"
    );
    assert!(page.contains("factuur"), "documents listed: {page}");
    assert!(
        page.contains(&invoice),
        "the invoice journal {invoice}: {page}"
    );
    assert!(page.contains("nieuwe klant, wordt aangemaakt"), "{page}");
    assert_eq!(
        stack.exact.entries(division).len(),
        before,
        "the preview posts nothing"
    );

    // The import asked for, then "Sync now" and its report.
    let import = stack.company_import_function();
    let imported = stack
        .drain(JobKind::CompanyImport, &import, Duration::from_secs(900))
        .await;
    assert_eq!(imported.messages, 1, "the company import was queued once");
    // Exact's seeded Jan Peeters has no VAT number, KBO number or legal form: on the user's
    // word, a private person, imported as a contact.
    let contacts = stack.teamleader_contacts();
    assert!(
        contacts
            .values()
            .any(|c| c.last_name == "Jan Peeters"
                && c.tags == vec!["Exact Online Import".to_owned()]),
        "{contacts:#?}"
    );
    let (status, page) = browser
        .post(
            &format!("/connections/{}/sync", draft.id.as_str()),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("In de wachtrij") && page.contains("http-equiv=\"refresh\""),
        "{page}"
    );
    let export = stack.export_function(Default::default());
    stack
        .drain(JobKind::InvoiceExport, &export, Duration::from_secs(900))
        .await;
    let runs = stack.aws.store.run_reports(&draft.id, 5).await.unwrap();
    let export_run = runs
        .iter()
        .find(|r| r.job == "invoice-export")
        .expect("an export report");
    assert!(matches!(
        export_run.status,
        RunStatus::Succeeded | RunStatus::CompletedWithIssues
    ));
    let (_, page) = browser
        .open(&format!(
            "/connections/{}/runs/{}",
            draft.id.as_str(),
            export_run.run_id.as_str()
        ))
        .await
        .unwrap();
    assert!(page.contains("overgezet"), "counts in Dutch: {page}");
    assert!(!page.contains("http-equiv=\"refresh\""));

    // Now automatic sync is offered, and turned on.
    let (_, page) = browser.open("/teamleader").await.unwrap();
    assert!(
        page.contains("Automatische synchronisatie aanzetten"),
        "{page}"
    );
    let (_, page) = browser
        .post(
            &format!("/connections/{}/automatic-on", draft.id.as_str()),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert!(
        page.contains("Automatische synchronisatie staat aan"),
        "{page}"
    );
    let on = stack
        .aws
        .store
        .connection(&draft.id)
        .await
        .unwrap()
        .unwrap();
    assert!(on.settings.automatic_sync);

    // Signing in to Exact again (the "Reconnect" button) comes back to the status page.
    let (status, page) = browser
        .post(
            &format!("/connections/{}/reconnect", draft.id.as_str()),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("Aangemeld bij het boekhoudpakket"), "{page}");

    // The hourly payment poll too, so its log lines are scanned as well.
    let poll = stack.payment_poll_function();
    stack
        .dispatch_at("payment-poll", "2026-11-30T10:00:00Z")
        .await;
    stack
        .drain(JobKind::PaymentPoll, &poll, Duration::from_secs(900))
        .await;

    // No token of either simulator, and no app secret, in any page, URL, header or log line.
    let mut secrets = stack.teamleader.issued_tokens();
    secrets.extend(stack.exact.issued_tokens());
    assert!(secrets.len() >= 6, "tokens were issued: {}", secrets.len());
    secrets.push(koppel_sim::teamleader::DEFAULT_CLIENT_SECRET.to_owned());
    secrets.push(koppel_sim::exact::DEFAULT_CLIENT_SECRET.to_owned());
    let log_text = logs.text();
    for line in [
        "Teamleader sign-in stored",
        "connection settings saved",
        "run started by hand",
    ] {
        assert!(
            log_text.contains(line),
            "the log line {line:?} was captured"
        );
    }
    assert!(!browser.transcript.is_empty());
    for secret in &secrets {
        assert!(
            !browser.transcript.contains(secret.as_str()),
            "a secret in a page, URL or header"
        );
        assert!(!log_text.contains(secret.as_str()), "a secret in the logs");
    }
    server.abort();
}

/// A form's fields as the browser takes them.
fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

/// Octopus asks a user name and password instead of a redirect: a wrong password is said on
/// the same form, the right one leads to the dossier choice, the form offers only the
/// "Verkoop Boekingen" journals, and "Sync now" books into the dossier. The password never
/// appears in a page or a log line.
#[tokio::test]
async fn a_person_links_a_department_to_octopus_with_user_name_and_password() {
    use koppel_sim::octopus::seed;
    let (logs, _capture) = Logs::capture();
    let stack = Stack::for_page().await;
    let (base, server) = stack
        .serve_page("the key of the Octopus page test, 32 bytes or more")
        .await;
    let mut browser = Browser::new(&base);
    let (_, page) = browser.open("/teamleader").await.unwrap();
    let department = stack.departments()[0].clone();
    let csrf = Browser::csrf(&page).unwrap();

    let (status, page) = browser
        .post(
            "/onboarding",
            &[
                ("csrf", &csrf),
                ("department", department.as_str()),
                ("ledger", "octopus"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Octopus-gebruikersnaam"), "{page}");
    assert!(page.contains("type=\"password\""), "{page}");
    let account = AccountId::new(stack.account_id.clone());
    let draft = stack
        .aws
        .store
        .connections_of_account(&account)
        .await
        .unwrap()
        .remove(0);
    let credentials_path = format!("/connections/{}/credentials", draft.id.as_str());

    // A wrong password: the same form again, saying so; nothing kept.
    let (status, page) = browser
        .post(
            &credentials_path,
            &[
                ("csrf", &csrf),
                ("user", seed::DEMO_USER),
                ("password", "not the password"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("aanvaardde de aanmelding niet"), "{page}");
    assert!(
        page.contains("Octopus-gebruikersnaam"),
        "the form again: {page}"
    );
    assert!(
        stack
            .aws
            .vault
            .read(&draft.ledger_secret)
            .await
            .unwrap()
            .is_none(),
        "a refused sign-in is not kept"
    );

    // The right one: the dossier choice.
    let (status, page) = browser
        .post(
            &credentials_path,
            &[
                ("csrf", &csrf),
                ("user", seed::DEMO_USER),
                ("password", seed::DEMO_PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("dossier"), "{page}");
    let dossiers = Browser::options(&page, "administration");
    assert_eq!(dossiers, vec![seed::DEMO_DOSSIER_ID.to_string()]);
    let (status, page) = browser
        .post(
            &format!("/connections/{}/administration", draft.id.as_str()),
            &[("csrf", &csrf), ("administration", &dossiers[0])],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        Browser::options(&page, "invoice_journal"),
        vec!["V1".to_owned(), "V2".to_owned()],
        "only the Verkoop Boekingen journals are offered"
    );
    assert!(
        !page.contains("name=\"discount_gl_account\""),
        "Octopus takes no discount account"
    );
    assert!(
        page.contains("gaan niet naar dit boekhoudpakket")
            && !page.contains("name=\"payment_journal\""),
        "payments from Teamleader are not offered for Octopus, and the page says so: {page}"
    );

    let fields = settings_form(&stack, &draft.id, &csrf, "V1", "V2").await;
    let (status, page) = browser
        .post(
            &format!("/connections/{}/setup", draft.id.as_str()),
            &pairs(&fields),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("De koppeling is ingesteld"), "{page}");

    // The preview: what the first run would book in V1, nothing booked.
    let (status, page) = browser
        .open(&format!("/connections/{}/preview", draft.id.as_str()))
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("V1"), "{page}");
    assert!(stack.octopus.bookings(seed::DEMO_DOSSIER_ID).is_empty());

    let (status, _) = browser
        .post(
            &format!("/connections/{}/sync", draft.id.as_str()),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    stack
        .drain(
            JobKind::InvoiceExport,
            &stack.export_function(Default::default()),
            Duration::from_secs(900),
        )
        .await;
    let run = stack.aws.store.run_reports(&draft.id, 5).await.unwrap();
    let export = run.iter().find(|r| r.job == "invoice-export").unwrap();
    assert_eq!(export.status, RunStatus::Succeeded, "{export:#?}");
    assert_eq!(
        stack.octopus.bookings(seed::DEMO_DOSSIER_ID).len(),
        export.export_counts().exported as usize
    );
    assert!(export.export_counts().exported > 0);

    let (_, page) = browser.open("/teamleader").await.unwrap();
    assert!(!page.contains(seed::DEMO_PASSWORD), "{page}");
    assert!(
        !logs.text().contains(seed::DEMO_PASSWORD),
        "the password is never logged"
    );
    server.abort();
}

/// A page session of a stack's account, at the start of onboarding: the page served with
/// `key`, the person signed in, `ledger` chosen for the first department (its sign-in
/// followed); the administration page, the csrf token and the draft connection.
struct Onboarding {
    stack: Stack,
    browser: Browser,
    server: tokio::task::JoinHandle<()>,
    csrf: String,
    draft: koppel_core::Connection,
    administrations: Vec<String>,
}

impl Onboarding {
    async fn start(key: &str, ledger: &str) -> Self {
        let stack = Stack::for_page().await;
        let (base, server) = stack.serve_page(key).await;
        let mut browser = Browser::new(&base);
        let (_, page) = browser.open("/teamleader").await.unwrap();
        let department = stack.departments()[0].clone();
        let csrf = Browser::csrf(&page).unwrap();
        let (status, page) = browser
            .post(
                "/onboarding",
                &[
                    ("csrf", &csrf),
                    ("department", department.as_str()),
                    ("ledger", ledger),
                ],
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "{page}");
        let administrations = Browser::options(&page, "administration");
        let account = AccountId::new(stack.account_id.clone());
        let draft = stack
            .aws
            .store
            .connections_of_account(&account)
            .await
            .unwrap()
            .remove(0);
        Self {
            stack,
            browser,
            server,
            csrf,
            draft,
            administrations,
        }
    }

    /// Choose `administration`: the settings page.
    async fn choose(&mut self, administration: &str) -> String {
        let (status, page) = self
            .browser
            .post(
                &format!("/connections/{}/administration", self.draft.id.as_str()),
                &[("csrf", &self.csrf), ("administration", administration)],
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "{page}");
        page
    }
}

/// Twinfield signs in through OpenID Connect (a redirect, a nonce): back on the office choice,
/// the form offers the sales transaction type for invoices and credit notes alike, no PDF and
/// no payment journal, and "Sync now" books sales transactions.
#[tokio::test]
async fn a_person_links_a_department_to_twinfield_through_openid_connect() {
    use koppel_sim::twinfield;
    let (logs, _capture) = Logs::capture();
    let mut onboarding = Onboarding::start(
        "the key of the Twinfield page test, 32 bytes or more",
        "twinfield",
    )
    .await;
    let offices = &onboarding.administrations;
    assert!(
        offices.contains(&twinfield::OFFICE_BE.to_owned())
            && offices.contains(&twinfield::OFFICE_NL.to_owned()),
        "the organisation's offices: {offices:?}"
    );
    let page = onboarding.choose(twinfield::OFFICE_BE).await;
    let Onboarding {
        stack,
        mut browser,
        server,
        csrf,
        draft,
        ..
    } = onboarding;
    assert_eq!(
        Browser::options(&page, "invoice_journal"),
        vec!["VRK".to_owned()],
        "only the sales transaction type"
    );
    assert!(
        !page.contains("name=\"attach_pdf\""),
        "no PDF for Twinfield"
    );
    assert!(!page.contains("name=\"payment_journal\""));

    let fields = settings_form(&stack, &draft.id, &csrf, "VRK", "VRK").await;
    let (status, page) = browser
        .post(
            &format!("/connections/{}/setup", draft.id.as_str()),
            &pairs(&fields),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("De koppeling is ingesteld"), "{page}");
    let (status, _) = browser
        .post(
            &format!("/connections/{}/sync", draft.id.as_str()),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    stack
        .drain(
            JobKind::InvoiceExport,
            &stack.export_function(Default::default()),
            Duration::from_secs(900),
        )
        .await;
    let runs = stack.aws.store.run_reports(&draft.id, 5).await.unwrap();
    let export = runs.iter().find(|r| r.job == "invoice-export").unwrap();
    assert_eq!(export.status, RunStatus::Succeeded, "{export:#?}");
    assert_eq!(
        stack.twinfield.transactions(twinfield::OFFICE_BE).len(),
        export.export_counts().exported as usize
    );
    assert!(
        !logs.text().contains(twinfield::DEFAULT_CLIENT_SECRET),
        "a secret in the logs"
    );
    server.abort();
}

/// The settings form as a person fills it for `draft`: the csrf token, these journals, the
/// default revenue account and VAT codes Koppel suggests from both sides' lists, a start date.
async fn settings_form(
    stack: &Stack,
    draft: &koppel_core::ConnectionId,
    csrf: &str,
    invoice_journal: &str,
    credit_note_journal: &str,
) -> Vec<(String, String)> {
    let mut usable = stack.aws.store.connection(draft).await.unwrap().unwrap();
    usable.status = ConnectionStatus::Active;
    let reference = stack
        .connector
        .ledger(&usable, Deadline::none())
        .await
        .unwrap()
        .reference_data()
        .await
        .unwrap();
    let rates = stack
        .connector
        .source(&usable, Deadline::none())
        .await
        .unwrap()
        .tax_rates()
        .await
        .unwrap();
    let suggested = suggest_settings(&usable.department_id, &rates, &reference);
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.to_owned()),
        ("invoice_journal".into(), invoice_journal.into()),
        ("credit_note_journal".into(), credit_note_journal.into()),
        (
            "default_gl_account".into(),
            suggested.default_gl_account.clone().unwrap(),
        ),
        ("start_date".into(), "2026-01-01".into()),
    ];
    for (rate, code) in &suggested.vat_codes {
        fields.push((format!("vat.{}", rate.as_str()), code.clone()));
    }
    fields
}

/// Clearfacts signs in through OpenID Connect and offers its companies; the form asks only
/// the start date (no journals, accounts or VAT codes: the file is the document), and the
/// company import and merge files are not offered (Clearfacts keeps no customers). "Sync now"
/// uploads each document once.
#[tokio::test]
async fn a_person_links_a_department_to_a_clearfacts_company_which_takes_documents_only() {
    use koppel_sim::clearfacts;
    let (logs, _capture) = Logs::capture();
    let mut onboarding = Onboarding::start(
        "the key of the Clearfacts page test, 32 bytes or more",
        "clearfacts",
    )
    .await;
    let companies = &onboarding.administrations;
    assert!(
        companies.contains(&clearfacts::ADMINISTRATION_DEMO.to_owned())
            && companies.contains(&clearfacts::ADMINISTRATION_SERVICES.to_owned()),
        "the user's companies: {companies:?}"
    );
    let page = onboarding.choose(clearfacts::ADMINISTRATION_DEMO).await;
    let Onboarding {
        stack,
        mut browser,
        server,
        csrf,
        draft,
        ..
    } = onboarding;
    for absent in [
        "name=\"invoice_journal\"",
        "name=\"default_gl_account\"",
        "name=\"attach_pdf\"",
        "name=\"payment_journal\"",
        "name=\"import_companies\"",
    ] {
        assert!(!page.contains(absent), "{absent} is not asked: {page}");
    }
    assert!(page.contains("name=\"start_date\""), "{page}");
    let (status, page) = browser
        .post(
            &format!("/connections/{}/setup", draft.id.as_str()),
            &[("csrf", csrf.as_str()), ("start_date", "2026-01-01")],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("De koppeling is ingesteld"), "{page}");
    assert!(
        !page.contains(&format!("/connections/{}/import", draft.id.as_str()))
            && !page.contains(&format!("/connections/{}/merge", draft.id.as_str())),
        "no company import or merge file for Clearfacts: {page}"
    );
    let (status, _) = browser
        .post(
            &format!("/connections/{}/import", draft.id.as_str()),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert_eq!(status, 404, "the import is refused for Clearfacts");
    let (status, _) = browser
        .post(
            &format!("/connections/{}/sync", draft.id.as_str()),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    stack
        .drain(
            JobKind::InvoiceExport,
            &stack.export_function(Default::default()),
            Duration::from_secs(900),
        )
        .await;
    let runs = stack.aws.store.run_reports(&draft.id, 5).await.unwrap();
    let export = runs.iter().find(|r| r.job == "invoice-export").unwrap();
    assert!(
        matches!(
            export.status,
            RunStatus::Succeeded | RunStatus::CompletedWithIssues
        ),
        "{export:#?}"
    );
    assert!(export.export_counts().exported > 0, "{export:#?}");
    assert_eq!(
        stack.clearfacts.uploads().len(),
        export.export_counts().exported as usize
    );
    assert!(
        !logs.text().contains(clearfacts::DEFAULT_CLIENT_SECRET),
        "a secret in the logs"
    );
    server.abort();
}
