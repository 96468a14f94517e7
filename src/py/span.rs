//! `Span`: the object a scan returns for each tag element, and its memory layout.
//!
//! A scan may return millions of spans, so the object is kept to one pymalloc size class:
//! offsets are stored as `u32`s when they fit, else boxed (see [`Offsets`]).

use std::hash::{DefaultHasher, Hash, Hasher};

use pyo3::prelude::*;
use pyo3::types::{PySlice, PyString};

use crate::scan as core;

/// A tag element found in a text (code-point offsets).
///
/// `tag` is one shared `str` per tag name (built once per call or stream), so a span costs
/// one object and no string copy. The object is 48 bytes (see [`Offsets`]): a scan that
/// finds a million spans allocates, faults in and frees a quarter less memory than with
/// plain `usize` fields.
#[pyclass(module = "rigging._native", name = "Span", frozen, skip_from_py_object)]
pub(crate) struct PySpan {
    #[pyo3(get)]
    tag: Py<PyString>,
    offsets: Offsets,
}

/// The numbers of a span: `u32`s when they fit (any text under 4G code points), else boxed.
enum Offsets {
    Narrow {
        start: u32,
        end: u32,
        inner_start: u32,
        inner_end: u32,
        depth: u32,
        /// Bit 0: self-closing; bit 1: closed.
        flags: u8,
    },
    Wide(Box<core::Span>),
}

/// The header (16 bytes) plus this is one pymalloc size class.
const _: () = assert!(std::mem::size_of::<PySpan>() == 32);

const SELF_CLOSING: u8 = 1;
const CLOSED: u8 = 2;

/// Every field of a span but the tag.
#[derive(PartialEq, Eq, Hash)]
struct Fields {
    start: usize,
    end: usize,
    inner_start: usize,
    inner_end: usize,
    depth: u32,
    self_closing: bool,
    closed: bool,
}

impl Offsets {
    fn new(s: &core::Span) -> Self {
        let narrow = |n: usize| u32::try_from(n).ok();
        // `end` is the largest offset of a span.
        match (
            narrow(s.start),
            narrow(s.end),
            narrow(s.inner_start),
            narrow(s.inner_end),
        ) {
            (Some(start), Some(end), Some(inner_start), Some(inner_end)) => Self::Narrow {
                start,
                end,
                inner_start,
                inner_end,
                depth: s.depth,
                flags: u8::from(s.self_closing) * SELF_CLOSING + u8::from(s.closed) * CLOSED,
            },
            _ => Self::Wide(Box::new(*s)),
        }
    }

    fn fields(&self) -> Fields {
        match *self {
            Self::Narrow {
                start,
                end,
                inner_start,
                inner_end,
                depth,
                flags,
            } => Fields {
                start: start as usize,
                end: end as usize,
                inner_start: inner_start as usize,
                inner_end: inner_end as usize,
                depth,
                self_closing: flags & SELF_CLOSING != 0,
                closed: flags & CLOSED != 0,
            },
            Self::Wide(ref s) => Fields {
                start: s.start,
                end: s.end,
                inner_start: s.inner_start,
                inner_end: s.inner_end,
                depth: s.depth,
                self_closing: s.self_closing,
                closed: s.closed,
            },
        }
    }
}

#[pymethods]
impl PySpan {
    #[getter]
    fn start(&self) -> usize {
        self.fields().start
    }

    #[getter]
    fn end(&self) -> usize {
        self.fields().end
    }

    #[getter]
    fn inner_start(&self) -> usize {
        self.fields().inner_start
    }

    #[getter]
    fn inner_end(&self) -> usize {
        self.fields().inner_end
    }

    #[getter]
    fn depth(&self) -> u32 {
        self.fields().depth
    }

    #[getter]
    fn self_closing(&self) -> bool {
        self.fields().self_closing
    }

    #[getter]
    fn closed(&self) -> bool {
        self.fields().closed
    }

    #[getter]
    fn slice<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self.fields();
        py.get_type::<PySlice>().call1((f.start, f.end))
    }

    #[getter]
    fn inner_slice<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self.fields();
        py.get_type::<PySlice>().call1((f.inner_start, f.inner_end))
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
        let f = self.fields();
        Ok(format!(
            "Span(tag='{}', start={}, end={}, inner_start={}, inner_end={}, depth={}, \
             self_closing={}, closed={})",
            self.tag.bind(py).to_str()?,
            f.start,
            f.end,
            f.inner_start,
            f.inner_end,
            f.depth,
            py_bool(f.self_closing),
            py_bool(f.closed),
        ))
    }
}

impl PySpan {
    /// The span `s` of the tag named `tag`.
    pub(crate) fn new(tag: Py<PyString>, s: &core::Span) -> Self {
        Self {
            tag,
            offsets: Offsets::new(s),
        }
    }

    fn fields(&self) -> Fields {
        self.offsets.fields()
    }

    /// The core span with these numbers, under tag index `tag`.
    pub(crate) fn core(&self, tag: usize) -> core::Span {
        let f = self.fields();
        core::Span {
            tag,
            start: f.start,
            end: f.end,
            inner_start: f.inner_start,
            inner_end: f.inner_end,
            depth: f.depth,
            self_closing: f.self_closing,
            closed: f.closed,
        }
    }

    /// `(start, end)`: where the whole element is (code points).
    pub(crate) fn range(&self) -> (usize, usize) {
        let f = self.fields();
        (f.start, f.end)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySpan>()
}
