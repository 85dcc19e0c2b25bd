//! The Octopus simulator over real HTTP: the two-step login and its header rules, reference
//! data, relation upserts, booking validation, the modified read, the open-items report, the
//! daily budget and the faults Koppel's crash recovery must survive.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koppel_core::{Clock, ScaledClock};
use koppel_sim::octopus::{
    self, DEFAULT_SOFTWARE_HOUSE_UUID, DEMO_CURRENT_BOOKYEAR, DEMO_DOSSIER_ID, DEMO_PASSWORD,
    DEMO_RELATION_ANKER, DEMO_USER, Group, SimHandle, SimOptions,
};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

const BY: i64 = DEMO_CURRENT_BOOKYEAR;
const D: i64 = DEMO_DOSSIER_ID;

/// 2026-07-07 10:00 UTC (12:00 in Brussels).
fn start_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 10, 0, 0)
        .single()
        .expect("a valid instant")
}

struct Env {
    sim: SimHandle,
    http: reqwest::Client,
    api: String,
    dossier_token: String,
}

impl Env {
    async fn start() -> Env {
        let clock = Arc::new(ScaledClock::new(start_instant(), 1.0));
        let sim = octopus::spawn(SimOptions::on_clock(clock)).await.unwrap();
        let http = reqwest::Client::new();
        let api = sim.api_url();
        let mut env = Env {
            sim,
            http,
            api,
            dossier_token: String::new(),
        };
        env.login().await;
        env
    }

    async fn login(&mut self) {
        let token = self.user_token(DEMO_USER, DEMO_PASSWORD).await;
        self.dossier_token = self.open_dossier(&token, D).await;
    }

