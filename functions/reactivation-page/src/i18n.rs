//! The page's languages and every text it shows, in Dutch, French and English. One struct
//! per language with a field per text: a text missing in one language does not compile.

use serde::{Deserialize, Serialize};

/// Languages of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Dutch.
    Nl,
    /// French.
    Fr,
    /// English.
    En,
}

impl Language {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Language; 3] = [Language::Nl, Language::Fr, Language::En];

    /// The first supported language of an `Accept-Language` header (English by default).
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let header = accept_language.unwrap_or_default().to_ascii_lowercase();
        for part in header.split(',') {
            let tag = part.split(';').next().unwrap_or_default().trim();
            if let Some(language) = tag.get(..2).and_then(Self::from_code) {
                return language;
            }
        }
        Self::En
    }

    /// "nl", "fr" or "en".
    pub fn code(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    /// The language of a two-letter code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "nl" => Some(Self::Nl),
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// Its name in itself, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Self::Nl => "Nederlands",
            Self::Fr => "Français",
            Self::En => "English",
        }
    }

    /// The label of a run count (the counts' field names), in this language; an unknown
    /// one (a newer job's) is shown as its name.
    pub fn count_label(self, name: &str) -> String {
        let label = match (name, self) {
            ("already_exported", Self::Nl) => "al overgezet",
            ("already_exported", Self::Fr) => "déjà transférés",
            ("already_exported", Self::En) => "already exported",
            ("already_linked", Self::Nl) => "al gekoppeld",
            ("already_linked", Self::Fr) => "déjà liées",
            ("already_linked", Self::En) => "already linked",
            ("already_paid", Self::Nl) => "al betaald",
            ("already_paid", Self::Fr) => "déjà payées",
            ("already_paid", Self::En) => "already paid",
            ("ambiguous", Self::Nl) => "dubbelzinnig",
            ("ambiguous", Self::Fr) => "ambiguës",
            ("ambiguous", Self::En) => "ambiguous",
            ("changed_after_export", Self::Nl) => "gewijzigd na overzetten",
            ("changed_after_export", Self::Fr) => "modifiés après transfert",
            ("changed_after_export", Self::En) => "changed after export",
            ("checked", Self::Nl) => "nagekeken",
            ("checked", Self::Fr) => "vérifiés",
            ("checked", Self::En) => "checked",
            ("conflicts", Self::Nl) => "conflicten",
            ("conflicts", Self::Fr) => "conflits",
            ("conflicts", Self::En) => "conflicts",
            ("created", Self::Nl) => "aangemaakt",
            ("created", Self::Fr) => "créées",
            ("created", Self::En) => "created",
            ("contacts_created", Self::Nl) => "contactpersonen aangemaakt",
            ("contacts_created", Self::Fr) => "contacts créés",
            ("contacts_created", Self::En) => "contacts created",
            ("credit_notes_settled", Self::Nl) => "creditnota's vereffend",
            ("credit_notes_settled", Self::Fr) => "notes de crédit soldées",
            ("credit_notes_settled", Self::En) => "credit notes settled",
            ("customer_numbers_written", Self::Nl) => "klantnummers ingevuld",
            ("customer_numbers_written", Self::Fr) => "numéros de client inscrits",
            ("customer_numbers_written", Self::En) => "customer numbers written",
            ("maybe_sent_twice", Self::Nl) => "mogelijk twee keer verstuurd",
            ("maybe_sent_twice", Self::Fr) => "peut-être envoyés deux fois",
            ("maybe_sent_twice", Self::En) => "may have been sent twice",
            ("sent_as_pdf", Self::Nl) => "als PDF verstuurd",
            ("sent_as_pdf", Self::Fr) => "envoyés en PDF",
            ("sent_as_pdf", Self::En) => "sent as PDF",
            ("sent_structured", Self::Nl) => "als Peppol BIS 3 verstuurd",
            ("sent_structured", Self::Fr) => "envoyés en Peppol BIS 3",
            ("sent_structured", Self::En) => "sent as Peppol BIS 3",
            ("customers_created", Self::Nl) => "klanten aangemaakt",
            ("customers_created", Self::Fr) => "clients créés",
            ("customers_created", Self::En) => "customers created",
            ("customers_matched", Self::Nl) => "klanten herkend",
            ("customers_matched", Self::Fr) => "clients reconnus",
            ("customers_matched", Self::En) => "customers matched",
            ("duplicates", Self::Nl) => "dubbels",
            ("duplicates", Self::Fr) => "doublons",
            ("duplicates", Self::En) => "duplicates",
            ("exported", Self::Nl) => "overgezet",
            ("exported", Self::Fr) => "transférés",
            ("exported", Self::En) => "exported",
            ("failed", Self::Nl) => "mislukt",
            ("failed", Self::Fr) => "échoués",
            ("failed", Self::En) => "failed",
            ("linked", Self::Nl) => "gekoppeld",
            ("linked", Self::Fr) => "liées",
            ("linked", Self::En) => "linked",
            ("listed", Self::Nl) => "gelezen",
            ("listed", Self::Fr) => "lues",
            ("listed", Self::En) => "listed",
            ("marked_paid", Self::Nl) => "op betaald gezet",
            ("marked_paid", Self::Fr) => "marquées payées",
            ("marked_paid", Self::En) => "marked paid",
            ("missing_in_ledger", Self::Nl) => "ontbreken in de boekhouding",
            ("missing_in_ledger", Self::Fr) => "absents de la comptabilité",
            ("missing_in_ledger", Self::En) => "missing in the ledger",
            ("partly_paid", Self::Nl) => "deels betaald",
            ("partly_paid", Self::Fr) => "partiellement payées",
            ("partly_paid", Self::En) => "partly paid",
            ("payments_booked", Self::Nl) => "betalingen geboekt",
            ("payments_booked", Self::Fr) => "paiements comptabilisés",
            ("payments_booked", Self::En) => "payments booked",
            ("payments_registered", Self::Nl) => "betalingen geregistreerd",
            ("payments_registered", Self::Fr) => "paiements enregistrés",
            ("payments_registered", Self::En) => "payments registered",
            ("removed", Self::Nl) => "verwijderd",
            ("removed", Self::Fr) => "supprimées",
            ("removed", Self::En) => "removed",
            ("rows", Self::Nl) => "rijen",
            ("rows", Self::Fr) => "lignes",
            ("rows", Self::En) => "rows",
            ("skipped", Self::Nl) => "overgeslagen",
            ("skipped", Self::Fr) => "ignorés",
            ("skipped", Self::En) => "skipped",
            ("to_link", Self::Nl) => "te koppelen",
            ("to_link", Self::Fr) => "à lier",
            ("to_link", Self::En) => "to link",
            ("unmatched", Self::Nl) => "niet gevonden",
            ("unmatched", Self::Fr) => "non trouvées",
            ("unmatched", Self::En) => "unmatched",
            _ => return name.replace('_', " "),
        };
        label.to_owned()
    }

    /// "invoice" / "credit note" in this language.
    pub fn document_kind(self, kind: koppel_core::DocumentKind) -> &'static str {
        let t = self.texts();
        match kind {
            koppel_core::DocumentKind::Invoice => t.kind_invoice,
            koppel_core::DocumentKind::CreditNote => t.kind_credit_note,
        }
    }

    /// What a report line is about, in this language ("factuur 2026 / 17").
    pub fn subject(self, subject: &koppel_core::IssueSubject) -> String {
        use koppel_core::IssueSubject;
        let t = self.texts();
        match subject {
            IssueSubject::Document { id, number, kind } => format!(
                "{} {}",
                self.document_kind(*kind),
                number.clone().unwrap_or_else(|| id.to_string())
            ),
            IssueSubject::Company { name, .. } => format!("{} {name}", t.kind_company),
            IssueSubject::Contact { name, .. } => format!("{} {name}", t.kind_contact),
            IssueSubject::FileRow { file, row } => format!("{file} {} {row}", t.kind_row),
        }
    }

    /// A job's name as people read it ("invoice-export" → "Facturen overzetten").
    pub fn job_name(self, job: &str) -> String {
        let t = self.texts();
        match job {
            "invoice-export" => t.job_export.to_owned(),
            "payment-poll" => t.job_poll.to_owned(),
            "company-import" => t.job_import.to_owned(),
            "merge-file" => t.job_merge.to_owned(),
            other => other.to_owned(),
        }
    }

    /// The texts in this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::Nl => &NL,
            Self::Fr => &FR,
            Self::En => &EN,
        }
    }
}

