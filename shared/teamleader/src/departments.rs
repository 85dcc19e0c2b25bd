//! `departments.list` and `departments.info`: the legal entities of the account (the list is
//! not paginated by Teamleader; only the detail gives a department's address).

use crate::TeamleaderClient;
use crate::common::{Data, Email, IdRequest, WireAddress, is_empty};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// The `filter` of departments.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepartmentFilter {
    /// Only these departments.
    #[serde(skip_serializing_if = "is_empty")]
    pub ids: Vec<String>,
    /// "active" and/or "archived".
    #[serde(skip_serializing_if = "is_empty")]
    pub status: Vec<String>,
}

/// The body of departments.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepartmentListRequest {
    /// Filters; omitted when empty.
    #[serde(skip_serializing_if = "DepartmentFilter::is_unset")]
    pub filter: DepartmentFilter,
}

impl DepartmentFilter {
    fn is_unset(&self) -> bool {
        self.ids.is_empty() && self.status.is_empty()
    }
}

/// A department as departments.list returns it; departments.info adds its address.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireDepartment {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// VAT number of the entity.
    #[serde(default)]
    pub vat_number: Option<String>,
    /// Currency code.
    #[serde(default)]
    pub currency: Option<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Vec<Email>,
    /// "active" or "archived".
    #[serde(default)]
    pub status: Option<String>,
    /// The entity's address: in departments.info only.
    #[serde(default)]
    pub address: Option<WireAddress>,
}

/// Endpoints of the departments resource (`client.departments()`).
#[derive(Debug, Clone, Copy)]
pub struct DepartmentsApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl DepartmentsApi<'_> {
    /// departments.list.
    pub async fn list(
        &self,
        request: &DepartmentListRequest,
    ) -> Result<Vec<WireDepartment>, ExternalError> {
        let list: Data<Vec<WireDepartment>> = self.client.call("departments.list", request).await?;
        Ok(list.data)
    }

    /// departments.info: one department with its address.
    pub async fn info(&self, id: &str) -> Result<WireDepartment, ExternalError> {
        let department: Data<WireDepartment> = self
            .client
            .call("departments.info", &IdRequest { id: id.to_owned() })
            .await?;
        Ok(department.data)
    }
}