    async fn authenticate(&self, uuid: Option<&str>, user: &str, password: &str) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/authentication", self.api))
            .json(&json!({"user": user, "password": password}));
        if let Some(uuid) = uuid {
            request = request.header("softwareHouseUuid", uuid);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn user_token(&self, user: &str, password: &str) -> String {
        let (status, body) = self
            .authenticate(Some(DEFAULT_SOFTWARE_HOUSE_UUID), user, password)
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn open_dossier(&self, token: &str, dossier: i64) -> String {
        let (status, body) = self.open_dossier_raw(token, dossier).await;
        assert_eq!(status, 200, "{body}");
        body["Dossiertoken"].as_str().unwrap().to_owned()
    }

    async fn open_dossier_raw(&self, token: &str, dossier: i64) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/dossiers", self.api))
            .query(&[("dossierId", dossier.to_string())])
            .header("Token", token)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/dossiers/{D}/{path}", self.api)
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .query(query)
            .header("dossierToken", &self.dossier_token)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .header("dossierToken", &self.dossier_token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn post_booking(&self, body: &Value) -> (u16, String) {
        let response = self
            .send(reqwest::Method::POST, "buysellbookings", body)
            .await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// The refusal of a booking: status, error code, message.
    async fn refusal(&self, body: &Value) -> (u16, i64, String) {
        let (status, text) = self.post_booking(body).await;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (
            status,
            body["errorCode"].as_i64().unwrap_or(0),
            body["errorMessage"].as_str().unwrap_or_default().to_owned(),
        )
    }

    async fn modified(&self, since: &str, journal: Option<&str>) -> (u16, Value) {
        let by = BY.to_string();
        let mut query = vec![("bookyearId", by.as_str()), ("modifiedTimeStamp", since)];
        if let Some(journal) = journal {
            query.push(("journalKey", journal));
        }
        self.get("buysellbookings/modified", &query).await
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn code(body: &Value) -> i64 {
    body["errorCode"].as_i64().unwrap_or(0)
}

fn message(body: &Value) -> &str {
    body["errorMessage"].as_str().unwrap_or_default()
}

/// An invoice of 1,500 + 315 VAT in V1, period 2026-07.
fn invoice(number: i64) -> Value {
    json!({
        "buySellBookingServiceData": {
            "bookyearKey": {"id": BY},
            "journalKey": "V1",
            "documentSequenceNr": number,
            "relationIdentificationServiceData": {"relationKey": {"id": DEMO_RELATION_ANKER}, "externalRelationId": 0},
            "bookyearPeriodeNr": 202607,
            "documentDate": "2026-07-07",
            "expiryDate": "2026-08-06",
            "comment": format!("Factuur 2026/{number}"),
            "orderReference": "",
            "reference": "+++145/2000/00135+++",
            "amount": 1815.00,
            "currencyCode": "EUR",
            "exchangeRate": 1.0,
            "paymentMethod": 0,
            "bookingLines": [{"accountKey": 700000, "baseAmount": 1500.00, "vatCodeKey": "21", "vatAmount": 315.00, "comment": "Consultancy", "vatRecupPercentage": 100.0}]
        },
        "attachments": [{"fileName": format!("F2026-{number}.pdf"), "fileData": "JVBERi0xLjQK"}]
    })
}

/// A credit note of −121 in V2.
fn credit_note(number: i64) -> Value {
    let mut body = invoice(number);
    let data = &mut body["buySellBookingServiceData"];
    data["journalKey"] = json!("V2");
    data["amount"] = json!(-121.0);
    data["bookingLines"] =
        json!([{"accountKey": 700000, "baseAmount": 100.0, "vatCodeKey": "21", "vatAmount": 21.0}]);
    body
}

fn set(body: &mut Value, field: &str, value: Value) {
    body["buySellBookingServiceData"][field] = value;
}

#[tokio::test]
async fn octopus_login_takes_two_tokens_with_strict_header_rules() {
    let mut env = Env::start().await;
    let (status, body) = env.authenticate(None, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!((status, code(&body)), (401, -79), "{body}");
    assert_eq!(message(&body), "Empty access token");
    assert!(body.get("technicalInfo").is_some());
    let (status, body) = env
        .authenticate(
            Some("00000000-0000-0000-0000-000000000000"),
            DEMO_USER,
            DEMO_PASSWORD,
        )
        .await;
    assert_eq!((status, code(&body)), (401, -79));
    let (status, body) = env
        .authenticate(Some(DEFAULT_SOFTWARE_HOUSE_UUID), DEMO_USER, "wrong")
        .await;
    assert_eq!(
        (status, code(&body), message(&body)),
        (401, -1, "Bad credentials")
    );

    let token = env.user_token(DEMO_USER, DEMO_PASSWORD).await;
    // GET /dossiers: the user token in header `Token`.
    let response = env
        .http
        .get(format!("{}/dossiers", env.api))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!((status, code(&body)), (401, -79));
    let response = env
        .http
        .get(format!("{}/dossiers", env.api))
        .header("Token", "nonsense")
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(
        (status, code(&body), message(&body)),
        (401, -81, "Invalid or expired token")
    );
    let response = env
        .http
        .get(format!("{}/dossiers", env.api))
        .header("Token", &token)
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!([{"dossierKey": {"id": D}, "dossierDescription": "Demo BV", "vatNr": "BE0403170701"}])
    );
    let (status, body) = env.open_dossier_raw(&token, 999).await;
    assert_eq!(
        (status, code(&body), message(&body)),
        (403, -3, "No access to dossier 999")
    );

    let dossier_token = env.open_dossier(&token, D).await;
    // The user token sent as `Token` on a dossier call: "Empty access token".
    let response = env
        .http
        .get(env.url("bookyears"))
        .header("Token", &token)
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!((status, code(&body)), (401, -79));
    // The user token in the right header: invalid.
    let response = env
        .http
        .get(env.url("bookyears"))
        .header("dossierToken", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await.0, 401);
    // The header name is case-insensitive.
    let response = env
        .http
        .get(env.url("bookyears"))
        .header("DOSSIERTOKEN", &dossier_token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await.0, 200);

    // A token for another dossier does not open this one.
    let mut other = octopus::seed::demo_dossier(start_instant().date_naive());
    other.id = 111;
    other.description = "Andere BV".to_owned();
    env.sim.add_dossier(other);
    let other_token = env.open_dossier(&token, 111).await;
    let response = env
        .http
        .get(env.url("bookyears"))
        .header("dossierToken", &other_token)
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!((status, code(&body)), (401, -81));

    // Both tokens expire after 600 s on the sim clock.
    env.dossier_token = dossier_token;
    env.sim.clock().advance(Duration::seconds(599));
    assert_eq!(env.get("vatcodes", &[]).await.0, 200);
    env.sim.clock().advance(Duration::seconds(2));
    let (status, body) = env.get("vatcodes", &[]).await;
    assert_eq!((status, code(&body)), (401, -81));
    let (status, body) = env.open_dossier_raw(&token, D).await;
    assert_eq!((status, code(&body)), (401, -81));

    let stats = env.sim.stats();
    assert_eq!(stats.authentications, 2, "{stats:?}");
    assert_eq!(stats.dossier_tokens, 3, "{stats:?}");

    // expire_tokens and a changed password.
    env.login().await;
    env.sim.expire_tokens();
    assert_eq!(code(&env.get("vatcodes", &[]).await.1), -81);
    env.sim
        .change_password(DEMO_USER, "nieuw-wachtwoord")
        .unwrap();
    let (status, body) = env
        .authenticate(Some(DEFAULT_SOFTWARE_HOUSE_UUID), DEMO_USER, DEMO_PASSWORD)
        .await;
    assert_eq!((status, code(&body)), (401, -1));
    env.user_token(DEMO_USER, "nieuw-wachtwoord").await;
}

#[tokio::test]
async fn octopus_reference_data_has_periods_journals_accounts_and_vat_codes() {
    let env = Env::start().await;
    let (status, years) = env.get("bookyears", &[]).await;
    assert_eq!(status, 200);
    let years = years.as_array().unwrap();
    assert_eq!(years.len(), 3);
    let current = &years[1];
    assert_eq!(current["bookyearKey"]["id"], json!(BY));
    assert_eq!(current["bookyearDescription"], json!("2026"));
    assert_eq!(current["startDate"], json!("2026-01-01"));
    assert_eq!(current["endDate"], json!("2026-12-31"));
    assert_eq!(current["closed"], json!(false));
    assert_eq!(current["periods"].as_array().unwrap().len(), 12);
    assert_eq!(
        current["periods"][1],
        json!({"bookyearPeriod": 202602, "startDate": "2026-02-01", "endDate": "2026-02-28"})
    );

    let (status, journals) = env.get(&format!("bookyears/{BY}/journals"), &[]).await;
    assert_eq!(status, 200);
    let v1 = journals
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["journalKey"] == "V1")
        .unwrap();
    assert_eq!(v1["insertionType"], json!(2));
    assert_eq!(v1["lastBookedDocumentNr"], json!(0));
    assert_eq!(v1["closedPeriod"], json!(0));
    assert_eq!(v1["currencyCode"], json!("EUR"));
    let types: Vec<i64> = journals
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["insertionType"].as_i64().unwrap())
        .collect();
    assert_eq!(types, vec![2, 2, 6, 1, 3]);

    let (status, body) = env.get("accounts", &[]).await;
    assert_eq!((status, code(&body)), (400, -10));
    let (status, accounts) = env.get("accounts", &[("bookyearId", "2")]).await;
    assert_eq!(status, 200);
    let sales = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accountKey"]["id"] == 700000)
        .unwrap();
    assert_eq!(sales["accountKey"]["bookyearKey"]["id"], json!(BY));
    assert_eq!(
        sales["description"]["description_NL"],
        json!("Verkopen handelsgoederen")
    );
    assert_eq!(sales["salesVatCode"], json!("21"));
    assert_eq!(sales["vatRecupPercentage"], json!(100.0));

    let (status, codes) = env.get("vatcodes", &[]).await;
    assert_eq!(status, 200);
    let list: Vec<&str> = codes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for wanted in ["0", "6", "12", "21", "D6", "D21"] {
        assert!(list.contains(&wanted), "{list:?}");
    }
    let c21 = codes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "21")
        .unwrap();
    assert_eq!(c21["type"], json!(1));
    assert_eq!(c21["basePercentage"], json!(21.0));
    assert_eq!(c21["defaultSellBookingAccountNr"], json!(700000));
    assert_eq!(env.sim.calls_today(D, Group::Reference), 5);

    let response = env
        .http
        .get(format!("{}/nothing", env.api))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 404);
    assert!(body["errorCode"].is_i64());
}

#[tokio::test]
async fn octopus_relations_upsert_and_filter() {
    let env = Env::start().await;
    let (status, all) = env.get("relations", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(all.as_array().unwrap().len(), 2);

    let relation = json!({
        "relationIdentificationServiceData": {"relationKey": {"id": 0}, "externalRelationId": 12345},
        "name": "Klant NV", "firstName": "", "client": true, "supplier": false, "active": true,
        "streetAndNr": "Marktplein 5", "postalCode": "2000", "city": "Antwerpen", "country": "BE",
        "currencyCode": "EUR", "vatNr": "BE0477.472.701", "vatType": 1, "corporationType": 8,
        "email": "info@klant.example", "telephone": "", "ibanAccountNr": "", "bicCode": "",
        "defaultBookingAccountClient": 400000, "remarks": ""
    });
    let response = env.send(reqwest::Method::PUT, "relations", &relation).await;
    let (status, body) = answer(response).await;
    assert_eq!(status, 201);
    assert_eq!(body, json!({"relationKey": {"id": 3}}));

    let mut changed = relation.clone();
    changed["city"] = json!("Mechelen");
    let response = env.send(reqwest::Method::PUT, "relations", &changed).await;
    assert_eq!(response.status().as_u16(), 204);
    assert!(response.text().await.unwrap().is_empty());

    let (status, found) = env.get("relations", &[("extRelationId", "12345")]).await;
    assert_eq!(status, 200);
    let found = &found[0];
    assert_eq!(
        found["relationIdentificationServiceData"]["relationKey"]["id"],
        json!(3)
    );
    assert_eq!(found["city"], json!("Mechelen"));
    assert_eq!(found["corporationType"], json!(8));
    assert!(found["modifiedTimeStamp"].is_string());

    let (status, found) = env.get("relations", &[("vatNr", "be 0477 472 701")]).await;
    assert_eq!(status, 200);
    assert_eq!(found.as_array().unwrap().len(), 1);
    let (status, found) = env
        .get("relations", &[("name", "brouwerij het anker nv")])
        .await;
    assert_eq!(status, 200);
    assert_eq!(found[0]["vatNr"], json!("BE0403170701"));
    let (status, found) = env.get("relations", &[("relationId", "2")]).await;
    assert_eq!(
        (status, found[0]["name"].clone()),
        (200, json!("Bakkerij De Korenaar BV"))
    );
    let (status, body) = env.get("relations", &[("name", "Niemand")]).await;
    assert_eq!(
        (status, code(&body), message(&body)),
        (404, -30, "No relations found")
    );

    // Update by relationKey.id.
    let mut by_id = changed.clone();
    by_id["relationIdentificationServiceData"] =
        json!({"relationKey": {"id": 3}, "externalRelationId": 0});
    by_id["name"] = json!("Klant NV (nieuw)");
    let response = env.send(reqwest::Method::PUT, "relations", &by_id).await;
    assert_eq!(response.status().as_u16(), 204);
    let relations = env.sim.relations(D);
    assert_eq!(relations.len(), 3);
    assert_eq!(relations[2].name, "Klant NV (nieuw)");
    assert_eq!(relations[2].external_id(), 12345);

    let mut nameless = relation.clone();
    nameless["name"] = json!("");
    let response = env.send(reqwest::Method::PUT, "relations", &nameless).await;
    assert_eq!(response.status().as_u16(), 400);

    // A lost answer on create: stored, the client sees a transport error.
    env.sim.lose_relation_answers(1);
    let mut another = relation.clone();
    another["relationIdentificationServiceData"]["externalRelationId"] = json!(777);
    let error = env
        .http
        .put(env.url("relations"))
        .header("dossierToken", &env.dossier_token)
        .json(&another)
        .send()
        .await
        .and_then(|r| r.error_for_status());
    let lost = match error {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(lost);
    let (status, _) = env.get("relations", &[("extRelationId", "777")]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn octopus_booking_is_created_without_an_id_and_advances_the_journal() {
    let env = Env::start().await;
    let (status, text) = env.post_booking(&invoice(3)).await;
    assert_eq!(status, 201);
    assert!(text.is_empty(), "{text:?}");
    let (_, journals) = env.get(&format!("bookyears/{BY}/journals"), &[]).await;
    assert_eq!(journals[0]["lastBookedDocumentNr"], json!(3));
    // A lower number later does not move it back.
    assert_eq!(env.post_booking(&invoice(1)).await.0, 201);
    assert_eq!(
        env.sim
            .journal(D, BY, "V1")
            .unwrap()
            .last_booked_document_nr,
        3
    );

    let (status, one) = env
        .get(
            "buysellbookings",
            &[
                ("bookyearId", "2"),
                ("journalKey", "V1"),
                ("documentSeqNr", "3"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["documentSequenceNr"], json!(3));
    assert_eq!(one["amount"], json!(1815.0));
    assert_eq!(one["bookingLines"][0]["vatCodeKey"], json!("21"));
    assert!(one["modifiedTimeStamp"].is_string());
    let (status, body) = env
        .get(
            "buysellbookings",
            &[
                ("bookyearId", "2"),
                ("journalKey", "V1"),
                ("documentSeqNr", "9"),
            ],
        )
        .await;
    assert_eq!(status, 404, "{body}");

    let bookings = env.sim.bookings(D);
    assert_eq!(bookings.len(), 2);
    assert_eq!(bookings[0].open_amount, dec!(1815));
    assert_eq!(bookings[0].attachments, 1);
    assert_eq!(env.sim.stats().bookings_posted, 2);

    // A credit note: negative total, positive lines.
    assert_eq!(env.post_booking(&credit_note(1)).await.0, 201);
    assert_eq!(env.sim.bookings(D)[2].open_amount, dec!(-121));
}

#[tokio::test]
async fn octopus_booking_refusals_come_in_octopus_order() {
    let env = Env::start().await;
    let mut cases: Vec<(Value, u16, i64, &str)> = Vec::new();
    let mut b = invoice(1);
    set(&mut b, "bookyearKey", json!({"id": 9}));
    cases.push((b, 400, -10, "Book year 9 does not exist"));
    let mut b = invoice(1);
    set(&mut b, "journalKey", json!("X9"));
    cases.push((b, 404, -20, "Journal X9 not found"));
    let mut b = invoice(1);
    set(&mut b, "journalKey", json!("F1"));
    cases.push((
        b,
        400,
        -10,
        "Journal F1 has the wrong type: it should be Sales bookings but is Invoices",
    ));
    let mut b = invoice(1);
    set(&mut b, "journalKey", json!("A1"));
    cases.push((
        b,
        400,
        -10,
        "Journal A1 has the wrong type: it should be Sales bookings but is Purchase bookings",
    ));
    let mut b = invoice(1);
    set(&mut b, "bookyearPeriodeNr", json!(202613));
    cases.push((b, 400, -10, "Book year period 202613 does not exist"));
    let mut b = invoice(1);
    set(&mut b, "documentDate", json!("2026-08-01"));
    cases.push((
        b,
        400,
        -10,
        "Document date 2026-08-01 is not in book year period 202607",
    ));
    let mut b = invoice(1);
    set(&mut b, "documentSequenceNr", json!(0));
    cases.push((
        b,
        400,
        -10,
        "Document sequence number 0 is not valid: it must be 1 or more",
    ));
    let mut b = invoice(1);
    set(
        &mut b,
        "relationIdentificationServiceData",
        json!({"relationKey": {"id": 17}, "externalRelationId": 0}),
    );
    cases.push((b, 400, -10, "Relation 17 does not exist"));
    let mut b = invoice(1);
    set(
        &mut b,
        "relationIdentificationServiceData",
        json!({"relationKey": {"id": 0}, "externalRelationId": 4242}),
    );
    cases.push((b, 400, -10, "Relation with external id 4242 does not exist"));
    let mut b = invoice(1);
    set(&mut b, "bookingLines", json!([]));
    cases.push((b, 400, -10, "A booking needs at least one booking line"));
    let mut b = invoice(1);
    b["buySellBookingServiceData"]["bookingLines"][0]["accountKey"] = json!(700300);
    cases.push((
        b,
        400,
        -10,
        "Booking line 1: account 700300 does not exist in book year 2",
    ));
    let mut b = invoice(1);
    b["buySellBookingServiceData"]["bookingLines"][0]["vatCodeKey"] = json!("99");
    cases.push((b, 400, -10, "Booking line 1: VAT code 99 does not exist"));
    let mut b = invoice(1);
    set(&mut b, "amount", json!(1800.0));
    cases.push((
        b,
        400,
        -10,
        "Booking amount 1800.00 does not equal the sum of the lines 1815.00",
    ));
    // Credit notes: lines stay positive.
    let mut b = credit_note(1);
    set(
        &mut b,
        "bookingLines",
        json!([{"accountKey": 700000, "baseAmount": -100.0, "vatCodeKey": "21", "vatAmount": -21.0}]),
    );
    cases.push((b, 400, -10, "Booking line 1: amounts must not be negative (a credit note has positive lines and a negative total amount)"));
    let mut b = credit_note(1);
    set(&mut b, "amount", json!(-120.0));
    cases.push((
        b,
        400,
        -10,
        "Booking amount -120.00 does not equal the sum of the lines -121.00",
    ));
    let mut b = invoice(1);
    b["attachments"][0]["fileData"] = json!("not base64!");
    cases.push((
        b,
        400,
        -10,
        "Attachment F2026-1.pdf: fileData is not valid base64",
    ));
    for (body, status, error_code, text) in cases {
        assert_eq!(
            env.refusal(&body).await,
            (status, error_code, text.to_owned())
        );
    }
    let (status, text) = env.post_booking(&json!({"nothing": true})).await;
    assert_eq!(status, 400, "{text}");
    assert!(env.sim.bookings(D).is_empty());

    // A duplicate number.
    assert_eq!(env.post_booking(&invoice(3)).await.0, 201);
    assert_eq!(
        env.refusal(&invoice(3)).await,
        (
            400,
            -50,
            "Document sequence number 3 already exists in journal V1".to_owned()
        )
    );

    // A locked journal is a 403, before "closed".
    env.sim.set_journal_closed(D, BY, "V1", true).unwrap();
    env.sim
        .lock_journal(D, "V1", "boekhouder@kantoor.example")
        .unwrap();
    assert_eq!(
        env.refusal(&invoice(4)).await,
        (403, -40, "Journal V1 is in use by another user".to_owned())
    );
    env.sim.unlock_journal(D, "V1").unwrap();
    assert_eq!(
        env.refusal(&invoice(4)).await,
        (400, -10, "Journal V1 is closed".to_owned())
    );
    env.sim.set_journal_closed(D, BY, "V1", false).unwrap();

    // Closed and protected periods.
    let closed = (400, -10, "Book year period is closed".to_owned());
    env.sim.close_period(D, BY, 202607).unwrap();
    assert_eq!(env.refusal(&invoice(4)).await, closed);
    env.sim.set_period_closed(D, BY, 202607, false).unwrap();
    env.sim.set_closed_period(D, BY, "V1", 202607).unwrap();
    assert_eq!(env.refusal(&invoice(4)).await, closed);
    env.sim.set_closed_period(D, BY, "V1", 202606).unwrap();
    env.sim.set_protected_period(D, BY, "V1", 202607).unwrap();
    assert_eq!(env.refusal(&invoice(4)).await, closed);
    env.sim.set_protected_period(D, BY, "V1", 0).unwrap();
    assert_eq!(env.post_booking(&invoice(4)).await.0, 201);

    // A journal not yet synchronised: not listed, refused.
    env.sim.set_journal_visible(D, BY, "V2", false).unwrap();
    let (_, journals) = env.get(&format!("bookyears/{BY}/journals"), &[]).await;
    assert!(
        journals
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["journalKey"] != "V2")
    );
    assert_eq!(
        env.refusal(&credit_note(1)).await,
        (404, -20, "Journal V2 not found".to_owned())
    );

    // A closed bookyear.
    env.sim.set_bookyear_closed(D, BY, true).unwrap();
    assert_eq!(
        env.refusal(&invoice(5)).await,
        (400, -10, "Book year is closed".to_owned())
    );
    assert!(env.sim.stats().refusals >= 20);
}

#[tokio::test]
async fn octopus_modified_read_filters_by_timestamp_and_says_404_when_empty() {
    let env = Env::start().await;
    let before = octopus::format_timestamp(env.sim.clock().now() - Duration::seconds(1));
    let (status, body) = env.modified(&before, None).await;
    assert_eq!(
        (status, code(&body), message(&body)),
        (404, -60, "No modified bookings found")
    );

    assert_eq!(env.post_booking(&invoice(1)).await.0, 201);
    env.sim.clock().advance(Duration::seconds(10));
    let middle = octopus::format_timestamp(env.sim.clock().now());
    env.sim.clock().advance(Duration::seconds(10));
    assert_eq!(env.post_booking(&invoice(2)).await.0, 201);
    assert_eq!(env.post_booking(&credit_note(1)).await.0, 201);

    let (status, all) = env.modified(&before, None).await;
    assert_eq!(status, 200);
    assert_eq!(all.as_array().unwrap().len(), 3);
    let first = &all[0];
    assert_eq!(first["journalKey"], json!("V1"));
    assert_eq!(first["documentSequenceNr"], json!(1));
    assert_eq!(first["bookyearKey"], json!({"id": BY}));
    assert_eq!(first["reference"], json!("+++145/2000/00135+++"));
    let stamp = first["modifiedTimeStamp"].as_str().unwrap();
    assert!(octopus::parse_timestamp(stamp).is_some());
    assert_eq!(stamp.len(), "2026-07-07 10:00:00.000".len());

    let (status, later) = env.modified(&middle, None).await;
    assert_eq!(status, 200);
    assert_eq!(later.as_array().unwrap().len(), 2);
    let (_, v1) = env.modified(&middle, Some("V1")).await;
    assert_eq!(v1.as_array().unwrap().len(), 1);
    assert_eq!(v1[0]["documentSequenceNr"], json!(2));
    // The newest stamp itself: nothing strictly newer.
    let newest = later[1]["modifiedTimeStamp"].as_str().unwrap().to_owned();
    assert_eq!(env.modified(&newest, None).await.0, 404);
    // bookyearId -1 = every bookyear; another bookyear has none.
    let (status, _) = env
        .get(
            "buysellbookings/modified",
            &[("bookyearId", "-1"), ("modifiedTimeStamp", &before)],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = env
        .get(
            "buysellbookings/modified",
            &[("bookyearId", "1"), ("modifiedTimeStamp", &before)],
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = env.modified("07-07-2026 blah", None).await;
    assert_eq!((status, code(&body)), (400, -10));
    let (status, _) = env
        .get("buysellbookings/modified", &[("bookyearId", "2")])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn octopus_open_items_follow_matching() {
    let env = Env::start().await;
    assert_eq!(env.post_booking(&invoice(1)).await.0, 201);
    assert_eq!(env.post_booking(&invoice(2)).await.0, 201);
    assert_eq!(env.post_booking(&credit_note(1)).await.0, 201);
    let report = json!({"fromBookyearKey": {"id": 1}, "toBookyearKey": {"id": 3}});
    let open = |body: Value| {
        let env = &env;
        async move {
            let response = env
                .send(reqwest::Method::POST, "reports/clients/open", &body)
                .await;
            answer(response).await
        }
    };
    let (status, items) = open(report.clone()).await;
    assert_eq!(status, 200);
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[0],
        json!({"relationKey": {"id": 1}, "bookyearKey": {"id": BY}, "journalKey": "V1",
               "documentSequenceNr": 1, "documentDate": "2026-07-07", "expiryDate": "2026-08-06",
               "amount": 1815.0, "openAmount": 1815.0, "reference": "+++145/2000/00135+++"})
    );
    assert_eq!(items[2]["amount"], json!(-121.0));
    assert_eq!(items[2]["openAmount"], json!(-121.0));

    // A partial payment, a full match, a credit note partly settled.
    assert_eq!(
        env.sim
            .match_booking(D, BY, "V1", 1, Some(dec!(1000)))
            .unwrap(),
        dec!(815)
    );
    env.sim.match_booking(D, BY, "V1", 2, None).unwrap();
    assert_eq!(
        env.sim
            .match_booking(D, BY, "V2", 1, Some(dec!(21)))
            .unwrap(),
        dec!(-100)
    );
    let (_, items) = open(report.clone()).await;
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["openAmount"], json!(815.0));
    assert_eq!(items[0]["amount"], json!(1815.0));
    assert_eq!(items[1]["openAmount"], json!(-100.0));
    // Overpaying never goes below zero.
    assert_eq!(
        env.sim
            .match_booking(D, BY, "V1", 1, Some(dec!(5000)))
            .unwrap(),
        dec!(0)
    );

    let mut only_v2 = report.clone();
    only_v2["journalKey"] = json!("V2");
    let (_, items) = open(only_v2).await;
    assert_eq!(items.as_array().unwrap().len(), 1);
    env.sim.match_booking(D, BY, "V2", 1, None).unwrap();
    let (status, items) = open(report).await;
    assert_eq!((status, items), (200, json!([])));
    let (status, body) =
        open(json!({"fromBookyearKey": {"id": 8}, "toBookyearKey": {"id": 3}})).await;
    assert_eq!((status, code(&body)), (400, -10));
}

#[tokio::test]
async fn octopus_daily_budget_refuses_with_retry_after_until_brussels_midnight() {
    let mut env = Env::start().await;
    let since = "2026-01-01 00:00:00.000";
    for _ in 0..octopus::DEFAULT_MODIFIED_CALLS_PER_DAY {
        assert_eq!(env.modified(since, None).await.0, 404);
    }
    assert_eq!(env.sim.calls_today(D, Group::Modified), 48);
    let response = env
        .http
        .get(env.url("buysellbookings/modified"))
        .query(&[("bookyearId", "2"), ("modifiedTimeStamp", since)])
        .header("dossierToken", &env.dossier_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // 12:00 in Brussels: twelve hours to midnight (minus the seconds the test took).
    assert!((43_000..=43_200).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), -90);
    assert_eq!(
        message(&body),
        "Daily call limit reached for dossier 35493 (modified: 48 calls a day)"
    );
    // A refused call does not count; other groups are unlimited.
    assert_eq!(env.sim.calls_today(D, Group::Modified), 48);
    assert_eq!(env.get("vatcodes", &[]).await.0, 200);
    assert_eq!(env.sim.stats().rate_limited, 1);

    // Just before midnight still refused; after it, a fresh budget.
    env.sim.clock().advance(Duration::seconds(retry_after - 5));
    env.login().await;
    assert_eq!(env.modified(since, None).await.0, 429);
    env.sim.clock().advance(Duration::seconds(10));
    env.login().await;
    assert_eq!(env.modified(since, None).await.0, 404);
    assert_eq!(env.sim.calls_today(D, Group::Modified), 1);

    // Budgets are settable.
    env.sim.set_budget(Group::Relations, Some(1));
    assert_eq!(env.get("relations", &[]).await.0, 200);
    assert_eq!(env.get("relations", &[]).await.0, 429);
    env.sim.set_budget(Group::Relations, None);
    assert_eq!(env.get("relations", &[]).await.0, 200);
}

#[tokio::test]
async fn octopus_lost_booking_answer_is_committed_and_found_by_the_modified_read() {
    let env = Env::start().await;
    let before = octopus::format_timestamp(env.sim.clock().now() - Duration::seconds(1));
    env.sim.lose_booking_answers(1);
    let result = env
        .http
        .post(env.url("buysellbookings"))
        .header("dossierToken", &env.dossier_token)
        .json(&invoice(7))
        .send()
        .await;
    let transport_error = match result {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(transport_error, "the client must not see an answer");
    assert_eq!(env.sim.bookings(D).len(), 1);
    assert_eq!(env.sim.stats().lost_answers, 1);
    // Crash recovery: read back before re-posting.
    let (status, found) = env.modified(&before, Some("V1")).await;
    assert_eq!(status, 200);
    assert_eq!(found[0]["documentSequenceNr"], json!(7));
    assert_eq!(env.refusal(&invoice(7)).await.1, -50);
    // The fault is spent.
    assert_eq!(env.post_booking(&invoice(8)).await.0, 201);
}

#[tokio::test]
async fn octopus_outages_apply_nothing() {
    let env = Env::start().await;
    env.sim.fail_next(Some("bookings"), 503, 2);
    let (status, text) = env.post_booking(&invoice(1)).await;
    assert_eq!(status, 503);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(body["errorCode"].is_i64());
    // Other groups are not affected while armed.
    assert_eq!(env.get("vatcodes", &[]).await.0, 200);
    assert_eq!(env.post_booking(&invoice(1)).await.0, 503);
    assert!(env.sim.bookings(D).is_empty());
    assert_eq!(env.post_booking(&invoice(1)).await.0, 201);

    env.sim.set_fail_next(octopus::FailNext {
        html: true,
        ..octopus::FailNext::new(Some("relations"), 502, 1)
    });
    let response = env
        .http
        .get(env.url("relations"))
        .header("dossierToken", &env.dossier_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 502);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(env.sim.stats().injected_failures, 3);
    env.sim.fail_next(None, 500, 5);
    env.sim.clear_faults();
    assert_eq!(env.get("relations", &[]).await.0, 200);
}

#[tokio::test]
async fn octopus_admin_http_controls_the_same_state() {
    let env = Env::start().await;
    let admin = env.sim.admin_url();
    let http = &env.http;
    assert_eq!(
        http.get(format!("{admin}/health"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let response = http
        .post(format!("{admin}/journals/lock"))
        .json(&json!({"dossier": D, "journal": "V1", "user": "boekhouder"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(env.refusal(&invoice(1)).await.0, 403);
    http.post(format!("{admin}/journals/unlock"))
        .json(&json!({"dossier": D, "journal": "V1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(env.post_booking(&invoice(1)).await.0, 201);
    let response = http
        .post(format!("{admin}/bookings/match"))
        .json(&json!({"dossier": D, "bookyear": BY, "journal": "V1", "document_nr": 1, "amount": "815"}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["open_amount"], json!("1000"));
    let bookings: Value = http
        .get(format!("{admin}/dossiers/{D}/bookings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bookings[0]["attachments"], json!(1));
    let response = http
        .put(format!("{admin}/budgets"))
        .json(&json!({"per_day": {"reference": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(env.get("vatcodes", &[]).await.0, 200);
    assert_eq!(env.get("vatcodes", &[]).await.0, 429);
    let calls: Value = http
        .get(format!("{admin}/calls-today?dossier={D}&group=reference"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["calls"], json!(1));
    http.post(format!("{admin}/faults"))
        .json(&json!({"lose_booking_answers": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(env.sim.faults().lose_booking_answers, 2);
    http.delete(format!("{admin}/faults")).send().await.unwrap();
    assert_eq!(env.sim.faults(), octopus::Faults::default());
    let response = http
        .delete(format!("{admin}/dossiers/{D}/bookings/{BY}/V1/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(env.sim.bookings(D).is_empty());
    let stats: Value = http
        .get(format!("{admin}/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        stats["requests"]["POST /dossiers/{dossierId}/buysellbookings"]
            .as_u64()
            .unwrap()
            >= 2
    );
    let state: Value = http
        .get(format!("{admin}/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["dossiers"][0]["id"], json!(D));
}
