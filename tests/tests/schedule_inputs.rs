//! The schedules in template.yaml hand the dispatcher an input it understands: the job and
//! the scheduled time (EventBridge Scheduler replaces `<aws.scheduler.scheduled-time>`).

use dispatcher::ScheduleInput;
use koppel_core::JobKind;

fn template_inputs() -> Vec<String> {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
            .expect("template.yaml");
    template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Input: "))
        .map(|raw| raw.trim_matches('\'').to_owned())
        .collect()
}

#[test]
fn every_schedule_input_parses_into_a_job_with_its_scheduled_time() {
    let inputs = template_inputs();
    assert_eq!(
        inputs.len(),
        2,
        "the nightly export and the hourly payment poll: {inputs:?}"
    );
    let mut jobs = Vec::new();
    for raw in inputs {
        assert!(
            raw.contains("<aws.scheduler.scheduled-time>"),
            "run ids must come from the scheduled time: {raw}"
        );
        let substituted = raw.replace("<aws.scheduler.scheduled-time>", "2026-11-23T01:00:00Z");
        let input: ScheduleInput =
            serde_json::from_str(&substituted).expect("the dispatcher reads the schedule's input");
        assert!(input.scheduled_at.is_some());
        jobs.push(input.job);
    }
    assert_eq!(jobs, vec![JobKind::InvoiceExport, JobKind::PaymentPoll]);
}
