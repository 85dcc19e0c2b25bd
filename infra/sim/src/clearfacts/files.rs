//! What an uploaded file is, by its content (never by its name): a PDF (`%PDF-`), a JPEG
//! (`FF D8 FF`) or a UBL `Invoice` / `CreditNote` whose `cbc:CustomizationID` is Peppol BIS
//! Billing 3.0, UBL.BE or E-FFF. Anything else is refused.

use chrono::NaiveDate;
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::model::FileKind;

/// The refusal every unsupported file gets.
pub const UNSUPPORTED_FILE: &str =
    "Unsupported file: upload a PDF, a JPEG or a Peppol BIS 3 / UBL.BE XML";

/// UBL 2.1 invoice namespace.
pub const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// UBL 2.1 credit note namespace.
pub const UBL_CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// UBL common basic components (`cbc:`).
pub const UBL_CBC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
/// What a Peppol BIS Billing 3.0 `CustomizationID` contains.
pub const PEPPOL_BIS3_MARK: &str = "urn:fdc:peppol.eu:2017:poacc:billing:3.0";
/// What a UBL.BE `CustomizationID` contains.
pub const UBL_BE_MARK: &str = "urn:UBL.BE:";

/// The facts read from a UBL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UblFacts {
    /// `Invoice` or `CreditNote`.
    pub root: String,
    /// `cbc:ID`.
    pub id: Option<String>,
    /// `cbc:CustomizationID`.
    pub customization_id: Option<String>,
    /// `cbc:IssueDate`.
    pub issue_date: Option<NaiveDate>,
}

/// What an accepted file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// PDF, JPEG or XML.
    pub kind: FileKind,
    /// `amountOfPages`: 1 for XML and JPEG, the page objects of a PDF (at least 1).
    pub pages: u32,
    /// For XML: root, number, customization and date.
    pub ubl: Option<UblFacts>,
}

/// A file Clearfacts does not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{UNSUPPORTED_FILE}")]
pub struct UnsupportedFile {
    /// Why, for the simulator's log.
    pub reason: String,
}

fn unsupported(reason: impl Into<String>) -> UnsupportedFile {
    UnsupportedFile {
        reason: reason.into(),
    }
}

/// Recognise a file by its bytes.
pub fn detect(bytes: &[u8]) -> Result<Detected, UnsupportedFile> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(Detected {
            kind: FileKind::Pdf,
            pages: pdf_pages(bytes).max(1),
            ubl: None,
        });
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Detected {
            kind: FileKind::Jpeg,
            pages: 1,
            ubl: None,
        });
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let starts_like_xml = text
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<');
    if !starts_like_xml {
        return Err(unsupported("neither PDF, JPEG nor XML"));
    }
    let text = std::str::from_utf8(text).map_err(|_| unsupported("XML is not UTF-8"))?;
    let facts = ubl_facts(text)?;
    let customization = facts.customization_id.as_deref().unwrap_or_default();
    let known = customization.contains(PEPPOL_BIS3_MARK)
        || customization.contains(UBL_BE_MARK)
        || customization.to_ascii_lowercase().contains("efff");
    if !known {
        return Err(unsupported(format!(
            "CustomizationID {customization:?} is not Peppol BIS 3, UBL.BE or E-FFF"
        )));
    }
    Ok(Detected {
        kind: FileKind::Xml,
        pages: 1,
        ubl: Some(facts),
    })
}

/// Count `/Type /Page` objects (not `/Pages`). Pages inside compressed object streams are not
/// seen; the caller answers at least 1.
pub fn pdf_pages(bytes: &[u8]) -> u32 {
    const TYPE: &[u8] = b"/Type";
    const PAGE: &[u8] = b"/Page";
    let mut count = 0;
    let mut at = 0;
    while let Some(offset) = find(&bytes[at..], TYPE) {
        let mut i = at + offset + TYPE.len();
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        if bytes[i..].starts_with(PAGE) {
            let next = bytes.get(i + PAGE.len());
            if !next.is_some_and(|b| b.is_ascii_alphanumeric()) {
                count += 1;
            }
        }
        at = i.max(at + offset + 1);
    }
    count
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Which child of the root is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Id,
    CustomizationId,
    IssueDate,
}

/// The root's local name when it is a UBL invoice or credit note in its namespace.
fn root_name(namespace: &str, local: &str) -> Result<String, UnsupportedFile> {
    let local = local.to_owned();
    let expected = match local.as_str() {
        "Invoice" => UBL_INVOICE_NS,
        "CreditNote" => UBL_CREDIT_NOTE_NS,
        _ => return Err(unsupported(format!("root element {local} is not UBL"))),
    };
    if namespace != expected {
        return Err(unsupported(format!(
            "root {local} is in namespace {namespace:?}, not {expected}"
        )));
    }
    Ok(local)
}

