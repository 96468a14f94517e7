//! A lenient element tree built from one element's text.
//!
//! Tags are paired per name as the scanner pairs them: an end tag closes the most recent
//! open start tag of its name, start tags left open inside it are stray and count as text,
//! and an end tag with no open start of its name is text too. A `<` that does not begin a
//! well-formed tag, comment, CDATA section or processing instruction is text. Comments and
//! processing instructions are dropped (the text around them joins up, as in `ElementTree`).
//!
//! The tokens are read in `tree/tokens.rs` and paired in `tree/pair.rs`;
//! `tree/containment.rs` tells whether an element holds all its tags (for `crate::crossed`).

mod containment;
mod pair;
mod tokens;

use std::borrow::Cow;
use std::collections::HashSet;

use super::text::{cdata_into, decode_into};
use super::CodecError;
pub use containment::{Containment, Stray};
use pair::pair;
pub use tokens::has_declaration;
use tokens::{tokenize, Kind, Token, Tokens};

/// Attributes of one element up to which duplicates are found by a scan (a set past it).
const FEW_ATTRS: usize = 16;

/// No node (an absent child or sibling link).
pub const NONE: u32 = u32::MAX;

/// One element: its name, attributes, leading text and where its children are.
#[derive(Debug)]
pub struct Node<'a> {
    /// The tag name as written.
    pub name: &'a str,
    /// Its attributes: `attrs[start..end]` of the [`Tree`], in document order, first of each
    /// name only.
    pub attrs: (u32, u32),
    /// The text before the first child (`ElementTree`'s `text`), decoded (borrowed when it
    /// is one piece that needed no decoding).
    pub text: Cow<'a, str>,
    /// The first child element ([`NONE`] when there is none).
    pub first_child: u32,
    /// The last child element ([`NONE`] when there is none).
    pub last_child: u32,
    /// The next child of the same parent ([`NONE`] for the last).
    pub next_sibling: u32,
    /// How many child elements it has.
    pub child_count: u32,
    /// Its content as written: the byte range of the tree's text from after its start tag
    /// to its end tag (empty for `<a/>`).
    pub inner: (u32, u32),
}

/// The elements of one element's text; index 0 is the root.
#[derive(Debug)]
pub struct Tree<'a> {
    /// The element's text the tree was built from.
    pub source: &'a str,
    /// Every element, parents before their children.
    pub nodes: Vec<Node<'a>>,
    /// Every element's attributes (see [`Node::attrs`]), values decoded.
    pub attrs: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> Tree<'a> {
    /// The attributes of `node`.
    pub fn attrs_of(&self, node: usize) -> &[(&'a str, Cow<'a, str>)] {
        let (start, end) = self.nodes[node].attrs;
        &self.attrs[start as usize..end as usize]
    }

    /// The whole content of `node` as text: its child elements' markup kept as written,
    /// CDATA sections unwrapped and references decoded elsewhere (how a simple model reads
    /// its element). Comments and processing instructions are kept as written too.
    pub fn inner_text(&self, node: usize) -> Cow<'a, str> {
        let (start, end) = self.nodes[node].inner;
        let raw: &'a str = self.source.get(start as usize..end as usize).unwrap_or("");
        let mut out = String::new();
        let mut rest = raw;
        while let Some(at) = memchr::memmem::find(rest.as_bytes(), b"<![CDATA[") {
            let body = &rest[at + 9..];
            let Some(close) = memchr::memmem::find(body.as_bytes(), b"]]>") else {
                break; // unclosed: the rest is text as written
            };
            decode_into(&mut out, &rest[..at], false);
            cdata_into(&mut out, &body[..close]);
            rest = &body[close + 3..];
        }
        if out.is_empty() {
            return decoded(rest, false);
        }
        decode_into(&mut out, rest, false);
        Cow::Owned(out)
    }

    /// The child elements of `node`, in document order.
    pub fn children(&self, node: usize) -> Children<'_, 'a> {
        Children {
            tree: self,
            next: self.nodes[node].first_child,
        }
    }
}

/// The child elements of a node (see [`Tree::children`]).
pub struct Children<'t, 'a> {
    tree: &'t Tree<'a>,
    next: u32,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next == NONE {
            return None;
        }
        let at = self.next as usize;
        self.next = self.tree.nodes[at].next_sibling;
        Some(at)
    }
}

