//! The tokens of one element's text: text, CDATA content, start, self-closing and end tags
//! (with their raw attributes), and comments and processing instructions to skip.

use super::to_u32;
use crate::scan::is_name_byte;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
pub(super) struct Token<'a> {
    pub(super) kind: Kind,
    /// A start or end tag that pairs (every other token is text or nothing).
    pub(super) paired: bool,
    pub(super) name: &'a str,
    pub(super) raw: &'a str,
    pub(super) attrs: (u32, u32),
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
pub(super) struct Tokens<'a> {
    pub(super) list: Vec<Token<'a>>,
    pub(super) attrs: Vec<(&'a str, &'a str)>,
    /// How many start tags (self-closing ones included).
    pub(super) starts: usize,
    /// How many `<` read as text could start a tag for the scanner (followed by `/`, `!` or
    /// a name byte): see [`Builder::held_all`](super::Builder::held_all).
    pub(super) loose: usize,
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
            let (value, next) = quoted_value(s, i, quote)?;
            attrs.push((name, value));
            i = next;
        } else {
            let (value, next, closes) = unquoted_value(s, i)?;
            attrs.push((name, value));
            if closes {
                return Some((true, next));
            }
            i = next;
        }
    }
}

/// The attribute value quoted by the `quote` at `i`, and the index past its closing quote;
/// `None` when it is not closed or holds a `<`.
#[inline]
fn quoted_value(s: &str, i: usize, quote: u8) -> Option<(&str, usize)> {
    let bytes = s.as_bytes();
    let close = memchr::memchr(quote, &bytes[i + 1..])? + i + 1;
    let value = &s[i + 1..close];
    if memchr::memchr(b'<', value.as_bytes()).is_some() {
        return None;
    }
    Some((value, close + 1))
}

/// The unquoted attribute value starting at `i`, the index past it, and whether it ends the
/// tag as `/>` (the index is then past the `>`, and the `/` is not part of the value);
/// `None` when it is empty.
#[inline]
fn unquoted_value(s: &str, i: usize) -> Option<(&str, usize, bool)> {
    let bytes = s.as_bytes();
    let len = bytes[i..]
        .iter()
        .take_while(|&&b| !b.is_ascii_whitespace() && !matches!(b, b'>' | b'<' | b'"' | b'\''))
        .count();
    if len == 0 {
        return None;
    }
    let value = &s[i..i + len];
    if value.ends_with('/') && bytes.get(i + len) == Some(&b'>') {
        return Some((&value[..value.len() - 1], i + len + 1, true));
    }
    Some((value, i + len, false))
}

/// The token starting at the `<` at `i`, and the index after it (`None`: the `<` is text).
/// A start tag's attributes are appended to `attrs`; `marks` finds end markers.
fn markup<'a>(
    s: &'a str,
    i: usize,
    attrs: &mut Vec<(&'a str, &'a str)>,
    marks: &mut EndMarks,
) -> Option<(Token<'a>, usize)> {
    match s.as_bytes().get(i + 1)? {
        b'!' => comment_or_cdata(s, i, marks),
        b'?' => instruction(s, i, marks),
        b'/' => end_tag(s, i),
        _ => start_tag(s, i, attrs),
    }
}

/// [`markup`] for `<!`: a comment (skipped) or a CDATA section; `None` for anything else
/// or when its end marker is missing.
#[inline]
fn comment_or_cdata<'a>(s: &'a str, i: usize, marks: &mut EndMarks) -> Option<(Token<'a>, usize)> {
    let bytes = s.as_bytes();
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

/// [`markup`] for `<?`: a processing instruction, skipped; `None` when `?>` is missing.
#[inline]
fn instruction<'a>(s: &'a str, i: usize, marks: &mut EndMarks) -> Option<(Token<'a>, usize)> {
    let end = marks.find(s.as_bytes(), 2, i + 2)?;
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

/// [`markup`] for `</`: an end tag (`</name>`, whitespace allowed before `>`).
#[inline]
fn end_tag(s: &str, i: usize) -> Option<(Token<'_>, usize)> {
    let bytes = s.as_bytes();
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

/// [`markup`] for `<` and a name: a start or self-closing tag, its attributes appended to
/// `attrs` (none are left there when it is not well-formed).
#[inline]
fn start_tag<'a>(
    s: &'a str,
    i: usize,
    attrs: &mut Vec<(&'a str, &'a str)>,
) -> Option<(Token<'a>, usize)> {
    let len = name_len(&s.as_bytes()[i + 1..]);
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

/// Whether a `<` followed by `next` may start a tag, comment or CDATA section for the
/// scanner (which reads names of `-`, `.`, digits... that no XML name starts with).
fn may_open(next: Option<&u8>) -> bool {
    next.is_some_and(|&b| b == b'/' || b == b'!' || is_name_byte(b))
}

pub(super) fn tokenize<'a>(s: &'a str, tokens: &mut Tokens<'a>) {
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
