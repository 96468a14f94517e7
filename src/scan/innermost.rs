//! [`candidates`]: the elements a parser builds models from, per tag name.

use super::lexer::Bytes;
use super::stream::Machine;
use super::{Span, TagSet};
use crate::offsets::chars_of;

/// An element a model is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Where it is.
    pub span: Span,
    /// It has no text inside: self-closing, empty, or only whitespace (what Python's
    /// `str.isspace` calls whitespace: Unicode `White_Space` and U+001C..U+001F), such as an
    /// echoed `<answer></answer>` example.
    pub hollow: bool,
    /// Byte offsets of `span.start` and `span.end` in the text.
    pub bytes: (usize, usize),
}

/// Per tag name of `tags` (in its order; a name given twice gets the same spans twice), the
/// [`innermost`] of that name's spans in `text` (unclosed starts dropped), each with whether
/// it is hollow. Each name has its own stack in the scanner, so one scan for several names
/// gives each name the spans a scan for it alone would.
///
/// ```
/// use _native::scan::{candidates, TagSet};
/// let tags = TagSet::new(["a", "b"])?;
/// let found = candidates("<a>x <b> </b></a> <a><a>z</a></a>", &tags);
/// assert_eq!(found[0].iter().map(|c| c.span.start).collect::<Vec<_>>(), vec![0, 21]);
/// assert_eq!(found[1].iter().map(|c| (c.span.start, c.hollow)).collect::<Vec<_>>(), vec![(5, true)]);
/// # Ok::<(), _native::scan::ScanError>(())
/// ```
pub fn candidates(text: &str, tags: &TagSet) -> Vec<Vec<Candidate>> {
    // The scan and the choice of candidates work in bytes (the choice only compares offsets,
    // and byte and code-point offsets of character boundaries are in the same order); only
    // the offsets of the candidates kept are converted, in one sweep for all names. The
    // unclosed starts left at the end are dropped, so the machine is not finished.
    let mut spans = Vec::new();
    Machine::<Bytes>::new(tags).feed(tags, text.as_bytes(), &mut spans);
    let mut by_tag: Vec<Vec<Span>> = vec![Vec::new(); tags.names().len()];
    for span in spans {
        if let Some(spans) = by_tag.get_mut(span.tag) {
            spans.push(span);
        }
    }
    let kept: Vec<Vec<Span>> = by_tag
        .into_iter()
        .enumerate()
        .map(|(tag, spans)| {
            if tags.is_outermost(tag) {
                outermost(spans)
            } else {
                innermost(spans)
            }
        })
        .collect();
    // In text order within each span, and each name's spans by start: a few sorted runs. The
    // end is not looked up: from `inner_end` to `end` is an end tag (or nothing, for `<a/>`),
    // all ASCII, so as many code points as bytes.
    let mut chars: Vec<usize> = kept
        .iter()
        .flatten()
        .flat_map(|s| [s.start, s.inner_start, s.inner_end])
        .collect();
    chars_of(text.as_bytes(), &mut chars);
    let mut chars = chars.chunks_exact(3);
    let mut found: Vec<Vec<Candidate>> = kept
        .into_iter()
        .map(|spans| {
            spans
                .into_iter()
                .map(|bytes| {
                    let mut span = bytes;
                    if let Some(&[start, inner_start, inner_end]) = chars.next() {
                        debug_assert!(text.as_bytes()[bytes.inner_end..bytes.end].is_ascii());
                        (span.start, span.inner_start) = (start, inner_start);
                        span.inner_end = inner_end;
                        span.end = inner_end + (bytes.end - bytes.inner_end);
                    }
                    Candidate {
                        span,
                        hollow: span.self_closing || blank(text, &bytes),
                        bytes: (bytes.start, bytes.end),
                    }
                })
                .collect()
        })
        .collect();
    // A name given twice has its spans under its first index: give the copy the same.
    let names = tags.names();
    for index in 0..names.len() {
        if let Some(first) = names[..index].iter().position(|n| *n == names[index]) {
            let (head, tail) = found.split_at_mut(index);
            tail[0].clone_from(&head[first]);
        }
    }
    found
}

/// Whether `c` is whitespace to Python's `str.isspace`.
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Whether the inner text of `span`, whose offsets are bytes of `text`, is empty or only
/// whitespace (reads up to the first visible character).
fn blank(text: &str, span: &Span) -> bool {
    text.get(span.inner_start..span.inner_end)
        .map_or(true, |inner| inner.chars().all(is_python_space))
}

/// Keep the spans (of one tag name, or of a set taken as one) that hold no other
/// non-self-closing span, sorted by position (start, then the longer first).
///
/// When an element holds another one of the same tag set (`<a>use <a>x</a></a>`), only the
/// inner one is a candidate. A self-closing `<a/>` is always a candidate of its own and never
/// makes the element around it an outer one. Linear after the sort.
///
/// ```
/// use _native::scan::{innermost, scan, Incomplete, TagSet};
/// let tags = TagSet::new(["a"])?;
/// let spans = innermost(scan("<a>x <a>y</a><a/></a> <a>z</a>", &tags, Incomplete::Drop));
/// assert_eq!(spans.iter().map(|s| s.start).collect::<Vec<_>>(), vec![5, 13, 22]);
/// # Ok::<(), _native::scan::ScanError>(())
/// ```
pub fn innermost(mut spans: Vec<Span>) -> Vec<Span> {
    if spans.len() < 2 {
        return spans;
    }
    // Stable: spans with the same start and end keep their scan order.
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut outer = vec![false; spans.len()];
    let mut previous: Option<usize> = None;
    for (index, span) in spans.iter().enumerate() {
        if span.self_closing {
            continue;
        }
        if let Some(prev) = previous {
            if span.start < spans[prev].end {
                outer[prev] = true;
            }
        }
        previous = Some(index);
    }
    if !outer.contains(&true) {
        return spans;
    }
    spans
        .into_iter()
        .zip(outer)
        .filter_map(|(span, outer)| (!outer).then_some(span))
        .collect()
}

