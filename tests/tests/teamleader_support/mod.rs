//! Helpers for the Teamleader client tests: a simulator with a connected client, a recording
//! proxy that keeps every request body the client sends, and a canned-answer HTTP stub.
//!
//! The proxy and the stub speak just enough HTTP/1.1 (one request per connection, answered
//! with `connection: close`) on plain tokio sockets.

#![allow(dead_code)]

use chrono::Utc;
use koppel_api::{TokenSource, TokenStores, save_tokens};
use koppel_core::memory::{InMemoryStore, InMemoryVault};
use koppel_core::{Clock, ConnectionId, Deadline, OAuthTokens, ScaledClock};
use koppel_sim::teamleader::{
    self, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SeedAccount, SimHandle, SimOptions,
};
use koppel_teamleader::{TeamleaderClient, TeamleaderUrls};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};

/// How much faster than real time the shared clock runs (rate windows, backoffs).
pub const SPEED: f64 = 30.0;

/// A simulator, one seeded account and a client connected to it.
pub struct Harness {
    /// The simulator.
    pub sim: SimHandle,
    /// The account seeded.
    pub account: String,
    /// The client under test.
    pub client: TeamleaderClient,
    /// The clock shared by both.
    pub clock: Arc<dyn Clock>,
}

/// Start a simulator, seed `seed`, and connect a client with a token pair issued for it.
pub async fn harness(seed: SeedAccount) -> Harness {
    harness_via(seed, false).await.0
}

/// As [`harness`], optionally sending the client's API calls through a [`Recorder`].
pub async fn harness_via(seed: SeedAccount, record: bool) -> (Harness, Option<Recorder>) {
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(Utc::now(), SPEED));
    let sim = teamleader::spawn(SimOptions::default().with_clock(clock.clone()))
        .await
        .unwrap();
    let account = sim.seed(seed).unwrap();
    let recorder = if record {
        Some(Recorder::start(sim.base_url.clone()).await)
    } else {
        None
    };
    let api_url = recorder
        .as_ref()
        .map_or_else(|| sim.base_url.clone(), |r| r.url.clone());
    let client = connect(&sim, &account, &api_url, clock.clone()).await;
    (
        Harness {
            sim,
            account,
            client,
            clock,
        },
        recorder,
    )
}

/// A client of `api_url` with tokens issued by `sim` for `account`, kept in memory.
pub async fn connect(
    sim: &SimHandle,
    account: &str,
    api_url: &str,
    clock: Arc<dyn Clock>,
) -> TeamleaderClient {
    let pair = sim.issue_tokens(account, None, None).unwrap();
    let vault = Arc::new(InMemoryVault::new());
    let tokens = OAuthTokens {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_at: clock.now() + chrono::Duration::seconds(pair.expires_in),
    };
    save_tokens(vault.as_ref(), "teamleader", &tokens)
        .await
        .unwrap();
    let oauth = TeamleaderUrls::same(&sim.base_url).oauth_client(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        clock.clone(),
    );
    let source = TokenSource::new(
        koppel_teamleader::policy::token_config("teamleader", ConnectionId::new("connection-1")),
        oauth,
        TokenStores::from_store(Arc::new(InMemoryStore::new())),
        vault,
        clock.clone(),
    );
    TeamleaderClient::connect(api_url, source, clock, Deadline::none())
}

/// One HTTP request as read off the socket.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// "POST".
    pub method: String,
    /// "/invoices.list".
    pub path: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RawRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

async fn read_some(socket: &TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if socket.readable().await.is_err() {
            return false;
        }
        match socket.try_read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => {
                buffer.extend_from_slice(&chunk[..n]);
                return true;
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return false,
        }
    }
}

async fn write_all(socket: &TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        if socket.writable().await.is_err() {
            return;
        }
        match socket.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        }
    }
}

async fn read_request(socket: &TcpStream) -> Option<RawRequest> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
        if !read_some(socket, &mut buffer).await {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        if !read_some(socket, &mut body).await {
            return None;
        }
    }
    Some(RawRequest {
        method,
        path,
        headers,
        body,
    })
}

async fn respond(socket: &TcpStream, status: u16, headers: &[(String, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    write_all(socket, head.as_bytes()).await;
    write_all(socket, body).await;
}

/// A proxy in front of the simulator that keeps every request body (endpoint, JSON).
pub struct Recorder {
    /// The proxy's base URL (give it to the client as the API URL).
    pub url: String,
    bodies: Arc<Mutex<Vec<(String, Value)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    /// Start a proxy forwarding to `upstream`.
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let bodies: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let kept = bodies.clone();
        let http = reqwest::Client::new();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (upstream, kept, http) = (upstream.clone(), kept.clone(), http.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&socket).await else {
                        return;
                    };
                    let endpoint = request.path.trim_start_matches('/').to_owned();
                    let json = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                    kept.lock().unwrap().push((endpoint, json));
                    let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
                    let mut forward = http
                        .request(method, format!("{upstream}{}", request.path))
                        .body(request.body.clone());
                    for name in ["authorization", "content-type"] {
                        if let Some(value) = request.header(name) {
                            forward = forward.header(name, value);
                        }
                    }
                    let Ok(answer) = forward.send().await else {
                        return;
                    };
                    let status = answer.status().as_u16();
                    let headers: Vec<(String, String)> = answer
                        .headers()
                        .iter()
                        .filter(|(name, _)| {
                            name.as_str() == "content-type"
                                || name.as_str().starts_with("x-ratelimit")
                        })
                        .map(|(name, value)| {
                            (
                                name.to_string(),
                                value.to_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect();
                    let body = answer.bytes().await.unwrap_or_default();
                    respond(&socket, status, &headers, &body).await;
                });
            }
        });
        Self { url, bodies, task }
    }

    /// Every request body seen so far, with its endpoint.
    pub fn bodies(&self) -> Vec<(String, Value)> {
        self.bodies.lock().unwrap().clone()
    }
}

/// An HTTP server answering every request with the same status and JSON body.
pub struct Stub {
    /// Its base URL.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stub {
    /// Start a stub answering `status` with `body`.
    pub async fn start(status: u16, body: Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let body = body.to_string();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    if read_request(&socket).await.is_some() {
                        let headers = [("content-type".to_owned(), "application/json".to_owned())];
                        respond(&socket, status, &headers, body.as_bytes()).await;
                    }
                });
            }
        });
        Self { url, task }
    }
}
