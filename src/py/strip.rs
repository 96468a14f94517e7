//! `splice` and `strip_spans`: convert offsets, call [`crate::strip`], map errors.

use pyo3::prelude::*;

use super::errors::{new_error, ErrorClass};
use crate::strip::{self, SpliceError, Spliced};

type PySpans = Vec<Option<(usize, usize)>>;

#[cold]
fn splice_error(py: Python<'_>, err: &SpliceError) -> PyErr {
    new_error(py, ErrorClass::Splice, &err.to_string(), &[])
}

#[cold]
fn negative_error(py: Python<'_>, text: &str, what: &str, index: usize, pair: (i64, i64)) -> PyErr {
    let (start, end) = pair;
    let len = text.chars().count();
    let message = format!(
        "{what} {index} ({start}, {end}) has a negative offset in the text of length {len} \
         (expected 0 <= start <= end <= {len})"
    );
    new_error(py, ErrorClass::Splice, &message, &[])
}

/// Offsets as `usize`, or a `SpliceError` naming the first pair with a negative offset.
fn unsigned(
    py: Python<'_>,
    text: &str,
    what: &str,
    pairs: Vec<(i64, i64)>,
) -> PyResult<Vec<(usize, usize)>> {
    pairs
        .into_iter()
        .enumerate()
        .map(
            |(index, (start, end))| match (usize::try_from(start), usize::try_from(end)) {
                (Ok(s), Ok(e)) => Ok((s, e)),
                _ => Err(negative_error(py, text, what, index, (start, end))),
            },
        )
        .collect()
}

fn finish(py: Python<'_>, result: Result<Spliced, SpliceError>) -> PyResult<(String, PySpans)> {
    result.map_err(|err| splice_error(py, &err))
}

/// Replace ranges of `text` and remap `spans` (code-point offsets).
#[pyfunction]
#[pyo3(signature = (text, edits, spans = Vec::new()), text_signature = "(text, edits, spans=())")]
fn splice(
    py: Python<'_>,
    text: &str,
    edits: Vec<(i64, i64, String)>,
    spans: Vec<(i64, i64)>,
) -> PyResult<(String, PySpans)> {
    let ranges: Vec<(i64, i64)> = edits.iter().map(|(s, e, _)| (*s, *e)).collect();
    let ranges = unsigned(py, text, "edit", ranges)?;
    let edits: Vec<(usize, usize, String)> = ranges
        .into_iter()
        .zip(edits)
        .map(|((s, e), (_, _, r))| (s, e, r))
        .collect();
    let spans = unsigned(py, text, "span", spans)?;
    let result = py.detach(|| strip::splice(text, &edits, &spans));
    finish(py, result)
}

/// Remove (possibly overlapping) ranges of `text` and remap `spans` (code-point offsets).
#[pyfunction]
#[pyo3(signature = (text, remove, spans = Vec::new()), text_signature = "(text, remove, spans=())")]
fn strip_spans(
    py: Python<'_>,
    text: &str,
    remove: Vec<(i64, i64)>,
    spans: Vec<(i64, i64)>,
) -> PyResult<(String, PySpans)> {
    let remove = unsigned(py, text, "range to remove", remove)?;
    let spans = unsigned(py, text, "span", spans)?;
    let result = py.detach(|| strip::strip_spans(text, &remove, &spans));
    finish(py, result)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(splice, m)?)?;
    m.add_function(wrap_pyfunction!(strip_spans, m)?)?;
    Ok(())
}
