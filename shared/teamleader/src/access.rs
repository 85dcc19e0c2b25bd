//! Which parts of Teamleader the signed-in user lets Koppel use. Koppel needs Invoices,
//! Departments, Companies, Contacts and Products (seed 002); a user without access to one of
//! them can sign in, but the runs would fail later. The connection page asks before anything
//! is saved: one page of one item from each area, a 403 meaning "no access".

use crate::TeamleaderClient;
use koppel_core::ExternalError;
use serde_json::{Value, json};

/// An area of Teamleader Koppel reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Invoices and credit notes (and tax rates).
    Invoices,
    /// Departments.
    Departments,
    /// Companies.
    Companies,
    /// Contacts.
    Contacts,
    /// Products (product categories hold revenue accounts).
    Products,
}

impl Area {
    /// Every area Koppel needs, with the cheapest call that needs it.
    pub const NEEDED: [(Area, &'static str); 5] = [
        (Area::Invoices, "invoices.list"),
        (Area::Departments, "departments.list"),
        (Area::Companies, "companies.list"),
        (Area::Contacts, "contacts.list"),
        (Area::Products, "productCategories.list"),
    ];
}

impl TeamleaderClient {
    /// The areas the signed-in user has no access to (empty: all is well). Five calls.
    pub async fn missing_access(&self) -> Result<Vec<Area>, ExternalError> {
        let mut missing = Vec::new();
        for (area, endpoint) in Area::NEEDED {
            let body = match area {
                Area::Departments | Area::Products => json!({}),
                _ => json!({"page": {"size": 1, "number": 1}}),
            };
            match self.call::<Value, Value>(endpoint, &body).await {
                Ok(_) => {}
                Err(ExternalError::Rejected { status: 403, .. }) => missing.push(area),
                Err(error) => return Err(error),
            }
        }
        Ok(missing)
    }
}
