//! `template.yaml` and the Rust code must describe the same AWS resources: these tests read
//! the template and compare it with koppel-aws's constants (table keys, indexes, TTL,
//! environment variable names) and koppel-core's job kinds (queue names, schedule inputs),
//! and check the queue settings that Lambda and SQS rely on.
//!
//! CloudFormation short tags (`!Ref`, `!Sub`, `!GetAtt`) arrive from serde_norway as
//! `Value::Tagged`; `!Sub` strings are resolved for the stack name "koppel-local".

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use koppel_aws::config::{
    DEFAULT_TEAMLEADER_API_URL, DEFAULT_TEAMLEADER_AUTH_URL, ENV_APP_SECRET, ENV_EXPORT_QUEUE_URL,
    ENV_IMPORT_QUEUE_URL, ENV_MAIL_FROM, ENV_MERGE_BUCKET, ENV_MERGE_QUEUE_URL,
    ENV_PAYMENT_QUEUE_URL, ENV_SECRET_PREFIX, ENV_TABLE, ENV_TEAMLEADER_API_URL,
    ENV_TEAMLEADER_AUTH_URL,
};
use koppel_aws::schema::{GLOBAL_INDEXES, KEY_ATTRIBUTES, TABLE_PK, TABLE_SK, TTL_ATTRIBUTE};
use koppel_core::JobKind;
use serde_norway::Value;

mod template_support;
use template_support::{at, intrinsic, resources_of_type, template, text};

const STACK: &str = "koppel-local";
const MAX_RECEIVE_COUNT: u64 = 5;

/// A string property: plain, or `!Sub` resolved for the local stack.
fn resolved_string(value: &Value) -> String {
    match intrinsic(value) {
        Some((tag, inner)) if tag == "Sub" => text(inner).replace("${AWS::StackName}", STACK),
        Some((tag, _)) => panic!("expected a string or !Sub, found !{tag}"),
        None => text(value),
    }
}

/// The logical id a `!Ref` points at.
fn ref_target(value: &Value) -> String {
    match intrinsic(value) {
        Some((tag, inner)) if tag == "Ref" => text(inner),
        _ => panic!("expected !Ref, found {value:?}"),
    }
}

/// The logical id a `!GetAtt X.Attr` points at, with the attribute.
fn get_att_target(value: &Value) -> (String, String) {
    match intrinsic(value) {
        Some((tag, inner)) if tag == "GetAtt" => {
            let target = text(inner);
            let (resource, attribute) = target.split_once('.').unwrap();
            (resource.to_string(), attribute.to_string())
        }
        _ => panic!("expected !GetAtt, found {value:?}"),
    }
}

fn table(template: &Value) -> &Value {
    let tables = resources_of_type(template, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1, "Koppel has exactly one table");
    at(tables.values().next().unwrap(), &["Properties"])
}

/// (attribute, HASH|RANGE) pairs of a KeySchema.
fn key_schema(schema: &Value) -> Vec<(String, String)> {
    schema
        .as_sequence()
        .unwrap()
        .iter()
        .map(|key| {
            (
                text(at(key, &["AttributeName"])),
                text(at(key, &["KeyType"])),
            )
        })
        .collect()
}

fn all_kinds() -> Vec<JobKind> {
    vec![
        JobKind::InvoiceExport,
        // Teamleader's webhook: one document, on the export queue.
        JobKind::DocumentExport {
            kind: koppel_core::DocumentKind::Invoice,
            document_id: koppel_core::DocumentId::new("d"),
        },
        JobKind::PaymentPoll,
        JobKind::CompanyImport,
        JobKind::MergeFile {
            merge_id: "m".into(),
            apply: false,
        },
    ]
}

fn queue_env_var(kind: &JobKind) -> &'static str {
    match kind {
        JobKind::InvoiceExport | JobKind::DocumentExport { .. } => ENV_EXPORT_QUEUE_URL,
        JobKind::PaymentPoll => ENV_PAYMENT_QUEUE_URL,
        JobKind::CompanyImport => ENV_IMPORT_QUEUE_URL,
        JobKind::MergeFile { .. } => ENV_MERGE_QUEUE_URL,
    }
}

fn global_env(template: &Value) -> &Value {
    at(
        template,
        &["Globals", "Function", "Environment", "Variables"],
    )
}

