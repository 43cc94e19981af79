//! Our C14N 1.1 path (xml-sec, with the three hash exclusions) against
//! libxml2's `xmllint --c14n11`, on ZATCA's files, on ours, on hand-picked
//! edge cases and on generated documents. Skips when xmllint is absent.

// Linux-only: Debian's xmllint, which the Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{sdk_certificate, sdk_key, xml_files_under};
use fatoora_compliance_docs::{SellerProfile, generate_documents, hash_pre_image};
use fatoora_base::reference::zatca_reference_dir_or_skip;
use fatoora_base::values::InvoiceTypes;
use proptest::prelude::*;

fn xmllint_c14n11(xml: &str) -> Option<Vec<u8>> {
    let mut child = Command::new("xmllint")
        .arg("--c14n11")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "xmllint --c14n11 refused:\n{xml}\n{}", String::from_utf8_lossy(&output.stderr));
    Some(output.stdout)
}

fn xmllint_present(test: &str) -> bool {
    let present = Command::new("xmllint").arg("--version").output().is_ok();
    if !present {
        fatoora_base::skip::skip(format_args!("{test}: xmllint is not installed (apt-get install libxml2-utils)"));
    }
    present
}

/// Cuts the three hash exclusions out by plain text search, independently
/// of the DOM walk the library does.
fn without_excluded_elements(xml: &str) -> String {
    let mut text = xml.to_string();
    for (open, close) in [("<ext:UBLExtensions>", "</ext:UBLExtensions>"), ("<cac:Signature>", "</cac:Signature>")] {
        if let (Some(start), Some(end)) = (text.find(open), text.find(close)) {
            text.replace_range(start..end + close.len(), "");
        }
    }
    if let Some(qr) = text.find("<cbc:ID>QR</cbc:ID>") {
        let open = "<cac:AdditionalDocumentReference>";
        let close = "</cac:AdditionalDocumentReference>";
        let start = text[..qr].rfind(open).unwrap();
        let end = qr + text[qr..].find(close).unwrap() + close.len();
        text.replace_range(start..end, "");
    }
    text
}

/// `xmllint --c14n11` always keeps comments; ZATCA's transform
/// (`.../xml-c14n11`) drops them, so they leave the input first. None of the
/// inputs has `<!--` inside CDATA or an attribute.
fn without_comments(xml: &str) -> String {
    let mut text = xml.to_string();
    while let Some(start) = text.find("<!--") {
        let end = start + text[start..].find("-->").unwrap() + 3;
        text.replace_range(start..end, "");
    }
    text
}

