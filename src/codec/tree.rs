//! A lenient element tree built from one element's text.
//!
//! Tags are paired per name as the scanner pairs them: an end tag closes the most recent
//! open start tag of its name, start tags left open inside it are stray and count as text,
//! and an end tag with no open start of its name is text too. A `<` that does not begin a
//! well-formed tag, comment, CDATA section or processing instruction is text. Comments and
//! processing instructions are dropped (the text around them joins up, as in `ElementTree`).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::text::{cdata_into, decode_into};
use super::CodecError;
use crate::scan::is_name_byte;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Character data as written (entities not yet decoded).
    Text,
    /// CDATA content.
    Cdata,
    /// A start tag.
    Start,
    /// A self-closing start tag (`<a/>`).
    Empty,
    /// An end tag.
    End,
    /// A comment or processing instruction.
    Skip,
}

/// One token: `raw` is the text (Text), the content (Cdata) or the whole tag (Start, Empty,
/// End); start tags have their raw attributes at `attrs` of the token list.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    /// A start or end tag that pairs (every other token is text or nothing).
    paired: bool,
    name: &'a str,
    raw: &'a str,
    attrs: (u32, u32),
}

impl<'a> Token<'a> {
    fn new(kind: Kind, raw: &'a str) -> Self {
        Self {
            kind,
            paired: false,
            name: "",
            raw,
            attrs: (0, 0),
        }
    }
}

/// The tokens of an element's text, with the raw attributes of every start tag.
#[derive(Default)]
struct Tokens<'a> {
    list: Vec<Token<'a>>,
    attrs: Vec<(&'a str, &'a str)>,
    /// How many start tags (self-closing ones included).
    starts: usize,
    /// How many `<` read as text could start a tag for the scanner (followed by `/`, `!` or
    /// a name byte): see [`Builder::held_all`].
    loose: usize,
}

/// Where the end markers of comments, CDATA sections and processing instructions are, as
/// far as searched: each search remembers where it started and what it found, and a later
/// search from inside that range has its answer without searching again. So a flood of
/// openers without an end marker (`<?<?<?…`) costs one search, not one per opener.
#[derive(Clone, Copy)]
struct EndMarks {
    /// Per marker (`-->`, `]]>`, `?>`): `(searched from, found at)`, [`EndMarks::NONE`]
    /// for "not searched" and "not found".
    known: [(usize, usize); 3],
}

