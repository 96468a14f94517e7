//! Extraction: the elements a scan found, each parsed by a plan and handed to the validator
//! (`CodecPlan.extract`'s loop, shared with `parse_alone`), and `extract_all`, one scan for
//! the tags of many plans.

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::to_python::to_py;
use super::{depth_arg, PyCodecPlan};
use crate::codec::{self, MAX_DEPTH};
use crate::offsets::{char_count, skip_chars, CharToByte};
use crate::py::found::PyFound;
use crate::py::scan::{find_candidates, py_span, PyTags};

/// `CodecPlan.extract`: the models found and the `(span, error, unreadable)` failures.
pub(crate) type Extracted<'py> = (Bound<'py, PyList>, Bound<'py, PyList>);

/// One element for [`PyCodecPlan::extract_items`]: its code-point range, its byte range
/// when known, whether the scan found it hollow, and what reports its failure.
pub(crate) type ExtractItem<S> = (usize, usize, Option<(usize, usize)>, bool, S);

/// What [`PyCodecPlan::read`] makes of an element: the model, whether it is blank, and
/// whether every tag in it pairs inside it.
type Read<'py> = (Bound<'py, PyAny>, bool, bool);

/// One `extract_all` entry: a tag's plan and validator, or nothing (candidates wanted).
type Entry<'py> = Option<(Bound<'py, PyCodecPlan>, Bound<'py, PyAny>)>;

impl PyCodecPlan {
    /// `extract`'s loop over `(start, end, bytes, hollow, span)` items in position order
    /// (code points of `whole`, with their byte offsets when the scan gave them); `span_of`
    /// makes the `Span` reported with a failure.
    pub(crate) fn extract_items<'py, S>(
        &self,
        py: Python<'py>,
        whole: &str,
        items: impl IntoIterator<Item = PyResult<ExtractItem<S>>>,
        span_of: impl Fn(S) -> PyResult<Bound<'py, PyAny>>,
        validate: &Bound<'py, PyAny>,
        max_depth: usize,
    ) -> PyResult<Extracted<'py>> {
        let max_depth = depth_arg(max_depth)?;
        let bytes = whole.as_bytes();
        // Candidates come in position order, so their starts convert in one forward sweep.
        let mut starts = CharToByte::new(whole);
        let found = PyList::empty(py);
        let failed = PyList::empty(py);
        let mut builder = codec::tree::Builder::default();
        // `validate` is lax, as pydantic-xml validates what it read (`model_validate(...,
        // strict=False)`): the values are text, whatever the model's own strictness. The
        // caller binds `strict=False` where the schema asks for strictness
        // (`rigging._model.entries.lax_validate`), so the common call has no keywords.
        for item in items {
            // The scan's hollow verdict (blank inside) is not used: the codec's is finer (a
            // self-closing `<call tool="search"/>` is blank inside and filled).
            let (start, end, known, _hollow, span) = item?;
            let (from, to) = match known {
                Some(known) => known,
                None => byte_range(&mut starts, bytes, start, end)?,
            };
            match self.read(&mut builder, &whole[from..to], validate, max_depth)? {
                Ok((model, blank, held_all)) => found
                    .append(PyFound::at(model.unbind(), start, end, blank).holding_all(held_all))?,
                // Any `Exception` of the validator is the element's failure: pydantic-core
                // raises a validator error's own `__str__` failure (a `RuntimeError`, a
                // `KeyError`...) in its place. An interrupt or an exit goes up at once.
                Err((err, unreadable)) if err.is_instance_of::<PyException>(py) => {
                    failed.append((span_of(span)?, err.into_value(py), unreadable))?;
                }
                Err((err, _)) => return Err(err),
            }
        }
        Ok((found, failed))
    }

    /// The model `validate` makes of one element's text, with whether it is blank and
    /// whether every tag in it pairs inside it; or the element's failure, with whether the
    /// text was unreadable (the codec refused it) rather than invalid. An error converting
    /// what was read is not the element's: it is the outer one.
    // Once per element, from each instance of `extract_items`: LLVM left it outlined, which
    // cost ~50 instructions per element (callgrind).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn read<'a, 'py>(
        &self,
        builder: &mut codec::tree::Builder<'a>,
        element: &'a str,
        validate: &Bound<'py, PyAny>,
        max_depth: usize,
    ) -> PyResult<Result<Read<'py>, (PyErr, bool)>> {
        let value = match codec::parse_with(builder, &self.plan, element, max_depth) {
            Ok(value) => value,
            Err(err) => return Ok(Err((PyErr::from(err), true))),
        };
        let (blank, held_all) = (value.is_blank(), builder.held_all());
        let input = to_py(validate.py(), self, 0, &value)?;
        Ok(validate
            .call1((input,))
            .map(|model| (model, blank, held_all))
            .map_err(|err| (err, false)))
    }
}

