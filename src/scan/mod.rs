//! Find `<tag …>inner</tag>` spans in model output, in one pass or chunk by chunk.
//!
//! The scanner is exact on well-formed XML and predictable on the rest:
//!
//! - a tag name matches only exactly (`<answers>` is not `answer`);
//! - start tags may carry attributes (`a="x>y"`, `a='v'`, `a=v`, bare `a`);
//! - a `<` outside quotes, or inside a quoted value, ends a candidate tag and scanning resumes
//!   at that `<`, so the lexer never backtracks;
//! - `<![CDATA[ … ]]>` and `<!-- … -->` are opaque;
//! - each tag name has its own stack: an end tag closes the most recent open start of its name,
//!   and an end tag with nothing open is ignored;
//! - what happens to starts still open at the end is an explicit [`Incomplete`] mode.
//!
//! Offsets are code points (Python `str` indices). [`scan`] is the streaming [`TagStream`]
//! machine fed once, so both agree by construction.
//!
//! ```
//! use _native::scan::{scan, Incomplete, TagSet};
//!
//! let tags = TagSet::new(["answer"])?;
//! let text = "Use <answer> tags: <answer>hi</answer>";
//! let spans = scan(text, &tags, Incomplete::Drop);
//! assert_eq!(spans.len(), 1);
//! assert_eq!(&text[spans[0].inner_start..spans[0].inner_end], "hi"); // ASCII: bytes == chars
//! assert_eq!(spans[0].depth, 1); // the stray `<answer>` was still open around it
//! # Ok::<(), _native::scan::ScanError>(())
//! ```

mod lexer;
mod pairing;
mod stream;

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

pub use stream::TagStream;

/// One element found in the text. All offsets are code points from the start of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// Index of the tag name in the [`TagSet`].
    pub tag: usize,
    /// Offset of the `<` of the start tag.
    pub start: usize,
    /// Offset just past the `>` of the end tag (or of a self-closing tag, or the end of the
    /// text for a span reported by [`Incomplete::Close`]).
    pub end: usize,
    /// Offset just past the start tag.
    pub inner_start: usize,
    /// Offset of the `<` of the end tag (equal to `inner_start` for a self-closing tag).
    pub inner_end: usize,
    /// Number of starts of the same name still open around this one when it closed.
    pub depth: u32,
    /// The element was written `<tag/>` (its inner text is empty).
    pub self_closing: bool,
    /// `false` only for spans reported at the end by [`Incomplete::Close`].
    pub closed: bool,
}

/// What to do with start tags that are still open when the input ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Incomplete {
    /// Unclosed starts produce nothing.
    #[default]
    Drop,
    /// Every unclosed start becomes a span that ends at the end of the text (`closed == false`).
    Close,
}

/// Why a tag set could not be built or a stream could not go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// A tag name is empty or holds a character other than a letter, digit, `-`, `_`, `.`, `:`.
    InvalidTagName {
        /// The offending name as given.
        name: String,
        /// Code-point index of the first bad character (0 for an empty name).
        position: usize,
    },
    /// A chunk is not valid UTF-8; the chunk was rejected and the stream is unchanged.
    InvalidUtf8 {
        /// Byte offset in the whole stream of the first invalid byte.
        position: usize,
    },
    /// The stream ended inside a multi-byte UTF-8 character.
    TruncatedUtf8 {
        /// Byte offset in the whole stream where the unfinished character starts.
        position: usize,
    },
    /// `feed` or `finish` was called after `finish`.
    Finished,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidTagName { name, .. } if name.is_empty() => {
                write!(f, "invalid tag name '': a tag name cannot be empty")
            }
            Self::InvalidTagName { name, position } => {
                let bad = name.chars().nth(*position).unwrap_or('?');
                write!(
                    f,
                    "invalid tag name {name:?}: {bad:?} at index {position} is not a letter, \
                     digit, '-', '_', '.' or ':'"
                )
            }
            Self::InvalidUtf8 { position } => {
                write!(
                    f,
                    "chunk is not valid UTF-8: invalid byte at byte {position} of the stream"
                )
            }
            Self::TruncatedUtf8 { position } => write!(
                f,
                "the stream ended inside a multi-byte UTF-8 character starting at byte {position}"
            ),
            Self::Finished => write!(
                f,
                "the tag stream is finished; feed() and finish() cannot be called after finish()"
            ),
        }
    }
}

