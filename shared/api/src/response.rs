//! A successful answer, and reading it into Koppel's types with errors that name the field.

use koppel_core::ExternalError;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

/// A 2xx answer of an outside API.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// System that answered ("Teamleader Focus", …), for error messages.
    pub system: &'static str,
    /// Endpoint that was called, for error messages.
    pub endpoint: String,
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// The body decoded as `T`; a body that does not fit becomes
    /// [`ExternalError::Malformed`] naming the endpoint and the path of the offending field
    /// (e.g. `data[3].total.amount: invalid type: null, expected a string`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ExternalError> {
        let mut deserializer = serde_json::Deserializer::from_slice(&self.body);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            let detail = if path.is_empty() || path == "." {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            };
            self.malformed(detail)
        })?;
        deserializer
            .end()
            .map_err(|error| self.malformed(format!("trailing data: {error}")))?;
        Ok(value)
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// An [`ExternalError::Malformed`] about this response.
    pub fn malformed(&self, detail: impl Into<String>) -> ExternalError {
        ExternalError::Malformed {
            system: self.system,
            endpoint: self.endpoint.clone(),
            // Serde quotes what it could not read; a quoted web page must not become markup.
            detail: crate::error_body::without_markup(&detail.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Page {
        data: Vec<Item>,
    }
    #[derive(Debug, Deserialize)]
    struct Item {
        #[allow(dead_code)]
        id: String,
        #[allow(dead_code)]
        total: Total,
    }
    #[derive(Debug, Deserialize)]
    struct Total {
        #[allow(dead_code)]
        amount: String,
    }

    fn response(body: &str) -> ApiResponse {
        ApiResponse {
            system: "Teamleader Focus",
            endpoint: "invoices.list".into(),
            status: 200,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn malformed_names_endpoint_and_field_path() {
        let error = response(
            r#"{"data":[{"id":"a","total":{"amount":"1"}},{"id":"b","total":{"amount":null}}]}"#,
        )
        .json::<Page>()
        .unwrap_err();
        match error {
            ExternalError::Malformed {
                system,
                endpoint,
                detail,
            } => {
                assert_eq!(system, "Teamleader Focus");
                assert_eq!(endpoint, "invoices.list");
                assert!(detail.starts_with("data[1].total.amount:"), "{detail}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn good_body_decodes() {
        let page = response(r#"{"data":[{"id":"a","total":{"amount":"1"}}]}"#)
            .json::<Page>()
            .unwrap();
        assert_eq!(page.data.len(), 1);
        assert!(matches!(
            response("{} x").json::<serde_json::Value>(),
            Err(ExternalError::Malformed { .. })
        ));
    }
}
