//! The onboarding pages: choosing the ledger administration, a ledger's credentials form,
//! and the settings form. The form shows the fields the ledger plug-in declares
//! ([`koppel_core::Onboarding::settings`]), so a new ledger needs no page change; the lists
//! offered are only those that can work: sales journals, exclusive unblocked VAT codes,
//! unblocked revenue accounts, financial journals for payments.

use super::{Frame, layout};
use crate::i18n::{Language, Texts};
use koppel_core::{
    Administration, Connection, ConnectionSettings, CredentialField, Finding, JournalKind,
    LedgerKind, LedgerReferenceData, SettingField, Severity, TaxRate, Wording,
};
use maud::{Markup, html};

/// The form value of a ledger ("exact_online", …: its serde name).
pub fn ledger_code(kind: LedgerKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The ledger a form value names.
pub fn ledger_from_code(code: &str) -> Option<LedgerKind> {
    serde_json::from_value(serde_json::Value::from(code)).ok()
}

fn word(language: Language, wording: &Wording) -> &'static str {
    match language {
        Language::Nl => wording.nl,
        Language::Fr => wording.fr,
        Language::En => wording.en,
    }
}

/// The choice of the administration (division, dossier, …) to link.
pub fn administrations(
    frame: &Frame<'_>,
    csrf: &str,
    connection: &Connection,
    wording: &Wording,
    list: &[Administration],
) -> Markup {
    let t = frame.language.texts();
    let id = connection.id.as_str();
    layout(
        frame,
        t.setup_title,
        html! {
            p { a href="/teamleader" { "← " (t.back) } }
            h1 { (t.setup_title) " · " (connection.ledger.display_name()) }
            section.card {
                form method="post" action=(format!("/connections/{id}/administration")) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="administration" { (t.choose_administration) " (" (word(frame.language, wording)) ")" }
                    select #administration name="administration" required {
                        @for a in list {
                            option value=(a.id) selected[a.current || a.id == connection.ledger_company] { (a.name) " (" (a.id) ")" }
                        }
                    }
                    div.actions { button.button.primary type="submit" { (t.next) } }
                }
            }
        },
    )
}

/// The form of a ledger signed into with credentials (user name and password, a token).
pub fn credentials(
    frame: &Frame<'_>,
    csrf: &str,
    connection: &Connection,
    fields: &[CredentialField],
    problem: Option<&str>,
) -> Markup {
    let t = frame.language.texts();
    let id = connection.id.as_str();
    layout(
        frame,
        t.setup_title,
        html! {
            h1 { (t.setup_title) " · " (connection.ledger.display_name()) }
            @if let Some(problem) = problem { p.reason role="alert" { (problem) } }
            section.card {
                form method="post" action=(format!("/connections/{id}/credentials")) autocomplete="off" {
                    input type="hidden" name="csrf" value=(csrf);
                    @for field in fields {
                        div.field {
                            label for=(field.name) { (word(frame.language, &field.label)) }
                            input id=(field.name) name=(field.name) required
                                type=(if field.secret { "password" } else { "text" });
                        }
                    }
                    div.actions { button.button.primary type="submit" { (t.sign_in_ledger) } }
                }
            }
        },
    )
}

/// What the settings form shows.
pub struct SettingsForm<'a> {
    /// The connection.
    pub connection: &'a Connection,
    /// The fields the ledger asks for, in order.
    pub fields: &'a [SettingField],
    /// The ledger's current lists.
    pub reference: &'a LedgerReferenceData,
    /// The department's Teamleader tax rates.
    pub tax_rates: &'a [TaxRate],
    /// The values shown (saved ones, or suggestions for a new connection).
    pub settings: &'a ConnectionSettings,
    /// Whether automatic sync may be turned on.
    pub may_sync_automatically: bool,
    /// Whether this is the first set-up (offers the company import, where the ledger has
    /// customers).
    pub first_setup: bool,
    /// The ledger keeps customers (the company import applies).
    pub ledger_has_customers: bool,
    /// The pre-flight's findings of a refused save.
    pub findings: &'a [Finding],
}

fn select(
    t: &Texts,
    name: &str,
    label: &str,
    options: &[(String, String)],
    chosen: Option<&str>,
    optional: bool,
) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            select id=(name) name=(name) required[!optional] {
                @if optional || chosen.is_none() {
                    option value="" selected[chosen.is_none()] { (t.none_option) }
                }
                @for (value, text) in options {
                    option value=(value) selected[Some(value.as_str()) == chosen] { (text) }
                }
            }
        }
    }
}

