//! `SecretsVault` against moto: create on first write, versions on rotation.

use crate::common::{sdk, unique};
use aws_sdk_secretsmanager::Client;
use koppel_aws::SecretsVault;
use koppel_core::{Vault, VaultError};
use serde_json::json;

#[tokio::test]
async fn a_secret_is_created_rotated_and_read_back_at_its_newest_version() {
    let vault = SecretsVault::new(Client::new(&sdk().await));
    let name = format!("koppel/{}/teamleader", unique("conn"));
    assert_eq!(vault.read(&name).await.unwrap(), None);

    let first =
        json!({"access_token": "a1", "refresh_token": "r1", "expires_at": "2026-03-01T10:00:00Z"});
    let v1 = vault.write(&name, &first).await.unwrap();
    let read = vault.read(&name).await.unwrap().unwrap();
    assert_eq!((read.value, read.version.clone()), (first, v1.clone()));

    let rotated =
        json!({"access_token": "a2", "refresh_token": "r2", "expires_at": "2026-03-01T11:00:00Z"});
    let v2 = vault.write(&name, &rotated).await.unwrap();
    assert_ne!(v1, v2, "a rotation must make a new version");
    let read = vault.read(&name).await.unwrap().unwrap();
    assert_eq!(read.value, rotated);
    assert_eq!(read.version, v2);
}

#[tokio::test]
async fn concurrent_first_writes_both_succeed() {
    let vault = SecretsVault::new(Client::new(&sdk().await));
    let name = format!("koppel/{}/exact", unique("conn"));
    let (first, second) = (json!({"n": 1}), json!({"n": 2}));
    let (one, two) = tokio::join!(vault.write(&name, &first), vault.write(&name, &second));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_ne!(one, two);
    let read = vault.read(&name).await.unwrap().unwrap();
    assert!(read.version == one || read.version == two);
    assert!(read.value == first || read.value == second);
}

#[tokio::test]
async fn a_secret_that_is_not_json_is_corrupt_and_its_value_is_not_repeated() {
    let client = Client::new(&sdk().await);
    let name = unique("koppel-test-plain");
    client
        .create_secret()
        .name(&name)
        .secret_string("hunter2-not-json")
        .send()
        .await
        .unwrap();
    match SecretsVault::new(client).read(&name).await {
        Err(error @ VaultError::Corrupt { .. }) => {
            let text = error.to_string();
            assert!(text.contains(&name), "{text}");
            assert!(
                !text.contains("hunter2"),
                "the value leaked into the error: {text}"
            );
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}
