//! The entity types the simulator serves, as Exact documents them: every property name, its
//! OData type and whether a client may write it. Used to validate `$select`/`$filter`, to
//! type-check filter literals, to read POST payloads (unknown names are refused, read-only
//! ones ignored) and to give answers every documented property (`null` when the simulator
//! keeps no value for it).
//!
//! The lists are the property tables of Exact's REST API reference
//! (`start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=…`): a property is
//! writable when the reference lists POST or PUT for it, read-only when it lists only GET. They
//! were taken from two public mirrors of that reference, which agree with each other: the
//! generated metadata of Pi-Systems/exact-online (July 2025) and the entity property lists of
//! picqer/exact-php-client (December 2025, which adds two newer Document properties).
//!
//! Where the simulator departs from the reference: a client-supplied key (`ID`, `EntryID`) is
//! accepted as writable, as documented, but the simulator always assigns its own.

/// An OData property type (named by its CLR type in Exact's error texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    /// `Edm.Guid`.
    Guid,
    /// `Edm.String`.
    Text,
    /// `Edm.Byte` (small flags and enumerations).
    Byte,
    /// `Edm.Int16` (years, periods, statuses).
    Int16,
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
    /// A complex-typed property (an object, such as a division's classification).
    Complex,
}

impl FieldType {
    /// The CLR type name Exact's messages use.
    pub(crate) fn clr(self) -> &'static str {
        match self {
            Self::Guid => "System.Guid",
            Self::Text => "System.String",
            Self::Byte => "System.Byte",
            Self::Int16 => "System.Int16",
            Self::Int32 => "System.Int32",
            Self::Int64 => "System.Int64",
            Self::Double => "System.Double",
            Self::DateTime => "System.DateTime",
            Self::Boolean => "System.Boolean",
            Self::Binary => "System.Byte[]",
            Self::Nav | Self::Complex => "System.Object",
        }
    }

    /// The short type name used in payload conversion errors ("Byte[]").
    pub(crate) fn short(self) -> &'static str {
        self.clr().trim_start_matches("System.")
    }

    /// True for the integer types.
    pub(crate) fn is_integer(self) -> bool {
        matches!(self, Self::Byte | Self::Int16 | Self::Int32 | Self::Int64)
    }

    /// The range of an integer type (`None` for other types).
    pub(crate) fn integer_range(self) -> Option<(i64, i64)> {
        match self {
            Self::Byte => Some((0, i64::from(u8::MAX))),
            Self::Int16 => Some((i64::from(i16::MIN), i64::from(i16::MAX))),
            Self::Int32 => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
            Self::Int64 => Some((i64::MIN, i64::MAX)),
            _ => None,
        }
    }
}

/// One property.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// Property name.
    pub(crate) name: &'static str,
    /// Its type.
    pub(crate) ty: FieldType,
    /// True when a POST or PUT may set it; read-only properties in a payload are ignored.
    pub(crate) writable: bool,
}

/// One entity type.
#[derive(Debug)]
pub(crate) struct EntitySchema {
    /// Full type name, as in `__metadata.type` and in error texts.
    pub(crate) type_name: &'static str,
    /// Key property.
    pub(crate) key: &'static str,
    /// All documented properties, in answer order (the key first, then alphabetical).
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

/// A read-only property.
const fn r(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        writable: false,
    }
}

/// A writable property.
const fn w(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        writable: true,
    }
}

use FieldType::{
    Binary, Boolean, Byte, Complex, DateTime, Double, Guid, Int16, Int32, Int64, Nav, Text,
};

