//! invoice-export Lambda: wiring only (see lib.rs).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    koppel_connect::serve_job(|_| invoice_export::Export::default()).await
}
