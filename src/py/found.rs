//! `Found`: a model built from one element of a text, with where the element is.
//!
//! Built in bulk by `CodecPlan.extract`, so it is a native object: one allocation and no
//! Python `__init__` per model.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PySlice, PyType};

/// A model built from one element of a text (documented in `_native.pyi`).
///
/// The range is kept as numbers: the `slice` object is made when asked for, so building
/// thousands of results allocates no slice the caller does not read.
#[pyclass(name = "Found", module = "rigging._native", frozen)]
pub(crate) struct PyFound {
    #[pyo3(get)]
    model: Py<PyAny>,
    #[pyo3(get)]
    start: usize,
    end: usize,
    #[pyo3(get)]
    hollow: bool,
    /// True when the codec found every tag of the element paired inside it (no element of
    /// the text can cross it: `crate::codec::tree::Builder::held_all`); false when unknown.
    held_all: bool,
}

impl PyFound {
    /// The model found at code points `start..end`.
    pub(crate) fn at(model: Py<PyAny>, start: usize, end: usize, hollow: bool) -> Self {
        Self {
            model,
            start,
            end,
            hollow,
            held_all: false,
        }
    }

    /// [`Self::at`] for an element the codec found holding all its tags.
    pub(crate) fn holding_all(mut self, held_all: bool) -> Self {
        self.held_all = held_all;
        self
    }

    /// The model and its `(start, end)`.
    pub(crate) fn parts(&self) -> (&Py<PyAny>, (usize, usize)) {
        (&self.model, (self.start, self.end))
    }

    /// Whether no element of the text can cross this one (known from the codec's reading).
    pub(crate) fn held_all(&self) -> bool {
        self.held_all
    }
}

#[pymethods]
impl PyFound {
    #[new]
    fn new(model: Py<PyAny>, slice: &Bound<'_, PySlice>, hollow: bool) -> PyResult<Self> {
        let py = slice.py();
        let bound = |name| -> PyResult<usize> {
            slice.getattr(name)?.extract().map_err(|_| {
                PyValueError::new_err(format!(
                    "a Found slice has non-negative int start and stop, not {}",
                    slice.repr().map_or_else(|_| "?".into(), |r| r.to_string())
                ))
            })
        };
        if !slice.getattr(intern!(py, "step"))?.is_none() {
            return Err(PyValueError::new_err("a Found slice has no step"));
        }
        Ok(Self::at(
            model,
            bound(intern!(py, "start"))?,
            bound(intern!(py, "stop"))?,
            hollow,
        ))
    }

    /// `slice(start, end)`: where the element is (code points).
    #[getter]
    fn slice<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.get_type::<PySlice>().call1((self.start, self.end))
    }

    /// `Found[Model]` in annotations evaluated at run time is the class itself.
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, _item: &Bound<'_, PyAny>) -> Py<PyType> {
        cls.clone().unbind()
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, Self>) -> PyResult<bool> {
        let other = other.get();
        Ok(self.hollow == other.hollow
            && (self.start, self.end) == (other.start, other.end)
            && self.model.bind(py).eq(other.model.bind(py))?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Found(model={}, slice=slice({}, {}, None), hollow={})",
            self.model.bind(py).repr()?,
            self.start,
            self.end,
            if self.hollow { "True" } else { "False" }
        ))
    }
}

/// The results of several classes as one list (documented in `_native.pyi`): per list, the
/// filled results when it has any (else all of them), then all stably sorted by start.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
fn merge_filled<'py>(
    py: Python<'py>,
    lists: Vec<Bound<'py, PyList>>,
) -> PyResult<Bound<'py, PyList>> {
    let mut kept: Vec<(usize, Bound<'py, PyFound>)> = Vec::new();
    for list in &lists {
        let items = list
            .iter()
            .map(|item| item.cast_into::<PyFound>().map_err(PyErr::from))
            .collect::<PyResult<Vec<_>>>()?;
        let any_filled = items.len() > 1 && items.iter().any(|item| !item.get().hollow);
        kept.extend(
            items
                .into_iter()
                .filter(|item| !any_filled || !item.get().hollow)
                .map(|item| (item.get().start, item)),
        );
    }
    kept.sort_by_key(|(start, _)| *start); // stable: equal starts keep the lists' order
    PyList::new(py, kept.into_iter().map(|(_, item)| item))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFound>()?;
    m.add_function(wrap_pyfunction!(merge_filled, m)?)
}
