//! Exception classes of the native module and the one place errors become `PyErr`s.
//!
//! `RiggingError` is the root of every rigging exception. The native parse errors also
//! subclass the matching builtin (`ValueError`, `RuntimeError`) so generic handlers keep
//! working; those classes have two bases, so they are built with `type(...)` at import.

use pyo3::exceptions::{PyException, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

pyo3::create_exception!(
    rigging._native,
    RiggingError,
    PyException,
    "Root of every exception rigging raises."
);

/// The native exception classes that have a builtin second base.
#[derive(Clone, Copy)]
pub(crate) enum ErrorClass {
    /// A connection string could not be parsed (also a `ValueError`).
    Identifier,
    /// A splice/strip request was inconsistent with its text (also a `ValueError`).
    Splice,
    /// A fan-out table was asked for an impossible transition (also a `RuntimeError`).
    FanOut,
    /// A scanner tag set holds an invalid tag name (also a `ValueError`).
    Scan,
}

static IDENTIFIER_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SPLICE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FANOUT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SCAN_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

impl ErrorClass {
    fn spec(self) -> (&'static PyOnceLock<Py<PyType>>, &'static str, &'static str) {
        match self {
            Self::Identifier => (
                &IDENTIFIER_ERROR,
                "IdentifierError",
                "A generator connection string is malformed; `position` is the code-point index.",
            ),
            Self::Splice => (
                &SPLICE_ERROR,
                "SpliceError",
                "Spans given to strip or splice are out of bounds or overlap.",
            ),
            Self::FanOut => (
                &FANOUT_ERROR,
                "FanOutError",
                "A batch bookkeeping table was asked for an impossible state change.",
            ),
            Self::Scan => (
                &SCAN_ERROR,
                "ScanError",
                "A tag name given to `scan` or `TagStream` is empty or holds a character other \
                 than a letter, digit, '-', '_', '.' or ':'.",
            ),
        }
    }

    fn builtin_base(self, py: Python<'_>) -> Bound<'_, PyType> {
        match self {
            Self::Identifier | Self::Splice | Self::Scan => py.get_type::<PyValueError>(),
            Self::FanOut => py.get_type::<PyRuntimeError>(),
        }
    }

    /// The Python class for this error, created on first use.
    pub(crate) fn get(self, py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
        let (cell, name, doc) = self.spec();
        let ty = cell.get_or_try_init(py, || -> PyResult<Py<PyType>> {
            let bases = PyTuple::new(py, [py.get_type::<RiggingError>(), self.builtin_base(py)])?;
            let namespace = PyDict::new(py);
            namespace.set_item("__doc__", doc)?;
            namespace.set_item("__module__", "rigging._native")?;
            let created = py.get_type::<PyType>().call1((name, bases, namespace))?;
            Ok(created.cast_into::<PyType>()?.unbind())
        })?;
        Ok(ty.bind(py))
    }
}

/// Build an exception of `class` with `message` and extra attributes set on the instance.
#[cold]
pub(crate) fn new_error(
    py: Python<'_>,
    class: ErrorClass,
    message: &str,
    attrs: &[(&str, usize)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let instance = class.get(py)?.call1((message,))?;
        for (key, value) in attrs {
            instance.setattr(*key, *value)?;
        }
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|err| err)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("RiggingError", py.get_type::<RiggingError>())?;
    for class in [
        ErrorClass::Identifier,
        ErrorClass::Splice,
        ErrorClass::FanOut,
        ErrorClass::Scan,
    ] {
        let ty = class.get(py)?;
        m.add(ty.name()?, ty)?;
    }
    Ok(())
}
