//! Run notes and model descriptions are markdown written by users: untrusted. They become
//! a small tree of known elements and text ([`Node`]) that the page turns into DOM nodes one
//! by one, never through an HTML parser. Raw HTML in the markdown is shown as text, links
//! keep only `http:`, `https:`, `mailto:` and in-page targets, and images are shown as
//! their description (a report opened from an email fetches nothing).

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A rendered piece of markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element of a fixed set of tags (never a name taken from the input).
    Element {
        /// Tag name: `p`, `h1`…`h6`, `ul`, `ol`, `li`, `em`, `strong`, `del`, `code`, `pre`,
        /// `blockquote`, `a`, `table`, `thead`, `tbody`, `tr`, `th`, `td`, `hr`, `br`, `span`.
        tag: &'static str,
        /// `href` of a link, when it is safe.
        href: Option<String>,
        /// Children.
        children: Vec<Node>,
    },
    /// Text, shown as is.
    Text(String),
    /// The text of a fenced code block whose info string is `runlens`: a live table or
    /// chart in a narrative page (see `pages`); elsewhere shown as code.
    Embed(String),
}

impl Node {
    fn element(tag: &'static str) -> Node {
        Node::Element {
            tag,
            href: None,
            children: Vec::new(),
        }
    }

    fn push(&mut self, child: Node) {
        if let Node::Element { children, .. } = self {
            // Adjacent text merges, so raw HTML split into events reads as one string.
            if let (Node::Text(text), Some(Node::Text(last))) = (&child, children.last_mut()) {
                last.push_str(text);
                return;
            }
            children.push(child);
        }
    }
}

/// Renders `text` into the children of a root element.
pub fn render(text: &str) -> Vec<Node> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut stack: Vec<Node> = vec![Node::element("div")];
    let mut in_table_head = false;
    // The text of a `runlens` fenced block being read.
    let mut embed: Option<String> = None;
    for event in Parser::new_ext(text, options) {
        if let Some(body) = embed.as_mut() {
            match event {
                Event::End(TagEnd::CodeBlock) => {
                    let body = embed.take().unwrap_or_default();
                    top(&mut stack).push(Node::Embed(body));
                }
                Event::Text(text) => body.push_str(&text),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.split_whitespace().next() == Some("runlens") =>
            {
                embed = Some(String::new());
            }
            Event::Start(tag) => {
                let node = match tag {
                    Tag::TableHead => {
                        in_table_head = true;
                        Node::element("thead")
                    }
                    Tag::TableCell if in_table_head => Node::element("th"),
                    Tag::Link { dest_url, .. } => Node::Element {
                        tag: "a",
                        href: safe_href(&dest_url),
                        children: Vec::new(),
                    },
                    other => Node::element(tag_name(&other)),
                };
                stack.push(node);
            }
            Event::End(end) => {
                if end == TagEnd::TableHead {
                    in_table_head = false;
                }
                if stack.len() > 1 {
                    let node = stack.pop().expect("len checked");
                    let parent = stack.last_mut().expect("root stays");
                    parent.push(node);
                }
            }
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                top(&mut stack).push(Node::Text(text.into_string()));
            }
            Event::Code(code) => {
                let mut node = Node::element("code");
                node.push(Node::Text(code.into_string()));
                top(&mut stack).push(node);
            }
            Event::InlineMath(math) | Event::DisplayMath(math) => {
                top(&mut stack).push(Node::Text(math.into_string()));
            }
            Event::SoftBreak => top(&mut stack).push(Node::Text("\n".into())),
            Event::HardBreak => top(&mut stack).push(Node::element("br")),
            Event::Rule => top(&mut stack).push(Node::element("hr")),
            Event::TaskListMarker(done) => {
                top(&mut stack).push(Node::Text(if done { "☑ " } else { "☐ " }.into()));
            }
            Event::FootnoteReference(label) => {
                top(&mut stack).push(Node::Text(format!("[{label}]")));
            }
        }
    }
    // Unbalanced input cannot happen with pulldown-cmark, but fold anything left anyway.
    while stack.len() > 1 {
        let node = stack.pop().expect("len checked");
        top(&mut stack).push(node);
    }
    match stack.pop() {
        Some(Node::Element { children, .. }) => children,
        _ => Vec::new(),
    }
}

fn top(stack: &mut [Node]) -> &mut Node {
    stack.last_mut().expect("the root is never popped")
}

