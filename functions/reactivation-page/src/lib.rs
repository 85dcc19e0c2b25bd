//! The reactivation page (Lambda function URL): the one page people open. Signing in with
//! Teamleader is what reactivates a connection. This version serves the entry page in the
//! visitor's language (NL / FR / EN) with the Teamleader sign-in link; the connection
//! settings pages come with a later version.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
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

    fn texts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Nl => (
                "nl",
                "Koppel je boekhouding aan Teamleader Focus",
                "Meld je aan met Teamleader om je koppeling te activeren of opnieuw te activeren.",
            ),
            Self::Fr => (
                "fr",
                "Reliez votre comptabilité à Teamleader Focus",
                "Connectez-vous avec Teamleader pour activer ou réactiver votre connexion.",
            ),
            Self::En => (
                "en",
                "Link your accounting to Teamleader Focus",
                "Sign in with Teamleader to activate or reactivate your connection.",
            ),
        }
    }
}

/// Where Teamleader sends people back after sign-in, below the page's own address.
pub const CALLBACK_PATH: &str = "/oauth/teamleader";

/// The page with its configuration.
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
}

impl ReactivationPage {
    /// Answer one request.
    pub async fn handle(
        &self,
        request: Request,
    ) -> Result<Response<Body>, lambda_http::http::Error> {
        let path = request.raw_http_path();
        if path != "/" && !path.is_empty() {
            return Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Body::from("Not found"));
        }
        let accept = request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let (lang, title, lead) = Language::negotiate(accept).texts();
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost");
        let sign_in = html_escape(self.sign_in_url(host).as_str());
        let sign_in_label = match lang {
            "nl" => "Aanmelden met Teamleader",
            "fr" => "Se connecter avec Teamleader",
            _ => "Sign in with Teamleader",
        };
        let body = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>Koppel</title></head>\
             <body><h1>{title}</h1><p>{lead}</p><p><a href=\"{sign_in}\">{sign_in_label}</a></p></body></html>"
        );
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(Body::from(body))
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> ReactivationPage {
        ReactivationPage {
            authorize_endpoint: Url::parse("https://focus.teamleader.eu/oauth2/authorize").unwrap(),
            client_id: "abc".into(),
        }
    }

    fn request(path: &str, language: &str) -> Request {
        let json = format!(
            r#"{{"version":"2.0","routeKey":"$default","rawPath":"{path}","rawQueryString":"","headers":{{"accept-language":"{language}","host":"k.example"}},
            "requestContext":{{"accountId":"anonymous","apiId":"x","domainName":"k.example","domainPrefix":"k","http":{{"method":"GET","path":"{path}","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"t"}},
            "requestId":"r","routeKey":"$default","stage":"$default","time":"23/Nov/2026:02:00:00 +0000","timeEpoch":1795399200000}},"isBase64Encoded":false}}"#
        );
        lambda_http::request::from_str(&json).unwrap()
    }

    #[tokio::test]
    async fn serves_the_sign_in_page_in_the_visitors_language() {
        for (language, expected) in [
            ("nl-BE,nl;q=0.9", "Aanmelden met Teamleader"),
            ("fr-BE", "Se connecter avec Teamleader"),
            ("de", "Sign in with Teamleader"),
        ] {
            let response = page().handle(request("/", language)).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let Body::Text(body) = response.body() else {
                panic!("text body expected")
            };
            assert!(body.contains(expected), "{language}: {body}");
            assert!(
                body.contains("client_id=abc&amp;response_type=code"),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn unknown_paths_are_not_found() {
        let response = page().handle(request("/admin", "en")).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
