//! `FanOut` for Python: converts indices and errors around [`crate::fanout::FanOut`].

use pyo3::prelude::*;

use super::errors::{new_error, ErrorClass};
use crate::fanout::{
    index_from_signed, limit_from_signed, max_rounds_from_signed, size_from_signed, FanOut,
    FanOutError, Outcome, State,
};

/// Rounds at least this large are taken with the GIL released.
const DETACH_AT: usize = 16_384;

/// Per-item state table for a batch that runs in rounds (documented in `_native.pyi`).
#[pyclass(name = "FanOut", module = "rigging._native")]
pub(crate) struct PyFanOut {
    inner: FanOut,
}

#[cold]
fn fanout_error(py: Python<'_>, err: &FanOutError) -> PyErr {
    let exc = new_error(py, ErrorClass::FanOut, &err.to_string(), &[]);
    let value = exc.value(py);
    let attrs = value
        .setattr("kind", err.kind.name())
        .and_then(|()| value.setattr("index", err.index));
    match attrs {
        Ok(()) => exc,
        Err(failed) => failed,
    }
}

fn convert<T>(py: Python<'_>, result: Result<T, FanOutError>) -> PyResult<T> {
    result.map_err(|err| fanout_error(py, &err))
}

fn indices(py: Python<'_>, raw: Vec<i64>) -> PyResult<Vec<usize>> {
    convert(py, raw.into_iter().map(index_from_signed).collect())
}

impl PyFanOut {
    /// Applies `outcome`; true when the item was queued for another round.
    fn mark(&mut self, py: Python<'_>, index: i64, outcome: Outcome) -> PyResult<bool> {
        let index = convert(py, index_from_signed(index))?;
        let state = convert(py, self.inner.mark(index, outcome))?;
        Ok(state == State::Again)
    }

    fn mark_many(
        &mut self,
        py: Python<'_>,
        raw: Vec<i64>,
        outcome: Outcome,
    ) -> PyResult<Vec<bool>> {
        let list = indices(py, raw)?;
        let inner = &mut self.inner;
        let result = if list.len() >= DETACH_AT {
            py.detach(|| inner.mark_many(&list, outcome))
        } else {
            inner.mark_many(&list, outcome)
        };
        let states = convert(py, result)?;
        Ok(states.into_iter().map(|s| s == State::Again).collect())
    }
}

#[pymethods]
impl PyFanOut {
    #[new]
    #[pyo3(signature = (size, max_rounds))]
    fn new(py: Python<'_>, size: i64, max_rounds: i64) -> PyResult<Self> {
        let size = convert(py, size_from_signed(size))?;
        let max_rounds = convert(py, max_rounds_from_signed(max_rounds))?;
        let inner = convert(py, FanOut::new(size, max_rounds))?;
        Ok(Self { inner })
    }

    #[pyo3(signature = (limit = None))]
    fn next_round(&mut self, py: Python<'_>, limit: Option<i64>) -> PyResult<Vec<usize>> {
        let limit = convert(py, limit_from_signed(limit))?;
        let inner = &mut self.inner;
        let result = if inner.ready_count() >= DETACH_AT {
            py.detach(|| inner.next_round(limit))
        } else {
            inner.next_round(limit)
        };
        convert(py, result)
    }

    #[pyo3(signature = (index, /))]
    fn complete(&mut self, py: Python<'_>, index: i64) -> PyResult<()> {
        self.mark(py, index, Outcome::Complete).map(drop)
    }

    #[pyo3(signature = (index, /))]
    fn fail(&mut self, py: Python<'_>, index: i64) -> PyResult<()> {
        self.mark(py, index, Outcome::Fail).map(drop)
    }

    #[pyo3(signature = (index, /))]
    fn again(&mut self, py: Python<'_>, index: i64) -> PyResult<bool> {
        self.mark(py, index, Outcome::Again)
    }

    #[pyo3(signature = (indices, /))]
    fn complete_many(&mut self, py: Python<'_>, indices: Vec<i64>) -> PyResult<()> {
        self.mark_many(py, indices, Outcome::Complete).map(drop)
    }

    #[pyo3(signature = (indices, /))]
    fn fail_many(&mut self, py: Python<'_>, indices: Vec<i64>) -> PyResult<()> {
        self.mark_many(py, indices, Outcome::Fail).map(drop)
    }

    #[pyo3(signature = (indices, /))]
    fn again_many(&mut self, py: Python<'_>, indices: Vec<i64>) -> PyResult<Vec<bool>> {
        self.mark_many(py, indices, Outcome::Again)
    }

    #[pyo3(signature = (index, /))]
    fn state(&self, py: Python<'_>, index: i64) -> PyResult<&'static str> {
        let index = convert(py, index_from_signed(index))?;
        convert(py, self.inner.state(index)).map(State::name)
    }

    #[pyo3(signature = (index, /))]
    fn sends(&self, py: Python<'_>, index: i64) -> PyResult<u32> {
        let index = convert(py, index_from_signed(index))?;
        convert(py, self.inner.sends(index))
    }

    fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    fn drain_finished(&mut self) -> Vec<usize> {
        self.inner.drain_finished()
    }

    #[getter]
    fn max_rounds(&self) -> u32 {
        self.inner.max_rounds()
    }

    #[getter]
    fn pending_count(&self) -> usize {
        self.inner.count(State::Pending)
    }

    #[getter]
    fn in_flight_count(&self) -> usize {
        self.inner.count(State::InFlight)
    }

    #[getter]
    fn again_count(&self) -> usize {
        self.inner.count(State::Again)
    }

    #[getter]
    fn done_count(&self) -> usize {
        self.inner.count(State::Done)
    }

    #[getter]
    fn failed_count(&self) -> usize {
        self.inner.count(State::Failed)
    }

    #[getter]
    fn exhausted_count(&self) -> usize {
        self.inner.count(State::Exhausted)
    }

    #[getter]
    fn ready_count(&self) -> usize {
        self.inner.ready_count()
    }

    #[getter]
    fn finished_count(&self) -> usize {
        self.inner.finished_count()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        let counts = State::ALL
            .iter()
            .map(|&s| format!("{}={}", s.name(), self.inner.count(s)))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "FanOut(size={}, max_rounds={}, {counts})",
            self.inner.len(),
            self.inner.max_rounds()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFanOut>()
}
