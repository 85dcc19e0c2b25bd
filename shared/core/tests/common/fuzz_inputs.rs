//! Inputs for the fuzz tests of outside answers, shared by every crate's fuzz tests (included
//! with `#[path = …] mod fuzz_inputs;`): arbitrary bytes and, to reach deep code, near-valid
//! answers — a valid sample with fields dropped or replaced by values of the wrong type, huge
//! or negative numbers, odd dates, HTML — plus HTML error pages, empty and truncated bodies.

#![allow(dead_code)]

use proptest::prelude::*;
use serde_json::{Value, json};

/// Values that break assumptions: wrong types, edges of number types, odd dates and text.
pub fn weird_json() -> impl Strategy<Value = Value> {
    let fixed = prop::sample::select(vec![
        Value::Null,
        json!(true),
        json!(""),
        json!("   "),
        json!(0),
        json!(-1),
        json!(-0.0),
        json!(0.21),
        json!(1e-30),
        json!(1e308),
        json!(-1e308),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        // Just above and below what a 96-bit decimal holds.
        serde_json::from_str::<Value>("79228162514264337593543950335").unwrap_or(Value::Null),
        serde_json::from_str::<Value>("-79228162514264337593543950336").unwrap_or(Value::Null),
        serde_json::from_str::<Value>("7.9228162514264337593543950335e27").unwrap_or(Value::Null),
        json!("79228162514264337593543950335"),
        json!("-0.0000000000000000000000000001"),
        json!("NaN"),
        json!("2026-02-30"),
        json!("0000-00-00T00:00:00"),
        json!("+262143-12-31T23:59:59Z"),
        json!("2026-13-01T25:61:61"),
        json!("/Date(99999999999999999999)/"),
        json!("/Date(9223372036854775807)/"),
        json!("/Date(-9223372036854775808+0100)/"),
        json!("/Date()/"),
        json!("/Date(-)/"),
        json!("/Date(1€)/"),
        json!("Error 1€: x"),
        json!("<html><body><h1>502 Bad Gateway</h1></body></html>"),
        json!("€é\u{0}\u{202e}\u{fffd}𝄞"),
        json!([]),
        json!({}),
        json!([null]),
        json!({"value": null}),
    ]);
    let leaf = prop_oneof![
        4 => fixed,
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        1 => ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// `sample` with some members dropped and some values replaced by [`weird_json`] ones; the
/// `choices` bytes decide, node by node in document order, so shrinking makes the change
/// smaller.
pub fn near_valid(sample: Value) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(any::<u8>(), 0..48),
        prop::collection::vec(weird_json(), 1..6),
    )
        .prop_map(move |(choices, replacements)| {
            let mut value = sample.clone();
            let mut walk = Walk {
                choices: &choices,
                next: 0,
                replacements: &replacements,
            };
            walk.visit(&mut value);
            value
        })
}

/// A walk through a JSON value that changes nodes as its choices say.
struct Walk<'a> {
    choices: &'a [u8],
    next: usize,
    replacements: &'a [Value],
}

impl Walk<'_> {
    fn choice(&mut self) -> u8 {
        let choice = self.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        choice
    }

    fn visit(&mut self, value: &mut Value) {
        let choice = self.choice();
        if choice >= 200 {
            let index = usize::from(choice) % self.replacements.len();
            *value = self.replacements[index].clone();
            return;
        }
        match value {
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                for key in keys {
                    if self.choice() >= 235 {
                        map.remove(&key);
                    } else if let Some(member) = map.get_mut(&key) {
                        self.visit(member);
                    }
                }
            }
            Value::Array(items) => {
                if self.choice() >= 240 {
                    let copy = items.clone();
                    items.extend(copy);
                }
                for item in items.iter_mut() {
                    self.visit(item);
                }
            }
            _ => {}
        }
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
        8 => whole,
        2 => cut,
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
