//! The alarms and the dashboard in `template.yaml` watch metrics the code publishes: every
//! metric they name on the namespace `Koppel` is one of `koppel_runtime::metrics::Metric`,
//! with a dimension set it is published with (an alarm on a name or a dimension set nobody
//! publishes never fires, silently). Every ledger has its quota alarm, every alarm reaches
//! the alarm topic and shows on the dashboard, and no function is granted CloudWatch: the
//! metrics are log lines.

use std::collections::BTreeSet;

use koppel_core::LedgerKind;
use koppel_runtime::metrics::{Metric, NAMESPACE, ledger_dimension};
use serde_norway::Value;

mod template_support;
use template_support::{intrinsic, resources_of_type, template, template_text, text};

fn metric(name: &str) -> Metric {
    Metric::ALL
        .into_iter()
        .find(|metric| metric.name() == name)
        .unwrap_or_else(|| panic!("template.yaml names {name}, which Koppel never publishes"))
}

/// The dimension sets `metric` is published with, as sets of names.
fn published_sets(metric: Metric) -> Vec<BTreeSet<String>> {
    metric
        .breakdown()
        .dimension_sets()
        .iter()
        .map(|set| set.iter().map(|d| d.name().to_owned()).collect())
        .collect()
}

fn assert_published(name: &str, dimensions: &BTreeSet<String>, context: &str) {
    let metric = metric(name);
    assert!(
        published_sets(metric).contains(dimensions),
        "{context}: {name} is not published with the dimensions {dimensions:?} (only {:?})",
        published_sets(metric)
    );
}

/// Every ledger, so a new one cannot be left without its quota alarm.
fn all_ledgers() -> Vec<LedgerKind> {
    let all = vec![
        LedgerKind::ExactOnline,
        LedgerKind::Octopus,
        LedgerKind::Twinfield,
        LedgerKind::Clearfacts,
    ];
    for kind in &all {
        // Exhaustive: adding a ledger fails to compile here until it is listed above.
        match kind {
            LedgerKind::ExactOnline
            | LedgerKind::Octopus
            | LedgerKind::Twinfield
            | LedgerKind::Clearfacts => {}
        }
    }
    all
}

#[test]
fn every_koppel_alarm_watches_a_published_metric_and_dimension_set() {
    let template = template();
    let mut quota_ledgers = BTreeSet::new();
    let mut watched = BTreeSet::new();
    for (id, alarm) in resources_of_type(&template, "AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        if text(&properties["Namespace"]) != NAMESPACE {
            continue;
        }
        let name = text(&properties["MetricName"]);
        let dimensions: Vec<(String, String)> = properties
            .get("Dimensions")
            .and_then(Value::as_sequence)
            .map(|dimensions| {
                dimensions
                    .iter()
                    .map(|d| (text(&d["Name"]), text(&d["Value"])))
                    .collect()
            })
            .unwrap_or_default();
        let names: BTreeSet<String> = dimensions.iter().map(|(n, _)| n.clone()).collect();
        assert_published(&name, &names, &id);
        if name == Metric::QuotaSpentBeforeFinish.name() {
            for (dimension, value) in &dimensions {
                if dimension == "Ledger" {
                    quota_ledgers.insert(value.clone());
                }
            }
        }
        watched.insert(name);
    }
    let every_ledger: BTreeSet<String> = all_ledgers().into_iter().map(ledger_dimension).collect();
    assert_eq!(quota_ledgers, every_ledger, "one quota alarm per ledger");
    for gauge in [
        Metric::ConnectionsNeedingReauthOver24h,
        Metric::ConnectionsFailedTwoNightsInRow,
    ] {
        assert!(
            watched.contains(gauge.name()),
            "no alarm on {}",
            gauge.name()
        );
    }
}

