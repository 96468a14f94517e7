//! `TagStream` and `TextStream`: spans found in a text that arrives in chunks.

use std::borrow::Cow;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::{convert, convert_fed, parse_mode, quoted_names, tag_names, tag_set, DETACH_BYTES};
use crate::py::text::{lossless_of, text_of, to_py};
use crate::scan::{self as core, Incomplete, TextStream};
use crate::surrogates;

/// Finds spans in a text that arrives in chunks.
#[pyclass(module = "rigging._native", name = "TagStream")]
pub(crate) struct PyTagStream {
    inner: core::TagStream,
    names: Vec<Py<PyString>>,
}

#[pymethods]
impl PyTagStream {
    #[new]
    #[pyo3(signature = (tags, *, incomplete = None), text_signature = "(tags, *, incomplete='drop')")]
    fn new(tags: &Bound<'_, PyAny>, incomplete: Option<&Bound<'_, PyString>>) -> PyResult<Self> {
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
    ) -> PyResult<Bound<'py, PyTuple>> {
        let text;
        let bytes: &[u8] = if let Ok(s) = chunk.cast::<PyString>() {
            text = text_of(s)?;
            text.as_bytes()
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
        }?;
        convert_fed(py, &self.names, &spans)
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let spans = self.inner.finish()?;
        convert(py, &self.names, &spans)
    }

    #[getter]
    fn position(&self) -> usize {
        self.inner.position()
    }

    fn __repr__(&self) -> String {
        stream_repr("TagStream", &self.inner)
    }
}

/// A `TagStream` over `str` chunks that keeps the text; with `on_spans`, `feed` hands each
/// non-empty batch of spans to it and returns its result.
#[pyclass(module = "rigging._native", name = "TextStream")]
pub(crate) struct PyTextStream {
    inner: TextStream,
    names: Vec<Py<PyString>>,
    on_spans: Option<Py<PyAny>>,
    /// `(code point, surrogate)` of the lone surrogates fed (kept as U+FFFD in `inner`).
    surrogates: Vec<(usize, u16)>,
}

#[pymethods]
impl PyTextStream {
    #[new]
    #[pyo3(
        signature = (tags, on_spans = None, *, incomplete = None),
        text_signature = "(tags, on_spans=None, *, incomplete='drop')"
    )]
    fn new(
        tags: &Bound<'_, PyAny>,
        on_spans: Option<Py<PyAny>>,
        incomplete: Option<&Bound<'_, PyString>>,
    ) -> PyResult<Self> {
        let mode = parse_mode(incomplete)?;
        let set = tag_set(tags)?;
        Ok(Self {
            names: tag_names(tags.py(), &set),
            inner: TextStream::new(set, mode),
            on_spans,
            surrogates: Vec::new(),
        })
    }

    fn feed<'py>(slf: &Bound<'py, Self>, chunk: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let Ok(text) = chunk.cast::<PyString>() else {
            let kind = chunk.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "chunk must be str, not {kind}"
            )));
        };
        let (text, surrogates) = if let Ok(text) = text.to_str() {
            (Cow::Borrowed(text), Vec::new())
        } else {
            let lossless = lossless_of(text)?;
            (Cow::Owned(lossless.text), lossless.surrogates)
        };
        // The borrow ends before the callback runs: it reads the stream (`slice`).
        let (list, callback) = {
            let mut this = slf.try_borrow_mut()?;
            let base = this.inner.chars();
            let inner = &mut this.inner;
            let text = text.as_ref();
            let spans = if text.len() > DETACH_BYTES {
                py.detach(|| inner.feed(text))
            } else {
                inner.feed(text)
            }?;
            this.surrogates
                .extend(surrogates.into_iter().map(|(at, unit)| (base + at, unit)));
            let callback = match &this.on_spans {
                Some(callback) if !spans.is_empty() => Some(callback.clone_ref(py)),
                _ => None,
            };
            (convert_fed(py, &this.names, &spans)?, callback)
        };
        match callback {
            Some(callback) => callback.bind(py).call1((list,)),
            None => Ok(list.into_any()),
        }
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let spans = self.inner.finish()?;
        convert(py, &self.names, &spans)
    }

    fn slice<'py>(&self, py: Python<'py>, start: i64, end: i64) -> PyResult<Bound<'py, PyString>> {
        let outside = || {
            PyValueError::new_err(format!(
                "slice {start}:{end} is not within the {} code points fed",
                self.inner.chars()
            ))
        };
        // A negative offset is outside too (no counting from the end here).
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return Err(outside());
        };
        let text = self.inner.slice(start, end).ok_or_else(outside)?;
        to_py(py, text, &surrogates::within(&self.surrogates, start, end))
    }

    #[getter]
    fn text<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        to_py(py, self.inner.text(), &self.surrogates)
    }

    #[getter]
    fn position(&self) -> usize {
        self.inner.chars()
    }

    #[allow(clippy::needless_pass_by_value)] // PyO3 hands the visitor over by value
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(callback) = &self.on_spans {
            visit.call(callback)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.on_spans = None;
    }

    fn __repr__(&self) -> String {
        stream_repr("TextStream", self.inner.scanner())
    }
}

fn mode_name(mode: Incomplete) -> &'static str {
    match mode {
        Incomplete::Drop => "drop",
        Incomplete::Close => "close",
    }
}

/// `Kind(tags=['a', 'b'], incomplete='drop', position=12)`.
fn stream_repr(kind: &str, stream: &core::TagStream) -> String {
    format!(
        "{kind}(tags=[{}], incomplete='{}', position={})",
        quoted_names(stream.tags()),
        mode_name(stream.mode()),
        stream.position()
    )
}
