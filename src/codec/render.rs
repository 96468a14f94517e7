//! Render a model's encoded value as the XML `ElementTree` would write: indented ([`render`])
//! or compact ([`render_compact`]).

use std::fmt::Write as _;

use super::text::{escape_attribute, escape_into, escape_text};
use super::{Item, Kind, Plan, Value};

#[derive(Default)]
struct Out<'a> {
    tag: &'a str,
    attrs: Vec<(&'a str, &'a str)>,
    text: &'a str,
    children: Vec<Out<'a>>,
}

const NONE_TEXT: &str = "";

fn text_of<'a>(value: &'a Value<'_>) -> &'a str {
    match value {
        Value::Str(s) => s,
        _ => NONE_TEXT,
    }
}

/// The element at the end of `path` below `out`, reusing the last child when it has the
/// part's name (pydantic-xml's look-behind), creating it otherwise.
fn descend<'o, 'a>(mut out: &'o mut Out<'a>, path: &'a [String]) -> &'o mut Out<'a> {
    for part in path {
        let reuse = out
            .children
            .last()
            .is_some_and(|last| last.tag == part.as_str());
        if !reuse {
            out.children.push(Out {
                tag: part,
                ..Out::default()
            });
        }
        let last = out.children.len() - 1;
        out = &mut out.children[last];
    }
    out
}

fn fill<'a>(plan: &'a Plan, model: usize, values: &'a [(usize, Value<'a>)], out: &mut Out<'a>) {
    let fields = &plan.models()[model].fields;
    for (index, value) in values {
        let Some(field) = fields.get(*index) else {
            continue;
        };
        if !field.path.is_empty() && matches!(value, Value::None) {
            continue; // pydantic-xml writes no wrapper for a `None` value
        }
        let target = descend(out, &field.path);
        match &field.kind {
            Kind::Attr(name) => {
                let text = text_of(value);
                if let Some(slot) = target.attrs.iter_mut().find(|(a, _)| *a == name.as_str()) {
                    slot.1 = text;
                } else {
                    target.attrs.push((name, text));
                }
            }
            Kind::Text => target.text = text_of(value),
            Kind::Element { name, item, many } => {
                let items: &[Value<'a>] = match (value, many) {
                    (Value::List(items), true) => items,
                    (Value::None, true) => &[],
                    _ => std::slice::from_ref(value),
                };
                for item_value in items {
                    child(plan, name, *item, item_value, target);
                }
            }
        }
    }
}

fn child<'a>(
    plan: &'a Plan,
    name: &'a str,
    item: Item,
    value: &'a Value<'a>,
    target: &mut Out<'a>,
) {
    match item {
        Item::Text => target.children.push(Out {
            tag: name,
            text: text_of(value),
            ..Out::default()
        }),
        Item::Model(model) => {
            if let Value::Map(values) = value {
                let mut sub = Out {
                    tag: name,
                    ..Out::default()
                };
                fill(plan, model, values, &mut sub);
                target.children.push(sub);
            }
        }
    }
}

/// Python's `str.isspace` for one character (`str.strip()` with no arguments).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn write(out: &Out<'_>, style: Style, level: usize, buf: &mut String) {
    style.open(buf, out.tag);
    for (name, value) in &out.attrs {
        style.attribute(buf, name, value);
    }
    let mut body = style.body(buf, level, out.text);
    for sub in &out.children {
        body.before_child(buf);
        write(sub, style, level + 1, buf);
    }
    body.close(buf, out.tag);
}

fn indent(buf: &mut String, level: usize) {
    buf.push('\n');
    for _ in 0..level {
        buf.push_str("  ");
    }
}

/// How elements are written: [`render`]'s pretty XML or [`render_compact`]'s compact XML.
/// An element is [`Style::open`], then each [`Style::attribute`], then its [`Body`]; both
/// renderers write every element this way, and renderers reading values from elsewhere can
/// too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Indented, explicit end tags, text as it is.
    Pretty,
    /// No indentation, `<a />` for an element without text or children, every non-ASCII
    /// character as a character reference.
    Compact,
}

impl Style {
    fn push(self, buf: &mut String, s: &str) {
        match self {
            Self::Pretty => buf.push_str(s),
            Self::Compact => push_ascii(buf, s),
        }
    }

    /// Start an element: `<tag` (attributes and the body follow).
    pub fn open(self, buf: &mut String, tag: &str) {
        buf.push('<');
        self.push(buf, tag);
    }

