//! Inputs for the fuzz tests of outside answers, shared by every crate's fuzz tests (included
//! with `#[path = …] mod fuzz_inputs;`): arbitrary bytes and, to reach deep code, near-valid
//! answers — a valid sample with fields dropped or replaced by values of the wrong type, huge
//! or negative numbers, odd dates, HTML — plus HTML error pages, empty and truncated bodies.

#![allow(dead_code)]

use proptest::prelude::*;
use serde_json::{Value, json};

/// Numbers at the edges: zero, negative, tiny, huge, past what 64-bit integers and 96-bit
/// decimals hold.
pub fn weird_number() -> impl Strategy<Value = Value> {
    let fixed = prop::sample::select(
        [
            "0",
            "-1",
            "-0.0",
            "0.21",
            "21",
            "-270.27",
            "1e-30",
            "1e308",
            "-1e308",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "79228162514264337593543950335",
            "-79228162514264337593543950336",
            "7.9228162514264337593543950335e27",
            "-7.9228162514264337593543950335e27",
            "7.922816251426434e26",
            "0.0000000000000000000000000001",
        ]
        .iter()
        .filter_map(|text| serde_json::from_str::<Value>(text).ok())
        .collect::<Vec<_>>(),
    );
    prop_oneof![
        3 => fixed,
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

/// Texts at the edges: empty, blank, odd dates, numbers as text, markup, non-ASCII.
pub fn weird_text() -> impl Strategy<Value = Value> {
    let fixed = prop::sample::select(vec![
        "",
        "   ",
        "79228162514264337593543950335",
        "-0.0000000000000000000000000001",
        "NaN",
        "2026-02-30",
        "0000-00-00T00:00:00",
        "+262143-12-31T23:59:59Z",
        "2026-13-01T25:61:61",
        "/Date(99999999999999999999)/",
        "/Date(9223372036854775807)/",
        "/Date(-9223372036854775808+0100)/",
        "/Date()/",
        "/Date(-)/",
        "/Date(1€)/",
        "Error 1€: x",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "€é\u{0}\u{202e}\u{fffd}𝄞",
    ]);
    prop_oneof![
        3 => fixed.prop_map(Value::from),
        1 => ".{0,12}".prop_map(Value::from),
    ]
}

/// Values that break assumptions: wrong types, edges of number types, odd dates and text,
/// now and then a small nested value.
pub fn weird_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => prop::sample::select(vec![Value::Null, json!(true), json!([]), json!({}), json!([null])]),
        2 => weird_number(),
        2 => weird_text(),
    ];
    let nested = leaf.clone().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..3)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    });
    prop_oneof![6 => leaf, 1 => nested]
}

/// `sample` with one to three changes at nodes picked anywhere in it: a member dropped, a
/// value replaced by a [`weird_json`] one, an array doubled. Few changes, so most answers
/// still decode and the change reaches the code behind the decoding.
pub fn near_valid(sample: Value) -> impl Strategy<Value = Value> {
    prop::collection::vec((any::<prop::sample::Index>(), 0u8..10, weird_json()), 0..4).prop_map(
        move |changes| {
            let mut value = sample.clone();
            for (at, kind, replacement) in changes {
                let paths = node_paths(&value);
                let path = &paths[at.index(paths.len())];
                change(&mut value, path, kind, replacement);
            }
            value
        },
    )
}

/// One step from a JSON value to a member or item.
#[derive(Debug, Clone)]
enum Step {
    Member(String),
    Item(usize),
}

/// The path of every node of `value`, itself first.
fn node_paths(value: &Value) -> Vec<Vec<Step>> {
    let mut paths = vec![Vec::new()];
    let mut next = 0;
    while next < paths.len() {
        let path = paths[next].clone();
        next += 1;
        let steps: Vec<Step> = match node(value, &path) {
            Some(Value::Object(map)) => map.keys().cloned().map(Step::Member).collect(),
            Some(Value::Array(items)) => (0..items.len()).map(Step::Item).collect(),
            _ => Vec::new(),
        };
        for step in steps {
            let mut longer = path.clone();
            longer.push(step);
            paths.push(longer);
        }
    }
    paths
}

fn node<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Member(name) => value.get(name),
        Step::Item(index) => value.get(index),
    })
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Member(name) => value.get_mut(name),
        Step::Item(index) => value.get_mut(index),
    })
}

/// Applies change `kind` at `path`: 0–1 drop the member, 2 double an array, else replace.
fn change(value: &mut Value, path: &[Step], kind: u8, replacement: Value) {
    if let (0..=1, Some((Step::Member(name), parent))) = (kind, path.split_last()) {
        if let Some(Value::Object(map)) = node_mut(value, parent) {
            map.remove(name);
        }
        return;
    }
    let Some(target) = node_mut(value, path) else {
        return;
    };
    match (kind, target) {
        (2, Value::Array(items)) => {
            let copy = items.clone();
            items.extend(copy);
        }
        (_, target) => *target = replacement,
    }
}

/// An HTML page as proxies and load balancers answer instead of the API.
pub fn html_error_page() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "502 Bad Gateway",
            "Service Unavailable",
            "Runtime Error",
            "Het verzoek is geweigerd",
        ]),
        ".{0,40}",
    )
        .prop_map(|(title, detail)| {
            format!(
                "<!DOCTYPE html>\n<html><head><title>{title}</title><style>body{{color:red}}</style></head>\
                 <body><h1>{title}</h1><p>{detail}</p><script>var x = 1;</script></body></html>"
            )
        })
}

/// Bytes from outside, shown as text when they are UTF-8 (so a failing case can be copied
/// into a regression test as it is printed).
#[derive(Clone, PartialEq, Eq)]
pub struct Body(pub Vec<u8>);

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(text) => write!(f, "Body(b{text:?})"),
            Err(_) => write!(f, "Body({:?})", self.0),
        }
    }
}

/// A response body for an endpoint whose good answer looks like `sample`: near-valid JSON
/// (whole or cut off), other JSON, HTML error pages, text, arbitrary bytes, nothing.
pub fn body_like(sample: Value) -> impl Strategy<Value = Body> {
    let whole = near_valid(sample.clone()).prop_map(|value| value.to_string().into_bytes());
    let cut = (near_valid(sample), any::<prop::sample::Index>()).prop_map(|(value, at)| {
        let mut text = value.to_string().into_bytes();
        let keep = at.index(text.len() + 1);
        text.truncate(keep);
        text
    });
    prop_oneof![
        12 => whole,
        1 => cut,
        1 => weird_json().prop_map(|value| value.to_string().into_bytes()),
        1 => html_error_page().prop_map(String::into_bytes),
        1 => ".{0,64}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => Just(Vec::new()),
    ]
    .prop_map(Body)
}

/// True when `text` holds something that reads as an HTML tag (`<p>`, `</div>`, `<!DOCTYPE`).
pub fn has_html_tag(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).enumerate().any(|(at, pair)| {
        pair[0] == b'<'
            && (pair[1].is_ascii_alphabetic() || matches!(pair[1], b'/' | b'!' | b'?'))
            && text[at..].contains('>')
    })
}
