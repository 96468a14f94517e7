//! `FanOut` for Python: converts indices (see [`super::ints`]) around [`crate::fanout::FanOut`].

use pyo3::prelude::*;

use super::ints;
use crate::fanout::{FanOut, Outcome, State};

/// Rounds at least this large are taken with the GIL released.
const DETACH_AT: usize = 16_384;

/// Per-item state table for a batch that runs in rounds (documented in `_native.pyi`).
#[pyclass(name = "FanOut", module = "rigging._native")]
pub(crate) struct PyFanOut {
    inner: FanOut,
}

impl PyFanOut {
    /// Applies `outcome`; true when the item was queued for another round.
    fn mark(&mut self, index: i64, outcome: Outcome) -> PyResult<bool> {
        let state = self.inner.mark(ints::index(index)?, outcome)?;
        Ok(state == State::Again)
    }

    fn mark_many(
        &mut self,
        py: Python<'_>,
        raw: Vec<i64>,
        outcome: Outcome,
    ) -> PyResult<Vec<bool>> {
        let list = ints::indices(raw)?;
        let inner = &mut self.inner;
        let result = if list.len() >= DETACH_AT {
            py.detach(|| inner.mark_many(&list, outcome))
        } else {
            inner.mark_many(&list, outcome)
        };
        let states = result?;
        Ok(states.into_iter().map(|s| s == State::Again).collect())
    }
}

#[pymethods]
impl PyFanOut {
    #[new]
    #[pyo3(signature = (size, max_rounds))]
    fn new(size: i64, max_rounds: i64) -> PyResult<Self> {
        let inner = FanOut::new(ints::size(size)?, ints::max_rounds(max_rounds)?)?;
        Ok(Self { inner })
    }

    #[pyo3(signature = (limit = None))]
    fn next_round(&mut self, py: Python<'_>, limit: Option<i64>) -> PyResult<Vec<usize>> {
        let limit = ints::limit(limit)?;
        let inner = &mut self.inner;
        let result = if inner.ready_count() >= DETACH_AT {
            py.detach(|| inner.next_round(limit))
        } else {
            inner.next_round(limit)
        };
        Ok(result?)
    }

    #[pyo3(signature = (index, /))]
    fn complete(&mut self, index: i64) -> PyResult<()> {
        self.mark(index, Outcome::Complete).map(drop)
    }

    #[pyo3(signature = (index, /))]
    fn fail(&mut self, index: i64) -> PyResult<()> {
        self.mark(index, Outcome::Fail).map(drop)
    }

    #[pyo3(signature = (index, /))]
    fn again(&mut self, index: i64) -> PyResult<bool> {
        self.mark(index, Outcome::Again)
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
    fn state(&self, index: i64) -> PyResult<&'static str> {
        Ok(self.inner.state(ints::index(index)?)?.name())
    }

    #[pyo3(signature = (index, /))]
    fn sends(&self, index: i64) -> PyResult<u32> {
        Ok(self.inner.sends(ints::index(index)?)?)
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
