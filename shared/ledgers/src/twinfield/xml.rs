//! Twinfield's XML as a small tree, read and written with `quick-xml` (never by string
//! concatenation): what Koppel sends (ProcessXml documents, SOAP envelopes) is built as
//! [`Element`]s and written by [`Element::to_xml`]; what Twinfield answers is parsed into
//! [`Element`]s by [`parse`], so a `result`/`msgtype`/`msg` attribute is found at any depth.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer, XmlVersion};

/// One XML element: its (local) name, attributes, text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name (namespace prefix removed).
    pub name: String,
    /// Attributes in order (local names).
    pub attributes: Vec<(String, String)>,
    /// Text and CDATA inside it, unescaped and joined.
    pub text: String,
    /// Child elements in order.
    pub children: Vec<Element>,
}

/// A document Koppel could not read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not readable as XML: {0}")]
pub struct XmlError(pub String);

impl Element {
    /// An empty element called `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// This element with attribute `name` = `value`.
    pub fn attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attributes.push((name.to_owned(), value.into()));
        self
    }

    /// This element with `child` appended.
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// This element with a child `name` holding `text`.
    pub fn leaf(self, name: &str, text: impl Into<String>) -> Self {
        let mut leaf = Element::new(name);
        leaf.text = text.into();
        self.child(leaf)
    }

    /// This element with a child `name` holding `text`, when there is one.
    pub fn leaf_if(self, name: &str, text: Option<impl Into<String>>) -> Self {
        match text {
            Some(text) => self.leaf(name, text),
            None => self,
        }
    }

    /// The attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first child called `name`.
    pub fn first(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child called `name` (empty text counts as none).
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.first(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// This element and every element below it, depth first.
    pub fn walk(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }

    /// The messages of `msgtype` ("error", "warning") on this element or below it.
    pub fn messages(&self, msgtype: &str) -> Vec<String> {
        self.walk()
            .into_iter()
            .filter(|e| e.attribute("msgtype") == Some(msgtype))
            .filter_map(|e| e.attribute("msg"))
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect()
    }

    /// The document as XML text.
    pub fn to_xml(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        self.write(&mut writer);
        String::from_utf8_lossy(&writer.into_inner()).into_owned()
    }

    fn write(&self, writer: &mut Writer<Vec<u8>>) {
        let mut start = BytesStart::new(self.name.as_str());
        for (key, value) in &self.attributes {
            start.push_attribute((key.as_str(), value.as_str()));
        }
        // Writing to a Vec cannot fail.
        let _ = writer.write_event(Event::Start(start));
        if !self.text.is_empty() {
            let _ = writer.write_event(Event::Text(BytesText::new(&self.text)));
        }
        for child in &self.children {
            child.write(writer);
        }
        let _ = writer.write_event(Event::End(BytesEnd::new(self.name.as_str())));
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_owned(),
        None => name.to_owned(),
    }
}

fn start_element(start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut element = Element::new(&local(start.name().into_inner()));
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError(e.to_string()))?;
        let name = attribute.key.into_inner();
        if name.starts_with("xmlns") {
            continue;
        }
        let key = local(name);
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| XmlError(e.to_string()))?
            .into_owned();
        element.attributes.push((key, value));
    }
    Ok(element)
}

/// Parse `xml` into its root element.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => stack.push(start_element(&start)?),
            Ok(Event::Empty(start)) => {
                let element = start_element(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Ok(Event::Text(text)) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Ok(Event::GeneralRef(reference)) => {
                if let Some(current) = stack.last_mut() {
                    let name = reference.to_string();
                    let resolved = match name.as_str() {
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "amp" => "&".to_owned(),
                        "apos" => "'".to_owned(),
                        "quot" => "\"".to_owned(),
                        other => match reference.resolve_char_ref() {
                            Ok(Some(c)) => c.to_string(),
                            _ => return Err(XmlError(format!("unknown entity &{other};"))),
                        },
                    };
                    current.text.push_str(&resolved);
                }
            }
            Ok(Event::CData(data)) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data.into_inner());
                }
            }
            Ok(Event::End(_)) => {
                let Some(done) = stack.pop() else {
                    return Err(XmlError("an end tag without a start".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(error) => return Err(XmlError(error.to_string())),
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("the document ends inside an element".into()));
    }
    root.ok_or_else(|| XmlError("no element".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_documents_are_escaped_and_parse_back() {
        let doc = Element::new("transactions").child(
            Element::new("transaction")
                .attr("destiny", "temporary")
                .child(Element::new("header").leaf("invoicenumber", "2026 / <17> & co")),
        );
        let xml = doc.to_xml();
        assert!(xml.contains("2026 / &lt;17&gt; &amp; co"), "{xml}");
        let back = parse(&xml).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn messages_are_found_at_any_depth_and_namespaces_dropped() {
        let xml = r#"<s:Envelope xmlns:s="x"><transactions result="0"><transaction result="0" msgtype="error" msg="De boeking is niet in balans."><header><date msgtype="warning" msg="Datum valt buiten de periode." result="0">20260725</date></header></transaction></transactions></s:Envelope>"#;
        let root = parse(xml).unwrap();
        assert_eq!(root.name, "Envelope");
        assert_eq!(
            root.messages("error"),
            vec!["De boeking is niet in balans."]
        );
        assert_eq!(
            root.messages("warning"),
            vec!["Datum valt buiten de periode."]
        );
    }

    #[test]
    fn escaped_and_cdata_text_are_read() {
        let escaped = parse("<r>&lt;a b=\"1\"/&gt;</r>").unwrap();
        assert_eq!(escaped.text, "<a b=\"1\"/>");
        let cdata = parse("<r><![CDATA[<a/>]]></r>").unwrap();
        assert_eq!(cdata.text, "<a/>");
        assert!(parse("<r><a></r>").is_err());
        assert!(parse("not xml at all <").is_err());
    }
}
