//! VAT numbers, enterprise numbers and their checks. (Filled in by the core-extras work.)

use serde::{Deserialize, Serialize};

/// A VAT number, normalised ("BE0123456789", "NL123456789B01") when it could be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VatNumber(pub String);
