//! [`Pieces`]: a one-shot [`scan`](super::scan) handed out a piece at a time.
//!
//! Scanning a 10 MB text into one `Vec<Span>` (48 bytes a span) and then converting it
//! touches tens of megabytes that are no longer in cache when they are read back, and that
//! the allocator maps afresh (page faults) on every call: the time then grows faster than
//! the text. Going a piece at a time keeps the span buffer small and reused, so each span
//! is converted while it is still in cache and the extra memory stays bounded by one piece.

use super::lexer::Chars;
use super::stream::Machine;
use super::{Incomplete, Span, TagSet};

/// Bytes of text lexed per [`Pieces::fill`] call: at most 16k spans (a `<a/>` is 4 bytes),
/// so a full buffer (768 KB) still fits in L2.
const PIECE_BYTES: usize = 64 * 1024;

/// Still-open starts reported per [`Pieces::fill`] call once the text is done.
const FINISH_BATCH: usize = 4096;

/// The spans of one text, produced a piece at a time; the same spans in the same order as
/// [`scan`](super::scan), which is this fed to the end.
///
/// ```
/// use _native::scan::{scan, Incomplete, Pieces, TagSet};
///
/// let tags = TagSet::new(["a"])?;
/// let text = "<a>x</a> <a>y</a> <a>z";
/// let mut pieces = Pieces::with_piece_len(text, &tags, Incomplete::Close, 4);
/// let mut spans = Vec::new();
/// while pieces.fill(&mut spans) {}
/// assert_eq!(spans, scan(text, &tags, Incomplete::Close));
/// # Ok::<(), _native::scan::ScanError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pieces<'a> {
    text: &'a str,
    tags: &'a TagSet,
    mode: Incomplete,
    machine: Machine<Chars>,
    /// Bytes of `text` lexed so far.
    pos: usize,
    piece_len: usize,
    /// Every span has been handed out.
    done: bool,
}

impl<'a> Pieces<'a> {
    /// Pieces of the default length (64 KB).
    pub fn new(text: &'a str, tags: &'a TagSet, mode: Incomplete) -> Self {
        Self::with_piece_len(text, tags, mode, PIECE_BYTES)
    }

    /// Pieces of about `piece_len` bytes (at least 1; a piece ends on a character boundary).
    pub fn with_piece_len(
        text: &'a str,
        tags: &'a TagSet,
        mode: Incomplete,
        piece_len: usize,
    ) -> Self {
        Self {
            text,
            tags,
            mode,
            machine: Machine::new(tags),
            pos: 0,
            piece_len: piece_len.max(1),
            done: false,
        }
    }

    /// Internal cost counter (see [`TagStream::work`](super::TagStream::work)).
    pub fn work(&self) -> u64 {
        self.machine.work()
    }

    /// Pushes the spans completed by the next piece of the text to `out` (and, once the text
    /// is done, what the incomplete mode adds, in batches). Returns `false`, pushing nothing,
    /// once every span has been handed out.
    pub fn fill(&mut self, out: &mut Vec<Span>) -> bool {
        if self.done {
            return false;
        }
        let len = self.text.len();
        if self.pos < len {
            let mut end = (self.pos + self.piece_len).min(len);
            while !self.text.is_char_boundary(end) {
                end += 1;
            }
            self.machine
                .feed(self.tags, &self.text.as_bytes()[self.pos..end], out);
            self.pos = end;
            if end < len {
                return true;
            }
        }
        self.done = self.machine.finish_some(self.mode, out, FINISH_BATCH);
        true
    }
}
