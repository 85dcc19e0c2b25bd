//! OData v2 `$filter`: parse against an entity schema, type-check, evaluate on JSON records.
//!
//! Supported: `eq ne gt ge lt le`, `and or not`, parentheses; literals `'text'` (quotes
//! doubled inside), `guid'…'`, `datetime'…'`, integers (`L` suffix for Int64), decimals
//! (`M`/`D` suffixes), `true false null`; functions `substringof startswith endswith tolower
//! toupper trim length year month day`. Text compares the way Exact's SQL Server does:
//! case-insensitive, trailing spaces ignored (leading spaces count — hence 18-character
//! account codes must be sent padded).

use chrono::{Datelike, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::exact::schema::{EntitySchema, FieldType};
use crate::exact::wire;

/// A filter that could not be understood (the text is Exact's 400 message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError(pub(crate) String);

/// A parsed, type-checked filter.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    expr: Expr,
    fields: Vec<&'static str>,
}

impl Filter {
    /// Parse `text` for entities of `schema`.
    pub(crate) fn parse(text: &str, schema: &'static EntitySchema) -> Result<Self, FilterError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            schema,
            source: text,
            fields: Vec::new(),
        };
        let expr = parser.or_expr()?;
        let end = parser.peek();
        if end.tok != Tok::Eof {
            return Err(syntax(end.pos));
        }
        if expr_type(&expr) != Ty::Bool {
            return Err(FilterError(
                "Expression of type 'System.Boolean' expected at position 0.".to_owned(),
            ));
        }
        Ok(Self {
            expr,
            fields: parser.fields,
        })
    }

    /// True when `record` passes.
    pub(crate) fn matches(&self, record: &Map<String, Json>) -> bool {
        truth(&self.expr, record)
    }

    /// The properties the filter names.
    pub(crate) fn fields(&self) -> &[&'static str] {
        &self.fields
    }
}

fn syntax(pos: usize) -> FilterError {
    FilterError(format!("Syntax error at position {pos}."))
}

// ---------------------------------------------------------------- values and types

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Text(String),
    Guid(Uuid),
    DateTime(i64),
    Number(Decimal),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Null,
    Text,
    Guid,
    DateTime,
    Number(&'static str),
    Bool,
}

impl Ty {
    fn of(field: FieldType) -> Option<Self> {
        Some(match field {
            FieldType::Guid => Self::Guid,
            FieldType::Text => Self::Text,
            FieldType::Byte
            | FieldType::Int16
            | FieldType::Int32
            | FieldType::Int64
            | FieldType::Double => Self::Number(field.clr()),
            FieldType::DateTime => Self::DateTime,
            FieldType::Boolean => Self::Bool,
            FieldType::Binary | FieldType::Nav | FieldType::Complex => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Text => "System.String",
            Self::Guid => "System.Guid",
            Self::DateTime => "System.DateTime",
            Self::Number(clr) => clr,
            Self::Bool => "System.Boolean",
        }
    }

    fn compatible(self, other: Self) -> bool {
        match (self, other) {
            (Self::Null, _) | (_, Self::Null) => true,
            (Self::Number(_), Self::Number(_)) => true,
            (a, b) => a == b,
        }
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Text(String),
    Typed(String, String),
    Number(String),
    LParen,
    RParen,
    Comma,
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

fn quoted(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    // chars[start] is the opening quote.
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(FilterError(format!(
                    "There is an unterminated string literal at position {start}."
                )));
            }
            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                text.push('\'');
                i += 2;
            }
            Some('\'') => return Ok((text, i + 1)),
            Some(c) => {
                text.push(*c);
                i += 1;
            }
        }
    }
}

