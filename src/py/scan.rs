//! Bindings of [`crate::scan`]: `Tags`, `scan`, `TagStream`, `TextStream`. Conversion only;
//! the `Span` objects they return are laid out in [`super::span`].

use std::borrow::Cow;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::errors::surrogate_tag_error;
use super::span::PySpan;
use super::text::{lossless_of, text_of, to_py};
use crate::scan::{self as core, Incomplete, TagSet, TextStream};
use crate::surrogates;

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
        match text_of(name)? {
            Cow::Borrowed(text) => names.push(text.to_owned()),
            Cow::Owned(_) => return Err(surrogate_tag_error(name)),
        }
    }
    Ok(TagSet::new(names)?)
}

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
fn scan<'py>(
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
fn candidates<'py>(
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
fn outermost(spans: Vec<Bound<'_, PySpan>>) -> Vec<Bound<'_, PySpan>> {
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

/// `'a', 'b'`: the names of a tag set as a Python list would show them.
fn quoted_names(tags: &TagSet) -> String {
    let names: Vec<String> = tags.names().iter().map(|n| format!("'{n}'")).collect();
    names.join(", ")
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

/// The comment or CDATA section the scanner reads to the end of `text`: its kind and the
/// code-point offset of its opener (documented in `_native.pyi`).
#[pyfunction]
fn unclosed_section(text: &Bound<'_, PyString>) -> PyResult<Option<(&'static str, usize)>> {
    let whole = text_of(text)?;
    Ok(core::unclosed_section(&whole).map(|(section, at)| {
        let name = match section {
            core::Section::Comment => "comment",
            core::Section::Cdata => "CDATA section",
        };
        (name, crate::offsets::char_count(&whole.as_bytes()[..at]))
    }))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(unclosed_section, m)?)?;
    m.add_class::<PyTags>()?;
    m.add_class::<PyTagStream>()?;
    m.add_class::<PyTextStream>()?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(candidates, m)?)?;
    m.add_function(wrap_pyfunction!(outermost, m)?)?;
    Ok(())
}
