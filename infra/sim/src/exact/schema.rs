//! The entity types the simulator serves: property names, OData types and which properties a
//! client may write. Used to validate `$select`/`$filter`, to type-check filter literals, to
//! read POST payloads, and to fill unset properties with `null` in answers.

/// An OData property type (named by its CLR type in Exact's error texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    /// `Edm.Guid`.
    Guid,
    /// `Edm.String`.
    Text,
    /// `Edm.Int32`.
    Int32,
    /// `Edm.Int64`.
    Int64,
    /// `Edm.Double` (Exact's amounts).
    Double,
    /// `Edm.DateTime`.
    DateTime,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.Binary` (base64 in JSON).
    Binary,
    /// A navigation property (deferred link or expanded collection).
    Nav,
}

impl FieldType {
    /// The CLR type name Exact's messages use.
    pub(crate) fn clr(self) -> &'static str {
        match self {
            Self::Guid => "System.Guid",
            Self::Text => "System.String",
            Self::Int32 => "System.Int32",
            Self::Int64 => "System.Int64",
            Self::Double => "System.Double",
            Self::DateTime => "System.DateTime",
            Self::Boolean => "System.Boolean",
            Self::Binary => "System.Byte[]",
            Self::Nav => "System.Object",
        }
    }

    /// The short type name used in payload conversion errors ("Byte[]").
    pub(crate) fn short(self) -> &'static str {
        self.clr().trim_start_matches("System.")
    }
}

/// One property.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// Property name.
    pub(crate) name: &'static str,
    /// Its type.
    pub(crate) ty: FieldType,
    /// True when a POST may set it.
    pub(crate) writable: bool,
}

/// One entity type.
#[derive(Debug)]
pub(crate) struct EntitySchema {
    /// Full type name, as in `__metadata.type` and in error texts.
    pub(crate) type_name: &'static str,
    /// Key property.
    pub(crate) key: &'static str,
    /// All properties, in answer order.
    pub(crate) fields: &'static [Field],
}

impl EntitySchema {
    /// The property called `name` (exact case, as OData requires).
    pub(crate) fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Type of the key property.
    pub(crate) fn key_type(&self) -> FieldType {
        self.field(self.key).map_or(FieldType::Guid, |f| f.ty)
    }
}

const fn r(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        writable: false,
    }
}

const fn w(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        writable: true,
    }
}

use FieldType::{Binary, Boolean, DateTime, Double, Guid, Int32, Int64, Nav, Text};

/// current/Me.
pub(crate) static ME: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.System.Me",
    key: "UserID",
    fields: &[
        r("UserID", Guid),
        r("UserName", Text),
        r("FullName", Text),
        r("FirstName", Text),
        r("LastName", Text),
        r("Email", Text),
        r("LanguageCode", Text),
        r("Language", Text),
        r("Legislation", Int64),
        r("CurrentDivision", Int32),
        r("DivisionCustomer", Guid),
        r("DivisionCustomerCode", Text),
        r("DivisionCustomerName", Text),
    ],
};

/// system/Divisions (and AllDivisions, hrm/Divisions).
pub(crate) static DIVISION: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.System.SystemDivision",
    key: "Code",
    fields: &[
        r("Code", Int32),
        r("HID", Int64),
        r("Description", Text),
        r("Country", Text),
        r("Currency", Text),
        r("VATNumber", Text),
        r("Current", Boolean),
        r("Blocked", Boolean),
        r("Status", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// financial/GLAccounts.
pub(crate) static GL_ACCOUNT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.GLAccount",
    key: "ID",
    fields: &[
        r("ID", Guid),
        r("Code", Text),
        r("Description", Text),
        r("Type", Int32),
        r("TypeDescription", Text),
        r("BalanceType", Text),
        r("BalanceSide", Text),
        r("IsBlocked", Boolean),
        r("VATCode", Text),
        r("VATDescription", Text),
        r("Division", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// financial/Journals.
pub(crate) static JOURNAL: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Journal",
    key: "ID",
    fields: &[
        r("ID", Guid),
        r("Code", Text),
        r("Description", Text),
        r("Type", Int32),
        r("TypeDescription", Text),
        r("Division", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// vat/VATCodes.
pub(crate) static VAT_CODE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.VATCode",
    key: "ID",
    fields: &[
        r("ID", Guid),
        r("Code", Text),
        r("Description", Text),
        r("Percentage", Double),
        r("Type", Text),
        r("VATTransactionType", Text),
        r("IsBlocked", Boolean),
        r("Charged", Boolean),
        r("Division", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// financial/FinancialPeriods.
pub(crate) static FINANCIAL_PERIOD: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.FinancialPeriod",
    key: "ID",
    fields: &[
        r("ID", Guid),
        r("FinYear", Int32),
        r("FinPeriod", Int32),
        r("StartDate", DateTime),
        r("EndDate", DateTime),
        r("Division", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// cashflow/PaymentConditions.
pub(crate) static PAYMENT_CONDITION: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.PaymentCondition",
    key: "ID",
    fields: &[
        r("ID", Guid),
        r("Code", Text),
        r("Description", Text),
        r("PaymentDays", Int32),
        r("PaymentMethod", Text),
        r("PaymentMethodDescription", Text),
        r("Division", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// documents/DocumentTypes.
pub(crate) static DOCUMENT_TYPE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.DocumentType",
    key: "ID",
    fields: &[
        r("ID", Int32),
        r("Description", Text),
        r("DocumentIsCreatable", Boolean),
        r("TypeCategory", Int32),
    ],
};

/// crm/Accounts.
pub(crate) static ACCOUNT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Account",
    key: "ID",
    fields: &[
        r("ID", Guid),
        w("Code", Text),
        w("Name", Text),
        w("Status", Text),
        r("IsSales", Boolean),
        w("IsSupplier", Boolean),
        w("VATNumber", Text),
        w("ChamberOfCommerce", Text),
        w("Email", Text),
        w("Phone", Text),
        w("Website", Text),
        w("AddressLine1", Text),
        w("AddressLine2", Text),
        w("AddressLine3", Text),
        w("Postcode", Text),
        w("City", Text),
        w("State", Text),
        w("Country", Text),
        w("Language", Text),
        w("Blocked", Boolean),
        w("PeppolIdentifier", Text),
        w("PeppolIdentifierType", Int32),
        w("SearchCode", Text),
        w("Remarks", Text),
        w("PaymentConditionSales", Text),
        w("SalesVATCode", Text),
        w("GLAccountSales", Guid),
        w("InvoicingMethod", Int32),
        w("SalesCurrency", Text),
        r("Division", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// salesentry/SalesEntries.
pub(crate) static SALES_ENTRY: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.SalesEntry",
    key: "EntryID",
    fields: &[
        r("EntryID", Guid),
        r("AmountDC", Double),
        r("AmountFC", Double),
        w("BatchNumber", Int32),
        w("Currency", Text),
        w("Customer", Guid),
        r("CustomerName", Text),
        w("Description", Text),
        r("Division", Int32),
        w("Document", Guid),
        r("DocumentNumber", Int32),
        r("DocumentSubject", Text),
        w("DueDate", DateTime),
        w("EntryDate", DateTime),
        w("EntryNumber", Int32),
        w("ExternalLinkDescription", Text),
        w("ExternalLinkReference", Text),
        w("InvoiceNumber", Int32),
        w("Journal", Text),
        r("JournalDescription", Text),
        w("OrderNumber", Int32),
        w("PaymentCondition", Text),
        r("PaymentConditionDescription", Text),
        w("PaymentReference", Text),
        w("ProcessNumber", Int32),
        w("Rate", Double),
        w("ReportingPeriod", Int32),
        w("ReportingYear", Int32),
        w("Reversal", Boolean),
        w("SalesEntryLines", Nav),
        r("Status", Int32),
        r("StatusDescription", Text),
        r("Type", Int32),
        r("TypeDescription", Text),
        r("VATAmountDC", Double),
        w("VATAmountFC", Double),
        w("YourRef", Text),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// salesentry/SalesEntryLines.
pub(crate) static SALES_ENTRY_LINE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.SalesEntryLine",
    key: "ID",
    fields: &[
        r("ID", Guid),
        w("AmountDC", Double),
        w("AmountFC", Double),
        w("CostCenter", Text),
        w("CostUnit", Text),
        w("Description", Text),
        r("Division", Int32),
        w("EntryID", Guid),
        w("From", DateTime),
        w("GLAccount", Guid),
        r("GLAccountCode", Text),
        r("GLAccountDescription", Text),
        r("LineNumber", Int32),
        w("Notes", Text),
        w("Project", Guid),
        w("Quantity", Double),
        w("To", DateTime),
        r("Type", Int32),
        r("VATAmountDC", Double),
        w("VATAmountFC", Double),
        r("VATBaseAmountDC", Double),
        w("VATBaseAmountFC", Double),
        w("VATCode", Text),
        r("VATCodeDescription", Text),
        w("VATPercentage", Double),
    ],
};

/// documents/Documents.
pub(crate) static DOCUMENT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Document",
    key: "ID",
    fields: &[
        r("ID", Guid),
        w("Account", Guid),
        r("AccountCode", Text),
        r("AccountName", Text),
        r("Attachments", Nav),
        w("Body", Text),
        w("Category", Guid),
        w("DocumentDate", DateTime),
        w("FinancialTransactionEntryID", Guid),
        w("Language", Text),
        w("Subject", Text),
        w("Type", Int32),
        r("TypeDescription", Text),
        r("Division", Int32),
        r("Created", DateTime),
        r("Modified", DateTime),
    ],
};

/// documents/DocumentAttachments.
pub(crate) static DOCUMENT_ATTACHMENT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.DocumentAttachment",
    key: "ID",
    fields: &[
        r("ID", Guid),
        w("Attachment", Binary),
        w("Document", Guid),
        w("FileName", Text),
        r("FileSize", Double),
        r("Url", Text),
    ],
};

/// cashflow/Receivables and bulk/Cashflow/Receivables.
pub(crate) static RECEIVABLE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Receivable",
    key: "ID",
    fields: &[
        r("ID", Guid),
        r("Account", Guid),
        r("AccountCode", Text),
        r("AccountName", Text),
        r("AmountDC", Double),
        r("AmountFC", Double),
        r("Currency", Text),
        r("Description", Text),
        r("Division", Int32),
        r("Document", Guid),
        r("DueDate", DateTime),
        r("EndToEndID", Text),
        r("EntryDate", DateTime),
        r("EntryID", Guid),
        r("EntryNumber", Int32),
        r("GLAccount", Guid),
        r("GLAccountCode", Text),
        r("InvoiceDate", DateTime),
        r("InvoiceNumber", Int32),
        r("IsFullyPaid", Boolean),
        r("Journal", Text),
        r("JournalDescription", Text),
        r("LastPaymentDate", DateTime),
        r("PaymentCondition", Text),
        r("PaymentReference", Text),
        r("Source", Int32),
        r("Status", Int32),
        r("TransactionAmountDC", Double),
        r("TransactionAmountFC", Double),
        r("TransactionEntryID", Guid),
        r("TransactionID", Guid),
        r("TransactionIsReversal", Boolean),
        r("TransactionType", Int32),
        r("YourRef", Text),
        r("Modified", DateTime),
    ],
};

/// read/financial/ReceivablesList (only what is still open).
pub(crate) static RECEIVABLES_LIST_ITEM: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Financial.ReceivablesListItem",
    key: "HID",
    fields: &[
        r("HID", Int64),
        r("AccountId", Guid),
        r("AccountCode", Text),
        r("AccountName", Text),
        r("Amount", Double),
        r("AmountInTransit", Double),
        r("CurrencyCode", Text),
        r("Description", Text),
        r("DueDate", DateTime),
        r("EntryNumber", Int32),
        r("Id", Guid),
        r("InvoiceDate", DateTime),
        r("InvoiceNumber", Int32),
        r("JournalCode", Text),
        r("JournalDescription", Text),
        r("YourRef", Text),
    ],
};

/// Every schema, for consistency checks.
#[cfg(test)]
pub(crate) static ALL: &[&EntitySchema] = &[
    &ME,
    &DIVISION,
    &GL_ACCOUNT,
    &JOURNAL,
    &VAT_CODE,
    &FINANCIAL_PERIOD,
    &DOCUMENT_TYPE,
    &PAYMENT_CONDITION,
    &ACCOUNT,
    &SALES_ENTRY,
    &SALES_ENTRY_LINE,
    &DOCUMENT,
    &DOCUMENT_ATTACHMENT,
    &RECEIVABLE,
    &RECEIVABLES_LIST_ITEM,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_has_its_key_and_unique_names() {
        for schema in ALL {
            assert!(schema.field(schema.key).is_some(), "{}", schema.type_name);
            let mut names: Vec<_> = schema.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), schema.fields.len(), "{}", schema.type_name);
        }
    }
}
