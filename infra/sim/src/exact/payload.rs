//! Reading POST bodies the way Exact's OData layer does: a JSON object whose properties must
//! exist on the entity type (read-only ones are ignored) and convert to the property's type;
//! anything else is a 400 "Error processing request stream. …".

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::ApiError;
use super::schema::{EntitySchema, FieldType};
use super::wire;

/// A validated JSON object for one entity type.
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    schema: &'static EntitySchema,
    values: Map<String, Value>,
}

impl Payload {
    /// Parse a request body.
    pub(crate) fn from_body(body: &[u8], schema: &'static EntitySchema) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| ApiError::not_an_object())?;
        Self::from_value(value, schema)
    }

    /// Validate an already parsed value (nested entities).
    pub(crate) fn from_value(
        value: Value,
        schema: &'static EntitySchema,
    ) -> Result<Self, ApiError> {
        let Value::Object(values) = value else {
            return Err(ApiError::not_an_object());
        };
        for (name, value) in &values {
            if name == "__metadata" {
                continue;
            }
            let field = schema
                .field(name)
                .ok_or_else(|| ApiError::unknown_property(name, schema.type_name))?;
            if field.writable && !value.is_null() && !converts(value, field.ty) {
                return Err(ApiError::conversion(name, field.ty.short()));
            }
        }
        Ok(Self { schema, values })
    }

    fn get(&self, name: &str) -> Option<&Value> {
        debug_assert!(
            self.schema.field(name).is_some(),
            "{name} not in {}",
            self.schema.type_name
        );
        let field = self.schema.field(name)?;
        if !field.writable {
            return None;
        }
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// A text property; empty or blank text counts as absent.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// A GUID property.
    pub(crate) fn guid(&self, name: &str) -> Option<Uuid> {
        self.get(name).and_then(Value::as_str).and_then(parse_guid)
    }

    /// An integer property.
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(parse_int)
    }

    /// A decimal property (amounts, quantities).
    pub(crate) fn decimal(&self, name: &str) -> Option<Decimal> {
        self.get(name).and_then(wire::parse_decimal)
    }

    /// A boolean property.
    pub(crate) fn boolean(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }

    /// A date-time property.
    pub(crate) fn datetime(&self, name: &str) -> Option<NaiveDateTime> {
        self.get(name)
            .and_then(Value::as_str)
            .and_then(wire::parse_client_datetime)
    }

    /// A date property (the day of a date-time).
    pub(crate) fn date(&self, name: &str) -> Option<NaiveDate> {
        self.datetime(name).map(|dt| dt.date())
    }

    /// A binary property (base64).
    pub(crate) fn binary(&self, name: &str) -> Option<Vec<u8>> {
        self.get(name)
            .and_then(Value::as_str)
            .and_then(decode_base64)
    }

    /// The raw value of a navigation property (nested entities).
    pub(crate) fn nested(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }

    /// The writable, non-null properties the caller sets apart from the key and those in
    /// `handled`, in the form Exact answers them with (so a resource can keep and echo what
    /// it does not model).
    pub(crate) fn others(&self, handled: &[&str]) -> BTreeMap<String, Value> {
        self.values
            .iter()
            .filter(|(name, value)| {
                !value.is_null()
                    && name.as_str() != self.schema.key
                    && !handled.contains(&name.as_str())
            })
            .filter_map(|(name, value)| {
                let field = self.schema.field(name)?;
                if !field.writable || matches!(field.ty, FieldType::Nav | FieldType::Complex) {
                    return None;
                }
                Some((name.clone(), answer_form(value, field.ty)))
            })
            .collect()
    }
}

fn parse_guid(text: &str) -> Option<Uuid> {
    let trimmed = text.trim().trim_start_matches('{').trim_end_matches('}');
    Uuid::parse_str(trimmed).ok()
}