    /// One attribute of an element started by [`Style::open`], its value escaped.
    pub fn attribute(self, buf: &mut String, name: &str, value: &str) {
        buf.push(' ');
        self.push(buf, name);
        buf.push_str("=\"");
        match self {
            Self::Pretty => escape_into(buf, value, true),
            Self::Compact => push_ascii(buf, &escape_attribute(value)),
        }
        buf.push('"');
    }

    /// The body of an element at depth `level` holding `text` (see [`Body`]).
    pub fn body<'t>(self, buf: &mut String, level: usize, text: &'t str) -> Body<'t> {
        if self == Self::Pretty {
            buf.push('>');
        }
        Body {
            style: self,
            level,
            text,
            children: 0,
        }
    }
}

/// The body of an element, written as its children come: its text, the children, the end
/// tag. Pretty: each child on its own line indented two spaces a level (a text of only
/// whitespace before children becomes the indentation). Compact: no indentation, and an
/// element with neither text nor children is written `<a />`.
pub struct Body<'t> {
    style: Style,
    level: usize,
    text: &'t str,
    children: usize,
}

impl Body<'_> {
    /// Call before writing each child element (at depth `level + 1`).
    pub fn before_child(&mut self, buf: &mut String) {
        match self.style {
            Style::Pretty => {
                if self.children == 0 && !self.text.chars().all(py_space) {
                    escape_into(buf, self.text, false);
                } else {
                    indent(buf, self.level + 1);
                }
            }
            Style::Compact => {
                if self.children == 0 {
                    buf.push('>');
                    push_ascii(buf, &escape_text(self.text));
                }
            }
        }
        self.children += 1;
    }

    /// The text (when no child came) and the end tag `</tag>`.
    pub fn close(self, buf: &mut String, tag: &str) {
        if self.children == 0 {
            match self.style {
                Style::Pretty => escape_into(buf, self.text, false),
                Style::Compact if self.text.is_empty() => {
                    buf.push_str(" />");
                    return;
                }
                Style::Compact => {
                    buf.push('>');
                    push_ascii(buf, &escape_text(self.text));
                }
            }
        } else if self.style == Style::Pretty {
            indent(buf, self.level);
        }
        buf.push_str("</");
        self.style.push(buf, tag);
        buf.push('>');
    }
}

/// The element tree pydantic-xml builds for model 0 of `plan` holding `values`.
fn tree<'a>(plan: &'a Plan, values: &'a Value<'a>) -> Out<'a> {
    let mut root = Out {
        tag: plan.models()[0].tag.as_str(),
        ..Out::default()
    };
    if let Value::Map(fields) = values {
        fill(plan, 0, fields, &mut root);
    }
    root
}

/// The pretty XML of model 0 of `plan` holding `values` (a [`Value::Map`] of the fields to
/// write, each `Value::None`, a string, a list or a nested map): two-space indentation,
/// explicit end tags, text and attributes escaped as `ElementTree` escapes them. A field
/// below wrapper elements whose value is `Value::None` is left out, wrappers included.
pub fn render(plan: &Plan, values: &Value<'_>) -> String {
    let mut buf = String::with_capacity(256);
    write(&tree(plan, values), Style::Pretty, 0, &mut buf);
    buf
}

/// `s` appended to `buf` with every non-ASCII character written as a decimal character
/// reference (`é` → `&#233;`, `😀` → `&#128512;`): the `xmlcharrefreplace` error handler of
/// the `us-ascii` stream `ElementTree.tostring` writes to by default.
fn push_ascii(buf: &mut String, s: &str) {
    if s.is_ascii() {
        buf.push_str(s);
        return;
    }
    for c in s.chars() {
        if c.is_ascii() {
            buf.push(c);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(buf, "&#{};", u32::from(c));
        }
    }
}

/// The compact XML of model 0 of `plan` holding `values` (as for [`render`]), exactly as
/// `ElementTree.tostring(element)` writes pydantic-xml's tree with its default arguments: no
/// declaration, no indentation, an element without text or children written `<a />`, text
/// and attribute values escaped as `ElementTree` escapes them (`"`, `\n`, `\r` and `\t` in
/// attributes as `&quot;`, `&#10;`, `&#13;`, `&#09;`; raw in text) and every non-ASCII
/// character, in names too, as a decimal character reference. The result is pure ASCII.
pub fn render_compact(plan: &Plan, values: &Value<'_>) -> String {
    let mut buf = String::with_capacity(256);
    write(&tree(plan, values), Style::Compact, 0, &mut buf);
    buf
}
