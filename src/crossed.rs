//! Which parts of a text an element of the text crosses: normalisation's guard.
//!
//! Parsing rewrites a standalone part's element with its model's pretty XML. When the
//! element holds a tag of another element that crosses it (`<answer>a <f>b</answer> c</f>`:
//! the `</answer>` inside `<f>`), the rewrite would delete or escape that tag and silently
//! change the other element. [`crossed`] says which parts are crossed, so they keep their
//! text as written.
//!
//! The common case costs one pass over each element: an element whose tags all pair inside
//! it, with no other `<` that may open a tag ([`Containment::holds_all`]), is crossed by
//! nothing. For the others, the tags that may pair outside ([`Containment::strays`]: a stray
//! `<br>`, a `</b>` without its start) are looked up: a stray start needs an end tag of its
//! name written after the element, a stray end a start tag written before it (two searches
//! of the text per name, for up to [`FEW_NAMES`] names). Only when one is there is the
//! whole text scanned, once for all such elements, for those names, and the scanner's
//! elements are compared with the parts. Linear in the text plus the parts (and a sort).
//!
//! ```
//! use _native::crossed::crossed;
//! let text = "x <answer>a <f>b</answer> c</f> <g>d</g>";
//! assert_eq!(crossed(text, true, &[(2, 25), (32, 40)]), vec![true, false]);
//! ```

use std::collections::{HashMap, HashSet};

use crate::codec::tree::{Containment, Stray};
use crate::offsets::skip_chars;
use crate::scan::{scan, Incomplete, TagSet};

/// Past this many names of stray tags in one call, the text is scanned without first
/// looking for their other halves (each name costs up to two searches of the text).
const FEW_NAMES: usize = 16;

/// Where the other halves of stray tags may be written: forward searches of the text for
/// `</name` and `<name`, each remembered so that the searches of one name cover the text at
/// most once (memchr's forward search; its reverse one is several times slower).
struct Halves<'t> {
    text: &'t [u8],
    /// Per name: the end of the part of the text searched for `<name`, and the first found.
    starts: HashMap<&'t str, (usize, Option<usize>)>,
    /// Per name: where the last search for `</name` began, and what it found.
    ends: HashMap<&'t str, (usize, Option<usize>)>,
    pattern: Vec<u8>,
}

impl<'t> Halves<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text: text.as_bytes(),
            starts: HashMap::new(),
            ends: HashMap::new(),
            pattern: Vec::new(),
        }
    }

    fn find(&mut self, end_tag: bool, name: &str, from: usize, to: usize) -> Option<usize> {
        self.pattern.clear();
        self.pattern
            .extend_from_slice(if end_tag { b"</" } else { b"<" });
        self.pattern.extend_from_slice(name.as_bytes());
        let hay = self.text.get(from..to)?;
        memchr::memmem::find(hay, &self.pattern).map(|at| from + at)
    }

    /// Whether `</name` is written at or after byte `at`. Asked with `at` not decreasing
    /// (elements by start), each search starts past the previous one's finding.
    fn end_after(&mut self, name: &'t str, at: usize) -> bool {
        if let Some(&(from, found)) = self.ends.get(name) {
            if at >= from && found.map_or(true, |found| at <= found) {
                return found.is_some();
            }
        }
        let found = self.find(true, name, at, self.text.len());
        self.ends.insert(name, (at, found));
        found.is_some()
    }

    /// Whether `<name` is written before byte `at`.
    fn start_before(&mut self, name: &'t str, at: usize) -> bool {
        let (searched, mut found) = self.starts.get(name).copied().unwrap_or((0, None));
        if found.is_none() && at > searched {
            // Go on from where the last search of this name stopped (a match may straddle).
            let from = searched.saturating_sub(name.len());
            found = self.find(false, name, from, at.min(self.text.len()));
            self.starts.insert(name, (at.max(searched), found));
        }
        found.is_some_and(|found| found < at)
    }
}

