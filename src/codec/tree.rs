//! A lenient element tree built from one element's text.
//!
//! Tags are paired per name as the scanner pairs them: an end tag closes the most recent
//! open start tag of its name, start tags left open inside it are stray and count as text,
//! and an end tag with no open start of its name is text too. A `<` that does not begin a
//! well-formed tag, comment, CDATA section or processing instruction is text. Comments and
//! processing instructions are dropped (the text around them joins up, as in `ElementTree`).

use std::borrow::Cow;
use std::collections::HashMap;

use super::text::{cdata_into, decode_into};
use super::CodecError;
use crate::scan::is_name_byte;

/// One element: its name, attributes, leading text and child elements.
#[derive(Debug, Default)]
pub struct Node<'a> {
    /// The tag name as written.
    pub name: &'a str,
    /// Attributes in document order, values decoded (borrowed when nothing needed decoding).
    pub attrs: Vec<(&'a str, Cow<'a, str>)>,
    /// The text before the first child (`ElementTree`'s `text`), decoded (borrowed when it
    /// is one piece that needed no decoding).
    pub text: Cow<'a, str>,
    /// Indices of the child elements in the tree's arena, in document order.
    pub children: Vec<usize>,
}

/// The elements of one element's text; index 0 is the root.
#[derive(Debug)]
pub struct Tree<'a> {
    /// Every element, parents before their children.
    pub nodes: Vec<Node<'a>>,
}

