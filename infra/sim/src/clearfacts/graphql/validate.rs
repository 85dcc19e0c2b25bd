//! Reading a query and checking it against the schema before anything runs: the spec's
//! validation rules a client is most likely to trip over (unknown fields and arguments with
//! "Did you mean" hints, missing required arguments, literal and variable types, leaf and
//! composite selections, fragments, directives, unused and undefined variables, operation
//! names).
//!
//! Leniency (our choice; the real schema's `ID`/`String` use is not public): a `String`
//! variable may be used where an `ID` is expected and the other way round.

use std::collections::{BTreeSet, HashMap};

use graphql_parser::Pos;
use graphql_parser::query::{
    Definition, Directive, Document, Field, FragmentDefinition, OperationDefinition, Selection,
    SelectionSet, TypeCondition, VariableDefinition, parse_query,
};

use super::GraphQLError;
use super::schema::{GqlValue, Schema, TypeDef, TypeRef, named};
use super::suggest::{did_you_mean, suggestions};

/// A parsed query document.
pub(crate) type QueryDocument = Document<'static, String>;

/// Query, mutation or subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

/// One operation of a document, whatever its form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OperationRef<'d> {
    pub(crate) kind: OperationKind,
    pub(crate) name: Option<&'d str>,
    pub(crate) variables: &'d [VariableDefinition<'static, String>],
    pub(crate) selection_set: &'d SelectionSet<'static, String>,
    pub(crate) position: Pos,
}

/// Parse a query; a syntax error comes back as a GraphQL error.
pub(crate) fn parse(query: &str) -> Result<QueryDocument, GraphQLError> {
    parse_query::<String>(query)
        .map(|document| document.into_static())
        .map_err(|error| {
            let text = error.to_string();
            let text = text.trim_start_matches("query parse error: ");
            GraphQLError::request(
                format!(
                    "Syntax Error: {}",
                    text.split_whitespace().collect::<Vec<_>>().join(" ")
                ),
                None,
            )
        })
}

/// The operations of a document in order.
pub(crate) fn operations(document: &QueryDocument) -> Vec<OperationRef<'_>> {
    document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            Definition::Operation(operation) => Some(operation_ref(operation)),
            Definition::Fragment(_) => None,
        })
        .collect()
}

fn operation_ref<'a>(operation: &'a OperationDefinition<'static, String>) -> OperationRef<'a> {
    match operation {
        OperationDefinition::SelectionSet(set) => OperationRef {
            kind: OperationKind::Query,
            name: None,
            variables: &[],
            selection_set: set,
            position: set.span.0,
        },
        OperationDefinition::Query(q) => OperationRef {
            kind: OperationKind::Query,
            name: q.name.as_deref(),
            variables: &q.variable_definitions,
            selection_set: &q.selection_set,
            position: q.position,
        },
        OperationDefinition::Mutation(m) => OperationRef {
            kind: OperationKind::Mutation,
            name: m.name.as_deref(),
            variables: &m.variable_definitions,
            selection_set: &m.selection_set,
            position: m.position,
        },
        OperationDefinition::Subscription(s) => OperationRef {
            kind: OperationKind::Subscription,
            name: s.name.as_deref(),
            variables: &s.variable_definitions,
            selection_set: &s.selection_set,
            position: s.position,
        },
    }
}

/// The operation to run: the one named `operation_name`, or the only one.
pub(crate) fn select<'d>(
    document: &'d QueryDocument,
    operation_name: Option<&str>,
) -> Result<OperationRef<'d>, GraphQLError> {
    let all = operations(document);
    match operation_name.filter(|n| !n.is_empty()) {
        Some(name) => all
            .into_iter()
            .find(|o| o.name == Some(name))
            .ok_or_else(|| {
                GraphQLError::request(format!("Unknown operation named \"{name}\"."), None)
            }),
        None => match all.as_slice() {
            [only] => Ok(*only),
            [] => Err(GraphQLError::request("No operation to run.", None)),
            _ => Err(GraphQLError::request(
                "Must provide operation name if query contains multiple operations.",
                None,
            )),
        },
    }
}

