//! Shared set-up for the Teamleader simulator tests: a seeded two-account simulator and a
//! tiny HTTP client.
#![allow(dead_code)]

use chrono::{NaiveDate, TimeZone, Utc};
use koppel_sim::teamleader::{
    self, SeedAccount, SeedAddress, SeedCompany, SeedContact, SeedCreditNote, SeedCustomField,
    SeedCustomer, SeedDepartment, SeedInvoice, SeedInvoiceStatus, SeedLedger, SeedLine,
    SeedPayment, SeedProductCategory, SeedTaxRate, SeedUser, SimHandle, SimOptions,
};
use reqwest::header::HeaderMap;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

/// Account A: two departments, companies, a contact, invoices in every state, credit notes.
pub const ACCOUNT_A: &str = "acc-a";
/// Account B: one department and one invoice.
pub const ACCOUNT_B: &str = "acc-b";

fn id(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn line(
    description: &str,
    quantity: rust_decimal::Decimal,
    price: rust_decimal::Decimal,
    tax: &str,
) -> SeedLine {
    SeedLine {
        description: description.to_owned(),
        quantity: Some(quantity),
        unit_price: price,
        tax_rate_id: tax.to_owned(),
        discount_percent: None,
        product_category_id: id("cat-services"),
    }
}

fn company(customer: &str) -> SeedCustomer {
    SeedCustomer {
        kind: "company".to_owned(),
        id: customer.to_owned(),
    }
}

/// The seed of account A.
pub fn account_a() -> SeedAccount {
    SeedAccount {
        id: id(ACCOUNT_A),
        name: "Bakkerij Peeters".to_owned(),
        users: vec![SeedUser {
            id: id("user-a"),
            first_name: "Anna".to_owned(),
            last_name: "Peeters".to_owned(),
            email: "anna@peeters.be".to_owned(),
            language: None,
        }],
        departments: vec![
            SeedDepartment {
                id: id("dep-a1"),
                name: "Bakkerij Peeters BV".to_owned(),
                vat_number: "BE0477472701".to_owned(),
                currency: None,
                email: Some("facturen@peeters.be".to_owned()),
                address: None,
                tax_rates: vec![
                    SeedTaxRate {
                        id: id("tax-a1-21"),
                        rate: dec!(0.21),
                        description: None,
                    },
                    SeedTaxRate {
                        id: id("tax-a1-6"),
                        rate: dec!(0.06),
                        description: None,
                    },
                    SeedTaxRate {
                        id: id("tax-a1-0"),
                        rate: dec!(0),
                        description: Some("0% export".into()),
                    },
                ],
            },
            SeedDepartment {
                id: id("dep-a2"),
                name: "Peeters Catering BV".to_owned(),
                vat_number: "BE0403170701".to_owned(),
                currency: None,
                email: None,
                address: None,
                tax_rates: vec![SeedTaxRate {
                    id: id("tax-a2-21"),
                    rate: dec!(0.21),
                    description: None,
                }],
            },
        ],
        product_categories: vec![SeedProductCategory {
            id: id("cat-services"),
            name: "Diensten".to_owned(),
            ledgers: vec![
                SeedLedger {
                    department_id: "dep-a1".into(),
                    ledger_account_number: "700000".into(),
                },
                SeedLedger {
                    department_id: "dep-a2".into(),
                    ledger_account_number: "700100".into(),
                },
            ],
        }],
        custom_fields: vec![SeedCustomField {
            id: id("cf-extid"),
            context: "company".to_owned(),
            kind: None,
            label: "External ID".to_owned(),
        }],
        companies: vec![
            SeedCompany {
                id: id("comp-1"),
                name: "Brasserie Lefèvre SRL".to_owned(),
                vat_number: Some("BE 0477.472.701".to_owned()),
                email: Some("info@lefevre.be".to_owned()),
                website: Some("https://lefevre.be".to_owned()),
                address: Some(SeedAddress {
                    line_1: Some("Grote Markt 1".into()),
                    postal_code: Some("9000".into()),
                    city: Some("Gent".into()),
                    country: Some("BE".into()),
                }),
                tags: vec!["klant".to_owned()],
                custom_fields: [("cf-extid".to_owned(), json!("EX-001"))].into(),
                ..SeedCompany::default()
            },
            SeedCompany {
                id: id("comp-2"),
                name: "Atelier Çelik".to_owned(),
                ..SeedCompany::default()
            },
        ],
        contacts: vec![SeedContact {
            id: id("cont-1"),
            first_name: "Émile".to_owned(),
            last_name: "Maes".to_owned(),
            email: Some("emile@maes.be".to_owned()),
            vat_number: None,
            company_ids: vec!["comp-1".to_owned()],
            ..SeedContact::default()
        }],
        invoices: vec![
            SeedInvoice {
                id: id("inv-1"),
                department_id: "dep-a1".into(),
                customer: company("comp-1"),
                invoice_date: Some(date(2024, 1, 15)),
                number: Some("2024 / 1".into()),
                lines: vec![
                    line("Taart", dec!(3), dec!(33.333), "tax-a1-21"),
                    SeedLine {
                        discount_percent: Some(dec!(10)),
                        ..line("Brood", dec!(10), dec!(2.50), "tax-a1-6")
                    },
                ],
                ..SeedInvoice::default()
            },
            SeedInvoice {
                id: id("inv-2"),
                department_id: "dep-a1".into(),
                customer: company("comp-2"),
                invoice_date: Some(date(2024, 1, 31)),
                lines: vec![line("Catering", dec!(1), dec!(100), "tax-a1-21")],
                payments: vec![SeedPayment {
                    amount: dec!(121),
                    paid_at: Utc.with_ymd_and_hms(2024, 2, 5, 10, 0, 0).unwrap(),
                }],
                ..SeedInvoice::default()
            },
            SeedInvoice {
                id: id("inv-3"),
                department_id: "dep-a1".into(),
                customer: SeedCustomer {
                    kind: "contact".into(),
                    id: "cont-1".into(),
                },
                invoice_date: Some(date(2024, 2, 1)),
                lines: vec![line("Workshop", dec!(2), dec!(50), "tax-a1-21")],
                ..SeedInvoice::default()
            },
            SeedInvoice {
                id: id("inv-4"),
                department_id: "dep-a1".into(),
                customer: company("comp-1"),
                status: SeedInvoiceStatus::Draft,
                lines: vec![line("Concept", dec!(1), dec!(80), "tax-a1-21")],
                ..SeedInvoice::default()
            },
            SeedInvoice {
                id: id("inv-5"),
                department_id: "dep-a2".into(),
                customer: company("comp-1"),
                invoice_date: Some(date(2024, 1, 20)),
                lines: vec![line("Buffet", dec!(1), dec!(500), "tax-a2-21")],
                ..SeedInvoice::default()
            },
        ],
        credit_notes: vec![
            SeedCreditNote {
                id: id("cn-1"),
                invoice_id: id("inv-1"),
                credit_note_date: Some(date(2024, 2, 10)),
                lines: vec![line("Taart (retour)", dec!(1), dec!(33.333), "tax-a1-21")],
                ..SeedCreditNote::default()
            },
            SeedCreditNote {
                id: id("cn-2"),
                department_id: id("dep-a1"),
                customer: Some(company("comp-2")),
                credit_note_date: Some(date(2024, 2, 11)),
                lines: vec![line("Korting", dec!(1), dec!(10), "tax-a1-21")],
                ..SeedCreditNote::default()
            },
        ],
    }
}

/// The seed of account B.
pub fn account_b() -> SeedAccount {
    SeedAccount {
        id: id(ACCOUNT_B),
        name: "Drukkerij Janssens".to_owned(),
        departments: vec![SeedDepartment {
            id: id("dep-b1"),
            name: "Drukkerij Janssens NV".to_owned(),
            vat_number: "BE0417497106".to_owned(),
            tax_rates: vec![SeedTaxRate {
                id: id("tax-b1-21"),
                rate: dec!(0.21),
                description: None,
            }],
            ..SeedDepartment::default()
        }],
        companies: vec![SeedCompany {
            id: id("comp-b1"),
            name: "Klant B".to_owned(),
            ..SeedCompany::default()
        }],
        invoices: vec![SeedInvoice {
            id: id("inv-b1"),
            department_id: "dep-b1".into(),
            customer: company("comp-b1"),
            invoice_date: Some(date(2024, 3, 1)),
            lines: vec![SeedLine {
                description: "Folders".into(),
                quantity: Some(dec!(1000)),
                unit_price: dec!(0.12),
                tax_rate_id: "tax-b1-21".into(),
                ..SeedLine::default()
            }],
            ..SeedInvoice::default()
        }],
        ..SeedAccount::default()
    }
}

/// A running simulator with both accounts and a token for each.
pub struct Fixture {
    pub sim: SimHandle,
    pub http: reqwest::Client,
    pub token_a: String,
    pub token_b: String,
}

/// A simulator started with `options`, seeded with accounts A and B.
pub async fn start_with(options: SimOptions) -> Fixture {
    let sim = teamleader::spawn(options).await.unwrap();
    sim.seed(account_a()).unwrap();
    sim.seed(account_b()).unwrap();
    let token_a = sim
        .issue_tokens(ACCOUNT_A, None, None)
        .unwrap()
        .access_token;
    let token_b = sim
        .issue_tokens(ACCOUNT_B, None, None)
        .unwrap()
        .access_token;
    Fixture {
        sim,
        http: client(),
        token_a,
        token_b,
    }
}

/// A simulator on the system clock.
pub async fn start() -> Fixture {
    start_with(SimOptions::default()).await
}

/// A client that does not follow redirects (the authorize step must be seen).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// An API answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The first error title.
    pub fn error_title(&self) -> &str {
        self.body["errors"][0]["title"].as_str().unwrap_or_default()
    }
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Fixture {
    /// POST `{base}/{method}` with a bearer token and a JSON body.
    pub async fn call_with(&self, token: &str, method: &str, body: Value) -> Answer {
        let response = self
            .http
            .post(format!("{}/{method}", self.sim.base_url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// GET `{base}/{method}?{query}` with account A's token (`query` as written, unencoded
    /// brackets included).
    pub async fn get(&self, method: &str, query: &str) -> Answer {
        let response = self
            .http
            .get(format!("{}/{method}?{query}", self.sim.base_url))
            .bearer_auth(&self.token_a)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// The same as account A.
    pub async fn call(&self, method: &str, body: Value) -> Answer {
        self.call_with(&self.token_a.clone(), method, body).await
    }

    /// Call and insist on 200; returns `data`.
    pub async fn data(&self, method: &str, body: Value) -> Value {
        let answer = self.call(method, body).await;
        assert_eq!(answer.status, 200, "{method}: {:?}", answer.body);
        answer.body["data"].clone()
    }

    /// POST the token endpoint with form parameters.
    pub async fn token_request(&self, params: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(format!("{}/oauth2/access_token", self.sim.base_url))
            .form(params)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }
}
