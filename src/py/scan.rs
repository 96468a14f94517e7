//! Bindings of [`crate::scan`]: `Span`, `scan`, `TagStream`. Conversion and error mapping only.

use std::hash::{DefaultHasher, Hash, Hasher};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PySlice, PyString};

use super::errors::{new_error, ErrorClass};
use crate::scan::{self as core, Incomplete, ScanError, TagSet};

/// Texts longer than this are scanned with the GIL released.
const DETACH_BYTES: usize = 16 * 1024;

/// A tag element found in a text (code-point offsets, kept as `u32` so the object stays small).
///
/// `tag` is one shared `str` per tag name (built once per call or stream), so a span costs
/// one object and no string copy.
#[pyclass(module = "rigging._native", name = "Span", frozen, skip_from_py_object)]
pub(crate) struct PySpan {
    #[pyo3(get)]
    tag: Py<PyString>,
    #[pyo3(get)]
    start: u32,
    #[pyo3(get)]
    end: u32,
    #[pyo3(get)]
    inner_start: u32,
    #[pyo3(get)]
    inner_end: u32,
    #[pyo3(get)]
    depth: u32,
    #[pyo3(get)]
    self_closing: bool,
    #[pyo3(get)]
    closed: bool,
}

#[pymethods]
impl PySpan {
    #[getter]
    fn slice<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.get_type::<PySlice>().call1((self.start, self.end))
    }

    #[getter]
    fn inner_slice<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.get_type::<PySlice>()
            .call1((self.inner_start, self.inner_end))
    }

    /// Equal when every field is (tags compared by value); `NotImplemented` for non-spans.
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, Self>) -> PyResult<bool> {
        let other = other.get();
        Ok(self.fields() == other.fields()
            && self.tag.bind(py).to_str()? == other.tag.bind(py).to_str()?)
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<u64> {
        let mut hasher = DefaultHasher::new();
        self.tag.bind(py).to_str()?.hash(&mut hasher);
        self.fields().hash(&mut hasher);
        Ok(hasher.finish())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let py_bool = |b: bool| if b { "True" } else { "False" };
        Ok(format!(
            "Span(tag='{}', start={}, end={}, inner_start={}, inner_end={}, depth={}, \
             self_closing={}, closed={})",
            self.tag.bind(py).to_str()?,
            self.start,
            self.end,
            self.inner_start,
            self.inner_end,
            self.depth,
            py_bool(self.self_closing),
            py_bool(self.closed),
        ))
    }
}

impl PySpan {
    /// Every field but the tag.
    fn fields(&self) -> (u32, u32, u32, u32, u32, bool, bool) {
        (
            self.start,
            self.end,
            self.inner_start,
            self.inner_end,
            self.depth,
            self.self_closing,
            self.closed,
        )
    }
}

/// One Python `str` per tag name, shared by all the spans of that tag.
fn tag_names(py: Python<'_>, tags: &TagSet) -> Vec<Py<PyString>> {
    tags.names()
        .iter()
        .map(|name| PyString::new(py, name).unbind())
        .collect()
}

/// Rust spans to a list of Python spans (tag indices to the shared name strings), built in
/// place with no intermediate vector.
fn convert<'py>(
    py: Python<'py>,
    names: &[Py<PyString>],
    spans: &[core::Span],
) -> PyResult<Bound<'py, PyList>> {
    // `end` is the largest offset of a span; checking it once makes the casts below exact.
    if spans.iter().any(|s| u32::try_from(s.end).is_err()) {
        return Err(PyValueError::new_err(
            "text too long to scan: offsets past 4,294,967,295 code points",
        ));
    }
    let spans = spans.iter().map(|s| PySpan {
        tag: names
            .get(s.tag)
            .map_or_else(|| PyString::new(py, "").unbind(), |name| name.clone_ref(py)),
        start: s.start as u32,
        end: s.end as u32,
        inner_start: s.inner_start as u32,
        inner_end: s.inner_end as u32,
        depth: s.depth,
        self_closing: s.self_closing,
        closed: s.closed,
    });
    PyList::new(py, spans)
}