/// The fragments of a document by name.
pub(crate) fn fragments(
    document: &QueryDocument,
) -> HashMap<&str, &FragmentDefinition<'static, String>> {
    document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            Definition::Fragment(fragment) => Some((fragment.name.as_str(), fragment)),
            Definition::Operation(_) => None,
        })
        .collect()
}

/// The names of the top-level fields an operation selects (through fragments too).
pub(crate) fn top_level_fields(
    document: &QueryDocument,
    operation: &OperationRef<'_>,
) -> Vec<String> {
    let fragments = fragments(document);
    let mut names = Vec::new();
    let mut stack = vec![operation.selection_set];
    let mut seen = BTreeSet::new();
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match item {
                Selection::Field(field) => names.push(field.name.clone()),
                Selection::InlineFragment(inline) => stack.push(&inline.selection_set),
                Selection::FragmentSpread(spread) => {
                    if seen.insert(spread.fragment_name.as_str())
                        && let Some(fragment) = fragments.get(spread.fragment_name.as_str())
                    {
                        stack.push(&fragment.selection_set);
                    }
                }
            }
        }
    }
    names
}

/// Check every operation of the document; the errors in document order.
pub(crate) fn validate(schema: &Schema, document: &QueryDocument) -> Vec<GraphQLError> {
    let mut validator = Validator {
        schema,
        fragments: fragments(document),
        used_fragments: BTreeSet::new(),
        errors: Vec::new(),
    };
    let all = operations(document);
    let anonymous = all.iter().filter(|o| o.name.is_none()).count();
    if anonymous > 0 && all.len() > 1 {
        for operation in all.iter().filter(|o| o.name.is_none()) {
            validator.error(
                "This anonymous operation must be the only defined operation.",
                operation.position,
            );
        }
    }
    let mut names = BTreeSet::new();
    for operation in &all {
        if let Some(name) = operation.name
            && !names.insert(name)
        {
            validator.error(
                format!("There can be only one operation named \"{name}\"."),
                operation.position,
            );
        }
        validator.operation(operation);
    }
    let mut unused: Vec<(&str, Pos)> = validator
        .fragments
        .iter()
        .filter(|(name, _)| !validator.used_fragments.contains(**name))
        .map(|(name, fragment)| (*name, fragment.position))
        .collect();
    unused.sort_by_key(|(_, position)| (position.line, position.column));
    for (name, position) in unused {
        validator.error(format!("Fragment \"{name}\" is never used."), position);
    }
    validator.errors
}

/// The variables of the operation being checked.
struct Scope<'d> {
    operation: Option<&'d str>,
    variables: HashMap<&'d str, &'d VariableDefinition<'static, String>>,
}

struct Validator<'d> {
    schema: &'d Schema,
    fragments: HashMap<&'d str, &'d FragmentDefinition<'static, String>>,
    used_fragments: BTreeSet<String>,
    errors: Vec<GraphQLError>,
}

impl<'d> Validator<'d> {
    fn error(&mut self, message: impl Into<String>, position: Pos) {
        self.errors
            .push(GraphQLError::request(message, Some(position)));
    }

