//! Python `str` to Rust text and back, for any `str` Python can hold.
//!
//! The fast path borrows the `str`'s cached UTF-8 (`PyString::to_str`). A `str` with lone
//! surrogates has no UTF-8; on that (rare) failure it is encoded with `surrogatepass` and
//! [`crate::surrogates::from_wtf8`] writes U+FFFD over each surrogate, which keeps byte
//! lengths and code-point offsets, so results still index the original `str`.

use std::borrow::Cow;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::surrogates::{self, Lossless};

/// The text of `s`: borrowed when it is valid UTF-8, else with U+FFFD for each surrogate.
pub(crate) fn text_of<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    match s.to_str() {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => Ok(Cow::Owned(lossless(s)?.text)),
    }
}

/// `read(bytes)` over the UTF-8 of `s` (lone surrogates as U+FFFD, as [`text_of`] gives
/// it), without leaving a UTF-8 copy cached on the `str`, for a `str` that may live long and
/// never be read again: an ASCII `str` is its own UTF-8, any other is encoded into a
/// temporary `bytes`.
pub(crate) fn with_utf8_uncached<R>(
    s: &Bound<'_, PyString>,
    read: impl FnOnce(&[u8]) -> PyResult<R>,
) -> PyResult<R> {
    let py = s.py();
    if s.call_method0(intern!(py, "isascii"))?.is_truthy()? {
        return read(text_of(s)?.as_bytes());
    }
    match s.call_method1(intern!(py, "encode"), (intern!(py, "utf-8"),)) {
        Ok(encoded) => read(encoded.cast_into::<PyBytes>()?.as_bytes()),
        Err(_) => read(lossless(s)?.text.as_bytes()), // lone surrogates
    }
}

/// The text of `s` with its surrogates recorded, so that they can be put back.
pub(crate) fn lossless_of(s: &Bound<'_, PyString>) -> PyResult<Lossless> {
    match s.to_str() {
        Ok(text) => Ok(Lossless {
            text: text.to_owned(),
            surrogates: Vec::new(),
        }),
        Err(_) => lossless(s),
    }
}

#[cold]
fn lossless(s: &Bound<'_, PyString>) -> PyResult<Lossless> {
    let encoded = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
    let bytes = encoded.cast::<PyBytes>()?.as_bytes().to_vec();
    Ok(surrogates::from_wtf8(bytes)?)
}

/// A Python `str` of `text` with the recorded surrogates put back.
pub(crate) fn to_py<'py>(
    py: Python<'py>,
    text: &str,
    surrogates: &[(usize, u16)],
) -> PyResult<Bound<'py, PyString>> {
    if surrogates.is_empty() {
        return Ok(PyString::new(py, text));
    }
    let bytes = PyBytes::new(py, &surrogates::to_wtf8(text, surrogates));
    PyString::from_encoded_object(&bytes, Some(c"utf-8"), Some(c"surrogatepass"))
}