/// current/Me: 39 properties, 39 of them read-only.
pub(crate) static ME: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.System.Me",
    key: "UserID",
    fields: &[
        r("UserID", Guid),
        r("AccountingDivision", Int32),
        r("CurrentDivision", Int32),
        r("CustomerCode", Text),
        r("DivisionCustomer", Guid),
        r("DivisionCustomerCode", Text),
        r("DivisionCustomerName", Text),
        r("DivisionCustomerSiretNumber", Text),
        r("DivisionCustomerVatNumber", Text),
        r("DossierDivision", Int32),
        r("Email", Text),
        r("EmployeeID", Guid),
        r("FirstName", Text),
        r("FullName", Text),
        r("Gender", Text),
        r("Initials", Text),
        r("IsClientUser", Boolean),
        r("IsEmployeeSelfServiceUser", Boolean),
        r("IsMyFirmLiteUser", Boolean),
        r("IsMyFirmPortalUser", Boolean),
        r("IsOEIMigrationMandatory", Boolean),
        r("IsStarterUser", Boolean),
        r("Language", Text),
        r("LanguageCode", Text),
        r("LastName", Text),
        r("Legislation", Int64),
        r("MiddleName", Text),
        r("Mobile", Text),
        r("Nationality", Text),
        r("PackageCode", Text),
        r("Phone", Text),
        r("PhoneExtension", Text),
        r("PictureUrl", Text),
        r("ServerTime", Text),
        r("ServerUtcOffset", Double),
        r("ThumbnailPicture", Binary),
        r("ThumbnailPictureFormat", Text),
        r("Title", Text),
        r("UserName", Text),
    ],
};

/// system/Divisions (also served as system/AllDivisions and hrm/Divisions): 62 properties, 62 of them read-only.
pub(crate) static DIVISION: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.System.SystemDivision",
    key: "Code",
    fields: &[
        r("Code", Int32),
        r("AddressLine1", Text),
        r("AddressLine2", Text),
        r("AddressLine3", Text),
        r("ArchiveDate", DateTime),
        r("BlockingStatus", Int32),
        r("BusinessTypeCode", Text),
        r("BusinessTypeDescription", Text),
        r("ChamberOfCommerceEstablishment", Text),
        r("ChamberOfCommerceNumber", Text),
        r("City", Text),
        r("Class_01", Complex),
        r("Class_02", Complex),
        r("Class_03", Complex),
        r("Class_04", Complex),
        r("Class_05", Complex),
        r("CompanySizeCode", Text),
        r("CompanySizeDescription", Text),
        r("Country", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        r("Currency", Text),
        r("Current", Boolean),
        r("Customer", Guid),
        r("CustomerCode", Text),
        r("CustomerName", Text),
        r("DatevAccountantNumber", Text),
        r("DatevClientNumber", Text),
        r("Description", Text),
        r("DivisionHRLinkUnlinkDate", DateTime),
        r("DivisionMoveDate", DateTime),
        r("Email", Text),
        r("Fax", Text),
        r("Hid", Int64),
        r("IsDossierDivision", Boolean),
        r("IsHRDivision", Boolean),
        r("IsMainDivision", Boolean),
        r("IsPracticeDivision", Boolean),
        r("Legislation", Text),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        r("OBNumber", Text),
        r("Phone", Text),
        r("Postcode", Text),
        r("SbiCode", Text),
        r("SbiDescription", Text),
        r("SectorCode", Text),
        r("SectorDescription", Text),
        r("ShareCapital", Double),
        r("SiretNumber", Text),
        r("StartDate", DateTime),
        r("State", Text),
        r("Status", Int32),
        r("SubsectorCode", Text),
        r("SubsectorDescription", Text),
        r("TaxOfficeNumber", Text),
        r("TaxReferenceNumber", Text),
        r("TemplateCode", Text),
        r("VATNumber", Text),
        r("Website", Text),
    ],
};

