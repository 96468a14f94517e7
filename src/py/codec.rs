//! `CodecPlan` for Python: converts plan descriptions, [`Value`] trees and errors around
//! [`crate::codec`].

use std::borrow::Cow;

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyType};

use super::found::PyFound;
use super::scan::{find_candidates, py_span, PyTags};
use super::span::PySpan;
use crate::codec::text::Digits;
use crate::codec::{
    self, Empty, Field, Item, Kind, ModelPlan, Plan, Style, Value, DEPTH_LIMIT, MAX_DEPTH,
};
use crate::offsets::{char_count, skip_chars, CharToByte};

/// `CodecPlan.extract`: the models found and the `(span, error, unreadable)` failures.
pub(crate) type Extracted<'py> = (Bound<'py, PyList>, Bound<'py, PyList>);

/// One field as described from Python:
/// `(parse_key, render_key, path, kind, name, model, many)`.
type FieldSpec = (String, String, Vec<String>, String, String, i64, bool);

/// The compiled XML plan of one model class (documented in `_native.pyi`).
#[pyclass(name = "CodecPlan", module = "rigging._native", frozen)]
pub(crate) struct PyCodecPlan {
    plan: Plan,
    /// Per model, per field: the key of the validator's input dict.
    parse_keys: Vec<Vec<Py<PyString>>>,
    /// Per model, per field: the key of the encoded (`to_jsonable_python`) dict.
    render_keys: Vec<Vec<Py<PyString>>>,
    /// Per model, its class, when instances may be rendered from their own `__dict__`
    /// (`render_model`): given only for classes whose serialization changes no value.
    classes: Option<Vec<Py<PyType>>>,
    /// Per model, per field: the type a value (or list item) read from an instance must
    /// have exactly to be written as it is.
    types: Vec<Vec<Declared>>,
    /// Per model, per field: its [`LiteralTable`], when it has one; `None` when no field of
    /// the plan has one (the common case costs one check per element).
    literals: Option<Vec<Vec<Option<LiteralTable>>>>,
}

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
struct Declared(u8);

impl Declared {
    /// Anything plain (another annotation: `Literal`, `Any`...).
    const ANY: Self = Self(u8::MAX);
    const STR: u8 = 1;
    const INT: u8 = 2;
    const FLOAT: u8 = 4;
    const BOOL: u8 = 8;

    /// `""` (any), `"encoded"` (no primitive: always the encoded path), or primitive names
    /// joined by `|` (`"int|str"`).
    fn of(name: &str) -> PyResult<Self> {
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
    fn admits(self, value: &Bound<'_, PyAny>) -> bool {
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

/// The members of a `Literal` field that are not strings, by the text the renderer writes
/// for them (`"1"` for `1`, `"true"` for `True`): such text is handed to the validator as
/// the member itself (pydantic's lax mode does not read `"1"` as the literal `1`).
type LiteralTable = Vec<(String, Py<PyAny>)>;

/// A field's [`Empty`] from its name in `CodecPlan`'s ``empty`` argument.
fn empty_of(name: &str) -> PyResult<Empty> {
    Ok(match name {
        "" => Empty::PydanticXml,
        "str" => Empty::Str,
        "none" => Empty::None,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown empty reading {name:?} (expected '', 'str' or 'none')"
            )))
        }
    })
}

/// Whether `names` has one list per model of `models` and one name per field.
fn per_field<T>(names: &[Vec<T>], models: &[(String, Vec<FieldSpec>)]) -> bool {
    names.len() == models.len()
        && names
            .iter()
            .zip(models)
            .all(|(names, (_, specs))| names.len() == specs.len())
}

/// `CodecPlan`'s ``empty`` argument as one [`Empty`] per field (pydantic-xml's when not given).
fn empty_readings(
    empty: Option<Vec<Vec<String>>>,
    models: &[(String, Vec<FieldSpec>)],
) -> PyResult<Vec<Vec<Empty>>> {
    Ok(match empty {
        None => models
            .iter()
            .map(|(_, specs)| vec![Empty::PydanticXml; specs.len()])
            .collect(),
        Some(empty) => {
            if !per_field(&empty, models) {
                return Err(PyValueError::new_err(
                    "expected empty with one list per model and one name per field",
                ));
            }
            empty
                .iter()
                .map(|names| names.iter().map(|n| empty_of(n)).collect())
                .collect::<PyResult<_>>()?
        }
    })
}