fn lex(source: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            tokens.push(Token {
                tok: Tok::LParen,
                pos,
            });
            i += 1;
        } else if c == ')' {
            tokens.push(Token {
                tok: Tok::RParen,
                pos,
            });
            i += 1;
        } else if c == ',' {
            tokens.push(Token {
                tok: Tok::Comma,
                pos,
            });
            i += 1;
        } else if c == '\'' {
            let (text, next) = quoted(&chars, i)?;
            tokens.push(Token {
                tok: Tok::Text(text),
                pos,
            });
            i = next;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            if j < chars.len() && matches!(chars[j], 'L' | 'l' | 'M' | 'm' | 'D' | 'd' | 'F' | 'f')
            {
                j += 1;
            }
            tokens.push(Token {
                tok: Tok::Number(chars[i..j].iter().collect()),
                pos,
            });
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || matches!(chars[j], '_' | '/' | '.'))
            {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            if chars.get(j) == Some(&'\'') {
                let (text, next) = quoted(&chars, j)?;
                tokens.push(Token {
                    tok: Tok::Typed(word.to_ascii_lowercase(), text),
                    pos,
                });
                i = next;
            } else {
                tokens.push(Token {
                    tok: Tok::Ident(word),
                    pos,
                });
                i = j;
            }
        } else {
            return Err(syntax(pos));
        }
    }
    tokens.push(Token {
        tok: Tok::Eof,
        pos: chars.len(),
    });
    Ok(tokens)
}

// ---------------------------------------------------------------- syntax tree

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    SubstringOf,
    StartsWith,
    EndsWith,
    ToLower,
    ToUpper,
    Trim,
    Length,
    Year,
    Month,
    Day,
}

impl Func {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "substringof" => Self::SubstringOf,
            "startswith" => Self::StartsWith,
            "endswith" => Self::EndsWith,
            "tolower" => Self::ToLower,
            "toupper" => Self::ToUpper,
            "trim" => Self::Trim,
            "length" => Self::Length,
            "year" => Self::Year,
            "month" => Self::Month,
            "day" => Self::Day,
            _ => return None,
        })
    }

    fn signature(self) -> (&'static [Ty], Ty) {
        const TWO_TEXTS: &[Ty] = &[Ty::Text, Ty::Text];
        const ONE_TEXT: &[Ty] = &[Ty::Text];
        const ONE_DATE: &[Ty] = &[Ty::DateTime];
        match self {
            Self::SubstringOf | Self::StartsWith | Self::EndsWith => (TWO_TEXTS, Ty::Bool),
            Self::ToLower | Self::ToUpper | Self::Trim => (ONE_TEXT, Ty::Text),
            Self::Length => (ONE_TEXT, Ty::Number("System.Int32")),
            Self::Year | Self::Month | Self::Day => (ONE_DATE, Ty::Number("System.Int32")),
        }
    }
}

