//! Teamleader's companies, or its contacts, indexed the ways a ledger customer is matched to
//! one of them, and the decision the import takes for each ledger customer.

use crate::domain::names::normalize_company_name;
use crate::{Customer, CustomerKind};
use std::collections::HashMap;

/// Which Teamleader customers a directory holds, and so how they are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Holds {
    /// Companies: matched by VAT number, else by name.
    Companies,
    /// Contacts (private customers): matched by e-mail address, else by name.
    Contacts,
}

impl Holds {
    /// The directory of Teamleader customers of `kind`.
    pub(super) fn of(kind: CustomerKind) -> Self {
        match kind {
            CustomerKind::Company => Self::Companies,
            CustomerKind::Contact => Self::Contacts,
        }
    }

    /// The kind of Teamleader customer it holds.
    pub(super) fn kind(self) -> CustomerKind {
        match self {
            Self::Companies => CustomerKind::Company,
            Self::Contacts => CustomerKind::Contact,
        }
    }

    /// The key that identifies a customer best: a company's VAT number, a person's e-mail
    /// address (case folded).
    fn key(self, customer: &Customer) -> Option<String> {
        match self {
            Self::Companies => customer.vat_number.as_ref().map(|v| v.as_str().to_owned()),
            Self::Contacts => customer
                .emails
                .first()
                .map(|email| email.trim().to_lowercase())
                .filter(|email| !email.is_empty()),
        }
    }

    /// "companies" / "contacts", for the report.
    pub(super) fn plural(self) -> &'static str {
        match self {
            Self::Companies => "companies",
            Self::Contacts => "contacts",
        }
    }

    /// "company" / "contact", for the report.
    pub(super) fn singular(self) -> &'static str {
        match self {
            Self::Companies => "company",
            Self::Contacts => "contact",
        }
    }
}

/// What to do with one ledger customer.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// A Teamleader customer already carries its customer number.
    AlreadyLinked(usize),
    /// Exactly one Teamleader customer matches and has no customer number yet.
    Link(usize),
    /// Several match: listed, never guessed.
    Ambiguous(Vec<usize>),
    /// The one match carries another customer number.
    Conflict(usize),
    /// Nothing matches: create it.
    Create,
}

/// Teamleader customers of one kind, indexed by customer number, key and normalised name.
pub(super) struct Directory {
    holds: Holds,
    by_external_id: HashMap<String, usize>,
    by_key: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    all: Vec<Customer>,
}

impl Directory {
    /// An empty directory of `holds`.
    pub(super) fn new(holds: Holds) -> Self {
        Self {
            holds,
            by_external_id: HashMap::new(),
            by_key: HashMap::new(),
            by_name: HashMap::new(),
            all: Vec::new(),
        }
    }

    /// The customer at `index`.
    pub(super) fn get(&self, index: usize) -> &Customer {
        &self.all[index]
    }

    /// Index one more customer.
    pub(super) fn add(&mut self, customer: Customer) {
        let index = self.all.len();
        if let Some(external_id) = customer.external_id.as_deref().map(str::trim)
            && !external_id.is_empty()
        {
            self.by_external_id.insert(external_id.to_owned(), index);
        }
        if let Some(key) = self.holds.key(&customer) {
            self.by_key.entry(key).or_default().push(index);
        }
        let name = normalize_company_name(&customer.name);
        if !name.is_empty() {
            self.by_name.entry(name).or_default().push(index);
        }
        self.all.push(customer);
    }

    /// The customer at `index` now carries `external_id`.
    pub(super) fn set_external_id(&mut self, index: usize, external_id: &str) {
        self.all[index].external_id = Some(external_id.to_owned());
        self.by_external_id.insert(external_id.to_owned(), index);
    }

    /// What to do with the ledger customer `customer` numbered `code`: its customer number
    /// first, then exactly one match by key, else by normalised name among those whose key
    /// does not contradict the customer's.
    pub(super) fn decide(&self, code: &str, customer: &Customer) -> Decision {
        if let Some(&index) = self.by_external_id.get(code) {
            return Decision::AlreadyLinked(index);
        }
        let key = self.holds.key(customer);
        let by_key = key.as_ref().and_then(|key| self.by_key.get(key));
        let by_name: Vec<usize> = self
            .by_name
            .get(&normalize_company_name(&customer.name))
            .map(|names| {
                names
                    .iter()
                    .copied()
                    .filter(|&i| match (self.holds.key(&self.all[i]), &key) {
                        (Some(theirs), Some(ours)) => theirs == *ours,
                        _ => true,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let candidates: &[usize] = match by_key {
            Some(found) if !found.is_empty() => found,
            _ if !by_name.is_empty() => &by_name,
            _ => return Decision::Create,
        };
        match candidates {
            [one] => match self.all[*one].external_id.as_deref().map(str::trim) {
                Some(other) if !other.is_empty() => Decision::Conflict(*one),
                _ => Decision::Link(*one),
            },
            several => Decision::Ambiguous(several.to_vec()),
        }
    }
}
