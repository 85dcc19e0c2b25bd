//! The SOAP 1.1 services on a cluster path: `{cluster}/webservices/processxml.asmx`
//! (`ProcessXmlString`) and `{cluster}/webservices/finder.asmx` (`Search`), and the gate every
//! call passes in this order: injected outage, envelope, access token (401), cluster (500),
//! fair use (429: concurrency, then credits), `CompanyCode` (500), then the work.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::fairuse::{self, QUERY_CREDITS};
use super::faults;
use super::state::{Shared, SimState, Slot};
use super::xml::Node;
use super::{finder, processxml};

/// The SOAP 1.1 envelope namespace.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Twinfield's namespace (header and body elements).
pub const TWINFIELD_NS: &str = "http://www.twinfield.com/";
/// Fault text: no `CompanyCode` in the header.
pub const NO_COMPANY: &str = "Toegang geweigerd. Company ontbreekt in request header.";
/// Fault text: the access token is missing, unknown, expired or revoked (our wording).
pub const INVALID_TOKEN: &str = "Access denied: the access token is invalid or has expired.";
/// Fault text: the organisation moved to another cluster.
pub const OTHER_CLUSTER: &str = "Deze organisatie bevindt zich op een ander cluster.";

/// Which `.asmx` service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// `processxml.asmx`.
    ProcessXml,
    /// `finder.asmx`.
    Finder,
}

impl Service {
    fn endpoint(self) -> &'static str {
        match self {
            Self::ProcessXml => "processxml",
            Self::Finder => "finder",
        }
    }

    fn method(self) -> &'static str {
        match self {
            Self::ProcessXml => "ProcessXmlString",
            Self::Finder => "Search",
        }
    }
}

/// A response whose body fails before anything is written: the connection is dropped and
/// the client never sees a status line.
pub(crate) fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated lost answer after commit",
        ))
    });
    Response::new(Body::from_stream(failing))
}

const OUTAGE_PAGE: &str = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>\
<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p>\
</body></html>";

/// An injected outage: an HTML page, a SOAP fault (`soap`) or plain text.
pub(crate) fn outage(status: u16, html: bool, soap: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if html {
        let mut response = (status, OUTAGE_PAGE).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return response;
    }
    if soap {
        return fault(
            status,
            "soap:Server",
            "Server was unable to process request.",
        );
    }
    (status, "Internal server error").into_response()
}

/// A SOAP envelope around one body element, as a `text/xml` answer.
pub(crate) fn envelope(status: StatusCode, body: Node) -> Response {
    let document = Node::new("soap:Envelope")
        .with_attr("xmlns:soap", SOAP_NS)
        .with_attr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
        .with_attr("xmlns:xsd", "http://www.w3.org/2001/XMLSchema")
        .with_child(Node::new("soap:Body").with_child(body))
        .to_document();
    let mut response = (status, document).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

/// A SOAP fault.
pub(crate) fn fault(status: StatusCode, code: &str, text: &str) -> Response {
    envelope(
        status,
        Node::new("soap:Fault")
            .with_text_child("faultcode", code)
            .with_text_child("faultstring", text)
            .with_child(Node::new("detail")),
    )
}

fn client_fault(status: StatusCode, text: &str) -> Response {
    fault(status, "soap:Client", text)
}

fn too_many(retry_after: u64, text: &str) -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, text.to_owned()).into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The parts of a request envelope.
struct Request {
    token: Option<String>,
    company: Option<String>,
    body: Node,
}

fn read_envelope(body: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(body).ok()?;
    let envelope = Node::parse(text).ok()?;
    if envelope.local_name() != "Envelope" {
        return None;
    }
    let header = envelope.child("Header").and_then(|h| h.child("Header"));
    let text_of = |name: &str| header.and_then(|h| h.child_text(name)).map(str::to_owned);
    let body = envelope.child("Body")?.children.first()?.clone();
    Some(Request {
        token: text_of("AccessToken"),
        company: text_of("CompanyCode"),
        body,
    })
}

fn cluster_number(segment: &str) -> Option<u32> {
    segment.strip_prefix("cluster")?.parse().ok()
}

/// The work of one request, decided before the fair-use check.
enum Work {
    /// `ProcessXmlString` with its parsed payload (or the parse error).
    Process(Result<Node, String>),
    /// `Search`.
    Search(Node),
}

impl Work {
    fn cost(&self) -> u32 {
        match self {
            Work::Process(Ok(payload)) => fairuse::process_xml_cost(payload.local_name()),
            Work::Process(Err(_)) => fairuse::OTHER_CREDITS,
            Work::Search(_) => QUERY_CREDITS,
        }
    }
}

/// `POST {cluster}/webservices/processxml.asmx`.
pub(crate) async fn process_xml(
    State(shared): State<Arc<Shared>>,
    Path(cluster): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(shared, &cluster, &headers, &body, Service::ProcessXml).await
}

/// `POST {cluster}/webservices/finder.asmx`.
pub(crate) async fn finder(
    State(shared): State<Arc<Shared>>,
    Path(cluster): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(shared, &cluster, &headers, &body, Service::Finder).await
}

