//! Buy/sell bookings: `POST /buysellbookings` with Octopus' validation, reading one back by
//! key, and `GET /buysellbookings/modified`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::budget::Group;
use super::error::{self, ApiError};
use super::model::{
    Attachment, Booking, BookingData, Dossier, SALES_BOOKINGS, format_timestamp,
    insertion_type_name, parse_timestamp,
};
use super::reference::no_bookyear;
use super::state::{Call, Shared};
use super::wire::{self, Params};

const POST: Call = Call::new(
    Group::Bookings,
    "POST /dossiers/{dossierId}/buysellbookings",
);
const GET_ONE: Call = Call::new(Group::Bookings, "GET /dossiers/{dossierId}/buysellbookings");
const MODIFIED: Call = Call::new(
    Group::Modified,
    "GET /dossiers/{dossierId}/buysellbookings/modified",
);

/// The POST body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostBody {
    buy_sell_booking_service_data: BookingData,
    #[serde(default)]
    attachments: Option<Vec<Attachment>>,
}

/// A booking as read back: the posted `buySellBookingServiceData` plus `modifiedTimeStamp`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BookingItem<'a> {
    #[serde(flatten)]
    data: &'a BookingData,
    modified_time_stamp: String,
}

fn item(booking: &Booking) -> BookingItem<'_> {
    BookingItem {
        data: &booking.data,
        modified_time_stamp: format_timestamp(booking.modified),
    }
}

/// Check a booking against the dossier, in Octopus' order; the first refusal wins.
pub(crate) fn validate(
    dossier: &Dossier,
    data: &BookingData,
    attachments: &[Attachment],
) -> Result<(), ApiError> {
    let bookyear_id = data.bookyear_key.id;
    let bookyear = dossier
        .bookyear(bookyear_id)
        .ok_or_else(|| no_bookyear(bookyear_id))?;
    if bookyear.closed {
        return Err(ApiError::invalid("Book year is closed"));
    }
    let key = data.journal_key.as_str();
    let journal = bookyear.journal(key).filter(|j| j.visible).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            error::JOURNAL_NOT_FOUND,
            format!("Journal {key} not found"),
        )
    })?;
    if journal.insertion_type != SALES_BOOKINGS {
        return Err(ApiError::invalid(format!(
            "Journal {key} has the wrong type: it should be {} but is {}",
            insertion_type_name(SALES_BOOKINGS),
            insertion_type_name(journal.insertion_type)
        )));
    }
    if dossier.locked_journals.contains_key(key) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            error::JOURNAL_IN_USE,
            format!("Journal {key} is in use by another user"),
        ));
    }
    if journal.closed {
        return Err(ApiError::invalid(format!("Journal {key} is closed")));
    }
    let number = data.bookyear_periode_nr;
    let period = bookyear
        .period(number)
        .ok_or_else(|| ApiError::invalid(format!("Book year period {number} does not exist")))?;
    let up_to = |limit: i32| limit != 0 && number <= limit;
    if up_to(journal.closed_period)
        || up_to(journal.protected_period)
        || bookyear.closed_periods.contains(&number)
    {
        return Err(ApiError::invalid("Book year period is closed"));
    }
    if data.document_date < period.start_date || data.document_date > period.end_date {
        return Err(ApiError::invalid(format!(
            "Document date {} is not in book year period {number}",
            data.document_date
        )));
    }
    let document_nr = data.document_sequence_nr;
    if document_nr < 1 {
        return Err(ApiError::invalid(format!(
            "Document sequence number {document_nr} is not valid: it must be 1 or more"
        )));
    }
    if dossier
        .bookings
        .iter()
        .any(|b| b.is(bookyear_id, key, document_nr))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            error::DUPLICATE_DOCUMENT,
            format!("Document sequence number {document_nr} already exists in journal {key}"),
        ));
    }
    let ids = &data.relation_identification_service_data;
    let relation_found = if ids.relation_key.id != 0 {
        dossier
            .relations
            .iter()
            .any(|r| r.id() == ids.relation_key.id)
    } else {
        ids.external_relation_id != 0
            && dossier
                .relations
                .iter()
                .any(|r| r.external_id() == ids.external_relation_id)
    };
    if !relation_found {
        return Err(ApiError::invalid(if ids.relation_key.id != 0 {
            format!("Relation {} does not exist", ids.relation_key.id)
        } else {
            format!(
                "Relation with external id {} does not exist",
                ids.external_relation_id
            )
        }));
    }
    if data.booking_lines.is_empty() {
        return Err(ApiError::invalid(
            "A booking needs at least one booking line",
        ));
    }
    let mut sum = Decimal::ZERO;
    for (index, line) in data.booking_lines.iter().enumerate() {
        let n = index + 1;
        if !bookyear.accounts.iter().any(|a| a.id == line.account_key) {
            return Err(ApiError::invalid(format!(
                "Booking line {n}: account {} does not exist in book year {bookyear_id}",
                line.account_key
            )));
        }
        if !dossier
            .vat_codes
            .iter()
            .any(|v| v.code == line.vat_code_key)
        {
            return Err(ApiError::invalid(format!(
                "Booking line {n}: VAT code {} does not exist",
                line.vat_code_key
            )));
        }
        if line.base_amount.is_sign_negative() && !line.base_amount.is_zero()
            || line.vat_amount.is_sign_negative() && !line.vat_amount.is_zero()
        {
            return Err(ApiError::invalid(format!(
                "Booking line {n}: amounts must not be negative (a credit note has positive \
                 lines and a negative total amount)"
            )));
        }
        sum += line.base_amount + line.vat_amount;
    }
    let expected = if data.amount.is_sign_negative() {
        -sum
    } else {
        sum
    };
    if data.amount.round_dp(2) != expected.round_dp(2) {
        return Err(ApiError::invalid(format!(
            "Booking amount {:.2} does not equal the sum of the lines {:.2}",
            data.amount, expected
        )));
    }
    for attachment in attachments {
        if base64::engine::general_purpose::STANDARD
            .decode(attachment.file_data.trim())
            .is_err()
        {
            return Err(ApiError::invalid(format!(
                "Attachment {}: fileData is not valid base64",
                attachment.file_name
            )));
        }
    }
    Ok(())
}

