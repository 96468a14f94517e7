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

mod innermost;
mod lexer;
mod pairing;
mod pieces;
mod sections;
mod stream;
mod tagset;
mod text_stream;

use std::fmt;

pub use innermost::{candidates, innermost, is_python_space, outermost, Candidate};
pub use pieces::Pieces;
pub use sections::{unclosed_section, Section};
pub use stream::TagStream;
pub(crate) use tagset::is_name_byte;
pub use tagset::TagSet;
pub use text_stream::TextStream;

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

/// Every span of `tags` in `text`, in closing order (then, for [`Incomplete::Close`], the
/// still-open starts from the innermost out).
///
/// Runs in time linear in `text` on every input. [`Pieces`] gives the same spans a piece
/// at a time.
pub fn scan(text: &str, tags: &TagSet, mode: Incomplete) -> Vec<Span> {
    let mut pieces = Pieces::new(text, tags, mode);
    let mut out = Vec::new();
    while pieces.fill(&mut out) {}
    out
}

#[cfg(test)]
mod tests;