/// Everything up to and including fair use; the slot, the work and the company code.
fn admit(
    shared: &Arc<Shared>,
    state: &mut SimState,
    cluster: &str,
    headers: &HeaderMap,
    body: &[u8],
    service: Service,
) -> Result<(Slot, Work, Option<String>), Box<Response>> {
    let endpoint = service.endpoint();
    state.stats.count(endpoint);
    if let Some((status, html)) = state.faults.take_failure(
        endpoint,
        &format!("/{cluster}/webservices/{endpoint}.asmx"),
        true,
    ) {
        state.stats.injected_failures += 1;
        return Err(Box::new(outage(status, html, true)));
    }
    let now = shared.now();
    let Some(request) = read_envelope(body) else {
        state.stats.soap_faults += 1;
        return Err(Box::new(client_fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Server was unable to read request. There is an error in the XML document.",
        )));
    };
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned());
    let expected = format!("{TWINFIELD_NS}{}", service.method());
    if request.body.local_name() != service.method()
        || action.as_deref().is_some_and(|a| a != expected)
    {
        state.stats.soap_faults += 1;
        let shown = action.unwrap_or_default();
        return Err(Box::new(client_fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("Server did not recognize the value of HTTP Header SOAPAction: {shown}."),
        )));
    }
    let live = request
        .token
        .as_deref()
        .is_some_and(|t| state.tokens.check(t, now).is_some());
    if !live {
        state.stats.soap_faults += 1;
        return Err(Box::new(client_fault(
            StatusCode::UNAUTHORIZED,
            INVALID_TOKEN,
        )));
    }
    if cluster_number(cluster) != Some(state.org.cluster) {
        state.stats.soap_faults += 1;
        return Err(Box::new(client_fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            OTHER_CLUSTER,
        )));
    }
    let work = match service {
        Service::ProcessXml => {
            let payload = request
                .body
                .child("xmlRequest")
                .map(|r| r.text.clone())
                .unwrap_or_default();
            Work::Process(Node::parse(&payload).map_err(|e| e.to_string()))
        }
        Service::Finder => Work::Search(request.body),
    };
    if state.in_flight >= state.fair_use.concurrent_requests {
        state.stats.rate_limited += 1;
        return Err(Box::new(too_many(
            1,
            "Too many concurrent requests for this organisation. Retry later.",
        )));
    }
    let cost = work.cost();
    let limits = state.fair_use;
    if let Err(retry_after) = state.usage.spend(&limits, cost, now) {
        state.stats.rate_limited += 1;
        return Err(Box::new(too_many(
            retry_after,
            "Rate limit exceeded: the credits of this minute are spent. Retry later.",
        )));
    }
    let Some(slot) = Slot::take(shared, state) else {
        state.stats.rate_limited += 1;
        return Err(Box::new(too_many(
            1,
            "Too many concurrent requests for this organisation. Retry later.",
        )));
    };
    state.stats.credits_spent += u64::from(cost);
    Ok((slot, work, request.company))
}

async fn handle(
    shared: Arc<Shared>,
    cluster: &str,
    headers: &HeaderMap,
    body: &[u8],
    service: Service,
) -> Response {
    let admitted = {
        let mut state = shared.lock();
        admit(&shared, &mut state, cluster, headers, body, service)
    };
    let (slot, work, company) = match admitted {
        Ok(admitted) => admitted,
        Err(refusal) => return *refusal,
    };
    let latency = shared.lock().latency;
    let mut held = shared.hold.subscribe();
    let _ = held.wait_for(|hold| !*hold).await;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = {
        let mut state = shared.lock();
        let now = shared.now();
        // The office list is what a client asks before it knows an office: any office code
        // in the header will do (a documented choice: the reference does not say).
        let office_list =
            matches!(&work, Work::Search(search) if search.child_text("type") == Some("OFF"));
        let checked = match (office_list, company.as_deref()) {
            (true, Some(code)) => Ok(code.to_owned()),
            (_, company) => check_company(&state, company),
        };
        match checked {
            Err(text) => {
                state.stats.soap_faults += 1;
                client_fault(StatusCode::INTERNAL_SERVER_ERROR, &text)
            }
            Ok(office) => run(&mut state, &office, work, now),
        }
    };
    drop(slot);
    response
}

fn check_company(state: &SimState, company: Option<&str>) -> Result<String, String> {
    let office = company.ok_or_else(|| NO_COMPANY.to_owned())?;
    let allowed = state.org.offices.contains_key(office)
        && state
            .org
            .users
            .values()
            .any(|offices| offices.contains(office));
    if !allowed {
        return Err(format!(
            "Toegang geweigerd. Geen toegang tot administratie {office}."
        ));
    }
    Ok(office.to_owned())
}

fn run(
    state: &mut SimState,
    office: &str,
    work: Work,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    match work {
        Work::Process(Err(error)) => {
            state.stats.soap_faults += 1;
            client_fault(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("Het xml-verzoek kan niet gelezen worden: {error}"),
            )
        }
        Work::Process(Ok(payload)) => {
            let root = payload.local_name().to_owned();
            state.stats.count(&format!("processxml:{root}"));
            let answer = processxml::process(state, office, payload, now);
            let lose = match root.as_str() {
                "transactions" | "transaction" => {
                    faults::take(&mut state.faults.lose_transaction_answers)
                }
                "dimensions" | "dimension" => {
                    faults::take(&mut state.faults.lose_dimension_answers)
                }
                _ => false,
            };
            if lose {
                state.stats.lost_answers += 1;
                return dropped_connection();
            }
            envelope(
                StatusCode::OK,
                Node::new("ProcessXmlStringResponse")
                    .with_attr("xmlns", TWINFIELD_NS)
                    .with_text_child("ProcessXmlStringResult", answer.to_xml()),
            )
        }
        Work::Search(search) => {
            let answer = finder::search(state, office, &search);
            envelope(StatusCode::OK, answer)
        }
    }
}
