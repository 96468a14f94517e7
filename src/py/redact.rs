//! `is_secret_name`, `mask_userinfo`, `mask_json_secrets` and `userinfo_of`: the redaction rule of [`crate::redact`].

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::PyString;

use super::text::text_of;
use crate::redact;

/// Whether a parameter, field or header called `name` holds a secret.
#[pyfunction]
fn is_secret_name(name: &Bound<'_, PyString>) -> PyResult<bool> {
    Ok(redact::is_secret_name(&text_of(name)?))
}

/// `text` with the user-info of every `scheme://user:password@host` replaced by `mask`.
#[pyfunction]
#[pyo3(signature = (text, mask = "***"))]
fn mask_userinfo<'py>(text: &Bound<'py, PyString>, mask: &str) -> PyResult<Bound<'py, PyString>> {
    let source = text_of(text)?;
    match redact::mask_userinfo(&source, mask) {
        // Unchanged: hand back the very same str (surrogates included).
        Cow::Borrowed(_) => Ok(text.clone()),
        Cow::Owned(masked) => Ok(PyString::new(text.py(), &masked)),
    }
}

/// `text` with the value of every `"secret name": value` pair of JSON text in it masked.
#[pyfunction]
fn mask_json_secrets<'py>(text: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyString>> {
    let source = text_of(text)?;
    match redact::mask_json_secrets(&source) {
        Cow::Borrowed(_) => Ok(text.clone()),
        Cow::Owned(masked) => Ok(PyString::new(text.py(), &masked)),
    }
}

/// The user-info (`user:password`) of every `scheme://user:password@host` in `text`.
#[pyfunction]
fn userinfo_of(text: &Bound<'_, PyString>) -> PyResult<Vec<String>> {
    let source = text_of(text)?;
    Ok(redact::userinfo_ranges(&source)
        .into_iter()
        .map(|(start, end)| source[start..end].to_owned())
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(is_secret_name, m)?)?;
    m.add_function(wrap_pyfunction!(mask_userinfo, m)?)?;
    m.add_function(wrap_pyfunction!(userinfo_of, m)?)?;
    m.add_function(wrap_pyfunction!(mask_json_secrets, m)?)?;
    Ok(())
}
