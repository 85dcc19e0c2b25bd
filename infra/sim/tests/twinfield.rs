//! The Twinfield simulator over HTTP: OIDC, the SOAP gate, ProcessXml transactions,
//! dimensions, browse, finder, fair use and faults.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use koppel_core::ScaledClock;
use koppel_sim::twinfield::xml::Node;
use koppel_sim::twinfield::{
    self, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DuplicateCheck, FairUse, OFFICE_BE, OFFICE_NL,
    SimHandle, SimOptions,
};
use rust_decimal_macros::dec;
use serde_json::Value;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 15, 10, 0, 0)
        .single()
        .expect("valid instant")
}

async fn sim() -> SimHandle {
    let clock = Arc::new(ScaledClock::new(start(), 1.0));
    twinfield::spawn(SimOptions::on_clock(clock))
        .await
        .expect("sim starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn token(sim: &SimHandle) -> String {
    sim.issue_tokens(DEFAULT_CLIENT_ID)
        .expect("tokens")
        .access_token
}

fn envelope(token: Option<&str>, company: Option<&str>, body: Node) -> String {
    let mut header = Node::new("Header").with_attr("xmlns", "http://www.twinfield.com/");
    if let Some(token) = token {
        header = header.with_text_child("AccessToken", token);
    }
    if let Some(company) = company {
        header = header.with_text_child("CompanyCode", company);
    }
    Node::new("soap:Envelope")
        .with_attr("xmlns:soap", "http://schemas.xmlsoap.org/soap/envelope/")
        .with_child(Node::new("soap:Header").with_child(header))
        .with_child(Node::new("soap:Body").with_child(body))
        .to_xml()
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

async fn post_soap(url: &str, action: &str, envelope: String) -> Result<Answer, reqwest::Error> {
    let response = client()
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header(
            "SOAPAction",
            format!("\"http://www.twinfield.com/{action}\""),
        )
        .body(envelope)
        .send()
        .await?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await?;
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// ProcessXmlString on the current cluster; the status and the parsed result document.
async fn process(sim: &SimHandle, token: &str, company: &str, payload: &str) -> (u16, Node) {
    let body = Node::new("ProcessXmlString")
        .with_attr("xmlns", "http://www.twinfield.com/")
        .with_text_child("xmlRequest", payload);
    let url = format!("{}/webservices/processxml.asmx", sim.cluster_url());
    let answer = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(token), Some(company), body),
    )
    .await
    .expect("answer");
    let envelope = Node::parse(&answer.body).expect("xml answer");
    let result = envelope
        .child("Body")
        .and_then(|b| b.child("ProcessXmlStringResponse"))
        .and_then(|r| r.child_text("ProcessXmlStringResult"))
        .map(|text| Node::parse(text).expect("result xml"))
        .unwrap_or(envelope);
    (answer.status, result)
}

fn fault_text(body: &str) -> String {
    Node::parse(body)
        .ok()
        .and_then(|e| {
            e.child("Body")?
                .child("Fault")?
                .child_text("faultstring")
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

fn invoice(office: &str, invoice_number: &str, customer: &str, credit_note: bool) -> String {
    let (total, detail) = if credit_note {
        ("credit", "debit")
    } else {
        ("debit", "credit")
    };
    format!(
        r#"<transactions><transaction destiny="temporary" raisewarning="false"><header><office>{office}</office><code>VRK</code><currency>EUR</currency><date>20260915</date><period>2026/09</period><invoicenumber>{invoice_number}</invoicenumber><paymentreference>+++100/0160/01495+++</paymentreference><duedate>20261015</duedate><description>Factuur</description></header><lines><line type="total" id="1"><dim1>1300</dim1><dim2>{customer}</dim2><debitcredit>{total}</debitcredit><value>121.00</value></line><line type="detail" id="2"><dim1>8000</dim1><debitcredit>{detail}</debitcredit><value>100.00</value><vatcode>VH</vatcode><description>Bier</description></line></lines></transaction></transactions>"#
    )
}

fn messages(node: &Node, out: &mut Vec<String>) {
    if let Some(msg) = node.attr("msg") {
        out.push(msg.to_owned());
    }
    for child in &node.children {
        messages(child, out);
    }
}

fn all_messages(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    messages(node, &mut out);
    out
}

// ---------------------------------------------------------------- OIDC

#[tokio::test]
async fn oidc_code_refresh_rotation_validation_and_expiry() {
    let sim = sim().await;
    let auth = format!("{}/auth/authentication/connect", sim.base_url);
    let http = client();
    let base = [
        ("response_type", "code"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("redirect_uri", "https://koppel.example/cb"),
        ("scope", "openid twf.user twf.organisation offline_access"),
        ("state", "s1"),
    ];
    let no_nonce = http
        .get(format!("{auth}/authorize"))
        .query(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(no_nonce.status().as_u16(), 400);
    let mut with_nonce = base.to_vec();
    with_nonce.push(("nonce", "n1"));
    let redirect = http
        .get(format!("{auth}/authorize"))
        .query(&with_nonce)
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status().as_u16(), 302);
    let location = url::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(
        location
            .query_pairs()
            .any(|(k, v)| k == "state" && v == "s1")
    );

    let tokens: Value = http
        .post(format!("{auth}/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://koppel.example/cb"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["id_token"].is_string());
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // The code is single-use; a wrong secret is invalid_client.
    let again = http
        .post(format!("{auth}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 400);
    let bad_client = http
        .post(format!("{auth}/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_client.status().as_u16(), 401);
    let body: Value = bad_client.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    // Refresh rotates; the old one is then invalid_grant.
    let refreshed: Value = http
        .post(format!("{auth}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(refreshed["refresh_token"].as_str().unwrap(), refresh);
    let reused = http
        .post(format!("{auth}/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status().as_u16(), 400);
    let body: Value = reused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    // Validation gives the cluster URL; after 3600 s the token is invalid (400).
    let access = refreshed["access_token"].as_str().unwrap();
    let claims: Value = http
        .get(format!("{auth}/accesstokenvalidation"))
        .query(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        claims["twf.clusterUrl"],
        format!("{}/cluster1", sim.base_url)
    );
    assert_eq!(claims["twf.organisationId"], sim.organisation_id());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
        3600
    );
    sim.clock().advance(Duration::seconds(3600));
    let expired = http
        .get(format!("{auth}/accesstokenvalidation"))
        .query(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status().as_u16(), 400);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["Message"], "The token is invalid.");
}

#[tokio::test]
async fn no_refresh_token_without_offline_access_and_revoked_ones_are_refused() {
    let sim = sim().await;
    let auth = format!("{}/auth/authentication/connect", sim.base_url);
    let http = client();
    let redirect = http
        .get(format!("{auth}/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", "https://koppel.example/cb"),
            ("scope", "openid twf.user"),
            ("nonce", "n"),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let tokens: Value = http
        .post(format!("{auth}/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(tokens.get("refresh_token").is_none());

    let pair = sim.issue_tokens(DEFAULT_CLIENT_ID).unwrap();
    sim.revoke_tokens();
    let refused = http
        .post(format!("{auth}/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pair.refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);

    // A lost token answer: the grant is carried out (the old refresh token is spent).
    let pair = sim.issue_tokens(DEFAULT_CLIENT_ID).unwrap();
    sim.lose_token_answers(1);
    let lost = http
        .post(format!("{auth}/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pair.refresh_token.as_str()),
        ])
        .send()
        .await;
    let lost = match lost {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(lost.is_err(), "the answer is dropped");
    let reused = http
        .post(format!("{auth}/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", pair.refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status().as_u16(), 400);
}

// ---------------------------------------------------------------- SOAP header rules

#[tokio::test]
async fn soap_header_rules_and_cluster_move() {
    let sim = sim().await;
    let token = token(&sim);
    let url = format!("{}/webservices/processxml.asmx", sim.cluster_url());
    let read = || {
        Node::new("ProcessXmlString")
            .with_attr("xmlns", "http://www.twinfield.com/")
            .with_text_child(
                "xmlRequest",
                "<read><type>vat</type><office>NLA002058</office><code>VH</code></read>",
            )
    };
    let missing = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), None, read()),
    )
    .await
    .unwrap();
    assert_eq!(missing.status, 500);
    assert_eq!(
        fault_text(&missing.body),
        "Toegang geweigerd. Company ontbreekt in request header."
    );
    let unknown = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some("XX999"), read()),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status, 500);
    assert_eq!(
        fault_text(&unknown.body),
        "Toegang geweigerd. Geen toegang tot administratie XX999."
    );

    // VAT read works, also with the payload as CDATA.
    let (status, vat) = process(
        &sim,
        &token,
        OFFICE_NL,
        "<read><type>vat</type><office>NLA002058</office><code>VL</code></read>",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(vat.attr("result"), Some("1"));
    let percentage = vat
        .child("percentages")
        .and_then(|p| p.child("percentage"))
        .and_then(|p| p.child_text("percentage"));
    assert_eq!(percentage, Some("9.000000000"));
    let cdata = format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header><Header xmlns=\"http://www.twinfield.com/\"><AccessToken>{token}</AccessToken><CompanyCode>BE0001</CompanyCode></Header></soap:Header><soap:Body><ProcessXmlString xmlns=\"http://www.twinfield.com/\"><xmlRequest><![CDATA[<read><type>vat</type><office>BE0001</office><code>VL</code></read>]]></xmlRequest></ProcessXmlString></soap:Body></soap:Envelope>"
    );
    let answer = post_soap(&url, "ProcessXmlString", cdata).await.unwrap();
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains("&lt;vat result=&quot;1&quot;&gt;"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("6.000000000"));

    // Expired token → 401 with a SOAP fault.
    sim.clock().advance(Duration::seconds(3600));
    let expired = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some(OFFICE_NL), read()),
    )
    .await
    .unwrap();
    assert_eq!(expired.status, 401);
    assert_eq!(
        fault_text(&expired.body),
        "Access denied: the access token is invalid or has expired."
    );

    // Cluster move: the old path faults, the validation names the new one.
    let token = sim.issue_tokens(DEFAULT_CLIENT_ID).unwrap().access_token;
    sim.set_cluster(2);
    let moved = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some(OFFICE_NL), read()),
    )
    .await
    .unwrap();
    assert_eq!(moved.status, 500);
    assert_eq!(
        fault_text(&moved.body),
        "Deze organisatie bevindt zich op een ander cluster."
    );
    let claims: Value = client()
        .get(format!(
            "{}/auth/authentication/connect/accesstokenvalidation",
            sim.base_url
        ))
        .query(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        claims["twf.clusterUrl"],
        format!("{}/cluster2", sim.base_url)
    );
    let (status, _) = process(
        &sim,
        &token,
        OFFICE_NL,
        "<read><type>vat</type><office>NLA002058</office><code>VH</code></read>",
    )
    .await;
    assert_eq!(status, 200);
}

// ---------------------------------------------------------------- transactions

#[tokio::test]
async fn an_invoice_and_a_credit_note_are_booked() {
    let sim = sim().await;
    let token = token(&sim);
    let (status, answer) = process(
        &sim,
        &token,
        OFFICE_NL,
        &invoice(OFFICE_NL, "2026 / 17", "10001", false),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer.attr("result"), Some("1"));
    let tx = answer.child("transaction").unwrap();
    assert_eq!(tx.attr("result"), Some("1"));
    assert_eq!(tx.attr("location"), Some("temporary"));
    assert_eq!(
        tx.child("header").and_then(|h| h.child_text("number")),
        Some("202600001")
    );
    let lines: Vec<&Node> = tx.child("lines").unwrap().children_named("line").collect();
    let vat = lines
        .iter()
        .find(|l| l.attr("type") == Some("vat"))
        .unwrap();
    assert_eq!(vat.child_text("dim1"), Some("1530"));
    assert_eq!(vat.child_text("value"), Some("21.00"));
    assert_eq!(vat.child_text("vatturnover"), Some("100.00"));
    assert_eq!(vat.child_text("debitcredit"), Some("credit"));
    let total = lines
        .iter()
        .find(|l| l.attr("type") == Some("total"))
        .unwrap();
    assert_eq!(total.child_text("matchstatus"), Some("available"));
    assert_eq!(total.child_text("openvalue"), Some("121.00"));
    assert_eq!(total.child_text("matchlevel"), Some("2"));
    let detail = lines
        .iter()
        .find(|l| l.attr("type") == Some("detail"))
        .unwrap();
    assert_eq!(detail.child_text("vatvalue"), Some("21.00"));

    let (_, credit) = process(
        &sim,
        &token,
        OFFICE_NL,
        &invoice(OFFICE_NL, "2026 / 18", "10001", true),
    )
    .await;
    let tx = credit.child("transaction").unwrap();
    assert_eq!(tx.attr("result"), Some("1"), "{:?}", all_messages(&credit));
    assert_eq!(
        tx.child("header").and_then(|h| h.child_text("number")),
        Some("202600002")
    );
    let booked = sim.transactions(OFFICE_NL);
    assert_eq!(booked.len(), 2);
    assert_eq!(booked[1].value_signed(), dec!(-121.00));
    assert_eq!(booked[0].open_value, dec!(121.00));
    // The customer is now in use.
    let (_, dim) = process(
        &sim,
        &token,
        OFFICE_NL,
        "<read><type>dimensions</type><office>NLA002058</office><dimtype>DEB</dimtype><code>10001</code></read>",
    )
    .await;
    assert_eq!(dim.child_text("inuse"), Some("true"));
    assert_eq!(sim.stats().transactions_booked, 2);
}

fn with(doc: &str, from: &str, to: &str) -> String {
    doc.replacen(from, to, 1)
}

#[tokio::test]
async fn each_validation_error_has_its_dutch_text() {
    let sim = sim().await;
    let token = token(&sim);
    sim.close_period(OFFICE_NL, "2026/11").unwrap();
    let base = invoice(OFFICE_NL, "X1", "10001", false);
    let cases = [
        (
            with(
                &base,
                "<period>2026/09</period>",
                "<period>2020/01</period>",
            ),
            "De boeking kan niet gemaakt worden omdat periode 2020/01 niet bestaat",
        ),
        (
            with(
                &with(
                    &base,
                    "<period>2026/09</period>",
                    "<period>2026/11</period>",
                ),
                "20260915",
                "20261115",
            ),
            "Periode 2026/11 is afgesloten.",
        ),
        (
            with(&base, "<dim1>8000</dim1>", "<dim1>8099</dim1>"),
            "Dimensie 8099 bestaat niet.",
        ),
        (
            with(&base, "<dim2>10001</dim2>", "<dim2>10099</dim2>"),
            "Debiteur 10099 bestaat niet.",
        ),
        (
            with(&base, "<vatcode>VH</vatcode>", "<vatcode>XX</vatcode>"),
            "Btw-code XX bestaat niet.",
        ),
        (
            with(&base, "<value>121.00</value>", "<value>120.99</value>"),
            "De boeking is niet in balans. Er ontbreekt 0.01 debet.",
        ),
        (
            with(
                &base,
                "<office>NLA002058</office>",
                "<office>BE0001</office>",
            ),
            "Administratie BE0001 komt niet overeen met de administratie in de header.",
        ),
        (
            with(&base, "<code>VRK</code>", "<code>XYZ</code>"),
            "Dagboek XYZ bestaat niet.",
        ),
    ];
    for (doc, text) in cases {
        let (status, answer) = process(&sim, &token, OFFICE_NL, &doc).await;
        assert_eq!(status, 200);
        assert_eq!(answer.attr("result"), Some("0"), "{text}");
        assert!(answer.has_message("error"));
        assert!(
            all_messages(&answer).iter().any(|m| m.contains(text)),
            "{text}: {:?}",
            all_messages(&answer)
        );
    }
    assert!(sim.transactions(OFFICE_NL).is_empty());

    // A date outside the period is only a warning: booked.
    let doc = with(&base, "20260915", "20260725");
    let (_, answer) = process(&sim, &token, OFFICE_NL, &doc).await;
    let tx = answer.child("transaction").unwrap();
    assert_eq!(tx.attr("result"), Some("1"));
    let date = tx.child("header").and_then(|h| h.child("date")).unwrap();
    assert_eq!(date.attr("msgtype"), Some("warning"));
    assert_eq!(
        date.attr("msg"),
        Some("Datum 25-07-2026 valt buiten de opgegeven periode (2026/09).")
    );
    // …unless raisewarning="true".
    let doc = with(
        &with(&doc, "raisewarning=\"false\"", "raisewarning=\"true\""),
        "X1",
        "X2",
    );
    let (_, answer) = process(&sim, &token, OFFICE_NL, &doc).await;
    assert_eq!(
        answer.child("transaction").unwrap().attr("result"),
        Some("0")
    );
    assert_eq!(sim.transactions(OFFICE_NL).len(), 1);
}

#[tokio::test]
async fn partial_success_and_duplicate_invoice_numbers() {
    let sim = sim().await;
    let token = token(&sim);
    let good = invoice(OFFICE_NL, "A-1", "10001", false);
    let bad = with(
        &invoice(OFFICE_NL, "A-2", "10001", false),
        "<dim1>8000</dim1>",
        "<dim1>8099</dim1>",
    );
    let inner = |doc: &str| {
        doc.trim_start_matches("<transactions>")
            .trim_end_matches("</transactions>")
            .to_owned()
    };
    let batch = format!(
        "<transactions>{}{}</transactions>",
        inner(&good),
        inner(&bad)
    );
    let (_, answer) = process(&sim, &token, OFFICE_NL, &batch).await;
    assert_eq!(answer.attr("result"), Some("0"));
    let results: Vec<Option<&str>> = answer
        .children_named("transaction")
        .map(|t| t.attr("result"))
        .collect();
    assert_eq!(results, vec![Some("1"), Some("0")]);
    assert_eq!(sim.transactions(OFFICE_NL).len(), 1);

    // The same invoice number for the same customer and type is refused…
    let (_, again) = process(&sim, &token, OFFICE_NL, &good).await;
    assert_eq!(again.attr("result"), Some("0"));
    assert!(all_messages(&again).contains(&"Factuurnummer A-1 komt reeds voor.".to_owned()));
    // …but for another customer it is fine, and as a warning it is booked.
    let (_, other) = process(
        &sim,
        &token,
        OFFICE_NL,
        &invoice(OFFICE_NL, "A-1", "10002", false),
    )
    .await;
    assert_eq!(other.attr("result"), Some("1"));
    sim.set_duplicate_invoice_check(DuplicateCheck::Warning);
    let (_, warned) = process(&sim, &token, OFFICE_NL, &good).await;
    assert_eq!(warned.attr("result"), Some("1"));
    assert!(warned.has_message("warning"));
    assert_eq!(sim.transactions(OFFICE_NL).len(), 3);
}

// ---------------------------------------------------------------- dimensions

#[tokio::test]
async fn customers_are_created_read_and_checked() {
    let sim = sim().await;
    let token = token(&sim);
    let create = r#"<dimensions><dimension><office>BE0001</office><type>DEB</type><code></code><name>Brasserie Cantillon</name><addresses><address type="invoice" default="true"><name>Brasserie Cantillon</name><country>BE</country><city>Anderlecht</city><postcode>1070</postcode><field1/><field2>Gheudestraat 56</field2><field4>BE0412345678</field4><email>info@cantillon.example</email></address></addresses><financials><duedays>14</duedays></financials></dimension></dimensions>"#;
    let (_, answer) = process(&sim, &token, OFFICE_BE, create).await;
    assert_eq!(answer.attr("result"), Some("1"));
    let dim = answer.child("dimension").unwrap();
    assert_eq!(dim.attr("status"), Some("active"));
    assert_eq!(dim.child_text("code"), Some("10003"));
    assert_eq!(dim.child_text("inuse"), Some("false"));
    assert!(dim.child_text("uid").is_some());

    let (_, read) = process(
        &sim,
        &token,
        OFFICE_BE,
        "<read><type>dimensions</type><office>BE0001</office><dimtype>DEB</dimtype><code>10003</code></read>",
    )
    .await;
    assert_eq!(read.child_text("name"), Some("Brasserie Cantillon"));
    let field4 = read
        .child("addresses")
        .and_then(|a| a.child("address"))
        .and_then(|a| a.child_text("field4"));
    assert_eq!(field4, Some("BE0412345678"));
    let (_, missing) = process(
        &sim,
        &token,
        OFFICE_BE,
        "<read><type>dimensions</type><office>BE0001</office><dimtype>DEB</dimtype><code>10099</code></read>",
    )
    .await;
    assert_eq!(missing.attr("result"), Some("0"));
    assert_eq!(missing.attr("msg"), Some("Dimensie 10099 bestaat niet."));

    let bad = create.replace("<code></code>", "<code>ABC</code>");
    let (_, refused) = process(&sim, &token, OFFICE_BE, &bad).await;
    assert_eq!(refused.attr("result"), Some("0"));
    assert!(
        all_messages(&refused)
            .contains(&"De code voldoet niet aan het formaat 1[0-9][0-9][0-9][0-9].".to_owned())
    );

    // A single <dimension> root with an existing code updates it; a lost answer still commits.
    sim.lose_dimension_answers(1);
    let update = r#"<dimension><office>BE0001</office><type>DEB</type><code>10003</code><name>Cantillon NV</name></dimension>"#;
    let body = Node::new("ProcessXmlString")
        .with_attr("xmlns", "http://www.twinfield.com/")
        .with_text_child("xmlRequest", update);
    let url = format!("{}/webservices/processxml.asmx", sim.cluster_url());
    let lost = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some(OFFICE_BE), body),
    )
    .await;
    assert!(lost.is_err());
    let names: Vec<String> = sim
        .dimensions(OFFICE_BE)
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.contains(&"Cantillon NV".to_owned()));
}

// ---------------------------------------------------------------- browse

fn browse_request(extra: &str) -> String {
    format!(
        r#"<columns code="100"><column><field>fin.trs.head.office</field><operator>equal</operator><from>NLA002058</from></column><column><field>fin.trs.head.code</field><operator>equal</operator><from>VRK</from></column><column><field>fin.trs.head.yearperiod</field><operator>between</operator><from>2026/01</from><to>2026/12</to></column>{extra}<column><field>fin.trs.line.openvaluesigned</field></column></columns>"#
    )
}

fn cell<'a>(row: &'a Node, field: &str) -> &'a str {
    row.children_named("td")
        .find(|td| td.attr("field") == Some(field))
        .map_or("", |td| td.text.as_str())
}

#[tokio::test]
async fn browse_after_a_full_and_a_partial_match() {
    let sim = sim().await;
    let token = token(&sim);
    for (number, customer) in [("2026 / 17", "10001"), ("2026 / 18", "10002")] {
        let (_, a) = process(
            &sim,
            &token,
            OFFICE_NL,
            &invoice(OFFICE_NL, number, customer, false),
        )
        .await;
        assert_eq!(a.attr("result"), Some("1"));
    }
    let paid = NaiveDate::from_ymd_opt(2026, 9, 20).unwrap();
    sim.match_transaction(OFFICE_NL, "VRK", 202600001, None, paid)
        .unwrap();
    let open = sim
        .match_transaction(OFFICE_NL, "VRK", 202600002, Some(dec!(21.00)), paid)
        .unwrap();
    assert_eq!(open, dec!(100.00));

    let (_, all) = process(&sim, &token, OFFICE_NL, &browse_request("")).await;
    assert_eq!(all.attr("total"), Some("2"));
    let rows: Vec<&Node> = all.children_named("tr").collect();
    assert_eq!(cell(rows[0], "fin.trs.line.matchstatus"), "matched");
    assert_eq!(cell(rows[0], "fin.trs.line.openvaluesigned"), "0.00");
    assert_eq!(cell(rows[0], "fin.trs.line.matchdate"), "20260920");
    assert_eq!(cell(rows[1], "fin.trs.line.matchstatus"), "available");
    assert_eq!(cell(rows[1], "fin.trs.line.valuesigned"), "121.00");
    assert_eq!(cell(rows[1], "fin.trs.line.openvaluesigned"), "100.00");
    assert_eq!(cell(rows[1], "fin.trs.line.invnumber"), "2026 / 18");
    assert_eq!(cell(rows[1], "fin.trs.head.status"), "temporary");
    let key = rows[1].child("key").unwrap();
    assert_eq!(key.child_text("number"), Some("202600002"));
    assert_eq!(key.child_text("line"), Some("1"));

    let available = browse_request(
        "<column><field>fin.trs.line.matchstatus</field><operator>equal</operator><from>available</from></column>",
    );
    let (_, open_rows) = process(&sim, &token, OFFICE_NL, &available).await;
    assert_eq!(open_rows.attr("total"), Some("1"));
    let by_invoice = browse_request(
        "<column><field>fin.trs.line.invnumber</field><operator>equal</operator><from>2026 / 17</from></column><column><field>fin.trs.line.dim2</field><operator>equal</operator><from>10001</from></column>",
    );
    let (_, one) = process(&sim, &token, OFFICE_NL, &by_invoice).await;
    assert_eq!(one.attr("total"), Some("1"));
    let by_number = browse_request(
        "<column><field>fin.trs.head.number</field><operator>between</operator><from>202600002</from><to></to></column>",
    );
    let (_, one) = process(&sim, &token, OFFICE_NL, &by_number).await;
    assert_eq!(one.attr("total"), Some("1"));
    let none = browse_request(
        "<column><field>fin.trs.line.invnumber</field><operator>equal</operator><from>nope</from></column>",
    );
    let (_, empty) = process(&sim, &token, OFFICE_NL, &none).await;
    assert_eq!(
        (empty.attr("first"), empty.attr("last"), empty.attr("total")),
        (Some("0"), Some("0"), Some("0"))
    );
}

// ---------------------------------------------------------------- finder

async fn search(
    sim: &SimHandle,
    token: &str,
    kind: &str,
    pattern: &str,
    first: u32,
    max: u32,
    options: &[(&str, &str)],
) -> Node {
    let mut opts = Node::new("options");
    for (k, v) in options {
        opts.children.push(
            Node::new("ArrayOfString")
                .with_text_child("string", *k)
                .with_text_child("string", *v),
        );
    }
    let body = Node::new("Search")
        .with_attr("xmlns", "http://www.twinfield.com/")
        .with_text_child("type", kind)
        .with_text_child("pattern", pattern)
        .with_text_child("field", "0")
        .with_text_child("firstRow", first.to_string())
        .with_text_child("maxRows", max.to_string())
        .with_child(opts);
    let url = format!("{}/webservices/finder.asmx", sim.cluster_url());
    let answer = post_soap(&url, "Search", envelope(Some(token), Some(OFFICE_NL), body))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    Node::parse(&answer.body)
        .unwrap()
        .child("Body")
        .and_then(|b| b.child("SearchResponse"))
        .cloned()
        .unwrap()
}

fn rows(response: &Node) -> (usize, Vec<Vec<String>>) {
    let data = response.child("data").unwrap();
    let total = data.child_text("TotalRows").unwrap().parse().unwrap();
    let items = data
        .child("Items")
        .map(|i| {
            i.children_named("ArrayOfString")
                .map(|a| a.children_named("string").map(|s| s.text.clone()).collect())
                .collect()
        })
        .unwrap_or_default();
    (total, items)
}

fn error_code(response: &Node) -> Option<String> {
    response
        .child("SearchResult")?
        .child("MessageOfErrorCodes")?
        .child_text("Code")
        .map(str::to_owned)
}

#[tokio::test]
async fn finder_types_paging_and_error_codes() {
    let sim = sim().await;
    let token = token(&sim);
    let (total, items) = rows(&search(&sim, &token, "OFF", "*", 1, 100, &[]).await);
    assert_eq!(total, 2);
    assert!(items.contains(&vec![OFFICE_NL.to_owned(), "Demo BV (NL)".to_owned()]));

    let deb = search(
        &sim,
        &token,
        "DIM",
        "*anker*",
        1,
        100,
        &[("dimtype", "DEB")],
    )
    .await;
    let (total, items) = rows(&deb);
    assert_eq!(total, 1);
    assert_eq!(
        items[0],
        vec!["10001", "Brouwerij Het Anker NV", "BE0403170701"]
    );
    let (total, _) = rows(&search(&sim, &token, "DIM", "*", 1, 100, &[("dimtype", "PNL")]).await);
    assert_eq!(total, 3);
    let missing = search(&sim, &token, "DIM", "*", 1, 100, &[]).await;
    assert_eq!(error_code(&missing).as_deref(), Some("OptionMandatory"));
    assert!(missing.child("data").is_none());
    let bad = search(&sim, &token, "DIM", "*", 1, 100, &[("dimtype", "XYZ")]).await;
    assert_eq!(error_code(&bad).as_deref(), Some("OptionNotAllowed"));
    let unknown = search(&sim, &token, "ZZZ", "*", 1, 100, &[]).await;
    assert_eq!(error_code(&unknown).as_deref(), Some("InvalidFinderType"));

    let (total, _) = rows(&search(&sim, &token, "VAT", "*", 1, 100, &[("vattype", "sales")]).await);
    assert_eq!(total, 3);
    let (total, _) =
        rows(&search(&sim, &token, "TRS", "*", 1, 100, &[("category", "sales")]).await);
    assert_eq!(total, 1);

    // Periods of one year, paged 5 at a time; a closed one says so.
    sim.close_period(OFFICE_NL, "2026/11").unwrap();
    let page = search(&sim, &token, "PRD", "*", 11, 5, &[("year", "2026")]).await;
    let (total, items) = rows(&page);
    assert_eq!(total, 12);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], vec!["2026/11", "november 2026", "closed"]);
    assert_eq!(items[1][2], "open");
    let (total, _) = rows(&search(&sim, &token, "PRD", "*", 1, 100, &[]).await);
    assert_eq!(total, 36);

    // Unpaid invoices.
    for (number, customer) in [("F-1", "10001"), ("F-2", "10002")] {
        process(
            &sim,
            &token,
            OFFICE_NL,
            &invoice(OFFICE_NL, number, customer, false),
        )
        .await;
    }
    let paid = NaiveDate::from_ymd_opt(2026, 9, 20).unwrap();
    sim.match_transaction(OFFICE_NL, "VRK", 202600002, None, paid)
        .unwrap();
    let (total, items) = rows(&search(&sim, &token, "IVT", "*", 1, 100, &[]).await);
    assert_eq!(total, 1);
    assert_eq!(
        items[0],
        vec![
            "F-1",
            "10001",
            "Brouwerij Het Anker NV",
            "121.00",
            "121.00",
            "202600001"
        ]
    );
    let (total, _) = rows(&search(&sim, &token, "IVT", "*", 1, 100, &[("dim2", "10002")]).await);
    assert_eq!(total, 0);
    assert!(sim.stats().calls("finder:IVT") >= 2);
}

// ---------------------------------------------------------------- fair use and faults

#[tokio::test]
async fn credits_per_minute_and_one_request_at_a_time() {
    let sim = sim().await;
    let token = token(&sim);
    sim.set_fair_use(FairUse {
        credits_per_minute: 7,
        concurrent_requests: 1,
    });
    let read = "<read><type>vat</type><office>NLA002058</office><code>VH</code></read>";
    // 3 + 3 + 1 = 7 credits; the next query is refused for the rest of the minute.
    process(
        &sim,
        &token,
        OFFICE_NL,
        &invoice(OFFICE_NL, "C-1", "10001", false),
    )
    .await;
    process(
        &sim,
        &token,
        OFFICE_NL,
        &invoice(OFFICE_NL, "C-2", "10001", false),
    )
    .await;
    let (status, _) = process(&sim, &token, OFFICE_NL, read).await;
    assert_eq!(status, 200);
    assert_eq!(sim.credits_this_minute(), 7);
    let body = Node::new("ProcessXmlString")
        .with_attr("xmlns", "http://www.twinfield.com/")
        .with_text_child("xmlRequest", read);
    let url = format!("{}/webservices/processxml.asmx", sim.cluster_url());
    let refused = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some(OFFICE_NL), body.clone()),
    )
    .await
    .unwrap();
    assert_eq!(refused.status, 429);
    let retry: u64 = refused.retry_after.unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(sim.stats().credits_spent, 7);
    sim.clock().advance(Duration::seconds(60));
    let (status, _) = process(&sim, &token, OFFICE_NL, read).await;
    assert_eq!(status, 200);

    // Concurrency: one held request, a second one is refused with Retry-After 1.
    sim.set_fair_use(FairUse::default());
    sim.hold_requests(true);
    let first = tokio::spawn({
        let url = url.clone();
        let env = envelope(Some(&token), Some(OFFICE_NL), body.clone());
        async move { post_soap(&url, "ProcessXmlString", env).await }
    });
    sim.wait_in_flight(1).await;
    let second = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some(OFFICE_NL), body),
    )
    .await
    .unwrap();
    assert_eq!(second.status, 429);
    assert_eq!(second.retry_after.as_deref(), Some("1"));
    sim.hold_requests(false);
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(sim.stats().rate_limited, 2);
}

