//! Running a validated operation: coercing the request's variables, collecting fields
//! (aliases, inline fragments, named fragments, `@skip`/`@include`), resolving them through a
//! [`Resolver`] and completing values with the spec's null propagation (a failed non-null
//! field nulls its nearest nullable parent; its error carries the `path`).

use std::collections::{BTreeSet, HashMap};

use graphql_parser::query::{
    Directive, Field, FragmentDefinition, Selection, SelectionSet, TypeCondition,
};
use serde_json::{Map, Value};

use super::schema::{GqlValue, Schema, TypeDef, TypeRef};
use super::suggest::suggestions;
use super::validate::{OperationKind, OperationRef};
use super::{GraphQLError, PathSegment};

/// What a resolver answers for a field.
#[derive(Debug, Clone)]
pub(crate) enum Resolved<O> {
    /// A scalar or enum value, already in its JSON form.
    Leaf(Value),
    /// An object to select fields of.
    Object(O),
    /// A list.
    List(Vec<Resolved<O>>),
    /// `null`.
    Null,
}

/// A field that failed: its message and `extensions.category`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) message: String,
    pub(crate) category: &'static str,
}

/// The domain side of execution: the objects and their fields.
pub(crate) trait Resolver {
    /// A runtime object.
    type Object: Clone;

    /// The object type's name (for `__typename`, fragments and field lookups).
    fn type_name(&self, object: &Self::Object) -> &'static str;

    /// One field of an object, with its coerced arguments.
    fn resolve(
        &mut self,
        object: &Self::Object,
        field: &str,
        arguments: &Map<String, Value>,
    ) -> Result<Resolved<Self::Object>, FieldError>;
}

/// Coerce the request's variables to the operation's definitions.
pub(crate) fn coerce_variables(
    schema: &Schema,
    operation: &OperationRef<'_>,
    given: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<GraphQLError>> {
    let mut coerced = Map::new();
    let mut errors = Vec::new();
    for definition in operation.variables {
        let name = &definition.name;
        let at = Some(definition.position);
        match given.get(name) {
            None => match &definition.default_value {
                Some(default) => {
                    coerced.insert(name.clone(), literal_to_json(default));
                }
                None if matches!(definition.var_type, TypeRef::NonNullType(_)) => {
                    errors.push(GraphQLError::request(
                        format!(
                            "Variable \"${name}\" of required type \"{}\" was not provided.",
                            definition.var_type
                        ),
                        at,
                    ));
                }
                None => {}
            },
            Some(value) => match coerce_input(schema, &definition.var_type, value) {
                Ok(value) => {
                    coerced.insert(name.clone(), value);
                }
                Err(_) if value.is_null() => errors.push(GraphQLError::request(
                    format!(
                        "Variable \"${name}\" of non-null type \"{}\" must not be null.",
                        definition.var_type
                    ),
                    at,
                )),
                Err(reason) => errors.push(GraphQLError::request(
                    format!("Variable \"${name}\" got invalid value {value}; {reason}"),
                    at,
                )),
            },
        }
    }
    if errors.is_empty() {
        Ok(coerced)
    } else {
        Err(errors)
    }
}

/// Coerce a JSON input value to a type; the reason when it does not fit.
fn coerce_input(schema: &Schema, ty: &TypeRef, value: &Value) -> Result<Value, String> {
    match ty {
        TypeRef::NonNullType(inner) => {
            if value.is_null() {
                return Err(format!(
                    "Expected non-nullable type \"{ty}\" not to be null."
                ));
            }
            coerce_input(schema, inner, value)
        }
        _ if value.is_null() => Ok(Value::Null),
        TypeRef::ListType(inner) => match value {
            Value::Array(items) => items
                .iter()
                .map(|item| coerce_input(schema, inner, item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            single => Ok(Value::Array(vec![coerce_input(schema, inner, single)?])),
        },
        TypeRef::NamedType(name) => match (schema.types.get(name.as_str()), value) {
            (Some(TypeDef::Enum(values)), Value::String(s)) if values.contains(s) => {
                Ok(value.clone())
            }
            (Some(TypeDef::Enum(values)), Value::String(s)) => {
                let close = suggestions(s, values.iter().map(String::as_str));
                let hint = close
                    .first()
                    .map(|c| format!(" Did you mean the enum value \"{c}\"?"))
                    .unwrap_or_default();
                Err(format!(
                    "Value \"{s}\" does not exist in \"{name}\" enum.{hint}"
                ))
            }
            (Some(TypeDef::Enum(_)), other) => Err(format!(
                "Enum \"{name}\" cannot represent non-string value: {other}."
            )),
            (_, Value::String(_)) if name == "String" || name == "ID" => Ok(value.clone()),
            (_, Value::Number(n)) if name == "ID" && n.is_i64() => Ok(Value::String(n.to_string())),
            (_, Value::Number(n))
                if name == "Int" && n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) =>
            {
                Ok(value.clone())
            }
            (_, Value::Number(_)) if name == "Float" => Ok(value.clone()),
            (_, Value::Bool(_)) if name == "Boolean" => Ok(value.clone()),
            _ => Err(match name.as_str() {
                "String" => format!("String cannot represent a non string value: {value}"),
                "Int" => format!("Int cannot represent non-integer value: {value}"),
                "Float" => format!("Float cannot represent non numeric value: {value}"),
                "Boolean" => format!("Boolean cannot represent a non boolean value: {value}"),
                "ID" => format!("ID cannot represent value: {value}"),
                _ => format!("Expected type \"{name}\"."),
            }),
        },
    }
}

/// A literal's JSON form (enum values as strings).
fn literal_to_json(value: &GqlValue) -> Value {
    match value {
        GqlValue::Variable(_) | GqlValue::Null => Value::Null,
        GqlValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
        GqlValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        GqlValue::String(s) | GqlValue::Enum(s) => Value::String(s.clone()),
        GqlValue::Boolean(b) => Value::Bool(*b),
        GqlValue::List(items) => Value::Array(items.iter().map(literal_to_json).collect()),
        GqlValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), literal_to_json(v)))
                .collect(),
        ),
    }
}

