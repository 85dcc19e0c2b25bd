//! `template.yaml` is validated offline by infra/scripts/validate_template.py (SAM translator +
//! cfn-lint on the expanded template). These tests prove the check passes on the real
//! template and FAILS on deliberately broken copies - typos that cfn-lint >= 1.54 alone
//! (which no longer expands SAM) lets through.
//!
//! The script runs with the project's Python environment: `<repo>/.venv/bin/python`, created
//! by `infra/dev` (or the interpreter named by `KOPPEL_PYTHON`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the workspace), one level above this crate.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The Python interpreter that has aws-sam-translator and cfn-lint installed.
fn python() -> PathBuf {
    if let Some(explicit) = std::env::var_os("KOPPEL_PYTHON") {
        return PathBuf::from(explicit);
    }
    let venv = repo_root().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run `infra/dev test` (or `infra/dev up`) once to create the Python environment",
        venv.display()
    );
    venv
}

fn real_template() -> String {
    std::fs::read_to_string(repo_root().join("template.yaml")).unwrap()
}

/// Runs the validation script on `template_text` (written to a private temporary file).
fn validate(name: &str, template_text: &str) -> Output {
    let dir = std::env::temp_dir().join(format!("koppel-template-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("template.yaml");
    std::fs::write(&path, template_text).unwrap();
    let output = Command::new(python())
        .arg(repo_root().join("infra/scripts/validate_template.py"))
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Replaces the first occurrence of `from` in the real template, failing if it is absent
/// (so a changed template cannot silently turn a broken-copy test into a no-op).
fn broken_copy(from: &str, to: &str) -> String {
    let template = real_template();
    assert!(
        template.contains(from),
        "template.yaml no longer contains {from:?}; update this test"
    );
    template.replacen(from, to, 1)
}

fn assert_rejected(output: &Output, expected_fragments: &[&str]) {
    let text = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the broken template must be rejected with exit 1; output:\n{text}"
    );
    assert!(text.contains("INVALID"), "no INVALID verdict in:\n{text}");
    for fragment in expected_fragments {
        assert!(
            text.contains(fragment),
            "expected {fragment:?} in the findings:\n{text}"
        );
    }
}

#[test]
fn real_template_is_valid() {
    let output = validate("real", &real_template());
    let text = stderr(&output);
    assert!(
        output.status.success(),
        "template.yaml must validate cleanly:\n{text}"
    );
    assert!(text.contains("0 error(s)"), "unexpected summary:\n{text}");
}

#[test]
fn misspelled_runtime_is_rejected() {
    let broken = broken_copy("Runtime: provided.al2023", "Runtime: provided.al2O23");
    assert_rejected(
        &validate("runtime", &broken),
        &["E3030", "provided.al2O23", "Runtime"],
    );
}

#[test]
fn misspelled_function_response_type_is_rejected() {
    let broken = broken_copy(
        "FunctionResponseTypes: [ReportBatchItemFailures]",
        "FunctionResponseTypes: [ReportBatchItemFailure]",
    );
    assert_rejected(
        &validate("response-types", &broken),
        &["E3030", "ReportBatchItemFailure'", "FunctionResponseTypes"],
    );
}

#[test]
fn reference_to_a_missing_queue_is_rejected() {
    let broken = broken_copy(
        "Queue: !GetAtt MergeQueue.Arn",
        "Queue: !GetAtt MergeQueu.Arn",
    );
    assert_rejected(&validate("dangling-ref", &broken), &["MergeQueu"]);
}

#[test]
fn unreadable_template_is_an_error_not_a_pass() {
    let output = validate("garbage", "Resources: [unclosed");
    assert_eq!(
        output.status.code(),
        Some(2),
        "unexpected outcome:\n{}",
        stderr(&output)
    );
}
