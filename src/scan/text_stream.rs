//! [`TextStream`]: a [`TagStream`] fed `str` chunks that also keeps the text, so each span it
//! reports can be sliced out by code-point offsets (what a streaming parser builds models
//! from).

use super::{Incomplete, ScanError, Span, TagSet, TagStream};
use crate::offsets::{char_count, skip_chars};

/// Bytes between two marks of the code-point index (see [`TextStream::slice`]).
const MARK_BYTES: usize = 1024;

/// A [`TagStream`] over `str` chunks that keeps everything fed, sliceable by code points.
///
/// A slice costs a binary search in a sparse index (one mark per KB) plus a count over at
/// most 2 KB and the slice itself; feeding costs the scan plus appending the chunk, and the
/// index is built once over the text, so the total work stays linear in the text.
///
/// ```
/// use _native::scan::{Incomplete, TagSet, TextStream};
///
/// let mut stream = TextStream::new(TagSet::new(["answer"])?, Incomplete::Drop);
/// assert!(stream.feed("é <ans")?.is_empty());
/// let spans = stream.feed("wer>42</answer> done")?;
/// assert_eq!(stream.slice(spans[0].inner_start, spans[0].inner_end), Some("42"));
/// assert_eq!(stream.text(), "é <answer>42</answer> done");
/// # Ok::<(), _native::scan::ScanError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TextStream {
    inner: TagStream,
    text: String,
    /// `(code points, bytes)` of `text` at mark positions: `(0, 0)` first, then one at a
    /// character boundary at least every [`MARK_BYTES`] bytes.
    marks: Vec<(usize, usize)>,
    /// Code points of `text`.
    chars: usize,
}

impl TextStream {
    /// A stream looking for `tags`; `mode` decides what [`finish`](Self::finish) reports.
    pub fn new(tags: TagSet, mode: Incomplete) -> Self {
        Self {
            inner: TagStream::new(tags, mode),
            text: String::new(),
            marks: vec![(0, 0)],
            chars: 0,
        }
    }

    /// The scanner.
    pub fn scanner(&self) -> &TagStream {
        &self.inner
    }

    /// Everything fed so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Code points fed so far.
    pub fn chars(&self) -> usize {
        self.chars
    }

    /// Feeds the next chunk and returns the spans it completes, in closing order.
    ///
    /// After [`finish`](Self::finish) every call fails with [`ScanError::Finished`].
    pub fn feed(&mut self, chunk: &str) -> Result<Vec<Span>, ScanError> {
        let spans = self.inner.feed_str(chunk)?;
        self.text.push_str(chunk);
        self.chars = self.inner.position();
        self.extend_marks();
        Ok(spans)
    }

    /// Ends the stream and returns what the incomplete mode adds. The text stays readable.
    pub fn finish(&mut self) -> Result<Vec<Span>, ScanError> {
        self.inner.finish()
    }

    /// `text[start..end]` in code points, or `None` when the range is reversed or past the end.
    pub fn slice(&self, start: usize, end: usize) -> Option<&str> {
        if start > end || end > self.chars {
            return None;
        }
        if self.chars == self.text.len() {
            return Some(&self.text[start..end]); // all ASCII so far
        }
        let from = self.byte_of(start);
        let to = from + self.bytes_of(from, end - start);
        Some(&self.text[from..to])
    }

    /// Byte offset of code point `ch` (`ch <= self.chars`).
    fn byte_of(&self, ch: usize) -> usize {
        let i = self.marks.partition_point(|&(c, _)| c <= ch) - 1;
        let (c, b) = self.marks[i];
        b + self.bytes_of(b, ch - c)
    }

    /// Bytes taken by the `n` code points that start at byte `from`.
    fn bytes_of(&self, from: usize, n: usize) -> usize {
        skip_chars(&self.text.as_bytes()[from..], n)
    }

    /// Adds marks up to the end of the text (each new byte is counted once).
    fn extend_marks(&mut self) {
        let len = self.text.len();
        let &(mut c, mut b) = self.marks.last().unwrap_or(&(0, 0));
        while len - b >= 2 * MARK_BYTES {
            let mut next = b + MARK_BYTES;
            while !self.text.is_char_boundary(next) {
                next += 1;
            }
            c += char_count(&self.text.as_bytes()[b..next]);
            b = next;
            self.marks.push((c, b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(tags: &[&str]) -> TextStream {
        TextStream::new(TagSet::new(tags.iter().copied()).unwrap(), Incomplete::Drop)
    }

    #[test]
    fn slices_by_code_points_across_marks() {
        let unit = "aé🦀<b>ü</b> ";
        let text: String = unit.repeat(5_000);
        let mut s = stream(&["b"]);
        let mut spans = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let mut cut = rest.len().min(37);
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            spans.extend(s.feed(&rest[..cut]).unwrap());
            rest = &rest[cut..];
        }
        assert_eq!(s.text(), text);
        assert_eq!(spans.len(), 5_000);
        assert!(s.marks.len() > 10);
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(s.chars(), chars.len());
        for span in &spans {
            let expected: String = chars[span.start..span.end].iter().collect();
            assert_eq!(s.slice(span.start, span.end), Some(expected.as_str()));
            assert_eq!(s.slice(span.inner_start, span.inner_end), Some("ü"));
        }
        for (c, b) in &s.marks {
            assert_eq!(text[..*b].chars().count(), *c);
        }
    }

    #[test]
    fn one_huge_chunk_gets_marks_too() {
        let text = "é".repeat(100_000);
        let mut s = stream(&["b"]);
        s.feed(&text).unwrap();
        assert!(s.marks.len() >= 100_000 * 2 / (2 * MARK_BYTES));
        assert_eq!(s.slice(99_998, 100_000), Some("éé"));
        assert_eq!(s.slice(0, 0), Some(""));
    }

    #[test]
    fn bad_ranges_are_none() {
        let mut s = stream(&["b"]);
        s.feed("héllo").unwrap();
        assert_eq!(s.slice(3, 2), None);
        assert_eq!(s.slice(0, 6), None);
        assert_eq!(s.slice(1, 5), Some("éllo"));
        s.feed("abc").unwrap();
        assert_eq!(s.slice(0, 8), Some("hélloabc"));
    }

    #[test]
    fn finish_keeps_the_text_and_refuses_more() {
        let mut s = TextStream::new(TagSet::new(["b"]).unwrap(), Incomplete::Close);
        s.feed("x <b>open").unwrap();
        let rest = s.finish().unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(s.slice(rest[0].start, rest[0].end), Some("<b>open"));
        assert_eq!(s.feed("more"), Err(ScanError::Finished));
        assert_eq!(s.text(), "x <b>open");
    }
}