/// A `u32` index: an element's text is far below 4 GiB in every use, and a longer one is
/// refused before any index could overflow (see [`build`]).
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(NONE)
}

/// Build the tree of the element `s` (its text from `<` of the start tag to `>` of the end
/// tag), nested at most `max_depth` elements deep.
pub fn build(s: &str, max_depth: usize) -> Result<Tree<'_>, CodecError> {
    Builder::default().build(s, max_depth)
}

/// Builds trees of several elements of one text, reusing its working memory (and that of
/// the trees given back with [`Builder::recycle`]) from one element to the next.
#[derive(Default)]
pub struct Builder<'a> {
    tokens: Tokens<'a>,
    stack: Vec<usize>,
    spare: Option<Tree<'a>>,
    /// [`Builder::held_all`] of the last element built.
    held_all: bool,
}

impl<'a> Builder<'a> {
    /// [`build`], with this builder's memory.
    pub fn build(&mut self, s: &'a str, max_depth: usize) -> Result<Tree<'a>, CodecError> {
        if has_declaration(s) {
            return Err(CodecError::Declaration);
        }
        if s.len() >= NONE as usize {
            return Err(CodecError::TooLarge(s.len())); // past the tree's `u32` indices
        }
        tokenize(s, &mut self.tokens);
        let mut tree = self.spare.take().unwrap_or(Tree {
            source: s,
            nodes: Vec::new(),
            attrs: Vec::new(),
        });
        tree.source = s;
        tree.nodes.clear();
        tree.attrs.clear();
        tree.nodes.reserve(self.tokens.starts);
        tree.attrs.reserve(self.tokens.attrs.len());
        self.held_all = false;
        let stray = fill(&mut tree, &mut self.tokens, &mut self.stack, max_depth)?;
        self.held_all = stray == 0 && self.tokens.loose == 0;
        Ok(tree)
    }

    /// Whether the last element built holds all its tags, as [`Containment::holds_all`]
    /// says, found while building it (false after a failure). A tag paired early (so that
    /// the root closed before the end) leaves a start tag unpaired before it: false too.
    pub fn held_all(&self) -> bool {
        self.held_all
    }

    /// Give back a tree this builder built, for its memory to serve the next one.
    pub fn recycle(&mut self, tree: Tree<'a>) {
        self.spare = Some(tree);
    }
}

/// Fill `tree` from the tokens; returns how many start or end tags were read as text, plus
/// the processing instructions holding a `<`.
fn fill<'a>(
    tree: &mut Tree<'a>,
    tokens: &mut Tokens<'a>,
    stack: &mut Vec<usize>,
    max_depth: usize,
) -> Result<usize, CodecError> {
    let raw_attrs = &tokens.attrs;
    let tokens = &mut tokens.list;
    pair(tokens, stack);
    if !matches!(tokens.first(), Some(t) if matches!(t.kind, Kind::Start | Kind::Empty) && t.paired)
    {
        return Err(CodecError::NotAnElement);
    }
    stack.clear();
    let mut stray = 0;
    for (index, token) in tokens.iter().enumerate() {
        if index > 0 && stack.is_empty() {
            break; // the root is closed: anything after it is not part of the element
        }
        match token.kind {
            Kind::Text => add_text(&mut tree.nodes, stack, token.raw),
            Kind::Cdata => add_cdata(&mut tree.nodes, stack, token.raw),
            // An instruction holding a `<` (any other comes with an empty `raw`).
            Kind::Skip => stray += usize::from(!token.raw.is_empty()),
            Kind::Start | Kind::Empty | Kind::End if !token.paired => {
                stray += 1;
                add_text(&mut tree.nodes, stack, token.raw);
            }
            Kind::Start | Kind::Empty => {
                if stack.len() >= max_depth {
                    return Err(CodecError::TooDeep(max_depth));
                }
                open_element(tree, stack, token, raw_attrs);
            }
            Kind::End => {
                if let Some(node) = stack.pop() {
                    tree.nodes[node].inner.1 = offset(tree.source, token.raw);
                }
            }
        }
    }
    Ok(stray)
}

/// Where `raw`, a slice of `source` (as every token is), starts in it.
#[inline]
fn offset(source: &str, raw: &str) -> u32 {
    to_u32(raw.as_ptr() as usize - source.as_ptr() as usize)
}

