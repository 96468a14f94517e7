//! Exception classes of the native module and the one place errors become `PyErr`s.
//!
//! `RiggingError` is the root of every rigging exception. The native parse errors also
//! subclass the matching builtin (`ValueError`, `RuntimeError`) so generic handlers keep
//! working; those classes have two bases, so they are built with `type(...)` at import.
//!
//! Every error the core (or a binding's argument check, [`super::ints`]) returns converts
//! here with `From`, so binding code only writes `?`:
//!
//! | error | Python exception |
//! | --- | --- |
//! | [`IdentError`] (`Identifier.parse`) | `IdentifierError` (a `ValueError`), with `position` |
//! | [`FieldError`] (`Identifier(...)`) | `ValueError` |
//! | [`SpliceError`], [`NegativeOffset`] | `SpliceError` (a `ValueError`) |
//! | [`FanOutError`] | `FanOutError` (a `RuntimeError`), with `kind` and `index` |
//! | [`ScanError`]: invalid tag name | `ScanError` (a `ValueError`) |
//! | [`ScanError`]: invalid or truncated UTF-8 | `ValueError` |
//! | [`ScanError`]: fed after `finish` | `RuntimeError` |
//! | [`CodecError`] | `ValueError` |
//! | [`Crossing`] (`place_parts`) | `ValueError` |
//! | [`InvalidWtf8`] | `ValueError` |
//!
//! The message is always the error's `Display`.

use pyo3::exceptions::{PyException, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use pyo3::IntoPyObjectExt;

use super::ints::NegativeOffset;
use crate::codec::CodecError;
use crate::fanout::FanOutError;
use crate::ident::{FieldError, IdentError};
use crate::parts::Crossing;
use crate::scan::ScanError;
use crate::strip::SpliceError;
use crate::surrogates::InvalidWtf8;

pyo3::create_exception!(
    rigging._native,
    RiggingError,
    PyException,
    "Root of every exception rigging raises."
);

/// The native exception classes that have a builtin second base.
#[derive(Clone, Copy)]
enum ErrorClass {
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
    fn get(self, py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
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

/// An exception of `class` with `message` and extra attributes set on the instance.
fn new_error(
    py: Python<'_>,
    class: ErrorClass,
    message: &str,
    attrs: &[(&str, Bound<'_, PyAny>)],
) -> PyResult<PyErr> {
    let instance = class.get(py)?.call1((message,))?;
    for (key, value) in attrs {
        instance.setattr(*key, value)?;
    }
    Ok(PyErr::from_value(instance))
}

/// The exception `build` makes, or the error that stopped it (holding the GIL meanwhile).
#[cold]
fn raise(build: impl FnOnce(Python<'_>) -> PyResult<PyErr>) -> PyErr {
    Python::attach(|py| build(py).unwrap_or_else(|err| err))
}

/// An exception of `class` with the message of `err` and no attributes.
#[cold]
fn plain(class: ErrorClass, err: &impl ToString) -> PyErr {
    raise(|py| new_error(py, class, &err.to_string(), &[]))
}

/// A `ScanError` for a tag name holding a lone surrogate, named by its Python `repr` (the
/// scanner's own message would show U+FFFD in its place).
#[cold]
pub(crate) fn surrogate_tag_error(name: &Bound<'_, PyString>) -> PyErr {
    raise(|py| {
        let mut position = 0;
        let mut bad = String::new();
        for (index, ch) in name.try_iter()?.enumerate() {
            let ch = ch?.cast_into::<PyString>()?;
            if ch.to_str().is_err() {
                (position, bad) = (index, ch.repr()?.to_string());
                break;
            }
        }
        let message = format!(
            "invalid tag name {}: {bad} at index {position} is a lone surrogate, not a letter, \
             digit, '-', '_', '.' or ':'",
            name.repr()?
        );
        new_error(py, ErrorClass::Scan, &message, &[])
    })
}

/// A `SpliceError` with the message of `err`.
#[cold]
fn splice_error(err: &impl ToString) -> PyErr {
    plain(ErrorClass::Splice, err)
}

/// A builtin `ValueError` with the message of `err`.
#[cold]
fn value_error(err: &impl ToString) -> PyErr {
    PyValueError::new_err(err.to_string())
}

/// `From<E> for PyErr` for error types whose exception `$make(&err)` builds from the message.
macro_rules! from_message {
    ($make:ident => $($error:ty),+) => {$(
        impl From<$error> for PyErr {
            #[cold]
            fn from(err: $error) -> Self {
                $make(&err)
            }
        }
    )+};
}

from_message!(value_error => FieldError, CodecError, InvalidWtf8, Crossing);
from_message!(splice_error => SpliceError, NegativeOffset);

impl From<IdentError> for PyErr {
    #[cold]
    fn from(err: IdentError) -> Self {
        raise(|py| {
            let position = err.position.into_bound_py_any(py)?;
            new_error(
                py,
                ErrorClass::Identifier,
                &err.to_string(),
                &[("position", position)],
            )
        })
    }
}

impl From<FanOutError> for PyErr {
    #[cold]
    fn from(err: FanOutError) -> Self {
        raise(|py| {
            let kind = err.kind.name().into_bound_py_any(py)?;
            let index = err.index.into_bound_py_any(py)?;
            let attrs = [("kind", kind), ("index", index)];
            new_error(py, ErrorClass::FanOut, &err.to_string(), &attrs)
        })
    }
}

impl From<ScanError> for PyErr {
    #[cold]
    fn from(err: ScanError) -> Self {
        match err {
            ScanError::Finished => PyRuntimeError::new_err(err.to_string()),
            ScanError::InvalidTagName { .. } => plain(ErrorClass::Scan, &err),
            ScanError::InvalidUtf8 { .. } | ScanError::TruncatedUtf8 { .. } => value_error(&err),
        }
    }
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