fn parse_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// A payload value (already known to convert) as Exact writes it in answers: text as text,
/// numbers as numbers, canonical GUIDs, `/Date(ms)/` dates.
fn answer_form(value: &Value, ty: FieldType) -> Value {
    let converted = match ty {
        FieldType::Text => match value {
            Value::String(_) => None,
            other => Some(Value::String(other.to_string())),
        },
        FieldType::Guid => value.as_str().and_then(parse_guid).map(wire::guid),
        FieldType::Byte | FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
            parse_int(value).map(Value::from)
        }
        FieldType::Double => wire::parse_decimal(value).map(wire::number),
        FieldType::DateTime => value
            .as_str()
            .and_then(wire::parse_client_datetime)
            .map(wire::datetime),
        FieldType::Boolean | FieldType::Binary | FieldType::Nav | FieldType::Complex => None,
    };
    converted.unwrap_or_else(|| value.clone())
}

fn converts(value: &Value, ty: FieldType) -> bool {
    match ty {
        FieldType::Text => matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)),
        FieldType::Guid => value.as_str().and_then(parse_guid).is_some(),
        FieldType::Byte | FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => {
            match (parse_int(value), ty.integer_range()) {
                (Some(n), Some((low, high))) => (low..=high).contains(&n),
                _ => false,
            }
        }
        FieldType::Double => wire::parse_decimal(value).is_some(),
        FieldType::DateTime => value
            .as_str()
            .and_then(wire::parse_client_datetime)
            .is_some(),
        FieldType::Boolean => value.is_boolean(),
        FieldType::Binary => value.as_str().and_then(decode_base64).is_some(),
        FieldType::Nav => value.is_array() || value.is_object(),
        FieldType::Complex => value.is_object(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::schema::{ACCOUNT, DOCUMENT_ATTACHMENT, SALES_ENTRY};

    #[test]
    fn unknown_properties_and_bad_values_are_stream_errors() {
        let err = Payload::from_body(br#"{"Nmae":"x"}"#, &ACCOUNT).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(m) if m.contains("'Nmae'")));
        let err = Payload::from_body(b"not json", &ACCOUNT).unwrap_err();
        assert!(
            matches!(err, ApiError::BadRequest(m) if m.contains("valid top-level resource object"))
        );
        let err = Payload::from_body(br#"{"Attachment":"%%%"}"#, &DOCUMENT_ATTACHMENT).unwrap_err();
        assert!(
            matches!(err, ApiError::BadRequest(m) if m.contains("property 'Attachment' to type 'Byte[]'"))
        );
        let err = Payload::from_body(br#"{"EntryNumber":"abc"}"#, &SALES_ENTRY).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(m) if m.contains("'Int32'")));
    }

    #[test]
    fn other_writable_properties_are_kept_in_answer_form() {
        let p = Payload::from_body(
            br#"{"Name":"N","InvoiceAttachmentType":"2","PaymentConditionSales":14,"IsSales":true,"Parent":"{0F8FAD5B-D9CB-469F-A165-70867728950E}","StartDate":"2026-03-15","BankAccounts":[],"TradeName":null}"#,
            &ACCOUNT,
        )
        .unwrap();
        let others = p.others(&["Name"]);
        assert_eq!(
            others.keys().collect::<Vec<_>>(),
            [
                "InvoiceAttachmentType",
                "Parent",
                "PaymentConditionSales",
                "StartDate"
            ]
        );
        assert_eq!(others["InvoiceAttachmentType"], 2);
        assert_eq!(others["PaymentConditionSales"], "14");
        assert_eq!(others["Parent"], "0f8fad5b-d9cb-469f-a165-70867728950e");
        assert!(others["StartDate"].as_str().unwrap().starts_with("/Date("));
    }

    #[test]
    fn read_only_properties_are_ignored_and_values_convert() {
        let p = Payload::from_body(
            br#"{"Type":21,"EntryNumber":"42","Customer":"{0f8fad5b-d9cb-469f-a165-70867728950e}","EntryDate":"2026-03-15T00:00:00","YourRef":"  "}"#,
            &SALES_ENTRY,
        )
        .unwrap();
        assert_eq!(p.int("Type"), None);
        assert_eq!(p.int("EntryNumber"), Some(42));
        assert!(p.guid("Customer").is_some());
        assert_eq!(p.date("EntryDate"), NaiveDate::from_ymd_opt(2026, 3, 15));
        assert_eq!(p.text("YourRef"), None);
    }
}