/// `POST /dossiers/{dossierId}/buysellbookings`: 201 with an empty body.
pub(crate) async fn post(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let result = (|| {
        let (mut state, id) = shared.enter_dossier(POST, &dossier, &headers)?;
        let body: PostBody = wire::body(&bytes)?;
        let attachments = body.attachments.unwrap_or_default();
        let data = body.buy_sell_booking_service_data;
        let now = shared.now();
        let state = &mut *state;
        let dossier = state
            .dossiers
            .get_mut(&id)
            .ok_or_else(ApiError::invalid_token)?;
        validate(dossier, &data, &attachments)?;
        if let Some(journal) = dossier
            .bookyear_mut(data.bookyear_key.id)
            .and_then(|b| b.journal_mut(&data.journal_key))
        {
            journal.last_booked_document_nr = journal
                .last_booked_document_nr
                .max(data.document_sequence_nr);
        }
        dossier.bookings.push(Booking {
            open_amount: data.amount.abs(),
            data,
            attachments,
            modified: now,
        });
        state.stats.bookings_posted += 1;
        if state.faults.take_lost_booking() {
            tracing::info!("octopus sim: booking stored, answer lost");
            return Err(ApiError::LostAnswer);
        }
        Ok(StatusCode::CREATED.into_response())
    })();
    shared.respond(result)
}

/// `GET /dossiers/{dossierId}/buysellbookings?bookyearId=&journalKey=&documentSeqNr=`.
pub(crate) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(GET_ONE, &dossier, &headers)?;
        let bookyear = wire::int_param(&params, "bookyearId")?;
        let journal = wire::text_param(&params, "journalKey")
            .ok_or_else(|| ApiError::invalid("Query parameter journalKey is required"))?;
        let number = wire::int_param(&params, "documentSeqNr")?;
        let booking = state
            .dossiers
            .get(&id)
            .and_then(|d| d.bookings.iter().find(|b| b.is(bookyear, journal, number)))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    error::BOOKING_NOT_FOUND,
                    format!("Booking {journal}/{number} does not exist in book year {bookyear}"),
                )
            })?;
        Ok(wire::ok(&item(booking)))
    })();
    shared.respond(result)
}

/// `GET /dossiers/{dossierId}/buysellbookings/modified?bookyearId=N|-1[&journalKey=]&modifiedTimeStamp=`.
pub(crate) async fn modified(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(MODIFIED, &dossier, &headers)?;
        let bookyear = wire::int_param(&params, "bookyearId")?;
        let journal = wire::text_param(&params, "journalKey");
        let stamp = wire::text_param(&params, "modifiedTimeStamp")
            .ok_or_else(|| ApiError::invalid("Query parameter modifiedTimeStamp is required"))?;
        let since = parse_timestamp(stamp).ok_or_else(|| {
            ApiError::invalid(format!(
                "modifiedTimeStamp {stamp:?} is not a timestamp like yyyy-MM-dd HH:mm:ss.SSS"
            ))
        })?;
        let mut found: Vec<&Booking> = state
            .dossiers
            .get(&id)
            .map(|d| d.bookings.iter().collect())
            .unwrap_or_default();
        found.retain(|b| {
            (bookyear == -1 || b.data.bookyear_key.id == bookyear)
                && journal.is_none_or(|j| b.data.journal_key == j)
                && b.modified > since
        });
        if found.is_empty() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                error::NO_MODIFIED,
                "No modified bookings found",
            ));
        }
        found.sort_by_key(|b| b.modified);
        let items: Vec<BookingItem<'_>> = found.into_iter().map(item).collect();
        Ok(wire::ok(&items))
    })();
    shared.respond(result)
}