/// Keep the spans that no other span holds, sorted by position: the candidates of a name
/// marked [`TagSet::mark_outermost`]. Self-closing spans inside another are held by it.
/// Linear after the sort.
///
/// ```
/// use _native::scan::{outermost, scan, Incomplete, TagSet};
/// let tags = TagSet::new(["a"])?;
/// let spans = outermost(scan("<a>x <a>y</a><a/></a> <a>z</a> <a/>", &tags, Incomplete::Drop));
/// assert_eq!(spans.iter().map(|s| s.start).collect::<Vec<_>>(), vec![0, 22, 31]);
/// # Ok::<(), _native::scan::ScanError>(())
/// ```
pub fn outermost(mut spans: Vec<Span>) -> Vec<Span> {
    if spans.len() < 2 {
        return spans;
    }
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut reach = 0;
    let mut kept = Vec::with_capacity(spans.len());
    for span in spans {
        // Same-name elements nest properly, so a span starting before the reach of the last
        // kept one lies inside it.
        if kept.is_empty() || span.start >= reach {
            reach = span.end;
            kept.push(span);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{scan, Incomplete, TagSet};

    fn starts(text: &str, tags: &[&str]) -> Vec<usize> {
        let tags = TagSet::new(tags.iter().copied()).unwrap();
        innermost(scan(text, &tags, Incomplete::Drop))
            .iter()
            .map(|s| s.start)
            .collect()
    }

    #[test]
    fn outermost_keeps_the_spans_no_other_span_holds() {
        let texts = [
            "<a>use <a>x</a></a>",
            "<a><a/></a><a/>",
            "<a>1</a><a>2</a>",
            "<a><a><a>deep</a></a><a/></a> <a>next</a>",
            "<a>stray <a>inner</a> <a>two</a>",
            "",
        ];
        let tags = TagSet::new(["a"]).unwrap();
        for text in texts {
            let spans = scan(text, &tags, Incomplete::Drop);
            let held = |s: &Span| {
                spans
                    .iter()
                    .any(|o| o != s && o.start <= s.start && s.end <= o.end)
            };
            let mut expected: Vec<usize> =
                spans.iter().filter(|s| !held(s)).map(|s| s.start).collect();
            expected.sort_unstable();
            let found: Vec<usize> = outermost(spans.clone()).iter().map(|s| s.start).collect();
            assert_eq!(found, expected, "{text}");
        }
    }

    #[test]
    fn keeps_the_inner_element_and_self_closing_ones() {
        assert_eq!(starts("<a>use <a>x</a></a>", &["a"]), vec![7]);
        assert_eq!(starts("<a><a/></a>", &["a"]), vec![0, 3]);
        assert_eq!(starts("<a>1</a><a>2</a>", &["a"]), vec![0, 8]);
        assert_eq!(starts("<a><a>x</a><a>y</a></a>", &["a"]), vec![3, 11]);
        assert_eq!(starts("", &["a"]), Vec::<usize>::new());
    }

    #[test]
    fn nesting_across_tags_of_one_set_counts_too() {
        assert_eq!(
            starts("<a>x <b>y</b></a> <b>z</b>", &["a", "b"]),
            vec![5, 18]
        );
    }

    #[test]
    fn candidates_are_per_name_and_match_single_name_scans() {
        let text = "<a>x <b>y</b></a> <b x='<a>'>z</b> <a><a/></a> <b><b> </b></b>";
        let both = candidates(text, &TagSet::new(["a", "b"]).unwrap());
        for (index, name) in ["a", "b"].into_iter().enumerate() {
            let alone = candidates(text, &TagSet::new([name]).unwrap());
            let key = |found: &[Candidate]| {
                found
                    .iter()
                    .map(|c| (c.span.start, c.span.end, c.span.depth, c.hollow))
                    .collect::<Vec<_>>()
            };
            assert_eq!(key(&both[index]), key(&alone[0]), "{name}");
        }
        assert_eq!(both[0].len(), 3);
        let twice = candidates(text, &TagSet::new(["b", "a", "b"]).unwrap());
        assert_eq!(twice[0], twice[2]);
    }

    #[test]
    fn hollow_means_nothing_python_calls_visible_inside() {
        let tags = TagSet::new(["a"]).unwrap();
        let hollow = |text: &str| {
            candidates(text, &tags)[0]
                .iter()
                .map(|c| c.hollow)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            hollow("<a></a> <a/> <a> \n\t</a> <a> x </a>"),
            [true, true, true, false]
        );
        assert_eq!(
            hollow("é😀 <a>\u{1f}\u{3000}\u{85}</a> <a>\u{200b}</a>"),
            [true, false]
        );
        // Only the candidate's own inner text counts, after multi-byte text before it.
        assert_eq!(hollow("<a>😀 <a> </a></a> <a>é</a>"), [true, false]);
    }
}
