//! [`candidates`]: the elements a parser builds models from, per tag name.

use super::{scan, Incomplete, Span, TagSet};

/// Per tag name of `tags` (in its order; a name given twice gets the same spans twice), the
/// [`innermost`] of that name's spans in `text`
/// (unclosed starts dropped). Each name has its own stack in the scanner, so one scan for
/// several names gives each name the spans a scan for it alone would.
///
/// ```
/// use _native::scan::{candidates, TagSet};
/// let tags = TagSet::new(["a", "b"])?;
/// let found = candidates("<a>x <b>y</b></a> <a><a>z</a></a>", &tags);
/// assert_eq!(found[0].iter().map(|s| s.start).collect::<Vec<_>>(), vec![0, 21]);
/// assert_eq!(found[1].iter().map(|s| s.start).collect::<Vec<_>>(), vec![5]);
/// # Ok::<(), _native::scan::ScanError>(())
/// ```
pub fn candidates(text: &str, tags: &TagSet) -> Vec<Vec<Span>> {
    let mut by_tag: Vec<Vec<Span>> = vec![Vec::new(); tags.names().len()];
    for span in scan(text, tags, Incomplete::Drop) {
        if let Some(spans) = by_tag.get_mut(span.tag) {
            spans.push(span);
        }
    }
    let mut found: Vec<Vec<Span>> = by_tag.into_iter().map(innermost).collect();
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
}
