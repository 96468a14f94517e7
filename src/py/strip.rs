//! Placeholder: bindings are added with the core module.

use pyo3::prelude::*;

#[allow(clippy::unnecessary_wraps)] // placeholder until the bindings land
pub(crate) fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
