//! OAuth rules of the Exact simulator, over real HTTP.

mod exact_support;

use chrono::Duration;
use exact_support::{Env, start};
use koppel_sim::exact::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use serde_json::Value;

async fn refresh(env: &Env, refresh_token: &str) -> reqwest::Response {
    env.http
        .post(env.sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap()
}

async fn me(env: &Env, token: &str) -> reqwest::Response {
    env.http
        .get(format!("{}/api/v1/current/Me", env.sim.base_url))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn authorization_code_flow_gives_a_string_expires_in_and_single_use_codes() {
    let env = start().await;
    let consent = env
        .http
        .get(env.sim.auth_url())
        .query(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", "https://app.test/callback"),
            ("response_type", "code"),
            ("state", "s-42"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 302);
    let location = consent.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://app.test/callback?code="),
        "{location}"
    );
    assert!(
        location.contains("%21"),
        "the code's '!' must arrive URL-encoded: {location}"
    );
    let parsed = url::Url::parse(&location).unwrap();
    let pairs: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "s-42");
    let code = pairs["code"].clone();

    let exchange = |code: String| {
        env.http
            .post(env.sim.token_url())
            .form(&[
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", "https://app.test/callback".to_owned()),
                ("client_id", DEFAULT_CLIENT_ID.to_owned()),
                ("client_secret", DEFAULT_CLIENT_SECRET.to_owned()),
            ])
            .send()
    };
    let response = exchange(code.clone()).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["expires_in"],
        Value::String("600".into()),
        "expires_in is a string: {body}"
    );
    assert_eq!(body["token_type"], "bearer");
    assert!(body["refresh_token"].as_str().unwrap().contains('!'));
    let token = body["access_token"].as_str().unwrap();

    let me_body: Value = me(&env, token).await.json().await.unwrap();
    assert_eq!(me_body["d"]["results"][0]["CurrentDivision"], env.division);

    let again = exchange(code).await.unwrap();
    assert_eq!(again.status(), 400);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn codes_expire_after_three_minutes() {
    let env = start().await;
    let consent = env
        .http
        .get(format!(
            "{}?client_id={DEFAULT_CLIENT_ID}&redirect_uri=https%3A%2F%2Fapp.test%2Fcb&response_type=code",
            env.sim.auth_url()
        ))
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    env.sim.clock().advance(Duration::seconds(181));
    let response = env
        .http
        .post(env.sim.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.test/cb"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn refresh_too_early_is_refused_with_reason_header() {
    let env = start().await;
    env.sim.clock().advance(Duration::seconds(569));
    let response = refresh(&env, &env.refresh_token).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["reason"], "TooEarlyToRefreshTokens");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "access_denied");
    assert_eq!(
        body["error_description"],
        "Rate limit exceeded: access_token not expired"
    );

    // The refused attempt did not burn the refresh token.
    env.sim.clock().advance(Duration::seconds(2));
    let response = refresh(&env, &env.refresh_token).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn refresh_tokens_are_single_use() {
    let env = start().await;
    env.sim.clock().advance(Duration::seconds(571));
    let first = refresh(&env, &env.refresh_token).await;
    assert_eq!(first.status(), 200);
    let pair: Value = first.json().await.unwrap();
    assert_ne!(pair["refresh_token"].as_str().unwrap(), env.refresh_token);
    assert_eq!(pair["expires_in"], "600");

    let reuse = refresh(&env, &env.refresh_token).await;
    assert_eq!(reuse.status(), 401);
    let body: Value = reuse.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
    assert_eq!(body["error_description"], "Old refresh token used.");

    // The new chain goes on.
    env.sim.clock().advance(Duration::seconds(571));
    let next = refresh(&env, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(next.status(), 200);
}

#[tokio::test]
async fn expired_access_token_gets_401_with_www_authenticate() {
    let env = start().await;
    assert_eq!(me(&env, &env.token).await.status(), 200);
    env.sim.clock().advance(Duration::seconds(600));
    let response = me(&env, &env.token).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("access token expired"), "{challenge}");
    assert_eq!(env.sim.stats().unauthorized, 1);

    let unknown = me(&env, "not-a-token").await;
    assert_eq!(unknown.status(), 401);
    let challenge = unknown.headers()["www-authenticate"].to_str().unwrap();
    assert!(!challenge.contains("expired"), "{challenge}");
}

#[tokio::test]
async fn revoked_tokens_need_a_new_consent_and_bad_secrets_are_refused() {
    let env = start().await;
    env.sim.revoke_tokens();
    assert_eq!(me(&env, &env.token).await.status(), 401);
    env.sim.clock().advance(Duration::seconds(600));
    let response = refresh(&env, &env.refresh_token).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    let wrong_secret = env
        .http
        .post(env.sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", env.refresh_token.as_str()),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), 400);
    let body: Value = wrong_secret.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}
