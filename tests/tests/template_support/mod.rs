//! Reading `template.yaml` in the template tests: the file, a path into it, scalars, short-form
//! intrinsics (`!Ref`, `!Sub`, `!GetAtt` arrive from serde_norway as `Value::Tagged`) and the
//! resources of a type.

// Each test file uses only some of these.
#![allow(dead_code)]

use serde_norway::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The template's text.
pub fn template_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// The template, parsed.
pub fn template() -> Value {
    serde_norway::from_str(&template_text()).unwrap()
}

/// `value[key]`, failing with the path when absent.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    let mut current = value;
    for key in path {
        current = current
            .get(*key)
            .unwrap_or_else(|| panic!("template.yaml has no {}", path.join(".")));
    }
    current
}

/// A scalar as text.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, found {other:?}"),
    }
}

/// The tag name and inner value of a short-form intrinsic (`!Ref X` -> ("Ref", X)).
pub fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_string(),
            &tagged.value,
        )),
        _ => None,
    }
}

/// Resources of `kind`, by logical id.
pub fn resources_of_type<'a>(template: &'a Value, kind: &str) -> BTreeMap<String, &'a Value> {
    at(template, &["Resources"])
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource.get("Type").map(text).as_deref() == Some(kind))
        .map(|(id, resource)| (text(id), resource))
        .collect()
}
