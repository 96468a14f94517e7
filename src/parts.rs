//! Where a message's parsed parts may be normalised: the nesting rule of `add_parts`.
//!
//! A message records each parsed model as a part, a `(start, end)` code-point range of its
//! content. Elements may nest (`<question-answer>` around `<answer>`) but may not cross. A
//! part that neither holds nor sits in another part is *standalone*: only such a part has
//! its text replaced by the model's pretty XML (doing so inside or around another part would
//! change that part's text).
//!
//! ```
//! use _native::parts::standalone;
//! assert_eq!(standalone(&[(0, 10), (2, 5), (12, 20)]), Ok(vec![false, false, true]));
//! assert!(standalone(&[(0, 10), (5, 15)]).is_err());
//! ```

use std::fmt;

/// Two parts overlap without one holding the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    /// The part that starts later (or, at the same start, the shorter one).
    pub part: (usize, usize),
    /// The part it crosses.
    pub other: (usize, usize),
}

impl fmt::Display for Crossing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Incoming part {}:{} overlaps the part {}:{} without containing it",
            self.part.0, self.part.1, self.other.0, self.other.1
        )
    }
}

impl std::error::Error for Crossing {}

/// Per span, whether it neither holds nor sits in another span (touching is neither).
///
/// Spans are visited by start, the longer first at one start (equal spans in the given
/// order); the first crossing met is the error. O(k log k) for k spans.
pub fn standalone(spans: &[(usize, usize)]) -> Result<Vec<bool>, Crossing> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, std::cmp::Reverse(spans[i].1)));
    let mut alone = vec![true; spans.len()];
    let mut stack: Vec<usize> = Vec::new();
    for index in order {
        let (start, end) = spans[index];
        while stack.last().is_some_and(|&top| spans[top].1 <= start) {
            stack.pop();
        }
        if let Some(&parent) = stack.last() {
            if end > spans[parent].1 {
                return Err(Crossing {
                    part: (start, end),
                    other: spans[parent],
                });
            }
            alone[index] = false;
            alone[parent] = false;
        }
        stack.push(index);
    }
    Ok(alone)
}

/// The new spans (`spans[first_new..]`) to leave out so that no kept span crosses another:
/// each new span that crosses a recorded span (`spans[..first_new]`, which never cross each
/// other) or an earlier kept new span. Earlier means by start, the longer first, so of two
/// crossing new spans the one that starts first is kept. Indexes in order. O(k log k).
pub fn crossing_new(spans: &[(usize, usize)], first_new: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, std::cmp::Reverse(spans[i].1), i >= first_new, i));
    let mut dropped = vec![false; spans.len()];
    let mut stack: Vec<usize> = Vec::new();
    for index in order {
        let (start, end) = spans[index];
        while stack.last().is_some_and(|&top| spans[top].1 <= start) {
            stack.pop();
        }
        if index >= first_new {
            if stack.last().is_some_and(|&top| end > spans[top].1) {
                dropped[index] = true;
                continue;
            }
        } else {
            // A recorded span: the new spans it crosses go (recorded ones never cross).
            while let Some(&top) = stack.last() {
                if end <= spans[top].1 || top < first_new {
                    break; // (recorded spans crossing each other are not this call's to fix)
                }
                dropped[top] = true;
                stack.pop();
            }
        }
        stack.push(index);
    }
    (first_new..spans.len()).filter(|&i| dropped[i]).collect()
}