#[derive(Debug)]
enum Token<'a> {
    /// Character data as written (entities not yet decoded).
    Text(&'a str),
    /// CDATA content.
    Cdata(&'a str),
    /// A start tag (`closing` for `<a/>`) with its raw attribute text.
    Start {
        name: &'a str,
        attrs: Vec<(&'a str, &'a str)>,
        closing: bool,
        raw: &'a str,
    },
    /// An end tag.
    End { name: &'a str, raw: &'a str },
    /// A comment or processing instruction.
    Skip,
}

/// Does `text` hold a document type, entity, element or attribute-list declaration
/// (`<!` then optional whitespace then one of those keywords, any case)?
pub fn has_declaration(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&bytes[from..], b"<!") {
        let mut i = from + found + 2;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &bytes[i..];
        for keyword in [&b"DOCTYPE"[..], b"ENTITY", b"ELEMENT", b"ATTLIST"] {
            if rest.len() >= keyword.len() && rest[..keyword.len()].eq_ignore_ascii_case(keyword) {
                return true;
            }
        }
        from += found + 2;
    }
    false
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name(b: u8) -> bool {
    is_name_byte(b) || b >= 0x80
}

/// Length of the name at the start of `bytes` (0 when there is none).
fn name_len(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(&b) if is_name_start(b) => bytes.iter().take_while(|&&b| is_name(b)).count(),
        _ => 0,
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Raw attributes of a start tag, whether it closes itself, and the index past its `>`.
type StartRest<'a> = (Vec<(&'a str, &'a str)>, bool, usize);

/// Attributes of a start tag from just after its name; returns them, whether the tag is
/// self-closing, and the index just past `>`. `None` when the tag is not well-formed.
fn start_tag_rest(s: &str, mut i: usize) -> Option<StartRest<'_>> {
    let bytes = s.as_bytes();
    let mut attrs = Vec::new();
    loop {
        let before = i;
        i = skip_ws(bytes, i);
        match bytes.get(i)? {
            b'>' => return Some((attrs, false, i + 1)),
            b'/' => return (bytes.get(i + 1) == Some(&b'>')).then_some((attrs, true, i + 2)),
            _ if i == before => return None, // attributes need whitespace before them
            _ => {}
        }
        let len = name_len(&bytes[i..]);
        if len == 0 {
            return None;
        }
        let name = &s[i..i + len];
        i = skip_ws(bytes, i + len);
        if bytes.get(i) != Some(&b'=') {
            attrs.push((name, "")); // bare attribute, as the scanner allows
            continue;
        }
        i = skip_ws(bytes, i + 1);
        let quote = *bytes.get(i)?;
        if quote == b'"' || quote == b'\'' {
            let close = memchr::memchr(quote, &bytes[i + 1..])? + i + 1;
            let value = &s[i + 1..close];
            if value.contains('<') {
                return None;
            }
            attrs.push((name, value));
            i = close + 1;
        } else {
            let len = bytes[i..]
                .iter()
                .take_while(|&&b| {
                    !b.is_ascii_whitespace() && !matches!(b, b'>' | b'<' | b'"' | b'\'')
                })
                .count();
            if len == 0 {
                return None;
            }
            let mut value = &s[i..i + len];
            if value.ends_with('/') && bytes.get(i + len) == Some(&b'>') {
                value = &value[..value.len() - 1];
                attrs.push((name, value));
                return Some((attrs, true, i + len + 1));
            }
            attrs.push((name, value));
            i += len;
        }
    }
}

/// The token starting at the `<` at `i`, and the index after it (`None`: the `<` is text).
fn markup(s: &str, i: usize) -> Option<(Token<'_>, usize)> {
    let bytes = s.as_bytes();
    let rest = &s[i..];
    if let Some(body) = rest.strip_prefix("<!--") {
        let end = memchr::memmem::find(body.as_bytes(), b"-->")?;
        return Some((Token::Skip, i + 4 + end + 3));
    }
    if let Some(body) = rest.strip_prefix("<![CDATA[") {
        let end = memchr::memmem::find(body.as_bytes(), b"]]>")?;
        return Some((Token::Cdata(&body[..end]), i + 9 + end + 3));
    }
    if let Some(body) = rest.strip_prefix("<?") {
        let end = memchr::memmem::find(body.as_bytes(), b"?>")?;
        return Some((Token::Skip, i + 2 + end + 2));
    }
    if rest.starts_with("</") {
        let len = name_len(&bytes[i + 2..]);
        if len == 0 {
            return None;
        }
        let after = skip_ws(bytes, i + 2 + len);
        if bytes.get(after) != Some(&b'>') {
            return None;
        }
        let name = &s[i + 2..i + 2 + len];
        return Some((
            Token::End {
                name,
                raw: &s[i..=after],
            },
            after + 1,
        ));
    }
    let len = name_len(&bytes[i + 1..]);
    if len == 0 {
        return None;
    }
    let name = &s[i + 1..i + 1 + len];
    let (attrs, closing, end) = start_tag_rest(s, i + 1 + len)?;
    let raw = &s[i..end];
    Some((
        Token::Start {
            name,
            attrs,
            closing,
            raw,
        },
        end,
    ))
}

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let bytes = s.as_bytes();
    let mut tokens = Vec::with_capacity(2 * memchr::memchr_iter(b'<', bytes).count() + 1);
    let mut text_start = 0;
    let mut i = 0;
    while let Some(found) = memchr::memchr(b'<', &bytes[i..]) {
        let lt = i + found;
        if let Some((token, next)) = markup(s, lt) {
            if text_start < lt {
                tokens.push(Token::Text(&s[text_start..lt]));
            }
            tokens.push(token);
            i = next;
            text_start = next;
        } else {
            i = lt + 1;
        }
    }
    if text_start < s.len() {
        tokens.push(Token::Text(&s[text_start..]));
    }
    tokens
}

/// How many start tags of each name are open. An element holds few distinct names, so they
/// sit in a list searched linearly (cheaper than hashing every name); past
/// [`OpenCounts::SMALL`] names a hash map takes over, so time stays linear in the text.
#[derive(Default)]
struct OpenCounts<'a> {
    few: Vec<(&'a str, usize)>,
    many: Option<HashMap<&'a str, usize>>,
}

impl<'a> OpenCounts<'a> {
    const SMALL: usize = 16;

    fn add(&mut self, name: &'a str) {
        if let Some(map) = &mut self.many {
            *map.entry(name).or_insert(0) += 1;
        } else if let Some((_, count)) = self.few.iter_mut().find(|(seen, _)| *seen == name) {
            *count += 1;
        } else if self.few.len() < Self::SMALL {
            self.few.push((name, 1));
        } else {
            let mut map: HashMap<&'a str, usize> = self.few.drain(..).collect();
            map.insert(name, 1);
            self.many = Some(map);
        }
    }

    fn count(&self, name: &str) -> usize {
        match &self.many {
            Some(map) => map.get(name).copied().unwrap_or(0),
            None => self
                .few
                .iter()
                .find(|(seen, _)| *seen == name)
                .map_or(0, |(_, c)| *c),
        }
    }

