//! `CodecPlan` for Python: converts plan descriptions, [`Value`] trees and errors around
//! [`crate::codec`].
//!
//! The class, its methods and the small functions are here; [`spec`] compiles a plan,
//! [`extract`] runs the extraction loop (and `extract_all`), [`to_python`] gives the
//! validator its input, and [`encoded`], [`instance`] and [`write`](mod@write) are the ways
//! to render.

mod declared;
mod encoded;
mod extract;
mod instance;
mod spec;
mod to_python;
mod write;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyType};

use self::declared::Declared;
use self::encoded::from_encoded;
use self::extract::Extracted;
use self::instance::from_model;
use self::spec::FieldSpec;
use self::to_python::{to_py, LiteralTable};
use super::span::PySpan;
use crate::codec::{self, Plan, Style, Value, DEPTH_LIMIT, MAX_DEPTH};

/// The compiled XML plan of one model class (documented in `_native.pyi`).
#[pyclass(name = "CodecPlan", module = "rigging._native", frozen)]
pub(crate) struct PyCodecPlan {
    plan: Plan,
    /// Per model, per field: the key of the validator's input dict.
    parse_keys: Vec<Vec<Py<PyString>>>,
    /// Per model, per field: the key of the encoded (`to_jsonable_python`) dict.
    render_keys: Vec<Vec<Py<PyString>>>,
    /// Per model, its class, when instances may be rendered from their own `__dict__`
    /// (`render_model`): given only for classes whose serialization changes no value.
    classes: Option<Vec<Py<PyType>>>,
    /// Per model, per field: the type a value (or list item) read from an instance must
    /// have exactly to be written as it is.
    types: Vec<Vec<Declared>>,
    /// Per model, per field: its [`LiteralTable`], when it has one; `None` when no field of
    /// the plan has one (the common case costs one check per element).
    literals: Option<Vec<Vec<Option<LiteralTable>>>>,
}

#[pymethods]
impl PyCodecPlan {
    #[new]
    #[pyo3(signature = (models, classes = None, types = None, empty = None, literals = None))]
    fn new(
        py: Python<'_>,
        models: Vec<(String, Vec<FieldSpec>)>,
        classes: Option<Vec<Py<PyType>>>,
        types: Option<Vec<Vec<String>>>,
        empty: Option<Vec<Vec<String>>>,
        literals: Option<Vec<Vec<Option<LiteralTable>>>>,
    ) -> PyResult<Self> {
        Self::from_specs(py, models, classes, types, empty, literals)
    }

    /// The validator input (a dict) read from one element's text.
    #[pyo3(signature = (element, max_depth = MAX_DEPTH))]
    fn parse(&self, py: Python<'_>, element: &str, max_depth: usize) -> PyResult<Py<PyAny>> {
        let value = codec::parse(&self.plan, element, depth_arg(max_depth)?)?;
        to_py(py, self, 0, &value)
    }

    /// `parse`, and whether what was read is blank (no visible text anywhere in it).
    #[pyo3(signature = (element, max_depth = MAX_DEPTH))]
    fn parse_marked(
        &self,
        py: Python<'_>,
        element: &str,
        max_depth: usize,
    ) -> PyResult<(Py<PyAny>, bool)> {
        let value = codec::parse(&self.plan, element, depth_arg(max_depth)?)?;
        Ok((to_py(py, self, 0, &value)?, value.is_blank()))
    }

    /// Parse and validate the element of each `(span, hollow)` of `spans` in `text`
    /// (documented in `_native.pyi`); `None` when `text` holds lone surrogates.
    #[pyo3(signature = (text, spans, validate, max_depth = MAX_DEPTH))]
    fn extract<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyString>,
        spans: &Bound<'py, PyList>,
        validate: &Bound<'py, PyAny>,
        max_depth: usize,
    ) -> PyResult<Option<Extracted<'py>>> {
        let Ok(whole) = text.to_str() else {
            return Ok(None);
        };
        let items = spans.iter().map(|entry| {
            let (span, hollow): (Bound<'py, PySpan>, bool) = entry.extract()?;
            let (start, end) = span.get().range();
            Ok((start, end, None, hollow, span))
        });
        self.extract_items(
            py,
            whole,
            items,
            |span| Ok(span.into_any()),
            validate,
            max_depth,
        )
        .map(Some)
    }

    /// The pretty XML of a model instance read from its own fields, or `None` when that is
    /// not known to equal `render(to_jsonable_python(instance))` (no classes given, another
    /// class, or a value that encoding would change).
    fn render_model(&self, instance: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        self.render_instance(instance)
    }

    /// The pretty XML of a model from its encoded (`to_jsonable_python`) dict.
    fn render(&self, encoded: &Bound<'_, PyAny>) -> PyResult<String> {
        let value = from_encoded(self, 0, encoded, 0)?;
        Ok(codec::render(&self.plan, &value))
    }

    /// The compact XML (`ElementTree.tostring` of pydantic-xml's tree, default arguments) of
    /// a model instance read from its own fields, as ASCII bytes; `None` as for
    /// `render_model`.
    fn render_compact_model(
        &self,
        py: Python<'_>,
        instance: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<pyo3::types::PyBytes>>> {
        if let Some(written) = self.write_instance(Style::Compact, instance)? {
            return Ok(Some(
                pyo3::types::PyBytes::new(py, written.as_bytes()).unbind(),
            ));
        }
        Ok(from_model(self, 0, instance, 0)?.map(|value| compact_bytes(py, &self.plan, &value)))
    }

    /// The compact XML of a model from its encoded (`to_jsonable_python`) dict, as bytes.
    fn render_compact(
        &self,
        py: Python<'_>,
        encoded: &Bound<'_, PyAny>,
    ) -> PyResult<Py<pyo3::types::PyBytes>> {
        let value = from_encoded(self, 0, encoded, 0)?;
        Ok(compact_bytes(py, &self.plan, &value))
    }
}

/// [`codec::render_compact`] as Python `bytes` (the text is ASCII, so its UTF-8 bytes are
/// what `tostring`'s `us-ascii` stream writes).
fn compact_bytes(py: Python<'_>, plan: &Plan, value: &Value<'_>) -> Py<pyo3::types::PyBytes> {
    pyo3::types::PyBytes::new(py, codec::render_compact(plan, value).as_bytes()).unbind()
}

/// A `max_depth` argument, refused past [`DEPTH_LIMIT`] (the walks recurse).
fn depth_arg(max_depth: usize) -> PyResult<usize> {
    if max_depth > DEPTH_LIMIT {
        return Err(PyValueError::new_err(format!(
            "max_depth {max_depth} is above the limit of {DEPTH_LIMIT}"
        )));
    }
    Ok(max_depth)
}

/// Whether elements inside the element `text` nest deeper than `max_depth` (documented in
/// `_native.pyi`).
#[pyfunction]
#[pyo3(signature = (text, max_depth = MAX_DEPTH))]
fn nests_deeper(text: &str, max_depth: usize) -> PyResult<bool> {
    Ok(codec::nests_deeper(text, depth_arg(max_depth)?))
}

/// Whether a line of `text` starts with a space or a tab (documented in `_native.pyi`).
#[pyfunction]
fn has_indented_line(text: &str) -> bool {
    codec::has_indented_line(text)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCodecPlan>()?;
    m.add_function(wrap_pyfunction!(has_indented_line, m)?)?;
    m.add_function(wrap_pyfunction!(nests_deeper, m)?)?;
    m.add_function(wrap_pyfunction!(extract::extract_all, m)?)?;
    m.add("CODEC_MAX_DEPTH", MAX_DEPTH)?;
    Ok(())
}
