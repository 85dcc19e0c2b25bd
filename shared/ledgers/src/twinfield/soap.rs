//! The SOAP envelope, in one place: Twinfield's two calls (`ProcessXmlString` on
//! `processxml.asmx`, `Search` on `finder.asmx`) wrapped with the header that carries the
//! access token and the office (`CompanyCode`), and their answers unwrapped — the
//! ProcessXml result (an escaped XML string, or CDATA) parsed, a finder result read into
//! rows, a SOAP fault turned into its words.

use super::xml::{Element, XmlError, parse};

/// Twinfield's namespace.
pub const NAMESPACE: &str = "http://www.twinfield.com/";

/// The SOAP 1.1 namespace.
pub const SOAP_NAMESPACE: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// SOAPAction of `ProcessXmlString`.
pub const PROCESS_XML_ACTION: &str = "\"http://www.twinfield.com/ProcessXmlString\"";

/// SOAPAction of the finder's `Search`.
pub const SEARCH_ACTION: &str = "\"http://www.twinfield.com/Search\"";

/// The envelope around `body`, with the header carrying `access_token` and `office`.
pub fn envelope(access_token: &str, office: &str, body: Element) -> String {
    let header = Element::new("Header")
        .attr("xmlns", NAMESPACE)
        .leaf("AccessToken", access_token)
        .leaf("CompanyCode", office);
    let document = Element::new("soap:Envelope")
        .attr("xmlns:soap", SOAP_NAMESPACE)
        .child(Element::new("soap:Header").child(header))
        .child(Element::new("soap:Body").child(body));
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>{}",
        document.to_xml()
    )
}

/// The body of a `ProcessXmlString` call for `request` (sent as an escaped string).
pub fn process_xml_body(request: &Element) -> Element {
    Element::new("ProcessXmlString")
        .attr("xmlns", NAMESPACE)
        .leaf("xmlRequest", request.to_xml())
}

/// The body of a finder `Search` call.
pub fn search_body(
    kind: &str,
    pattern: &str,
    first_row: u32,
    max_rows: u32,
    options: &[(&str, &str)],
) -> Element {
    let mut options_element = Element::new("options");
    for (name, value) in options {
        options_element = options_element.child(
            Element::new("ArrayOfString")
                .leaf("string", *name)
                .leaf("string", *value),
        );
    }
    Element::new("Search")
        .attr("xmlns", NAMESPACE)
        .leaf("type", kind)
        .leaf("pattern", pattern)
        .leaf("field", "0")
        .leaf("firstRow", first_row.to_string())
        .leaf("maxRows", max_rows.to_string())
        .child(options_element)
}

/// What a SOAP answer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoapAnswer {
    /// The call's result element (`ProcessXmlString`: the parsed inner document).
    Result(Element),
    /// A SOAP fault: its `faultstring`.
    Fault(String),
}

fn body_of(envelope: &Element) -> Option<&Element> {
    envelope.first("Body")
}

/// The `faultstring` of a SOAP fault in `text`, if it is one.
pub fn fault_of(text: &str) -> Option<String> {
    let envelope = parse(text).ok()?;
    let fault = body_of(&envelope)?.first("Fault")?;
    Some(
        fault
            .text_of("faultstring")
            .or_else(|| fault.first("Reason").and_then(|r| r.text_of("Text")))
            .unwrap_or("SOAP fault without a reason")
            .to_owned(),
    )
}

/// Read a `ProcessXmlString` answer: the inner document, parsed.
pub fn process_xml_answer(text: &str) -> Result<SoapAnswer, XmlError> {
    let envelope = parse(text)?;
    let body = body_of(&envelope).ok_or_else(|| XmlError("no SOAP body".into()))?;
    if let Some(fault) = body.first("Fault") {
        return Ok(SoapAnswer::Fault(
            fault
                .text_of("faultstring")
                .unwrap_or("SOAP fault")
                .to_owned(),
        ));
    }
    let result = body
        .first("ProcessXmlStringResponse")
        .and_then(|r| r.first("ProcessXmlStringResult"))
        .ok_or_else(|| XmlError("no ProcessXmlStringResult".into()))?;
    Ok(SoapAnswer::Result(parse(result.text.trim())?))
}

/// One page of a finder answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinderPage {
    /// Rows matching in all.
    pub total: u32,
    /// The rows of this page, each a list of column values.
    pub rows: Vec<Vec<String>>,
}