    fn remove(&mut self, name: &str) {
        let count = match &mut self.many {
            Some(map) => map.get_mut(name),
            None => self
                .few
                .iter_mut()
                .find(|(seen, _)| *seen == name)
                .map(|(_, c)| c),
        };
        if let Some(count) = count {
            *count -= 1;
        }
    }
}

/// For each token, whether it is a start or end tag that pairs (all others are text).
fn pair(tokens: &[Token<'_>]) -> Vec<bool> {
    let mut paired = vec![false; tokens.len()];
    let mut stack: Vec<usize> = Vec::new();
    let mut open = OpenCounts::default();
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Start { closing: true, .. } => paired[index] = true,
            Token::Start { name, .. } => {
                stack.push(index);
                open.add(name);
            }
            Token::End { name, .. } => {
                if open.count(name) == 0 {
                    continue;
                }
                while let Some(top) = stack.pop() {
                    if let Token::Start { name: top_name, .. } = &tokens[top] {
                        open.remove(top_name);
                        if top_name == name {
                            paired[top] = true;
                            paired[index] = true;
                            break;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    paired
}

/// Build the tree of the element `s` (its text from `<` of the start tag to `>` of the end
/// tag), nested at most `max_depth` elements deep.
pub fn build(s: &str, max_depth: usize) -> Result<Tree<'_>, CodecError> {
    if has_declaration(s) {
        return Err(CodecError::Declaration);
    }
    let tokens = tokenize(s);
    let paired = pair(&tokens);
    if !matches!(tokens.first(), Some(Token::Start { .. })) || !paired[0] {
        return Err(CodecError::NotAnElement);
    }
    let starts = tokens
        .iter()
        .filter(|token| matches!(token, Token::Start { .. }))
        .count();
    let mut nodes: Vec<Node<'_>> = Vec::with_capacity(starts);
    let mut stack: Vec<usize> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if index > 0 && stack.is_empty() {
            break; // the root is closed: anything after it is not part of the element
        }
        let as_text = match token {
            Token::Text(raw) => Some(*raw),
            Token::Cdata(raw) => {
                if let Some(node) = text_target(&mut nodes, &stack) {
                    if node.text.is_empty() && !raw.contains('\r') {
                        node.text = Cow::Borrowed(raw);
                    } else {
                        cdata_into(node.text.to_mut(), raw);
                    }
                }
                None
            }
            Token::Skip => None,
            Token::Start { raw, .. } | Token::End { raw, .. } if !paired[index] => Some(*raw),
            Token::Start {
                name,
                attrs,
                closing,
                ..
            } => {
                if stack.len() >= max_depth {
                    return Err(CodecError::TooDeep(max_depth));
                }
                let node_index = nodes.len();
                let mut node = Node {
                    name,
                    ..Node::default()
                };
                for (attr, value) in attrs {
                    if node.attrs.iter().all(|(seen, _)| seen != attr) {
                        node.attrs.push((attr, decoded(value, true)));
                    }
                }
                nodes.push(node);
                if let Some(&parent) = stack.last() {
                    nodes[parent].children.push(node_index);
                }
                if !closing {
                    stack.push(node_index);
                }
                None
            }
            Token::End { .. } => {
                stack.pop();
                None
            }
        };
        if let Some(raw) = as_text {
            if let Some(node) = text_target(&mut nodes, &stack) {
                if node.text.is_empty() {
                    node.text = decoded(raw, false);
                } else {
                    decode_into(node.text.to_mut(), raw, false);
                }
            }
        }
    }
    Ok(Tree { nodes })
}

/// `raw` decoded as [`decode_into`] does, borrowed when there is nothing to decode.
fn decoded(raw: &str, attribute: bool) -> Cow<'_, str> {
    let special = |b: &u8| match b {
        b'&' | b'\r' => true,
        b'\n' | b'\t' => attribute,
        _ => false,
    };
    if raw.as_bytes().iter().any(special) {
        let mut out = String::with_capacity(raw.len());
        decode_into(&mut out, raw, attribute);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    }
}

/// The open element whose leading text is still being read (none once it has a child).
fn text_target<'t, 'a>(nodes: &'t mut [Node<'a>], stack: &[usize]) -> Option<&'t mut Node<'a>> {
    let node = nodes.get_mut(*stack.last()?)?;
    node.children.is_empty().then_some(node)
}
