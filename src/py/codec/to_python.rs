//! Parsed [`Value`] trees as the validator's input: dicts keyed by the plan's parse keys, a
//! `Literal` field's non-string members given back as themselves.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::PyCodecPlan;
use crate::codec::{Item, Kind, Value};

/// The members of a `Literal` field that are not strings, by the text the renderer writes
/// for them (`"1"` for `1`, `"true"` for `True`): such text is handed to the validator as
/// the member itself (pydantic's lax mode does not read `"1"` as the literal `1`).
pub(super) type LiteralTable = Vec<(String, Py<PyAny>)>;

/// The validator input of `value`, read as model `model` of `plan` (a dict keyed by the
/// parse keys for a model, its fields converted in turn).
pub(super) fn to_py(
    py: Python<'_>,
    plan: &PyCodecPlan,
    model: usize,
    value: &Value<'_>,
) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::None => py.None(),
        Value::Str(text) => PyString::new(py, text).into_any().unbind(),
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, plan, model, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Map(fields) => {
            let dict = PyDict::new(py);
            let models = plan.plan.models();
            let tables = plan.literals.as_ref().map(|all| &all[model]);
            for (index, field_value) in fields {
                let key = plan.parse_keys[model][*index].bind(py);
                if let Some(table) = tables.and_then(|own| own[*index].as_ref()) {
                    dict.set_item(key, literal_py(py, table, field_value)?)?;
                    continue;
                }
                let nested = match models[model].fields[*index].kind {
                    Kind::Element {
                        item: Item::Model(m),
                        ..
                    } => m,
                    _ => model,
                };
                dict.set_item(key, to_py(py, plan, nested, field_value)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// The validator input of a field with a [`LiteralTable`] (text, or a list of texts): a text
/// that is a member's rendering, as it is or without surrounding whitespace (as pydantic
/// reads `" 2 "` in an `int` field), becomes that member.
fn literal_py(py: Python<'_>, table: &LiteralTable, value: &Value<'_>) -> PyResult<Py<PyAny>> {
    let lookup = |text: &str| table.iter().find(|(shown, _)| shown == text);
    Ok(match value {
        Value::Str(text) => {
            let trimmed = text.trim_matches(crate::scan::is_python_space);
            match lookup(text).or_else(|| (trimmed.len() < text.len()).then(|| lookup(trimmed))?) {
                Some((_, member)) => member.clone_ref(py),
                None => PyString::new(py, text).into_any().unbind(),
            }
        }
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(literal_py(py, table, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::None | Value::Map(_) => py.None(),
    })
}
