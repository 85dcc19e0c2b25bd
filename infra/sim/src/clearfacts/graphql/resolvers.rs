//! Clearfacts' fields: administrations, journals, customers, documents and the upload, each
//! behind its scope and limited to the administrations the token's user may see.

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::CATEGORY_AUTHORIZATION;
use super::CATEGORY_USER;
use super::execute::{FieldError, Resolved, Resolver};
use crate::clearfacts::files::detect;
use crate::clearfacts::model::{
    Address, Administration, Country, Customer, Email, InvoiceType, Journal, PaymentState, Upload,
};
use crate::clearfacts::options::CUSTOMERS_PAGE_SIZE;
use crate::clearfacts::state::SimState;
use crate::clearfacts::tokens::AccessGrant;

/// The refusal of an upload without a `file` part (a JSON request, for one).
pub const NO_FILE: &str = "No file was uploaded: send the file as the multipart field `file`";
/// The refusal of an unknown document or one of an administration the user cannot see.
pub const DOCUMENT_NOT_FOUND: &str = "Document not found";

/// The multipart `file` part of a request.
#[derive(Debug, Clone)]
pub(crate) struct UploadedFile {
    pub(crate) bytes: Bytes,
}

/// A runtime object of the schema.
#[derive(Debug, Clone)]
pub(crate) enum Object {
    Query,
    Mutation,
    Administration(Box<Administration>),
    Email(Email),
    Address(Address),
    Country(Country),
    Journal(Journal),
    Customer(Customer),
    Document(Box<Upload>),
    UploadedFile { uuid: String, pages: u32 },
}

/// Resolves fields for one request of one user.
pub(crate) struct Clearfacts<'s> {
    pub(crate) state: &'s mut SimState,
    pub(crate) grant: &'s AccessGrant,
    pub(crate) file: Option<&'s UploadedFile>,
    pub(crate) now: DateTime<Utc>,
    /// Uuids stored by this request.
    pub(crate) stored: Vec<String>,
}

fn refused(message: impl Into<String>) -> FieldError {
    FieldError {
        message: message.into(),
        category: CATEGORY_USER,
    }
}

fn text(value: &str) -> Resolved<Object> {
    Resolved::Leaf(Value::String(value.to_owned()))
}

fn optional_text(value: Option<&str>) -> Resolved<Object> {
    value.map_or(Resolved::Null, text)
}

fn argument<'m>(arguments: &'m Map<String, Value>, name: &str) -> &'m str {
    arguments
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A company number as the API takes it: `BE`, dots, dashes and spaces dropped, a 9-digit
/// number gets its leading 0; `None` unless 10 digits remain.
pub fn normalize_company_number(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let without_country = trimmed
        .strip_prefix("BE")
        .or_else(|| trimmed.strip_prefix("be"))
        .unwrap_or(trimmed);
    let digits: String = without_country
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '-'))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match digits.len() {
        10 => Some(digits),
        9 => Some(format!("0{digits}")),
        _ => None,
    }
}

