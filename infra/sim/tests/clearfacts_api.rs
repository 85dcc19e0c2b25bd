//! The Clearfacts simulator over HTTP: OIDC (code flow, rotation, long-lived tokens, the
//! 10-token limit), bearer tokens, scopes, administrations, multipart uploads, GraphQL
//! validation and partial results, payment states, the admin API and lost answers.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koppel_core::memory::ManualClock;
use koppel_sim::clearfacts::{
    self, ADMINISTRATION_DEMO, ADMINISTRATION_SERVICES, Administration, Customer,
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USER, FileKind, KOPPEL_SCOPES, NO_FILE,
    PaymentState, SimHandle, SimOptions, TokenMode,
};
use serde_json::{Value, json};

const REDIRECT: &str = "https://koppel.example/oauth/ledger";

const UPLOAD: &str = "mutation upload($vatNumber: String!, $fileName: String!, $invoiceType: InvoiceTypeArgument!) { uploadFile(vatnumber: $vatNumber, filename: $fileName, invoicetype: $invoiceType) { uuid amountOfPages } }";

const BIS3_INVOICE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>F2026-0042</cbc:ID>
  <cbc:IssueDate>2026-09-14</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
</Invoice>"#;

const BIS3_CREDIT_NOTE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ID>CN2026-0007</cbc:ID>
  <cbc:IssueDate>2026-09-15</cbc:IssueDate>
</CreditNote>"#;

const PDF_TWO_PAGES: &[u8] = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>> endobj\n3 0 obj <</Type /Page /Parent 2 0 R>> endobj\n4 0 obj <</Type /Page /Parent 2 0 R>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 15, 10, 0, 0)
        .single()
        .expect("valid instant")
}

async fn sim() -> SimHandle {
    sim_in(TokenMode::Rotating).await
}

