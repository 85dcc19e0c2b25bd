//! The preview page: what the next export would post, document by document.

use super::{Frame, layout};
use crate::i18n::Texts;
use koppel_core::Connection;
use koppel_core::jobs::export::preview::{Preview, PreviewCustomer, PreviewOutcome};
use maud::{Markup, html};

fn customer_text(t: &Texts, customer: &PreviewCustomer) -> String {
    match customer {
        PreviewCustomer::Linked(id) => format!("{} ({id})", t.customer_linked),
        PreviewCustomer::Found { id, number } => format!(
            "{} {}",
            t.customer_found,
            number.clone().unwrap_or_else(|| id.to_string())
        ),
        PreviewCustomer::New(name) => format!("{} {name}", t.customer_new),
        PreviewCustomer::InDocument => t.customer_in_document.to_owned(),
    }
}

/// The preview of the next run of `connection`.
pub fn preview(frame: &Frame<'_>, connection: &Connection, preview: &Preview) -> Markup {
    let t = frame.language.texts();
    layout(
        frame,
        t.preview,
        html! {
            p { a href="/teamleader" { "← " (t.back) } }
            h1 { (t.preview) " · " (connection.ledger.display_name()) " " (connection.ledger_company) }
            p.lead { (t.preview_lead) }
            @if !preview.blockers.is_empty() {
                section.card.problem role="alert" {
                    h2 { (t.preview_blocked) }
                    ul { @for b in &preview.blockers { li { (b.text(frame.language.code())) } } }
                }
            }
            @if !preview.warnings.is_empty() {
                section.card {
                    h2 { (t.warnings) }
                    ul { @for w in &preview.warnings { li { (w.text(frame.language.code())) } } }
                }
            }
            @if preview.blockers.is_empty() && preview.items.is_empty() {
                section.card { p { (t.nothing_waiting) } }
            }
            @for item in &preview.items {
                section.card.preview-item {
                    h2 {
                        (frame.language.document_kind(item.summary.kind)) " " (item.summary.number.as_deref().unwrap_or_default())
                        " · " (item.summary.date.format("%d/%m/%Y"))
                    }
                    @match &item.outcome {
                        PreviewOutcome::Refused(reason) => {
                            p.reason { strong { (t.would_refuse) ": " } (reason) }
                        }
                        PreviewOutcome::Entry { entry, customer } => {
                            dl.facts {
                                dt { (t.journal) } dd { (entry.journal.as_deref().unwrap_or("—")) }
                                dt { (t.customer) } dd { (customer_text(t, customer)) }
                            }
                            div.table-wrap {
                                table {
                                    thead { tr {
                                        th scope="col" { (t.description) }
                                        th scope="col" { (t.account) }
                                        th scope="col" { (t.vat_code) }
                                        th scope="col" { (t.amount_excl) }
                                        th scope="col" { (t.vat_amount) }
                                    } }
                                    tbody {
                                        @for line in &entry.lines {
                                            tr {
                                                td { (line.description) }
                                                td.mono { (line.gl_account.as_deref().unwrap_or("—")) }
                                                td.mono { (line.vat_code.as_deref().unwrap_or("—")) }
                                                td.mono { (line.amount_excl) " " (entry.currency) }
                                                td.mono { (line.vat_amount) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if preview.truncated { p.muted { (t.more_waiting) } }
        },
    )
}
