//! `splice` and `strip_spans`: convert offsets (see [`super::ints`]), call [`crate::strip`].

use pyo3::prelude::*;
use pyo3::types::PyString;

use super::ints::offsets;
use super::text::{lossless_of, to_py};
use crate::strip::{self, SpliceError, Spliced};
use crate::surrogates::{self, Lossless, LosslessSpliced};

type PySpans = Vec<Option<(usize, usize)>>;

type PySpliced<'py> = (Bound<'py, PyString>, PySpans);

fn finish(py: Python<'_>, result: Result<Spliced, SpliceError>) -> PyResult<PySpliced<'_>> {
    let (text, spans) = result?;
    Ok((PyString::new(py, &text), spans))
}

/// The result of the slow path (some text held lone surrogates): put them back.
#[cold]
fn finish_lossless(
    py: Python<'_>,
    result: Result<LosslessSpliced, SpliceError>,
) -> PyResult<PySpliced<'_>> {
    let (out, spans) = result?;
    Ok((to_py(py, &out.text, &out.surrogates)?, spans))
}

/// Replace ranges of `text` and remap `spans` (code-point offsets).
#[pyfunction]
#[pyo3(signature = (text, edits, spans = Vec::new()), text_signature = "(text, edits, spans=())")]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
fn splice<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
    edits: Vec<(i64, i64, Bound<'py, PyString>)>,
    spans: Vec<(i64, i64)>,
) -> PyResult<PySpliced<'py>> {
    let ranges: Vec<(i64, i64)> = edits.iter().map(|(s, e, _)| (*s, *e)).collect();
    let replacements: Option<Vec<&str>> = edits.iter().map(|(_, _, r)| r.to_str().ok()).collect();
    if let (Ok(text), Some(replacements)) = (text.to_str(), replacements) {
        let ranges = offsets(text, "edit", ranges)?;
        let edits: Vec<(usize, usize, &str)> = ranges
            .into_iter()
            .zip(replacements)
            .map(|((s, e), r)| (s, e, r))
            .collect();
        let spans = offsets(text, "span", spans)?;
        let result = py.detach(|| strip::splice(text, &edits, &spans));
        return finish(py, result);
    }
    // Some text holds lone surrogates: carry them through as U+FFFD and put them back.
    let text = lossless_of(text)?;
    let ranges = offsets(&text.text, "edit", ranges)?;
    let mut lossless = Vec::with_capacity(edits.len());
    for ((s, e), (_, _, r)) in ranges.into_iter().zip(&edits) {
        lossless.push((s, e, lossless_of(r)?));
    }
    let spans = offsets(&text.text, "span", spans)?;
    let result = py.detach(|| surrogates::splice(&text, &lossless, &spans));
    finish_lossless(py, result)
}

/// Remove (possibly overlapping) ranges of `text` and remap `spans` (code-point offsets).
#[pyfunction]
#[pyo3(signature = (text, remove, spans = Vec::new()), text_signature = "(text, remove, spans=())")]
fn strip_spans<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
    remove: Vec<(i64, i64)>,
    spans: Vec<(i64, i64)>,
) -> PyResult<PySpliced<'py>> {
    if let Ok(text) = text.to_str() {
        let remove = offsets(text, "range to remove", remove)?;
        let spans = offsets(text, "span", spans)?;
        let result = py.detach(|| strip::strip_spans(text, &remove, &spans));
        return finish(py, result);
    }
    let text: Lossless = lossless_of(text)?;
    let remove = offsets(&text.text, "range to remove", remove)?;
    let spans = offsets(&text.text, "span", spans)?;
    let result = py.detach(|| surrogates::strip_spans(&text, &remove, &spans));
    finish_lossless(py, result)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(splice, m)?)?;
    m.add_function(wrap_pyfunction!(strip_spans, m)?)?;
    Ok(())
}