    fn operation(&mut self, operation: &OperationRef<'d>) {
        let root = match operation.kind {
            OperationKind::Query => self.schema.query.clone(),
            OperationKind::Mutation => self.schema.mutation.clone(),
            OperationKind::Subscription => {
                self.error(
                    "Schema is not configured to execute subscription operation.",
                    operation.position,
                );
                return;
            }
        };
        let mut scope = Scope {
            operation: operation.name,
            variables: HashMap::new(),
        };
        for variable in operation.variables {
            let name = variable.name.as_str();
            if scope.variables.insert(name, variable).is_some() {
                self.error(
                    format!("There can be only one variable named \"${name}\"."),
                    variable.position,
                );
            }
            let base = named(&variable.var_type);
            match self.schema.types.get(base) {
                None => self.error(format!("Unknown type \"{base}\"."), variable.position),
                Some(TypeDef::Object { .. } | TypeDef::Interface { .. }) => self.error(
                    format!(
                        "Variable \"${name}\" cannot be non-input type \"{}\".",
                        variable.var_type
                    ),
                    variable.position,
                ),
                Some(_) => {
                    if let Some(default) = &variable.default_value {
                        let mut unused = BTreeSet::new();
                        let empty = Scope {
                            operation: None,
                            variables: HashMap::new(),
                        };
                        for message in
                            self.value(default, &variable.var_type, false, &empty, &mut unused)
                        {
                            self.error(message, variable.position);
                        }
                    }
                }
            }
        }
        let mut used = BTreeSet::new();
        let mut stack = Vec::new();
        self.selection_set(
            &root,
            operation.selection_set,
            &scope,
            &mut used,
            &mut stack,
        );
        for variable in operation.variables {
            if !used.contains(variable.name.as_str()) {
                let message = match operation.name {
                    Some(op) => format!(
                        "Variable \"${}\" is never used in operation \"{op}\".",
                        variable.name
                    ),
                    None => format!("Variable \"${}\" is never used.", variable.name),
                };
                self.error(message, variable.position);
            }
        }
    }

