//! The part of Clearfacts' GraphQL schema the simulator serves, written as SDL and read with
//! `graphql-parser` into an index the validator and the executor look types up in.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use graphql_parser::schema::{Definition, TypeDefinition, parse_schema};

/// A GraphQL type reference (`String`, `[Administration!]!`, …).
pub(crate) type TypeRef = graphql_parser::query::Type<'static, String>;
/// A GraphQL value (literal or default).
pub(crate) type GqlValue = graphql_parser::query::Value<'static, String>;

/// The schema in SDL. Names, arguments and enums follow the public docs (query.doc.html,
/// mutation.doc.html, invoicedocument.doc.html); nullability and the `Document` interface's
/// exact fields are our reading of them.
pub const SDL: &str = r#"
schema {
  query: Query
  mutation: Mutation
}

type Query {
  "The administrations the token's user may see."
  administrations: [Administration!]!
  "One administration by its 10-digit company number."
  administration(companyNumber: String!): Administration
  "The journals of an administration."
  journals(companyNumber: String!): [Journal!]!
  "Customers of an administration, 100 per page from `offset`."
  customers(companyNumber: String!, offset: Int = 0): [Customer!]!
  "A document by the uuid its upload answered."
  document(id: ID!): Document
}

type Mutation {
  "Upload the multipart field `file` into an administration's sales or purchase inbox."
  uploadFile(vatnumber: String!, filename: String!, invoicetype: InvoiceTypeArgument!, comment: String): UploadedFile
}

enum InvoiceTypeArgument {
  SALE
  PURCHASE
}

enum InvoiceType {
  SALE
  PURCHASE
}

enum PaymentState {
  UNPAID
  PARTIALLY_PAID
  PAID
}

type Administration {
  name: String!
  companyNumber: String!
  accountManager: String
  emails: [Email!]!
  address: Address
}

type Email {
  type: String!
  emailAddress: String!
}

type Address {
  streetAddress: String
  country: Country
}

type Country {
  iso2: String!
  name: String!
}

type Journal {
  id: String!
  name: String!
  creditNote: Boolean!
}

type Customer {
  id: String!
  name: String!
}

interface Document {
  id: ID!
  date: String
  type: InvoiceType
}

type InvoiceDocument implements Document {
  id: ID!
  date: String
  type: InvoiceType
  paymentState: PaymentState!
}

type UploadedFile {
  uuid: String!
  amountOfPages: Int!
}
"#;

/// An argument of a field.
#[derive(Debug, Clone)]
pub(crate) struct ArgumentDef {
    pub(crate) name: String,
    pub(crate) ty: TypeRef,
    pub(crate) default: Option<GqlValue>,
}

/// A field of an object or interface type.
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub(crate) name: String,
    pub(crate) arguments: Vec<ArgumentDef>,
    pub(crate) ty: TypeRef,
}

impl FieldDef {
    /// The argument called `name`.
    pub(crate) fn argument(&self, name: &str) -> Option<&ArgumentDef> {
        self.arguments.iter().find(|a| a.name == name)
    }
}

/// What kind of type a name stands for.
#[derive(Debug, Clone)]
pub(crate) enum TypeDef {
    /// `String`, `Int`, `Float`, `Boolean`, `ID`.
    Scalar,
    /// An enum with its values.
    Enum(Vec<String>),
    /// An object type with its fields and the interfaces it implements.
    Object {
        fields: Vec<FieldDef>,
        interfaces: Vec<String>,
    },
    /// An interface with its fields.
    Interface { fields: Vec<FieldDef> },
}

/// The schema as lookups.
#[derive(Debug)]
pub(crate) struct Schema {
    pub(crate) types: BTreeMap<String, TypeDef>,
    pub(crate) query: String,
    pub(crate) mutation: String,
}

/// The built-in scalars.
pub(crate) const SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];