/// Append the element of the paired start tag `token` to `tree`, as the last child of the
/// open element on top of `stack` (if any), and open it unless it is self-closing.
#[inline]
fn open_element<'a>(
    tree: &mut Tree<'a>,
    stack: &mut Vec<usize>,
    token: &Token<'a>,
    raw_attrs: &[(&'a str, &'a str)],
) {
    let node_index = tree.nodes.len();
    let first = tree.attrs.len();
    keep_attrs(
        &mut tree.attrs,
        &raw_attrs[token.attrs.0 as usize..token.attrs.1 as usize],
    );
    let after = offset(tree.source, token.raw) + to_u32(token.raw.len());
    tree.nodes.push(Node {
        name: token.name,
        attrs: (to_u32(first), to_u32(tree.attrs.len())),
        text: Cow::Borrowed(""),
        first_child: NONE,
        last_child: NONE,
        next_sibling: NONE,
        child_count: 0,
        inner: (after, after),
    });
    if let Some(&parent) = stack.last() {
        link_child(&mut tree.nodes, parent, to_u32(node_index));
    }
    if token.kind == Kind::Start {
        stack.push(node_index);
    }
}

/// Append the attributes `own` of one start tag to `attrs`, values decoded. The first of
/// duplicated names wins: a scan of those kept for a few attributes, a set past that (no
/// quadratic time on a flood of them).
#[inline]
fn keep_attrs<'a>(attrs: &mut Vec<(&'a str, Cow<'a, str>)>, own: &[(&'a str, &'a str)]) {
    let first = attrs.len();
    let mut seen = (own.len() > FEW_ATTRS).then(HashSet::new);
    for &(attr, value) in own {
        let new = match &mut seen {
            Some(seen) => seen.insert(attr),
            None => attrs[first..].iter().all(|(kept, _)| *kept != attr),
        };
        if new {
            attrs.push((attr, decoded(value, true)));
        }
    }
}

/// Make node `child` the last child of node `parent`.
#[inline]
fn link_child(nodes: &mut [Node<'_>], parent: usize, child: u32) {
    let last = nodes[parent].last_child;
    if last == NONE {
        nodes[parent].first_child = child;
    } else {
        nodes[last as usize].next_sibling = child;
    }
    nodes[parent].last_child = child;
    nodes[parent].child_count += 1;
}

/// Add the text `raw` (as written) to the leading text of the open element, if it is still
/// being read.
#[inline]
fn add_text<'a>(nodes: &mut [Node<'a>], stack: &[usize], raw: &'a str) {
    if let Some(node) = text_target(nodes, stack) {
        if node.text.is_empty() {
            node.text = decoded(raw, false);
        } else {
            decode_into(node.text.to_mut(), raw, false);
        }
    }
}

/// Add the content `raw` of a CDATA section to the leading text of the open element, if it
/// is still being read.
#[inline]
fn add_cdata<'a>(nodes: &mut [Node<'a>], stack: &[usize], raw: &'a str) {
    if let Some(node) = text_target(nodes, stack) {
        if node.text.is_empty() && memchr::memchr(b'\r', raw.as_bytes()).is_none() {
            node.text = Cow::Borrowed(raw);
        } else {
            cdata_into(node.text.to_mut(), raw);
        }
    }
}

/// Texts up to this many bytes are searched for what [`decoded`] decodes byte by byte.
const SHORT: usize = 32;

/// `raw` decoded as [`decode_into`] does, borrowed when there is nothing to decode.
fn decoded(raw: &str, attribute: bool) -> Cow<'_, str> {
    let bytes = raw.as_bytes();
    let special = if bytes.len() <= SHORT {
        // A short value: one plain pass costs less than setting up the vector searches.
        bytes
            .iter()
            .any(|&b| b == b'&' || b == b'\r' || (attribute && (b == b'\n' || b == b'\t')))
    } else if attribute {
        memchr::memchr3(b'&', b'\r', b'\n', bytes).is_some()
            || memchr::memchr(b'\t', bytes).is_some()
    } else {
        memchr::memchr2(b'&', b'\r', bytes).is_some()
    };
    if special {
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
    (node.child_count == 0).then_some(node)
}