impl Clearfacts<'_> {
    fn require(&self, scopes: &[&str]) -> Result<(), FieldError> {
        if scopes.iter().any(|s| self.grant.has_scope(s)) {
            return Ok(());
        }
        Err(FieldError {
            message: format!(
                "Access denied: the token lacks the scope \"{}\"",
                scopes.first().copied().unwrap_or_default()
            ),
            category: CATEGORY_AUTHORIZATION,
        })
    }

    fn may_see(&self, company_number: &str) -> bool {
        self.state
            .user(&self.grant.subject.username)
            .is_some_and(|u| u.administrations.contains(company_number))
            && self.state.administrations.contains_key(company_number)
    }

    fn administration(&self, company_number: &str) -> Result<&Administration, FieldError> {
        let normalized = normalize_company_number(company_number);
        normalized
            .as_deref()
            .filter(|c| self.may_see(c))
            .and_then(|c| self.state.administrations.get(c))
            .ok_or_else(|| refused(format!("Administration \"{company_number}\" not found")))
    }

    fn query(
        &mut self,
        field: &str,
        arguments: &Map<String, Value>,
    ) -> Result<Resolved<Object>, FieldError> {
        match field {
            "administrations" => {
                self.require(&["read_administrations"])?;
                let visible: Vec<Resolved<Object>> = self
                    .state
                    .administrations
                    .values()
                    .filter(|a| self.may_see(&a.company_number))
                    .map(|a| Resolved::Object(Object::Administration(Box::new(a.clone()))))
                    .collect();
                Ok(Resolved::List(visible))
            }
            "administration" => {
                self.require(&["read_administrations"])?;
                let administration = self.administration(argument(arguments, "companyNumber"))?;
                Ok(Resolved::Object(Object::Administration(Box::new(
                    administration.clone(),
                ))))
            }
            "journals" => {
                self.require(&["journal_read"])?;
                let administration = self.administration(argument(arguments, "companyNumber"))?;
                Ok(Resolved::List(
                    administration
                        .journals
                        .iter()
                        .map(|j| Resolved::Object(Object::Journal(j.clone())))
                        .collect(),
                ))
            }
            "customers" => {
                self.require(&["contact_read"])?;
                let offset = arguments.get("offset").and_then(Value::as_i64).unwrap_or(0);
                let offset =
                    usize::try_from(offset).map_err(|_| refused("The offset must be 0 or more"))?;
                let administration = self.administration(argument(arguments, "companyNumber"))?;
                Ok(Resolved::List(
                    administration
                        .customers
                        .iter()
                        .skip(offset)
                        .take(CUSTOMERS_PAGE_SIZE)
                        .map(|c| Resolved::Object(Object::Customer(c.clone())))
                        .collect(),
                ))
            }
            "document" => {
                self.require(&["upload_document", "archive_read"])?;
                let id = argument(arguments, "id");
                let upload = self
                    .state
                    .upload(id)
                    .filter(|u| self.may_see(&u.company_number))
                    .ok_or_else(|| refused(DOCUMENT_NOT_FOUND))?;
                Ok(Resolved::Object(Object::Document(Box::new(upload.clone()))))
            }
            _ => Ok(Resolved::Null),
        }
    }

    fn upload(&mut self, arguments: &Map<String, Value>) -> Result<Resolved<Object>, FieldError> {
        self.require(&["upload_document"])?;
        let file = self.file.ok_or_else(|| refused(NO_FILE))?;
        let vat_number = argument(arguments, "vatnumber");
        let company_number = self.administration(vat_number)?.company_number.clone();
        let file_name = argument(arguments, "filename").trim().to_owned();
        if file_name.is_empty() {
            return Err(refused("The filename must not be empty"));
        }
        let invoice_type = InvoiceType::parse(argument(arguments, "invoicetype"))
            .ok_or_else(|| refused("Unknown invoicetype"))?;
        let detected = detect(&file.bytes).map_err(|error| {
            tracing::info!(reason = %error.reason, file_name, "clearfacts sim: upload refused");
            refused(error.to_string())
        })?;
        let uuid = uuid::Uuid::new_v4().to_string().to_uppercase();
        let ubl = detected.ubl.as_ref();
        let upload = Upload {
            uuid: uuid.clone(),
            company_number,
            file_name,
            invoice_type,
            kind: detected.kind,
            xml_root: ubl.map(|u| u.root.clone()),
            xml_id: ubl.and_then(|u| u.id.clone()),
            customization_id: ubl.and_then(|u| u.customization_id.clone()),
            issue_date: ubl.and_then(|u| u.issue_date),
            size: file.bytes.len(),
            sha256: Sha256::digest(&file.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            amount_of_pages: detected.pages,
            uploaded_at: self.now,
            uploaded_by: self.grant.subject.username.clone(),
            client_id: self.grant.client_id.clone(),
            comment: arguments
                .get("comment")
                .and_then(Value::as_str)
                .map(str::to_owned),
            payment_state: PaymentState::Unpaid,
            answer_lost: false,
        };
        tracing::info!(uuid, company = %upload.company_number, kind = ?upload.kind, "clearfacts sim: document uploaded");
        self.state.files.insert(uuid.clone(), file.bytes.clone());
        self.state.uploads.push(upload);
        self.state.stats.uploads_stored += 1;
        self.stored.push(uuid.clone());
        Ok(Resolved::Object(Object::UploadedFile {
            uuid,
            pages: detected.pages,
        }))
    }
}