/// financial/GLAccounts: 44 properties, 12 of them read-only.
pub(crate) static GL_ACCOUNT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.GLAccount",
    key: "ID",
    fields: &[
        w("ID", Guid),
        w("AllowCostsInSales", Byte),
        w("AssimilatedVATBox", Int16),
        w("BalanceSide", Text),
        w("BalanceType", Text),
        w("BelcotaxType", Int32),
        w("Code", Text),
        w("Compress", Boolean),
        w("Costcenter", Text),
        r("CostcenterDescription", Text),
        w("Costunit", Text),
        r("CostunitDescription", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        r("CustomField", Text),
        w("DeductibilityPercentages", Nav),
        w("Description", Text),
        w("DescriptionTermID", Int32),
        r("Division", Int32),
        w("ExcludeVATListing", Byte),
        w("ExpenseNonDeductiblePercentage", Double),
        w("IsBlocked", Boolean),
        w("Matching", Boolean),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        w("PrivateGLAccount", Guid),
        w("PrivatePercentage", Double),
        w("ReportingCode", Text),
        w("RevalueCurrency", Boolean),
        w("SearchCode", Text),
        w("Type", Int32),
        r("TypeDescription", Text),
        w("UseCostcenter", Byte),
        w("UseCostunit", Byte),
        w("VATCode", Text),
        r("VATDescription", Text),
        w("VATGLAccountType", Text),
        w("VATNonDeductibleGLAccount", Guid),
        w("VATNonDeductiblePercentage", Double),
        w("VATSystem", Text),
        w("YearEndCostGLAccount", Guid),
        w("YearEndReflectionGLAccount", Guid),
    ],
};

/// financial/Journals: 37 properties, 20 of them read-only.
pub(crate) static JOURNAL: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Journal",
    key: "ID",
    fields: &[
        w("ID", Guid),
        w("AllowVariableCurrency", Boolean),
        w("AllowVariableExchangeRate", Boolean),
        w("AllowVAT", Boolean),
        w("AutoSave", Boolean),
        w("Bank", Guid),
        r("BankAccountBICCode", Text),
        r("BankAccountCountry", Text),
        r("BankAccountDescription", Text),
        r("BankAccountIBAN", Text),
        w("BankAccountID", Guid),
        w("BankAccountIncludingMask", Text),
        r("BankAccountUseSEPA", Boolean),
        r("BankAccountUseSepaDirectDebit", Boolean),
        r("BankName", Text),
        w("Code", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        w("Currency", Text),
        r("CurrencyDescription", Text),
        r("CustomField", Text),
        w("Description", Text),
        r("Division", Int32),
        w("GLAccount", Guid),
        r("GLAccountCode", Text),
        r("GLAccountDescription", Text),
        r("GLAccountType", Int32),
        w("IsBlocked", Boolean),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        w("PaymentInTransitAccount", Guid),
        w("PaymentServiceAccountIdentifier", Text),
        w("PaymentServiceProvider", Int32),
        r("PaymentServiceProviderName", Text),
        w("Type", Int32),
    ],
};

/// vat/VATCodes: 44 properties, 20 of them read-only.
pub(crate) static VAT_CODE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.VATCode",
    key: "ID",
    fields: &[
        w("ID", Guid),
        w("Account", Guid),
        r("AccountCode", Text),
        r("AccountName", Text),
        w("CalculationBasis", Byte),
        w("Charged", Boolean),
        w("Code", Text),
        r("Country", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        r("CustomField", Text),
        w("Description", Text),
        r("Division", Int32),
        w("EUSalesListing", Text),
        w("ExcludeVATListing", Byte),
        w("GLDiscountPurchase", Guid),
        r("GLDiscountPurchaseCode", Text),
        r("GLDiscountPurchaseDescription", Text),
        w("GLDiscountSales", Guid),
        r("GLDiscountSalesCode", Text),
        r("GLDiscountSalesDescription", Text),
        w("GLToClaim", Guid),
        r("GLToClaimCode", Text),
        r("GLToClaimDescription", Text),
        w("GLToPay", Guid),
        r("GLToPayCode", Text),
        r("GLToPayDescription", Text),
        w("IntraStat", Boolean),
        w("IntrastatType", Text),
        w("IsBlocked", Boolean),
        w("LegalText", Text),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        w("OssCountry", Text),
        r("Percentage", Double),
        w("TaxReturnType", Int16),
        w("Type", Text),
        w("VatDocType", Text),
        w("VatMargin", Byte),
        w("VATPartialRatio", Int16),
        w("VATPercentages", Nav),
        w("VATTransactionType", Text),
    ],
};

/// financial/FinancialPeriods: 12 properties, 12 of them read-only.
pub(crate) static FINANCIAL_PERIOD: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.FinancialPeriod",
    key: "ID",
    fields: &[
        r("ID", Guid),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        r("Division", Int32),
        r("EndDate", DateTime),
        r("FinPeriod", Int16),
        r("FinYear", Int16),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        r("StartDate", DateTime),
    ],
};