impl std::error::Error for ScanError {}

/// `true` for the bytes a tag name may hold: ASCII letters and digits, `-`, `_`, `.`, `:`.
#[inline]
pub(crate) fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

/// [`is_name_byte`] as a table (one load instead of a chain of range checks).
static NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':');
        b += 1;
    }
    table
};

/// FNV-1a: tag names are a few bytes long and chosen by the caller, not by the text being
/// scanned (a lookup key is at most one byte longer than the longest name), so a simple fast
/// hash beats the default `SipHash` here without opening a flooding hole.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameHasher(u64);

impl Default for NameHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        // The length prefix of a slice key: one round instead of eight.
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x0100_0000_01b3);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The tag names to look for. A name given twice is kept once, at its first index.
#[derive(Debug, Clone, Default)]
pub struct TagSet {
    names: Vec<String>,
    index: HashMap<Box<[u8]>, usize, BuildHasherDefault<NameHasher>>,
    max_len: usize,
    /// Bit `b` of word `b / 64` is set when some name starts with byte `b`.
    first: [u64; 2],
}

impl TagSet {
    /// Validates `names` and builds the lookup table.
    ///
    /// ```
    /// use _native::scan::TagSet;
    /// assert!(TagSet::new(["fun-fact", "item.v2", "ns:x"]).is_ok());
    /// let err = TagSet::new(["ok", "bad tag"]).unwrap_err();
    /// assert!(err.to_string().contains("\"bad tag\""));
    /// ```
    pub fn new<I, S>(names: I) -> Result<Self, ScanError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Self::default();
        for name in names {
            let name = name.as_ref();
            if let Some(position) = name
                .chars()
                .position(|c| !c.is_ascii() || !is_name_byte(c as u8))
            {
                return Err(ScanError::InvalidTagName {
                    name: name.to_owned(),
                    position,
                });
            }
            if name.is_empty() {
                return Err(ScanError::InvalidTagName {
                    name: String::new(),
                    position: 0,
                });
            }
            let next = set.names.len();
            set.index.entry(name.as_bytes().into()).or_insert(next);
            set.names.push(name.to_owned());
            set.max_len = set.max_len.max(name.len());
            if let Some(&b) = name.as_bytes().first() {
                set.first[usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        Ok(set)
    }

    /// The names in the order given (duplicates included, so indices stay as given).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of names given.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// `true` when no name was given.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name at `index` (as given to [`TagSet::new`]).
    pub fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(String::as_str)
    }

    /// Index of the tag called `name`, if it is in the set.
    #[inline]
    pub(crate) fn lookup(&self, name: &[u8]) -> Option<usize> {
        if name.len() > self.max_len {
            return None;
        }
        self.index.get(name).copied()
    }

    /// `true` when some name starts with `b` (so a `<` followed by another byte is not one
    /// of our tags).
    #[inline]
    pub(crate) fn may_start(&self, b: u8) -> bool {
        b < 128 && self.first[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// Length in bytes of the longest name (names longer than this cannot match).
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }
}

/// Every span of `tags` in `text`, in closing order (then, for [`Incomplete::Close`], the
/// still-open starts from the innermost out).
///
/// Runs in time linear in `text` on every input.
pub fn scan(text: &str, tags: &TagSet, mode: Incomplete) -> Vec<Span> {
    let mut machine = stream::Machine::new(tags);
    let mut out = Vec::new();
    machine.feed(tags, text.as_bytes(), &mut out);
    machine.finish(mode, &mut out);
    out
}

#[cfg(test)]
mod tests;
