//! Rendering from a model instance: its XML written straight from its `__dict__` for a flat
//! plan (no intermediate [`Value`](crate::codec::Value) tree), else from the tree
//! [`from_model`] reads.

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::declared::Declared;
use super::instance::{from_model, own_fields, plain_text, Plain, INSTANCE_DEPTH};
use super::PyCodecPlan;
use crate::codec::{self, Field, Item, Kind, Style};

impl PyCodecPlan {
    /// `render_model` for the other bindings (no Python call).
    pub(crate) fn render_instance(&self, instance: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        if let Some(written) = self.write_instance(Style::Pretty, instance)? {
            return Ok(Some(written));
        }
        Ok(from_model(self, 0, instance, 0)?.map(|value| codec::render(&self.plan, &value)))
    }

    /// [`write_model`] of an instance of the root model, for a flat plan (`None` otherwise,
    /// or when `write_model` cannot write it).
    pub(super) fn write_instance(
        &self,
        style: Style,
        instance: &Bound<'_, PyAny>,
    ) -> PyResult<Option<String>> {
        if !self.plan.is_flat() {
            return Ok(None);
        }
        let mut buf = String::with_capacity(256);
        let tag = &self.plan.models()[0].tag;
        Ok(write_model(self, style, 0, instance, tag, 0, &mut buf)?.then_some(buf))
    }
}

/// Write the pretty XML of `instance` (model `model` of a flat plan, element `tag` at depth
/// `level`) straight from its `__dict__`: what `render(from_model(...))` writes, without the
/// intermediate trees. False (with `buf` partly written) where `from_model` gives `None`
/// (and so past [`INSTANCE_DEPTH`]).
/// Attributes are read before elements, so a lone surrogate in an attribute raises
/// `UnicodeEncodeError` even where an element declared before it would have made
/// `from_model` give `None`; every caller takes either as "render another way".
fn write_model(
    plan: &PyCodecPlan,
    style: Style,
    model: usize,
    instance: &Bound<'_, PyAny>,
    tag: &str,
    level: usize,
    buf: &mut String,
) -> PyResult<bool> {
    let py = instance.py();
    if level > INSTANCE_DEPTH {
        return Ok(false);
    }
    let Some(dict) = own_fields(plan, model, instance)? else {
        return Ok(false);
    };
    let fields = &plan.plan.models()[model].fields;
    let keys = &plan.render_keys[model];
    let value_of = |index: usize| dict.get_item(keys[index].bind(py));
    style.open(buf, tag);
    let mut text = Plain::Static("");
    if !write_attributes(style, fields, &plan.types[model], value_of, &mut text, buf)? {
        return Ok(false);
    }
    let mut body = style.body(buf, level, text.as_str()?);
    for (index, field) in fields.iter().enumerate() {
        let Kind::Element { name, item, many } = &field.kind else {
            continue;
        };
        let Some(value) = value_of(index)? else {
            return Ok(false);
        };
        let item = (*item, plan.types[model][index]);
        if *many {
            if value.is_none() {
                continue;
            }
            let Ok(list) = value.cast_exact::<PyList>() else {
                return Ok(false);
            };
            for entry in list.iter() {
                if !write_child(plan, style, item, &entry, name, level, &mut body, buf)? {
                    return Ok(false);
                }
            }
        } else if !write_child(plan, style, item, &value, name, level, &mut body, buf)? {
            return Ok(false);
        }
    }
    body.close(buf, tag);
    Ok(true)
}

/// Write the attributes among `fields` (with their declared `types`; `value_of(index)` reads
/// one from the instance) into the open tag in `buf`, and set `text` to the text field's;
/// false where [`write_model`] gives false.
fn write_attributes<'py>(
    style: Style,
    fields: &[Field],
    types: &[Declared],
    value_of: impl Fn(usize) -> PyResult<Option<Bound<'py, PyAny>>>,
    text: &mut Plain<'py>,
    buf: &mut String,
) -> PyResult<bool> {
    for (index, field) in fields.iter().enumerate() {
        if matches!(field.kind, Kind::Element { .. }) {
            continue;
        }
        let Some(value) = value_of(index)? else {
            return Ok(false);
        };
        let Some(written) = plain_text(&value, types[index])? else {
            return Ok(false);
        };
        match &field.kind {
            Kind::Attr(name) => style.attribute(buf, name, written.as_str()?),
            _ => *text = written,
        }
    }
    Ok(true)
}

/// One child element `name` of an element at depth `level` written by [`write_model`]: `item`
/// is what the field holds, with its declared type.
#[allow(clippy::too_many_arguments)] // the element's context, passed down as it is
fn write_child(
    plan: &PyCodecPlan,
    style: Style,
    item: (Item, Declared),
    value: &Bound<'_, PyAny>,
    name: &str,
    level: usize,
    body: &mut codec::Body<'_>,
    buf: &mut String,
) -> PyResult<bool> {
    let (item, declared) = item;
    match item {
        Item::Text => {
            let Some(written) = plain_text(value, declared)? else {
                return Ok(false);
            };
            body.before_child(buf);
            style.open(buf, name);
            style
                .body(buf, level + 1, written.as_str()?)
                .close(buf, name);
            Ok(true)
        }
        Item::Model(_) if value.is_none() => Ok(true),
        Item::Model(model) => {
            body.before_child(buf);
            write_model(plan, style, model, value, name, level + 1, buf)
        }
    }
}