impl EndMarks {
    const MARKERS: [&'static [u8]; 3] = [b"-->", b"]]>", b"?>"];
    const NONE: usize = usize::MAX;

    fn new() -> Self {
        Self {
            known: [(Self::NONE, Self::NONE); 3],
        }
    }

    /// The index of the first `marker` (by index into [`Self::MARKERS`]) at or after `from`.
    fn find(&mut self, bytes: &[u8], marker: usize, from: usize) -> Option<usize> {
        let (searched, found) = self.known[marker];
        if searched != Self::NONE && from >= searched && from <= found {
            // (`found` is `NONE`, past every index, when there was none)
            return (found != Self::NONE).then_some(found);
        }
        let found = bytes
            .get(from..)
            .and_then(|rest| memchr::memmem::find(rest, Self::MARKERS[marker]))
            .map(|at| from + at);
        self.known[marker] = (from, found.unwrap_or(Self::NONE));
        found
    }
}

/// Does `text` hold a document type, entity, element or attribute-list declaration
/// (`<!` then optional whitespace then one of those keywords, any case)?
pub fn has_declaration(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Each `!` after a `<` (a `!` is rare in text, and one-byte search has no set-up cost).
    for bang in memchr::memchr_iter(b'!', bytes) {
        if bang == 0 || bytes[bang - 1] != b'<' {
            continue;
        }
        let i = skip_ws(bytes, bang + 1);
        let rest = &bytes[i..];
        for keyword in [&b"DOCTYPE"[..], b"ENTITY", b"ELEMENT", b"ATTLIST"] {
            if rest.len() >= keyword.len() && rest[..keyword.len()].eq_ignore_ascii_case(keyword) {
                return true;
            }
        }
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

/// Read the attributes of a start tag from just after its name into `attrs`; returns
/// whether the tag is self-closing and the index just past `>`. `None` when the tag is not
/// well-formed (`attrs` may then hold some of its attributes: the caller truncates).
fn start_tag_rest<'a>(
    s: &'a str,
    mut i: usize,
    attrs: &mut Vec<(&'a str, &'a str)>,
) -> Option<(bool, usize)> {
    let bytes = s.as_bytes();
    loop {
        let before = i;
        i = skip_ws(bytes, i);
        match bytes.get(i)? {
            b'>' => return Some((false, i + 1)),
            b'/' => return (bytes.get(i + 1) == Some(&b'>')).then_some((true, i + 2)),
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
            if memchr::memchr(b'<', value.as_bytes()).is_some() {
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
                return Some((true, i + len + 1));
            }
            attrs.push((name, value));
            i += len;
        }
    }
}

/// A `u32` index: an element's text is far below 4 GiB in every use, and a longer one is
/// refused before any index could overflow (see [`build`]).
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(NONE)
}

/// The token starting at the `<` at `i`, and the index after it (`None`: the `<` is text).
/// A start tag's attributes are appended to `attrs`; `marks` finds end markers.
fn markup<'a>(
    s: &'a str,
    i: usize,
    attrs: &mut Vec<(&'a str, &'a str)>,
    marks: &mut EndMarks,
) -> Option<(Token<'a>, usize)> {
    let bytes = s.as_bytes();
    match bytes.get(i + 1)? {
        b'!' => {
            let rest = &s[i..];
            if rest.starts_with("<!--") {
                let end = marks.find(bytes, 0, i + 4)?;
                return Some((Token::new(Kind::Skip, ""), end + 3));
            }
            if rest.starts_with("<![CDATA[") {
                let end = marks.find(bytes, 1, i + 9)?;
                return Some((Token::new(Kind::Cdata, &s[i + 9..end]), end + 3));
            }
            None
        }
        b'?' => {
            let end = marks.find(bytes, 2, i + 2)?;
            // Kept as written when it holds a `<`: the scanner reads tags inside it, so its
            // element may be crossed (see `Builder::held_all`).
            let body = &s[i + 2..end];
            let raw = if body.contains('<') {
                &s[i..end + 2]
            } else {
                ""
            };
            Some((Token::new(Kind::Skip, raw), end + 2))
        }
        b'/' => {
            let len = name_len(&bytes[i + 2..]);
            if len == 0 {
                return None;
            }
            let after = skip_ws(bytes, i + 2 + len);
            if bytes.get(after) != Some(&b'>') {
                return None;
            }
            let mut token = Token::new(Kind::End, &s[i..=after]);
            token.name = &s[i + 2..i + 2 + len];
            Some((token, after + 1))
        }
        _ => {
            let len = name_len(&bytes[i + 1..]);
            if len == 0 {
                return None;
            }
            let first = attrs.len();
            let Some((closing, end)) = start_tag_rest(s, i + 1 + len, attrs) else {
                attrs.truncate(first);
                return None;
            };
            let kind = if closing { Kind::Empty } else { Kind::Start };
            let mut token = Token::new(kind, &s[i..end]);
            token.name = &s[i + 1..i + 1 + len];
            token.attrs = (to_u32(first), to_u32(attrs.len()));
            Some((token, end))
        }
    }
}

/// Whether a `<` followed by `next` may start a tag, comment or CDATA section for the
/// scanner (which reads names of `-`, `.`, digits... that no XML name starts with).
fn may_open(next: Option<&u8>) -> bool {
    next.is_some_and(|&b| b == b'/' || b == b'!' || is_name_byte(b))
}

fn tokenize<'a>(s: &'a str, tokens: &mut Tokens<'a>) {
    let bytes = s.as_bytes();
    tokens.list.clear();
    tokens.list.reserve(s.len() / 8 + 4);
    tokens.attrs.clear();
    tokens.starts = 0;
    tokens.loose = 0;
    let mut marks = EndMarks::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(found) = memchr::memchr(b'<', &bytes[i..]) {
        let lt = i + found;
        if let Some((token, next)) = markup(s, lt, &mut tokens.attrs, &mut marks) {
            if text_start < lt {
                tokens.list.push(Token::new(Kind::Text, &s[text_start..lt]));
            }
            tokens.starts += usize::from(matches!(token.kind, Kind::Start | Kind::Empty));
            tokens.list.push(token);
            i = next;
            text_start = next;
        } else {
            tokens.loose += usize::from(may_open(bytes.get(lt + 1)));
            i = lt + 1;
        }
    }
    if text_start < s.len() {
        tokens.list.push(Token::new(Kind::Text, &s[text_start..]));
    }
}

