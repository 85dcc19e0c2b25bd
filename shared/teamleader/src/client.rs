//! The Teamleader Focus client: one [`ApiClient`] (auth, rate gate, retries, error titles)
//! plus the per-client caches (tax rates, the external-id custom field, document numbers).

use crate::SYSTEM;
use crate::companies::CompaniesApi;
use crate::contacts::ContactsApi;
use crate::credit_notes::CreditNotesApi;
use crate::custom_fields::{
    CreateCustomFieldRequest, CustomFieldDefinition, CustomFieldFilter, CustomFieldsApi,
};
use crate::departments::DepartmentsApi;
use crate::invoices::InvoicesApi;
use crate::policy::{TeamleaderErrors, TeamleaderRateLimit};
use crate::product_categories::ProductCategoriesApi;
use crate::tax_rates::{TaxRateFilter, TaxRatesApi, WireTaxRate};
use crate::users::UsersApi;
use crate::webhooks::WebhooksApi;
use chrono::{DateTime, SecondsFormat, Utc};
use koppel_api::{ApiClient, PlainErrors, RateGate, RateGateConfig, TokenSource};
use koppel_core::{Clock, Deadline, ExternalError};
use reqwest::header::CONTENT_TYPE;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A datetime as Teamleader filters take it: ISO 8601 with offset, whole seconds.
pub fn format_datetime(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Which external-id custom field to create when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateField {
    /// None: only look them up.
    None,
    /// The one on companies.
    Company,
    /// The one on contacts.
    Contact,
}

/// Ids of the external-id custom fields, once looked up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExternalIdFields {
    /// The company field, when it exists.
    pub company: Option<String>,
    /// The contact field, when it exists (created by Koppel when its company import
    /// brings private customers).
    pub contact: Option<String>,
}

#[derive(Default)]
struct Caches {
    tax_rates: tokio::sync::OnceCell<Arc<Vec<WireTaxRate>>>,
    external_id_fields: tokio::sync::Mutex<Option<ExternalIdFields>>,
    /// Document id → booked number, learned from lists and infos (names downloaded files).
    numbers: Mutex<HashMap<String, String>>,
}

/// A Teamleader Focus client for one connection. Cheap to clone; clones share the HTTP
/// plumbing, the call counter and the caches.
#[derive(Clone)]
pub struct TeamleaderClient {
    api: ApiClient,
    /// Sends requests that must apply at most once (registerPayment, companies.add): never
    /// re-sent after a failure that may have reached Teamleader (same tokens and rate gate).
    writes: ApiClient,
    files: ApiClient,
    caches: Arc<Caches>,
}

