//! Shared set-up for the Exact simulator's HTTP tests: a running simulator, a token, and
//! helpers that speak to it over real HTTP with reqwest.

#![allow(dead_code)]

use koppel_sim::exact::{self, DEFAULT_CLIENT_ID, RateLimits, SimHandle, SimOptions};
use serde_json::Value;

/// A running simulator with a valid access token for its current division.
pub struct Env {
    pub sim: SimHandle,
    pub http: reqwest::Client,
    pub token: String,
    pub refresh_token: String,
    pub division: i32,
}

/// Start a simulator with `options` and take a token pair for the default app.
pub async fn start_with(options: SimOptions) -> Env {
    let sim = exact::spawn(options).await.unwrap();
    let pair = sim.issue_tokens(DEFAULT_CLIENT_ID, None).unwrap();
    let division = sim.current_division();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Env {
        sim,
        http,
        token: pair.access_token,
        refresh_token: pair.refresh_token,
        division,
    }
}

/// Start a simulator with default data and quotas switched off.
pub async fn start() -> Env {
    start_with(SimOptions::default().with_rate_limits(None)).await
}

/// Start a simulator with default data and the given quotas.
pub async fn start_limited(limits: RateLimits) -> Env {
    start_with(SimOptions::default().with_rate_limits(Some(limits))).await
}

impl Env {
    /// Absolute URL of `path` under `/api/v1/{division}/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{}/{path}", self.sim.base_url, self.division)
    }

    /// GET an absolute URL with the bearer token and `Accept: application/json`.
    pub async fn get_url(&self, url: &str) -> reqwest::Response {
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
    }

    /// GET `path` of the division.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_url(&self.url(path)).await
    }

    /// GET `path` and decode the JSON body, asserting a 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// The `d.results` of a GET.
    pub async fn results(&self, path: &str) -> Vec<Value> {
        self.get_json(path).await["d"]["results"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// POST JSON to `path` of the division.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .header("Prefer", "return=representation")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POST raw bytes to `path` of the division.
    pub async fn post_raw(&self, path: &str, body: &'static str) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// The id of the GL account with `code`.
    pub fn gl(&self, code: &str) -> String {
        let division = self.sim.division(self.division).unwrap();
        division.gl_account_by_code(code).unwrap().id.to_string()
    }

    /// The id of the first seeded customer.
    pub fn customer(&self) -> String {
        self.sim.division(self.division).unwrap().accounts[0]
            .id
            .to_string()
    }
}

/// The message value of an Exact error body.
pub fn message(body: &Value) -> String {
    body["error"]["message"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Status and decoded JSON body (Null when the body is not JSON).
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
