//! What connecting a ledger asks of a person, declared by each ledger plug-in so the
//! connection page asks for exactly that: how the user authorises Koppel, what the ledger
//! calls an administration, and which settings the form must ask.

use serde::{Deserialize, Serialize};

/// A text in the three languages of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wording {
    /// Dutch.
    pub nl: &'static str,
    /// French.
    pub fr: &'static str,
    /// English.
    pub en: &'static str,
}

/// One field a person types in to authorise Koppel (for ledgers without OAuth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialField {
    /// Form field name.
    pub name: &'static str,
    /// Label.
    pub label: Wording,
    /// Hidden while typed (passwords, tokens).
    pub secret: bool,
}

/// How a person authorises Koppel in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorisation {
    /// An OAuth redirect to the ledger and back with a code.
    OAuthRedirect,
    /// A form with these fields (user name and password, a personal token, …).
    Credentials(Vec<CredentialField>),
}

/// What a person gives Koppel after authorising.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// The code of an OAuth redirect and the redirect URI it was issued for.
    OAuthCode {
        /// The code.
        code: String,
        /// The redirect URI used in the authorize request.
        redirect_uri: String,
    },
    /// The fields of [`Authorisation::Credentials`], by name.
    Credentials(Vec<(String, String)>),
}

/// A setting of a connection the form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingField {
    /// The sales journal for invoices.
    InvoiceJournal,
    /// The sales journal for credit notes.
    CreditNoteJournal,
    /// A VAT code per Teamleader tax rate.
    VatCodes,
    /// A revenue account per Teamleader tax rate.
    GlAccountByTaxRate,
    /// The revenue account for lines without one.
    DefaultGlAccount,
    /// The account that receives line discounts.
    DiscountGlAccount,
    /// The first document date to export.
    StartDate,
    /// Whether the PDF goes along with each entry.
    AttachPdf,
    /// Whether the nightly run happens by itself.
    AutomaticSync,
    /// The financial journal payments registered in Teamleader are booked in (only for
    /// ledgers that document a way to settle a receivable; the page says the others do not).
    PaymentJournal,
}

/// An administration (company's books) the authorised user can choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Administration {
    /// What `Connection::ledger_company` holds.
    pub id: String,
    /// Name.
    pub name: String,
    /// The user's current one in the ledger (a sensible default).
    pub current: bool,
}

/// Everything the connection page needs to know to connect a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboarding {
    /// How the user authorises.
    pub authorisation: Authorisation,
    /// What the ledger calls an administration ("division", "dossier", …).
    pub administration: Wording,
    /// The settings the form asks, in order.
    pub settings: Vec<SettingField>,
    /// The ledger keeps customers: importing them into Teamleader and merging duplicates
    /// with a merge file apply (false for a portal that takes only documents).
    pub customers: bool,
}
