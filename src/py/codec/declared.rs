//! [`Declared`]: the primitive type a field declares, which decides whether a value read
//! from an instance may be written as it is.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

/// The declared primitive type of a field, as far as rendering from the instance goes.
///
/// A value pydantic never validated (a default, a plain assignment, `model_construct`) may
/// be of another type, and pydantic-xml writes it as the field's serializer encodes it
/// (`0` in a `float` field as `0.0`, `True` in an `int` field as `1`): such a value is not
/// written from the instance, the caller encodes the model instead. A union of primitives
/// (`int | str`) declares each of its members: a value of one of them exactly is encoded as
/// it is (`3` in a `float | int` field stays `3`), any other goes to the encoded path
/// (`True` in an `int | float` field is written `1.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Declared(u8);

impl Declared {
    /// Anything plain (another annotation: `Literal`, `Any`...).
    pub(super) const ANY: Self = Self(u8::MAX);
    const STR: u8 = 1;
    const INT: u8 = 2;
    const FLOAT: u8 = 4;
    const BOOL: u8 = 8;

    /// `""` (any), `"encoded"` (no primitive: always the encoded path), or primitive names
    /// joined by `|` (`"int|str"`).
    pub(super) fn of(name: &str) -> PyResult<Self> {
        match name {
            "" => return Ok(Self::ANY),
            "encoded" => return Ok(Self(0)),
            _ => {}
        }
        let mut mask = 0;
        for part in name.split('|') {
            mask |= match part {
                "str" => Self::STR,
                "int" => Self::INT,
                "float" => Self::FLOAT,
                "bool" => Self::BOOL,
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "unknown declared type {name:?} (expected '', 'encoded', or 'str', \
                         'int', 'float' and 'bool' joined by '|')"
                    )))
                }
            };
        }
        Ok(Self(mask))
    }

    /// Whether `value` (not None) is of this type (one of these types) exactly.
    pub(super) fn admits(self, value: &Bound<'_, PyAny>) -> bool {
        if self == Self::ANY {
            return true;
        }
        let has = |bit: u8| self.0 & bit != 0;
        (has(Self::STR) && value.is_exact_instance_of::<PyString>())
            || (has(Self::INT) && value.is_exact_instance_of::<PyInt>())
            || (has(Self::FLOAT) && value.is_exact_instance_of::<PyFloat>())
            || (has(Self::BOOL) && value.is_exact_instance_of::<PyBool>())
    }
}