#[derive(Debug, Clone)]
enum Operand {
    Field(&'static str, FieldType, Ty),
    Literal(Val, Ty),
    Call(Func, Vec<Operand>),
}

impl Operand {
    fn ty(&self) -> Ty {
        match self {
            Self::Field(_, _, ty) | Self::Literal(_, ty) => *ty,
            Self::Call(func, _) => func.signature().1,
        }
    }
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(CmpOp, Operand, Operand),
    Value(Operand),
}

fn expr_type(expr: &Expr) -> Ty {
    match expr {
        Expr::Value(operand) => operand.ty(),
        _ => Ty::Bool,
    }
}

// ---------------------------------------------------------------- parser

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    schema: &'static EntitySchema,
    source: &'a str,
    fields: Vec<&'static str>,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.tokens[self.at.min(self.tokens.len() - 1)].clone()
    }

    fn next(&mut self) -> Token {
        let token = self.peek();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w == word)
    }

    fn or_expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            let pos = self.next().pos;
            let right = self.and_expr()?;
            check_bool(&left, pos)?;
            check_bool(&right, pos)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            let pos = self.next().pos;
            let right = self.unary()?;
            check_bool(&left, pos)?;
            check_bool(&right, pos)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.keyword("not") {
            let pos = self.next().pos;
            let inner = self.unary()?;
            check_bool(&inner, pos)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        if self.peek().tok == Tok::LParen {
            self.next();
            let inner = self.or_expr()?;
            let close = self.next();
            if close.tok != Tok::RParen {
                return Err(syntax(close.pos));
            }
            return Ok(inner);
        }
        let left = self.operand()?;
        let op = match &self.peek().tok {
            Tok::Ident(word) => CmpOp::parse(word),
            _ => None,
        };
        let Some(op) = op else {
            return Ok(Expr::Value(left));
        };
        let pos = self.next().pos;
        let right = self.operand()?;
        if !left.ty().compatible(right.ty()) {
            return Err(FilterError(format!(
                "Operator '{}' incompatible with operand types '{}' and '{}' at position {pos}.",
                op.name(),
                left.ty().name(),
                right.ty().name()
            )));
        }
        Ok(Expr::Compare(op, left, right))
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        let token = self.next();
        match token.tok {
            Tok::Text(text) => Ok(Operand::Literal(Val::Text(text), Ty::Text)),
            Tok::Typed(kind, text) => self.typed_literal(&kind, &text, token.pos),
            Tok::Number(text) => number_literal(&text, token.pos),
            Tok::Ident(word) => match word.as_str() {
                "true" => Ok(Operand::Literal(Val::Bool(true), Ty::Bool)),
                "false" => Ok(Operand::Literal(Val::Bool(false), Ty::Bool)),
                "null" => Ok(Operand::Literal(Val::Null, Ty::Null)),
                _ if self.peek().tok == Tok::LParen => self.call(&word, token.pos),
                _ => self.field(&word, token.pos),
            },
            _ => Err(syntax(token.pos)),
        }
    }

    fn field(&mut self, name: &str, pos: usize) -> Result<Operand, FilterError> {
        let top = name.split('/').next().unwrap_or(name);
        let field = self.schema.field(top).ok_or_else(|| {
            FilterError(format!(
                "No property '{top}' exists in type '{}' at position {pos}.",
                self.schema.type_name
            ))
        })?;
        let ty = Ty::of(field.ty).ok_or_else(|| {
            FilterError(format!(
                "The property '{top}' cannot be used in a filter (position {pos})."
            ))
        })?;
        if !self.fields.contains(&field.name) {
            self.fields.push(field.name);
        }
        Ok(Operand::Field(field.name, field.ty, ty))
    }

    fn call(&mut self, name: &str, pos: usize) -> Result<Operand, FilterError> {
        let func = Func::parse(name)
            .ok_or_else(|| FilterError(format!("Unknown function '{name}' at position {pos}.")))?;
        self.next(); // (
        let mut args = Vec::new();
        if self.peek().tok != Tok::RParen {
            loop {
                args.push(self.operand()?);
                let sep = self.next();
                match sep.tok {
                    Tok::Comma => continue,
                    Tok::RParen => break,
                    _ => return Err(syntax(sep.pos)),
                }
            }
        } else {
            self.next();
        }
        let (params, _) = func.signature();
        let fits = params.len() == args.len()
            && params
                .iter()
                .zip(&args)
                .all(|(want, got)| want.compatible(got.ty()));
        if !fits {
            return Err(FilterError(format!(
                "No applicable function found for '{name}' at position {pos} with the specified arguments."
            )));
        }
        Ok(Operand::Call(func, args))
    }

    fn typed_literal(&self, kind: &str, text: &str, pos: usize) -> Result<Operand, FilterError> {
        let unrecognized = |edm: &str| {
            FilterError(format!(
                "Unrecognized 'Edm.{edm}' literal '{kind}'{text}'' at '{pos}' in '{}'.",
                self.source
            ))
        };
        match kind {
            "guid" => Uuid::parse_str(text)
                .map(|id| Operand::Literal(Val::Guid(id), Ty::Guid))
                .map_err(|_| unrecognized("Guid")),
            "datetime" => parse_literal_datetime(text)
                .map(|dt| {
                    Operand::Literal(Val::DateTime(dt.and_utc().timestamp_millis()), Ty::DateTime)
                })
                .ok_or_else(|| unrecognized("DateTime")),
            _ => Err(syntax(pos)),
        }
    }
}

fn check_bool(expr: &Expr, pos: usize) -> Result<(), FilterError> {
    if expr_type(expr) == Ty::Bool {
        Ok(())
    } else {
        Err(FilterError(format!(
            "Expression of type 'System.Boolean' expected at position {pos}."
        )))
    }
}