/// Which parts to keep when `parts[first_new..]` are added to `parts[..first_new]`: every
/// old part, and each new part whose `(start, end, kind)` no part before it has (parsing the
/// same element as the same kind of model again adds nothing). Indexes in order.
///
/// Sorts the indexes by key (no hashing): in a run of equal keys, the first index is kept
/// when it is new, and every old index is kept.
pub fn new_once<K: Ord + Copy>(parts: &[(usize, usize, K)], first_new: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_unstable_by_key(|&i| (parts[i], i));
    let mut kept = vec![false; parts.len()];
    let mut previous: Option<usize> = None;
    for i in order {
        let repeat = previous.is_some_and(|p| parts[p] == parts[i]);
        kept[i] = i < first_new || !repeat;
        previous = Some(i);
    }
    (0..parts.len()).filter(|&i| kept[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_new_spans_are_left_out_first_come_first_kept() {
        // Nesting and touching are fine.
        assert!(crossing_new(&[(0, 10), (2, 5), (10, 12)], 0).is_empty());
        // Two new spans crossing: the later one goes.
        assert_eq!(crossing_new(&[(0, 45), (10, 49)], 0), vec![1]);
        // A new span crossing a recorded one goes, wherever it starts.
        assert_eq!(crossing_new(&[(10, 20), (5, 15), (12, 18)], 1), vec![1]);
        assert_eq!(crossing_new(&[(10, 20), (15, 25)], 1), vec![1]);
        // A new span inside a dropped one stays when it crosses nothing kept.
        assert_eq!(crossing_new(&[(10, 20), (5, 15), (6, 8)], 1), vec![1]);
        // The result leaves no crossing.
        let spans = [(0, 4), (2, 8), (3, 5), (6, 12), (7, 9), (1, 3)];
        let dropped = crossing_new(&spans, 1);
        let kept: Vec<(usize, usize)> = (0..spans.len())
            .filter(|i| !dropped.contains(i))
            .map(|i| spans[i])
            .collect();
        assert!(standalone(&kept).is_ok(), "{kept:?}");
    }

    #[test]
    fn a_new_part_is_added_once_per_range_and_kind() {
        let parts = [
            (0, 5, 'a'),
            (0, 5, 'a'),
            (0, 5, 'a'),
            (0, 5, 'b'),
            (6, 9, 'a'),
            (6, 9, 'a'),
        ];
        assert_eq!(new_once(&parts, 2), vec![0, 1, 3, 4]);
        assert_eq!(new_once(&parts, 0), vec![0, 3, 4]);
        assert_eq!(new_once::<char>(&[], 0), Vec::<usize>::new());
        // An old part repeated keeps both copies; a new one after them is dropped.
        let old_twice = [
            (1, 2, 'a'),
            (1, 2, 'a'),
            (1, 2, 'a'),
            (0, 1, 'b'),
            (0, 1, 'b'),
        ];
        assert_eq!(new_once(&old_twice, 2), vec![0, 1, 3]);
    }

    #[test]
    fn new_once_matches_a_first_seen_walk() {
        // Every list of up to 6 keys drawn from 3, with each split into old and new.
        let keys = [(0, 1, 0u8), (0, 1, 1), (2, 3, 0)];
        for n in 0..=6u32 {
            for code in 0..3usize.pow(n) {
                let parts: Vec<_> = (0..n).map(|d| keys[code / 3usize.pow(d) % 3]).collect();
                for first_new in 0..=parts.len() {
                    let mut seen: Vec<_> = parts[..first_new].to_vec();
                    let mut expected: Vec<usize> = (0..first_new).collect();
                    for (i, key) in parts.iter().enumerate().skip(first_new) {
                        if !seen.contains(key) {
                            seen.push(*key);
                            expected.push(i);
                        }
                    }
                    assert_eq!(
                        new_once(&parts, first_new),
                        expected,
                        "{parts:?} {first_new}"
                    );
                }
            }
        }
    }

    #[test]
    fn nested_parts_are_not_standalone() {
        let spans = [(10, 20), (0, 30), (40, 50), (12, 15), (20, 25)];
        assert_eq!(
            standalone(&spans),
            Ok(vec![false, false, true, false, false])
        );
        // Touching parts stand alone.
        assert_eq!(standalone(&[(0, 5), (5, 9)]), Ok(vec![true, true]));
        // Equal parts hold each other.
        assert_eq!(standalone(&[(3, 7), (3, 7)]), Ok(vec![false, false]));
        assert_eq!(standalone(&[]), Ok(vec![]));
    }

    #[test]
    fn crossing_parts_are_refused_with_both_ranges() {
        let err = standalone(&[(5, 15), (0, 10)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Incoming part 5:15 overlaps the part 0:10 without containing it"
        );
    }
}
