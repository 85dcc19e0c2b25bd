//! OData behaviour of the Exact simulator: envelopes, paging with `__next`, `$select`,
//! `$filter`, mandatory filters, bulk guards, dates and codes as Exact writes them.

mod exact_support;

use exact_support::{message, start, status_and_json};
use serde_json::Value;

#[tokio::test]
async fn me_and_divisions_name_the_current_division() {
    let env = start().await;
    let me_url = format!(
        "{}/api/v1/current/Me?$select=CurrentDivision",
        env.sim.base_url
    );
    let me: Value = env.get_url(&me_url).await.json().await.unwrap();
    assert_eq!(me["d"]["results"][0]["CurrentDivision"], env.division);
    assert_eq!(
        me["d"]["results"][0]["__metadata"]["type"],
        "Exact.Web.Api.System.Me"
    );
    let divisions = env
        .results("system/Divisions?$select=Code,Current,Country")
        .await;
    assert_eq!(divisions.len(), 2);
    let current: Vec<&Value> = divisions.iter().filter(|d| d["Current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["Code"], env.division);
    assert_eq!(current[0]["Country"], "BE");
}

async fn walk(env: &exact_support::Env, first: &str) -> (Vec<usize>, Vec<Value>) {
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    let mut next = Some(env.url(first));
    while let Some(url) = next {
        let body: Value = env.get_url(&url).await.json().await.unwrap();
        let results = body["d"]["results"].as_array().unwrap();
        sizes.push(results.len());
        all.extend(results.iter().cloned());
        next = body["d"]["__next"].as_str().map(str::to_owned);
        assert!(sizes.len() < 10, "paging does not end");
    }
    (sizes, all)
}

#[tokio::test]
async fn pages_of_sixty_with_next_links_and_an_empty_page_after_an_exact_multiple() {
    let env = start().await;
    // 3 seeded customers + 117 = 120 = two full pages.
    for i in 0..117 {
        env.sim
            .add_customer(env.division, &format!("Klant {i:03}"), None)
            .unwrap();
    }
    let (sizes, all) = walk(&env, "crm/Accounts?$filter=Status eq 'C'&$select=ID,Name").await;
    assert_eq!(
        sizes,
        [60, 60, 0],
        "Exact emits __next after every full page"
    );
    let mut ids: Vec<&str> = all.iter().map(|a| a["ID"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 120, "no record twice, none skipped");

    env.sim
        .add_customer(env.division, "Nog een klant", None)
        .unwrap();
    let (sizes, _) = walk(&env, "crm/Accounts?$filter=Status eq 'C'&$select=ID").await;
    assert_eq!(sizes, [60, 60, 1]);

    // The filter travels with the __next link.
    let (sizes, all) = walk(&env, "crm/Accounts?$filter=Name eq 'Nog een klant'").await;
    assert_eq!((sizes.as_slice(), all.len()), ([1].as_slice(), 1));
}

#[tokio::test]
async fn select_and_filter_on_gl_accounts() {
    let env = start().await;
    let revenue = env
        .results(
            "financial/GLAccounts?$select=Code,Type&$filter=Type eq 110 and IsBlocked eq false",
        )
        .await;
    assert!(!revenue.is_empty());
    for account in &revenue {
        assert_eq!(account["Type"], 110);
        assert!(
            account["Code"].as_str().unwrap().starts_with("70"),
            "{account}"
        );
        let mut keys: Vec<&str> = account
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["Code", "Type", "__metadata"]);
    }
    let blocked = env
        .results("financial/GLAccounts?$filter=IsBlocked eq true")
        .await;
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["BalanceType"], "W");

    let (status, body) =
        status_and_json(env.get("financial/GLAccounts?$filter=Kode eq '1'").await).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("No property 'Kode'"), "{body}");
    let (status, body) = status_and_json(env.get("financial/GLAccounts?$select=Nope").await).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn journals_vat_codes_and_periods_look_like_exact() {
    let env = start().await;
    let sales = env
        .results("financial/Journals?$filter=Type eq 20&$select=Code")
        .await;
    let mut codes: Vec<&str> = sales.iter().map(|j| j["Code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["700", "710"]);

    let vat = env.results("vat/VATCodes?$filter=Code eq '21'").await;
    assert_eq!(vat.len(), 1, "trailing padding is ignored in comparisons");
    assert_eq!(
        vat[0]["Code"], "21 ",
        "VAT codes come padded to three characters"
    );
    assert_eq!(
        vat[0]["Percentage"].as_f64(),
        Some(0.21),
        "percentages are fractions"
    );
    assert_eq!(vat[0]["Type"], "E");
    let inclusive = env.results("vat/VATCodes?$filter=Type eq 'I'").await;
    assert!(!inclusive.is_empty());

    let march = env
        .results("financial/FinancialPeriods?$filter=FinYear eq 2026 and FinPeriod eq 3")
        .await;
    assert_eq!(march.len(), 1);
    assert_eq!(march[0]["StartDate"], "/Date(1772323200000)/");
    assert_eq!(march[0]["EndDate"], "/Date(1774915200000)/");
    let by_date = env
        .results("financial/FinancialPeriods?$filter=StartDate le datetime'2026-03-15T00:00:00' and EndDate ge datetime'2026-03-15T00:00:00'")
        .await;
    assert_eq!(by_date.len(), 1);
    assert_eq!(by_date[0]["FinPeriod"], 3);
}

#[tokio::test]
async fn accounts_demand_a_filter_and_padded_codes() {
    let env = start().await;
    let (status, body) = status_and_json(env.get("crm/Accounts").await).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).starts_with("This endpoint has mandatory filtering applied."),
        "{body}"
    );
    assert!(message(&body).contains("Code") && message(&body).contains("VATNumber"));
    let (status, _) = status_and_json(env.get("crm/Accounts?$filter=City eq 'Gent'").await).await;
    assert_eq!(
        status, 400,
        "a filter without a mandatory field is not enough"
    );

    let unpadded = env.results("crm/Accounts?$filter=Code eq '1'").await;
    assert!(
        unpadded.is_empty(),
        "codes are 18 characters, right-aligned"
    );
    let padded = env
        .results(&format!("crm/Accounts?$filter=Code eq '{:>18}'", "1"))
        .await;
    assert_eq!(padded.len(), 1);
    assert_eq!(padded[0]["Code"].as_str().unwrap().len(), 18);

    let by_vat = env
        .results("crm/Accounts?$filter=VATNumber eq 'BE0403170701'")
        .await;
    assert_eq!(by_vat[0]["Name"], "Brouwerij De Ster BV");
    let id = by_vat[0]["ID"].as_str().unwrap();
    let by_id = env
        .results(&format!("crm/Accounts?$filter=ID eq guid'{id}'"))
        .await;
    assert_eq!(by_id.len(), 1);
    let one = env.get_json(&format!("crm/Accounts(guid'{id}')")).await;
    assert_eq!(one["d"]["Name"], "Brouwerij De Ster BV");
    let (status, body) =
        status_and_json(env.get(&format!("crm/Accounts?$filter=ID eq '{id}'")).await).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("incompatible"), "{body}");
}

