//! The "answer with this" fault: the next matching API calls get a chosen status, body and
//! content type instead of Exact's own answer — an HTML maintenance page with 200, a cut-off
//! JSON body, a 503 carrying Exact's JSON error, a 403 on every POST. For tests of how a
//! client treats bad answers. Like `fail_next`, it comes after authentication and the
//! quota, so a call it answers was counted; unlike it, nothing else happens (no booking).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::control::SimControl;

/// Answer the next `count` matching calls with `status`, `body` and `content_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerNext {
    /// How many calls still to answer this way.
    pub count: u32,
    /// Status to answer.
    pub status: u16,
    /// The body, as sent.
    pub body: String,
    /// The `Content-Type` header (default `text/html; charset=utf-8`).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Only calls whose resource path contains this text (e.g. "GLAccounts").
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Only calls with this method (e.g. "POST").
    #[serde(default)]
    pub method: Option<String>,
}

impl AnswerNext {
    /// An answer for every call (no filter), as HTML.
    pub fn new(count: u32, status: u16, body: impl Into<String>) -> Self {
        Self {
            count,
            status,
            body: body.into(),
            content_type: None,
            path_contains: None,
            method: None,
        }
    }

    /// Only for resources whose path contains `text`.
    pub fn on(mut self, text: &str) -> Self {
        self.path_contains = Some(text.to_owned());
        self
    }

    /// Only for calls with `method`.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// With this content type.
    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self
    }

    fn matches(&self, method: &str, resource: &str) -> bool {
        self.path_contains
            .as_deref()
            .is_none_or(|p| resource.contains(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }

    fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let content_type = self
            .content_type
            .as_deref()
            .unwrap_or("text/html; charset=utf-8");
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = status;
        if let Ok(value) = HeaderValue::from_str(content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        response
    }
}

/// The armed answers, first armed first used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answers {
    armed: Vec<AnswerNext>,
}

impl Answers {
    /// The response for this call, when an armed answer matches it (its count goes down).
    pub(crate) fn take(&mut self, method: &str, resource: &str) -> Option<Response> {
        let position = self
            .armed
            .iter()
            .position(|a| a.count > 0 && a.matches(method, resource))?;
        let answer = &mut self.armed[position];
        let response = answer.response();
        answer.count -= 1;
        if answer.count == 0 {
            self.armed.remove(position);
        }
        Some(response)
    }
}

impl SimControl {
    /// Answer the next `answer.count` matching API calls with its status, body and content
    /// type (several armed answers are tried in the order they were armed).
    pub fn answer_next(&self, answer: AnswerNext) {
        if answer.count > 0 {
            self.shared.lock().answers.armed.push(answer);
        }
    }

    /// Forget every armed answer.
    pub fn clear_answers(&self) {
        self.shared.lock().answers.armed.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_match_by_path_and_method_and_run_out() {
        let mut answers = Answers::default();
        answers.armed.push(
            AnswerNext::new(2, 403, "{}")
                .on("SalesEntries")
                .method("POST"),
        );
        assert!(answers.take("GET", "salesentry/SalesEntries").is_none());
        assert!(answers.take("POST", "crm/Accounts").is_none());
        let first = answers.take("POST", "salesentry/SalesEntries").unwrap();
        assert_eq!(first.status(), StatusCode::FORBIDDEN);
        assert!(answers.take("POST", "salesentry/SalesEntries").is_some());
        assert!(answers.take("POST", "salesentry/SalesEntries").is_none());
    }
}