impl Resolver for Clearfacts<'_> {
    type Object = Object;

    fn type_name(&self, object: &Object) -> &'static str {
        match object {
            Object::Query => "Query",
            Object::Mutation => "Mutation",
            Object::Administration(_) => "Administration",
            Object::Email(_) => "Email",
            Object::Address(_) => "Address",
            Object::Country(_) => "Country",
            Object::Journal(_) => "Journal",
            Object::Customer(_) => "Customer",
            Object::Document(_) => "InvoiceDocument",
            Object::UploadedFile { .. } => "UploadedFile",
        }
    }

    fn resolve(
        &mut self,
        object: &Object,
        field: &str,
        arguments: &Map<String, Value>,
    ) -> Result<Resolved<Object>, FieldError> {
        Ok(match object {
            Object::Query => {
                self.state.stats.count(field);
                return self.query(field, arguments);
            }
            Object::Mutation => {
                self.state.stats.count(field);
                return match field {
                    "uploadFile" => {
                        let result = self.upload(arguments);
                        if result.is_err() {
                            self.state.stats.uploads_refused += 1;
                        }
                        result
                    }
                    _ => Ok(Resolved::Null),
                };
            }
            Object::Administration(a) => match field {
                "name" => text(&a.name),
                "companyNumber" => text(&a.company_number),
                "accountManager" => optional_text(a.account_manager.as_deref()),
                "emails" => Resolved::List(
                    a.emails
                        .iter()
                        .map(|e| Resolved::Object(Object::Email(e.clone())))
                        .collect(),
                ),
                "address" => Resolved::Object(Object::Address(a.address.clone())),
                _ => Resolved::Null,
            },
            Object::Email(e) => match field {
                "type" => text(&e.kind),
                "emailAddress" => text(&e.email_address),
                _ => Resolved::Null,
            },
            Object::Address(address) => match field {
                "streetAddress" => optional_text(address.street_address.as_deref()),
                "country" => address
                    .country
                    .clone()
                    .map_or(Resolved::Null, |c| Resolved::Object(Object::Country(c))),
                _ => Resolved::Null,
            },
            Object::Country(c) => match field {
                "iso2" => text(&c.iso2),
                "name" => text(&c.name),
                _ => Resolved::Null,
            },
            Object::Journal(j) => match field {
                "id" => text(&j.id),
                "name" => text(&j.name),
                "creditNote" => Resolved::Leaf(Value::Bool(j.credit_note)),
                _ => Resolved::Null,
            },
            Object::Customer(c) => match field {
                "id" => text(&c.id),
                "name" => text(&c.name),
                _ => Resolved::Null,
            },
            Object::Document(d) => match field {
                "id" => text(&d.uuid),
                "date" => d.issue_date.map_or(Resolved::Null, |date| {
                    text(&date.format("%Y-%m-%d").to_string())
                }),
                "type" => text(d.invoice_type.as_str()),
                "paymentState" => text(d.payment_state.as_str()),
                _ => Resolved::Null,
            },
            Object::UploadedFile { uuid, pages } => match field {
                "uuid" => text(uuid),
                "amountOfPages" => Resolved::Leaf(Value::from(*pages)),
                _ => Resolved::Null,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_company_number;

    #[test]
    fn company_numbers_in_the_usual_spellings() {
        assert_eq!(
            normalize_company_number("0899623035").as_deref(),
            Some("0899623035")
        );
        assert_eq!(
            normalize_company_number("BE0899.623.035").as_deref(),
            Some("0899623035")
        );
        assert_eq!(
            normalize_company_number("BE 0899 623 035").as_deref(),
            Some("0899623035")
        );
        assert_eq!(
            normalize_company_number("899623035").as_deref(),
            Some("0899623035")
        );
        assert_eq!(normalize_company_number("NL0899623035"), None);
        assert_eq!(normalize_company_number("12345"), None);
    }
}
