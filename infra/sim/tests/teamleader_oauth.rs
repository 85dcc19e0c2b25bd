//! OAuth behaviour of the Teamleader simulator over real HTTP.

mod teamleader_support;

use chrono::Utc;
use koppel_core::ScaledClock;
use koppel_sim::teamleader::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Login, SimOptions};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use teamleader_support::{ACCOUNT_A, ACCOUNT_B, Fixture, start, start_with};
use url::Url;

const REDIRECT: &str = "https://koppel.example/callback";

/// Open the authorize URL and return the redirect's query pairs.
async fn authorize(fixture: &Fixture, state: &str) -> Vec<(String, String)> {
    let response = fixture
        .http
        .get(format!("{}/oauth2/authorize", fixture.sim.base_url))
        .query(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("state", state),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

async fn exchange_code(fixture: &Fixture, code: &str) -> teamleader_support::Answer {
    fixture
        .token_request(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
        ])
        .await
}

async fn refresh(fixture: &Fixture, refresh_token: &str) -> teamleader_support::Answer {
    fixture
        .token_request(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("refresh_token", refresh_token),
            ("grant_type", "refresh_token"),
        ])
        .await
}

#[tokio::test]
async fn authorization_codes_work_once_and_the_token_belongs_to_the_logged_in_account() {
    let fixture = start().await;
    fixture.sim.set_login(Login::Approve {
        account_id: ACCOUNT_B.to_owned(),
        user_id: None,
    });
    let pairs = authorize(&fixture, "xyz-123").await;
    assert_eq!(param(&pairs, "state"), Some("xyz-123"));
    let code = param(&pairs, "code").expect("a code").to_owned();

    let first = exchange_code(&fixture, &code).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["token_type"], "Bearer");
    assert_eq!(first.body["expires_in"], 3600);
    let access = first.body["access_token"].as_str().unwrap();
    assert!(
        first.body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );

    let me = fixture.call_with(access, "users.me", json!({})).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["data"]["account"]["id"], ACCOUNT_B);

    let again = exchange_code(&fixture, &code).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body["error"], "invalid_grant");
}

#[tokio::test]
async fn the_token_endpoint_takes_json_too_and_refuses_a_wrong_secret() {
    let fixture = start().await;
    let pairs = authorize(&fixture, "s").await;
    let code = param(&pairs, "code").unwrap();
    let wrong = fixture
        .token_request(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", "not-the-secret"),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"], "invalid_client");

    let response = fixture
        .http
        .post(format!("{}/oauth2/access_token", fixture.sim.base_url))
        .json(&json!({
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn codes_expire_after_ten_minutes() {
    let fixture = start().await;
    let pairs = authorize(&fixture, "s").await;
    let code = param(&pairs, "code").unwrap();
    fixture.sim.clock().advance(chrono::Duration::minutes(10));
    let late = exchange_code(&fixture, code).await;
    assert_eq!(late.status, 400);
    assert_eq!(late.body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_refused_login_redirects_with_access_denied() {
    let fixture = start().await;
    fixture.sim.set_login(Login::Deny);
    let pairs = authorize(&fixture, "st").await;
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "state"), Some("st"));
    assert_eq!(param(&pairs, "code"), None);
}

#[tokio::test]
async fn every_refresh_rotates_and_reusing_an_old_refresh_token_is_invalid_grant() {
    let fixture = start().await;
    let pair = fixture.sim.issue_tokens(ACCOUNT_A, None, None).unwrap();

    let first = refresh(&fixture, &pair.refresh_token).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let new_refresh = first.body["refresh_token"].as_str().unwrap().to_owned();
    let new_access = first.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, pair.refresh_token);
    assert_ne!(new_access, pair.access_token);

    let reuse = refresh(&fixture, &pair.refresh_token).await;
    assert_eq!(reuse.status, 400);
    assert_eq!(reuse.body["error"], "invalid_grant");

    // The new pair works; the old access token died with its refresh token.
    assert_eq!(
        fixture
            .call_with(&new_access, "users.me", json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        fixture
            .call_with(&pair.access_token, "users.me", json!({}))
            .await
            .status,
        401
    );
    let second = refresh(&fixture, &new_refresh).await;
    assert_eq!(second.status, 200);
    assert_eq!(fixture.sim.request_count("oauth2/access_token"), 3);
}

#[tokio::test]
async fn access_tokens_expire_after_an_hour_of_a_fast_clock() {
    // One real second is two simulated hours.
    let clock = Arc::new(ScaledClock::new(Utc::now(), 7200.0));
    let fixture = start_with(SimOptions::default().with_clock(clock)).await;
    let pair = fixture.sim.issue_tokens(ACCOUNT_A, None, None).unwrap();
    assert_eq!(
        fixture
            .call_with(&pair.access_token, "users.me", json!({}))
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let expired = fixture
        .call_with(&pair.access_token, "users.me", json!({}))
        .await;
    assert_eq!(expired.status, 401);
    assert!(
        expired.error_title().contains("expired"),
        "{:?}",
        expired.body
    );
    // The refresh token still works after the access token expired.
    let renewed = refresh(&fixture, &pair.refresh_token).await;
    assert_eq!(renewed.status, 200);
    let access = renewed.body["access_token"].as_str().unwrap();
    assert_eq!(
        fixture
            .call_with(access, "users.me", json!({}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn revoked_tokens_get_401_on_the_api_and_invalid_grant_on_refresh() {
    let fixture = start().await;
    let pair = fixture.sim.issue_tokens(ACCOUNT_A, None, None).unwrap();
    fixture.sim.revoke_tokens(ACCOUNT_A);
    let call = fixture
        .call_with(&pair.access_token, "invoices.list", json!({}))
        .await;
    assert_eq!(call.status, 401);
    assert_eq!(call.body["errors"][0]["status"], 401);
    let renewal = refresh(&fixture, &pair.refresh_token).await;
    assert_eq!(renewal.status, 400);
    assert_eq!(renewal.body["error"], "invalid_grant");
    // Account B is untouched.
    assert_eq!(
        fixture
            .call_with(&fixture.token_b, "users.me", json!({}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn admin_endpoints_expire_tokens_and_inject_token_endpoint_failures() {
    let fixture = start().await;
    let pair = fixture.sim.issue_tokens(ACCOUNT_A, None, None).unwrap();
    let admin = |path: &str| format!("{}/_sim/{path}", fixture.sim.base_url);
    let expire = fixture
        .http
        .post(admin("faults"))
        .json(&json!({"kind": "expire_access_tokens", "account_id": ACCOUNT_A}))
        .send()
        .await
        .unwrap();
    assert_eq!(expire.status().as_u16(), 204);
    assert_eq!(
        fixture
            .call_with(&pair.access_token, "users.me", json!({}))
            .await
            .status,
        401
    );

    let fault = fixture
        .http
        .post(admin("faults"))
        .json(&json!({"kind": "status", "status": 503, "count": 1, "endpoint": "oauth2/access_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status().as_u16(), 204);
    assert_eq!(refresh(&fixture, &pair.refresh_token).await.status, 503);
    // The failed attempt did not consume the refresh token.
    assert_eq!(refresh(&fixture, &pair.refresh_token).await.status, 200);
}