/// The byte range of the code points `start..end` of `bytes` (`starts` converts the starts,
/// given in position order); an error naming the span when it is outside the text.
fn byte_range(
    starts: &mut CharToByte<'_>,
    bytes: &[u8],
    start: usize,
    end: usize,
) -> PyResult<(usize, usize)> {
    let outside = || PyValueError::new_err(format!("span {start}:{end} is outside the text"));
    let chars = end.saturating_sub(start);
    let from = starts.byte_at(start).ok_or_else(outside)?;
    let to = from + skip_chars(&bytes[from..], chars);
    // `skip_chars` stops at the end of the text when it holds fewer characters.
    if to == bytes.len() && char_count(&bytes[from..]) != chars {
        return Err(outside());
    }
    Ok((from, to))
}

/// Scan `text` once for `tags` and, per tag, parse and validate its candidates with its
/// entry's plan (documented in `_native.pyi`); `None` when `text` holds lone surrogates.
#[pyfunction]
#[pyo3(signature = (text, tags, entries, max_depth = MAX_DEPTH))]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
pub(super) fn extract_all<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
    tags: &Bound<'py, PyTags>,
    entries: Vec<Entry<'py>>,
    max_depth: usize,
) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
    let Ok(whole) = text.to_str() else {
        return Ok(None);
    };
    let tags = tags.get();
    if entries.len() != tags.name_strs().len() {
        return Err(PyValueError::new_err(format!(
            "expected {} entries, one per tag",
            tags.name_strs().len()
        )));
    }
    let names = tags.name_strs();
    let found = find_candidates(py, whole, tags.set());
    let mut out = Vec::with_capacity(entries.len());
    for (entry, candidates) in entries.iter().zip(found) {
        let span_of =
            |span: crate::scan::Span| Ok(Bound::new(py, py_span(py, names, &span))?.into_any());
        let Some((plan, validate)) = entry else {
            let spans = candidates
                .iter()
                .map(|c| Ok((span_of(c.span)?, c.hollow)))
                .collect::<PyResult<Vec<_>>>()?;
            out.push(PyList::new(py, spans)?.into_any());
            continue;
        };
        let count = candidates.len();
        let items = candidates
            .into_iter()
            .map(|c| Ok((c.span.start, c.span.end, Some(c.bytes), c.hollow, c.span)));
        match plan
            .get()
            .extract_items(py, whole, items, span_of, validate, max_depth)
        {
            Ok((models, failed)) => out.push((models, failed, count).into_pyobject(py)?.into_any()),
            // Not an element's failure: the caller raises it when it reaches this tag, after
            // whatever the tags before it raise (the order of one extraction per tag). Only
            // an `Exception`: an interrupt or an exit (`BaseException`) goes up at once.
            Err(err) if err.is_instance_of::<PyException>(py) => {
                out.push(err.into_value(py).into_bound(py).into_any());
                break;
            }
            Err(err) => return Err(err),
        }
    }
    Ok(Some(out))
}