#[test]
fn every_alarm_reaches_the_alarm_topic() {
    let template = template();
    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 10, "{}", alarms.len());
    for (id, alarm) in alarms {
        let actions = alarm["Properties"]["AlarmActions"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id} has no AlarmActions"));
        assert!(
            actions.iter().any(|action| matches!(
                intrinsic(action),
                Some((tag, target)) if tag == "Ref" && text(target) == "AlarmTopic"
            )),
            "{id} does not notify the alarm topic"
        );
    }
}

/// The dashboard body with every `${…}` replaced, as CloudFormation hands it over.
fn dashboard_body(template: &Value) -> (String, serde_json::Value) {
    let dashboards = resources_of_type(template, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1);
    let dashboard = dashboards.values().next().expect("one dashboard");
    let body = &dashboard["Properties"]["DashboardBody"];
    let raw = match intrinsic(body) {
        Some((tag, inner)) if tag == "Sub" => text(inner),
        _ => text(body),
    };
    let mut resolved = String::new();
    let mut rest = raw.as_str();
    while let Some(start) = rest.find("${") {
        resolved.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("an unclosed ${") + start;
        resolved.push_str("resolved");
        rest = &rest[end + 1..];
    }
    resolved.push_str(rest);
    let json = serde_json::from_str(&resolved)
        .unwrap_or_else(|e| panic!("the dashboard body is not JSON once resolved: {e}"));
    (raw, json)
}

/// `SEARCH('{Koppel,Job} MetricName="X"', …)` -> ({"Job"}, "X").
fn searched(expression: &str) -> Option<(BTreeSet<String>, String)> {
    let schema = expression.split_once("SEARCH('{")?.1.split_once('}')?.0;
    let mut keys = schema.split(',').map(str::trim);
    if keys.next()? != NAMESPACE {
        return None;
    }
    let dimensions = keys.map(str::to_owned).collect();
    let name = expression
        .split_once("MetricName=\"")?
        .1
        .split_once('"')?
        .0
        .to_owned();
    Some((dimensions, name))
}

#[test]
fn the_dashboard_graphs_published_metrics_and_shows_every_alarm() {
    let template = template();
    let (raw, body) = dashboard_body(&template);
    let mut graphed = BTreeSet::new();
    for widget in body["widgets"].as_array().unwrap() {
        if widget["type"] != "metric" {
            continue;
        }
        let title = widget["properties"]["title"].as_str().unwrap_or_default();
        for entry in widget["properties"]["metrics"].as_array().unwrap() {
            let entry = entry.as_array().unwrap();
            if let Some(expression) = entry[0].get("expression").and_then(|e| e.as_str()) {
                let (dimensions, name) = searched(expression)
                    .unwrap_or_else(|| panic!("{title}: unexpected expression {expression}"));
                assert_published(&name, &dimensions, title);
                graphed.insert(name);
                continue;
            }
            if entry[0] != NAMESPACE {
                continue;
            }
            let name = entry[1].as_str().unwrap();
            let keys: BTreeSet<String> = entry[2..]
                .iter()
                .filter_map(|item| item.as_str())
                .step_by(2)
                .map(str::to_owned)
                .collect();
            assert_published(name, &keys, title);
            graphed.insert(name.to_owned());
        }
    }
    for wanted in [
        Metric::DocumentsExported,
        Metric::DocumentsFailed,
        Metric::DocumentsDeferred,
        Metric::LedgerCalls,
        Metric::LedgerThrottled,
        Metric::TeamleaderCalls,
        Metric::TeamleaderThrottled,
        Metric::LedgerQuotaLeft,
        Metric::RunDuration,
    ] {
        assert!(
            graphed.contains(wanted.name()),
            "not graphed: {}",
            wanted.name()
        );
    }
    for (id, _) in resources_of_type(&template, "AWS::CloudWatch::Alarm") {
        assert!(
            raw.contains(&format!("${{{id}.Arn}}")),
            "the dashboard's alarm widget misses {id}"
        );
    }
}

#[test]
fn metrics_are_log_lines_so_no_function_may_put_metric_data() {
    assert!(
        !template_text().contains("cloudwatch:"),
        "EMF lines need only the function's log group, which Lambda grants"
    );
}