impl Schema {
    /// The schema, read once from [`SDL`].
    pub(crate) fn get() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(|| Schema::parse(SDL).expect("the built-in SDL is valid"))
    }

    fn parse(sdl: &str) -> Result<Schema, String> {
        let document = parse_schema::<String>(sdl).map_err(|e| e.to_string())?;
        let mut types: BTreeMap<String, TypeDef> = SCALARS
            .iter()
            .map(|s| ((*s).to_owned(), TypeDef::Scalar))
            .collect();
        let (mut query, mut mutation) = ("Query".to_owned(), "Mutation".to_owned());
        fn fields_of(fields: &[graphql_parser::schema::Field<'_, String>]) -> Vec<FieldDef> {
            fields
                .iter()
                .map(|f| FieldDef {
                    name: f.name.clone(),
                    arguments: f
                        .arguments
                        .iter()
                        .map(|a| ArgumentDef {
                            name: a.name.clone(),
                            ty: into_static(&a.value_type),
                            default: a.default_value.as_ref().map(|v| v.into_static()),
                        })
                        .collect(),
                    ty: into_static(&f.field_type),
                })
                .collect()
        }
        for definition in document.definitions {
            match definition {
                Definition::SchemaDefinition(schema) => {
                    query = schema.query.unwrap_or(query);
                    mutation = schema.mutation.unwrap_or(mutation);
                }
                Definition::TypeDefinition(TypeDefinition::Object(object)) => {
                    types.insert(
                        object.name.clone(),
                        TypeDef::Object {
                            fields: fields_of(&object.fields),
                            interfaces: object.implements_interfaces.clone(),
                        },
                    );
                }
                Definition::TypeDefinition(TypeDefinition::Interface(interface)) => {
                    types.insert(
                        interface.name.clone(),
                        TypeDef::Interface {
                            fields: fields_of(&interface.fields),
                        },
                    );
                }
                Definition::TypeDefinition(TypeDefinition::Enum(e)) => {
                    types.insert(
                        e.name.clone(),
                        TypeDef::Enum(e.values.iter().map(|v| v.name.clone()).collect()),
                    );
                }
                other => return Err(format!("unsupported SDL definition: {other:?}")),
            }
        }
        Ok(Schema {
            types,
            query,
            mutation,
        })
    }

    /// The fields of an object or interface type.
    pub(crate) fn fields(&self, type_name: &str) -> &[FieldDef] {
        match self.types.get(type_name) {
            Some(TypeDef::Object { fields, .. } | TypeDef::Interface { fields }) => fields,
            _ => &[],
        }
    }

    /// The field `name` of an object or interface type.
    pub(crate) fn field(&self, type_name: &str, name: &str) -> Option<&FieldDef> {
        self.fields(type_name).iter().find(|f| f.name == name)
    }

    /// Whether the type has fields (object or interface).
    pub(crate) fn is_composite(&self, type_name: &str) -> bool {
        matches!(
            self.types.get(type_name),
            Some(TypeDef::Object { .. } | TypeDef::Interface { .. })
        )
    }

    /// The object types a value of `type_name` can be.
    pub(crate) fn possible_types<'s>(&'s self, type_name: &str) -> Vec<&'s str> {
        match self.types.get_key_value(type_name) {
            Some((name, TypeDef::Object { .. })) => vec![name.as_str()],
            Some((_, TypeDef::Interface { .. })) => self
                .types
                .iter()
                .filter(|(_, t)| {
                    matches!(t, TypeDef::Object { interfaces, .. } if interfaces.iter().any(|i| i == type_name))
                })
                .map(|(name, _)| name.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether an object of type `object` satisfies a fragment on `condition`.
    pub(crate) fn satisfies(&self, object: &str, condition: &str) -> bool {
        object == condition || self.possible_types(condition).contains(&object)
    }
}

/// A type reference of any lifetime as a `'static` one.
fn into_static(ty: &graphql_parser::query::Type<'_, String>) -> TypeRef {
    match ty {
        graphql_parser::query::Type::NamedType(name) => TypeRef::NamedType(name.clone()),
        graphql_parser::query::Type::ListType(inner) => {
            TypeRef::ListType(Box::new(into_static(inner)))
        }
        graphql_parser::query::Type::NonNullType(inner) => {
            TypeRef::NonNullType(Box::new(into_static(inner)))
        }
    }
}

/// The named type inside list and non-null wrappers.
pub(crate) fn named(ty: &TypeRef) -> &str {
    match ty {
        TypeRef::NamedType(name) => name,
        TypeRef::ListType(inner) | TypeRef::NonNullType(inner) => named(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdl_reads_into_the_index() {
        let schema = Schema::get();
        let upload = schema.field("Mutation", "uploadFile").expect("uploadFile");
        assert_eq!(upload.arguments.len(), 4);
        assert_eq!(
            upload.argument("invoicetype").map(|a| a.ty.to_string()),
            Some("InvoiceTypeArgument!".to_owned())
        );
        assert_eq!(schema.possible_types("Document"), vec!["InvoiceDocument"]);
        assert!(schema.satisfies("InvoiceDocument", "Document"));
        assert_eq!(
            named(&schema.field("Query", "administrations").expect("f").ty),
            "Administration"
        );
    }
}
