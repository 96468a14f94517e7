//! Encoded (`to_jsonable_python`) models read into [`Value`] trees to be rendered.

use std::borrow::Cow;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};

use super::PyCodecPlan;
use crate::codec::{Item, Kind, Value, DEPTH_LIMIT};

/// A primitive encoded value as pydantic-xml writes it (`None` → empty, bools lower-case).
fn primitive(value: &Bound<'_, PyAny>) -> PyResult<Value<'static>> {
    if value.is_none() {
        return Ok(Value::None);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Value::Str(Cow::Owned(text.to_str()?.to_owned())));
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Str(Cow::Borrowed(if flag.is_true() {
            "true"
        } else {
            "false"
        })));
    }
    Ok(Value::Str(Cow::Owned(value.str()?.to_str()?.to_owned())))
}

fn item_value(
    plan: &PyCodecPlan,
    item: Item,
    value: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<Value<'static>> {
    match item {
        Item::Text => primitive(value),
        Item::Model(model) => from_encoded(plan, model, value, depth + 1),
    }
}

/// The value tree of an encoded (`to_jsonable_python`) model at nesting `depth`.
pub(super) fn from_encoded(
    plan: &PyCodecPlan,
    model: usize,
    value: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<Value<'static>> {
    let Ok(dict) = value.cast::<PyDict>() else {
        return Ok(Value::None);
    };
    if depth > DEPTH_LIMIT {
        return Err(PyValueError::new_err(format!(
            "models nest deeper than the limit of {DEPTH_LIMIT}"
        )));
    }
    let py = value.py();
    let mut fields = Vec::new();
    for (index, field) in plan.plan.models()[model].fields.iter().enumerate() {
        let Some(encoded) = dict.get_item(plan.render_keys[model][index].bind(py))? else {
            continue; // excluded from serialization
        };
        let converted = match &field.kind {
            Kind::Attr(_) | Kind::Text => primitive(&encoded)?,
            Kind::Element {
                item, many: true, ..
            } => match encoded.cast::<PyList>() {
                Ok(list) => Value::List(
                    list.iter()
                        .map(|v| item_value(plan, *item, &v, depth))
                        .collect::<PyResult<_>>()?,
                ),
                Err(_) => Value::None,
            },
            Kind::Element { item, .. } => item_value(plan, *item, &encoded, depth)?,
        };
        fields.push((index, converted));
    }
    Ok(Value::Map(fields))
}
