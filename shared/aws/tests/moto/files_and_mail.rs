//! The S3 file store and the SES mailer against moto.

use crate::common::{sdk, unique};
use koppel_aws::{S3FileStore, SesMailer};
use koppel_core::{FileStore, MailMessage, Mailer};

#[tokio::test]
async fn files_round_trip_and_a_missing_file_is_none() {
    let config = sdk().await;
    let client = aws_sdk_s3::Client::new(&config);
    let bucket = unique("koppel-files");
    client
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let files = S3FileStore::new(client, bucket);
    let bytes = "Naam;ID externe\nCafé Zoë;1002\n".as_bytes();
    assert_eq!(files.get("c1/m1").await.unwrap(), None);
    files.put("c1/m1", bytes).await.unwrap();
    assert_eq!(files.get("c1/m1").await.unwrap().as_deref(), Some(bytes));
    files.put("c1/m1", b"replaced").await.unwrap();
    assert_eq!(
        files.get("c1/m1").await.unwrap().as_deref(),
        Some(&b"replaced"[..])
    );
}

#[tokio::test]
async fn mail_goes_out_from_a_verified_sender_only() {
    let config = sdk().await;
    let client = aws_sdk_sesv2::Client::new(&config);
    let message = MailMessage {
        to: "boekhouding@example.be".into(),
        subject: "Koppel: facturen betaald gezet in Teamleader".into(),
        text: "- invoice 2026 / 1: Marked paid".into(),
    };
    let unverified = SesMailer::new(client.clone(), format!("{}@example.be", unique("nobody")));
    assert!(
        unverified.send(&message).await.is_err(),
        "SES refuses an unverified sender"
    );
    let sender = format!("{}@koppel.example", unique("noreply"));
    client
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .unwrap();
    SesMailer::new(client, sender).send(&message).await.unwrap();
}