/// Read the root and the header fields of a UBL invoice or credit note.
fn ubl_facts(text: &str) -> Result<UblFacts, UnsupportedFile> {
    let mut reader = NsReader::from_str(text);
    let mut depth = 0usize;
    let mut root: Option<String> = None;
    let mut capture: Option<(Capture, String)> = None;
    let (mut id, mut customization_id, mut issue_date) = (None, None, None);
    loop {
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|e| unsupported(format!("malformed XML: {e}")))?;
        let namespace = match namespace {
            ResolveResult::Bound(ns) => ns.as_ref().to_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(start) | Event::Empty(start) if depth == 0 && root.is_some() => {
                let local = start.local_name().as_ref().to_owned();
                return Err(unsupported(format!("a second root element {local}")));
            }
            Event::Start(start) if depth == 0 => {
                root = Some(root_name(&namespace, start.local_name().as_ref())?);
                depth = 1;
            }
            Event::Empty(start) if depth == 0 => {
                root = Some(root_name(&namespace, start.local_name().as_ref())?);
            }
            Event::Start(start) => {
                if depth == 1 && namespace == UBL_CBC_NS {
                    let which = match start.local_name().as_ref() {
                        "ID" if id.is_none() => Some(Capture::Id),
                        "CustomizationID" if customization_id.is_none() => {
                            Some(Capture::CustomizationId)
                        }
                        "IssueDate" if issue_date.is_none() => Some(Capture::IssueDate),
                        _ => None,
                    };
                    capture = which.map(|w| (w, String::new()));
                }
                depth += 1;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1
                    && let Some((which, value)) = capture.take()
                {
                    let value = value.trim().to_owned();
                    match which {
                        Capture::Id => id = Some(value),
                        Capture::CustomizationId => customization_id = Some(value),
                        Capture::IssueDate => {
                            issue_date = NaiveDate::parse_from_str(&value, "%Y-%m-%d").ok();
                        }
                    }
                }
            }
            Event::Text(content) => {
                if let Some((_, value)) = capture.as_mut() {
                    let raw = content.xml10_content();
                    let unescaped = quick_xml::escape::unescape(&raw)
                        .map_err(|e| unsupported(format!("malformed XML: {e}")))?;
                    value.push_str(&unescaped);
                }
            }
            Event::CData(data) => {
                if let Some((_, value)) = capture.as_mut() {
                    value.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, value)) = capture.as_mut() {
                    let entity = format!("&{};", &*reference);
                    let resolved = quick_xml::escape::unescape(&entity)
                        .map_err(|e| unsupported(format!("malformed XML: {e}")))?;
                    value.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Empty(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::Comment(_)
            | Event::DocType(_) => {}
        }
    }
    let root = root.ok_or_else(|| unsupported("no root element"))?;
    if depth != 0 {
        return Err(unsupported("unclosed elements"));
    }
    Ok(UblFacts {
        root,
        id,
        customization_id,
        issue_date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIS3: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ID>F2026-0042 &amp; co</cbc:ID>
  <cbc:IssueDate>2026-09-15</cbc:IssueDate>
  <cac:AccountingSupplierParty><cac:Party><cbc:ID>not the number</cbc:ID></cac:Party></cac:AccountingSupplierParty>
</Invoice>"#;

    #[test]
    fn a_peppol_invoice_gives_its_number_and_date() {
        let detected = detect(BIS3.as_bytes()).expect("accepted");
        assert_eq!(detected.kind, FileKind::Xml);
        assert_eq!(detected.pages, 1);
        let ubl = detected.ubl.expect("facts");
        assert_eq!(ubl.root, "Invoice");
        assert_eq!(ubl.id.as_deref(), Some("F2026-0042 & co"));
        assert_eq!(ubl.issue_date, NaiveDate::from_ymd_opt(2026, 9, 15));
    }

    #[test]
    fn ubl_be_credit_notes_pass_and_other_xml_does_not() {
        let credit_note = r#"<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:CustomizationID>urn:cen.eu:en16931:2017#conformant#urn:UBL.BE:1.0.0.20180214</cbc:CustomizationID><cbc:ID>CN-1</cbc:ID></CreditNote>"#;
        let detected = detect(credit_note.as_bytes()).expect("accepted");
        assert_eq!(detected.ubl.map(|u| u.root), Some("CreditNote".to_owned()));
        let other_customization =
            BIS3.replace("urn:fdc:peppol.eu:2017:poacc:billing:3.0", "urn:other");
        assert!(detect(other_customization.as_bytes()).is_err());
        let wrong_namespace = BIS3.replace("xsd:Invoice-2\"", "xsd:Order-2\"");
        assert!(detect(wrong_namespace.as_bytes()).is_err());
        assert!(detect(b"<html><body>hi</body></html>").is_err());
        assert!(detect(b"<Invoice").is_err());
        assert!(detect(b"plain text").is_err());
        assert_eq!(
            detect(b"plain text").map_err(|e| e.to_string()),
            Err(UNSUPPORTED_FILE.to_owned())
        );
    }

    #[test]
    fn pdf_pages_and_jpeg() {
        let pdf = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>> endobj\n3 0 obj <</Type /Page>> endobj\n4 0 obj <</Type/Page /Parent 2 0 R>> endobj\n%%EOF";
        let detected = detect(pdf).expect("pdf");
        assert_eq!((detected.kind, detected.pages), (FileKind::Pdf, 2));
        assert_eq!(detect(b"%PDF-1.7\n%%EOF").map(|d| d.pages), Ok(1));
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        assert_eq!(detect(&jpeg).map(|d| d.kind), Ok(FileKind::Jpeg));
    }
}
