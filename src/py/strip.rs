//! `splice`, `strip_spans` and `dedent`: convert offsets (see [`super::ints`]), plan with
//! [`crate::strip`] on code points only, and assemble the new `str` from slices of the old
//! one, so lone surrogates are carried as they are. `splice` and `strip_spans` never read the
//! text as UTF-8; `dedent` reads a copy to find what to remove (an ASCII text is rebuilt from
//! it directly, any other is sliced: decoding a long non-ASCII text whole costs more).

use pyo3::prelude::*;
use pyo3::types::{PyList, PySlice, PyString};

use super::ints::offsets;
use super::text::with_utf8_uncached;
use crate::offsets::ByteToChar;
use crate::strip::{self, Piece, Plan};

type PySpans = Vec<Option<(usize, usize)>>;

type PySpliced<'py> = (Bound<'py, PyString>, PySpans);

/// The new text of `plan` over `text` (`len` code points): slices of `text` and the edits'
/// replacements, joined once. No edit gives `text` itself.
pub(crate) fn assemble<'py>(
    text: &Bound<'py, PyString>,
    len: usize,
    plan: &Plan,
    replacement: impl Fn(usize) -> Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyString>> {
    let py = text.py();
    if plan.steps.is_empty() {
        return Ok(text.clone());
    }
    let pieces = PyList::empty(py);
    for piece in plan.pieces(len) {
        match piece {
            Piece::Keep(start, end) => {
                // Offsets are code points below `len`, which a Python `str` fits in `isize`.
                let slice = PySlice::new(py, isize::try_from(start)?, isize::try_from(end)?, 1);
                pieces.append(text.get_item(slice)?)?;
            }
            Piece::Insert(index) => pieces.append(replacement(index))?,
        }
    }
    Ok(PyString::new(py, "")
        .call_method1(pyo3::intern!(py, "join"), (pieces,))?
        .cast_into::<PyString>()?)
}

/// Replace ranges of `text` and remap `spans` (code-point offsets).
#[pyfunction]
#[pyo3(signature = (text, edits, spans = Vec::new()), text_signature = "(text, edits, spans=())")]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
fn splice<'py>(
    text: &Bound<'py, PyString>,
    edits: Vec<(i64, i64, Bound<'py, PyString>)>,
    spans: Vec<(i64, i64)>,
) -> PyResult<PySpliced<'py>> {
    let len = text.len()?;
    let ranges = offsets(
        len,
        "edit",
        edits.iter().map(|(s, e, _)| (*s, *e)).collect(),
    )?;
    let mut sized = Vec::with_capacity(ranges.len());
    for ((start, end), (_, _, replacement)) in ranges.into_iter().zip(&edits) {
        sized.push((start, end, replacement.len()?));
    }
    let spans = offsets(len, "span", spans)?;
    let plan = strip::plan_splice(len, &sized, &spans)?;
    let out = assemble(text, len, &plan, |index| edits[index].2.clone())?;
    Ok((out, plan.spans))
}

/// Remove (possibly overlapping) ranges of `text` and remap `spans` (code-point offsets).
#[pyfunction]
#[pyo3(signature = (text, remove, spans = Vec::new()), text_signature = "(text, remove, spans=())")]
fn strip_spans<'py>(
    text: &Bound<'py, PyString>,
    remove: Vec<(i64, i64)>,
    spans: Vec<(i64, i64)>,
) -> PyResult<PySpliced<'py>> {
    let len = text.len()?;
    let remove = offsets(len, "range to remove", remove)?;
    let spans = offsets(len, "span", spans)?;
    let plan = strip::plan_strip(len, &remove, &spans)?;
    let empty = PyString::new(text.py(), "");
    let out = assemble(text, len, &plan, |_| empty.clone())?;
    Ok((out, plan.spans))
}

/// `textwrap.dedent(text)`: `text` itself when nothing is removed (documented in
/// `_native.pyi`).
#[pyfunction]
fn dedent<'py>(text: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyString>> {
    // Lone surrogates read as U+FFFD: content like them, at the same offsets. Nothing is
    // cached on `text`: a message's content may never be parsed.
    with_utf8_uncached(text, |whole| {
        let ranges = crate::dedent::dedent_ranges(whole);
        if ranges.is_empty() {
            return Ok(text.clone());
        }
        let len = text.len()?;
        if whole.len() == len {
            // ASCII: one code point per byte, and building the `str` from bytes is a copy.
            let ascii = text.to_str()?; // the ASCII `str`'s own bytes
            let out = crate::dedent::without(ascii, &ranges);
            return Ok(PyString::new(text.py(), &out));
        }
        let mut chars = ByteToChar::new(whole);
        let remove: Vec<(usize, usize)> = ranges
            .into_iter()
            .map(|range| (chars.char_at(range.start), chars.char_at(range.end)))
            .collect();
        let plan = strip::plan_strip(len, &remove, &[])?;
        let empty = PyString::new(text.py(), "");
        assemble(text, len, &plan, |_| empty.clone())
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dedent, m)?)?;
    m.add_function(wrap_pyfunction!(splice, m)?)?;
    m.add_function(wrap_pyfunction!(strip_spans, m)?)?;
    Ok(())
}
