//! `taxRates.list`: VAT rates, per department.

use crate::TeamleaderClient;
use crate::common::{Data, Page, TypeAndId};
use koppel_core::ExternalError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The `filter` of taxRates.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TaxRateFilter {
    /// Only this department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
}

/// The body of taxRates.list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxRateListRequest {
    /// Filters; omitted when empty.
    #[serde(skip_serializing_if = "TaxRateFilter::is_unset")]
    pub filter: TaxRateFilter,
    /// Page.
    pub page: Page,
}

impl TaxRateFilter {
    fn is_unset(&self) -> bool {
        self.department_id.is_none()
    }
}

/// A tax rate as taxRates.list returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireTaxRate {
    /// Id.
    pub id: String,
    /// Description, e.g. "21%".
    #[serde(default)]
    pub description: Option<String>,
    /// The rate as a fraction (0.21 for 21 %).
    pub rate: Decimal,
    /// Department.
    pub department: TypeAndId,
}

/// Endpoints of the tax-rates resource (`client.tax_rates()`).
#[derive(Debug, Clone, Copy)]
pub struct TaxRatesApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl TaxRatesApi<'_> {
    /// taxRates.list: one page.
    pub async fn list(
        &self,
        request: &TaxRateListRequest,
    ) -> Result<Vec<WireTaxRate>, ExternalError> {
        let list: Data<Vec<WireTaxRate>> = self.client.call("taxRates.list", request).await?;
        Ok(list.data)
    }

    /// taxRates.list: every page, until a short page.
    pub async fn list_all(&self, filter: TaxRateFilter) -> Result<Vec<WireTaxRate>, ExternalError> {
        let mut request = TaxRateListRequest {
            filter,
            page: Page::new(1, Page::MAX_SIZE),
        };
        let mut all = Vec::new();
        loop {
            let page = self.list(&request).await?;
            let short = page.len() < request.page.size as usize;
            all.extend(page);
            if short {
                return Ok(all);
            }
            request.page.number += 1;
        }
    }
}
