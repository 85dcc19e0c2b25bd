//! A small element tree read and written with `quick-xml`: Twinfield answers a ProcessXml
//! request by echoing it with `result`/`msgtype`/`msg` attributes at any depth, which is
//! easiest on a tree. Names keep their prefix; lookups go by local name.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// One XML element: name (with prefix), attributes, child elements and its own text
/// (the text, CDATA and entity references directly inside it, trimmed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// Qualified name as written (`soap:Envelope`).
    pub name: String,
    /// Attributes in document order, values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Node>,
    /// Text content, unescaped and trimmed.
    pub text: String,
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid XML: {0}")]
pub struct XmlError(pub String);

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

impl Node {
    /// An empty element.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// An element with text.
    pub fn text_node(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            ..Self::default()
        }
    }

    /// Builder: add an attribute.
    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder: add a child.
    pub fn with_child(mut self, child: Node) -> Self {
        self.children.push(child);
        self
    }

    /// Builder: add a text child `<name>text</name>`.
    pub fn with_text_child(self, name: &str, text: impl Into<String>) -> Self {
        self.with_child(Node::text_node(name, text))
    }

    /// The name without prefix.
    pub fn local_name(&self) -> &str {
        local(&self.name)
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.local_name() == name)
    }

    /// The first child with this local name, mutable.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.children.iter_mut().find(|c| c.local_name() == name)
    }

    /// Every child with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.local_name() == name)
    }

    /// The text of the first child with this name, when present and not empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// The first child with this name, created (appended) when absent.
    pub fn ensure_child(&mut self, name: &str) -> &mut Node {
        let position = match self.children.iter().position(|c| c.local_name() == name) {
            Some(position) => position,
            None => {
                self.children.push(Node::new(name));
                self.children.len() - 1
            }
        };
        &mut self.children[position]
    }

    /// Set the text of child `name` (created when absent).
    pub fn set_child_text(&mut self, name: &str, text: impl Into<String>) {
        self.ensure_child(name).text = text.into();
    }

    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| local(k) == name)
            .map(|(_, v)| v.as_str())
    }

    /// Set (or replace) an attribute.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name.to_owned(), value)),
        }
    }

    /// Mark the element with a message: `msgtype`, `msg` (joined with `//` to an earlier
    /// message, as Twinfield does) and `result="0"`.
    pub fn annotate(&mut self, msgtype: &str, msg: &str) {
        let joined = match self.attr("msg") {
            Some(earlier) if !earlier.is_empty() => format!("{earlier}//{msg}"),
            _ => msg.to_owned(),
        };
        let kind = if self.attr("msgtype") == Some("error") {
            "error"
        } else {
            msgtype
        };
        self.set_attr("msgtype", kind);
        self.set_attr("msg", joined);
        self.set_attr("result", "0");
    }

    /// Is there an element with `msgtype="error"` (`kind`) anywhere in this tree?
    pub fn has_message(&self, kind: &str) -> bool {
        self.attr("msgtype") == Some(kind) || self.children.iter().any(|c| c.has_message(kind))
    }

    /// Read a document's root element.
    pub fn parse(text: &str) -> Result<Node, XmlError> {
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Node> = Vec::new();
        loop {
            let event = reader.read_event().map_err(|e| XmlError(e.to_string()))?;
            match event {
                Event::Start(start) => stack.push(start_node(&start)?),
                Event::Empty(start) => {
                    let node = start_node(&start)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => return Ok(node),
                    }
                }
                Event::End(_) => {
                    let mut node = stack
                        .pop()
                        .ok_or_else(|| XmlError("unbalanced end tag".to_owned()))?;
                    node.text = node.text.trim().to_owned();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => return Ok(node),
                    }
                }
                Event::Text(text) => {
                    if let Some(node) = stack.last_mut() {
                        let raw = text.xml10_content();
                        let unescaped = quick_xml::escape::unescape(&raw)
                            .map_err(|e| XmlError(e.to_string()))?;
                        node.text.push_str(&unescaped);
                    }
                }
                Event::CData(data) => {
                    if let Some(node) = stack.last_mut() {
                        node.text.push_str(&data.xml10_content());
                    }
                }
                Event::GeneralRef(reference) => {
                    if let Some(node) = stack.last_mut() {
                        let entity = format!("&{};", &*reference);
                        let resolved = quick_xml::escape::unescape(&entity)
                            .map_err(|e| XmlError(e.to_string()))?;
                        node.text.push_str(&resolved);
                    }
                }
                Event::Eof => return Err(XmlError("no root element".to_owned())),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Write the element (no XML declaration).
    pub fn to_xml(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        // Writing into a Vec cannot fail.
        let _ = self.write(&mut writer);
        String::from_utf8(writer.into_inner()).unwrap_or_default()
    }

    /// Write the element as a document with an XML declaration.
    pub fn to_document(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        let declaration = BytesDecl::new("1.0", Some("utf-8"), None);
        // Writing into a Vec cannot fail.
        let _ = writer.write_event(Event::Decl(declaration));
        let _ = self.write(&mut writer);
        String::from_utf8(writer.into_inner()).unwrap_or_default()
    }

    fn write(&self, writer: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let mut start = BytesStart::new(self.name.as_str());
        for (k, v) in &self.attrs {
            start.push_attribute((k.as_str(), v.as_str()));
        }
        if self.children.is_empty() && self.text.is_empty() {
            return writer.write_event(Event::Empty(start));
        }
        writer.write_event(Event::Start(start))?;
        if !self.text.is_empty() {
            writer.write_event(Event::Text(BytesText::new(&self.text)))?;
        }
        for child in &self.children {
            child.write(writer)?;
        }
        writer.write_event(Event::End(BytesEnd::new(self.name.as_str())))
    }
}

fn start_node(start: &BytesStart<'_>) -> Result<Node, XmlError> {
    let name = AsRef::<str>::as_ref(&start.name()).to_owned();
    let mut node = Node::new(name);
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError(e.to_string()))?;
        let key = AsRef::<str>::as_ref(&attribute.key).to_owned();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| XmlError(e.to_string()))?
            .into_owned();
        node.attrs.push((key, value));
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_escaped_text_cdata_and_attributes() {
        let doc = r#"<a x="1 &amp; 2"><b>&lt;read&gt;&amp;</b><c><![CDATA[<x/>]]></c><d/></a>"#;
        let node = Node::parse(doc).unwrap();
        assert_eq!(node.attr("x"), Some("1 & 2"));
        assert_eq!(node.child_text("b"), Some("<read>&"));
        assert_eq!(node.child_text("c"), Some("<x/>"));
        let again = Node::parse(&node.to_xml()).unwrap();
        assert_eq!(again, node);
    }
}
