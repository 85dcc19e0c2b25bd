//! `SqsJobQueue` against moto: routing, FIFO order per group, deduplication, redrive.

use crate::common::{sdk, unique};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use koppel_aws::{FifoQueue, QueueUrls, SqsJobQueue, create_fifo_queue_with_dlq, parse_job};
use koppel_core::{ConnectionId, Job, JobKind, JobQueue, QueueError, RunId};
use std::collections::HashMap;

async fn queue(client: &Client, max_receive_count: u32) -> FifoQueue {
    create_fifo_queue_with_dlq(client, &unique("koppel-test"), max_receive_count)
        .await
        .unwrap()
}

/// Receives (and deletes) until `expected` messages came or nothing more arrives.
async fn drain(client: &Client, url: &str, expected: usize) -> Vec<Message> {
    let mut messages = Vec::new();
    let mut empty_rounds = 0;
    while messages.len() < expected && empty_rounds < 3 {
        let output = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .message_system_attribute_names(MessageSystemAttributeName::MessageDeduplicationId)
            .send()
            .await
            .unwrap();
        let received = output.messages.unwrap_or_default();
        if received.is_empty() {
            empty_rounds += 1;
            continue;
        }
        for message in received {
            client
                .delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
            messages.push(message);
        }
    }
    messages
}

fn job_of(message: &Message) -> Job {
    parse_job(message.message_id().unwrap(), message.body()).unwrap()
}

fn attribute(message: &Message, name: MessageSystemAttributeName) -> String {
    message
        .attributes()
        .and_then(|a| a.get(&name))
        .cloned()
        .unwrap_or_default()
}

async fn urls_for_one_queue(client: &Client) -> (QueueUrls, FifoQueue) {
    let q = queue(client, 5).await;
    let urls = QueueUrls {
        invoice_export: q.url.clone(),
        payment_poll: q.url.clone(),
        company_import: q.url.clone(),
        merge_file: q.url.clone(),
    };
    (urls, q)
}

#[tokio::test]
async fn fifo_order_is_kept_per_connection_across_batches() {
    let client = Client::new(&sdk().await);
    let (urls, q) = urls_for_one_queue(&client).await;
    let jobs_queue = SqsJobQueue::new(client.clone(), urls);

    // 20 steps of one connection interleaved with 20 of another: four batches of ten.
    let mut jobs = Vec::new();
    let mut a = Job::start(
        ConnectionId::new("conn-a"),
        RunId::new("run-a"),
        JobKind::InvoiceExport,
    );
    let mut b = Job::start(
        ConnectionId::new("conn-b"),
        RunId::new("run-b"),
        JobKind::InvoiceExport,
    );
    for step in 0..20 {
        jobs.push(a.clone());
        jobs.push(b.clone());
        a = a.continuation(format!("page-{step}"));
        b = b.continuation(format!("page-{step}"));
    }
    jobs_queue.send(&jobs).await.unwrap();

    let messages = drain(&client, &q.url, 40).await;
    assert_eq!(messages.len(), 40);
    let mut by_group: HashMap<String, Vec<u32>> = HashMap::new();
    for message in &messages {
        let job = job_of(message);
        assert_eq!(
            attribute(message, MessageSystemAttributeName::MessageGroupId),
            job.connection_id.as_str()
        );
        assert_eq!(
            attribute(message, MessageSystemAttributeName::MessageDeduplicationId),
            job.dedup_id()
        );
        by_group
            .entry(job.connection_id.0.clone())
            .or_default()
            .push(job.sequence);
    }
    let in_order: Vec<u32> = (0..20).collect();
    assert_eq!(by_group["conn-a"], in_order);
    assert_eq!(by_group["conn-b"], in_order);
}