/// Every text of the page.
#[derive(Debug)]
pub struct Texts {
    /// Entry page title.
    pub title: &'static str,
    /// Entry page lead.
    pub lead: &'static str,
    /// Sign-in button.
    pub sign_in: &'static str,
    /// Sign-out button.
    pub sign_out: &'static str,
    /// Language switch label.
    pub language: &'static str,
    /// Skip link.
    pub skip_to_content: &'static str,
    /// "Up & Running".
    pub up_and_running: &'static str,
    /// Lead under "Up & Running".
    pub up_and_running_lead: &'static str,
    /// The anonymous answer when the link needs a sign-in.
    pub sign_in_to_reactivate: &'static str,
    /// Lead under it.
    pub sign_in_to_reactivate_lead: &'static str,
    /// Status page title.
    pub your_connections: &'static str,
    /// Signed in as … (followed by the name).
    pub signed_in_as: &'static str,
    /// No connection yet.
    pub no_connections: &'static str,
    /// Department label.
    pub department: &'static str,
    /// Ledger label.
    pub ledger: &'static str,
    /// Administration label.
    pub administration: &'static str,
    /// Status: active.
    pub status_active: &'static str,
    /// Status: paused.
    pub status_paused: &'static str,
    /// Status: needs a sign-in.
    pub status_needs_reauth: &'static str,
    /// Teamleader link label.
    pub teamleader_link: &'static str,
    /// Ledger link label.
    pub ledger_link: &'static str,
    /// Link works.
    pub link_ok: &'static str,
    /// Link needs attention.
    pub link_attention: &'static str,
    /// Next scheduled run label.
    pub next_run: &'static str,
    /// Next run when automatic sync is off.
    pub next_run_manual: &'static str,
    /// Next run when paused.
    pub next_run_paused: &'static str,
    /// "Sync now" button.
    pub sync_now: &'static str,
    /// "Import companies" button.
    pub import_companies: &'static str,
    /// Pause button.
    pub pause: &'static str,
    /// Resume button.
    pub resume: &'static str,
    /// Latest runs heading.
    pub latest_runs: &'static str,
    /// No runs yet.
    pub no_runs: &'static str,
    /// Column: started.
    pub started: &'static str,
    /// Column: job.
    pub job: &'static str,
    /// Column: result.
    pub result: &'static str,
    /// Link to a report.
    pub details: &'static str,
    /// Run status: running.
    pub run_running: &'static str,
    /// Run status: succeeded.
    pub run_succeeded: &'static str,
    /// Run status: completed with issues.
    pub run_with_issues: &'static str,
    /// Run status: paused.
    pub run_paused: &'static str,
    /// Run status: failed.
    pub run_failed: &'static str,
    /// A run closed by the sweeper: its invocations stopped without finishing.
    pub run_interrupted: &'static str,
    /// What an interrupted run's page says next to "run again".
    pub run_interrupted_lead: &'static str,
    /// The button that starts a new run of an interrupted one's job.
    pub run_again: &'static str,
    /// Run queued, not started yet.
    pub run_queued: &'static str,
    /// The page refreshes itself while a run goes on.
    pub refreshes_itself: &'static str,
    /// Report heading.
    pub report: &'static str,
    /// Counts heading.
    pub counts: &'static str,
    /// Issues heading.
    pub needs_attention: &'static str,
    /// Notices heading.
    pub notices: &'static str,
    /// Warnings heading.
    pub warnings: &'static str,
    /// Search label.
    pub search_document: &'static str,
    /// Search button.
    pub search: &'static str,
    /// Nothing matches the search.
    pub nothing_found: &'static str,
    /// No issue.
    pub no_issues: &'static str,
    /// Back to the connections.
    pub back: &'static str,
    /// Column: item.
    pub item: &'static str,
    /// Column: reason.
    pub reason: &'static str,
    /// Invocations label.
    pub invocations: &'static str,
    /// Flash: sync started.
    pub flash_sync_started: &'static str,
    /// Flash: import started.
    pub flash_import_started: &'static str,
    /// Flash: paused.
    pub flash_paused: &'static str,
    /// Flash: resumed.
    pub flash_resumed: &'static str,
    /// Flash: reactivated after sign-in.
    pub flash_signed_in: &'static str,
    /// Error page title.
    pub something_went_wrong: &'static str,
    /// Try again link.
    pub try_again: &'static str,
    /// Consent refused.
    pub error_access_denied: &'static str,
    /// State missing, expired or replayed.
    pub error_state: &'static str,
    /// Code refused (expired, used).
    pub error_code: &'static str,
    /// Teamleader unreachable.
    pub error_unavailable: &'static str,
    /// Missing scopes (followed by the list).
    pub error_missing_access: &'static str,
    /// Session expired or CSRF token wrong.
    pub error_session: &'static str,
    /// Too many attempts.
    pub error_too_many: &'static str,
    /// Not found.
    pub not_found: &'static str,
    /// Internal failure.
    pub error_internal: &'static str,
    /// The page is not configured.
    pub error_not_configured: &'static str,
    /// Connect button per department.
    pub connect_department: &'static str,
    /// Heading: departments without a connection.
    pub departments_to_connect: &'static str,
    /// Label: which ledger.
    pub choose_ledger: &'static str,
    /// Link: continue a draft.
    pub continue_setup: &'static str,
    /// Status: being set up.
    pub status_draft: &'static str,
    /// Button: sign in to the ledger again (followed by its name).
    pub reconnect_ledger: &'static str,
    /// Set-up page title.
    pub setup_title: &'static str,
    /// Label: the administration to link.
    pub choose_administration: &'static str,
    /// Button: next step.
    pub next: &'static str,
    /// Button: save.
    pub save: &'static str,
    /// Label.
    pub invoice_journal: &'static str,
    /// Label.
    pub credit_note_journal: &'static str,
    /// Heading: VAT mapping.
    pub vat_codes: &'static str,
    /// Heading: revenue account per tax rate.
    pub revenue_by_tax_rate: &'static str,
    /// Label.
    pub default_revenue: &'static str,
    /// Label.
    pub discount_account: &'static str,
    /// Label.
    pub start_date: &'static str,
    /// Label.
    pub attach_pdf: &'static str,
    /// Label.
    pub automatic_sync: &'static str,
    /// Note.
    pub automatic_after_manual: &'static str,
    /// Button.
    pub turn_on_automatic: &'static str,
    /// Button.
    pub turn_off_automatic: &'static str,
    /// Label.
    pub import_companies_now: &'static str,
    /// Settings: customers without any number are private persons (the company import).
    pub private_without_numbers: &'static str,
    /// Label.
    pub notify_email: &'static str,
    /// Label.
    pub payment_journal: &'static str,
    /// Warning.
    pub payment_journal_warning: &'static str,
    /// Said instead of the payment journal for ledgers that cannot take payments from
    /// Teamleader.
    pub payments_stay_in_ledger: &'static str,
    /// Select option.
    pub none_option: &'static str,
    /// Heading: what stops saving.
    pub blockers: &'static str,
    /// Flash.
    pub flash_connected: &'static str,
    /// Flash.
    pub flash_ledger_signed_in: &'static str,
    /// Flash.
    pub flash_automatic_on: &'static str,
    /// Flash.
    pub flash_automatic_off: &'static str,
    /// Error.
    pub error_ledger_refused: &'static str,
    /// Error.
    pub error_already_connected: &'static str,
    /// Error.
    pub error_no_ledger: &'static str,
    /// Button: credentials form.
    pub sign_in_ledger: &'static str,
    /// Job name.
    pub job_export: &'static str,
    /// Job name.
    pub job_poll: &'static str,
    /// Job name.
    pub job_import: &'static str,
    /// Job name.
    pub job_merge: &'static str,
    /// Heading.
    pub merge_title: &'static str,
    /// Lead.
    pub merge_lead: &'static str,
    /// Label.
    pub merge_file: &'static str,
    /// Legend.
    pub match_by: &'static str,
    /// Option.
    pub match_by_name: &'static str,
    /// Option.
    pub match_by_vat: &'static str,
    /// Button.
    pub upload_preview: &'static str,
    /// Button.
    pub apply_merge: &'static str,
    /// Lead above the apply button.
    pub apply_merge_lead: &'static str,
    /// Error.
    pub error_upload_too_large: &'static str,
    /// Error.
    pub error_upload_missing: &'static str,
    /// Document kind.
    pub kind_invoice: &'static str,
    /// Document kind.
    pub kind_credit_note: &'static str,
    /// Subject: a company.
    pub kind_company: &'static str,
    /// Subject: a contact (a private person).
    pub kind_contact: &'static str,
    /// Subject: a file row.
    pub kind_row: &'static str,
    /// Button/link: the preview.
    pub preview: &'static str,
    /// Lead of the preview.
    pub preview_lead: &'static str,
    /// Heading when blockers stop the run.
    pub preview_blocked: &'static str,
    /// No document waits.
    pub nothing_waiting: &'static str,
    /// More documents wait.
    pub more_waiting: &'static str,
    /// Outcome: refused.
    pub would_refuse: &'static str,
    /// Label.
    pub journal: &'static str,
    /// Label.
    pub customer: &'static str,
    /// Customer known.
    pub customer_linked: &'static str,
    /// Customer found in the ledger.
    pub customer_found: &'static str,
    /// Customer to create.
    pub customer_new: &'static str,
    /// Customer inside the file.
    pub customer_in_document: &'static str,
    /// Column.
    pub account: &'static str,
    /// Column.
    pub vat_code: &'static str,
    /// Column.
    pub amount_excl: &'static str,
    /// Column.
    pub vat_amount: &'static str,
    /// Column.
    pub description: &'static str,
    /// Button.
    pub export_again: &'static str,
    /// Flash.
    pub flash_export_again: &'static str,
    /// "Export again from…": the form's title (a backfill from a date).
    pub backfill_title: &'static str,
    /// What a backfill does: every document since that day, nothing booked twice.
    pub backfill_lead: &'static str,
    /// Label of the date.
    pub backfill_from: &'static str,
    /// Button.
    pub backfill_button: &'static str,
    /// Flash: the backfill is on its way.
    pub flash_backfill: &'static str,
    /// The date is missing, not a date, or after today.
    pub error_backfill_date: &'static str,
    /// The connection is not active (paused, waiting for a sign-in).
    pub error_backfill_inactive: &'static str,
}