/// cashflow/PaymentConditions: 22 properties, 9 of them read-only.
pub(crate) static PAYMENT_CONDITION: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.PaymentCondition",
    key: "ID",
    fields: &[
        w("ID", Guid),
        w("Code", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        w("CreditManagementScenario", Guid),
        r("CreditManagementScenarioCode", Text),
        r("CreditManagementScenarioDescription", Text),
        w("Description", Text),
        w("DiscountCalculation", Text),
        w("DiscountPaymentDays", Int32),
        w("DiscountPercentage", Double),
        r("Division", Int32),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        w("PaymentDays", Int32),
        w("PaymentDiscountType", Text),
        w("PaymentEndOfMonths", Int32),
        w("PaymentMethod", Text),
        w("Percentage", Double),
        w("VATCalculation", Text),
    ],
};

/// documents/DocumentTypes: 9 properties, 9 of them read-only.
pub(crate) static DOCUMENT_TYPE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.DocumentType",
    key: "ID",
    fields: &[
        r("ID", Int32),
        r("Created", DateTime),
        r("Description", Text),
        r("DocumentIsCreatable", Boolean),
        r("DocumentIsDeletable", Boolean),
        r("DocumentIsUpdatable", Boolean),
        r("DocumentIsViewable", Boolean),
        r("Modified", DateTime),
        r("TypeCategory", Int32),
    ],
};