impl std::fmt::Debug for TeamleaderClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamleaderClient")
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl TeamleaderClient {
    /// A client over `api` (built for Teamleader: see [`TeamleaderClient::api_client`]);
    /// `clock` paces retries of file downloads.
    pub fn new(api: ApiClient, clock: Arc<dyn Clock>) -> Self {
        // Download locations are temporary URLs outside the API: no bearer token, no API quota.
        let files = ApiClient::builder(SYSTEM, "", clock.clone())
            .errors(PlainErrors)
            .build();
        let writes = ApiClient::builder(SYSTEM, api.base_url(), clock)
            .gate(api.gate().clone())
            .errors(TeamleaderErrors)
            .deadline(api.deadline())
            .sends_once();
        let writes = match api.tokens() {
            Some(tokens) => writes.tokens(tokens.clone()).build(),
            None => writes.build(),
        };
        Self {
            api,
            writes,
            files,
            caches: Arc::new(Caches::default()),
        }
    }

    /// An [`ApiClient`] set up for Teamleader at `api_url`: bearer tokens from `tokens`,
    /// the `X-RateLimit-*` gate, retries, error messages from `{errors:[{title}]}`, and no
    /// wait past `deadline`.
    pub fn api_client(
        api_url: &str,
        tokens: Option<TokenSource>,
        clock: Arc<dyn Clock>,
        deadline: Deadline,
    ) -> ApiClient {
        let gate = RateGate::new(
            SYSTEM,
            TeamleaderRateLimit,
            clock.clone(),
            RateGateConfig::default(),
        );
        let builder = ApiClient::builder(SYSTEM, api_url, clock)
            .gate(gate)
            .errors(TeamleaderErrors)
            .deadline(deadline);
        match tokens {
            Some(tokens) => builder.tokens(tokens).build(),
            None => builder.build(),
        }
    }

    /// A client at `api_url` authenticated by `tokens`, waiting no longer than `deadline`
    /// (the usual way to make one).
    pub fn connect(
        api_url: &str,
        tokens: TokenSource,
        clock: Arc<dyn Clock>,
        deadline: Deadline,
    ) -> Self {
        Self::new(
            Self::api_client(api_url, Some(tokens), clock.clone(), deadline),
            clock,
        )
    }

    /// The underlying API client (call counter, rate stats).
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// Requests sent to the Teamleader API so far (retries included, file downloads not).
    pub fn calls(&self) -> u64 {
        self.api.calls() + self.writes.calls()
    }

    /// users.me.
    pub fn users(&self) -> UsersApi<'_> {
        UsersApi { client: self }
    }
    /// departments.*.
    pub fn departments(&self) -> DepartmentsApi<'_> {
        DepartmentsApi { client: self }
    }
    /// taxRates.*.
    pub fn tax_rates(&self) -> TaxRatesApi<'_> {
        TaxRatesApi { client: self }
    }
    /// productCategories.*.
    pub fn product_categories(&self) -> ProductCategoriesApi<'_> {
        ProductCategoriesApi { client: self }
    }
    /// customFieldDefinitions.*.
    pub fn custom_fields(&self) -> CustomFieldsApi<'_> {
        CustomFieldsApi { client: self }
    }
    /// invoices.*.
    pub fn invoices(&self) -> InvoicesApi<'_> {
        InvoicesApi { client: self }
    }
    /// creditNotes.*.
    pub fn credit_notes(&self) -> CreditNotesApi<'_> {
        CreditNotesApi { client: self }
    }
    /// companies.*.
    pub fn companies(&self) -> CompaniesApi<'_> {
        CompaniesApi { client: self }
    }
    /// contacts.*.
    pub fn contacts(&self) -> ContactsApi<'_> {
        ContactsApi { client: self }
    }
    /// deals.*.
    pub fn deals(&self) -> crate::deals::DealsApi<'_> {
        crate::deals::DealsApi { client: self }
    }
    /// webhooks.*.
    pub fn webhooks(&self) -> WebhooksApi<'_> {
        WebhooksApi { client: self }
    }

    /// POST `body` as JSON to `endpoint` and read the answer as `T`.
    pub(crate) async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &B,
    ) -> Result<T, ExternalError> {
        self.post(endpoint, body).await?.json()
    }

    /// POST with an empty JSON object (operations without a request body, e.g. users.me).
    pub(crate) async fn call_without_body<T: DeserializeOwned>(
        &self,
        endpoint: &str,
    ) -> Result<T, ExternalError> {
        self.call(endpoint, &serde_json::Map::new()).await
    }

    /// POST `body` to an endpoint answering 204 (or 2xx with a body Koppel does not need).
    pub(crate) async fn call_no_content<B: Serialize + ?Sized>(
        &self,
        endpoint: &str,
        body: &B,
    ) -> Result<(), ExternalError> {
        self.post(endpoint, body).await.map(|_| ())
    }

    /// POST `body` once to an endpoint that must apply at most once; a lost answer is
    /// [`ExternalError::OutcomeUnknown`] (the caller looks before trying again).
    pub(crate) async fn call_once<B: Serialize + ?Sized>(
        &self,
        endpoint: &str,
        body: &B,
    ) -> Result<koppel_api::ApiResponse, ExternalError> {
        self.post_with(&self.writes, endpoint, body).await
    }

    async fn post<B: Serialize + ?Sized>(
        &self,
        endpoint: &str,
        body: &B,
    ) -> Result<koppel_api::ApiResponse, ExternalError> {
        self.post_with(&self.api, endpoint, body).await
    }

    async fn post_with<B: Serialize + ?Sized>(
        &self,
        client: &ApiClient,
        endpoint: &str,
        body: &B,
    ) -> Result<koppel_api::ApiResponse, ExternalError> {
        let bytes = serde_json::to_vec(body).map_err(|error| ExternalError::Unavailable {
            system: SYSTEM,
            detail: format!("the {endpoint} request could not be written: {error}"),
        })?;
        let url = client.url(endpoint);
        client
            .send(endpoint, |http| {
                http.post(&url)
                    .header(CONTENT_TYPE, "application/json")
                    .body(bytes.clone())
            })
            .await
    }

    /// GET a temporary download location (no bearer token) and return the bytes.
    pub async fn fetch_file(&self, location: &str, what: &str) -> Result<Vec<u8>, ExternalError> {
        let response = self.files.send(what, |http| http.get(location)).await?;
        Ok(response.body)
    }

    /// Every tax rate of the account, fetched once per client.
    pub async fn cached_tax_rates(&self) -> Result<Arc<Vec<WireTaxRate>>, ExternalError> {
        self.caches
            .tax_rates
            .get_or_try_init(|| async {
                self.tax_rates()
                    .list_all(TaxRateFilter::default())
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// The external-id custom fields (company, contact), looked up once per client; the one
    /// of `create` is created when it does not exist yet.
    pub async fn external_id_fields(
        &self,
        create: CreateField,
    ) -> Result<ExternalIdFields, ExternalError> {
        let mut cached = self.caches.external_id_fields.lock().await;
        let mut fields = match cached.as_ref() {
            Some(fields) => fields.clone(),
            None => {
                let definitions = self
                    .custom_fields()
                    .list_all(CustomFieldFilter::default())
                    .await?;
                let find = |context: &str| {
                    definitions
                        .iter()
                        .find(|definition| definition.is_external_id(context))
                        .map(|definition: &CustomFieldDefinition| definition.id.clone())
                };
                ExternalIdFields {
                    company: find("company"),
                    contact: find("contact"),
                }
            }
        };
        let (slot, request) = match create {
            CreateField::None => (None, None),
            CreateField::Company => (
                Some(&mut fields.company),
                Some(CreateCustomFieldRequest::external_id_on_companies()),
            ),
            CreateField::Contact => (
                Some(&mut fields.contact),
                Some(CreateCustomFieldRequest::external_id_on_contacts()),
            ),
        };
        if let (Some(slot @ None), Some(request)) = (slot, request) {
            let id = self.custom_fields().create(&request).await?;
            tracing::info!(field_id = %id, context = %request.context, "created the external-id custom field");
            *slot = Some(id);
        }
        *cached = Some(fields.clone());
        Ok(fields)
    }

    /// Remember a document's number (to name its files without another call).
    pub(crate) fn remember_number(&self, id: &str, number: Option<&str>) {
        if let (Some(number), Ok(mut numbers)) = (number, self.caches.numbers.lock()) {
            numbers.insert(id.to_owned(), number.to_owned());
        }
    }

    /// Forget every remembered number (a new page of documents is listed).
    pub(crate) fn forget_numbers(&self) {
        if let Ok(mut numbers) = self.caches.numbers.lock() {
            numbers.clear();
        }
    }

    /// A number remembered by [`Self::remember_number`].
    pub(crate) fn known_number(&self, id: &str) -> Option<String> {
        self.caches
            .numbers
            .lock()
            .ok()
            .and_then(|numbers| numbers.get(id).cloned())
    }
}
