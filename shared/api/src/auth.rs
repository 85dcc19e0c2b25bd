//! How a request proves who sends it. Most APIs take an OAuth bearer token ([`TokenSource`]);
//! some have their own scheme (Octopus: a short-lived dossier token in a `dossierToken`
//! header). The [`crate::ApiClient`] asks its [`RequestAuth`] for a credential before each
//! attempt, puts it on the request, and after a 401 invalidates it and tries once more with a
//! new one — the same for every scheme.

use crate::TokenSource;
use async_trait::async_trait;
use koppel_core::ExternalError;

/// Authenticates requests of one API for one connection.
#[async_trait]
pub trait RequestAuth: Send + Sync {
    /// A credential valid now (obtained or renewed when needed). A secret: never log it.
    async fn credential(&self) -> Result<String, ExternalError>;
    /// The API refused `credential` (HTTP 401): the next [`Self::credential`] gets another.
    fn invalidate(&self, credential: &str);
    /// `request` carrying `credential` (default: `Authorization: Bearer`).
    fn apply(&self, request: reqwest::RequestBuilder, credential: &str) -> reqwest::RequestBuilder {
        request.bearer_auth(credential)
    }
}

#[async_trait]
impl RequestAuth for TokenSource {
    async fn credential(&self) -> Result<String, ExternalError> {
        self.access_token().await
    }

    fn invalidate(&self, credential: &str) {
        TokenSource::invalidate(self, credential);
    }
}