/// crm/Accounts: 164 properties, 47 of them read-only.
pub(crate) static ACCOUNT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Account",
    key: "ID",
    fields: &[
        w("ID", Guid),
        w("Accountant", Guid),
        w("AccountManager", Guid),
        r("AccountManagerFullName", Text),
        r("AccountManagerHID", Int32),
        w("ActivitySector", Guid),
        w("ActivitySubSector", Guid),
        w("AddressLine1", Text),
        w("AddressLine2", Text),
        w("AddressLine3", Text),
        r("AddressSource", Byte),
        w("AutomaticProcessProposedEntry", Byte),
        r("BankAccounts", Nav),
        w("Blocked", Boolean),
        r("BRIN", Guid),
        w("BSN", Text),
        w("BusinessType", Guid),
        w("CanDropShip", Boolean),
        w("ChamberOfCommerce", Text),
        w("City", Text),
        r("Classification", Text),
        w("Classification1", Guid),
        w("Classification2", Guid),
        w("Classification3", Guid),
        w("Classification4", Guid),
        w("Classification5", Guid),
        w("Classification6", Guid),
        w("Classification7", Guid),
        w("Classification8", Guid),
        r("ClassificationDescription", Text),
        w("Code", Text),
        w("CodeAtSupplier", Text),
        w("CompanySize", Guid),
        w("ConsolidationScenario", Byte),
        w("ControlledDate", DateTime),
        r("Costcenter", Text),
        r("CostcenterDescription", Text),
        r("CostPaid", Byte),
        w("Country", Text),
        r("CountryName", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        w("CreditLinePurchase", Double),
        w("CreditLineSales", Double),
        r("Currency", Text),
        r("CustomerSince", DateTime),
        r("CustomField", Text),
        w("DatevCreditorCode", Text),
        w("DatevDebtorCode", Text),
        w("DeliveryAdvice", Byte),
        w("DiscountPurchase", Double),
        w("DiscountSales", Double),
        r("Division", Int32),
        r("Document", Guid),
        r("DunsNumber", Text),
        w("Email", Text),
        w("EnableSalesPaymentLink", Boolean),
        w("EndDate", DateTime),
        w("EORINumber", Text),
        w("EstablishedDate", DateTime),
        w("Fax", Text),
        w("GLAccountPurchase", Guid),
        w("GLAccountSales", Guid),
        w("GLAP", Guid),
        w("GLAR", Guid),
        w("GlnNumber", Text),
        w("HasWithholdingTaxSales", Boolean),
        w("IgnoreDatevWarningMessage", Boolean),
        w("IncotermAddressPurchase", Text),
        w("IncotermAddressSales", Text),
        w("IncotermCodePurchase", Text),
        w("IncotermCodeSales", Text),
        w("IncotermVersionPurchase", Int16),
        w("IncotermVersionSales", Int16),
        w("IntraStatArea", Text),
        w("IntraStatDeliveryTerm", Text),
        w("IntraStatSystem", Text),
        w("IntraStatTransactionA", Text),
        w("IntraStatTransactionB", Text),
        w("IntraStatTransportMethod", Text),
        w("InvoiceAccount", Guid),
        r("InvoiceAccountCode", Text),
        r("InvoiceAccountName", Text),
        w("InvoiceAttachmentType", Int32),
        w("InvoicingMethod", Int32),
        w("IsAccountant", Byte),
        w("IsAgency", Byte),
        r("IsAnonymised", Byte),
        r("IsBank", Boolean),
        w("IsCompetitor", Byte),
        w("IsExtraDuty", Boolean),
        w("IsMailing", Byte),
        r("IsMember", Boolean),
        w("IsPilot", Boolean),
        r("IsPurchase", Boolean),
        w("IsReseller", Boolean),
        r("IsSales", Boolean),
        w("IsSupplier", Boolean),
        w("Language", Text),
        r("LanguageDescription", Text),
        w("Latitude", Double),
        w("LeadPurpose", Guid),
        w("LeadSource", Guid),
        w("Logo", Binary),
        w("LogoFileName", Text),
        r("LogoThumbnailUrl", Text),
        r("LogoUrl", Text),
        w("Longitude", Double),
        w("MainContact", Guid),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        w("Name", Text),
        w("OINNumber", Text),
        w("Parent", Guid),
        w("PayAsYouEarn", Text),
        w("PaymentConditionPurchase", Text),
        r("PaymentConditionPurchaseDescription", Text),
        w("PaymentConditionSales", Text),
        r("PaymentConditionSalesDescription", Text),
        w("PeppolIdentifier", Text),
        w("PeppolIdentifierType", Int32),
        w("Phone", Text),
        w("PhoneExtension", Text),
        w("Postcode", Text),
        w("PriceList", Guid),
        w("PurchaseCurrency", Text),
        r("PurchaseCurrencyDescription", Text),
        w("PurchaseLeadDays", Int32),
        w("PurchaseVATCode", Text),
        r("PurchaseVATCodeDescription", Text),
        w("RecepientOfCommissions", Boolean),
        w("Remarks", Text),
        w("Reseller", Guid),
        r("ResellerCode", Text),
        r("ResellerName", Text),
        w("RSIN", Text),
        w("SalesCurrency", Text),
        r("SalesCurrencyDescription", Text),
        w("SalesTaxSchedule", Guid),
        r("SalesTaxScheduleCode", Text),
        r("SalesTaxScheduleDescription", Text),
        w("SalesVATCode", Text),
        r("SalesVATCodeDescription", Text),
        w("SearchCode", Text),
        w("SecurityLevel", Int32),
        w("SeparateInvPerProject", Byte),
        w("SeparateInvPerSubscription", Byte),
        w("ShippingLeadDays", Int32),
        w("ShippingMethod", Guid),
        w("ShowRemarkForSales", Boolean),
        r("Source", Byte),
        w("StartDate", DateTime),
        w("State", Text),
        r("StateName", Text),
        w("Status", Text),
        r("StatusSince", DateTime),
        w("TradeName", Text),
        r("Type", Text),
        w("UniqueTaxpayerReference", Text),
        w("VATLiability", Text),
        w("VATNumber", Text),
        w("Website", Text),
    ],
};