#[tokio::test]
async fn creating_an_account_assigns_the_next_padded_code() {
    let env = start().await;
    let response = env
        .post("crm/Accounts", &serde_json::json!({"Name": "Nieuwe Klant NV", "VATNumber": "BE0123456749", "Country": "be"}))
        .await;
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["d"]["Code"], format!("{:>18}", "4"));
    assert_eq!(body["d"]["Status"], "C");
    assert_eq!(body["d"]["IsSales"], true);
    // Stored upper-cased, returned padded to three characters as Exact does.
    assert_eq!(body["d"]["Country"], "BE ");
    assert!(body["d"]["Created"].as_str().unwrap().starts_with("/Date("));

    let (status, body) = status_and_json(
        env.post(
            "crm/Accounts",
            &serde_json::json!({"Code": "4", "Name": "Dubbel"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, message(&body).as_str()), (500, "In gebruik: Code"));
    let (status, body) = status_and_json(
        env.post("crm/Accounts", &serde_json::json!({"City": "Gent"}))
            .await,
    )
    .await;
    assert_eq!((status, message(&body).as_str()), (500, "Verplicht: Naam"));
    let (status, body) = status_and_json(
        env.post("crm/Accounts", &serde_json::json!({"Nam": "typo"}))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        message(&body).starts_with("Error processing request stream."),
        "{body}"
    );
}

#[tokio::test]
async fn bulk_receivables_require_select_and_limit_filters() {
    let env = start().await;
    let (status, body) = status_and_json(env.get("bulk/Cashflow/Receivables").await).await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "Please add a $select or a $top=1 statement to the query string."
    );
    assert_eq!(
        env.get("bulk/Cashflow/Receivables?$top=1").await.status(),
        200
    );
    assert_eq!(
        env.get("bulk/Cashflow/Receivables?$select=ID,IsFullyPaid")
            .await
            .status(),
        200
    );
    let (status, body) = status_and_json(
        env.get("bulk/Cashflow/Receivables?$select=ID&$filter=YourRef eq 'x'")
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "This $filter parameter is not supported for this resource"
    );
}

#[tokio::test]
async fn unknown_resources_and_methods_are_refused() {
    let env = start().await;
    assert_eq!(env.get("financial/Nonsense").await.status(), 404);
    let put = env
        .http
        .put(env.url("financial/GLAccounts"))
        .bearer_auth(&env.token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(env.sim.stats().calls_to("financial/Nonsense"), 1);
}