/// Dutch.
pub const NL: Texts = Texts {
    title: "Koppel je boekhouding aan Teamleader Focus",
    lead: "Meld je aan met Teamleader om je koppeling te activeren of opnieuw te activeren.",
    sign_in: "Aanmelden met Teamleader",
    sign_out: "Afmelden",
    language: "Taal",
    skip_to_content: "Naar de inhoud",
    up_and_running: "Up & Running",
    up_and_running_lead: "Je koppeling werkt. Facturen en creditnota's worden verder overgezet.",
    sign_in_to_reactivate: "Meld je aan om je koppeling opnieuw te activeren",
    sign_in_to_reactivate_lead: "Teamleader aanvaardt de opgeslagen toegang niet meer. Meld je aan met Teamleader: daarmee is de koppeling opnieuw actief.",
    your_connections: "Je koppelingen",
    signed_in_as: "Aangemeld als",
    no_connections: "Er is nog geen koppeling voor deze Teamleader-account.",
    department: "Departement",
    ledger: "Boekhoudpakket",
    administration: "Administratie",
    status_active: "Actief",
    status_paused: "Gepauzeerd",
    status_needs_reauth: "Aanmelding nodig",
    teamleader_link: "Koppeling met Teamleader",
    ledger_link: "Koppeling met het boekhoudpakket",
    link_ok: "In orde",
    link_attention: "Vraagt aandacht",
    next_run: "Volgende synchronisatie",
    next_run_manual: "Alleen met de hand (automatische synchronisatie staat uit)",
    next_run_paused: "Geen: de koppeling is gepauzeerd",
    sync_now: "Nu synchroniseren",
    import_companies: "Bedrijven importeren",
    pause: "Pauzeren",
    resume: "Hervatten",
    latest_runs: "Laatste synchronisaties",
    no_runs: "Nog geen synchronisatie.",
    started: "Gestart",
    job: "Taak",
    result: "Resultaat",
    details: "Details",
    run_running: "Bezig",
    run_succeeded: "Geslaagd",
    run_with_issues: "Klaar, met aandachtspunten",
    run_paused: "Gepauzeerd (gaat later verder)",
    run_failed: "Mislukt",
    run_interrupted: "Afgebroken",
    run_interrupted_lead: "Deze run is gestopt voor het einde en er werkt niets meer aan. Er is niets verloren: wat niet klaar was, gaat mee met de volgende run. Start hem nu opnieuw of wacht op de volgende geplande run.",
    run_again: "Opnieuw uitvoeren",
    run_queued: "In de wachtrij",
    refreshes_itself: "Deze pagina ververst zichzelf tot de synchronisatie klaar is.",
    report: "Verslag",
    counts: "Aantallen",
    needs_attention: "Vraagt aandacht",
    notices: "Ter info",
    warnings: "Waarschuwingen",
    search_document: "Zoek een documentnummer",
    search: "Zoeken",
    nothing_found: "Geen document met dat nummer in dit verslag.",
    no_issues: "Niets vraagt aandacht.",
    back: "Terug naar je koppelingen",
    item: "Document",
    reason: "Reden en oplossing",
    invocations: "Aanroepen",
    flash_sync_started: "De synchronisatie is gestart.",
    flash_import_started: "Het importeren van bedrijven is gestart.",
    flash_paused: "De koppeling is gepauzeerd.",
    flash_resumed: "De koppeling is hervat.",
    flash_signed_in: "Je bent aangemeld; de koppelingen van deze account gebruiken je nieuwe toegang.",
    something_went_wrong: "Dat lukte niet",
    try_again: "Opnieuw proberen",
    error_access_denied: "Je hebt Koppel geen toegang gegeven in Teamleader. Zonder toegang kan Koppel niets overzetten.",
    error_state: "Deze aanmeldlink is verlopen of al gebruikt. Begin opnieuw.",
    error_code: "Teamleader aanvaardde de aanmelding niet (de code was verlopen of al gebruikt). Begin opnieuw.",
    error_unavailable: "Teamleader is nu niet bereikbaar. Probeer het over enkele minuten opnieuw.",
    error_missing_access: "Je Teamleader-gebruiker heeft geen toegang tot:",
    error_session: "Je sessie is verlopen of het formulier is niet meer geldig. Meld je opnieuw aan.",
    error_too_many: "Te veel pogingen. Wacht een minuut en probeer opnieuw.",
    not_found: "Deze pagina bestaat niet.",
    error_internal: "Er ging iets mis aan onze kant. Probeer het opnieuw; blijft het mislukken, neem dan contact op met je leverancier.",
    error_not_configured: "Deze Koppel-installatie is nog niet ingesteld (de beheerder moet de app-gegevens invullen).",
    connect_department: "Koppelen",
    departments_to_connect: "Departementen zonder koppeling",
    choose_ledger: "Boekhoudpakket",
    continue_setup: "Instellen afwerken",
    status_draft: "Wordt ingesteld",
    reconnect_ledger: "Opnieuw aanmelden bij",
    setup_title: "Koppeling instellen",
    choose_administration: "Kies de administratie",
    next: "Volgende",
    save: "Opslaan",
    invoice_journal: "Verkoopdagboek voor facturen",
    credit_note_journal: "Verkoopdagboek voor creditnota's (een ander dagboek)",
    vat_codes: "Btw-codes per Teamleader-btw-tarief (alleen exclusieve codes)",
    revenue_by_tax_rate: "Omzetrekening per btw-tarief (optioneel)",
    default_revenue: "Standaard omzetrekening",
    discount_account: "Rekening voor kortingen",
    start_date: "Startdatum (oudere documenten worden nooit overgezet)",
    attach_pdf: "De pdf van elk document meesturen",
    automatic_sync: "Elke nacht automatisch synchroniseren",
    automatic_after_manual: "Automatische synchronisatie kan aan na een geslaagde synchronisatie met de hand.",
    turn_on_automatic: "Automatische synchronisatie aanzetten",
    turn_off_automatic: "Automatische synchronisatie uitzetten",
    import_companies_now: "Bedrijven en contacten importeren uit het boekhoudpakket",
    private_without_numbers: "Klanten zonder btw-nummer, ondernemingsnummer of rechtsvorm in hun naam zijn particulieren: importeer ze als contactpersoon",
    notify_email: "E-mail bij betaalde facturen (optioneel)",
    payment_journal: "Betalingen uit Teamleader boeken in dit financieel dagboek (optioneel)",
    payment_journal_warning: "Opgelet: importeer je ook bankafschriften (CODA) in je boekhouding, dan wordt dezelfde factuur twee keer afgepunt. Kies dit alleen als betalingen niet via bankafschriften binnenkomen.",
    payments_stay_in_ledger: "Betalingen die je in Teamleader registreert, gaan niet naar dit boekhoudpakket: het biedt daar geen koppeling voor. Registreer ze in je boekhouding (of importeer je bankafschriften); afgepunte facturen komen wel als betaald terug naar Teamleader.",
    none_option: "(geen)",
    blockers: "Dit moet eerst in orde komen",
    flash_connected: "De koppeling is ingesteld. Start een eerste synchronisatie met ‘Nu synchroniseren’.",
    flash_ledger_signed_in: "Aangemeld bij het boekhoudpakket.",
    flash_automatic_on: "Automatische synchronisatie staat aan.",
    flash_automatic_off: "Automatische synchronisatie staat uit.",
    error_ledger_refused: "Het boekhoudpakket aanvaardde de aanmelding niet. Probeer opnieuw.",
    error_already_connected: "Dit departement is al gekoppeld aan",
    error_no_ledger: "Deze installatie biedt dat boekhoudpakket niet aan.",
    sign_in_ledger: "Aanmelden",
    preview: "Voorbeeld van de volgende synchronisatie",
    preview_lead: "Wat de volgende synchronisatie zou boeken, berekend met je instellingen en de huidige lijsten van het boekhoudpakket. Er wordt niets geboekt.",
    preview_blocked: "De synchronisatie zou niet starten",
    nothing_waiting: "Geen document wacht op overzetten.",
    more_waiting: "Er wachten nog meer documenten; hier staan de eerste.",
    would_refuse: "Zou geweigerd worden",
    journal: "Dagboek",
    customer: "Klant",
    customer_linked: "gekoppelde klant",
    customer_found: "bestaande klant in het boekhoudpakket",
    customer_new: "nieuwe klant, wordt aangemaakt:",
    customer_in_document: "klant zit in het document",
    account: "Rekening",
    vat_code: "Btw-code",
    amount_excl: "Bedrag excl. btw",
    vat_amount: "Btw",
    description: "Omschrijving",
    export_again: "Opnieuw overzetten",
    flash_export_again: "Het document wordt bij de volgende synchronisatie opnieuw overgezet.",
    backfill_title: "Opnieuw overzetten vanaf…",
    backfill_lead: "Zet alle geboekte facturen en creditnota's opnieuw over die sinds die dag in Teamleader gewijzigd zijn. Koppel zoekt elk document eerst op in je boekhoudpakket: wat er al in staat, wordt nooit een tweede keer geboekt.",
    backfill_from: "Vanaf",
    backfill_button: "Overzetten vanaf deze datum",
    flash_backfill: "De documenten vanaf die datum worden opnieuw overgezet. Wat al in je boekhoudpakket staat, wordt niet opnieuw geboekt. Je volgt het bij de laatste synchronisaties.",
    error_backfill_date: "Kies een datum in het verleden of vandaag.",
    error_backfill_inactive: "Deze koppeling is niet actief. Hervat ze (of meld je opnieuw aan) en probeer het dan opnieuw.",
    kind_invoice: "factuur",
    kind_credit_note: "creditnota",
    kind_company: "bedrijf",
    kind_contact: "contactpersoon",
    kind_row: "rij",
    merge_title: "Dubbele klanten samenvoegen (mergebestand)",
    merge_lead: "Exporteer je bedrijvensegment uit Teamleader (Naam, Klantennummer boekhoudpakket, Btw-nummer) als CSV of Excel en laad het hier op. Je ziet eerst wat er zou gebeuren.",
    merge_file: "Bestand (CSV of XLSX, hoogstens 10 MB)",
    match_by: "Vergelijken op",
    match_by_name: "naam",
    match_by_vat: "btw-nummer",
    upload_preview: "Opladen en voorbeeld tonen",
    apply_merge: "Toepassen",
    apply_merge_lead: "Klopt het voorbeeld? Pas het bestand dan toe: de bedrijven krijgen hun klantnummer en dubbels die Koppel zelf aanmaakte en waar niets naar verwijst, worden verwijderd.",
    error_upload_too_large: "Het bestand is groter dan 10 MB. Exporteer alleen de kolommen Naam, Klantennummer en Btw-nummer.",
    error_upload_missing: "Kies een bestand om op te laden.",
    job_export: "Facturen overzetten",
    job_poll: "Betalingen ophalen",
    job_import: "Bedrijven importeren",
    job_merge: "Mergebestand",
};

