//! Python's `textwrap.dedent`, for message content: what it removes, found in one pass.
//!
//! `textwrap.dedent` works line by line, lines ending at `\n` only:
//! - a blank line (empty, or only spaces and tabs) becomes empty;
//! - the margin, the longest run of spaces and tabs that all the lines that are not blank
//!   start with, is removed from each of them.
//!
//! [`dedent_ranges`] gives the byte ranges it removes, so a caller can splice them out of
//! a text it holds in another form (a Python `str`, by code points); [`dedent`] applies them.
//!
//! ```
//! use _native::dedent::dedent;
//! assert_eq!(dedent("  a\n    b\n \t\n  c"), "a\n  b\n\nc");
//! assert_eq!(dedent(" a\n\tb"), " a\n\tb"); // no common margin
//! ```

use std::borrow::Cow;
use std::ops::Range;

/// The lines of `bytes` as byte ranges without their `\n` (the last one may be empty).
fn lines(bytes: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    let mut start = 0;
    ends.map(move |end| {
        let line = start..end;
        start = end + 1;
        line
    })
}

/// Length of the run of spaces and tabs that `line` starts with.
fn indent(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// The byte ranges `textwrap.dedent` removes from the text of `bytes`, in order and disjoint.
///
/// Only `\n`, spaces and tabs are looked at, so any ASCII-compatible encoding of the text will
/// do (UTF-8, or UTF-8 with surrogates); the ranges start and end on character boundaries.
pub fn dedent_ranges(bytes: &[u8]) -> Vec<Range<usize>> {
    // The margin: the indent of the first line that is not blank, cut to what each later
    // such line's indent shares with it.
    let mut margin: Option<&[u8]> = None;
    for line in lines(bytes) {
        let line = &bytes[line];
        let width = indent(line);
        if width == line.len() {
            continue; // blank: no say in the margin
        }
        let own = &line[..width];
        margin = Some(match margin {
            None => own,
            Some(margin) => {
                let shared = margin.iter().zip(own).take_while(|(a, b)| a == b).count();
                &margin[..shared]
            }
        });
    }
    let margin = margin.map_or(0, <[u8]>::len);
    let mut ranges = Vec::new();
    for line in lines(bytes) {
        let width = indent(&bytes[line.clone()]);
        if width == line.len() {
            if width > 0 {
                ranges.push(line);
            }
        } else if margin > 0 {
            ranges.push(line.start..line.start + margin);
        }
    }
    ranges
}

/// `textwrap.dedent(text)`: borrowed when nothing is removed.
pub fn dedent(text: &str) -> Cow<'_, str> {
    let ranges = dedent_ranges(text.as_bytes());
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(without(text, &ranges))
}

/// `text` without `ranges` (byte ranges in order, disjoint, on character boundaries).
pub fn without(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut kept = 0;
    for range in ranges {
        out.push_str(&text[kept..range.start]);
        kept = range.end;
    }
    out.push_str(&text[kept..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_the_common_margin_and_empties_blank_lines() {
        assert_eq!(dedent("    a\n      b\n    c\n"), "a\n  b\nc\n");
        assert_eq!(dedent("\ta\n\t\tb"), "a\n\tb");
        assert_eq!(dedent("  a\n  \n  b"), "a\n\nb");
        assert_eq!(dedent("a\n   \nb"), "a\n\nb"); // a blank line is emptied, margin or not
        assert_eq!(dedent("a\n \t "), "a\n");
        assert_eq!(dedent("   "), "");
    }

    #[test]
    fn keeps_text_without_a_shared_margin() {
        for text in ["a\n  b", " a\n\tb", "", "\n\n", "x", "a\r\n  b\r\n"] {
            assert!(matches!(dedent(text), Cow::Borrowed(_)), "{text:?}");
        }
        assert_eq!(dedent("  \u{3000}a\n  b"), "\u{3000}a\nb"); // U+3000 is not a margin
        assert_eq!(dedent("  \ra\n  b"), "\ra\nb"); // lines end at \n only
        assert_eq!(dedent("  \x0c\n  b"), "\x0c\nb"); // a form feed is content
    }

    #[test]
    fn margin_is_the_longest_shared_run_not_the_shortest_indent() {
        assert_eq!(dedent(" \ta\n  b"), "\ta\n b");
        assert_eq!(dedent("  a\n\n  b\n"), "a\n\nb\n");
        assert_eq!(dedent_ranges("  é\n  🚀".as_bytes()), vec![0..2, 5..7]);
    }
}
