//! Clearfacts' one GraphQL endpoint: the operations Koppel sends (ids and names always in
//! variables, never spliced into the text), the `{data, errors}` envelope, and errors as
//! Koppel's [`ExternalError`]s.

use super::refusals::{self, Refusal, SYSTEM};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// The companies the signed-in user reaches.
pub const ADMINISTRATIONS: &str =
    "query administrations { administrations { name companyNumber } }";

/// One company (checks access to the connection's company at every run).
pub const ADMINISTRATION: &str = "query administration($companyNumber: String!) { administration(companyNumber: $companyNumber) { name companyNumber } }";

/// The upload mutation, sent as the multipart field `query` (arguments lowercase, as the
/// schema names them).
pub const UPLOAD: &str = "mutation upload($vatNumber: String!, $fileName: String!, $invoiceType: InvoiceTypeArgument!) { uploadFile(vatnumber: $vatNumber, filename: $fileName, invoicetype: $invoiceType) { uuid amountOfPages } }";

/// Most documents asked in one payment-state request (aliases in one query).
pub const STATES_PER_REQUEST: usize = 50;

/// The payment states of `count` documents in one request: one aliased `document` field per
/// id (`d0` … `dN`), each id in its own variable `$d0` … `$dN`.
pub fn payment_states_query(count: usize) -> String {
    let variables: Vec<String> = (0..count).map(|i| format!("$d{i}: String!")).collect();
    let fields: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "d{i}: document(id: $d{i}) {{ ... on InvoiceDocument {{ type paymentState }} }}"
            )
        })
        .collect();
    format!(
        "query paymentStates({}) {{ {} }}",
        variables.join(", "),
        fields.join(" ")
    )
}

/// A request body: the operation and its variables.
#[derive(Debug, Serialize)]
pub struct Request<'a> {
    /// The operation text.
    pub query: &'a str,
    /// Its variables.
    pub variables: serde_json::Value,
}

/// The answer envelope.
#[derive(Debug, Deserialize)]
pub struct Response<T> {
    /// The data (partial when some fields failed).
    pub data: Option<T>,
    /// Errors, each with the path of the field that failed when it is one field.
    #[serde(default)]
    pub errors: Vec<GraphqlError>,
}

/// One GraphQL error.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphqlError {
    /// Clearfacts' words.
    pub message: String,
    /// The failed field's path (its alias first), empty for a request-level error.
    #[serde(default)]
    pub path: Vec<serde_json::Value>,
}

impl GraphqlError {
    /// The alias of the failed top-level field, if the error names one.
    pub fn alias(&self) -> Option<&str> {
        self.path.first().and_then(|p| p.as_str())
    }
}

impl<T> Response<T> {
    /// The data, or the first error as an [`ExternalError`] when there is none.
    pub fn into_data(self, operation: &str) -> Result<T, ExternalError> {
        match (self.data, self.errors.first()) {
            (Some(data), _) => Ok(data),
            (None, Some(error)) => Err(refused(&error.message)),
            (None, None) => Err(ExternalError::Malformed {
                system: SYSTEM,
                endpoint: operation.to_owned(),
                detail: "an answer with neither data nor errors".to_owned(),
            }),
        }
    }
}

/// A GraphQL error as Koppel's error: a lost permission stops the run (every call would
/// fail alike), anything else refuses this one request.
pub fn refused(message: &str) -> ExternalError {
    let message = refusals::advice(message);
    match refusals::classify(&message) {
        Refusal::Access => ExternalError::ConnectionRefused {
            system: SYSTEM,
            status: 200,
            message,
        },
        Refusal::Document => ExternalError::Rejected {
            system: SYSTEM,
            status: 200,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_documents_go_in_one_query_each_id_in_a_variable() {
        let query = payment_states_query(2);
        assert_eq!(
            query,
            "query paymentStates($d0: String!, $d1: String!) { d0: document(id: $d0) { ... on InvoiceDocument { type paymentState } } d1: document(id: $d1) { ... on InvoiceDocument { type paymentState } } }"
        );
    }

    #[test]
    fn errors_without_data_become_koppel_errors() {
        let answer: Response<serde_json::Value> = serde_json::from_str(
            r#"{"data":null,"errors":[{"message":"Access denied: the token lacks the scope \"upload_document\""}]}"#,
        )
        .expect("parses");
        assert!(matches!(
            answer.into_data("uploadFile"),
            Err(ExternalError::ConnectionRefused { .. })
        ));
        let answer: Response<serde_json::Value> = serde_json::from_str(
            r#"{"data":null,"errors":[{"message":"Unsupported file: upload a PDF, a JPEG or a Peppol BIS 3 / UBL.BE XML"}]}"#,
        )
        .expect("parses");
        assert!(matches!(
            answer.into_data("uploadFile"),
            Err(ExternalError::Rejected { .. })
        ));
    }
}
