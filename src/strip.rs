//! Replace or remove ranges of a text and remap the offsets of other ranges, in one sweep.
//!
//! A message's parsed parts are `(start, end)` code-point ranges into its content. When the
//! content is edited, [`splice`] rebuilds the text once and tells where every other range went:
//!
//! - a span equal to an edit's range maps to the range of that edit's replacement;
//! - a span that does not overlap any edit (touching counts as not overlapping) is shifted by
//!   the length change of the edits before it;
//! - a span that contains edits keeps its own text: its start and end are shifted separately,
//!   so it grows or shrinks with the edits inside it;
//! - a span that partly overlaps an edit, or lies inside one without being equal to it, no
//!   longer exists and maps to `None`.
//!
//! Insertions (`start == end`) sit *between* characters: one at a span's start or end stays
//! outside the span. Several insertions at one point are applied in the order given; an empty
//! span equal to such a point maps to the first of them.
//!
//! All offsets, in and out, are code points. The cost is O(n + k log k) for a text of n bytes
//! and k edits and spans.
//!
//! ```
//! use _native::strip::splice;
//! let (text, spans) = splice("a <b>x</b> c", &[(2, 10, "<b>y</b>!")], &[(0, 1), (2, 10), (11, 12), (3, 5)])?;
//! assert_eq!(text, "a <b>y</b>! c");
//! assert_eq!(spans, vec![Some((0, 1)), Some((2, 11)), Some((12, 13)), None]);
//! # Ok::<(), _native::strip::SpliceError>(())
//! ```

use std::fmt;

use crate::offsets::CharToByte;

/// Which list of a request an offending item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// An edit given to [`splice`].
    Edit,
    /// A range given to [`strip_spans`].
    Remove,
    /// A span to remap.
    Span,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Edit => "edit",
            Self::Remove => "range to remove",
            Self::Span => "span",
        })
    }
}

/// Why a splice request was rejected. Indexes refer to the caller's lists; offsets and
/// lengths are code points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpliceError {
    /// An item ends before it starts or past the end of the text.
    OutOfRange {
        /// The list the item came from.
        item: Item,
        /// Index of the item in that list.
        index: usize,
        /// Its `(start, end)`.
        range: (usize, usize),
        /// Length of the text.
        len: usize,
    },
    /// Two edits overlap (touching at a point is allowed).
    EditsOverlap {
        /// Index of the later-starting edit of the pair.
        index: usize,
        /// Its range.
        range: (usize, usize),
        /// Index of the edit it overlaps.
        other: usize,
        /// That edit's range.
        other_range: (usize, usize),
        /// Length of the text.
        len: usize,
    },
}

impl fmt::Display for SpliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::OutOfRange {
                item,
                index,
                range: (start, end),
                len,
            } => write!(
                f,
                "{item} {index} ({start}, {end}) is not a range within the text of length {len} \
                 (expected 0 <= start <= end <= {len})"
            ),
            Self::EditsOverlap {
                index,
                range,
                other,
                other_range,
                len,
            } => write!(
                f,
                "edit {index} ({}, {}) overlaps edit {other} ({}, {}) in the text of length \
                 {len} (edits may touch but not overlap)",
                range.0, range.1, other_range.0, other_range.1
            ),
        }
    }
}

/// Check `0 <= start <= end <= len`.
fn check(item: Item, index: usize, range: (usize, usize), len: usize) -> Result<(), SpliceError> {
    if range.0 <= range.1 && range.1 <= len {
        Ok(())
    } else {
        Err(SpliceError::OutOfRange {
            item,
            index,
            range,
            len,
        })
    }
}

impl std::error::Error for SpliceError {}

/// The result of a splice: the new text and, per input span, its new range or `None`.
pub type Spliced = (String, Vec<Option<(usize, usize)>>);