#[tokio::test]
async fn jobs_go_to_the_queue_of_their_kind() {
    let client = Client::new(&sdk().await);
    let (export, payment, import, merge) = (
        queue(&client, 5).await,
        queue(&client, 5).await,
        queue(&client, 5).await,
        queue(&client, 5).await,
    );
    let urls = QueueUrls {
        invoice_export: export.url.clone(),
        payment_poll: payment.url.clone(),
        company_import: import.url.clone(),
        merge_file: merge.url.clone(),
    };
    let c = ConnectionId::new("c1");
    let merge_kind = JobKind::MergeFile {
        merge_id: "m-1".into(),
        apply: false,
    };
    let jobs = vec![
        Job::start(c.clone(), RunId::new("r1"), JobKind::PaymentPoll),
        Job::start(c.clone(), RunId::new("r2"), JobKind::InvoiceExport),
        Job::start(c.clone(), RunId::new("r3"), merge_kind.clone()),
        Job::start(c.clone(), RunId::new("r4"), JobKind::CompanyImport),
        Job::start(c.clone(), RunId::new("r5"), JobKind::PaymentPoll),
    ];
    SqsJobQueue::new(client.clone(), urls)
        .send(&jobs)
        .await
        .unwrap();

    let kinds = |messages: Vec<Message>| {
        messages
            .iter()
            .map(|m| job_of(m).run_id.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(drain(&client, &payment.url, 2).await), ["r1", "r5"]);
    assert_eq!(kinds(drain(&client, &export.url, 1).await), ["r2"]);
    assert_eq!(kinds(drain(&client, &import.url, 1).await), ["r4"]);
    let merged = drain(&client, &merge.url, 1).await;
    assert_eq!(merged.len(), 1);
    assert_eq!(job_of(&merged[0]).kind, merge_kind);
}

#[tokio::test]
async fn the_same_step_sent_twice_is_delivered_once() {
    let client = Client::new(&sdk().await);
    let (urls, q) = urls_for_one_queue(&client).await;
    let jobs_queue = SqsJobQueue::new(client.clone(), urls);
    let job = Job::start(
        ConnectionId::new("c1"),
        RunId::new("r1"),
        JobKind::PaymentPoll,
    );
    jobs_queue.send(std::slice::from_ref(&job)).await.unwrap();
    jobs_queue
        .send(&[job.clone(), job.continuation("p2".into())])
        .await
        .unwrap();
    let sequences: Vec<u32> = drain(&client, &q.url, 3)
        .await
        .iter()
        .map(|m| job_of(m).sequence)
        .collect();
    assert_eq!(sequences, [0, 1]);
}

#[tokio::test]
async fn a_message_received_too_often_moves_to_the_dead_letter_queue() {
    let client = Client::new(&sdk().await);
    let q = queue(&client, 2).await;
    let job = Job::start(
        ConnectionId::new("c1"),
        RunId::new("poison"),
        JobKind::InvoiceExport,
    );
    let urls = QueueUrls {
        invoice_export: q.url.clone(),
        payment_poll: q.url.clone(),
        company_import: q.url.clone(),
        merge_file: q.url.clone(),
    };
    SqsJobQueue::new(client.clone(), urls)
        .send(std::slice::from_ref(&job))
        .await
        .unwrap();

    // A handler that keeps failing: receive, never delete, make it visible again at once.
    let mut receives = 0;
    for _ in 0..10 {
        let output = client
            .receive_message()
            .queue_url(&q.url)
            .visibility_timeout(0)
            .max_number_of_messages(1)
            .send()
            .await
            .unwrap();
        if output.messages.unwrap_or_default().is_empty() {
            break;
        }
        receives += 1;
    }
    assert_eq!(
        receives, 2,
        "maxReceiveCount 2: received twice, then gone from the queue"
    );
    let dead = drain(&client, &q.dlq_url, 1).await;
    assert_eq!(
        dead.len(),
        1,
        "the message must be in the dead-letter queue"
    );
    assert_eq!(job_of(&dead[0]), job);
}

#[tokio::test]
async fn a_refused_send_is_an_error_naming_the_queue() {
    let client = Client::new(&sdk().await);
    let missing = format!(
        "{}/123456789012/koppel-missing.fifo",
        crate::common::moto_url()
    );
    let urls = QueueUrls {
        invoice_export: missing.clone(),
        payment_poll: missing.clone(),
        company_import: missing.clone(),
        merge_file: missing.clone(),
    };
    let job = Job::start(
        ConnectionId::new("c1"),
        RunId::new("r1"),
        JobKind::InvoiceExport,
    );
    let QueueError::Unavailable(message) = SqsJobQueue::new(client, urls)
        .send(&[job])
        .await
        .unwrap_err();
    assert!(message.contains("koppel-missing.fifo"), "{message}");
}