    fn selection_set(
        &mut self,
        parent: &str,
        set: &'d SelectionSet<'static, String>,
        scope: &Scope<'d>,
        used: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) {
        for item in &set.items {
            match item {
                Selection::Field(field) => self.field(parent, field, scope, used, stack),
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.directives, scope, used);
                    let condition = match &inline.type_condition {
                        None => parent.to_owned(),
                        Some(TypeCondition::On(condition)) => {
                            if !self.condition(parent, condition, None, inline.position) {
                                continue;
                            }
                            condition.clone()
                        }
                    };
                    self.selection_set(&condition, &inline.selection_set, scope, used, stack);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.directives, scope, used);
                    let name = spread.fragment_name.as_str();
                    self.used_fragments.insert(name.to_owned());
                    let Some(fragment) = self.fragments.get(name).copied() else {
                        self.error(format!("Unknown fragment \"{name}\"."), spread.position);
                        continue;
                    };
                    if stack.iter().any(|s| s == name) {
                        self.error(
                            format!("Cannot spread fragment \"{name}\" within itself."),
                            spread.position,
                        );
                        continue;
                    }
                    let TypeCondition::On(condition) = &fragment.type_condition;
                    if !self.condition(parent, condition, Some(name), spread.position) {
                        continue;
                    }
                    stack.push(name.to_owned());
                    self.directives(&fragment.directives, scope, used);
                    self.selection_set(condition, &fragment.selection_set, scope, used, stack);
                    stack.pop();
                }
            }
        }
    }

    /// Whether a fragment on `condition` may be spread inside `parent`.
    fn condition(
        &mut self,
        parent: &str,
        condition: &str,
        fragment: Option<&str>,
        at: Pos,
    ) -> bool {
        if !self.schema.types.contains_key(condition) {
            self.error(format!("Unknown type \"{condition}\"."), at);
            return false;
        }
        if !self.schema.is_composite(condition) {
            self.error(
                format!("Fragment cannot condition on non composite type \"{condition}\"."),
                at,
            );
            return false;
        }
        let parents = self.schema.possible_types(parent);
        let overlap = self
            .schema
            .possible_types(condition)
            .iter()
            .any(|t| parents.contains(t));
        if !overlap {
            let subject = match fragment {
                Some(name) => format!("Fragment \"{name}\" cannot"),
                None => "Fragment cannot".to_owned(),
            };
            self.error(
                format!(
                    "{subject} be spread here as objects of type \"{parent}\" can never be of type \"{condition}\"."
                ),
                at,
            );
        }
        overlap
    }

    fn directives(
        &mut self,
        directives: &'d [Directive<'static, String>],
        scope: &Scope<'d>,
        used: &mut BTreeSet<String>,
    ) {
        for directive in directives {
            if directive.name != "skip" && directive.name != "include" {
                self.error(
                    format!("Unknown directive \"@{}\".", directive.name),
                    directive.position,
                );
                continue;
            }
            let boolean = TypeRef::NonNullType(Box::new(TypeRef::NamedType("Boolean".to_owned())));
            match directive.arguments.iter().find(|(name, _)| name == "if") {
                None => self.error(
                    format!(
                        "Directive \"@{}\" argument \"if\" of type \"Boolean!\" is required, but it was not provided.",
                        directive.name
                    ),
                    directive.position,
                ),
                Some((_, value)) => {
                    for message in self.value(value, &boolean, false, scope, used) {
                        self.error(message, directive.position);
                    }
                }
            }
            for (name, _) in directive.arguments.iter().filter(|(name, _)| name != "if") {
                self.error(
                    format!(
                        "Unknown argument \"{name}\" on directive \"@{}\".",
                        directive.name
                    ),
                    directive.position,
                );
            }
        }
    }

    fn field(
        &mut self,
        parent: &str,
        field: &'d Field<'static, String>,
        scope: &Scope<'d>,
        used: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) {
        self.directives(&field.directives, scope, used);
        let name = field.name.as_str();
        if name == "__typename" {
            return;
        }
        let Some(definition) = self.schema.field(parent, name) else {
            let known = self.schema.fields(parent).iter().map(|f| f.name.as_str());
            let hint = did_you_mean(&suggestions(name, known));
            self.error(
                format!("Cannot query field \"{name}\" on type \"{parent}\".{hint}"),
                field.position,
            );
            return;
        };
        let mut given = BTreeSet::new();
        for (argument, value) in &field.arguments {
            if !given.insert(argument.as_str()) {
                self.error(
                    format!("There can be only one argument named \"{argument}\"."),
                    field.position,
                );
                continue;
            }
            let Some(expected) = definition.argument(argument) else {
                let known = definition.arguments.iter().map(|a| a.name.as_str());
                let hint = did_you_mean(&suggestions(argument, known));
                self.error(
                    format!("Unknown argument \"{argument}\" on field \"{name}\".{hint}"),
                    field.position,
                );
                continue;
            };
            let has_default = expected.default.is_some();
            for message in self.value(value, &expected.ty, has_default, scope, used) {
                self.error(message, field.position);
            }
        }
        for argument in &definition.arguments {
            let required =
                matches!(argument.ty, TypeRef::NonNullType(_)) && argument.default.is_none();
            if required && !given.contains(argument.name.as_str()) {
                self.error(
                    format!(
                        "Field \"{name}\" argument \"{}\" of type \"{}\" is required, but it was not provided.",
                        argument.name, argument.ty
                    ),
                    field.position,
                );
            }
        }
        let inner = named(&definition.ty).to_owned();
        let composite = self.schema.is_composite(&inner);
        if composite && field.selection_set.items.is_empty() {
            self.error(
                format!(
                    "Field \"{name}\" of type \"{}\" must have a selection of subfields. Did you mean \"{name} {{ ... }}\"?",
                    definition.ty
                ),
                field.position,
            );
        } else if !composite && !field.selection_set.items.is_empty() {
            self.error(
                format!(
                    "Field \"{name}\" must not have a selection since type \"{}\" has no subfields.",
                    definition.ty
                ),
                field.position,
            );
        } else if composite {
            self.selection_set(&inner, &field.selection_set, scope, used, stack);
        }
    }

    /// The problems of a value in a position of type `expected`.
    fn value(
        &self,
        value: &GqlValue,
        expected: &TypeRef,
        position_has_default: bool,
        scope: &Scope<'d>,
        used: &mut BTreeSet<String>,
    ) -> Vec<String> {
        if let GqlValue::Variable(name) = value {
            used.insert(name.clone());
            let Some(definition) = scope.variables.get(name.as_str()) else {
                return vec![match scope.operation {
                    Some(op) => {
                        format!("Variable \"${name}\" is not defined by operation \"{op}\".")
                    }
                    None => format!("Variable \"${name}\" is not defined."),
                }];
            };
            let allowed = variable_fits(
                &definition.var_type,
                definition.default_value.is_some(),
                expected,
                position_has_default,
            );
            return if allowed {
                Vec::new()
            } else {
                vec![format!(
                    "Variable \"${name}\" of type \"{}\" used in position expecting type \"{expected}\".",
                    definition.var_type
                )]
            };
        }
        match (expected, value) {
            (TypeRef::NonNullType(_), GqlValue::Null) => {
                vec![format!(
                    "Expected value of type \"{expected}\", found null."
                )]
            }
            (TypeRef::NonNullType(inner), _) => self.value(value, inner, false, scope, used),
            (_, GqlValue::Null) => Vec::new(),
            (TypeRef::ListType(inner), GqlValue::List(items)) => items
                .iter()
                .flat_map(|item| self.value(item, inner, false, scope, used))
                .collect(),
            (TypeRef::ListType(inner), _) => self.value(value, inner, false, scope, used),
            (TypeRef::NamedType(type_name), _) => self.named_value(type_name, value),
        }
    }

    fn named_value(&self, type_name: &str, value: &GqlValue) -> Vec<String> {
        let problem = match (self.schema.types.get(type_name), value) {
            (Some(TypeDef::Enum(values)), GqlValue::Enum(v)) if values.contains(v) => None,
            (Some(TypeDef::Enum(values)), GqlValue::Enum(v)) => {
                let hint = enum_hint(v, values);
                Some(format!(
                    "Value \"{v}\" does not exist in \"{type_name}\" enum.{hint}"
                ))
            }
            (Some(TypeDef::Enum(values)), other) => {
                let hint = match other {
                    GqlValue::String(s) => enum_hint(s, values),
                    _ => String::new(),
                };
                Some(format!(
                    "Enum \"{type_name}\" cannot represent non-enum value: {other}.{hint}"
                ))
            }
            (Some(TypeDef::Scalar), v) => scalar_problem(type_name, v),
            _ => Some(format!(
                "Expected value of type \"{type_name}\", found {value}."
            )),
        };
        problem.into_iter().collect()
    }
}