/// A finder refusal: its code (`InvalidFinderType`, `OptionMandatory`, …) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinderError {
    /// Code.
    pub code: String,
    /// Text.
    pub text: String,
}

/// Read a finder `Search` answer.
pub fn search_answer(text: &str) -> Result<Result<FinderPage, FinderError>, XmlError> {
    let envelope = parse(text)?;
    let body = body_of(&envelope).ok_or_else(|| XmlError("no SOAP body".into()))?;
    let response = body
        .first("SearchResponse")
        .ok_or_else(|| XmlError("no SearchResponse".into()))?;
    if let Some(error) = response
        .first("SearchResult")
        .and_then(|r| r.first("MessageOfErrorCodes"))
        .filter(|m| {
            m.text_of("Type")
                .is_none_or(|t| t.eq_ignore_ascii_case("error"))
        })
    {
        return Ok(Err(FinderError {
            code: error.text_of("Code").unwrap_or_default().to_owned(),
            text: error.text_of("Text").unwrap_or_default().to_owned(),
        }));
    }
    let Some(data) = response.first("data") else {
        return Ok(Ok(FinderPage::default()));
    };
    let total = data
        .text_of("TotalRows")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let rows = data
        .first("Items")
        .map(|items| {
            items
                .all("ArrayOfString")
                .map(|row| {
                    row.all("string")
                        .map(|s| s.text.trim().to_owned())
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Ok(FinderPage { total, rows }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_carries_token_office_and_the_escaped_request() {
        let request = Element::new("read")
            .leaf("type", "dimensions")
            .leaf("code", "10001");
        let text = envelope("tok&en", "NLA002058", process_xml_body(&request));
        let parsed = parse(&text).unwrap();
        let header = parsed.first("Header").unwrap().first("Header").unwrap();
        assert_eq!(header.text_of("AccessToken"), Some("tok&en"));
        assert_eq!(header.text_of("CompanyCode"), Some("NLA002058"));
        let inner = &parsed
            .first("Body")
            .unwrap()
            .first("ProcessXmlString")
            .unwrap();
        assert_eq!(
            parse(inner.text_of("xmlRequest").unwrap()).unwrap(),
            request,
            "the request travels as an escaped string"
        );
        assert!(text.contains("&lt;read&gt;"), "{text}");
    }

    #[test]
    fn answers_faults_and_finder_pages_are_read() {
        let answer = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ProcessXmlStringResponse xmlns="http://www.twinfield.com/"><ProcessXmlStringResult>&lt;dimension result="1"&gt;&lt;code&gt;10003&lt;/code&gt;&lt;/dimension&gt;</ProcessXmlStringResult></ProcessXmlStringResponse></soap:Body></soap:Envelope>"#;
        let SoapAnswer::Result(dimension) = process_xml_answer(answer).unwrap() else {
            panic!("a result");
        };
        assert_eq!(dimension.text_of("code"), Some("10003"));
        let fault = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Toegang geweigerd. Company ontbreekt in request header.</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
        assert_eq!(
            fault_of(fault).as_deref(),
            Some("Toegang geweigerd. Company ontbreekt in request header.")
        );
        let page = r#"<soap:Envelope xmlns:soap="x"><soap:Body><SearchResponse xmlns="http://www.twinfield.com/"><SearchResult/><data><TotalRows>3</TotalRows><Columns><string>Code</string></Columns><Items><ArrayOfString><string>VRK</string><string>Verkoop</string></ArrayOfString></Items></data></SearchResponse></soap:Body></soap:Envelope>"#;
        let page = search_answer(page).unwrap().unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(
            page.rows,
            vec![vec!["VRK".to_owned(), "Verkoop".to_owned()]]
        );
        let refused = r#"<soap:Envelope xmlns:soap="x"><soap:Body><SearchResponse xmlns="http://www.twinfield.com/"><SearchResult><MessageOfErrorCodes><Type>Error</Type><Text>Option dimtype is mandatory</Text><Code>OptionMandatory</Code></MessageOfErrorCodes></SearchResult></SearchResponse></soap:Body></soap:Envelope>"#;
        assert_eq!(
            search_answer(refused).unwrap().unwrap_err().code,
            "OptionMandatory"
        );
    }
}
