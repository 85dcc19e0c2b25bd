//! Documents left behind: Koppel uploads a document and its attachment before posting the
//! sales entry that names it, and deletes the document when the entry is refused. The
//! simulator finds documents by `Subject` and `Account`, deletes them (with their
//! attachments) unless a booked entry refers to them, and lets tests count documents and
//! find the orphans.

mod exact_support;

use exact_support::{Env, message, start, status_and_json};
use serde_json::{Value, json};

/// POST a sales-invoice document with one PDF attachment; returns the document id.
async fn upload(env: &Env, subject: &str, account: &str) -> String {
    let (status, body) = status_and_json(
        env.post(
            "documents/Documents",
            &json!({"Subject": subject, "Type": 10, "Account": account}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["d"]["ID"].as_str().unwrap().to_owned();
    let (status, body) = status_and_json(
        env.post(
            "documents/DocumentAttachments",
            &json!({"Attachment": "JVBERi0xLjQK", "Document": id, "FileName": "factuur.pdf"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    id
}

/// A sales entry naming `document`, in `journal`.
fn entry(env: &Env, journal: &str, document: &str) -> Value {
    json!({
        "Journal": journal,
        "Customer": env.customer(),
        "EntryDate": "2026-03-15",
        "YourRef": "2026 / 17",
        "Document": document,
        "SalesEntryLines": [{"GLAccount": env.gl("700000"), "AmountFC": 100, "VATCode": "21"}]
    })
}

/// DELETE `path` of the division.
async fn delete(env: &Env, path: &str) -> reqwest::Response {
    env.http
        .delete(env.url(path))
        .bearer_auth(&env.token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_document_left_by_a_refused_entry_is_found_and_deleted_with_its_attachments() {
    let env = start().await;
    let customer = env.customer();
    let kept = upload(&env, "Factuur 2026 / 16", &customer).await;
    let (status, _) = status_and_json(
        env.post("salesentry/SalesEntries", &entry(&env, "700", &kept))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let left = upload(&env, "Factuur 2026 / 17", &customer).await;
    // Journal 600 is a purchase journal: the entry is refused, the upload stays behind.
    let (status, body) = status_and_json(
        env.post("salesentry/SalesEntries", &entry(&env, "600", &left))
            .await,
    )
    .await;
    assert_eq!(status, 500, "{body}");

    assert_eq!(env.sim.documents(env.division).len(), 2);
    let orphans = env.sim.orphan_documents(env.division);
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].id.to_string(), left);

    // A client finds the leftover by its subject and customer.
    let found = env
        .results(&format!(
            "documents/Documents?$filter=Subject eq 'Factuur 2026 / 17' and Account eq guid'{customer}'&$select=ID,Subject,Account"
        ))
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["ID"], left.as_str());
    let by_account = env
        .results(&format!(
            "documents/Documents?$filter=Account eq guid'{customer}'&$select=ID"
        ))
        .await;
    assert_eq!(by_account.len(), 2);

    let response = delete(&env, &format!("documents/Documents(guid'{left}')")).await;
    assert_eq!(response.status(), 204);
    assert!(response.text().await.unwrap().is_empty());

    let (status, _) =
        status_and_json(env.get(&format!("documents/Documents(guid'{left}')")).await).await;
    assert_eq!(status, 404);
    let attachments = env
        .results(&format!(
            "documents/DocumentAttachments?$filter=Document eq guid'{left}'"
        ))
        .await;
    assert!(attachments.is_empty(), "attachments go with their document");
    let division = env.sim.division(env.division).unwrap();
    assert_eq!(
        division.attachments.len(),
        1,
        "the booked one keeps its file"
    );
    assert_eq!(env.sim.documents(env.division).len(), 1);
    assert!(env.sim.orphan_documents(env.division).is_empty());

    let response = delete(&env, &format!("documents/Documents(guid'{left}')")).await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_document_a_booked_entry_refers_to_cannot_be_deleted() {
    let env = start().await;
    let document = upload(&env, "Factuur 2026 / 18", &env.customer()).await;
    let (status, booked) = status_and_json(
        env.post("salesentry/SalesEntries", &entry(&env, "700", &document))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    let entry_id = booked["d"]["EntryID"].as_str().unwrap().to_owned();

    let (status, body) =
        status_and_json(delete(&env, &format!("documents/Documents(guid'{document}')")).await)
            .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "");
    assert_eq!(body["error"]["message"]["lang"], "");
    assert!(message(&body).contains("Document"), "{body}");
    assert_eq!(env.sim.documents(env.division).len(), 1);
    assert_eq!(
        env.sim
            .division(env.division)
            .unwrap()
            .attachments_of(document.parse().unwrap())
            .count(),
        1
    );

    // Once the entry is gone the document is an orphan and may go.
    let response = delete(&env, &format!("salesentry/SalesEntries(guid'{entry_id}')")).await;
    assert_eq!(response.status(), 204);
    assert_eq!(env.sim.orphan_documents(env.division).len(), 1);
    let response = delete(&env, &format!("documents/Documents(guid'{document}')")).await;
    assert_eq!(response.status(), 204);
    assert!(env.sim.documents(env.division).is_empty());
    assert!(
        env.sim
            .division(env.division)
            .unwrap()
            .attachments
            .is_empty()
    );
}

#[tokio::test]
async fn attachments_can_be_deleted_on_their_own() {
    let env = start().await;
    let document = upload(&env, "Factuur 2026 / 19", &env.customer()).await;
    let attachments = env
        .results(&format!(
            "documents/DocumentAttachments?$filter=Document eq guid'{document}'&$select=ID"
        ))
        .await;
    let attachment = attachments[0]["ID"].as_str().unwrap();
    let response = delete(
        &env,
        &format!("documents/DocumentAttachments(guid'{attachment}')"),
    )
    .await;
    assert_eq!(response.status(), 204);
    assert!(
        env.sim
            .division(env.division)
            .unwrap()
            .attachments
            .is_empty()
    );
    assert_eq!(env.sim.documents(env.division).len(), 1);
    // The set itself cannot be deleted.
    assert_eq!(delete(&env, "documents/Documents").await.status(), 405);
}

#[tokio::test]
async fn the_admin_api_lists_documents_and_orphans() {
    let env = start().await;
    let customer = env.customer();
    let booked = upload(&env, "Factuur A", &customer).await;
    let (status, _) = status_and_json(
        env.post("salesentry/SalesEntries", &entry(&env, "700", &booked))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let orphan = upload(&env, "Factuur B", &customer).await;

    let url = |query: &str| {
        format!(
            "{}/_sim/divisions/{}/documents{query}",
            env.sim.base_url, env.division
        )
    };
    let all: Value = env
        .http
        .get(url(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["documents"].as_array().unwrap().len(), 2);
    assert!(
        all["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["attachments"] == 1),
        "{all}"
    );
    let orphans: Value = env
        .http
        .get(url("?orphans=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let orphans = orphans["documents"].as_array().unwrap().clone();
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0]["id"], orphan.as_str());
    assert_eq!(orphans[0]["subject"], "Factuur B");
    let missing = env
        .http
        .get(format!("{}/_sim/divisions/999/documents", env.sim.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