/// The byte ranges of the code-point ranges `spans` of `text`, visited in `order` (by
/// start); `None` for a range outside the text. One forward sweep (none for ASCII text).
fn byte_ranges(
    text: &str,
    ascii: bool,
    spans: &[(usize, usize)],
    order: &[usize],
) -> Vec<Option<(usize, usize)>> {
    let mut out = vec![None; spans.len()];
    let bytes = text.as_bytes();
    let (mut byte, mut char) = (0, 0);
    for &index in order {
        let (start, end) = spans[index];
        if end < start {
            continue;
        }
        out[index] = if ascii {
            (end <= bytes.len()).then_some((start, end))
        } else {
            let from = byte + skip_chars(&bytes[byte..], start - char);
            let to = from + skip_chars(&bytes[from..], end - start);
            (byte, char) = (from, start);
            // `skip_chars` stops at the end of the text when it holds fewer characters.
            (to < bytes.len() || crate::offsets::char_count(&bytes[from..to]) == end - start)
                .then_some((from, to))
        };
    }
    out
}

/// Per range of `spans` (code-point ranges of `text`, elements that do not overlap each
/// other), whether an element of `text`, as the scanner pairs its tags, crosses it: starts
/// inside it and ends after it, or ends inside it and starts before it. `ascii` says that
/// `text` is ASCII (code points are bytes); `false` is always correct. A range outside the
/// text counts as crossed (it must not be rewritten).
#[inline(never)] // off the parsing paths' hot code: most parts never get here
pub fn crossed(text: &str, ascii: bool, spans: &[(usize, usize)]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| spans[i]);
    let ranges = byte_ranges(text, ascii, spans, &order);
    crossed_in(text, spans, &ranges, &order)
}

/// [`crossed`] of one element whose byte range `bytes` is known as well as its code-point
/// range `span`.
#[inline(never)] // (as `crossed`)
pub fn crossed_at(text: &str, span: (usize, usize), bytes: (usize, usize)) -> bool {
    crossed_in(text, &[span], &[Some(bytes)], &[0])[0]
}

/// [`crossed`] with the byte ranges known, visited in `order` (by start).
fn crossed_in(
    text: &str,
    spans: &[(usize, usize)],
    ranges: &[Option<(usize, usize)>],
    order: &[usize],
) -> Vec<bool> {
    let mut out = vec![false; spans.len()];
    let mut check = Containment::default();
    // The stray tags of the elements that may be crossed; per such element, its index and
    // its strays' range in `strays`.
    let mut strays = Vec::new();
    let mut doubtful: Vec<(usize, usize, usize)> = Vec::new();
    for &index in order {
        let element = ranges[index].and_then(|(from, to)| text.get(from..to));
        let Some(element) = element else {
            out[index] = true;
            continue;
        };
        let first = strays.len();
        if !check.strays(element, &mut strays) {
            doubtful.push((index, first, strays.len()));
        }
    }
    if doubtful.is_empty() {
        return out;
    }
    // A stray start tag can only pair with an end tag written after the element, a stray
    // end tag with a start tag written before it: names without one stay out of the scan.
    let names: HashSet<&str> = strays.iter().map(|&(name, _)| name).collect();
    let mut written = (names.len() <= FEW_NAMES).then(|| Halves::new(text));
    let mut wanted = HashSet::new();
    let mut open: Vec<usize> = Vec::new();
    for &(index, first, last) in &doubtful {
        let Some((from, to)) = ranges[index] else {
            continue;
        };
        let mut any = false;
        for &(name, way) in &strays[first..last] {
            let other_half = written.as_mut().map_or(true, |written| match way {
                Stray::Start => written.end_after(name, to),
                Stray::End => written.start_before(name, from),
            });
            if other_half {
                wanted.insert(name);
                any = true;
            }
        }
        if any {
            open.push(index);
        }
    }
    if open.is_empty() {
        return out;
    }
    let Ok(tags) = TagSet::new(wanted) else {
        // (Names are valid by construction: not reached.)
        for &index in &open {
            out[index] = true;
        }
        return out;
    };
    let starts: Vec<usize> = open.iter().map(|&index| spans[index].0).collect();
    // The open range strictly around `at`, if any (the ranges do not overlap).
    let around = |at: usize| {
        let k = starts.partition_point(|&start| start < at).checked_sub(1)?;
        let index = open[k];
        (at < spans[index].1).then_some(index)
    };
    for element in scan(text, &tags, Incomplete::Drop) {
        let (a, b) = (element.start, element.end);
        if let Some(index) = around(a) {
            out[index] |= b > spans[index].1; // starts inside, ends after
        }
        if let Some(index) = around(b) {
            out[index] |= a < spans[index].0; // ends inside, starts before
        }
    }
    out
}

#[cfg(test)]
mod tests;