#[tokio::test]
async fn a_lost_transaction_answer_is_committed_and_outages_apply_nothing() {
    let sim = sim().await;
    let token = token(&sim);
    let url = format!("{}/webservices/processxml.asmx", sim.cluster_url());
    let body = || {
        Node::new("ProcessXmlString")
            .with_attr("xmlns", "http://www.twinfield.com/")
            .with_text_child("xmlRequest", invoice(OFFICE_NL, "L-1", "10001", false))
    };
    sim.fail_next(1, 503, Some("processxml"));
    let outage = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some(OFFICE_NL), body()),
    )
    .await
    .unwrap();
    assert_eq!(outage.status, 503);
    assert!(outage.body.contains("soap:Fault"));
    assert!(sim.transactions(OFFICE_NL).is_empty());

    sim.lose_transaction_answers(1);
    let lost = post_soap(
        &url,
        "ProcessXmlString",
        envelope(Some(&token), Some(OFFICE_NL), body()),
    )
    .await;
    assert!(lost.is_err(), "transport error");
    assert_eq!(sim.transactions(OFFICE_NL).len(), 1);
    assert_eq!(sim.stats().lost_answers, 1);
    // The retry is refused as a duplicate; the invoice is found in browse.
    let (_, again) = process(
        &sim,
        &token,
        OFFICE_NL,
        &invoice(OFFICE_NL, "L-1", "10001", false),
    )
    .await;
    assert_eq!(again.attr("result"), Some("0"));
    let (_, found) = process(
        &sim,
        &token,
        OFFICE_NL,
        &browse_request("<column><field>fin.trs.line.invnumber</field><operator>equal</operator><from>L-1</from></column>"),
    )
    .await;
    assert_eq!(found.attr("total"), Some("1"));
    let _ = OFFICE_BE;
}
