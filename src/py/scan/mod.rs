//! Bindings of [`crate::scan`]: `Tags`, `scan`, `TagStream`, `TextStream`. Conversion only;
//! the `Span` objects they return are laid out in [`super::span`].
//!
//! The conversions shared by all of them are here; [`tags`] holds `Tags` and the one-shot
//! functions (`scan`, `candidates`, `outermost`, `unclosed_section`), [`stream`] the two
//! streams.

mod stream;
mod tags;

use std::borrow::Cow;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use super::errors::surrogate_tag_error;
use super::span::PySpan;
use super::text::text_of;
use crate::scan::{self as core, Incomplete, TagSet};

pub(crate) use self::tags::{find_candidates, PyTags};

/// Texts longer than this are scanned with the GIL released.
const DETACH_BYTES: usize = 16 * 1024;

/// One Python `str` per tag name, shared by all the spans of that tag.
fn tag_names(py: Python<'_>, tags: &TagSet) -> Vec<Py<PyString>> {
    tags.names()
        .iter()
        .map(|name| PyString::new(py, name).unbind())
        .collect()
}

/// One Rust span as a Python span (tag index to the shared name string).
pub(crate) fn py_span(py: Python<'_>, names: &[Py<PyString>], s: &core::Span) -> PySpan {
    let tag = names
        .get(s.tag)
        .map_or_else(|| PyString::new(py, "").unbind(), |name| name.clone_ref(py));
    PySpan::new(tag, s)
}

/// Rust spans to a list of Python spans, built in place with no intermediate vector.
fn convert<'py>(
    py: Python<'py>,
    names: &[Py<PyString>],
    spans: &[core::Span],
) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, spans.iter().map(|s| py_span(py, names, s)))
}

/// The spans of one `feed` as a tuple: no allocation when there are none (the shared empty
/// tuple), which is most pieces of a token stream.
fn convert_fed<'py>(
    py: Python<'py>,
    names: &[Py<PyString>],
    spans: &[core::Span],
) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, spans.iter().map(|s| py_span(py, names, s)))
}

/// The `incomplete=` mode (`"drop"` when not given).
fn parse_mode(incomplete: Option<&Bound<'_, PyString>>) -> PyResult<Incomplete> {
    let Some(incomplete) = incomplete else {
        return Ok(Incomplete::Drop);
    };
    match text_of(incomplete)?.as_ref() {
        "drop" => Ok(Incomplete::Drop),
        "close" => Ok(Incomplete::Close),
        other => Err(PyValueError::new_err(format!(
            "incomplete must be 'drop' or 'close', got {other:?}"
        ))),
    }
}

/// A sequence of tag names (a bare `str` is refused: it would be read letter by letter).
fn tag_set(tags: &Bound<'_, PyAny>) -> PyResult<TagSet> {
    if tags.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "tags must be a sequence of tag names, not a str (wrap one name in a list)",
        ));
    }
    let mut names = Vec::new();
    for (i, item) in tags.try_iter()?.enumerate() {
        let item = item?;
        let name = item.cast::<PyString>().map_err(|_| {
            let kind = item
                .get_type()
                .name()
                .map_or_else(|_| "?".to_owned(), |n| n.to_string());
            PyTypeError::new_err(format!("tag names must be str, got {kind} at index {i}"))
        })?;
        match text_of(name)? {
            Cow::Borrowed(text) => names.push(text.to_owned()),
            Cow::Owned(_) => return Err(surrogate_tag_error(name)),
        }
    }
    Ok(TagSet::new(names)?)
}

/// `'a', 'b'`: the names of a tag set as a Python list would show them.
fn quoted_names(tags: &TagSet) -> String {
    let names: Vec<String> = tags.names().iter().map(|n| format!("'{n}'")).collect();
    names.join(", ")
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tags::unclosed_section, m)?)?;
    m.add_class::<PyTags>()?;
    m.add_class::<stream::PyTagStream>()?;
    m.add_class::<stream::PyTextStream>()?;
    m.add_function(wrap_pyfunction!(tags::scan, m)?)?;
    m.add_function(wrap_pyfunction!(tags::candidates, m)?)?;
    m.add_function(wrap_pyfunction!(tags::outermost, m)?)?;
    Ok(())
}
