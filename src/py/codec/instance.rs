//! Model instances read from their own `__dict__` into [`Value`] trees, where encoding would
//! change no value (the fast path of `render_model`; anything else is left to the caller,
//! which encodes the model).

use std::borrow::Cow;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use super::declared::Declared;
use super::PyCodecPlan;
use crate::codec::text::Digits;
use crate::codec::{Item, Kind, Value};

/// Models nested deeper than this are not read from the instance: the caller encodes them
/// with `to_jsonable_python`, which refuses 255 nested models as pydantic-xml's path does,
/// so both paths fail alike there (and no walk nears [`crate::codec::DEPTH_LIMIT`]).
pub(super) const INSTANCE_DEPTH: usize = 200;

/// A primitive read straight from a model's `__dict__`, when encoding would leave it as it is
/// (exact `str`, `bool`, `int`, finite `float`, `None`); `None` asks for the encoded path.
fn plain_primitive(
    value: &Bound<'_, PyAny>,
    declared: Declared,
) -> PyResult<Option<Value<'static>>> {
    if value.is_none() {
        return Ok(Some(Value::None));
    }
    match plain_text(value, declared)? {
        Some(text) => Ok(Some(Value::Str(Cow::Owned(text.as_str()?.to_owned())))),
        None => Ok(None),
    }
}

fn plain_item(
    plan: &PyCodecPlan,
    item: Item,
    value: &Bound<'_, PyAny>,
    declared: Declared,
    depth: usize,
) -> PyResult<Option<Value<'static>>> {
    match item {
        Item::Text => plain_primitive(value, declared),
        Item::Model(_) if value.is_none() => Ok(Some(Value::None)),
        Item::Model(model) => from_model(plan, model, value, depth + 1),
    }
}

/// The `__dict__` of `instance` when it may be read directly as model `model` of `plan`:
/// classes were given and `instance` is exactly that model's class.
pub(super) fn own_fields<'py>(
    plan: &PyCodecPlan,
    model: usize,
    instance: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let py = instance.py();
    let Some(classes) = &plan.classes else {
        return Ok(None);
    };
    if !instance.get_type().is(classes[model].bind(py)) {
        return Ok(None);
    }
    Ok(instance
        .getattr(intern!(py, "__dict__"))?
        .cast_into::<PyDict>()
        .ok())
}

/// The value `from_encoded` would give for `to_jsonable_python(instance)`, read from the
/// instance itself (a model at nesting `depth`); `None` when a value is not plain, or models
/// nest deeper than [`INSTANCE_DEPTH`] (the caller encodes instead).
pub(super) fn from_model(
    plan: &PyCodecPlan,
    model: usize,
    instance: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<Option<Value<'static>>> {
    let py = instance.py();
    if depth > INSTANCE_DEPTH {
        return Ok(None);
    }
    let Some(dict) = own_fields(plan, model, instance)? else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    for (index, field) in plan.plan.models()[model].fields.iter().enumerate() {
        let declared = plan.types[model][index];
        let Some(value) = dict.get_item(plan.render_keys[model][index].bind(py))? else {
            return Ok(None);
        };
        let converted = match &field.kind {
            Kind::Attr(_) | Kind::Text => plain_primitive(&value, declared)?,
            Kind::Element {
                item, many: true, ..
            } => {
                if value.is_none() {
                    Some(Value::None)
                } else if let Ok(list) = value.cast_exact::<PyList>() {
                    let mut items = Vec::with_capacity(list.len());
                    for entry in list.iter() {
                        let Some(converted) = plain_item(plan, *item, &entry, declared, depth)?
                        else {
                            return Ok(None);
                        };
                        items.push(converted);
                    }
                    Some(Value::List(items))
                } else {
                    None
                }
            }
            Kind::Element { item, .. } => plain_item(plan, *item, &value, declared, depth)?,
        };
        let Some(converted) = converted else {
            return Ok(None);
        };
        fields.push((index, converted));
    }
    Ok(Some(Value::Map(fields)))
}

/// A primitive value as the text the renderer writes, when encoding would leave it as it is
/// (exact `str`, `bool`, `int`, finite `float`, `None` as empty): borrowed from the `str`
/// itself, or from its `str()`.
pub(super) enum Plain<'py> {
    Static(&'static str),
    Text(Bound<'py, PyString>),
    /// An exact `int` that fits `i64`, written in decimal without a Python `str()`.
    Int(Digits),
}

impl Plain<'_> {
    pub(super) fn as_str(&self) -> PyResult<&str> {
        match self {
            Self::Static(text) => Ok(text),
            Self::Text(text) => text.to_str(),
            Self::Int(digits) => Ok(digits.as_str()),
        }
    }
}

pub(super) fn plain_text<'py>(
    value: &Bound<'py, PyAny>,
    declared: Declared,
) -> PyResult<Option<Plain<'py>>> {
    if value.is_none() {
        return Ok(Some(Plain::Static("")));
    }
    if !declared.admits(value) {
        return Ok(None);
    }
    if let Ok(text) = value.cast_exact::<PyString>() {
        return Ok(Some(Plain::Text(text.clone())));
    }
    if let Ok(flag) = value.cast_exact::<PyBool>() {
        return Ok(Some(Plain::Static(if flag.is_true() {
            "true"
        } else {
            "false"
        })));
    }
    if value.is_exact_instance_of::<PyInt>() {
        if let Ok(number) = value.extract::<i64>() {
            return Ok(Some(Plain::Int(Digits::of(number))));
        }
    }
    let finite = match value.cast_exact::<PyFloat>() {
        Ok(number) => number.value().is_finite(),
        Err(_) => value.is_exact_instance_of::<PyInt>(),
    };
    Ok(if finite {
        Some(Plain::Text(value.str()?))
    } else {
        None
    })
}
