//! Serving an axum router on 127.0.0.1 with a way to stop it.

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server: its base URL, and a stop switch (also pulled on drop).
#[derive(Debug)]
pub struct ServerHandle {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Stop accepting requests and wait until the server task has ended.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Bind 127.0.0.1:`port` (0 = any free port) and serve `router` in a background task.
///
/// `make_router` receives the base URL first, so handlers can build absolute links (download
/// locations) to the server itself.
pub async fn serve(
    port: u16,
    make_router: impl FnOnce(&str) -> Router,
) -> std::io::Result<ServerHandle> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    let base_url = format!("http://{address}");
    let router = make_router(&base_url);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = result {
            tracing::error!(%error, "simulator server stopped with an error");
        }
    });
    Ok(ServerHandle {
        base_url,
        stop: Some(stop),
        task: Some(task),
    })
}