/// One edit of a [`Plan`], in application order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// First code point replaced.
    pub start: usize,
    /// Code point after the last one replaced.
    pub end: usize,
    /// Code points in the replacement.
    pub repl_len: usize,
    /// Index of the edit (or, for [`plan_strip`], of the first merged range) in the caller's
    /// list.
    pub index: usize,
}

/// A validated splice on code-point offsets, computed without the text itself: the edits in
/// the order to apply them and where each span goes. [`splice`] and [`strip_spans`] build the
/// new text from it; so can a caller whose text lives elsewhere (a Python `str`), with
/// [`Plan::pieces`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The edits in application order (sorted by position, never overlapping).
    pub steps: Vec<Step>,
    /// Per input span, its new `(start, end)` or `None`.
    pub spans: Vec<Option<(usize, usize)>>,
}

/// A piece of the new text of a [`Plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// The code points `start..end` of the old text.
    Keep(usize, usize),
    /// The replacement of the caller's edit with this index.
    Insert(usize),
}

impl Plan {
    /// The new text as pieces in order, for a text of `len` code points (empty kept ranges
    /// and empty replacements left out).
    pub fn pieces(&self, len: usize) -> Vec<Piece> {
        let mut out = Vec::with_capacity(2 * self.steps.len() + 1);
        let mut copied = 0usize;
        for step in &self.steps {
            if step.start == step.end && step.repl_len == 0 {
                continue; // inserts nothing
            }
            if step.start > copied {
                out.push(Piece::Keep(copied, step.start));
            }
            if step.repl_len > 0 {
                out.push(Piece::Insert(step.index));
            }
            copied = step.end;
        }
        if len > copied {
            out.push(Piece::Keep(copied, len));
        }
        out
    }
}

/// Replace each `(start, end, replacement)` range of `text` and remap `spans` (see the
/// [module docs](self) for the rules). Edits may come in any order but must not overlap.
pub fn splice<S: AsRef<str>>(
    text: &str,
    edits: &[(usize, usize, S)],
    spans: &[(usize, usize)],
) -> Result<Spliced, SpliceError> {
    let len = text.chars().count();
    let sized: Vec<(usize, usize, usize)> = edits
        .iter()
        .map(|(start, end, replacement)| (*start, *end, replacement.as_ref().chars().count()))
        .collect();
    let plan = plan_splice(len, &sized, spans)?;
    let text = build(text, &plan, |index| edits[index].2.as_ref());
    Ok((text, plan.spans))
}

/// The [`Plan`] of a splice of a text of `len` code points: `edits` are `(start, end,
/// replacement length)` in code points, in any order (insertions at one point keep their
/// order); they must not overlap.
pub fn plan_splice(
    len: usize,
    edits: &[(usize, usize, usize)],
    spans: &[(usize, usize)],
) -> Result<Plan, SpliceError> {
    let mut sorted = Vec::with_capacity(edits.len());
    for (index, &(start, end, repl_len)) in edits.iter().enumerate() {
        check(Item::Edit, index, (start, end), len)?;
        sorted.push(Step {
            start,
            end,
            repl_len,
            index,
        });
    }
    // Stable sort: insertions at one point keep the caller's order.
    sorted.sort_by_key(|e| (e.start, e.end));
    for pair in sorted.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if b.start < a.end {
            return Err(SpliceError::EditsOverlap {
                index: b.index,
                range: (b.start, b.end),
                other: a.index,
                other_range: (a.start, a.end),
                len,
            });
        }
    }
    remap(len, sorted, spans)
}

/// Remove the `remove` ranges from `text` and remap `spans`: a [`splice`] with empty
/// replacements, except that removed ranges may overlap (they are merged first). Empty ranges
/// remove nothing and are ignored.
pub fn strip_spans(
    text: &str,
    remove: &[(usize, usize)],
    spans: &[(usize, usize)],
) -> Result<Spliced, SpliceError> {
    let plan = plan_strip(text.chars().count(), remove, spans)?;
    Ok((build(text, &plan, |_| ""), plan.spans))
}

