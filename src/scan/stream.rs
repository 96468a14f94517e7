//! [`TagStream`]: the scanner fed chunk by chunk, as a model writes.
//!
//! The lexer never looks back, so a chunk boundary may fall anywhere: inside a tag name, an
//! attribute, a `<![CDATA[` marker or a multi-byte character. The stream keeps the lexer
//! state, the open-tag stacks and at most three bytes of an unfinished UTF-8 character;
//! never the text.

use super::lexer::{Chars, Lexer, Unit};
use super::pairing::Pairing;
use super::{Incomplete, ScanError, Span, TagSet};
use crate::offsets::utf8_width;

/// Lexer plus pairing, with offsets in `U`: the one machine behind both [`super::scan`] and
/// [`TagStream`] (in code points), and behind [`super::candidates`] (in bytes).
#[derive(Debug, Clone)]
pub(crate) struct Machine<U> {
    lexer: Lexer<U>,
    pairing: Pairing,
}

impl<U: Unit> Machine<U> {
    pub(crate) fn new(tags: &TagSet) -> Self {
        Self {
            lexer: Lexer::new(tags),
            pairing: Pairing::new(tags.len()),
        }
    }

    /// Lexes the next bytes and pushes the spans they complete to `out`.
    pub(crate) fn feed(&mut self, tags: &TagSet, bytes: &[u8], out: &mut Vec<Span>) {
        let pairing = &mut self.pairing;
        self.lexer
            .feed(tags, bytes, &mut |event| pairing.on_event(event, out));
    }

    /// Ends the input; pushes what `mode` adds to `out`.
    pub(crate) fn finish(&mut self, mode: Incomplete, out: &mut Vec<Span>) {
        self.pairing.finish(mode, self.lexer.pos(), out);
    }

    /// [`Self::finish`] in batches of at most `limit` spans; `true` once done.
    pub(crate) fn finish_some(
        &mut self,
        mode: Incomplete,
        out: &mut Vec<Span>,
        limit: usize,
    ) -> bool {
        self.pairing.finish_some(mode, self.lexer.pos(), out, limit)
    }

    pub(crate) fn work(&self) -> u64 {
        self.lexer.work() + self.pairing.work()
    }
}

/// Finds spans in a text that arrives in chunks.
///
/// Each span is returned by the [`feed`](TagStream::feed) call whose chunk holds its closing
/// `>`, exactly once, with offsets in code points from the start of the whole stream. The
/// total work is linear in the whole input whatever the chunking.
///
/// ```
/// use _native::scan::{Incomplete, TagSet, TagStream};
///
/// let mut stream = TagStream::new(TagSet::new(["answer"])?, Incomplete::Close);
/// assert!(stream.feed("é <ans".as_bytes())?.is_empty());
/// let spans = stream.feed(b"wer>42</answer> <answer>cut")?;
/// assert_eq!((spans[0].inner_start, spans[0].inner_end), (10, 12));
/// let rest = stream.finish()?;
/// assert!(!rest[0].closed);
/// assert_eq!(rest[0].end, stream.position());
/// # Ok::<(), _native::scan::ScanError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TagStream {
    tags: TagSet,
    mode: Incomplete,
    machine: Machine<Chars>,
    /// Leading bytes of a character cut by the end of the last chunk.
    tail: [u8; 4],
    tail_len: usize,
    /// Bytes accepted so far.
    bytes: usize,
    finished: bool,
}

impl TagStream {
    /// A stream looking for `tags`; `mode` decides what [`finish`](Self::finish) reports.
    pub fn new(tags: TagSet, mode: Incomplete) -> Self {
        let machine = Machine::new(&tags);
        Self {
            tags,
            mode,
            machine,
            tail: [0; 4],
            tail_len: 0,
            bytes: 0,
            finished: false,
        }
    }

    /// The tag set.
    pub fn tags(&self) -> &TagSet {
        &self.tags
    }

    /// The incomplete-input mode.
    pub fn mode(&self) -> Incomplete {
        self.mode
    }

    /// Complete code points consumed so far.
    pub fn position(&self) -> usize {
        self.machine.lexer.pos() - usize::from(self.tail_len > 0)
    }

    /// Internal cost counter: bytes examined plus stack operations. Tests read it to check
    /// that the work stays within a constant times the input length.
    pub fn work(&self) -> u64 {
        self.machine.work()
    }

    /// Feeds the next chunk (UTF-8 bytes, possibly cut inside a character) and returns the
    /// spans it completes, in closing order.
    ///
    /// An invalid chunk is rejected whole ([`ScanError::InvalidUtf8`]) and leaves the stream
    /// unchanged; after [`finish`](Self::finish) every call fails with [`ScanError::Finished`].
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Span>, ScanError> {
        if self.finished {
            return Err(ScanError::Finished);
        }
        self.check_utf8(chunk)?;
        let mut out = Vec::new();
        self.machine.feed(&self.tags, chunk, &mut out);
        self.bytes += chunk.len();
        Ok(out)
    }

    /// [`feed`](Self::feed) for a chunk known to be UTF-8: no validation unless the last
    /// chunk ended inside a character.
    pub fn feed_str(&mut self, chunk: &str) -> Result<Vec<Span>, ScanError> {
        if self.tail_len > 0 {
            return self.feed(chunk.as_bytes());
        }
        if self.finished {
            return Err(ScanError::Finished);
        }
        let mut out = Vec::new();
        self.machine.feed(&self.tags, chunk.as_bytes(), &mut out);
        self.bytes += chunk.len();
        Ok(out)
    }

    /// Ends the stream and returns what the incomplete mode adds (nothing for
    /// [`Incomplete::Drop`]). The stream cannot be used afterwards.
    pub fn finish(&mut self) -> Result<Vec<Span>, ScanError> {
        if self.finished {
            return Err(ScanError::Finished);
        }
        self.finished = true;
        if self.tail_len > 0 {
            return Err(ScanError::TruncatedUtf8 {
                position: self.bytes - self.tail_len,
            });
        }
        let mut out = Vec::new();
        self.machine.finish(self.mode, &mut out);
        Ok(out)
    }

    /// Checks that `chunk` continues valid UTF-8 and updates the cut-character tail; on error
    /// nothing changes.
    fn check_utf8(&mut self, chunk: &[u8]) -> Result<(), ScanError> {
        let mut tail = self.tail;
        let mut tail_len = self.tail_len;
        let mut rest = chunk;
        if tail_len > 0 {
            let width = utf8_width(tail[0]);
            let take = (width - tail_len).min(rest.len());
            tail[tail_len..tail_len + take].copy_from_slice(&rest[..take]);
            tail_len += take;
            rest = &rest[take..];
            let done = tail_len == width;
            match std::str::from_utf8(&tail[..tail_len]) {
                Ok(_) => {}
                Err(err) if !done && err.error_len().is_none() => {}
                Err(_) => {
                    return Err(ScanError::InvalidUtf8 {
                        position: self.bytes - self.tail_len,
                    })
                }
            }
            if !done {
                self.tail = tail;
                self.tail_len = tail_len;
                return Ok(());
            }
            tail_len = 0;
        }
        if let Err(err) = std::str::from_utf8(rest) {
            let valid = err.valid_up_to();
            let offset = chunk.len() - rest.len() + valid;
            if err.error_len().is_some() {
                return Err(ScanError::InvalidUtf8 {
                    position: self.bytes + offset,
                });
            }
            tail_len = rest.len() - valid;
            tail[..tail_len].copy_from_slice(&rest[valid..]);
        }
        self.tail = tail;
        self.tail_len = tail_len;
        Ok(())
    }
}
