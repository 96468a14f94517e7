//! `Found`: a model built from one element of a text, with where the element is.
//!
//! Built in bulk by `CodecPlan.extract`, so it is a native object: one allocation and no
//! Python `__init__` per model.

use pyo3::prelude::*;
use pyo3::types::{PySlice, PyType};

/// A model built from one element of a text (documented in `_native.pyi`).
#[pyclass(name = "Found", module = "rigging._native", frozen)]
pub(crate) struct PyFound {
    #[pyo3(get)]
    model: Py<PyAny>,
    #[pyo3(get)]
    slice: Py<PySlice>,
    #[pyo3(get)]
    hollow: bool,
}

impl PyFound {
    /// The model found at code points `start..end`, as `slice(start, end)` (no step).
    pub(crate) fn at(
        py: Python<'_>,
        model: Py<PyAny>,
        start: usize,
        end: usize,
        hollow: bool,
    ) -> PyResult<Self> {
        let slice = py
            .get_type::<PySlice>()
            .call1((start, end))?
            .cast_into::<PySlice>()?
            .unbind();
        Ok(Self {
            model,
            slice,
            hollow,
        })
    }
}

#[pymethods]
impl PyFound {
    #[new]
    fn new(model: Py<PyAny>, slice: Py<PySlice>, hollow: bool) -> Self {
        Self {
            model,
            slice,
            hollow,
        }
    }

    /// `Found[Model]` in annotations evaluated at run time is the class itself.
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, _item: &Bound<'_, PyAny>) -> Py<PyType> {
        cls.clone().unbind()
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, Self>) -> PyResult<bool> {
        let other = other.get();
        Ok(self.hollow == other.hollow
            && self.slice.bind(py).eq(other.slice.bind(py))?
            && self.model.bind(py).eq(other.model.bind(py))?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Found(model={}, slice={}, hollow={})",
            self.model.bind(py).repr()?,
            self.slice.bind(py).repr()?,
            if self.hollow { "True" } else { "False" }
        ))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFound>()
}
