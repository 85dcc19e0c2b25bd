//! Reading and writing attribute maps without panicking: every missing or mistyped
//! attribute becomes a [`StoreError::Corrupt`] naming the item and the attribute.

use crate::schema::{TABLE_PK, TABLE_SK};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use koppel_core::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// One DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Builds an item attribute by attribute.
#[derive(Debug, Default)]
pub struct ItemBuilder(Item);

impl ItemBuilder {
    /// An item with its table keys.
    pub fn keyed(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self::default().s(TABLE_PK, pk).s(TABLE_SK, sk)
    }

    /// A string attribute.
    pub fn s(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0
            .insert(name.to_owned(), AttributeValue::S(value.into()));
        self
    }

    /// A string attribute when `value` is `Some`.
    pub fn opt_s(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.s(name, value),
            None => self,
        }
    }

    /// A number attribute.
    pub fn n(mut self, name: &str, value: i64) -> Self {
        self.0
            .insert(name.to_owned(), AttributeValue::N(value.to_string()));
        self
    }

    /// A boolean attribute.
    pub fn bool(mut self, name: &str, value: bool) -> Self {
        self.0.insert(name.to_owned(), AttributeValue::Bool(value));
        self
    }

    /// A binary attribute.
    pub fn bytes(mut self, name: &str, value: Vec<u8>) -> Self {
        self.0
            .insert(name.to_owned(), AttributeValue::B(Blob::new(value)));
        self
    }

    /// An instant as RFC 3339 text.
    pub fn time(self, name: &str, value: DateTime<Utc>) -> Self {
        self.s(name, super::keys::sortable_time(value))
    }

    /// The item.
    pub fn build(self) -> Item {
        self.0
    }
}

/// The two keys of a table item.
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    ItemBuilder::keyed(pk, sk).build()
}

/// Serialises a value as JSON text for a string attribute.
pub fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what: what.to_owned(),
        detail: format!("cannot be written as JSON: {e}"),
    })
}

/// The serde name of a unit enum variant ("active", "needs_reauth" …).
pub fn enum_name<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        Ok(other) => Err(StoreError::Corrupt {
            what: what.to_owned(),
            detail: format!("expected a name, serialised as {other}"),
        }),
        Err(e) => Err(StoreError::Corrupt {
            what: what.to_owned(),
            detail: e.to_string(),
        }),
    }
}

/// Reads attributes of one item, naming the item in every error.
pub struct ItemReader<'a> {
    item: &'a Item,
    what: String,
}

impl<'a> ItemReader<'a> {
    /// A reader for `item`, described as `kind` plus its keys in errors.
    pub fn new(kind: &str, item: &'a Item) -> Self {
        let key = |name| match item.get(name) {
            Some(AttributeValue::S(value)) => value.as_str(),
            _ => "?",
        };
        let what = format!("{kind} item (pk {}, sk {})", key(TABLE_PK), key(TABLE_SK));
        Self { item, what }
    }

    /// A `Corrupt` error about this item.
    pub fn corrupt(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            what: self.what.clone(),
            detail: detail.into(),
        }
    }

    /// A required string attribute.
    pub fn s(&self, name: &str) -> Result<&'a str, StoreError> {
        self.opt_s(name)?
            .ok_or_else(|| self.corrupt(format!("attribute `{name}` is missing")))
    }

    /// An optional string attribute (absent or NULL is `None`).
    pub fn opt_s(&self, name: &str) -> Result<Option<&'a str>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(value)) => Ok(Some(value.as_str())),
            Some(_) => Err(self.corrupt(format!("attribute `{name}` is not a string"))),
        }
    }

    /// An optional integer number attribute.
    pub fn opt_n(&self, name: &str) -> Result<Option<i64>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(value)) => value.parse().map(Some).map_err(|_| {
                self.corrupt(format!("attribute `{name}` is not an integer: {value}"))
            }),
            Some(_) => Err(self.corrupt(format!("attribute `{name}` is not a number"))),
        }
    }

    /// A required binary attribute.
    pub fn bytes(&self, name: &str) -> Result<&'a [u8], StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::B(blob)) => Ok(blob.as_ref()),
            Some(_) => Err(self.corrupt(format!("attribute `{name}` is not binary"))),
            None => Err(self.corrupt(format!("attribute `{name}` is missing"))),
        }
    }

    /// A required RFC 3339 instant.
    pub fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
        let text = self.s(name)?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                self.corrupt(format!(
                    "attribute `{name}` is not an RFC 3339 time ({text}): {e}"
                ))
            })
    }

    /// A required string attribute holding JSON of `T`.
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T, StoreError> {
        let text = self.s(name)?;
        serde_json::from_str(text)
            .map_err(|e| self.corrupt(format!("attribute `{name}` does not decode: {e}")))
    }

    /// A required string attribute holding the serde name of a unit enum variant.
    pub fn enum_value<T: DeserializeOwned>(&self, name: &str) -> Result<T, StoreError> {
        let text = self.s(name)?;
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .map_err(|_| self.corrupt(format!("attribute `{name}` has an unknown value `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::ConnectionStatus;

    fn item() -> Item {
        ItemBuilder::keyed("CONN#c1", "META")
            .s("status", "needs_reauth")
            .n("count", 3)
            .s("when", "nonsense")
            .build()
    }

    #[test]
    fn reads_typed_attributes() {
        let item = item();
        let reader = ItemReader::new("connection", &item);
        assert_eq!(reader.s("pk").unwrap(), "CONN#c1");
        assert_eq!(reader.opt_n("count").unwrap(), Some(3));
        assert_eq!(
            reader.enum_value::<ConnectionStatus>("status").unwrap(),
            ConnectionStatus::NeedsReauth
        );
        assert_eq!(reader.opt_s("absent").unwrap(), None);
    }

    #[test]
    fn malformed_attributes_are_corrupt_errors_naming_item_and_attribute() {
        let item = item();
        let reader = ItemReader::new("connection", &item);
        let errors = [
            reader.s("absent").unwrap_err(),
            reader.s("count").unwrap_err(),
            reader.time("when").unwrap_err(),
            reader.json::<u32>("status").unwrap_err(),
        ];
        for (error, attribute) in errors.iter().zip(["absent", "count", "when", "status"]) {
            match error {
                StoreError::Corrupt { what, detail } => {
                    assert_eq!(what, "connection item (pk CONN#c1, sk META)");
                    assert!(detail.contains(attribute), "{detail}");
                }
                other => panic!("expected Corrupt, got {other:?}"),
            }
        }
    }

    #[test]
    fn enum_names_follow_serde() {
        assert_eq!(
            enum_name("s", &ConnectionStatus::NeedsReauth).unwrap(),
            "needs_reauth"
        );
    }
}