#[cold]
fn scan_error(py: Python<'_>, err: &ScanError) -> PyErr {
    match err {
        ScanError::Finished => PyRuntimeError::new_err(err.to_string()),
        ScanError::InvalidTagName { .. } => new_error(py, ErrorClass::Scan, &err.to_string(), &[]),
        ScanError::InvalidUtf8 { .. } | ScanError::TruncatedUtf8 { .. } => {
            PyValueError::new_err(err.to_string())
        }
    }
}

fn parse_mode(incomplete: &str) -> PyResult<Incomplete> {
    match incomplete {
        "drop" => Ok(Incomplete::Drop),
        "close" => Ok(Incomplete::Close),
        other => Err(PyValueError::new_err(format!(
            "incomplete must be 'drop' or 'close', got {other:?}"
        ))),
    }
}

fn mode_name(mode: Incomplete) -> &'static str {
    match mode {
        Incomplete::Drop => "drop",
        Incomplete::Close => "close",
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
        names.push(name.to_str()?.to_owned());
    }
    TagSet::new(names).map_err(|e| scan_error(tags.py(), &e))
}

#[pyfunction]
#[pyo3(signature = (text, tags, *, incomplete = "drop"))]
fn scan<'py>(
    py: Python<'py>,
    text: &Bound<'_, PyString>,
    tags: &Bound<'_, PyAny>,
    incomplete: &str,
) -> PyResult<Bound<'py, PyList>> {
    let mode = parse_mode(incomplete)?;
    let tags = tag_set(tags)?;
    let text = text.to_str()?;
    let spans = if text.len() > DETACH_BYTES {
        py.detach(|| core::scan(text, &tags, mode))
    } else {
        core::scan(text, &tags, mode)
    };
    convert(py, &tag_names(py, &tags), &spans)
}

/// Finds spans in a text that arrives in chunks.
#[pyclass(module = "rigging._native", name = "TagStream")]
pub(crate) struct PyTagStream {
    inner: core::TagStream,
    names: Vec<Py<PyString>>,
}

#[pymethods]
impl PyTagStream {
    #[new]
    #[pyo3(signature = (tags, *, incomplete = "drop"))]
    fn new(tags: &Bound<'_, PyAny>, incomplete: &str) -> PyResult<Self> {
        let mode = parse_mode(incomplete)?;
        let set = tag_set(tags)?;
        Ok(Self {
            names: tag_names(tags.py(), &set),
            inner: core::TagStream::new(set, mode),
        })
    }

    fn feed<'py>(
        &mut self,
        py: Python<'py>,
        chunk: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let bytes: &[u8] = if let Ok(text) = chunk.cast::<PyString>() {
            text.to_str()?.as_bytes()
        } else if let Ok(bytes) = chunk.cast::<PyBytes>() {
            bytes.as_bytes()
        } else {
            let kind = chunk.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "chunk must be str or bytes, not {kind}"
            )));
        };
        let inner = &mut self.inner;
        let spans = if bytes.len() > DETACH_BYTES {
            py.detach(|| inner.feed(bytes))
        } else {
            inner.feed(bytes)
        }
        .map_err(|e| scan_error(py, &e))?;
        convert(py, &self.names, &spans)
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let spans = self.inner.finish().map_err(|e| scan_error(py, &e))?;
        convert(py, &self.names, &spans)
    }

    #[getter]
    fn position(&self) -> usize {
        self.inner.position()
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .inner
            .tags()
            .names()
            .iter()
            .map(|n| format!("'{n}'"))
            .collect();
        format!(
            "TagStream(tags=[{}], incomplete='{}', position={})",
            names.join(", "),
            mode_name(self.inner.mode()),
            self.inner.position()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySpan>()?;
    m.add_class::<PyTagStream>()?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    Ok(())
}
