//! deals.list: only what Koppel needs — whether any deal is with a customer (before it removes
//! a duplicate company its own import created).

use crate::client::TeamleaderClient;
use crate::common::{Data, Page, TypeAndId};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// Filters of deals.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DealFilter {
    /// Only deals with this customer (`{ "type": "company", "id": … }`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<TypeAndId>,
}

/// The body of deals.list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DealListRequest {
    /// Filters.
    pub filter: DealFilter,
    /// Page.
    pub page: Page,
}

/// A deal as deals.list returns it (the fields Koppel reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DealListItem {
    /// Id.
    pub id: String,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
}

/// Endpoints of the deals resource (`client.deals()`).
#[derive(Debug, Clone, Copy)]
pub struct DealsApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl DealsApi<'_> {
    /// deals.list: one page.
    pub async fn list(
        &self,
        request: &DealListRequest,
    ) -> Result<Vec<DealListItem>, ExternalError> {
        let page: Data<Vec<DealListItem>> = self.client.call("deals.list", request).await?;
        Ok(page.data)
    }
}
