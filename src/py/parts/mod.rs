//! The parts of a `Message` for Python: [`place`] lays them out after new models were
//! parsed (`place_parts`), [`alone`] parses a message that is one element (`parse_alone`),
//! [`maker`] builds each part (`PartMaker`), [`pretty`] gives a new part its pretty XML;
//! the crossing checks are here.

mod alone;
mod maker;
mod place;
mod pretty;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::found::PyFound;
use super::text::text_of;
use crate::crossed;
use crate::parts;

/// Whether another element of `text` crosses its element at code points `start..end`
/// (documented in `_native.pyi`).
#[pyfunction]
fn crossed_element(text: &Bound<'_, PyString>, start: usize, end: usize) -> PyResult<bool> {
    let whole = text_of(text)?;
    let ascii = whole.len() == text.len()?;
    Ok(crossed::crossed(&whole, ascii, &[(start, end)])[0])
}

/// A code-point offset as the `isize` a Python slice takes (offsets of a `str` always fit).
fn index(n: usize) -> PyResult<isize> {
    Ok(isize::try_from(n)?)
}

/// Indexes of the results of `found` (`Found`) that cross a recorded part (`spans`) or an
/// earlier result (documented in `_native.pyi`).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
fn crossing_found(spans: Vec<(usize, usize)>, found: &Bound<'_, PyList>) -> PyResult<Vec<usize>> {
    let first_new = spans.len();
    let mut all = spans;
    for item in found.iter() {
        all.push(item.cast_into::<PyFound>()?.get().parts().1);
    }
    Ok(parts::crossing_new(&all, first_new)
        .into_iter()
        .map(|i| i - first_new)
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(crossing_found, m)?)?;
    m.add_function(wrap_pyfunction!(crossed_element, m)?)?;
    m.add_function(wrap_pyfunction!(place::place_parts, m)?)?;
    m.add_function(wrap_pyfunction!(alone::parse_alone, m)?)?;
    m.add_class::<maker::PyPartMaker>()?;
    Ok(())
}