/// salesentry/SalesEntries: 50 properties, 22 of them read-only.
pub(crate) static SALES_ENTRY: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.SalesEntry",
    key: "EntryID",
    fields: &[
        w("EntryID", Guid),
        r("AmountDC", Double),
        r("AmountFC", Double),
        w("BatchNumber", Int32),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        w("Currency", Text),
        w("Customer", Guid),
        r("CustomerName", Text),
        r("CustomField", Text),
        w("Description", Text),
        r("Division", Int32),
        w("Document", Guid),
        r("DocumentNumber", Int32),
        r("DocumentSubject", Text),
        w("DueDate", DateTime),
        w("EntryDate", DateTime),
        w("EntryNumber", Int32),
        r("ExternalLinkDescription", Text),
        w("ExternalLinkReference", Text),
        w("GAccountAmountFC", Double),
        w("InvoiceNumber", Int32),
        w("IsExtraDuty", Boolean),
        w("Journal", Text),
        r("JournalDescription", Text),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        w("OrderNumber", Int32),
        w("PaymentCondition", Text),
        r("PaymentConditionDescription", Text),
        r("PaymentConditionPaymentMethod", Text),
        w("PaymentReference", Text),
        w("ProcessNumber", Int32),
        w("Rate", Double),
        w("ReportingPeriod", Int16),
        w("ReportingYear", Int16),
        w("Reversal", Boolean),
        w("SalesEntryLines", Nav),
        r("Status", Int16),
        r("StatusDescription", Text),
        r("Type", Int32),
        r("TypeDescription", Text),
        r("VATAmountDC", Double),
        w("VATAmountFC", Double),
        w("WithholdingTaxAmountDC", Double),
        w("WithholdingTaxBaseAmount", Double),
        w("WithholdingTaxPercentage", Double),
        w("YourRef", Text),
    ],
};

/// salesentry/SalesEntryLines: 51 properties, 16 of them read-only.
pub(crate) static SALES_ENTRY_LINE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.SalesEntryLine",
    key: "ID",
    fields: &[
        w("ID", Guid),
        r("AmountDC", Double),
        w("AmountFC", Double),
        w("Asset", Guid),
        r("AssetDescription", Text),
        w("CostCenter", Text),
        r("CostCenterDescription", Text),
        w("CostUnit", Text),
        r("CostUnitDescription", Text),
        r("CustomField", Text),
        w("Description", Text),
        r("Division", Int32),
        w("EntryID", Guid),
        w("ExtraDutyAmountFC", Double),
        w("ExtraDutyPercentage", Double),
        w("From", DateTime),
        w("GLAccount", Guid),
        r("GLAccountCode", Text),
        r("GLAccountDescription", Text),
        w("IntraStatArea", Text),
        w("IntraStatCountry", Text),
        w("IntraStatDeliveryTerm", Text),
        w("IntraStatTransactionA", Text),
        w("IntraStatTransactionB", Text),
        w("IntraStatTransportMethod", Text),
        r("LineNumber", Int32),
        w("Notes", Text),
        w("Project", Guid),
        r("ProjectDescription", Text),
        w("ProjectWBS", Guid),
        r("ProjectWBSDescription", Text),
        w("Quantity", Double),
        w("SerialNumber", Text),
        w("StatisticalNetWeight", Double),
        w("StatisticalNumber", Text),
        w("StatisticalQuantity", Double),
        w("StatisticalValue", Double),
        w("Subscription", Guid),
        r("SubscriptionDescription", Text),
        w("TaxSchedule", Guid),
        w("To", DateTime),
        w("TrackingNumber", Guid),
        r("TrackingNumberDescription", Text),
        r("Type", Int32),
        r("VATAmountDC", Double),
        w("VATAmountFC", Double),
        w("VATBaseAmountDC", Double),
        w("VATBaseAmountFC", Double),
        w("VATCode", Text),
        r("VATCodeDescription", Text),
        w("VATPercentage", Double),
    ],
};