fn assert_same_as_xmllint(name: &str, xml: &str) {
    let ours = hash_pre_image(xml).unwrap();
    let theirs = xmllint_c14n11(&without_comments(&without_excluded_elements(xml))).unwrap();
    assert!(ours == theirs, "{name}: ours and xmllint differ\nours:   {}\nxmllint: {}", String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
}

#[test]
fn zatca_files_and_ours_canonicalize_as_xmllint_does() {
    let test = "zatca_files_and_ours_canonicalize_as_xmllint_does";
    let Some(reference) = zatca_reference_dir_or_skip(test) else { return };
    if !xmllint_present(test) {
        return;
    }
    let mut count = 0;
    for dir in ["sdk/Samples", "sdk/ErrorSamples"] {
        for file in xml_files_under(&reference.join(dir)) {
            assert_same_as_xmllint(&file.display().to_string(), &std::fs::read_to_string(&file).unwrap());
            count += 1;
        }
    }
    let seller = SellerProfile::from_sdk_config(&std::fs::read_to_string(reference.join("sdk/Input/csr-config-example-AR.properties")).unwrap()).unwrap();
    for document in generate_documents(&seller, &sdk_certificate(&reference), &sdk_key(&reference), InvoiceTypes::Both).unwrap() {
        assert_same_as_xmllint(document.kind.slug(), &document.xml);
        count += 1;
    }
    assert_eq!(count, 19 + 6 + 6);
}

/// Cases where canonical XML differs from the input: attribute order,
/// namespace declarations, escaping, line ends, comments, PIs, CDATA,
/// character references and empty elements.
const EDGE_CASES: &[&str] = &[
    r#"<a b="2" a="1" xmlns:z="urn:z" xmlns:a="urn:a" z:c="3" a:d="4"/>"#,
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- before -->\n<root><!-- inside --><?pi  data ?></root>\n<!-- after -->\n<?tail?>",
    r#"<r xmlns="urn:d"><c xmlns=""><d xmlns="urn:d"/></c></r>"#,
    r#"<r xmlns:p="urn:p"><p:c xmlns:p="urn:p"><p:d xmlns:p="urn:q"/></p:c></r>"#,
    "<r a=\"tab\tnl\nlt&lt;amp&amp;quot&quot;gt&gt;\">text &lt; &amp; &gt; \" ' </r>",
    "<r>line\r\nend\rcr&#13;&#xD;</r>",
    "<r><![CDATA[<not> & markup]]></r>",
    "<r>&#65;&#x42;&#x10000;&#x627;</r>",
    "<r xml:lang=\"ar\" xml:space=\"preserve\"><c xml:lang=\"en\">  spaces  </c></r>",
    "<r>\n    <c>شركة | Co</c>\n\t<e></e><f/>\n</r>",
    r#"<r a='single "quoted"' b="x&#9;y&#10;z&#13;"/>"#,
    r#"<p:r xmlns:p="urn:p" xmlns:q="urn:q" q:b="1" p:a="2" c="3"><q:c/></p:r>"#,
];

#[test]
fn edge_cases_canonicalize_as_xmllint_does() {
    if !xmllint_present("edge_cases_canonicalize_as_xmllint_does") {
        return;
    }
    for (index, xml) in EDGE_CASES.iter().enumerate() {
        assert_same_as_xmllint(&format!("edge case {index}"), xml);
    }
}

#[derive(Debug, Clone)]
struct Element {
    prefix: Option<usize>,
    name: String,
    attributes: Vec<(Option<usize>, String, String)>,
    children: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Element(Element),
    Text(String),
    Comment(String),
}

const PREFIXES: [(&str, &str); 3] = [("cac", "urn:a"), ("cbc", "urn:b"), ("x", "urn:c")];

fn escape(text: &str, quote: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quote => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
    out
}

fn qualified(prefix: Option<usize>, name: &str) -> String {
    match prefix {
        Some(index) => format!("{}:{name}", PREFIXES[index].0),
        None => name.to_string(),
    }
}

fn serialize(element: &Element, root: bool, out: &mut String) {
    out.push('<');
    out.push_str(&qualified(element.prefix, &element.name));
    if root {
        for (prefix, uri) in PREFIXES {
            out.push_str(&format!(r#" xmlns:{prefix}="{uri}""#));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (prefix, name, value) in &element.attributes {
        let attribute = qualified(*prefix, name);
        let expanded = (prefix.map(|index| PREFIXES[index].1), name.clone());
        if seen.insert(expanded) {
            out.push_str(&format!(r#" {attribute}="{}""#, escape(value, true)));
        }
    }
    if element.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for child in &element.children {
        match child {
            Node::Element(child) => serialize(child, false, out),
            Node::Text(text) => out.push_str(&escape(text, false)),
            Node::Comment(text) => out.push_str(&format!("<!--{text}-->")),
        }
    }
    out.push_str(&format!("</{}>", qualified(element.prefix, &element.name)));
}

fn text_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('a'), Just(' '), Just('\n'), Just('\t'), Just('\r'), Just('&'), Just('<'), Just('>'), Just('"'), Just('\''),
            Just('م'), Just('ة'), Just('|'), Just('€'), Just('7'),
        ],
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![Just("ID"), Just("Name"), Just("Amount"), Just("a"), Just("b"), Just("zz")].prop_map(str::to_string)
}

fn element_strategy() -> impl Strategy<Value = Element> {
    let leaf = (proptest::option::of(0..3usize), name_strategy(), proptest::collection::vec((proptest::option::of(0..3usize), name_strategy(), text_strategy()), 0..4))
        .prop_map(|(prefix, name, attributes)| Element { prefix, name, attributes, children: Vec::new() });
    leaf.prop_recursive(4, 40, 5, |inner| {
        (
            proptest::option::of(0..3usize),
            name_strategy(),
            proptest::collection::vec((proptest::option::of(0..3usize), name_strategy(), text_strategy()), 0..3),
            proptest::collection::vec(
                prop_oneof![
                    inner.prop_map(Node::Element),
                    text_strategy().prop_map(Node::Text),
                    "[a-z ]{0,6}".prop_map(Node::Comment),
                ],
                0..5,
            ),
        )
            .prop_map(|(prefix, name, attributes, children)| Element { prefix, name, attributes, children })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn generated_documents_canonicalize_as_xmllint_does(root in element_strategy()) {
        if !xmllint_present("generated_documents_canonicalize_as_xmllint_does") {
            return Ok(());
        }
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        serialize(&root, true, &mut xml);
        assert_same_as_xmllint("generated", &xml);
    }
}