#[test]
fn table_keys_match_the_schema_constants() {
    let template = template();
    let table = table(&template);
    assert_eq!(
        key_schema(at(table, &["KeySchema"])),
        vec![
            (TABLE_PK.to_string(), "HASH".to_string()),
            (TABLE_SK.to_string(), "RANGE".to_string())
        ]
    );
    let declared: BTreeSet<(String, String)> = at(table, &["AttributeDefinitions"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                text(at(a, &["AttributeName"])),
                text(at(a, &["AttributeType"])),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = KEY_ATTRIBUTES
        .iter()
        .map(|a| (a.to_string(), "S".to_string()))
        .collect();
    assert_eq!(declared, expected);
}

/// (index name, key schema, projection type) of a global secondary index.
type IndexShape = (String, Vec<(String, String)>, String);

#[test]
fn global_indexes_match_the_schema_constants() {
    let template = template();
    let indexes: Vec<IndexShape> = at(table(&template), &["GlobalSecondaryIndexes"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|index| {
            (
                text(at(index, &["IndexName"])),
                key_schema(at(index, &["KeySchema"])),
                text(at(index, &["Projection", "ProjectionType"])),
            )
        })
        .collect();
    let expected: Vec<IndexShape> = GLOBAL_INDEXES
        .iter()
        .map(|(name, hash, range)| {
            (
                name.to_string(),
                vec![
                    (hash.to_string(), "HASH".to_string()),
                    (range.to_string(), "RANGE".to_string()),
                ],
                "ALL".to_string(),
            )
        })
        .collect();
    assert_eq!(indexes, expected);
}

#[test]
fn ttl_billing_and_recovery_match_the_contract() {
    let template = template();
    let table = table(&template);
    assert_eq!(
        text(at(table, &["TimeToLiveSpecification", "AttributeName"])),
        TTL_ATTRIBUTE
    );
    assert_eq!(
        at(table, &["TimeToLiveSpecification", "Enabled"]),
        &Value::Bool(true)
    );
    assert_eq!(text(at(table, &["BillingMode"])), "PAY_PER_REQUEST");
    assert_eq!(
        at(
            table,
            &[
                "PointInTimeRecoverySpecification",
                "PointInTimeRecoveryEnabled"
            ]
        ),
        &Value::Bool(true)
    );
    assert_eq!(ref_target(at(global_env(&template), &[ENV_TABLE])), "Table");
}

#[test]
fn every_job_kind_has_a_fifo_queue_with_a_dead_letter_queue() {
    let template = template();
    let queues = resources_of_type(&template, "AWS::SQS::Queue");
    let env = global_env(&template);
    for kind in all_kinds() {
        let logical_id = ref_target(at(env, &[queue_env_var(&kind)]));
        let queue = at(
            queues
                .get(&logical_id)
                .unwrap_or_else(|| panic!("{logical_id} is not a queue")),
            &["Properties"],
        );
        assert_eq!(
            resolved_string(at(queue, &["QueueName"])),
            format!("{STACK}-{}.fifo", kind.name())
        );
        assert_eq!(
            at(queue, &["FifoQueue"]),
            &Value::Bool(true),
            "{logical_id} must be FIFO"
        );
        assert_eq!(
            at(queue, &["ContentBasedDeduplication"]),
            &Value::Bool(false),
            "{logical_id}: we send dedup ids"
        );

        let redrive = at(queue, &["RedrivePolicy"]);
        assert_eq!(
            at(redrive, &["maxReceiveCount"]).as_u64(),
            Some(MAX_RECEIVE_COUNT)
        );
        let (dlq_id, attribute) = get_att_target(at(redrive, &["deadLetterTargetArn"]));
        assert_eq!(attribute, "Arn");
        let dlq = at(
            queues
                .get(&dlq_id)
                .unwrap_or_else(|| panic!("{dlq_id} is not a queue")),
            &["Properties"],
        );
        assert_eq!(
            resolved_string(at(dlq, &["QueueName"])),
            format!("{STACK}-{}-dlq.fifo", kind.name())
        );
        assert_eq!(
            at(dlq, &["FifoQueue"]),
            &Value::Bool(true),
            "a FIFO queue needs a FIFO dead-letter queue"
        );
    }
}

#[test]
fn every_dead_letter_queue_has_an_alarm() {
    let template = template();
    let alarmed: BTreeSet<String> = resources_of_type(&template, "AWS::CloudWatch::Alarm")
        .values()
        .filter(|alarm| {
            text(at(alarm, &["Properties", "MetricName"])) == "ApproximateNumberOfMessagesVisible"
        })
        .flat_map(|alarm| {
            at(alarm, &["Properties", "Dimensions"])
                .as_sequence()
                .unwrap()
                .iter()
        })
        .map(|dimension| get_att_target(at(dimension, &["Value"])).0)
        .collect();
    let dead_letter_queues: BTreeSet<String> = resources_of_type(&template, "AWS::SQS::Queue")
        .values()
        .filter_map(|queue| queue.get("Properties")?.get("RedrivePolicy"))
        .map(|redrive| get_att_target(at(redrive, &["deadLetterTargetArn"])).0)
        .collect();
    assert_eq!(dead_letter_queues.len(), 4);
    assert_eq!(alarmed, dead_letter_queues);
}

#[test]
fn environment_names_and_defaults_match_the_config_constants() {
    let template = template();
    let env = global_env(&template);
    let names: BTreeSet<String> = env
        .as_mapping()
        .unwrap()
        .keys()
        .map(text)
        .filter(|k| k.starts_with("KOPPEL_"))
        .collect();
    let expected: BTreeSet<String> = [
        ENV_TABLE,
        ENV_EXPORT_QUEUE_URL,
        ENV_PAYMENT_QUEUE_URL,
        ENV_IMPORT_QUEUE_URL,
        ENV_MERGE_QUEUE_URL,
        ENV_MERGE_BUCKET,
        ENV_MAIL_FROM,
        ENV_APP_SECRET,
        ENV_SECRET_PREFIX,
        ENV_TEAMLEADER_API_URL,
        ENV_TEAMLEADER_AUTH_URL,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(names, expected);

    let parameters = at(&template, &["Parameters"]);
    let default_of = |variable: &str| {
        text(at(
            parameters,
            &[ref_target(at(env, &[variable])).as_str(), "Default"],
        ))
    };
    assert_eq!(
        default_of(ENV_TEAMLEADER_API_URL),
        DEFAULT_TEAMLEADER_API_URL
    );
    assert_eq!(
        default_of(ENV_TEAMLEADER_AUTH_URL),
        DEFAULT_TEAMLEADER_AUTH_URL
    );

    let secrets = resources_of_type(&template, "AWS::SecretsManager::Secret");
    let secret_names: Vec<String> = secrets
        .values()
        .map(|s| resolved_string(at(s, &["Properties", "Name"])))
        .collect();
    assert_eq!(
        secret_names,
        vec![resolved_string(at(env, &[ENV_APP_SECRET]))]
    );
    let prefix = resolved_string(at(env, &[ENV_SECRET_PREFIX]));
    assert!(
        prefix.starts_with(&format!("{STACK}/")) && prefix.ends_with('/'),
        "secret prefix {prefix:?}"
    );
}

/// Functions: (logical id, properties), with the Globals timeout applied.
fn functions(template: &Value) -> BTreeMap<String, (&Value, u64)> {
    let default_timeout = at(template, &["Globals", "Function", "Timeout"])
        .as_u64()
        .unwrap();
    resources_of_type(template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, function)| {
            let timeout = function
                .get("Properties")
                .and_then(|p| p.get("Timeout"))
                .and_then(Value::as_u64);
            (id, (function, timeout.unwrap_or(default_timeout)))
        })
        .collect()
}

/// A function's SQS event sources.
fn sqs_events(function: &Value) -> Vec<&Value> {
    function
        .get("Properties")
        .and_then(|p| p.get("Events"))
        .and_then(Value::as_mapping)
        .map(|events| {
            events
                .values()
                .filter(|event| text(at(event, &["Type"])) == "SQS")
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_queue_feeds_one_function_with_a_long_enough_visibility_timeout() {
    let template = template();
    let queues = resources_of_type(&template, "AWS::SQS::Queue");
    let mut consumed = BTreeSet::new();
    for (id, (function, timeout)) in functions(&template) {
        for event in sqs_events(function) {
            let (queue_id, _) = get_att_target(at(event, &["Properties", "Queue"]));
            let visibility = at(queues[&queue_id], &["Properties", "VisibilityTimeout"])
                .as_u64()
                .unwrap();
            assert!(
                visibility >= 6 * timeout,
                "{queue_id}: VisibilityTimeout {visibility}s must be >= 6 x {id}'s timeout {timeout}s"
            );
            let types = at(event, &["Properties", "FunctionResponseTypes"])
                .as_sequence()
                .unwrap();
            assert_eq!(
                types,
                &vec![Value::String("ReportBatchItemFailures".into())],
                "{id} reports partial failures"
            );
            assert!(
                consumed.insert(queue_id.clone()),
                "{queue_id} is consumed twice"
            );
        }
    }
    let job_queues: BTreeSet<String> = all_kinds()
        .iter()
        .map(|kind| ref_target(at(global_env(&template), &[queue_env_var(kind)])))
        .collect();
    assert_eq!(consumed, job_queues);
}

#[test]
fn every_function_builds_a_workspace_binary() {
    let template = template();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut binaries = BTreeSet::new();
    for (id, (function, _)) in functions(&template) {
        assert_eq!(
            text(at(function, &["Metadata", "BuildMethod"])),
            "rust-cargolambda",
            "{id}"
        );
        let binary = text(at(function, &["Metadata", "BuildProperties", "Binary"]));
        let manifest = std::fs::read_to_string(
            root.join("functions").join(&binary).join("Cargo.toml"),
        )
        .unwrap_or_else(|e| {
            panic!("{id} builds {binary:?} but functions/{binary}/Cargo.toml is unreadable: {e}")
        });
        assert!(
            manifest.contains(&format!("name = \"{binary}\"")),
            "functions/{binary} is not the package {binary}"
        );
        binaries.insert(binary);
    }
    let expected: BTreeSet<String> = [
        "reactivation-page",
        "dispatcher",
        "invoice-export",
        "payment-poll",
        "company-import",
        "merge-file",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(binaries, expected);
}

#[test]
fn schedules_send_the_dispatcher_a_job_kind_it_knows() {
    let template = template();
    let dispatcher = at(
        &template,
        &["Resources", "DispatcherFunction", "Properties", "Events"],
    );
    let mut jobs = BTreeSet::new();
    for event in dispatcher.as_mapping().unwrap().values() {
        assert_eq!(text(at(event, &["Type"])), "ScheduleV2");
        assert_eq!(
            text(at(event, &["Properties", "ScheduleExpressionTimezone"])),
            "Europe/Brussels"
        );
        let input: serde_json::Value =
            serde_json::from_str(&text(at(event, &["Properties", "Input"]))).unwrap();
        jobs.insert(input["job"].as_str().unwrap().to_string());
    }
    let expected: BTreeSet<String> = [JobKind::InvoiceExport.name(), JobKind::PaymentPoll.name()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(jobs, expected);
}

/// Every action an IAM statement list grants, with the resources' logical ids or ARNs.
fn granted(policies: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut actions = BTreeSet::new();
    let mut resources = BTreeSet::new();
    for policy in policies.as_sequence().expect("Policies is a list") {
        let statements = policy
            .get("Statement")
            .unwrap_or_else(|| panic!("a SAM policy template instead of statements: {policy:?}"));
        for statement in statements.as_sequence().expect("Statement is a list") {
            for action in at(statement, &["Action"])
                .as_sequence()
                .expect("Action list")
            {
                actions.insert(text(action));
            }
            let resource = at(statement, &["Resource"]);
            let list: Vec<&Value> = match resource.as_sequence() {
                Some(list) => list.iter().collect(),
                None => vec![resource],
            };
            for r in list {
                resources.insert(match intrinsic(r) {
                    Some((tag, inner)) if tag == "GetAtt" => text(inner),
                    Some((tag, inner)) if tag == "Ref" => text(inner),
                    Some((tag, inner)) if tag == "Sub" => text(inner),
                    _ => text(r),
                });
            }
        }
    }
    (actions, resources)
}

#[test]
fn the_page_may_do_what_its_code_does_and_nothing_more() {
    // The page reads and writes connections, run reports, merge jobs, document records and
    // sign-in leases (GetItem, BatchGetItem, Query; PutItem/UpdateItem, transactions of
    // puts), starts exports, company imports and merge files, puts uploaded files in the
    // bucket, reads the app secret and writes the tokens of a sign-in. It never deletes,
    // scans, reads an index or a file, or sends to the payment queue.
    let template = template();
    let policies = at(
        &template,
        &[
            "Resources",
            "ReactivationPageFunction",
            "Properties",
            "Policies",
        ],
    );
    let (actions, resources) = granted(policies);
    let expected: BTreeSet<String> = [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "sqs:SendMessage",
        "s3:PutObject",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(actions, expected);
    let expected_resources: BTreeSet<String> = [
        "Table.Arn",
        "ExportQueue.Arn",
        "ImportQueue.Arn",
        "MergeQueue.Arn",
        "${MergeFileBucket.Arn}/*",
        "AppSecret",
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${AWS::StackName}/connections/*",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(resources, expected_resources);
    // The queues it sends to are those of the jobs it starts.
    for (kind, queue) in [
        (JobKind::InvoiceExport, "ExportQueue"),
        (JobKind::CompanyImport, "ImportQueue"),
        (
            JobKind::MergeFile {
                merge_id: String::new(),
                apply: false,
            },
            "MergeQueue",
        ),
    ] {
        let name = resolved_string(at(
            &template,
            &["Resources", queue, "Properties", "QueueName"],
        ));
        assert!(
            name.contains(kind.name()),
            "{queue} is not the {} queue",
            kind.name()
        );
    }
}

#[test]
fn the_page_answers_before_its_function_times_out() {
    let template = template();
    let timeout: u64 = text(at(
        &template,
        &[
            "Resources",
            "ReactivationPageFunction",
            "Properties",
            "Timeout",
        ],
    ))
    .parse()
    .unwrap();
    assert!(
        reactivation_page::REQUEST_SECONDS + 5 <= timeout,
        "outside calls may take {} s of the page's {timeout} s",
        reactivation_page::REQUEST_SECONDS
    );
}

/// The claim on a document outlives the invocation that took it and its last request: its
/// lifetime is the export function's Lambda timeout plus the in-flight margin (the invariant
/// of DESIGN.md and docs/ARCHITECTURE.md), read here from the template.
#[test]
fn a_document_claim_lasts_the_export_timeout_plus_a_request_in_flight() {
    use koppel_core::jobs::export::{CLAIM_TTL, EXPORT_TIMEOUT, ExportOptions, IN_FLIGHT_MARGIN};
    let template = template();
    let (_, timeout) = functions(&template)["InvoiceExportFunction"];
    assert_eq!(
        EXPORT_TIMEOUT.num_seconds() as u64,
        timeout,
        "koppel_core's EXPORT_TIMEOUT must be InvoiceExportFunction's Timeout"
    );
    assert!(IN_FLIGHT_MARGIN >= chrono::Duration::minutes(1));
    assert_eq!(CLAIM_TTL, EXPORT_TIMEOUT + IN_FLIGHT_MARGIN);
    assert_eq!(ExportOptions::default().claim_ttl, CLAIM_TTL);
}

/// The sweeper closes a run only after it has been quiet longer than any live run can be:
/// a message hidden for its queue's visibility timeout after a killed invocation, then an
/// invocation of its function's full timeout.
#[test]
fn the_sweeper_waits_longer_than_a_live_run_can_stay_quiet() {
    use koppel_core::jobs::sweep::QUIET_FOR;
    let template = template();
    let queues = &resources_of_type(&template, "AWS::SQS::Queue");
    let longest = functions(&template)
        .into_iter()
        .flat_map(|(_, (function, timeout))| {
            sqs_events(function).into_iter().map(move |event| {
                let (queue_id, _) = get_att_target(at(event, &["Properties", "Queue"]));
                at(queues[&queue_id], &["Properties", "VisibilityTimeout"])
                    .as_u64()
                    .unwrap()
                    + timeout
            })
        })
        .max()
        .unwrap_or(0);
    assert!(longest > 0, "the job queues were found");
    assert!(
        QUIET_FOR.num_seconds() as u64 > longest,
        "QUIET_FOR {QUIET_FOR} must exceed the longest visibility timeout + function timeout ({longest} s)"
    );
}