/// The settings form of a connection.
pub fn settings(frame: &Frame<'_>, csrf: &str, form: &SettingsForm<'_>) -> Markup {
    let t = frame.language.texts();
    let id = form.connection.id.as_str();
    let reference = form.reference;
    let settings = form.settings;
    let journals = |kinds: &[JournalKind]| -> Vec<(String, String)> {
        reference
            .journals
            .iter()
            .filter(|j| kinds.contains(&j.kind))
            .map(|j| (j.code.clone(), format!("{} · {}", j.code, j.description)))
            .collect()
    };
    let sales = journals(&[JournalKind::Sales, JournalKind::SalesReturns]);
    let financial = journals(&[JournalKind::Financial]);
    let revenue: Vec<(String, String)> = reference
        .gl_accounts
        .iter()
        .filter(|a| a.is_revenue && !a.blocked)
        .map(|a| (a.code.clone(), format!("{} · {}", a.code, a.description)))
        .collect();
    let vat_codes = |rate: &TaxRate| -> Vec<(String, String)> {
        let mut codes: Vec<_> = reference
            .vat_codes
            .iter()
            .filter(|c| c.exclusive && !c.blocked)
            .collect();
        codes.sort_by_key(|c| (c.percentage != rate.rate, c.code.clone()));
        codes
            .into_iter()
            .map(|c| {
                (
                    c.code.clone(),
                    format!(
                        "{} · {} ({}%)",
                        c.code,
                        c.description,
                        c.percentage.normalize()
                    ),
                )
            })
            .collect()
    };
    let blockers: Vec<&Finding> = form
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Blocker)
        .collect();
    let asks = |field: SettingField| form.fields.contains(&field);
    layout(
        frame,
        t.setup_title,
        html! {
            p { a href="/teamleader" { "← " (t.back) } }
            h1 { (t.setup_title) " · " (form.connection.ledger.display_name()) " " (form.connection.ledger_company) }
            @if !blockers.is_empty() {
                section.card.problem role="alert" {
                    h2 { (t.blockers) }
                    ul { @for finding in &blockers { li { (finding.text(frame.language.code())) } } }
                }
            }
            form.card.settings method="post" action=(format!("/connections/{id}/setup")) {
                input type="hidden" name="csrf" value=(csrf);
                @if asks(SettingField::InvoiceJournal) {
                    (select(t, "invoice_journal", t.invoice_journal, &sales, settings.invoice_journal.as_deref(), false))
                }
                @if asks(SettingField::CreditNoteJournal) {
                    (select(t, "credit_note_journal", t.credit_note_journal, &sales, settings.credit_note_journal.as_deref(), false))
                }
                @if asks(SettingField::VatCodes) && !form.tax_rates.is_empty() {
                    fieldset {
                        legend { (t.vat_codes) }
                        @for rate in form.tax_rates {
                            (select(t, &format!("vat.{}", rate.id.as_str()), &rate.description,
                                &vat_codes(rate), settings.vat_codes.get(&rate.id).map(String::as_str), false))
                        }
                    }
                }
                @if asks(SettingField::DefaultGlAccount) {
                    (select(t, "default_gl_account", t.default_revenue, &revenue, settings.default_gl_account.as_deref(), false))
                }
                @if asks(SettingField::DiscountGlAccount) {
                    (select(t, "discount_gl_account", t.discount_account, &revenue, settings.discount_gl_account.as_deref(), true))
                }
                @if asks(SettingField::GlAccountByTaxRate) && !form.tax_rates.is_empty() {
                    fieldset {
                        legend { (t.revenue_by_tax_rate) }
                        @for rate in form.tax_rates {
                            (select(t, &format!("gl.{}", rate.id.as_str()), &rate.description,
                                &revenue, settings.gl_account_by_tax_rate.get(&rate.id).map(String::as_str), true))
                        }
                    }
                }
                @if asks(SettingField::StartDate) {
                    div.field {
                        label for="start_date" { (t.start_date) }
                        input #start_date type="date" name="start_date" required
                            value=(settings.start_date.map(|d| d.to_string()).unwrap_or_default());
                    }
                }
                @if asks(SettingField::AttachPdf) {
                    div.check {
                        input #attach_pdf type="checkbox" name="attach_pdf" value="on" checked[settings.attach_pdf];
                        label for="attach_pdf" { (t.attach_pdf) }
                    }
                }
                @if asks(SettingField::AutomaticSync) {
                    @if form.may_sync_automatically {
                        div.check {
                            input #automatic_sync type="checkbox" name="automatic_sync" value="on" checked[settings.automatic_sync];
                            label for="automatic_sync" { (t.automatic_sync) }
                        }
                    } @else {
                        p.muted { (t.automatic_after_manual) }
                    }
                }
                @if form.first_setup && form.ledger_has_customers {
                    div.check {
                        input #import_companies type="checkbox" name="import_companies" value="on";
                        label for="import_companies" { (t.import_companies_now) }
                    }
                }
                @if form.ledger_has_customers {
                    div.check {
                        input #private_without_numbers type="checkbox" name="private_without_numbers" value="on" checked[settings.private_customers_without_numbers];
                        label for="private_without_numbers" { (t.private_without_numbers) }
                    }
                }
                div.field {
                    label for="notify_email" { (t.notify_email) }
                    input #notify_email type="email" name="notify_email" value=(settings.notify_email.clone().unwrap_or_default());
                }
                @if !asks(SettingField::PaymentJournal) {
                    p.muted { (t.payments_stay_in_ledger) }
                } @else if !financial.is_empty() {
                    (select(t, "payment_journal", t.payment_journal, &financial, settings.payment_journal.as_deref(), true))
                    p.reason { (t.payment_journal_warning) }
                }
                div.actions { button.button.primary type="submit" { (t.save) } }
            }
        },
    )
}