/// A value in a query (literal or variable) resolved against the coerced variables.
fn input_value(value: &GqlValue, variables: &Map<String, Value>) -> Option<Value> {
    match value {
        GqlValue::Variable(name) => variables.get(name).cloned(),
        GqlValue::List(items) => Some(Value::Array(
            items
                .iter()
                .map(|item| input_value(item, variables).unwrap_or(Value::Null))
                .collect(),
        )),
        other => Some(literal_to_json(other)),
    }
}

/// Marker: a non-null position became null, so the nearest nullable parent is null.
struct NullPropagates;

/// One executor run.
pub(crate) struct Executor<'a, 'd, R: Resolver> {
    schema: &'a Schema,
    fragments: HashMap<&'d str, &'d FragmentDefinition<'static, String>>,
    variables: &'a Map<String, Value>,
    resolver: &'a mut R,
    errors: Vec<GraphQLError>,
}

impl<'a, 'd, R: Resolver> Executor<'a, 'd, R> {
    /// An executor for one operation of a validated document.
    pub(crate) fn new(
        schema: &'a Schema,
        fragments: HashMap<&'d str, &'d FragmentDefinition<'static, String>>,
        variables: &'a Map<String, Value>,
        resolver: &'a mut R,
    ) -> Self {
        Self {
            schema,
            fragments,
            variables,
            resolver,
            errors: Vec::new(),
        }
    }

    /// Run the operation on `root`: `data` and the field errors.
    pub(crate) fn run(
        mut self,
        operation: &OperationRef<'d>,
        root: R::Object,
    ) -> (Value, Vec<GraphQLError>) {
        debug_assert!(operation.kind != OperationKind::Subscription);
        let type_name = self.resolver.type_name(&root);
        let mut path = Vec::new();
        let data = match self.selection(type_name, &root, &[operation.selection_set], &mut path) {
            Ok(map) => Value::Object(map),
            Err(NullPropagates) => Value::Null,
        };
        (data, self.errors)
    }