/// How many start tags of each name are open. An element holds few distinct names, so they
/// sit in a small inline table searched linearly (cheaper than hashing every name, and no
/// allocation); past [`OpenCounts::SMALL`] names a hash map takes over, so time stays
/// linear in the text.
struct OpenCounts<'a> {
    few: [(&'a str, usize); OpenCounts::SMALL],
    len: usize,
    many: Option<HashMap<&'a str, usize>>,
}

impl<'a> OpenCounts<'a> {
    const SMALL: usize = 16;

    fn new() -> Self {
        Self {
            few: [("", 0); Self::SMALL],
            len: 0,
            many: None,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut usize> {
        match &mut self.many {
            Some(map) => map.get_mut(name),
            None => self.few[..self.len]
                .iter_mut()
                .find(|(seen, _)| *seen == name)
                .map(|(_, c)| c),
        }
    }

    fn add(&mut self, name: &'a str) {
        if let Some(count) = self.slot(name) {
            *count += 1;
        } else if let Some(map) = &mut self.many {
            map.insert(name, 1);
        } else if self.len < Self::SMALL {
            self.few[self.len] = (name, 1);
            self.len += 1;
        } else {
            let mut map: HashMap<&'a str, usize> = self.few.iter().copied().collect();
            map.insert(name, 1);
            self.many = Some(map);
        }
    }

    fn count(&mut self, name: &str) -> usize {
        self.slot(name).map_or(0, |c| *c)
    }

    fn remove(&mut self, name: &str) {
        if let Some(count) = self.slot(name) {
            *count -= 1;
        }
    }
}

/// Mark each start and end tag that pairs (all others are text); `stack` is scratch space.
fn pair(tokens: &mut [Token<'_>], stack: &mut Vec<usize>) {
    stack.clear();
    let mut open = OpenCounts::new();
    for index in 0..tokens.len() {
        let token = tokens[index];
        match token.kind {
            Kind::Empty => tokens[index].paired = true,
            Kind::Start => {
                stack.push(index);
                open.add(token.name);
            }
            Kind::End => {
                if open.count(token.name) == 0 {
                    continue;
                }
                while let Some(top) = stack.pop() {
                    let top_name = tokens[top].name;
                    open.remove(top_name);
                    if top_name == token.name {
                        tokens[top].paired = true;
                        tokens[index].paired = true;
                        break;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Which way a tag that may pair outside its element points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stray {
    /// A start tag: it may pair with an end tag after the element.
    Start,
    /// An end tag: it may pair with a start tag before the element.
    End,
}

/// Working memory of [`Containment::holds_all`] and [`Containment::strays`], kept from one
/// element to the next.
#[derive(Default)]
pub struct Containment<'a> {
    builder: Builder<'a>,
}

impl<'a> Containment<'a> {
    /// Whether no element of a text around `element` (one element's text, from the `<` of
    /// its start tag to the `>` of its end tag, as the scanner found it) can cross it: every
    /// tag in it pairs inside it, and no other `<` in it may start a tag, comment or CDATA
    /// section for the scanner. A tag the scanner reads is read here the same way (or its
    /// `<` counts as such a `<`), comments and CDATA sections end where the scanner ends
    /// them, and the tags of a well-formed element pair per name as they pair here, so none
    /// of them pairs with a tag outside. `false` only says that an element *may* cross it
    /// (`crate::crossed` then looks); so does an element the codec refuses (a declaration).
    ///
    /// The element's tree is built ([`Builder::held_all`]): one reader of the tokens, so the
    /// codec's hot path keeps its shape.
    pub fn holds_all(&mut self, element: &'a str) -> bool {
        match self.builder.build(element, usize::MAX) {
            Ok(tree) => {
                self.builder.recycle(tree);
                self.builder.held_all()
            }
            Err(_) => false,
        }
    }

    /// [`Self::holds_all`], and when it is false, the tags of `element` that may pair with a
    /// tag outside it, added to `out` as the scanner would name them: each start or end tag
    /// left unpaired here, and each tag the scanner may read where this reader reads text
    /// (a `<` or `</` followed by name bytes, also inside an instruction). For a name with
    /// none of them, the scanner pairs every tag of the name inside the element as it pairs
    /// here, so no element of that name crosses it.
    pub fn strays(&mut self, element: &'a str, out: &mut Vec<(&'a str, Stray)>) -> bool {
        let Ok(tree) = self.builder.build(element, usize::MAX) else {
            written_tags(element, out); // (refused before reading: every tag may stray)
            return false;
        };
        self.builder.recycle(tree);
        if self.builder.held_all() {
            return true;
        }
        for token in &self.builder.tokens.list {
            match token.kind {
                // A name the scanner cannot read (non-ASCII bytes) is no scanner tag.
                Kind::Start | Kind::End
                    if !token.paired && token.name.bytes().all(is_name_byte) =>
                {
                    let way = if token.kind == Kind::Start {
                        Stray::Start
                    } else {
                        Stray::End
                    };
                    out.push((token.name, way));
                }
                Kind::Text | Kind::Skip => written_tags(token.raw, out),
                _ => {}
            }
        }
        false
    }
}

/// Every `<name` (a start) or `</name` (an end) written in `raw`, names as runs of the
/// scanner's name bytes.
fn written_tags<'a>(raw: &'a str, out: &mut Vec<(&'a str, Stray)>) {
    let bytes = raw.as_bytes();
    for lt in memchr::memchr_iter(b'<', bytes) {
        let end = bytes.get(lt + 1) == Some(&b'/');
        let from = lt + 1 + usize::from(end);
        let len = bytes.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|&&b| is_name_byte(b)).count()
        });
        if len > 0 {
            let way = if end { Stray::End } else { Stray::Start };
            out.push((&raw[from..from + len], way));
        }
    }
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
    let base = tree.source.as_ptr() as usize;
    // Where a token's text starts in the source (tokens are slices of it).
    let offset = |raw: &str| to_u32(raw.as_ptr() as usize - base);
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
        let as_text = match token.kind {
            Kind::Text => Some(token.raw),
            Kind::Cdata => {
                if let Some(node) = text_target(&mut tree.nodes, stack) {
                    if node.text.is_empty() && memchr::memchr(b'\r', token.raw.as_bytes()).is_none()
                    {
                        node.text = Cow::Borrowed(token.raw);
                    } else {
                        cdata_into(node.text.to_mut(), token.raw);
                    }
                }
                None
            }
            Kind::Skip => {
                stray += usize::from(!token.raw.is_empty()); // an instruction holding a `<`
                None
            }
            Kind::Start | Kind::Empty | Kind::End if !token.paired => {
                stray += 1;
                Some(token.raw)
            }
            Kind::Start | Kind::Empty => {
                if stack.len() >= max_depth {
                    return Err(CodecError::TooDeep(max_depth));
                }
                let node_index = tree.nodes.len();
                let first = tree.attrs.len();
                let own = &raw_attrs[token.attrs.0 as usize..token.attrs.1 as usize];
                // The first of duplicated names wins: a scan of those kept for a few
                // attributes, a set past that (no quadratic time on a flood of them).
                let mut seen = (own.len() > FEW_ATTRS).then(HashSet::new);
                for &(attr, value) in own {
                    let new = match &mut seen {
                        Some(seen) => seen.insert(attr),
                        None => tree.attrs[first..].iter().all(|(kept, _)| *kept != attr),
                    };
                    if new {
                        tree.attrs.push((attr, decoded(value, true)));
                    }
                }
                let after = offset(token.raw) + to_u32(token.raw.len());
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
                let at = to_u32(node_index);
                if let Some(&parent) = stack.last() {
                    let last = tree.nodes[parent].last_child;
                    if last == NONE {
                        tree.nodes[parent].first_child = at;
                    } else {
                        tree.nodes[last as usize].next_sibling = at;
                    }
                    tree.nodes[parent].last_child = at;
                    tree.nodes[parent].child_count += 1;
                }
                if token.kind == Kind::Start {
                    stack.push(node_index);
                }
                None
            }
            Kind::End => {
                if let Some(node) = stack.pop() {
                    tree.nodes[node].inner.1 = offset(token.raw);
                }
                None
            }
        };
        if let Some(raw) = as_text {
            if let Some(node) = text_target(&mut tree.nodes, stack) {
                if node.text.is_empty() {
                    node.text = decoded(raw, false);
                } else {
                    decode_into(node.text.to_mut(), raw, false);
                }
            }
        }
    }
    Ok(stray)
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
