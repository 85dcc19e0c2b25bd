//! `productCategories.list`: categories with their ledger account per department.

use crate::TeamleaderClient;
use crate::common::{Data, TypeAndId};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// The `filter` of productCategories.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProductCategoryFilter {
    /// Only categories with a ledger for this department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
}

/// The body of productCategories.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProductCategoryListRequest {
    /// Filters; omitted when empty.
    #[serde(skip_serializing_if = "ProductCategoryFilter::is_unset")]
    pub filter: ProductCategoryFilter,
}

impl ProductCategoryFilter {
    fn is_unset(&self) -> bool {
        self.department_id.is_none()
    }
}

/// A ledger account of a category in one department.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CategoryLedger {
    /// Department.
    pub department: TypeAndId,
    /// Ledger account number, e.g. "700000".
    pub ledger_account_number: String,
}

/// A product category as productCategories.list returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireProductCategory {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Ledger accounts per department.
    #[serde(default)]
    pub ledgers: Vec<CategoryLedger>,
}

/// Endpoints of the product-categories resource (`client.product_categories()`).
#[derive(Debug, Clone, Copy)]
pub struct ProductCategoriesApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl ProductCategoriesApi<'_> {
    /// productCategories.list.
    pub async fn list(
        &self,
        request: &ProductCategoryListRequest,
    ) -> Result<Vec<WireProductCategory>, ExternalError> {
        let list: Data<Vec<WireProductCategory>> =
            self.client.call("productCategories.list", request).await?;
        Ok(list.data)
    }
}
