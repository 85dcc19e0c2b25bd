//! How the admin command prints: plain aligned columns, times in UTC, statuses and counts by
//! the names stored (so a status or count added later prints without a change here).

use chrono::{DateTime, Utc};
use koppel_aws::DeadLetter;
use koppel_core::{Connection, RunCounts, RunReport};
use serde::Serialize;

/// A value's serde name ("active", "needs_reauth", "exact_online"…), or its debug form.
pub fn name_of(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

/// An instant as `2026-11-20 02:00:04Z`.
pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// The counts that are not zero, as `exported=12 already_exported=3`, or `-`.
pub fn counts(counts: &RunCounts) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(counts) else {
        return "-".into();
    };
    // By name, whatever order the JSON map keeps.
    let mut fields: Vec<_> = fields.into_iter().collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    let shown: Vec<String> = fields
        .iter()
        .filter(|(name, _)| name.as_str() != "job")
        .filter_map(|(name, value)| match value.as_u64() {
            Some(0) => None,
            Some(n) => Some(format!("{name}={n}")),
            None => None,
        })
        .collect();
    if shown.is_empty() {
        "-".into()
    } else {
        shown.join(" ")
    }
}

/// Rows as columns separated by two spaces, each as wide as its widest cell (the last one
/// unpadded).
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A connection's heading line: id, account, ledger and company, status (with its reason),
/// automatic sync.
pub fn connection_line(connection: &Connection) -> String {
    let status = match &connection.status_reason {
        Some(reason) => format!("{} ({reason})", name_of(&connection.status)),
        None => name_of(&connection.status),
    };
    format!(
        "{}  account {}  {} {}  {}  automatic sync {}",
        connection.id,
        connection.account_id,
        name_of(&connection.ledger),
        connection.ledger_company,
        status,
        if connection.settings.automatic_sync {
            "on"
        } else {
            "off"
        }
    )
}

/// The row of a job's last run under a connection (`-` when the job never ran).
pub fn last_run_row(job: &str, report: Option<&RunReport>) -> Vec<String> {
    match report {
        Some(r) => vec![
            format!("  {job}"),
            name_of(&r.status),
            time(r.started_at),
            r.run_id.to_string(),
            counts(&r.counts),
        ],
        None => vec![format!("  {job}"), "-".into()],
    }
}

/// The heading and rows of `runs`.
pub fn runs_table(reports: &[RunReport]) -> String {
    let mut rows = vec![
        [
            "run",
            "job",
            "status",
            "started",
            "updated",
            "invocations",
            "counts",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for r in reports {
        rows.push(vec![
            r.run_id.to_string(),
            r.job.clone(),
            name_of(&r.status),
            time(r.started_at),
            time(r.updated_at),
            r.invocations.to_string(),
            counts(&r.counts),
        ]);
    }
    let mut out = table(&rows);
    for r in reports.iter().filter(|r| r.message.is_some()) {
        out.push_str(&format!(
            "{}: {}\n",
            r.run_id,
            r.message.as_deref().unwrap_or_default()
        ));
    }
    out
}

/// One dead-lettered message: id, connection, run, job step, the run's stored status
/// (`run_status`), receives, first sent; the body itself when it is not a job.
pub fn dead_letter_row(letter: &DeadLetter, run_status: &str) -> Vec<String> {
    let (connection, run, step) = match &letter.job {
        Some(job) => (
            job.connection_id.to_string(),
            job.run_id.to_string(),
            format!("{} #{}", job.kind.name(), job.sequence),
        ),
        None => (
            letter.group_id.clone().unwrap_or_else(|| "-".into()),
            "-".into(),
            format!(
                "not a job: {}",
                letter.body.chars().take(60).collect::<String>()
            ),
        ),
    };
    vec![
        format!("  {}", letter.message_id),
        connection,
        run,
        step,
        run_status.to_owned(),
        letter
            .receive_count
            .map_or_else(|| "-".into(), |n| format!("{n} receives")),
        letter
            .sent_at
            .map_or_else(|| "-".into(), |at| format!("first sent {}", time(at))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::ExportCounts;

    #[test]
    fn counts_show_what_is_not_zero() {
        let export = RunCounts::InvoiceExport(ExportCounts {
            exported: 12,
            already_exported: 3,
            ..ExportCounts::default()
        });
        assert_eq!(counts(&export), "already_exported=3 exported=12");
        assert_eq!(counts(&RunCounts::Nothing), "-");
        assert_eq!(
            counts(&RunCounts::InvoiceExport(ExportCounts::default())),
            "-"
        );
    }

    #[test]
    fn columns_line_up_and_lines_end_clean() {
        let rows = vec![
            vec!["a".to_owned(), "bbb".to_owned(), "c".to_owned()],
            vec!["aaaa".to_owned(), "b".to_owned()],
        ];
        assert_eq!(table(&rows), "a     bbb  c\naaaa  b\n");
    }
}