async fn sim_in(mode: TokenMode) -> SimHandle {
    let clock = Arc::new(ManualClock::new(start()));
    clearfacts::spawn(SimOptions::on_clock(clock).with_token_mode(mode))
        .await
        .expect("sim starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn query_param(location: &url::Url, name: &str) -> Option<String> {
    location
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The redirect of an authorize request.
async fn authorize(sim: &SimHandle, params: &[(&str, &str)]) -> url::Url {
    let response = http()
        .get(format!("{}/oauth2-server/authorize", sim.base_url))
        .query(params)
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().expect("ascii");
    url::Url::parse(location).expect("absolute redirect")
}

/// A code for the default client and `scope`.
async fn code(sim: &SimHandle, scope: &str) -> String {
    let location = authorize(
        sim,
        &[
            ("response_type", "code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
    query_param(&location, "code").expect("a code")
}

async fn token_request(sim: &SimHandle, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(format!("{}/oauth2-server/token", sim.base_url))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .expect("token answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// The whole code flow: a token answer.
async fn sign_in(sim: &SimHandle, scope: &str) -> Value {
    let code = code(sim, scope).await;
    let (status, tokens) = token_request(
        sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn refresh(sim: &SimHandle, refresh_token: &str) -> (u16, Value) {
    token_request(
        sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn access(tokens: &Value) -> String {
    tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn graphql(sim: &SimHandle, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("graphql answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn upload_form(
    vat: &str,
    file_name: &str,
    kind: &str,
    bytes: Option<&[u8]>,
) -> reqwest::multipart::Form {
    let variables = json!({"vatNumber": vat, "fileName": file_name, "invoiceType": kind});
    let form = reqwest::multipart::Form::new()
        .text("query", UPLOAD)
        .text("variables", variables.to_string());
    match bytes {
        Some(bytes) => form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_owned()),
        ),
        None => form,
    }
}

async fn upload(sim: &SimHandle, token: &str, file_name: &str, bytes: &[u8]) -> (u16, Value) {
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(token)
        .multipart(upload_form(
            ADMINISTRATION_DEMO,
            file_name,
            "SALE",
            Some(bytes),
        ))
        .send()
        .await
        .expect("upload answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn first_error(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn pat(sim: &SimHandle, scopes: &[&str]) -> String {
    sim.create_personal_token(DEFAULT_USER, scopes)
        .expect("pat")
}

// ---------------------------------------------------------------- OIDC

#[tokio::test]
async fn discovery_code_flow_and_refresh_rotation() {
    let sim = sim().await;
    let discovery: Value = http()
        .get(format!("{}/.well-known/openid-configuration", sim.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], sim.base_url);
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{}/oauth2-server/authorize", sim.base_url)
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/oauth2-server/token", sim.base_url)
    );
    assert_eq!(
        discovery["response_types_supported"],
        json!(["code", "token"])
    );
    assert!(
        discovery["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("upload_document"))
    );

    // Only the code flow.
    let implicit = authorize(
        &sim,
        &[
            ("response_type", "token"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", KOPPEL_SCOPES),
            ("state", "s2"),
        ],
    )
    .await;
    assert_eq!(
        query_param(&implicit, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(query_param(&implicit, "state").as_deref(), Some("s2"));

    // Code: single use, the same redirect_uri.
    let code = code(&sim, KOPPEL_SCOPES).await;
    let (status, wrong) = token_request(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://elsewhere.example/cb"),
        ],
    )
    .await;
    assert_eq!(
        (status, wrong["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
    ];
    let response = http()
        .post(format!("{}/oauth2-server/token", sim.base_url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert!(
        tokens["id_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert_eq!(
        tokens["scope"],
        "offline_access openid read_administrations upload_document"
    );
    let (status, reused) = token_request(&sim, &form[..3]).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, bad_client) = {
        let response = http()
            .post(format!("{}/oauth2-server/token", sim.base_url))
            .basic_auth(DEFAULT_CLIENT_ID, Some("wrong"))
            .form(&form[..3])
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!(
        (status, bad_client["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // The JWT and its inner 80-char token both work.
    let jwt = access(&tokens);
    let inner = clearfacts::inner_token_of(&jwt).expect("inner token");
    assert_eq!(inner.len(), 80);
    for bearer in [&jwt, &inner] {
        let info: Value = http()
            .get(format!("{}/oauth2-server/userinfo", sim.base_url))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["username"], DEFAULT_USER);
        assert_eq!(info["email"], DEFAULT_USER);
        assert!(info["sub"].is_string());
    }

    // Rotation: the new pair works, the old access token and refresh token do not.
    let old_refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let (status, rotated) = refresh(&sim, &old_refresh).await;
    assert_eq!(status, 200, "{rotated}");
    let new_refresh = rotated["refresh_token"]
        .as_str()
        .expect("new refresh token");
    assert_ne!(new_refresh, old_refresh);
    let (status, _) = graphql(&sim, &jwt, "{ administrations { name } }", json!({})).await;
    assert_eq!(status, 401);
    let (status, again) = refresh(&sim, &old_refresh).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = graphql(
        &sim,
        &access(&rotated),
        "{ administrations { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Access tokens live one hour on the sim clock; the refresh token still works after.
    sim.clock().advance(Duration::seconds(3601));
    let (status, expired) = graphql(
        &sim,
        &access(&rotated),
        "{ administrations { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(expired["error"], "invalid_token");
    let (status, _) = refresh(&sim, new_refresh).await;
    assert_eq!(status, 200);
    assert_eq!(sim.stats().calls("token:refresh_token"), 3);
}

#[tokio::test]
async fn long_lived_mode_gives_no_refresh_token_and_tokens_keep_working() {
    let sim = sim_in(TokenMode::LongLived).await;
    let tokens = sign_in(&sim, KOPPEL_SCOPES).await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    sim.clock().advance(Duration::days(400));
    let (status, body) = graphql(
        &sim,
        &access(&tokens),
        "{ administrations { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Switched over the admin API: rotating from now on.
    let response = http()
        .put(format!("{}/token-mode", sim.admin_url()))
        .json(&json!("rotating"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let tokens = sign_in(&sim, KOPPEL_SCOPES).await;
    assert!(tokens["refresh_token"].is_string());
}

#[tokio::test]
async fn the_eleventh_token_revokes_the_least_recently_used_one() {
    let sim = sim().await;
    let mut tokens = Vec::new();
    for _ in 0..10 {
        tokens.push(sign_in(&sim, KOPPEL_SCOPES).await);
        sim.clock().advance(Duration::seconds(1));
    }
    assert_eq!(sim.active_tokens(DEFAULT_USER, DEFAULT_CLIENT_ID), 10);
    // The first token is used now, so the second is the least recently used.
    let (status, _) = graphql(
        &sim,
        &access(&tokens[0]),
        "{ administrations { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    // A refresh replaces a token: still 10.
    let (status, refreshed) = refresh(&sim, tokens[9]["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(sim.active_tokens(DEFAULT_USER, DEFAULT_CLIENT_ID), 10);

    let eleventh = sign_in(&sim, KOPPEL_SCOPES).await;
    assert_eq!(sim.active_tokens(DEFAULT_USER, DEFAULT_CLIENT_ID), 10);
    assert_eq!(sim.stats().tokens_revoked_by_limit, 1);
    let (status, _) = graphql(
        &sim,
        &access(&tokens[1]),
        "{ administrations { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, gone) = refresh(&sim, tokens[1]["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, gone["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    for alive in [&tokens[0], &refreshed, &eleventh] {
        let (status, _) = graphql(
            &sim,
            &access(alive),
            "{ administrations { name } }",
            json!({}),
        )
        .await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn bad_tokens_get_401_and_a_removed_app_revokes_everything() {
    let sim = sim().await;
    let tokens = sign_in(&sim, KOPPEL_SCOPES).await;
    let jwt = access(&tokens);
    let mut tampered: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    tampered[2] = "c2lnbmF0dXJl".to_owned();
    for bad in [
        "nonsense",
        "x".repeat(80).as_str(),
        tampered.join(".").as_str(),
    ] {
        let (status, body) = graphql(&sim, bad, "{ administrations { name } }", json!({})).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "invalid_token");
        assert!(body["error_description"].is_string());
    }
    let no_header = http()
        .post(sim.graphql_url())
        .json(&json!({"query": "{ administrations { name } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status().as_u16(), 401);
    let info = http()
        .get(format!("{}/oauth2-server/userinfo", sim.base_url))
        .bearer_auth("nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(info.status().as_u16(), 401);

    // A personal access token: 80 chars, works on both endpoints, never expires.
    let pat = pat(&sim, &["read_administrations"]);
    assert_eq!(pat.len(), 80);
    sim.clock().advance(Duration::days(3650));
    let (status, _) = graphql(&sim, &pat, "{ administrations { name } }", json!({})).await;
    assert_eq!(status, 200);

    // The user removes the app (over the admin API).
    let revoked: Value = http()
        .post(format!("{}/tokens/revoke", sim.admin_url()))
        .json(&json!({"username": DEFAULT_USER, "client_id": DEFAULT_CLIENT_ID}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["revoked"], 1);
    let (status, _) = refresh(&sim, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400);
    assert!(sim.stats().unauthorized >= 5);
}

// ---------------------------------------------------------------- scopes and administrations

#[tokio::test]
async fn each_operation_needs_its_scope() {
    let sim = sim().await;
    let read_only = pat(&sim, &["read_administrations"]);
    let (status, body) = upload(&sim, &read_only, "a.pdf", PDF_TWO_PAGES).await;
    assert_eq!(status, 200);
    assert!(body["data"]["uploadFile"].is_null());
    assert_eq!(
        first_error(&body),
        "Access denied: the token lacks the scope \"upload_document\""
    );
    assert_eq!(body["errors"][0]["extensions"]["category"], "authorization");
    assert_eq!(body["errors"][0]["path"], json!(["uploadFile"]));

    let query = "query($c: String!) { journals(companyNumber: $c) { id name creditNote } customers(companyNumber: $c) { id name } }";
    let (_, body) = graphql(&sim, &read_only, query, json!({"c": ADMINISTRATION_DEMO})).await;
    assert!(
        body["data"].is_null(),
        "non-null lists null the whole data: {body}"
    );
    let messages: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert_eq!(
        messages,
        vec![
            "Access denied: the token lacks the scope \"journal_read\"",
            "Access denied: the token lacks the scope \"contact_read\"",
        ]
    );
    let reader = pat(&sim, &["journal_read", "contact_read"]);
    let (_, body) = graphql(&sim, &reader, query, json!({"c": ADMINISTRATION_DEMO})).await;
    assert_eq!(
        body["data"]["journals"][0],
        json!({"id": "CFAK", "name": "ClearFacts Aankopen", "creditNote": false})
    );
    assert_eq!(body["data"]["customers"].as_array().unwrap().len(), 3);

    let (_, body) = graphql(&sim, &reader, "{ administrations { name } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["category"], "authorization");

    // `document` takes upload_document or archive_read.
    let uploader = pat(&sim, &["upload_document"]);
    let (_, uploaded) = upload(&sim, &uploader, "F1.xml", BIS3_INVOICE.as_bytes()).await;
    let uuid = uploaded["data"]["uploadFile"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let archive = pat(&sim, &["archive_read"]);
    let (_, body) = graphql(
        &sim,
        &archive,
        "query($id: ID!) { document(id: $id) { id } }",
        json!({"id": uuid}),
    )
    .await;
    assert_eq!(body["data"]["document"]["id"], uuid);
}

#[tokio::test]
async fn administrations_are_those_of_the_user() {
    let sim = sim().await;
    let mut other = clearfacts::seed::administration("0417497106", "Andere Klant NV", "andere");
    other.account_manager = None;
    sim.add_administration(other);
    sim.add_user(
        "bookkeeper@example.be",
        "secret",
        &["0417497106", ADMINISTRATION_SERVICES],
    );

    let token = pat(&sim, &["read_administrations", "contact_read"]);
    let query = "{ administrations { name companyNumber accountManager emails { type emailAddress } address { streetAddress country { iso2 name } } } }";
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    let names: Vec<&str> = body["data"]["administrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["companyNumber"].as_str())
        .collect();
    assert_eq!(names, vec![ADMINISTRATION_SERVICES, ADMINISTRATION_DEMO]);
    let demo = &body["data"]["administrations"][1];
    assert_eq!(demo["name"], "Demo BV");
    assert_eq!(demo["emails"][0]["type"], "purchase");
    assert_eq!(
        demo["address"]["country"],
        json!({"iso2": "BE", "name": "België"})
    );

    // The other user, signed in through the code flow with login_hint.
    let location = authorize(
        &sim,
        &[
            ("response_type", "code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", "openid read_administrations"),
            ("login_hint", "bookkeeper@example.be"),
        ],
    )
    .await;
    let code = query_param(&location, "code").unwrap();
    let (_, tokens) = token_request(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    let (_, body) = graphql(
        &sim,
        &access(&tokens),
        "{ administrations { companyNumber } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["administrations"],
        json!([{"companyNumber": "0417497106"}, {"companyNumber": ADMINISTRATION_SERVICES}])
    );

    // One administration; a foreign one is an error on that field only.
    let (_, body) = graphql(
        &sim,
        &token,
        "{ mine: administration(companyNumber: \"0899623035\") { name } theirs: administration(companyNumber: \"0417497106\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["mine"]["name"], "Demo BV");
    assert!(body["data"]["theirs"].is_null());
    assert_eq!(body["errors"][0]["path"], json!(["theirs"]));
    assert_eq!(
        body["errors"][0]["message"],
        "Administration \"0417497106\" not found"
    );

    // Customers: 100 a page.
    sim.add_customers(
        ADMINISTRATION_DEMO,
        (0..150).map(|i| Customer {
            id: format!("c{i}"),
            name: format!("Klant {i}"),
        }),
    )
    .unwrap();
    let page = "query($c: String!, $o: Int) { customers(companyNumber: $c, offset: $o) { id } }";
    let (_, first) = graphql(&sim, &token, page, json!({"c": ADMINISTRATION_DEMO})).await;
    let (_, second) = graphql(
        &sim,
        &token,
        page,
        json!({"c": ADMINISTRATION_DEMO, "o": 100}),
    )
    .await;
    assert_eq!(first["data"]["customers"].as_array().unwrap().len(), 100);
    assert_eq!(second["data"]["customers"].as_array().unwrap().len(), 53);
    assert_eq!(second["data"]["customers"][52]["id"], "c149");
}

// ---------------------------------------------------------------- uploads

#[tokio::test]
async fn multipart_uploads_of_pdf_and_ubl_each_get_a_fresh_uuid() {
    let sim = sim().await;
    let token = access(&sign_in(&sim, KOPPEL_SCOPES).await);
    let (status, pdf) = upload(&sim, &token, "F2026-0042.pdf", PDF_TWO_PAGES).await;
    assert_eq!(status, 200, "{pdf}");
    assert_eq!(pdf["data"]["uploadFile"]["amountOfPages"], 2);
    let (_, xml) = upload(&sim, &token, "F2026-0042.xml", BIS3_INVOICE.as_bytes()).await;
    let (_, again) = upload(&sim, &token, "F2026-0042.xml", BIS3_INVOICE.as_bytes()).await;
    let (_, credit) = upload(&sim, &token, "CN2026-0007.xml", BIS3_CREDIT_NOTE.as_bytes()).await;
    assert_eq!(xml["data"]["uploadFile"]["amountOfPages"], 1);
    let uuids: Vec<String> = [&pdf, &xml, &again, &credit]
        .iter()
        .map(|b| {
            b["data"]["uploadFile"]["uuid"]
                .as_str()
                .expect("uuid")
                .to_owned()
        })
        .collect();
    for uuid in &uuids {
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid, &uuid.to_uppercase());
    }
    let distinct: std::collections::BTreeSet<&String> = uuids.iter().collect();
    assert_eq!(
        distinct.len(),
        4,
        "no idempotency: the same file twice is two documents"
    );

    // The vat number in other spellings, and a JPEG in the purchase inbox.
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(&token)
        .multipart(upload_form(
            "BE 0899.623.035",
            "bon.jpg",
            "PURCHASE",
            Some(&jpeg),
        ))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["uploadFile"]["amountOfPages"], 1, "{body}");

    // The listing, in order, and the bytes.
    let listed: Vec<Value> = http()
        .get(format!("{}/uploads", sim.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[0]["kind"], "pdf");
    assert_eq!(listed[1]["kind"], "xml");
    assert_eq!(listed[1]["xml_root"], "Invoice");
    assert_eq!(listed[1]["xml_id"], "F2026-0042");
    assert_eq!(listed[1]["sha256"], listed[2]["sha256"]);
    assert_eq!(listed[3]["xml_root"], "CreditNote");
    assert_eq!(listed[3]["invoice_type"], "SALE");
    assert_eq!(listed[4]["invoice_type"], "PURCHASE");
    assert_eq!(listed[4]["kind"], "jpeg");
    assert_eq!(listed[1]["payment_state"], "UNPAID");
    assert_eq!(listed[1]["company_number"], ADMINISTRATION_DEMO);
    assert_eq!(listed[1]["uploaded_at"], json!(start()));
    let bytes = http()
        .get(format!("{}/uploads/{}/file", sim.admin_url(), uuids[3]))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), BIS3_CREDIT_NOTE.as_bytes());
    let in_process = sim.upload(&uuids[0]).unwrap();
    assert_eq!(
        (in_process.kind, in_process.size),
        (FileKind::Pdf, PDF_TWO_PAGES.len())
    );
    assert_eq!(sim.stats().calls("uploadFile"), 5);
    assert_eq!(sim.stats().uploads_stored, 5);
}

#[tokio::test]
async fn uploads_of_the_wrong_shape_are_refused() {
    let sim = sim().await;
    let token = pat(&sim, &["upload_document", "read_administrations"]);
    let variables =
        json!({"vatNumber": ADMINISTRATION_DEMO, "fileName": "a.xml", "invoiceType": "SALE"});

    // JSON: no file.
    let (status, body) = graphql(&sim, &token, UPLOAD, variables.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(first_error(&body), NO_FILE);
    assert!(body["data"]["uploadFile"].is_null());
    // Multipart without the file part.
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(&token)
        .multipart(upload_form(ADMINISTRATION_DEMO, "a.xml", "SALE", None))
        .send()
        .await
        .unwrap();
    assert_eq!(
        first_error(&response.json::<Value>().await.unwrap()),
        NO_FILE
    );
    // The GraphQL multipart-request spec (`operations` + `map`) is not what Clearfacts reads.
    let spec_style = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({"query": UPLOAD, "variables": variables}).to_string(),
        )
        .text("map", json!({"0": ["variables.file"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(PDF_TWO_PAGES.to_vec()).file_name("a.pdf"),
        );
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(&token)
        .multipart(spec_style)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(first_error(&body).contains("\"query\""), "{body}");

    // Other XML, HTML, text: refused by content whatever the name.
    let order = BIS3_INVOICE
        .replace("xsd:Invoice-2\"", "xsd:Order-2\"")
        .replace("<Invoice", "<Order")
        .replace("</Invoice>", "</Order>");
    let other_customization = BIS3_INVOICE.replace(
        "urn:fdc:peppol.eu:2017:poacc:billing:3.0",
        "urn:example:custom",
    );
    for (name, bytes) in [
        ("order.xml", order.as_bytes()),
        ("custom.xml", other_customization.as_bytes()),
        (
            "factuur.pdf",
            b"<html><body>not a pdf</body></html>".as_slice(),
        ),
        ("factuur.pdf", b"just text".as_slice()),
    ] {
        let (status, body) = upload(&sim, &token, name, bytes).await;
        assert_eq!(status, 200);
        assert_eq!(
            first_error(&body),
            "Unsupported file: upload a PDF, a JPEG or a Peppol BIS 3 / UBL.BE XML",
            "{name}"
        );
        assert_eq!(body["errors"][0]["path"], json!(["uploadFile"]));
    }

    // Unknown and foreign administrations.
    sim.add_administration(clearfacts::seed::administration(
        "0417497106",
        "Andere Klant NV",
        "andere",
    ));
    for vat in ["0417497106", "0999999999", "12"] {
        let response = http()
            .post(sim.graphql_url())
            .bearer_auth(&token)
            .multipart(upload_form(vat, "a.pdf", "SALE", Some(PDF_TWO_PAGES)))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            first_error(&body),
            format!("Administration \"{vat}\" not found")
        );
    }

    // A misspelled argument and a wrong enum value are validation errors, no data.
    let misspelled = "mutation upload($vatNumber: String!, $fileName: String!, $invoiceType: InvoiceTypeArgument!) { uploadFile(vatNumber: $vatNumber, filename: $fileName, invoicetype: $invoiceType) { uuid } }";
    let form = reqwest::multipart::Form::new()
        .text("query", misspelled)
        .text("variables", variables.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF_TWO_PAGES.to_vec()).file_name("a.pdf"),
        );
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    let messages: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(messages.contains(
        &"Unknown argument \"vatNumber\" on field \"uploadFile\". Did you mean \"vatnumber\"?"
    ));
    assert!(messages.contains(
        &"Field \"uploadFile\" argument \"vatnumber\" of type \"String!\" is required, but it was not provided."
    ));
    assert_eq!(body["errors"][0]["extensions"]["category"], "graphql");
    assert_eq!(body["errors"][0]["locations"][0]["line"], 1);
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(&token)
        .multipart(upload_form(
            ADMINISTRATION_DEMO,
            "a.pdf",
            "SALES",
            Some(PDF_TWO_PAGES),
        ))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        first_error(&body),
        "Variable \"$invoiceType\" got invalid value \"SALES\"; Value \"SALES\" does not exist in \"InvoiceTypeArgument\" enum. Did you mean the enum value \"SALE\"?"
    );
    assert!(sim.uploads().is_empty());
    assert_eq!(sim.stats().uploads_refused, 9);
}

// ---------------------------------------------------------------- documents

#[tokio::test]
async fn several_documents_in_one_request_with_payment_states() {
    let sim = sim().await;
    let token = access(&sign_in(&sim, KOPPEL_SCOPES).await);
    let (_, xml) = upload(&sim, &token, "F2026-0042.xml", BIS3_INVOICE.as_bytes()).await;
    let (_, pdf) = upload(&sim, &token, "F2026-0043.pdf", PDF_TWO_PAGES).await;
    let xml_uuid = xml["data"]["uploadFile"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let pdf_uuid = pdf["data"]["uploadFile"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();

    let query = "query documents($d0: String!, $d1: String!, $d2: String!) {
        d0: document(id: $d0) { id date __typename ... on InvoiceDocument { type paymentState } }
        d1: document(id: $d1) { id date ...State }
        d2: document(id: $d2) { id ... on InvoiceDocument { paymentState } }
    }
    fragment State on InvoiceDocument { type paymentState }";
    let unknown = "00000000-0000-0000-0000-000000000000";
    let variables = json!({"d0": xml_uuid, "d1": pdf_uuid.to_lowercase(), "d2": unknown});
    let (status, body) = graphql(&sim, &token, query, variables.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["d0"],
        json!({"id": xml_uuid, "date": "2026-09-14", "__typename": "InvoiceDocument", "type": "SALE", "paymentState": "UNPAID"})
    );
    assert_eq!(
        body["data"]["d1"],
        json!({"id": pdf_uuid, "date": null, "type": "SALE", "paymentState": "UNPAID"})
    );
    assert!(body["data"]["d2"].is_null());
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    assert_eq!(body["errors"][0]["message"], "Document not found");
    assert_eq!(body["errors"][0]["path"], json!(["d2"]));
    assert_eq!(sim.stats().calls("document"), 3);

    // Paid over the admin API, partially paid in process.
    let response = http()
        .put(format!(
            "{}/uploads/{xml_uuid}/payment-state",
            sim.admin_url()
        ))
        .json(&json!("PAID"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    sim.set_payment_state(&pdf_uuid, PaymentState::PartiallyPaid)
        .unwrap();
    let (_, body) = graphql(&sim, &token, query, variables).await;
    assert_eq!(body["data"]["d0"]["paymentState"], "PAID");
    assert_eq!(body["data"]["d1"]["paymentState"], "PARTIALLY_PAID");
    let response = http()
        .put(format!(
            "{}/uploads/{unknown}/payment-state",
            sim.admin_url()
        ))
        .json(&json!("PAID"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    // A document of an administration the user no longer sees is "not found".
    sim.revoke_access(DEFAULT_USER, ADMINISTRATION_DEMO)
        .unwrap();
    let (_, body) = graphql(
        &sim,
        &token,
        "query($id: ID!) { document(id: $id) { id } }",
        json!({"id": xml_uuid}),
    )
    .await;
    assert_eq!(first_error(&body), "Document not found");
    assert_eq!(body["errors"][0]["path"], json!(["document"]));
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn a_lost_answer_is_stored_and_an_outage_stores_nothing() {
    let sim = sim().await;
    let token = pat(&sim, &["upload_document"]);

    // Outage before anything is stored (over the admin API).
    let response = http()
        .post(format!("{}/faults", sim.admin_url()))
        .json(&json!({"fail_next": {"count": 1, "target": "uploadFile"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(&token)
        .multipart(upload_form(
            ADMINISTRATION_DEMO,
            "a.pdf",
            "SALE",
            Some(PDF_TWO_PAGES),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    assert!(sim.uploads().is_empty());

    // Stored, then 500: the upload is in the listing, marked.
    sim.fail_after_upload(1);
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(&token)
        .multipart(upload_form(
            ADMINISTRATION_DEMO,
            "b.pdf",
            "SALE",
            Some(PDF_TWO_PAGES),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    let listed: Vec<Value> = http()
        .get(format!("{}/uploads", sim.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["file_name"], "b.pdf");
    assert_eq!(listed[0]["answer_lost"], true);

    // Stored, then the connection drops.
    sim.drop_after_upload(1);
    let outcome = async {
        http()
            .post(sim.graphql_url())
            .bearer_auth(&token)
            .multipart(upload_form(
                ADMINISTRATION_DEMO,
                "c.pdf",
                "SALE",
                Some(PDF_TWO_PAGES),
            ))
            .send()
            .await?
            .bytes()
            .await
    }
    .await;
    assert!(outcome.is_err(), "the answer must be lost");
    assert_eq!(sim.uploads().len(), 2);
    assert_eq!(sim.stats().lost_answers, 2);

    // 401 as if revoked, once.
    sim.fail_next(1, 401, Some("graphql"));
    let (status, body) = graphql(&sim, &token, "{ document(id: \"x\") { id } }", json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    let (status, _) = graphql(&sim, &token, "{ document(id: \"x\") { id } }", json!({})).await;
    assert_eq!(status, 200);

    // A token grant carried out whose answer is lost: the old refresh token is spent.
    let tokens = sign_in(&sim, KOPPEL_SCOPES).await;
    sim.lose_token_answers(1);
    let lost = http()
        .post(format!("{}/oauth2-server/token", sim.base_url))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await;
    let lost = match lost {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(lost.is_err());
    let (status, _) = refresh(&sim, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400);
    assert!(sim.stats().injected_failures >= 2);
}

#[tokio::test]
async fn admin_seeding_registered_redirects_and_sign_in_choices() {
    let sim = sim().await;
    let administration: Administration = serde_json::from_value(json!({
        "companyNumber": "0417497106",
        "name": "Andere Klant NV",
        "emails": [{"type": "purchase", "emailAddress": "andere@inbox.example"}],
        "address": {"streetAddress": "Markt 2", "country": {"iso2": "BE", "name": "België"}}
    }))
    .unwrap();
    let response = http()
        .post(format!("{}/administrations", sim.admin_url()))
        .json(&administration)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = http()
        .post(format!("{}/users", sim.admin_url()))
        .json(&json!({"username": "x@example.be", "password": "pw", "administrations": ["0417497106"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = http()
        .post(format!("{}/clients", sim.admin_url()))
        .json(&json!({"client_id": "strict", "secret": "s", "redirect_uris": ["http://127.0.0.1/oauth/ledger"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    let ask = |redirect: &'static str| {
        let sim_url = format!("{}/oauth2-server/authorize", sim.base_url);
        async move {
            http()
                .get(sim_url)
                .query(&[
                    ("response_type", "code"),
                    ("client_id", "strict"),
                    ("redirect_uri", redirect),
                    ("scope", "openid"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(ask("http://127.0.0.1:4567/oauth/ledger").await, 302);
    assert_eq!(ask("http://127.0.0.1:4567/elsewhere").await, 400);
    assert_eq!(ask("https://evil.example/oauth/ledger").await, 400);

    // Username and password on the authorize request are checked.
    let params = |password: &'static str| {
        [
            ("response_type", "code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", "openid read_administrations"),
            ("username", "x@example.be"),
            ("password", password),
        ]
    };
    let refused = authorize(&sim, &params("wrong")).await;
    assert_eq!(
        query_param(&refused, "error").as_deref(),
        Some("access_denied")
    );
    let accepted = authorize(&sim, &params("pw")).await;
    assert!(query_param(&accepted, "code").is_some());
    let missing_openid = authorize(
        &sim,
        &[
            ("response_type", "code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", "read_administrations"),
        ],
    )
    .await;
    assert_eq!(
        query_param(&missing_openid, "error").as_deref(),
        Some("invalid_scope")
    );

    // The user refuses.
    let response = http()
        .post(format!("{}/sign-in", sim.admin_url()))
        .json(&json!("deny"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let denied = authorize(
        &sim,
        &[
            ("response_type", "code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", KOPPEL_SCOPES),
        ],
    )
    .await;
    assert_eq!(
        query_param(&denied, "error").as_deref(),
        Some("access_denied")
    );

    // Personal tokens and counters over the admin API.
    let response: Value = http()
        .post(format!("{}/tokens/personal", sim.admin_url()))
        .json(&json!({"username": "x@example.be", "scopes": ["read_administrations"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = response["token"].as_str().unwrap().to_owned();
    let (_, body) = graphql(&sim, &token, "{ administrations { name } }", json!({})).await;
    assert_eq!(
        body["data"]["administrations"],
        json!([{"name": "Andere Klant NV"}])
    );
    let bad_scope = http()
        .post(format!("{}/tokens/personal", sim.admin_url()))
        .json(&json!({"username": "x@example.be", "scopes": ["everything"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_scope.status().as_u16(), 400);
    let stats: Value = http()
        .get(format!("{}/stats", sim.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["administrations"], 1);
    assert_eq!(stats["requests"]["authorize"], 7);
}