/// documents/Documents: 50 properties, 21 of them read-only.
pub(crate) static DOCUMENT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Document",
    key: "ID",
    fields: &[
        w("ID", Guid),
        w("Account", Guid),
        r("AccountCode", Text),
        r("AccountName", Text),
        w("ActionRegenerateEntryProposal", Boolean),
        w("AmountFC", Double),
        w("Body", Text),
        w("Category", Guid),
        w("CategoryDescription", Text),
        w("Contact", Guid),
        r("ContactFullName", Text),
        w("ContractID", Guid),
        r("ContractNumber", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        w("CreatorFullName", Text),
        w("Currency", Text),
        r("Division", Int32),
        w("DocumentDate", DateTime),
        w("DocumentFolder", Guid),
        r("DocumentFolderCode", Text),
        r("DocumentFolderDescription", Text),
        r("DocumentViewUrl", Text),
        r("EntryStatusDescription", Text),
        w("ExpiryDate", DateTime),
        w("FinancialTransactionEntryID", Guid),
        r("HasEmptyBody", Boolean),
        w("HID", Int32),
        w("InheritShare", Boolean),
        w("Item", Guid),
        r("ItemCode", Text),
        r("ItemDescription", Text),
        w("Language", Text),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        w("Opportunity", Guid),
        w("Project", Guid),
        r("ProjectCode", Text),
        r("ProjectDescription", Text),
        w("ProposedEntryStatus", Int16),
        w("SalesInvoiceNumber", Int32),
        w("SalesOrderNumber", Int32),
        w("ScanServiceStatus", Int16),
        r("SendMethod", Int32),
        w("ShopOrderNumber", Int32),
        w("Subject", Text),
        w("TeamsMeetingId", Text),
        w("Type", Int32),
        r("TypeDescription", Text),
    ],
};

/// documents/DocumentAttachments: 6 properties, 2 of them read-only.
pub(crate) static DOCUMENT_ATTACHMENT: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.DocumentAttachment",
    key: "ID",
    fields: &[
        w("ID", Guid),
        w("Attachment", Binary),
        w("Document", Guid),
        w("FileName", Text),
        r("FileSize", Double),
        r("Url", Text),
    ],
};

/// cashflow/Receivables and bulk/Cashflow/Receivables: 79 properties, 75 of them read-only.
pub(crate) static RECEIVABLE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Receivable",
    key: "ID",
    fields: &[
        w("ID", Guid),
        r("Account", Guid),
        r("AccountBankAccountID", Guid),
        r("AccountBankAccountNumber", Text),
        r("AccountCode", Text),
        r("AccountContact", Guid),
        r("AccountContactName", Text),
        r("AccountCountry", Text),
        r("AccountName", Text),
        r("AmountDC", Double),
        r("AmountDiscountDC", Double),
        r("AmountDiscountFC", Double),
        r("AmountFC", Double),
        r("BankAccountID", Guid),
        r("BankAccountNumber", Text),
        r("CashflowTransactionBatchCode", Text),
        r("Created", DateTime),
        r("Creator", Guid),
        r("CreatorFullName", Text),
        r("Currency", Text),
        w("Description", Text),
        r("DirectDebitMandate", Guid),
        r("DirectDebitMandateDescription", Text),
        r("DirectDebitMandatePaymentType", Int16),
        r("DirectDebitMandateReference", Text),
        r("DirectDebitMandateType", Int16),
        r("DiscountDueDate", DateTime),
        r("Division", Int32),
        r("Document", Guid),
        r("DocumentNumber", Int32),
        r("DocumentSubject", Text),
        r("DueDate", DateTime),
        r("EndDate", DateTime),
        r("EndPeriod", Int16),
        r("EndToEndID", Text),
        r("EndYear", Int16),
        r("EntryDate", DateTime),
        r("EntryID", Guid),
        r("EntryNumber", Int32),
        r("GLAccount", Guid),
        r("GLAccountCode", Text),
        r("GLAccountDescription", Text),
        r("InvoiceDate", DateTime),
        r("InvoiceNumber", Int32),
        r("IsBatchBooking", Byte),
        r("IsFullyPaid", Boolean),
        r("Journal", Text),
        r("JournalDescription", Text),
        r("LastPaymentDate", DateTime),
        r("Modified", DateTime),
        r("Modifier", Guid),
        r("ModifierFullName", Text),
        r("OrderNumber", Int32),
        r("PaymentCondition", Text),
        r("PaymentConditionDescription", Text),
        r("PaymentDays", Int32),
        r("PaymentDaysDiscount", Int32),
        r("PaymentDiscountPercentage", Double),
        r("PaymentInformationID", Text),
        w("PaymentMethod", Text),
        w("PaymentReference", Text),
        r("RateFC", Double),
        r("ReceivableBatchNumber", Int32),
        r("ReceivableSelected", DateTime),
        r("ReceivableSelector", Guid),
        r("ReceivableSelectorFullName", Text),
        r("Source", Int32),
        r("Status", Int16),
        r("TransactionAmountDC", Double),
        r("TransactionAmountFC", Double),
        r("TransactionDueDate", DateTime),
        r("TransactionEntryID", Guid),
        r("TransactionID", Guid),
        r("TransactionIsReversal", Boolean),
        r("TransactionReportingPeriod", Int16),
        r("TransactionReportingYear", Int16),
        r("TransactionStatus", Int16),
        r("TransactionType", Int32),
        r("YourRef", Text),
    ],
};