/// The [`Plan`] of a [`strip_spans`] of a text of `len` code points.
pub fn plan_strip(
    len: usize,
    remove: &[(usize, usize)],
    spans: &[(usize, usize)],
) -> Result<Plan, SpliceError> {
    let mut ranges = Vec::with_capacity(remove.len());
    for (index, &(start, end)) in remove.iter().enumerate() {
        check(Item::Remove, index, (start, end), len)?;
        if start < end {
            ranges.push((start, end, index));
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<Step> = Vec::with_capacity(ranges.len());
    for (start, end, index) in ranges {
        match merged.last_mut() {
            // Overlapping ranges merge; touching ones stay apart so that a span equal to
            // one of them still maps to an (empty) range.
            Some(last) if start < last.end => last.end = last.end.max(end),
            _ => merged.push(Step {
                start,
                end,
                repl_len: 0,
                index,
            }),
        }
    }
    remap(len, merged, spans)
}

/// Remap the spans against validated, sorted edits.
fn remap(len: usize, steps: Vec<Step>, spans: &[(usize, usize)]) -> Result<Plan, SpliceError> {
    // `shift[i]` = (code points inserted, code points removed) by the first `i` edits.
    let mut shift = Vec::with_capacity(steps.len() + 1);
    let (mut inserted, mut removed) = (0usize, 0usize);
    shift.push((0, 0));
    for e in &steps {
        inserted += e.repl_len;
        removed += e.end - e.start;
        shift.push((inserted, removed));
    }
    let mut mapped = Vec::with_capacity(spans.len());
    for (index, &(start, end)) in spans.iter().enumerate() {
        check(Item::Span, index, (start, end), len)?;
        mapped.push(map_span(&steps, &shift, start, end));
    }
    Ok(Plan {
        steps,
        spans: mapped,
    })
}

/// The new text of `plan` applied to `text`, in one sweep.
fn build<'r>(text: &str, plan: &Plan, replacement: impl Fn(usize) -> &'r str) -> String {
    let added: usize = plan.steps.iter().map(|s| replacement(s.index).len()).sum();
    let mut out = String::with_capacity(text.len() + added);
    let mut conv = CharToByte::new(text);
    let mut copied = 0usize; // bytes of `text` consumed so far
    for e in &plan.steps {
        // Validated offsets are within the text, so the conversion cannot fail.
        let start = conv.byte_at(e.start).unwrap_or(text.len());
        out.push_str(&text[copied..start]);
        out.push_str(replacement(e.index));
        copied = conv.byte_at(e.end).unwrap_or(text.len());
    }
    out.push_str(&text[copied..]);
    out
}

/// Where one validated span goes (see the module docs for the rules).
fn map_span(
    edits: &[Step],
    shift: &[(usize, usize)],
    start: usize,
    end: usize,
) -> Option<(usize, usize)> {
    // The edits counted in `before` all end at or before `pos`, so the subtraction holds.
    let moved = |pos: usize, before: usize| pos + shift[before].0 - shift[before].1;
    // A span equal to an edit: the first edit (in application order) with that range.
    let first = edits.partition_point(|e| (e.start, e.end) < (start, end));
    if let Some(e) = edits.get(first) {
        if (e.start, e.end) == (start, end) {
            let new_start = moved(e.start, first);
            return Some((new_start, new_start + e.repl_len));
        }
    }
    if cuts(edits, start) || cuts(edits, end) {
        return None;
    }
    // Edits ending at or before `start` (including insertions at `start`) move the start;
    // edits starting before `end` (so not insertions at `end`) move the end.
    let new_start = moved(start, edits.partition_point(|e| e.end <= start));
    let new_end = moved(end, edits.partition_point(|e| e.start < end));
    Some((new_start, new_end))
}

/// Whether `pos` lies strictly inside a (non-empty) edit.
fn cuts(edits: &[Step], pos: usize) -> bool {
    let before = edits.partition_point(|e| e.start < pos);
    before > 0 && pos < edits[before - 1].end
}

#[cfg(test)]
mod tests;
