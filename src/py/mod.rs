//! The `rigging._native` extension module: registration only, no logic.

use pyo3::prelude::*;

mod codec;
mod errors;
mod fanout;
mod found;
mod ident;
mod ints;
mod parts;
mod redact;
mod scan;
mod span;
mod strip;
mod text;

/// The native core of rigging (see `rigging/_native.pyi` for the documented surface).
#[pymodule(gil_used = true)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    codec::register(m)?;
    found::register(m)?;
    span::register(m)?;
    scan::register(m)?;
    strip::register(m)?;
    parts::register(m)?;
    ident::register(m)?;
    redact::register(m)?;
    fanout::register(m)?;
    Ok(())
}
