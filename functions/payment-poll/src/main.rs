//! payment-poll Lambda: wiring only (see lib.rs).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    koppel_connect::serve_job(|aws| payment_poll::Poll {
        options: Default::default(),
        mailer: aws
            .mailer
            .clone()
            .map(|m| std::sync::Arc::new(m) as std::sync::Arc<dyn koppel_core::Mailer>),
    })
    .await
}