fn tag_name(tag: &Tag<'_>) -> &'static str {
    match tag {
        Tag::Paragraph => "p",
        Tag::Heading { level, .. } => match *level as usize {
            1 => "h1",
            2 => "h2",
            3 => "h3",
            4 => "h4",
            5 => "h5",
            _ => "h6",
        },
        Tag::BlockQuote(_) => "blockquote",
        Tag::CodeBlock(_) => "pre",
        Tag::List(Some(_)) => "ol",
        Tag::List(None) => "ul",
        Tag::Item => "li",
        Tag::Emphasis => "em",
        Tag::Strong => "strong",
        Tag::Strikethrough => "del",
        Tag::Table(_) => "table",
        Tag::TableRow => "tr",
        Tag::TableCell => "td",
        // An image is shown as its description: nothing is fetched.
        Tag::Image { .. } => "span",
        // Raw HTML blocks: their text is shown, in a block.
        Tag::HtmlBlock => "pre",
        _ => "span",
    }
}

/// The link target when it cannot run script or leave the page unexpectedly: `http(s):`,
/// `mailto:` and `#fragment` only (relative paths would resolve against the report's own
/// location, which holds nothing a note could mean).
pub fn safe_href(url: &str) -> Option<String> {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        || (trimmed.starts_with('#') && trimmed.len() > 1);
    // Control characters and whitespace inside a URL are how scheme filters get fooled.
    let clean = !trimmed.chars().any(|c| c.is_control() || c.is_whitespace());
    (allowed && clean).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text(t) | Node::Embed(t) => t.clone(),
                Node::Element { children, .. } => text_of(children),
            })
            .collect()
    }

    fn tags(nodes: &[Node], out: &mut Vec<&'static str>) {
        for n in nodes {
            if let Node::Element { tag, children, .. } = n {
                out.push(tag);
                tags(children, out);
            }
            if let Node::Embed(_) = n {
                out.push("embed");
            }
        }
    }

    #[test]
    fn markdown_becomes_known_elements() {
        let nodes = render("# Grid search\nTwo *children*, one per `lr`.\n\n- a\n- **b**");
        let mut seen = Vec::new();
        tags(&nodes, &mut seen);
        assert_eq!(seen, ["h1", "p", "em", "code", "ul", "li", "li", "strong"]);
        assert!(text_of(&nodes).contains("Two children, one per lr."));
    }

    #[test]
    fn raw_html_is_text_and_never_an_element() {
        let hostile = "<script>alert(1)</script>\n\nhi <img src=x onerror=alert(2)> <b>bold</b>";
        let nodes = render(hostile);
        let mut seen = Vec::new();
        tags(&nodes, &mut seen);
        assert!(seen.iter().all(|t| ["p", "pre"].contains(t)), "{seen:?}");
        let text = text_of(&nodes);
        assert!(text.contains("<script>alert(1)</script>"), "{text}");
        assert!(text.contains("<img src=x onerror=alert(2)>"), "{text}");
    }

    #[test]
    fn only_safe_links_keep_their_target() {
        let nodes = render(
            "[a](javascript:alert(1)) [b](https://example.org/x) [c](JaVaScRiPt:alert(1)) \
             [d](data:text/html,x) [e](#top) [g](mailto:a@b.c) [h](../etc)",
        );
        let mut hrefs = Vec::new();
        fn collect(nodes: &[Node], out: &mut Vec<Option<String>>) {
            for n in nodes {
                if let Node::Element {
                    tag,
                    href,
                    children,
                } = n
                {
                    if *tag == "a" {
                        out.push(href.clone());
                    }
                    collect(children, out);
                }
            }
        }
        collect(&nodes, &mut hrefs);
        assert_eq!(
            hrefs,
            [
                None,
                Some("https://example.org/x".to_string()),
                None,
                None,
                Some("#top".to_string()),
                Some("mailto:a@b.c".to_string()),
                None
            ]
        );
    }

    #[test]
    fn hrefs_with_hidden_characters_are_dropped() {
        assert_eq!(safe_href("https://a.b/\u{0}x"), None);
        assert_eq!(safe_href("https://a.b/ x"), None);
        assert_eq!(safe_href("#"), None);
        assert_eq!(safe_href(" HTTPS://a.b "), Some("HTTPS://a.b".into()));
    }

    #[test]
    fn runlens_fences_become_embeds_and_other_fences_stay_code() {
        let nodes = render(
            "Intro\n\n```runlens\nfilter: lr < 0.01\nmetric: val/acc\n```\n\n```python\nprint(1)\n```\n",
        );
        let mut seen = Vec::new();
        tags(&nodes, &mut seen);
        assert_eq!(seen, ["p", "embed", "pre"]);
        assert_eq!(
            nodes[1],
            Node::Embed("filter: lr < 0.01\nmetric: val/acc\n".into())
        );
    }

    #[test]
    fn images_are_their_description() {
        let nodes = render("![loss curve](https://tracker.example/loss.png)");
        let mut seen = Vec::new();
        tags(&nodes, &mut seen);
        assert_eq!(seen, ["p", "span"]);
        assert_eq!(text_of(&nodes), "loss curve");
    }
}