/// French.
pub const FR: Texts = Texts {
    title: "Reliez votre comptabilité à Teamleader Focus",
    lead: "Connectez-vous avec Teamleader pour activer ou réactiver votre connexion.",
    sign_in: "Se connecter avec Teamleader",
    sign_out: "Se déconnecter",
    language: "Langue",
    skip_to_content: "Aller au contenu",
    up_and_running: "Up & Running",
    up_and_running_lead: "Votre connexion fonctionne. Les factures et notes de crédit continuent d'être transférées.",
    sign_in_to_reactivate: "Connectez-vous pour réactiver votre connexion",
    sign_in_to_reactivate_lead: "Teamleader n'accepte plus l'accès enregistré. Connectez-vous avec Teamleader : la connexion sera de nouveau active.",
    your_connections: "Vos connexions",
    signed_in_as: "Connecté en tant que",
    no_connections: "Aucune connexion pour ce compte Teamleader.",
    department: "Département",
    ledger: "Logiciel comptable",
    administration: "Dossier",
    status_active: "Active",
    status_paused: "En pause",
    status_needs_reauth: "Connexion requise",
    teamleader_link: "Lien avec Teamleader",
    ledger_link: "Lien avec le logiciel comptable",
    link_ok: "En ordre",
    link_attention: "Demande votre attention",
    next_run: "Prochaine synchronisation",
    next_run_manual: "Uniquement à la main (la synchronisation automatique est désactivée)",
    next_run_paused: "Aucune : la connexion est en pause",
    sync_now: "Synchroniser maintenant",
    import_companies: "Importer les entreprises",
    pause: "Mettre en pause",
    resume: "Reprendre",
    latest_runs: "Dernières synchronisations",
    no_runs: "Pas encore de synchronisation.",
    started: "Début",
    job: "Tâche",
    result: "Résultat",
    details: "Détails",
    run_running: "En cours",
    run_succeeded: "Réussie",
    run_with_issues: "Terminée, avec des points d'attention",
    run_paused: "En pause (reprendra plus tard)",
    run_failed: "Échouée",
    run_interrupted: "Interrompue",
    run_interrupted_lead: "Cette exécution s'est arrêtée avant la fin et plus rien n'y travaille. Rien n'est perdu : ce qui n'était pas terminé part avec la prochaine exécution. Relancez-la maintenant ou attendez la prochaine exécution planifiée.",
    run_again: "Relancer",
    run_queued: "En file d'attente",
    refreshes_itself: "Cette page se met à jour jusqu'à la fin de la synchronisation.",
    report: "Rapport",
    counts: "Nombres",
    needs_attention: "Demande votre attention",
    notices: "Pour info",
    warnings: "Avertissements",
    search_document: "Rechercher un numéro de document",
    search: "Rechercher",
    nothing_found: "Aucun document avec ce numéro dans ce rapport.",
    no_issues: "Rien ne demande votre attention.",
    back: "Retour à vos connexions",
    item: "Document",
    reason: "Raison et solution",
    invocations: "Appels",
    flash_sync_started: "La synchronisation a démarré.",
    flash_import_started: "L'importation des entreprises a démarré.",
    flash_paused: "La connexion est en pause.",
    flash_resumed: "La connexion a repris.",
    flash_signed_in: "Vous êtes connecté ; les connexions de ce compte utilisent votre nouvel accès.",
    something_went_wrong: "Cela n'a pas fonctionné",
    try_again: "Réessayer",
    error_access_denied: "Vous n'avez pas donné accès à Koppel dans Teamleader. Sans accès, Koppel ne peut rien transférer.",
    error_state: "Ce lien de connexion a expiré ou a déjà été utilisé. Recommencez.",
    error_code: "Teamleader n'a pas accepté la connexion (le code avait expiré ou avait déjà servi). Recommencez.",
    error_unavailable: "Teamleader n'est pas joignable pour le moment. Réessayez dans quelques minutes.",
    error_missing_access: "Votre utilisateur Teamleader n'a pas accès à :",
    error_session: "Votre session a expiré ou le formulaire n'est plus valable. Reconnectez-vous.",
    error_too_many: "Trop de tentatives. Attendez une minute et réessayez.",
    not_found: "Cette page n'existe pas.",
    error_internal: "Un problème est survenu de notre côté. Réessayez ; si cela persiste, contactez votre fournisseur.",
    error_not_configured: "Cette installation de Koppel n'est pas encore configurée (l'administrateur doit compléter les données de l'application).",
    connect_department: "Connecter",
    departments_to_connect: "Départements sans connexion",
    choose_ledger: "Logiciel comptable",
    continue_setup: "Terminer la configuration",
    status_draft: "En configuration",
    reconnect_ledger: "Se reconnecter à",
    setup_title: "Configurer la connexion",
    choose_administration: "Choisissez le dossier",
    next: "Suivant",
    save: "Enregistrer",
    invoice_journal: "Journal de vente pour les factures",
    credit_note_journal: "Journal de vente pour les notes de crédit (un autre journal)",
    vat_codes: "Codes TVA par taux de TVA Teamleader (codes exclusifs uniquement)",
    revenue_by_tax_rate: "Compte de produits par taux de TVA (facultatif)",
    default_revenue: "Compte de produits par défaut",
    discount_account: "Compte pour les remises",
    start_date: "Date de début (les documents plus anciens ne sont jamais transférés)",
    attach_pdf: "Joindre le PDF de chaque document",
    automatic_sync: "Synchroniser automatiquement chaque nuit",
    automatic_after_manual: "La synchronisation automatique peut être activée après une synchronisation manuelle réussie.",
    turn_on_automatic: "Activer la synchronisation automatique",
    turn_off_automatic: "Désactiver la synchronisation automatique",
    import_companies_now: "Importer les entreprises et contacts du logiciel comptable",
    private_without_numbers: "Les clients sans numéro de TVA, numéro d'entreprise ni forme juridique dans leur nom sont des particuliers : les importer comme contacts",
    notify_email: "E-mail lorsque des factures sont payées (facultatif)",
    payment_journal: "Comptabiliser les paiements de Teamleader dans ce journal financier (facultatif)",
    payment_journal_warning: "Attention : si vous importez aussi des extraits bancaires (CODA) dans votre comptabilité, la même facture sera lettrée deux fois. Ne choisissez ceci que si les paiements n'arrivent pas par extraits bancaires.",
    payments_stay_in_ledger: "Les paiements enregistrés dans Teamleader ne vont pas vers ce logiciel comptable : il n'offre pas de moyen pour cela. Enregistrez-les dans votre comptabilité (ou importez vos extraits bancaires) ; les factures lettrées reviennent bien comme payées dans Teamleader.",
    none_option: "(aucun)",
    blockers: "À régler d'abord",
    flash_connected: "La connexion est configurée. Lancez une première synchronisation avec « Synchroniser maintenant ».",
    flash_ledger_signed_in: "Connecté au logiciel comptable.",
    flash_automatic_on: "La synchronisation automatique est activée.",
    flash_automatic_off: "La synchronisation automatique est désactivée.",
    error_ledger_refused: "Le logiciel comptable n'a pas accepté la connexion. Réessayez.",
    error_already_connected: "Ce département est déjà connecté à",
    error_no_ledger: "Cette installation ne propose pas ce logiciel comptable.",
    sign_in_ledger: "Se connecter",
    preview: "Aperçu de la prochaine synchronisation",
    preview_lead: "Ce que la prochaine synchronisation comptabiliserait, calculé avec vos réglages et les listes actuelles du logiciel comptable. Rien n'est comptabilisé.",
    preview_blocked: "La synchronisation ne démarrerait pas",
    nothing_waiting: "Aucun document n'attend d'être transféré.",
    more_waiting: "D'autres documents attendent ; voici les premiers.",
    would_refuse: "Serait refusé",
    journal: "Journal",
    customer: "Client",
    customer_linked: "client lié",
    customer_found: "client existant dans le logiciel comptable",
    customer_new: "nouveau client, sera créé :",
    customer_in_document: "client inclus dans le document",
    account: "Compte",
    vat_code: "Code TVA",
    amount_excl: "Montant HTVA",
    vat_amount: "TVA",
    description: "Description",
    export_again: "Transférer à nouveau",
    flash_export_again: "Le document sera transféré à nouveau lors de la prochaine synchronisation.",
    backfill_title: "Transférer à nouveau depuis…",
    backfill_lead: "Transfère à nouveau toutes les factures et notes de crédit comptabilisées modifiées dans Teamleader depuis ce jour. Koppel recherche d'abord chaque document dans votre logiciel comptable : ce qui s'y trouve déjà n'est jamais comptabilisé une seconde fois.",
    backfill_from: "À partir du",
    backfill_button: "Transférer depuis cette date",
    flash_backfill: "Les documents à partir de cette date sont transférés à nouveau. Ce qui se trouve déjà dans votre logiciel comptable n'est pas comptabilisé une seconde fois. Suivez-le dans les dernières synchronisations.",
    error_backfill_date: "Choisissez une date passée ou aujourd'hui.",
    error_backfill_inactive: "Cette connexion n'est pas active. Reprenez-la (ou reconnectez-vous), puis réessayez.",
    kind_invoice: "facture",
    kind_credit_note: "note de crédit",
    kind_company: "entreprise",
    kind_contact: "contact",
    kind_row: "ligne",
    merge_title: "Fusionner les clients en double (fichier de fusion)",
    merge_lead: "Exportez votre segment d'entreprises depuis Teamleader (Nom, ID externe, Numéro de TVA) en CSV ou Excel et chargez-le ici. Vous voyez d'abord ce qui se passerait.",
    merge_file: "Fichier (CSV ou XLSX, 10 Mo au plus)",
    match_by: "Comparer sur",
    match_by_name: "nom",
    match_by_vat: "numéro de TVA",
    upload_preview: "Charger et voir l'aperçu",
    apply_merge: "Appliquer",
    apply_merge_lead: "L'aperçu est correct ? Appliquez alors le fichier : les entreprises reçoivent leur numéro de client et les doublons créés par Koppel auxquels rien ne renvoie sont supprimés.",
    error_upload_too_large: "Le fichier dépasse 10 Mo. N'exportez que les colonnes Nom, ID externe et Numéro de TVA.",
    error_upload_missing: "Choisissez un fichier à charger.",
    job_export: "Transfert des factures",
    job_poll: "Relevé des paiements",
    job_import: "Importation des entreprises",
    job_merge: "Fichier de fusion",
};

