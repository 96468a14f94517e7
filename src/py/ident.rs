//! `Identifier`: converts fields and parameter values, calls [`crate::ident`].

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

use super::text::text_of;
use crate::ident::{self, Value};

/// How a parameter is named in an error: by name when it looks like one, else by index.
fn describe(key: &str, index: usize) -> String {
    match ident::error::display_name(key) {
        Some(name) => format!("parameter '{name}'"),
        None => format!("parameter {index}"),
    }
}

#[cold]
fn type_error(key: &str, index: usize, value: &Bound<'_, PyAny>) -> PyErr {
    let type_name = value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    PyTypeError::new_err(format!(
        "{} must be int, float, bool, str or list[str], not {type_name}",
        describe(key, index)
    ))
}

fn value_from_py(key: &str, index: usize, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().map(Value::Int).map_err(|_| {
            let what = describe(key, index);
            PyValueError::new_err(format!("{what} does not fit in a 64-bit integer"))
        });
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Value::Float(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(text_of(s)?.into_owned()));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            let item = item?;
            match item.cast::<PyString>() {
                Ok(s) => items.push(text_of(s)?.into_owned()),
                Err(_) => return Err(type_error(key, index, obj)),
            }
        }
        return Ok(Value::List(items));
    }
    Err(type_error(key, index, obj))
}

fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Int(i) => i.into_bound_py_any(py),
        Value::Float(f) => f.into_bound_py_any(py),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Str(s) => s.into_bound_py_any(py),
        Value::List(items) => items.into_bound_py_any(py),
    }
}

/// A generator connection string `[provider!]model[,key=value]*`, parsed.
#[pyclass(frozen, module = "rigging._native", name = "Identifier")]
pub(crate) struct PyIdentifier {
    inner: ident::Identifier,
}

#[pymethods]
impl PyIdentifier {
    #[new]
    #[pyo3(signature = (model, *, provider = None, params = None, api_key = None))]
    fn new(
        model: &Bound<'_, PyString>,
        provider: Option<&Bound<'_, PyString>>,
        params: Option<&Bound<'_, PyAny>>,
        api_key: Option<&Bound<'_, PyString>>,
    ) -> PyResult<Self> {
        let owned = |s: &Bound<'_, PyString>| text_of(s).map(std::borrow::Cow::into_owned);
        let model = owned(model)?;
        let provider = provider.map(owned).transpose()?;
        let api_key = api_key.map(owned).transpose()?;
        let mut list = Vec::new();
        if let Some(params) = params {
            for (index, pair) in params.call_method0("items")?.try_iter()?.enumerate() {
                let (key, value): (Bound<'_, PyString>, Bound<'_, PyAny>) = pair?.extract()?;
                let key = owned(&key)?;
                let value = value_from_py(&key, index, &value)?;
                list.push((key, value));
            }
        }
        let inner = ident::Identifier::new(provider, model, list, api_key)?;
        Ok(Self { inner })
    }

    /// Parse a connection string.
    #[staticmethod]
    fn parse(text: &Bound<'_, PyString>) -> PyResult<Self> {
        let inner = ident::Identifier::parse(&text_of(text)?)?;
        Ok(Self { inner })
    }

    #[getter]
    fn provider(&self) -> Option<&str> {
        self.inner.provider.as_deref()
    }

    #[getter]
    fn model(&self) -> &str {
        &self.inner.model
    }

    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (key, value) in &self.inner.params {
            dict.set_item(key, value_to_py(py, value)?)?;
        }
        Ok(dict)
    }

    #[getter]
    fn api_key(&self) -> Option<&str> {
        self.inner.api_key.as_deref()
    }

    /// The connection string, without the api key or any other secret.
    fn format(&self) -> String {
        self.inner.format()
    }

    fn __str__(&self) -> String {
        self.inner.format()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let provider = self
            .inner
            .provider
            .as_deref()
            .into_bound_py_any(py)?
            .repr()?;
        let model = PyString::new(py, &self.inner.model).repr()?;
        let params = PyDict::new(py);
        for (key, value) in self.inner.redacted_params() {
            params.set_item(key, value_to_py(py, &value)?)?;
        }
        let params = params.repr()?;
        let api_key = if self.inner.api_key.is_some() {
            "<redacted>"
        } else {
            "None"
        };
        Ok(format!(
            "Identifier(provider={provider}, model={model}, params={params}, api_key={api_key})"
        ))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        match other.cast::<Self>() {
            Ok(other) => (self.inner == other.get().inner).into_py_any(py),
            Err(_) => Ok(py.NotImplemented()),
        }
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyIdentifier>()
}