fn field_of(spec: &FieldSpec, count: usize, empty: Empty) -> PyResult<Field> {
    let (_, _, path, kind, name, model, many) = spec;
    let item = match usize::try_from(*model) {
        Ok(index) if index < count => Item::Model(index),
        Ok(_) => {
            return Err(PyValueError::new_err(format!(
                "model index {model} out of range"
            )))
        }
        Err(_) => Item::Text,
    };
    let kind = match kind.as_str() {
        "attr" => Kind::Attr(name.clone()),
        "text" => Kind::Text,
        "element" => Kind::Element {
            name: name.clone(),
            item,
            many: *many,
        },
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown field kind {other:?}"
            )))
        }
    };
    Ok(Field {
        path: path.clone(),
        kind,
        empty,
    })
}

fn to_py(
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
fn own_fields<'py>(
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
fn from_model(
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
enum Plain<'py> {
    Static(&'static str),
    Text(Bound<'py, PyString>),
    /// An exact `int` that fits `i64`, written in decimal without a Python `str()`.
    Int(Digits),
}

impl Plain<'_> {
    fn as_str(&self) -> PyResult<&str> {
        match self {
            Self::Static(text) => Ok(text),
            Self::Text(text) => text.to_str(),
            Self::Int(digits) => Ok(digits.as_str()),
        }
    }
}

fn plain_text<'py>(value: &Bound<'py, PyAny>, declared: Declared) -> PyResult<Option<Plain<'py>>> {
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
    for (index, field) in fields.iter().enumerate() {
        if matches!(field.kind, Kind::Element { .. }) {
            continue;
        }
        let Some(value) = value_of(index)? else {
            return Ok(false);
        };
        let Some(written) = plain_text(&value, plan.types[model][index])? else {
            return Ok(false);
        };
        match &field.kind {
            Kind::Attr(name) => style.attribute(buf, name, written.as_str()?),
            _ => text = written,
        }
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
fn from_encoded(
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

#[pymethods]
impl PyCodecPlan {
    #[new]
    #[pyo3(signature = (models, classes = None, types = None, empty = None, literals = None))]
    fn new(
        py: Python<'_>,
        models: Vec<(String, Vec<FieldSpec>)>,
        classes: Option<Vec<Py<PyType>>>,
        types: Option<Vec<Vec<String>>>,
        empty: Option<Vec<Vec<String>>>,
        literals: Option<Vec<Vec<Option<LiteralTable>>>>,
    ) -> PyResult<Self> {
        let count = models.len();
        if classes.as_ref().is_some_and(|c| c.len() != count) {
            return Err(PyValueError::new_err(format!(
                "expected {count} classes, one per model"
            )));
        }
        let types = match types {
            None => models
                .iter()
                .map(|(_, specs)| vec![Declared::ANY; specs.len()])
                .collect(),
            Some(types) => {
                if !per_field(&types, &models) {
                    return Err(PyValueError::new_err(
                        "expected types with one list per model and one name per field",
                    ));
                }
                types
                    .iter()
                    .map(|names| names.iter().map(|n| Declared::of(n)).collect())
                    .collect::<PyResult<_>>()?
            }
        };
        let empty = empty_readings(empty, &models)?;
        if literals
            .as_ref()
            .is_some_and(|tables| !per_field(tables, &models))
        {
            return Err(PyValueError::new_err(
                "expected literals with one list per model and one entry per field",
            ));
        }
        let literals = literals.filter(|tables| tables.iter().flatten().any(Option::is_some));
        let mut plans = Vec::with_capacity(count);
        let mut parse_keys = Vec::with_capacity(count);
        let mut render_keys = Vec::with_capacity(count);
        for ((tag, specs), empty) in models.into_iter().zip(empty) {
            let fields = specs
                .iter()
                .zip(empty)
                .map(|(spec, empty)| field_of(spec, count, empty))
                .collect::<PyResult<_>>()?;
            plans.push(ModelPlan { tag, fields });
            parse_keys.push(
                specs
                    .iter()
                    .map(|s| PyString::intern(py, &s.0).unbind())
                    .collect(),
            );
            render_keys.push(
                specs
                    .iter()
                    .map(|s| PyString::intern(py, &s.1).unbind())
                    .collect(),
            );
        }
        let plan = Plan::new(plans)?;
        // A table only where a field is read as text (never a nested model's dict).
        let misplaced = literals
            .iter()
            .flatten()
            .zip(plan.models())
            .any(|(tables, model)| {
                tables.iter().zip(&model.fields).any(|(table, field)| {
                    table.is_some()
                        && matches!(
                            field.kind,
                            Kind::Element {
                                item: Item::Model(_),
                                ..
                            }
                        )
                })
            });
        if misplaced {
            return Err(PyValueError::new_err(
                "a literal table is given for a nested model field",
            ));
        }
        Ok(Self {
            plan,
            parse_keys,
            render_keys,
            classes,
            types,
            literals,
        })
    }

    /// The validator input (a dict) read from one element's text.
    #[pyo3(signature = (element, max_depth = MAX_DEPTH))]
    fn parse(&self, py: Python<'_>, element: &str, max_depth: usize) -> PyResult<Py<PyAny>> {
        let value = codec::parse(&self.plan, element, depth_arg(max_depth)?)?;
        to_py(py, self, 0, &value)
    }

    /// `parse`, and whether what was read is blank (no visible text anywhere in it).
    #[pyo3(signature = (element, max_depth = MAX_DEPTH))]
    fn parse_marked(
        &self,
        py: Python<'_>,
        element: &str,
        max_depth: usize,
    ) -> PyResult<(Py<PyAny>, bool)> {
        let value = codec::parse(&self.plan, element, depth_arg(max_depth)?)?;
        Ok((to_py(py, self, 0, &value)?, value.is_blank()))
    }

    /// Parse and validate the element of each `(span, hollow)` of `spans` in `text`
    /// (documented in `_native.pyi`); `None` when `text` holds lone surrogates.
    #[pyo3(signature = (text, spans, validate, max_depth = MAX_DEPTH))]
    fn extract<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyString>,
        spans: &Bound<'py, PyList>,
        validate: &Bound<'py, PyAny>,
        max_depth: usize,
    ) -> PyResult<Option<Extracted<'py>>> {
        let Ok(whole) = text.to_str() else {
            return Ok(None);
        };
        let items = spans.iter().map(|entry| {
            let (span, hollow): (Bound<'py, PySpan>, bool) = entry.extract()?;
            let (start, end) = span.get().range();
            Ok((start, end, None, hollow, span))
        });
        self.extract_items(
            py,
            whole,
            items,
            |span| Ok(span.into_any()),
            validate,
            max_depth,
        )
        .map(Some)
    }

    /// The pretty XML of a model instance read from its own fields, or `None` when that is
    /// not known to equal `render(to_jsonable_python(instance))` (no classes given, another
    /// class, or a value that encoding would change).
    fn render_model(&self, instance: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        self.render_instance(instance)
    }

    /// The pretty XML of a model from its encoded (`to_jsonable_python`) dict.
    fn render(&self, encoded: &Bound<'_, PyAny>) -> PyResult<String> {
        let value = from_encoded(self, 0, encoded, 0)?;
        Ok(codec::render(&self.plan, &value))
    }

    /// The compact XML (`ElementTree.tostring` of pydantic-xml's tree, default arguments) of
    /// a model instance read from its own fields, as ASCII bytes; `None` as for
    /// `render_model`.
    fn render_compact_model(
        &self,
        py: Python<'_>,
        instance: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<pyo3::types::PyBytes>>> {
        if let Some(written) = self.write_instance(Style::Compact, instance)? {
            return Ok(Some(
                pyo3::types::PyBytes::new(py, written.as_bytes()).unbind(),
            ));
        }
        Ok(from_model(self, 0, instance, 0)?.map(|value| compact_bytes(py, &self.plan, &value)))
    }

    /// The compact XML of a model from its encoded (`to_jsonable_python`) dict, as bytes.
    fn render_compact(
        &self,
        py: Python<'_>,
        encoded: &Bound<'_, PyAny>,
    ) -> PyResult<Py<pyo3::types::PyBytes>> {
        let value = from_encoded(self, 0, encoded, 0)?;
        Ok(compact_bytes(py, &self.plan, &value))
    }
}

/// [`codec::render_compact`] as Python `bytes` (the text is ASCII, so its UTF-8 bytes are
/// what `tostring`'s `us-ascii` stream writes).
fn compact_bytes(py: Python<'_>, plan: &Plan, value: &Value<'_>) -> Py<pyo3::types::PyBytes> {
    pyo3::types::PyBytes::new(py, codec::render_compact(plan, value).as_bytes()).unbind()
}

impl PyCodecPlan {
    /// `extract`'s loop over `(start, end, bytes, hollow, span)` items in position order
    /// (code points of `whole`, with their byte offsets when the scan gave them); `span_of`
    /// makes the `Span` reported with a failure.
    pub(crate) fn extract_items<'py, S>(
        &self,
        py: Python<'py>,
        whole: &str,
        items: impl IntoIterator<Item = PyResult<ExtractItem<S>>>,
        span_of: impl Fn(S) -> PyResult<Bound<'py, PyAny>>,
        validate: &Bound<'py, PyAny>,
        max_depth: usize,
    ) -> PyResult<Extracted<'py>> {
        let max_depth = depth_arg(max_depth)?;
        let bytes = whole.as_bytes();
        // Candidates come in position order, so their starts convert in one forward sweep.
        let mut starts = CharToByte::new(whole);
        let found = PyList::empty(py);
        let failed = PyList::empty(py);
        let mut builder = codec::tree::Builder::default();
        // `validate` is lax, as pydantic-xml validates what it read (`model_validate(...,
        // strict=False)`): the values are text, whatever the model's own strictness. The
        // caller binds `strict=False` where the schema asks for strictness
        // (`rigging._model.extract.lax_validate`), so the common call has no keywords.
        for item in items {
            // The scan's hollow verdict (blank inside) is not used: the codec's is finer (a
            // self-closing `<call tool="search"/>` is blank inside and filled).
            let (start, end, known, _hollow, span) = item?;
            let (from, to) = if let Some(known) = known {
                known
            } else {
                let outside =
                    || PyValueError::new_err(format!("span {start}:{end} is outside the text"));
                let chars = end.saturating_sub(start);
                let from = starts.byte_at(start).ok_or_else(outside)?;
                let to = from + skip_chars(&bytes[from..], chars);
                // `skip_chars` stops at the end of the text when it holds fewer characters.
                if to == bytes.len() && char_count(&bytes[from..]) != chars {
                    return Err(outside());
                }
                (from, to)
            };
            let mut blank = false;
            let mut held_all = false;
            let outcome =
                match codec::parse_with(&mut builder, &self.plan, &whole[from..to], max_depth) {
                    Ok(value) => {
                        blank = value.is_blank();
                        held_all = builder.held_all();
                        validate
                            .call1((to_py(py, self, 0, &value)?,))
                            .map_err(|err| (err, false))
                    }
                    Err(err) => Err((PyErr::from(err), true)),
                };
            match outcome {
                Ok(model) => found
                    .append(PyFound::at(model.unbind(), start, end, blank).holding_all(held_all))?,
                // Only value errors are an element's failure; anything else is the caller's.
                Err((err, unreadable)) if err.is_instance_of::<PyValueError>(py) => {
                    failed.append((span_of(span)?, err.into_value(py), unreadable))?;
                }
                Err((err, _)) => return Err(err),
            }
        }
        Ok((found, failed))
    }

    /// `render_model` for the other bindings (no Python call).
    pub(crate) fn render_instance(&self, instance: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        if let Some(written) = self.write_instance(Style::Pretty, instance)? {
            return Ok(Some(written));
        }
        Ok(from_model(self, 0, instance, 0)?.map(|value| codec::render(&self.plan, &value)))
    }

    /// [`write_model`] of an instance of the root model, for a flat plan (`None` otherwise,
    /// or when `write_model` cannot write it).
    fn write_instance(
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

/// Models nested deeper than this are not read from the instance: the caller encodes them
/// with `to_jsonable_python`, which refuses 255 nested models as pydantic-xml's path does,
/// so both paths fail alike there (and no walk nears [`DEPTH_LIMIT`]).
const INSTANCE_DEPTH: usize = 200;

/// A `max_depth` argument, refused past [`DEPTH_LIMIT`] (the walks recurse).
fn depth_arg(max_depth: usize) -> PyResult<usize> {
    if max_depth > DEPTH_LIMIT {
        return Err(PyValueError::new_err(format!(
            "max_depth {max_depth} is above the limit of {DEPTH_LIMIT}"
        )));
    }
    Ok(max_depth)
}

/// One element for [`PyCodecPlan::extract_items`]: its code-point range, its byte range
/// when known, whether the scan found it hollow, and what reports its failure.
pub(crate) type ExtractItem<S> = (usize, usize, Option<(usize, usize)>, bool, S);

/// One `extract_all` entry: a tag's plan and validator, or nothing (candidates wanted).
type Entry<'py> = Option<(Bound<'py, PyCodecPlan>, Bound<'py, PyAny>)>;

/// Scan `text` once for `tags` and, per tag, parse and validate its candidates with its
/// entry's plan (documented in `_native.pyi`); `None` when `text` holds lone surrogates.
#[pyfunction]
#[pyo3(signature = (text, tags, entries, max_depth = MAX_DEPTH))]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
fn extract_all<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
    tags: &Bound<'py, PyTags>,
    entries: Vec<Entry<'py>>,
    max_depth: usize,
) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
    let Ok(whole) = text.to_str() else {
        return Ok(None);
    };
    let tags = tags.get();
    if entries.len() != tags.name_strs().len() {
        return Err(PyValueError::new_err(format!(
            "expected {} entries, one per tag",
            tags.name_strs().len()
        )));
    }
    let names = tags.name_strs();
    let found = find_candidates(py, whole, tags.set());
    let mut out = Vec::with_capacity(entries.len());
    for (entry, candidates) in entries.iter().zip(found) {
        let span_of =
            |span: crate::scan::Span| Ok(Bound::new(py, py_span(py, names, &span))?.into_any());
        let Some((plan, validate)) = entry else {
            let spans = candidates
                .iter()
                .map(|c| Ok((span_of(c.span)?, c.hollow)))
                .collect::<PyResult<Vec<_>>>()?;
            out.push(PyList::new(py, spans)?.into_any());
            continue;
        };
        let count = candidates.len();
        let items = candidates
            .into_iter()
            .map(|c| Ok((c.span.start, c.span.end, Some(c.bytes), c.hollow, c.span)));
        match plan
            .get()
            .extract_items(py, whole, items, span_of, validate, max_depth)
        {
            Ok((models, failed)) => out.push((models, failed, count).into_pyobject(py)?.into_any()),
            // Not an element's failure: the caller raises it when it reaches this tag, after
            // whatever the tags before it raise (the order of one extraction per tag). Only
            // an `Exception`: an interrupt or an exit (`BaseException`) goes up at once.
            Err(err) if err.is_instance_of::<PyException>(py) => {
                out.push(err.into_value(py).into_bound(py).into_any());
                break;
            }
            Err(err) => return Err(err),
        }
    }
    Ok(Some(out))
}

/// Whether elements inside the element `text` nest deeper than `max_depth` (documented in
/// `_native.pyi`).
#[pyfunction]
#[pyo3(signature = (text, max_depth = MAX_DEPTH))]
fn nests_deeper(text: &str, max_depth: usize) -> PyResult<bool> {
    Ok(codec::nests_deeper(text, depth_arg(max_depth)?))
}

/// Whether a line of `text` starts with a space or a tab (documented in `_native.pyi`).
#[pyfunction]
fn has_indented_line(text: &str) -> bool {
    codec::has_indented_line(text)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCodecPlan>()?;
    m.add_function(wrap_pyfunction!(has_indented_line, m)?)?;
    m.add_function(wrap_pyfunction!(nests_deeper, m)?)?;
    m.add_function(wrap_pyfunction!(extract_all, m)?)?;
    m.add("CODEC_MAX_DEPTH", MAX_DEPTH)?;
    Ok(())
}