/// English.
pub const EN: Texts = Texts {
    title: "Link your accounting to Teamleader Focus",
    lead: "Sign in with Teamleader to activate or reactivate your connection.",
    sign_in: "Sign in with Teamleader",
    sign_out: "Sign out",
    language: "Language",
    skip_to_content: "Skip to content",
    up_and_running: "Up & Running",
    up_and_running_lead: "Your connection works. Invoices and credit notes keep flowing.",
    sign_in_to_reactivate: "Sign in to reactivate your connection",
    sign_in_to_reactivate_lead: "Teamleader no longer accepts the stored access. Sign in with Teamleader: that reactivates the connection.",
    your_connections: "Your connections",
    signed_in_as: "Signed in as",
    no_connections: "There is no connection for this Teamleader account yet.",
    department: "Department",
    ledger: "Accounting software",
    administration: "Administration",
    status_active: "Active",
    status_paused: "Paused",
    status_needs_reauth: "Sign-in needed",
    teamleader_link: "Link with Teamleader",
    ledger_link: "Link with the accounting software",
    link_ok: "Working",
    link_attention: "Needs attention",
    next_run: "Next sync",
    next_run_manual: "By hand only (automatic sync is off)",
    next_run_paused: "None: the connection is paused",
    sync_now: "Sync now",
    import_companies: "Import companies",
    pause: "Pause",
    resume: "Resume",
    latest_runs: "Latest runs",
    no_runs: "No run yet.",
    started: "Started",
    job: "Job",
    result: "Result",
    details: "Details",
    run_running: "Running",
    run_succeeded: "Succeeded",
    run_with_issues: "Done, with items to look at",
    run_paused: "Paused (continues later)",
    run_failed: "Failed",
    run_interrupted: "Interrupted",
    run_interrupted_lead: "This run stopped before its end and nothing works on it any more. Nothing is lost: what it did not finish goes with the next run. Run it again now, or wait for the next scheduled run.",
    run_again: "Run again",
    run_queued: "Queued",
    refreshes_itself: "This page refreshes itself until the run is done.",
    report: "Report",
    counts: "Counts",
    needs_attention: "Needs attention",
    notices: "For your information",
    warnings: "Warnings",
    search_document: "Search a document number",
    search: "Search",
    nothing_found: "No document with that number in this report.",
    no_issues: "Nothing needs attention.",
    back: "Back to your connections",
    item: "Document",
    reason: "Reason and fix",
    invocations: "Invocations",
    flash_sync_started: "The sync has started.",
    flash_import_started: "The company import has started.",
    flash_paused: "The connection is paused.",
    flash_resumed: "The connection is resumed.",
    flash_signed_in: "You are signed in; this account's connections use your new access.",
    something_went_wrong: "That did not work",
    try_again: "Try again",
    error_access_denied: "You did not give Koppel access in Teamleader. Without access Koppel cannot transfer anything.",
    error_state: "This sign-in link expired or was already used. Start again.",
    error_code: "Teamleader did not accept the sign-in (the code had expired or was already used). Start again.",
    error_unavailable: "Teamleader cannot be reached right now. Try again in a few minutes.",
    error_missing_access: "Your Teamleader user has no access to:",
    error_session: "Your session expired or the form is no longer valid. Sign in again.",
    error_too_many: "Too many attempts. Wait a minute and try again.",
    not_found: "This page does not exist.",
    error_internal: "Something went wrong on our side. Try again; if it keeps failing, contact your provider.",
    error_not_configured: "This Koppel installation is not set up yet (the operator must fill in the app credentials).",
    connect_department: "Connect",
    departments_to_connect: "Departments without a connection",
    choose_ledger: "Accounting software",
    continue_setup: "Finish setting up",
    status_draft: "Being set up",
    reconnect_ledger: "Reconnect",
    setup_title: "Set up the connection",
    choose_administration: "Choose the administration",
    next: "Next",
    save: "Save",
    invoice_journal: "Sales journal for invoices",
    credit_note_journal: "Sales journal for credit notes (another journal)",
    vat_codes: "VAT codes per Teamleader tax rate (exclusive codes only)",
    revenue_by_tax_rate: "Revenue account per tax rate (optional)",
    default_revenue: "Default revenue account",
    discount_account: "Account for discounts",
    start_date: "Start date (older documents are never exported)",
    attach_pdf: "Attach each document's PDF",
    automatic_sync: "Sync automatically every night",
    automatic_after_manual: "Automatic sync can be turned on after a successful manual sync.",
    turn_on_automatic: "Turn on automatic sync",
    turn_off_automatic: "Turn off automatic sync",
    import_companies_now: "Import companies and contacts from the accounting software",
    private_without_numbers: "Customers without a VAT number, enterprise number or legal form in their name are private persons: import them as contacts",
    notify_email: "E-mail when invoices were paid (optional)",
    payment_journal: "Book payments registered in Teamleader in this financial journal (optional)",
    payment_journal_warning: "Careful: if bank statements (CODA) are also imported into your ledger, the same invoice will be settled twice. Choose this only when payments do not come in through bank statements.",
    payments_stay_in_ledger: "Payments registered in Teamleader do not go to this ledger: it offers no way to take them. Register them in your ledger (or import your bank statements); invoices settled there do come back to Teamleader as paid.",
    none_option: "(none)",
    blockers: "Fix this first",
    flash_connected: "The connection is set up. Start a first sync with “Sync now”.",
    flash_ledger_signed_in: "Signed in to the accounting software.",
    flash_automatic_on: "Automatic sync is on.",
    flash_automatic_off: "Automatic sync is off.",
    error_ledger_refused: "The accounting software did not accept the sign-in. Try again.",
    error_already_connected: "This department is already linked to",
    error_no_ledger: "This installation does not offer that accounting software.",
    sign_in_ledger: "Sign in",
    preview: "Preview of the next sync",
    preview_lead: "What the next sync would book, computed with your settings and the ledger's current lists. Nothing is booked.",
    preview_blocked: "The sync would not start",
    nothing_waiting: "No document is waiting to be exported.",
    more_waiting: "More documents are waiting; these are the first.",
    would_refuse: "Would be refused",
    journal: "Journal",
    customer: "Customer",
    customer_linked: "linked customer",
    customer_found: "existing customer in the ledger",
    customer_new: "new customer, will be created:",
    customer_in_document: "customer travels in the document",
    account: "Account",
    vat_code: "VAT code",
    amount_excl: "Amount excl. VAT",
    vat_amount: "VAT",
    description: "Description",
    export_again: "Export again",
    flash_export_again: "The document will be exported again at the next sync.",
    backfill_title: "Export again from…",
    backfill_lead: "Exports again every booked invoice and credit note changed in Teamleader since that day. Koppel first looks each document up in your accounting software: what is already there is never booked a second time.",
    backfill_from: "From",
    backfill_button: "Export from this date",
    flash_backfill: "The documents from that date are being exported again. What is already in your accounting software is not booked again. Follow it under the latest runs.",
    error_backfill_date: "Choose a date in the past or today.",
    error_backfill_inactive: "This connection is not active. Resume it (or sign in again), then try again.",
    kind_invoice: "invoice",
    kind_credit_note: "credit note",
    kind_company: "company",
    kind_contact: "contact",
    kind_row: "row",
    merge_title: "Merge duplicate customers (merge file)",
    merge_lead: "Export your company segment from Teamleader (Name, External ID, VAT number) as CSV or Excel and upload it here. You first see what would happen.",
    merge_file: "File (CSV or XLSX, at most 10 MB)",
    match_by: "Match by",
    match_by_name: "name",
    match_by_vat: "VAT number",
    upload_preview: "Upload and preview",
    apply_merge: "Apply",
    apply_merge_lead: "Does the preview look right? Then apply the file: companies receive their customer number, and duplicates Koppel itself created that nothing refers to are removed.",
    error_upload_too_large: "The file is larger than 10 MB. Export only the Name, External ID and VAT number columns.",
    error_upload_missing: "Choose a file to upload.",
    job_export: "Invoice export",
    job_poll: "Payment check",
    job_import: "Company import",
    job_merge: "Merge file",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_supported_language() {
        assert_eq!(Language::negotiate(Some("nl-BE,nl;q=0.9")), Language::Nl);
        assert_eq!(
            Language::negotiate(Some("de-DE, fr-BE;q=0.8")),
            Language::Fr
        );
        assert_eq!(Language::negotiate(Some("de")), Language::En);
        assert_eq!(Language::negotiate(None), Language::En);
    }

    #[test]
    fn every_language_has_its_own_texts() {
        assert_ne!(NL.sign_in, FR.sign_in);
        assert_ne!(FR.sign_in, EN.sign_in);
        for language in Language::ALL {
            assert_eq!(Language::from_code(language.code()), Some(language));
        }
    }
}