fn enum_hint(value: &str, values: &[String]) -> String {
    let close = suggestions(value, values.iter().map(String::as_str));
    match close.as_slice() {
        [] => String::new(),
        [one] => format!(" Did you mean the enum value \"{one}\"?"),
        more => did_you_mean(more).replacen("Did you mean", "Did you mean the enum value", 1),
    }
}

/// Whether a literal fits a built-in scalar; the problem otherwise.
fn scalar_problem(scalar: &str, value: &GqlValue) -> Option<String> {
    let fits = match (scalar, value) {
        ("String", GqlValue::String(_)) | ("Boolean", GqlValue::Boolean(_)) => true,
        ("ID", GqlValue::String(_)) | ("ID", GqlValue::Int(_)) => true,
        ("Int", GqlValue::Int(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        ("Float", GqlValue::Int(_)) | ("Float", GqlValue::Float(_)) => true,
        _ => false,
    };
    if fits {
        return None;
    }
    Some(match scalar {
        "String" => format!("String cannot represent a non string value: {value}"),
        "Boolean" => format!("Boolean cannot represent a non boolean value: {value}"),
        "Int" => format!("Int cannot represent non-integer value: {value}"),
        "Float" => format!("Float cannot represent non numeric value: {value}"),
        _ => format!("ID cannot represent a non-string and non-integer value: {value}"),
    })
}

/// The spec's "variable usage is allowed" rule (with the `String`/`ID` leniency).
fn variable_fits(
    variable: &TypeRef,
    variable_has_default: bool,
    location: &TypeRef,
    location_has_default: bool,
) -> bool {
    if let TypeRef::NonNullType(location_inner) = location
        && !matches!(variable, TypeRef::NonNullType(_))
    {
        return (variable_has_default || location_has_default) && subtype(variable, location_inner);
    }
    subtype(variable, location)
}

fn subtype(variable: &TypeRef, location: &TypeRef) -> bool {
    match (variable, location) {
        (TypeRef::NonNullType(v), TypeRef::NonNullType(l)) => subtype(v, l),
        (TypeRef::NonNullType(v), l) => subtype(v, l),
        (_, TypeRef::NonNullType(_)) => false,
        (TypeRef::ListType(v), TypeRef::ListType(l)) => subtype(v, l),
        (TypeRef::ListType(_), _) | (_, TypeRef::ListType(_)) => false,
        (TypeRef::NamedType(a), TypeRef::NamedType(b)) => {
            a == b
                || matches!(
                    (a.as_str(), b.as_str()),
                    ("String", "ID") | ("ID", "String")
                )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(query: &str) -> Vec<String> {
        let document = parse(query).expect("parses");
        validate(Schema::get(), &document)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn a_well_formed_upload_and_a_batch_of_documents_pass() {
        assert_eq!(
            errors(
                "mutation upload($vatNumber: String!, $fileName: String!, $invoiceType: InvoiceTypeArgument!) { uploadFile(vatnumber: $vatNumber, filename: $fileName, invoicetype: $invoiceType) { uuid amountOfPages } }"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(
                "query docs($d0: ID!, $d1: String!) { d0: document(id: $d0) { id date __typename ... on InvoiceDocument { type paymentState } } d1: document(id: $d1) { ...Paid } } fragment Paid on InvoiceDocument { paymentState }"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn misspellings_and_missing_arguments_are_named() {
        let found = errors(
            "mutation { uploadFile(vatNumber: \"0899623035\", filename: \"a.pdf\", invoicetype: SALE) { uuid } }",
        );
        assert_eq!(
            found,
            vec![
                "Unknown argument \"vatNumber\" on field \"uploadFile\". Did you mean \"vatnumber\"?"
                    .to_owned(),
                "Field \"uploadFile\" argument \"vatnumber\" of type \"String!\" is required, but it was not provided."
                    .to_owned(),
            ]
        );
        assert_eq!(
            errors("{ administrations { nam } }"),
            vec![
                "Cannot query field \"nam\" on type \"Administration\". Did you mean \"name\"?"
                    .to_owned()
            ]
        );
        assert_eq!(
            errors("mutation { uploadFile(vatnumber: \"1\", filename: \"a\", invoicetype: SALES) { uuid } }"),
            vec!["Value \"SALES\" does not exist in \"InvoiceTypeArgument\" enum. Did you mean the enum value \"SALE\"?".to_owned()]
        );
    }

    #[test]
    fn structure_rules() {
        assert_eq!(
            errors("{ administrations }"),
            vec!["Field \"administrations\" of type \"[Administration!]!\" must have a selection of subfields. Did you mean \"administrations { ... }\"?".to_owned()]
        );
        assert_eq!(
            errors("query q($x: String) { administration(companyNumber: $x) { name } }"),
            vec![
                "Variable \"$x\" of type \"String\" used in position expecting type \"String!\"."
                    .to_owned()
            ]
        );
        assert_eq!(
            errors("query q($x: String!) { administrations { name } }"),
            vec!["Variable \"$x\" is never used in operation \"q\".".to_owned()]
        );
        assert_eq!(
            errors("{ administrations { ... on InvoiceDocument { id } } }"),
            vec!["Fragment cannot be spread here as objects of type \"Administration\" can never be of type \"InvoiceDocument\".".to_owned()]
        );
        assert!(parse("{ administrations { name }").is_err());
    }
}