fn parse_literal_datetime(text: &str) -> Option<NaiveDateTime> {
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(value) = NaiveDateTime::parse_from_str(text, format) {
            return Some(value);
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
}

fn number_literal(text: &str, pos: usize) -> Result<Operand, FilterError> {
    let (digits, clr) = match text.chars().last() {
        Some('L' | 'l') => (&text[..text.len() - 1], "System.Int64"),
        Some('M' | 'm') => (&text[..text.len() - 1], "System.Decimal"),
        Some('D' | 'd') => (&text[..text.len() - 1], "System.Double"),
        Some('F' | 'f') => (&text[..text.len() - 1], "System.Single"),
        _ if text.contains('.') => (text, "System.Double"),
        _ => (text, "System.Int32"),
    };
    digits
        .parse::<Decimal>()
        .map(|n| Operand::Literal(Val::Number(n), Ty::Number(clr)))
        .map_err(|_| syntax(pos))
}

// ---------------------------------------------------------------- evaluation

fn truth(expr: &Expr, record: &Map<String, Json>) -> bool {
    match expr {
        Expr::Or(a, b) => truth(a, record) || truth(b, record),
        Expr::And(a, b) => truth(a, record) && truth(b, record),
        Expr::Not(inner) => !truth(inner, record),
        Expr::Compare(op, left, right) => compare(*op, &value(left, record), &value(right, record)),
        Expr::Value(operand) => value(operand, record) == Val::Bool(true),
    }
}

fn field_value(json: Option<&Json>, ty: FieldType) -> Val {
    let Some(json) = json else { return Val::Null };
    match (ty, json) {
        (_, Json::Null) => Val::Null,
        (FieldType::Guid, Json::String(s)) => Uuid::parse_str(s).map_or(Val::Null, Val::Guid),
        (FieldType::DateTime, Json::String(s)) => {
            wire::parse_date_value(s).map_or(Val::Null, Val::DateTime)
        }
        (FieldType::Boolean, Json::Bool(b)) => Val::Bool(*b),
        (ty, number) if ty.is_integer() || ty == FieldType::Double => {
            wire::parse_decimal(number).map_or(Val::Null, Val::Number)
        }
        (_, Json::String(s)) => Val::Text(s.clone()),
        _ => Val::Null,
    }
}

fn value(operand: &Operand, record: &Map<String, Json>) -> Val {
    match operand {
        Operand::Field(name, ty, _) => field_value(record.get(*name), *ty),
        Operand::Literal(val, _) => val.clone(),
        Operand::Call(func, args) => {
            let args: Vec<Val> = args.iter().map(|a| value(a, record)).collect();
            call(*func, &args)
        }
    }
}

fn text_key(text: &str) -> String {
    text.trim_end().to_lowercase()
}

fn call(func: Func, args: &[Val]) -> Val {
    let text = |i: usize| match args.get(i) {
        Some(Val::Text(s)) => Some(s.to_lowercase()),
        _ => None,
    };
    match func {
        Func::SubstringOf => match (text(0), text(1)) {
            (Some(needle), Some(hay)) => Val::Bool(hay.contains(&needle)),
            _ => Val::Bool(false),
        },
        Func::StartsWith => match (text(0), text(1)) {
            (Some(s), Some(prefix)) => Val::Bool(s.starts_with(&prefix)),
            _ => Val::Bool(false),
        },
        Func::EndsWith => match (text(0), text(1)) {
            (Some(s), Some(suffix)) => Val::Bool(s.trim_end().ends_with(suffix.trim_end())),
            _ => Val::Bool(false),
        },
        Func::ToLower | Func::ToUpper | Func::Trim | Func::Length => {
            let Some(Val::Text(s)) = args.first() else {
                return Val::Null;
            };
            match func {
                Func::ToLower => Val::Text(s.to_lowercase()),
                Func::ToUpper => Val::Text(s.to_uppercase()),
                Func::Trim => Val::Text(s.trim().to_owned()),
                _ => Val::Number(Decimal::from(s.trim_end().chars().count())),
            }
        }
        Func::Year | Func::Month | Func::Day => {
            let Some(Val::DateTime(ms)) = args.first() else {
                return Val::Null;
            };
            let Some(dt) = chrono::DateTime::from_timestamp_millis(*ms) else {
                return Val::Null;
            };
            let part = match func {
                Func::Year => dt.year(),
                Func::Month => dt.month() as i32,
                _ => dt.day() as i32,
            };
            Val::Number(Decimal::from(part))
        }
    }
}

fn compare(op: CmpOp, left: &Val, right: &Val) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (left, right) {
        (Val::Null, Val::Null) => Some(Ordering::Equal),
        (Val::Null, _) | (_, Val::Null) => None,
        (Val::Text(a), Val::Text(b)) => Some(text_key(a).cmp(&text_key(b))),
        (Val::Guid(a), Val::Guid(b)) => Some(a.cmp(b)),
        (Val::DateTime(a), Val::DateTime(b)) => Some(a.cmp(b)),
        (Val::Number(a), Val::Number(b)) => Some(a.cmp(b)),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match (op, ordering) {
        (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
        (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
        (CmpOp::Ne, None) => true,
        (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
        (CmpOp::Ge, Some(o)) => o != Ordering::Less,
        (CmpOp::Lt, Some(o)) => o == Ordering::Less,
        (CmpOp::Le, Some(o)) => o != Ordering::Greater,
        (_, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::schema::{ACCOUNT, SALES_ENTRY};
    use serde_json::json;

    fn record(value: Json) -> Map<String, Json> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn padded_codes_match_only_when_padded() {
        let row = record(json!({"Code": "               123", "Name": "Acme NV"}));
        let padded = Filter::parse("Code eq '               123'", &ACCOUNT).unwrap();
        assert!(padded.matches(&row));
        let bare = Filter::parse("Code eq '123'", &ACCOUNT).unwrap();
        assert!(!bare.matches(&row));
        let trimmed = Filter::parse("trim(Code) eq '123'", &ACCOUNT).unwrap();
        assert!(trimmed.matches(&row));
        let name = Filter::parse("Name eq 'ACME nv' and Code ne '1'", &ACCOUNT).unwrap();
        assert!(name.matches(&row));
    }

    #[test]
    fn guids_dates_numbers_and_or() {
        let id = Uuid::new_v4();
        let row = record(json!({
            "EntryID": id.to_string(), "EntryDate": "/Date(1773532800000)/",
            "EntryNumber": 267000001, "YourRef": "INV-1", "Journal": "700"
        }));
        let f = Filter::parse(&format!("EntryID eq guid'{id}'"), &SALES_ENTRY).unwrap();
        assert!(f.matches(&row));
        let f = Filter::parse(
            "EntryDate ge datetime'2026-03-15T00:00:00' and EntryDate lt datetime'2026-03-16'",
            &SALES_ENTRY,
        )
        .unwrap();
        assert!(f.matches(&row));
        let f = Filter::parse(
            "(YourRef eq 'X' or YourRef eq 'INV-1') and EntryNumber gt 5L",
            &SALES_ENTRY,
        )
        .unwrap();
        assert!(f.matches(&row));
        assert_eq!(f.fields(), ["YourRef", "EntryNumber"]);
        let f = Filter::parse("not substringof('inv', YourRef)", &SALES_ENTRY).unwrap();
        assert!(!f.matches(&row));
    }

    #[test]
    fn refusals_name_the_problem() {
        let err = Filter::parse("Foo eq 1", &ACCOUNT).unwrap_err();
        assert_eq!(
            err.0,
            "No property 'Foo' exists in type 'Exact.Web.Api.Models.Account' at position 0."
        );
        let err = Filter::parse("ID eq 'abc'", &ACCOUNT).unwrap_err();
        assert!(
            err.0.starts_with(
                "Operator 'eq' incompatible with operand types 'System.Guid' and 'System.String'"
            ),
            "{}",
            err.0
        );
        assert!(Filter::parse("Name eq", &ACCOUNT).is_err());
        assert!(Filter::parse("Name eq 'x' Name", &ACCOUNT).is_err());
        assert!(
            Filter::parse("ID eq guid'nope'", &ACCOUNT)
                .unwrap_err()
                .0
                .contains("Edm.Guid")
        );
        assert!(Filter::parse("Name", &ACCOUNT).is_err());
    }

    #[test]
    fn quotes_are_doubled_inside_literals() {
        let row = record(json!({"Name": "O'Brien"}));
        assert!(
            Filter::parse("Name eq 'O''Brien'", &ACCOUNT)
                .unwrap()
                .matches(&row)
        );
    }
}
