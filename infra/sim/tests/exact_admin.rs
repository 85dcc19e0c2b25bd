//! The Exact simulator's `/_sim` admin API, as the demo and scripts use it.

mod exact_support;

use exact_support::{message, start, status_and_json};
use serde_json::{Value, json};

#[tokio::test]
async fn seed_tokens_faults_periods_clock_and_quotas_over_http() {
    let env = start().await;
    let admin = |path: &str| format!("{}/_sim/{path}", env.sim.base_url);
    let http = &env.http;

    assert_eq!(
        http.get(admin("health"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let seeded = http
        .post(admin("divisions"))
        .json(&json!({"preset": "nl", "code": 300001, "description": "Extra NL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 200);
    let (status, pair) = status_and_json(
        http.post(admin("tokens"))
            .json(&json!({"division": 300001}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let me: Value = http
        .get(format!("{}/api/v1/current/Me", env.sim.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["d"]["results"][0]["CurrentDivision"], 300001);
    let unknown = http
        .post(admin("tokens"))
        .json(&json!({"division": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // Payment conditions: the direct-debit one is discoverable.
    let conditions = env
        .results("cashflow/PaymentConditions?$filter=PaymentMethod eq 'I'&$select=Code,PaymentDays")
        .await;
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0]["Code"], "DOM");

    let division = env.sim.division(env.division).unwrap();
    let body = json!({
        "Journal": "700",
        "Customer": division.accounts[0].id.to_string(),
        "EntryDate": "2026-05-04",
        "PaymentCondition": "DOM",
        "SalesEntryLines": [{"GLAccount": division.gl_account_by_code("705000").unwrap().id.to_string(), "AmountFC": 80}]
    });

    let faults = http
        .post(admin("faults"))
        .json(&json!({"crash_after_commit": {"count": 1, "mode": "internal_error"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    assert_eq!(
        env.post("salesentry/SalesEntries", &body).await.status(),
        500
    );
    let state: Value = http
        .get(admin("state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let be = state["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == env.division)
        .unwrap();
    assert_eq!(
        be["entries"].as_array().unwrap().len(),
        1,
        "stored despite the 500"
    );
    assert_eq!(
        be["entries"][0]["due_date"], "2026-06-03",
        "DOM gives 30 days"
    );

    let close = json!({"division": env.division, "year": 2026, "period": 5});
    assert_eq!(
        http.post(admin("periods/close"))
            .json(&close)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (status, refusal) = status_and_json(env.post("salesentry/SalesEntries", &body).await).await;
    assert_eq!(
        (status, message(&refusal).as_str()),
        (500, "Periode is afgesloten: 2026 - 5")
    );
    assert_eq!(
        http.post(admin("periods/open"))
            .json(&close)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        env.post("salesentry/SalesEntries", &body).await.status(),
        201
    );

    let stats: Value = http
        .get(admin("stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["POST salesentry/SalesEntries"], 3);
    assert_eq!(stats["crashes_after_commit"], 1);

    let limits = http
        .put(admin("rate-limits"))
        .json(&json!({"per_minute": 1, "per_day": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(limits.status(), 200);
    let first = env.get("financial/Journals").await.status();
    let second = env.get("financial/Journals").await.status();
    assert!(
        first == 200 && (second == 429 || second == 200),
        "{first} {second}"
    );
    if second == 200 {
        // The two calls straddled a minute boundary; the third cannot.
        assert_eq!(env.get("financial/Journals").await.status(), 429);
    }
    http.put(admin("rate-limits"))
        .json(&Value::Null)
        .send()
        .await
        .unwrap();

    let before: Value = http
        .get(admin("clock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after: Value = http
        .post(admin("clock"))
        .json(&json!({"advance_seconds": 600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parse =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v["now"].as_str().unwrap()).unwrap();
    assert!((parse(&after) - parse(&before)).num_seconds() >= 600);
    assert_eq!(
        env.get("financial/Journals").await.status(),
        401,
        "10 minutes later the token has expired"
    );
}
