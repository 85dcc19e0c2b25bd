//! merge-file Lambda: wiring only. This version acknowledges its jobs with a run report telling
//! the user the job is not available yet (see `koppel_runtime::unavailable`).

/// What the user reads in the run report.
const NOT_AVAILABLE: &str = "Merge files are not available in this version of Koppel yet.";

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    koppel_runtime::unavailable::serve(NOT_AVAILABLE).await
}
