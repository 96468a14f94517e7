//! `CodecPlan`'s constructor: the plan description given from Python checked and compiled
//! into a [`Plan`], with each field's keys, declared type and literal table beside it.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyType};

use super::declared::Declared;
use super::to_python::LiteralTable;
use super::PyCodecPlan;
use crate::codec::{Empty, Field, Item, Kind, ModelPlan, Plan};

/// One field as described from Python:
/// `(parse_key, render_key, path, kind, name, model, many)`.
pub(super) type FieldSpec = (String, String, Vec<String>, String, String, i64, bool);

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

/// `CodecPlan`'s ``types`` argument as one [`Declared`] per field (any type when not given).
fn declared_types(
    types: Option<Vec<Vec<String>>>,
    models: &[(String, Vec<FieldSpec>)],
) -> PyResult<Vec<Vec<Declared>>> {
    Ok(match types {
        None => models
            .iter()
            .map(|(_, specs)| vec![Declared::ANY; specs.len()])
            .collect(),
        Some(types) => {
            if !per_field(&types, models) {
                return Err(PyValueError::new_err(
                    "expected types with one list per model and one name per field",
                ));
            }
            types
                .iter()
                .map(|names| names.iter().map(|n| Declared::of(n)).collect())
                .collect::<PyResult<_>>()?
        }
    })
}

/// The plan [`Field`] of one field description, with its [`Empty`] reading.
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

/// Per model, per field: a key of a dict (interned `str`s).
type Keys = Vec<Vec<Py<PyString>>>;

/// Per model, per field: its [`LiteralTable`], when it has one.
type Literals = Vec<Vec<Option<LiteralTable>>>;

/// `CodecPlan`'s ``literals`` argument checked against `models`; `None` when no field has a
/// table (the common case costs one check per element).
fn literal_tables(
    literals: Option<Literals>,
    models: &[(String, Vec<FieldSpec>)],
) -> PyResult<Option<Literals>> {
    if literals
        .as_ref()
        .is_some_and(|tables| !per_field(tables, models))
    {
        return Err(PyValueError::new_err(
            "expected literals with one list per model and one entry per field",
        ));
    }
    Ok(literals.filter(|tables| tables.iter().flatten().any(Option::is_some)))
}

/// The key `key` picks from each field description of `specs`, interned.
fn interned(
    py: Python<'_>,
    specs: &[FieldSpec],
    key: impl Fn(&FieldSpec) -> &str,
) -> Vec<Py<PyString>> {
    specs
        .iter()
        .map(|spec| PyString::intern(py, key(spec)).unbind())
        .collect()
}

/// The [`Plan`] of `models` (each field with its `empty` reading), with the validator's
/// input keys and the encoded dict's keys of each field.
fn compile(
    py: Python<'_>,
    models: Vec<(String, Vec<FieldSpec>)>,
    empty: Vec<Vec<Empty>>,
) -> PyResult<(Plan, Keys, Keys)> {
    let count = models.len();
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
        parse_keys.push(interned(py, &specs, |spec| &spec.0));
        render_keys.push(interned(py, &specs, |spec| &spec.1));
    }
    Ok((Plan::new(plans)?, parse_keys, render_keys))
}

/// Refuse a literal table given where a field is not read as text (a nested model's dict).
fn check_literals(literals: Option<&Literals>, plan: &Plan) -> PyResult<()> {
    let misplaced = literals
        .into_iter()
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
    Ok(())
}

impl PyCodecPlan {
    /// `CodecPlan(models, classes, types, empty, literals)` (documented in `_native.pyi`):
    /// each argument checked against `models`, then the plan compiled.
    pub(super) fn from_specs(
        py: Python<'_>,
        models: Vec<(String, Vec<FieldSpec>)>,
        classes: Option<Vec<Py<PyType>>>,
        types: Option<Vec<Vec<String>>>,
        empty: Option<Vec<Vec<String>>>,
        literals: Option<Literals>,
    ) -> PyResult<Self> {
        let count = models.len();
        if classes.as_ref().is_some_and(|c| c.len() != count) {
            return Err(PyValueError::new_err(format!(
                "expected {count} classes, one per model"
            )));
        }
        let types = declared_types(types, &models)?;
        let empty = empty_readings(empty, &models)?;
        let literals = literal_tables(literals, &models)?;
        let (plan, parse_keys, render_keys) = compile(py, models, empty)?;
        check_literals(literals.as_ref(), &plan)?;
        Ok(Self {
            plan,
            parse_keys,
            render_keys,
            classes,
            types,
            literals,
        })
    }
}
