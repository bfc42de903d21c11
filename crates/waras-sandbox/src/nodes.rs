//! The stanza vocabulary every part of the sandbox speaks: IQ answers and errors, attribute and
//! child readers, fresh ids.

use rand::Rng;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

pub(crate) const SERVER: &str = "s.whatsapp.net";

pub(crate) fn new_id() -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("sbx-{n:016x}")
}

pub(crate) fn attr(node: &Node, key: &str) -> Option<String> {
    node.attrs.get(key).map(|v| v.as_str().into_owned())
}

pub(crate) fn child_bytes<'a>(node: &'a Node, tag: &str) -> Option<&'a [u8]> {
    match &node.get_optional_child(tag)?.content {
        Some(NodeContent::Bytes(b)) => Some(b),
        _ => None,
    }
}

/// `<iq type="result">` for `request` with `children`.
pub(crate) fn result(request: &Node, children: Vec<Node>) -> Node {
    let mut b = NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "result")
        .attr("id", attr(request, "id").unwrap_or_default());
    if !children.is_empty() {
        b = b.children(children);
    }
    b.build()
}

pub(crate) fn error(request: &Node, code: u16, text: &str) -> Node {
    NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "error")
        .attr("id", attr(request, "id").unwrap_or_default())
        .children([NodeBuilder::new("error")
            .attr("code", code.to_string())
            .attr("text", text)
            .build()])
        .build()
}
