//! The reactivation page (Lambda function URL): the one page people open. Signing in with
//! Teamleader is what reactivates a connection. An [`axum::Router`] served through
//! `lambda_http` (the `http-axum` example of aws-lambda-rust-runtime), so the page's routes
//! grow as a router. This version serves the entry page in the visitor's language
//! (NL / FR / EN) with the Teamleader sign-in link; the connection pages come next.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use url::Url;

/// Languages of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Dutch.
    Nl,
    /// French.
    Fr,
    /// English.
    En,
}

impl Language {
    /// The first supported language of an `Accept-Language` header (English by default).
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let header = accept_language.unwrap_or_default().to_ascii_lowercase();
        for part in header.split(',') {
            let tag = part.split(';').next().unwrap_or_default().trim();
            match tag.get(..2) {
                Some("nl") => return Self::Nl,
                Some("fr") => return Self::Fr,
                Some("en") => return Self::En,
                _ => {}
            }
        }
        Self::En
    }

    /// (lang attribute, title, lead, sign-in label).
    fn texts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Self::Nl => (
                "nl",
                "Koppel je boekhouding aan Teamleader Focus",
                "Meld je aan met Teamleader om je koppeling te activeren of opnieuw te activeren.",
                "Aanmelden met Teamleader",
            ),
            Self::Fr => (
                "fr",
                "Reliez votre comptabilité à Teamleader Focus",
                "Connectez-vous avec Teamleader pour activer ou réactiver votre connexion.",
                "Se connecter avec Teamleader",
            ),
            Self::En => (
                "en",
                "Link your accounting to Teamleader Focus",
                "Sign in with Teamleader to activate or reactivate your connection.",
                "Sign in with Teamleader",
            ),
        }
    }
}

/// Where Teamleader sends people back after sign-in, below the page's own address.
pub const CALLBACK_PATH: &str = "/oauth/teamleader";

/// The page's configuration.
pub struct ReactivationPage {
    /// Teamleader's authorize endpoint (`…/oauth2/authorize`).
    pub authorize_endpoint: Url,
    /// The Teamleader integration's client id.
    pub client_id: String,
}

impl ReactivationPage {
    /// The sign-in link for a page served at `host`: the redirect URI is the page's own
    /// address (a function URL is only known once deployed, so it is read from the request).
    pub fn sign_in_url(&self, host: &str) -> Url {
        let mut url = self.authorize_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &format!("https://{host}{CALLBACK_PATH}"));
        url
    }

    /// The page's routes.
    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(entry_page))
            .fallback(not_found)
            .with_state(Arc::new(self))
    }
}

/// Text for HTML: `&`, `<`, `>` and `"` escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

async fn entry_page(State(page): State<Arc<ReactivationPage>>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let (lang, title, lead, sign_in_label) = Language::negotiate(accept).texts();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let sign_in = escape(page.sign_in_url(host).as_str());
    let body = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>Koppel</title></head>\
         <body><h1>{title}</h1><p>{lead}</p><p><a href=\"{sign_in}\">{sign_in_label}</a></p></body></html>"
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn page() -> Router {
        ReactivationPage {
            authorize_endpoint: Url::parse("https://focus.teamleader.eu/oauth2/authorize").unwrap(),
            client_id: "abc".into(),
        }
        .router()
    }

    async fn get(path: &str, language: &str) -> (StatusCode, String) {
        let request = Request::get(path)
            .header(header::ACCEPT_LANGUAGE, language)
            .header(header::HOST, "k.example")
            .body(Body::empty())
            .unwrap();
        let response = page().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn serves_the_sign_in_page_in_the_visitors_language() {
        for (language, expected) in [
            ("nl-BE,nl;q=0.9", "Aanmelden met Teamleader"),
            ("fr-BE", "Se connecter avec Teamleader"),
            ("de", "Sign in with Teamleader"),
        ] {
            let (status, body) = get("/", language).await;
            assert_eq!(status, StatusCode::OK);
            assert!(body.contains(expected), "{language}: {body}");
            assert!(
                body.contains("client_id=abc&amp;response_type=code"),
                "{body}"
            );
            assert!(
                body.contains("redirect_uri=https%3A%2F%2Fk.example%2Foauth%2Fteamleader"),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn unknown_paths_are_not_found() {
        let (status, _) = get("/admin", "en").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_lambda_function_url_event_reaches_the_router() {
        // The event as the function URL delivers it, parsed by lambda_http, answered by the
        // router: what `lambda_http::run(router)` does in Lambda.
        let json = r#"{"version":"2.0","routeKey":"$default","rawPath":"/","rawQueryString":"","headers":{"accept-language":"nl","host":"k.example"},
            "requestContext":{"accountId":"anonymous","apiId":"x","domainName":"k.example","domainPrefix":"k","http":{"method":"GET","path":"/","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"t"},
            "requestId":"r","routeKey":"$default","stage":"$default","time":"23/Nov/2026:02:00:00 +0000","timeEpoch":1795399200000},"isBase64Encoded":false}"#;
        let request = lambda_http::request::from_str(json).unwrap();
        let response = page().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).contains("Aanmelden met Teamleader"));
    }
}
