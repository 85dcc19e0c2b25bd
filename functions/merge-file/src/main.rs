//! merge-file Lambda: wiring only (see lib.rs).

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    koppel_connect::serve_job(|aws| merge_file::Merge {
        files: Arc::new(aws.files.clone()),
        limits: Default::default(),
    })
    .await
}