/// read/financial/ReceivablesList: 17 properties, 17 of them read-only.
pub(crate) static RECEIVABLES_LIST_ITEM: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Financial.ReceivablesListItem",
    key: "HID",
    fields: &[
        r("HID", Int64),
        r("AccountCode", Text),
        r("AccountId", Guid),
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
        r("Notes", Nav),
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

/// The header properties shared by financialtransaction/BankEntries and CashEntries, with
/// the name of its lines' navigation property. From Exact's reference pages
/// `FinancialTransactionBankEntries` / `FinancialTransactionCashEntries` (POST lists the
/// header's writable properties; the lines are posted with the header, never on their own).
macro_rules! financial_entry_fields {
    ($lines:literal) => {
        &[
            w("EntryID", Guid),
            w($lines, Nav),
            r("ClosingBalanceFC", Double),
            r("Created", DateTime),
            w("Currency", Text),
            r("Division", Int32),
            w("EntryNumber", Int32),
            w("FinancialPeriod", Int16),
            w("FinancialYear", Int16),
            w("JournalCode", Text),
            r("JournalDescription", Text),
            r("Modified", DateTime),
            w("OpeningBalanceFC", Double),
            r("Status", Int16),
            r("StatusDescription", Text),
        ]
    };
}

/// financialtransaction/BankEntries (the bank statement header).
pub(crate) static BANK_ENTRY: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Financial.BankEntry",
    key: "EntryID",
    fields: financial_entry_fields!("BankEntryLines"),
};

/// financialtransaction/CashEntries (the cash book header).
pub(crate) static CASH_ENTRY: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Financial.CashEntry",
    key: "EntryID",
    fields: financial_entry_fields!("CashEntryLines"),
};

/// The line properties of financialtransaction/BankEntryLines and CashEntryLines
/// (`OurRef` is the invoice number the line settles).
const FINANCIAL_LINE_FIELDS: &[Field] = &[
    w("ID", Guid),
    w("Account", Guid),
    r("AccountCode", Text),
    r("AccountName", Text),
    w("AmountDC", Double),
    w("AmountFC", Double),
    w("AmountVATFC", Double),
    w("Asset", Guid),
    w("CostCenter", Text),
    w("CostUnit", Text),
    r("Created", DateTime),
    w("Date", DateTime),
    w("Description", Text),
    r("Division", Int32),
    w("Document", Guid),
    w("EntryID", Guid),
    r("EntryNumber", Int32),
    w("ExchangeRate", Double),
    w("GLAccount", Guid),
    r("GLAccountCode", Text),
    r("GLAccountDescription", Text),
    r("LineNumber", Int32),
    r("Modified", DateTime),
    w("Notes", Text),
    w("OffsetID", Guid),
    w("OurRef", Int32),
    w("Project", Guid),
    w("Quantity", Double),
    w("VATCode", Text),
];

/// financialtransaction/BankEntryLines.
pub(crate) static BANK_ENTRY_LINE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Financial.BankEntryLine",
    key: "ID",
    fields: FINANCIAL_LINE_FIELDS,
};

/// financialtransaction/CashEntryLines.
pub(crate) static CASH_ENTRY_LINE: EntitySchema = EntitySchema {
    type_name: "Exact.Web.Api.Models.Financial.CashEntryLine",
    key: "ID",
    fields: FINANCIAL_LINE_FIELDS,
};

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
