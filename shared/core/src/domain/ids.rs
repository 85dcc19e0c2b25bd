//! Typed identifiers, so a document id can never be passed where a connection id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a raw identifier.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// The raw identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

string_id!(
    /// One Koppel connection: a Teamleader department linked to one ledger administration.
    ConnectionId
);
string_id!(
    /// A Teamleader Focus account (the tenant).
    AccountId
);
string_id!(
    /// A Teamleader department (legal entity inside an account).
    DepartmentId
);
string_id!(
    /// A Teamleader invoice or credit note id (UUID).
    DocumentId
);
string_id!(
    /// One execution of a job, carried in logs and reports.
    RunId
);
string_id!(
    /// The ledger's own identifier of a customer (an account GUID, a relation
    /// id, …).
    LedgerCustomerId
);
string_id!(
    /// The ledger's own identifier of a posted entry (an entry GUID, a booking key, …).
    LedgerEntryId
);
string_id!(
    /// A Teamleader tax rate id (tax rates are per department).
    TaxRateId
);
string_id!(
    /// A Teamleader product category id.
    ProductCategoryId
);

impl RunId {
    /// A fresh random run id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }
}
