//! `Tags`, a tag set checked once, and the one-shot scans: `scan`, `candidates`,
//! `outermost`, `unclosed_section`.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::{convert, parse_mode, py_span, quoted_names, tag_names, tag_set, DETACH_BYTES};
use crate::py::span::PySpan;
use crate::py::text::text_of;
use crate::scan::{self as core, Incomplete, TagSet};

/// A set of tag names checked once, for repeated `scan` calls (the per-call tag set and
/// name strings are then built only once).
#[pyclass(module = "rigging._native", name = "Tags", frozen, skip_from_py_object)]
pub(crate) struct PyTags {
    set: TagSet,
    names: Vec<Py<PyString>>,
}

impl PyTags {
    pub(crate) fn set(&self) -> &TagSet {
        &self.set
    }

    /// One Python `str` per name of the set.
    pub(crate) fn name_strs(&self) -> &[Py<PyString>] {
        &self.names
    }
}

/// [`core::candidates`], with the GIL released for long texts.
pub(crate) fn find_candidates(
    py: Python<'_>,
    text: &str,
    set: &TagSet,
) -> Vec<Vec<core::Candidate>> {
    if text.len() > DETACH_BYTES {
        py.detach(|| core::candidates(text, set))
    } else {
        core::candidates(text, set)
    }
}

#[pymethods]
impl PyTags {
    #[new]
    #[pyo3(signature = (tags, outermost = None))]
    fn new(tags: &Bound<'_, PyAny>, outermost: Option<Vec<String>>) -> PyResult<Self> {
        let mut set = tag_set(tags)?;
        for name in outermost.unwrap_or_default() {
            set.mark_outermost(&name);
        }
        Ok(Self {
            names: tag_names(tags.py(), &set),
            set,
        })
    }

    #[getter]
    fn names(&self) -> Vec<String> {
        self.set.names().to_vec()
    }

    fn __len__(&self) -> usize {
        self.set.names().len()
    }

    fn __repr__(&self) -> String {
        format!("Tags([{}])", quoted_names(&self.set))
    }
}

#[pyfunction]
#[pyo3(signature = (text, tags, *, incomplete = None), text_signature = "(text, tags, *, incomplete='drop')")]
pub(super) fn scan<'py>(
    py: Python<'py>,
    text: &Bound<'_, PyString>,
    tags: &Bound<'_, PyAny>,
    incomplete: Option<&Bound<'_, PyString>>,
) -> PyResult<Bound<'py, PyList>> {
    let mode = parse_mode(incomplete)?;
    if let Ok(compiled) = tags.cast::<PyTags>() {
        let compiled = compiled.get();
        return scan_with(py, &text_of(text)?, &compiled.set, &compiled.names, mode);
    }
    let set = tag_set(tags)?;
    let names = tag_names(py, &set);
    scan_with(py, &text_of(text)?, &set, &names, mode)
}

/// Per tag name, the candidate elements in `text` ([`core::candidates`]) in position order, as
/// `(span, hollow)` pairs.
#[pyfunction]
pub(super) fn candidates<'py>(
    py: Python<'py>,
    text: &Bound<'_, PyString>,
    tags: &Bound<'_, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let text = text_of(text)?;
    let per_tag = |set: &TagSet, names: &[Py<PyString>]| {
        let lists = find_candidates(py, &text, set)
            .iter()
            .map(|found| {
                PyList::new(
                    py,
                    found
                        .iter()
                        .map(|c| (py_span(py, names, &c.span), c.hollow)),
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, lists)
    };
    if let Ok(compiled) = tags.cast::<PyTags>() {
        let compiled = compiled.get();
        return per_tag(&compiled.set, &compiled.names);
    }
    let set = tag_set(tags)?;
    let names = tag_names(py, &set);
    per_tag(&set, &names)
}

/// The spans of `spans` that no other of them holds, in position order ([`core::outermost`],
/// the rule of a `Tags` name marked outermost), as the same objects.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
pub(super) fn outermost(spans: Vec<Bound<'_, PySpan>>) -> Vec<Bound<'_, PySpan>> {
    // Each core span's tag is its index in `spans`, to give back the object itself.
    let cores = spans
        .iter()
        .enumerate()
        .map(|(index, span)| span.get().core(index))
        .collect();
    core::outermost(cores)
        .into_iter()
        .map(|kept| spans[kept.tag].clone())
        .collect()
}

fn scan_with<'py>(
    py: Python<'py>,
    text: &str,
    tags: &TagSet,
    names: &[Py<PyString>],
    mode: Incomplete,
) -> PyResult<Bound<'py, PyList>> {
    // A piece at a time: the span buffer stays small and in cache, and each piece's spans
    // become Python objects right after it is lexed (see `core::Pieces`).
    let mut pieces = core::Pieces::new(text, tags, mode);
    let mut buf = Vec::new();
    let fill = |pieces: &mut core::Pieces<'_>, buf: &mut Vec<core::Span>| {
        if text.len() > DETACH_BYTES {
            py.detach(|| pieces.fill(buf))
        } else {
            pieces.fill(buf)
        }
    };
    if !fill(&mut pieces, &mut buf) {
        return Ok(PyList::empty(py));
    }
    let list = convert(py, names, &buf)?;
    loop {
        buf.clear();
        if !fill(&mut pieces, &mut buf) {
            return Ok(list);
        }
        for span in &buf {
            list.append(py_span(py, names, span))?;
        }
    }
}

/// The comment or CDATA section the scanner reads to the end of `text`: its kind and the
/// code-point offset of its opener (documented in `_native.pyi`).
#[pyfunction]
pub(super) fn unclosed_section(
    text: &Bound<'_, PyString>,
) -> PyResult<Option<(&'static str, usize)>> {
    let whole = text_of(text)?;
    Ok(core::unclosed_section(&whole).map(|(section, at)| {
        let name = match section {
            core::Section::Comment => "comment",
            core::Section::Cdata => "CDATA section",
        };
        (name, crate::offsets::char_count(&whole.as_bytes()[..at]))
    }))
}