    fn included(&self, directives: &[Directive<'static, String>]) -> bool {
        directives.iter().all(|directive| {
            let condition = directive
                .arguments
                .iter()
                .find(|(name, _)| name == "if")
                .and_then(|(_, value)| input_value(value, self.variables))
                .and_then(|v| v.as_bool())
                .unwrap_or(true);
            match directive.name.as_str() {
                "skip" => !condition,
                "include" => condition,
                _ => true,
            }
        })
    }

    /// The spec's CollectFields: response keys in order, each with its fields.
    fn collect(
        &self,
        type_name: &str,
        set: &'d SelectionSet<'static, String>,
        out: &mut Vec<(String, Vec<&'d Field<'static, String>>)>,
        visited: &mut BTreeSet<&'d str>,
    ) {
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    if !self.included(&field.directives) {
                        continue;
                    }
                    let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(field),
                        None => out.push((key, vec![field])),
                    }
                }
                Selection::InlineFragment(inline) => {
                    if !self.included(&inline.directives) {
                        continue;
                    }
                    let applies = match &inline.type_condition {
                        None => true,
                        Some(TypeCondition::On(condition)) => {
                            self.schema.satisfies(type_name, condition)
                        }
                    };
                    if applies {
                        self.collect(type_name, &inline.selection_set, out, visited);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    if !self.included(&spread.directives) || !visited.insert(name) {
                        continue;
                    }
                    let Some(fragment) = self.fragments.get(name).copied() else {
                        continue;
                    };
                    let TypeCondition::On(condition) = &fragment.type_condition;
                    if self.schema.satisfies(type_name, condition) {
                        self.collect(type_name, &fragment.selection_set, out, visited);
                    }
                }
            }
        }
    }

    fn selection(
        &mut self,
        type_name: &'static str,
        object: &R::Object,
        sets: &[&'d SelectionSet<'static, String>],
        path: &mut Vec<PathSegment>,
    ) -> Result<Map<String, Value>, NullPropagates> {
        let mut grouped = Vec::new();
        let mut visited = BTreeSet::new();
        for set in sets {
            self.collect(type_name, set, &mut grouped, &mut visited);
        }
        // Every field runs even after one nulled this object, so all errors are reported
        // (as graphql-js does for queries).
        let mut result = Map::new();
        let mut nulled = false;
        for (key, fields) in grouped {
            let first = fields[0];
            path.push(PathSegment::Key(key.clone()));
            let value = self.field(type_name, object, first, &fields, path);
            path.pop();
            match value {
                Ok(value) => {
                    result.insert(key, value);
                }
                Err(NullPropagates) => nulled = true,
            }
        }
        if nulled {
            Err(NullPropagates)
        } else {
            Ok(result)
        }
    }

    fn field(
        &mut self,
        type_name: &'static str,
        object: &R::Object,
        first: &'d Field<'static, String>,
        fields: &[&'d Field<'static, String>],
        path: &mut Vec<PathSegment>,
    ) -> Result<Value, NullPropagates> {
        if first.name == "__typename" {
            return Ok(Value::String(type_name.to_owned()));
        }
        let Some(definition) = self.schema.field(type_name, &first.name) else {
            // Validation rules this out; answer null rather than panic.
            return Ok(Value::Null);
        };
        let mut arguments = Map::new();
        for argument in &definition.arguments {
            let given = first
                .arguments
                .iter()
                .find(|(name, _)| *name == argument.name)
                .and_then(|(_, value)| input_value(value, self.variables));
            let value = given.or_else(|| argument.default.as_ref().map(literal_to_json));
            if let Some(value) = value {
                arguments.insert(argument.name.clone(), value);
            }
        }
        let position = (first.position.line, first.position.column);
        let resolved = match self.resolver.resolve(object, &first.name, &arguments) {
            Ok(resolved) => resolved,
            Err(error) => {
                self.errors.push(GraphQLError {
                    message: error.message,
                    locations: vec![position],
                    path: Some(path.clone()),
                    category: error.category,
                });
                return match definition.ty {
                    TypeRef::NonNullType(_) => Err(NullPropagates),
                    _ => Ok(Value::Null),
                };
            }
        };
        let sets: Vec<&'d SelectionSet<'static, String>> =
            fields.iter().map(|f| &f.selection_set).collect();
        let ty = definition.ty.clone();
        let context = FieldContext {
            parent: type_name,
            name: &first.name,
            position,
        };
        self.complete(&ty, resolved, &sets, path, &context)
    }

    fn complete(
        &mut self,
        ty: &TypeRef,
        resolved: Resolved<R::Object>,
        sets: &[&'d SelectionSet<'static, String>],
        path: &mut Vec<PathSegment>,
        context: &FieldContext<'_>,
    ) -> Result<Value, NullPropagates> {
        match ty {
            TypeRef::NonNullType(inner) => {
                let before = self.errors.len();
                let value = self.complete(inner, resolved, sets, path, context)?;
                if value.is_null() {
                    if self.errors.len() == before {
                        self.errors.push(GraphQLError {
                            message: format!(
                                "Cannot return null for non-nullable field \"{}.{}\".",
                                context.parent, context.name
                            ),
                            locations: vec![context.position],
                            path: Some(path.clone()),
                            category: "internal",
                        });
                    }
                    return Err(NullPropagates);
                }
                Ok(value)
            }
            TypeRef::ListType(inner) => match resolved {
                Resolved::Null => Ok(Value::Null),
                Resolved::List(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (index, item) in items.into_iter().enumerate() {
                        path.push(PathSegment::Index(index));
                        let value = self.complete(inner, item, sets, path, context);
                        path.pop();
                        match value {
                            Ok(value) => out.push(value),
                            Err(NullPropagates) => return Ok(Value::Null),
                        }
                    }
                    Ok(Value::Array(out))
                }
                single => {
                    let value = self.complete(inner, single, sets, path, context);
                    Ok(value.map_or(Value::Null, |v| Value::Array(vec![v])))
                }
            },
            TypeRef::NamedType(_) => match resolved {
                Resolved::Null => Ok(Value::Null),
                Resolved::Leaf(value) => Ok(value),
                Resolved::List(_) => Ok(Value::Null),
                Resolved::Object(object) => {
                    let runtime = self.resolver.type_name(&object);
                    match self.selection(runtime, &object, sets, path) {
                        Ok(map) => Ok(Value::Object(map)),
                        Err(NullPropagates) => Ok(Value::Null),
                    }
                }
            },
        }
    }
}

/// The field being completed, for "cannot return null" errors.
struct FieldContext<'c> {
    parent: &'static str,
    name: &'c str,
    position: (usize, usize),
}
