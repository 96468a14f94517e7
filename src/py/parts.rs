//! `place_parts`: the span work of `Message` parsing (`rigging._message.parts.add_parts`) in
//! one call: the nesting check of [`crate::parts`], the pretty XML of each new standalone
//! part not crossed by another element ([`crate::crossed`]), one splice planned by
//! [`crate::strip`] and the final order.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySlice, PyString, PyTuple, PyType};

use super::codec::PyCodecPlan;
use super::found::PyFound;
use super::scan::{find_candidates, py_span, PyTags};
use crate::codec::MAX_DEPTH;

use super::ints::offsets;
use super::strip::assemble;
use super::text::text_of;
use crate::crossed;
use crate::parts;
use crate::strip;

/// The new content (None when unchanged) and the parts (None when no part is new).
type Placed<'py> = (Option<Bound<'py, PyString>>, Option<Bound<'py, PyList>>);

/// The pretty XML of `model`: from `plan` (its class's, when its `to_pretty_xml()` is the
/// plan's rendering) when the plan can render it, else its `to_pretty_xml()`.
fn pretty_of<'py>(
    model: &Bound<'py, PyAny>,
    plan: Option<&Bound<'py, PyCodecPlan>>,
) -> PyResult<Bound<'py, PyString>> {
    let py = model.py();
    if let Some(plan) = plan {
        // An error here (a value with lone surrogates) is left to `to_pretty_xml`.
        if let Ok(Some(xml)) = plan.get().render_instance(model) {
            return Ok(PyString::new(py, &xml));
        }
    }
    model
        .call_method0(intern!(py, "to_pretty_xml"))?
        .cast_into::<PyString>()
        .map_err(|_| PyTypeError::new_err("to_pretty_xml() must return a str"))
}

/// `plan_of(cls)` asked once per class (by identity) of one call: the classes of one call
/// are few (those asked for), so a list is searched.
struct Plans<'py> {
    plan_of: Option<Bound<'py, PyAny>>,
    known: Vec<(usize, Option<Bound<'py, PyCodecPlan>>)>,
    /// Per class: whether its `_rg_content_xml` may change the text (asked once).
    hooks: Vec<(usize, bool)>,
}

impl<'py> Plans<'py> {
    /// Whether `model`'s class says its element's text may differ from `to_pretty_xml()`
    /// (`Model._rg_content_xml_applies`: simple models); false without the method.
    fn rewrites(&mut self, model: &Bound<'py, PyAny>) -> PyResult<bool> {
        let cls = model.get_type();
        let key = cls.as_ptr() as usize;
        if let Some((_, known)) = self.hooks.iter().find(|(k, _)| *k == key) {
            return Ok(*known);
        }
        let py = model.py();
        let applies = cls.hasattr(intern!(py, "_rg_content_xml_applies"))?
            && cls
                .call_method0(intern!(py, "_rg_content_xml_applies"))?
                .is_truthy()?;
        self.hooks.push((key, applies));
        Ok(applies)
    }

    fn of(&mut self, model: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyCodecPlan>>> {
        let Some(plan_of) = &self.plan_of else {
            return Ok(None);
        };
        let cls = model.get_type();
        let key = cls.as_ptr() as usize;
        if let Some((_, known)) = self.known.iter().find(|(k, _)| *k == key) {
            return Ok(known.clone());
        }
        let found = plan_of.call1((cls,))?;
        let plan = if found.is_none() {
            None
        } else {
            Some(found.cast_into::<PyCodecPlan>()?)
        };
        self.known.push((key, plan.clone()));
        Ok(plan)
    }
}

/// How `place_parts` builds each part from its model and slice.
enum Maker<'py> {
    /// `make(model, slice)`.
    Call(Bound<'py, PyAny>),
    /// `(cls, model_name, slice_name, fields_set)`: a pydantic model built as
    /// `rigging._model.fast.construct` builds one, without a Python call: `object.__new__`,
    /// then its `__dict__` of the two fields, the shared fields set, no extra, no private.
    /// The three slots are written through their descriptors' `__set__` (found once).
    Construct {
        cls: Bound<'py, PyAny>,
        model_name: Bound<'py, PyString>,
        slice_name: Bound<'py, PyString>,
        fields_set: Bound<'py, PyAny>,
        new: Bound<'py, PyAny>,
        slots: [Bound<'py, PyAny>; 3],
    },
}

/// The `__set__` of the descriptor of attribute `name` of `cls` (held by the first class of
/// its MRO that defines the name): writes the slot as `object.__setattr__` would, without
/// looking the name up each time.
fn slot_setter<'py>(cls: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    for klass in cls.getattr(intern!(py, "__mro__"))?.try_iter()? {
        let own = klass?.getattr(intern!(py, "__dict__"))?;
        if let Ok(descriptor) = own.get_item(name) {
            return descriptor.getattr(intern!(py, "__set__"));
        }
    }
    Err(PyTypeError::new_err(format!(
        "{} has no {name} slot",
        cls.repr()?
    )))
}

impl<'py> Maker<'py> {
    fn of(make: &Bound<'py, PyAny>) -> PyResult<Self> {
        let Ok(spec) = make.cast::<PyTuple>() else {
            return Ok(Self::Call(make.clone()));
        };
        let (cls, model_name, slice_name, fields_set): (Bound<'py, PyType>, _, _, _) =
            spec.extract()?;
        let cls = cls.into_any();
        let object = make.py().get_type::<PyAny>();
        let slots = [
            slot_setter(&cls, "__pydantic_fields_set__")?,
            slot_setter(&cls, "__pydantic_extra__")?,
            slot_setter(&cls, "__pydantic_private__")?,
        ];
        Ok(Self::Construct {
            cls,
            model_name,
            slice_name,
            fields_set,
            new: object.getattr(intern!(make.py(), "__new__"))?,
            slots,
        })
    }

    fn part(
        &self,
        model: &Bound<'py, PyAny>,
        slice: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Self::Call(make) => make.call1((model, slice)),
            Self::Construct {
                cls,
                model_name,
                slice_name,
                fields_set,
                new,
                slots: [set_fields, set_extra, set_private],
            } => {
                let py = model.py();
                let part = new.call1((cls,))?;
                // The instance's own (new, empty) `__dict__`, filled in place: no Python call.
                let values = part
                    .getattr(intern!(py, "__dict__"))?
                    .cast_into::<PyDict>()?;
                values.set_item(model_name, model)?;
                values.set_item(slice_name, slice)?;
                set_fields.call1((&part, fields_set))?;
                set_extra.call1((&part, py.None()))?;
                set_private.call1((&part, py.None()))?;
                Ok(part)
            }
        }
    }
}

/// A part maker built once from `(cls, model_name, slice_name, fields_set)` (documented in
/// `_native.pyi`): each call builds one part as `place_parts` does, without finding the
/// class's slots again.
#[pyclass(name = "PartMaker", module = "rigging._native", frozen)]
struct PyPartMaker {
    cls: Py<PyAny>,
    model_name: Py<PyString>,
    slice_name: Py<PyString>,
    fields_set: Py<PyAny>,
    new: Py<PyAny>,
    slots: [Py<PyAny>; 3],
}

#[pymethods]
impl PyPartMaker {
    #[new]
    fn new(spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        match Maker::of(spec)? {
            Maker::Construct {
                cls,
                model_name,
                slice_name,
                fields_set,
                new,
                slots,
            } => Ok(Self {
                cls: cls.unbind(),
                model_name: model_name.unbind(),
                slice_name: slice_name.unbind(),
                fields_set: fields_set.unbind(),
                new: new.unbind(),
                slots: slots.map(Bound::unbind),
            }),
            Maker::Call(_) => Err(PyTypeError::new_err(
                "PartMaker takes (cls, model_name, slice_name, fields_set)",
            )),
        }
    }

    /// The part of `model` at code points `start..end`.
    fn __call__<'py>(
        &self,
        model: &Bound<'py, PyAny>,
        start: isize,
        end: isize,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.build(model, start, end)
    }
}

impl PyPartMaker {
    /// The part of `model` at code points `start..end` (see `__call__`).
    fn build<'py>(
        &self,
        model: &Bound<'py, PyAny>,
        start: isize,
        end: isize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = model.py();
        let maker = Maker::Construct {
            cls: self.cls.bind(py).clone(),
            model_name: self.model_name.bind(py).clone(),
            slice_name: self.slice_name.bind(py).clone(),
            fields_set: self.fields_set.bind(py).clone(),
            new: self.new.bind(py).clone(),
            slots: [
                self.slots[0].bind(py).clone(),
                self.slots[1].bind(py).clone(),
                self.slots[2].bind(py).clone(),
            ],
        };
        // `slice(start, end)`, step None, as `place_parts` makes them.
        maker.part(model, py.get_type::<PySlice>().call1((start, end))?)
    }
}

/// Lay out the parts of a message after new models were parsed from it.
///
/// `models[i]` is the model of the recorded part at `spans[i]`; `found` holds the new
/// results (`Found`), and one whose range and model class a part before it has is left out.
/// With `text` (string content), each new standalone part whose text is not already its
/// model's `to_pretty_xml()` gets that text, unless another element of `text` crosses it
/// ([`keep_crossed`]); `plan_of(cls)` gives the plan whose rendering
/// is `cls.to_pretty_xml()` (read without a Python call), or None. Returns the new content
/// (None when unchanged) and a part per model (see [`Maker`]), sorted by start;
/// `(None, None)` when no part is new.
#[pyfunction]
#[pyo3(signature = (text, models, spans, found, make, plan_of = None))]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts the sequence into an owned Vec
fn place_parts<'py>(
    py: Python<'py>,
    text: Option<Bound<'py, PyString>>,
    models: &Bound<'py, PyList>,
    mut spans: Vec<(i64, i64)>,
    found: &Bound<'py, PyList>,
    make: &Bound<'py, PyAny>,
    plan_of: Option<Bound<'py, PyAny>>,
) -> PyResult<Placed<'py>> {
    if models.len() != spans.len() {
        return Err(PyValueError::new_err(format!(
            "{} models for {} spans",
            models.len(),
            spans.len()
        )));
    }
    let maker = Maker::of(make)?;
    let first_new = models.len();
    let mut all: Vec<Bound<'py, PyAny>> = models.iter().collect();
    // Per part: whether the codec found every tag of its element paired inside it.
    let mut held_all = vec![false; first_new];
    for item in found.iter() {
        let item = item.cast_into::<PyFound>()?;
        let (model, (start, end)) = item.get().parts();
        held_all.push(item.get().held_all());
        all.push(model.bind(py).clone());
        // Past `i64::MAX` is out of any text: `offsets` refuses it by name.
        let wide = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        spans.push((wide(start), wide(end)));
    }
    let len = match &text {
        Some(text) => text.len()?,
        None => usize::MAX,
    };
    let given = offsets(len, "span", spans)?;
    // A model's class by identity (the models keep their classes alive during the call).
    let keys: Vec<_> = given
        .iter()
        .zip(&all)
        .map(|(&(start, end), model)| (start, end, model.get_type().as_ptr() as usize))
        .collect();
    let keep = parts::new_once(&keys, first_new);
    if keep.len() <= first_new {
        return Ok((None, None));
    }
    let spans: Vec<(usize, usize)> = keep.iter().map(|&i| given[i]).collect();
    let models: Vec<Bound<'py, PyAny>> = keep.iter().map(|&i| all[i].clone()).collect();
    let mut plans = Plans {
        plan_of,
        known: Vec::new(),
        hooks: Vec::new(),
    };
    let alone = parts::standalone(&spans)?;
    let mut new_text = None;
    let mut placed = spans.clone();
    if let Some(text) = &text {
        strip::plan_splice(len, &[], &spans)?; // every span within the text
        let mut pretty = Vec::new();
        let mut edits = Vec::new();
        let mut clean = Vec::new();
        for index in first_new..spans.len() {
            if !alone[index] {
                continue;
            }
            let (start, end) = spans[index];
            let plan = plans.of(&models[index])?;
            let mut xml = pretty_of(&models[index], plan.as_ref())?;
            let mut xml_len = xml.len()?;
            if xml_len == end - start
                && text
                    .call_method1(intern!(py, "startswith"), (&xml, start))?
                    .is_truthy()?
            {
                continue;
            }
            if plan.is_none() && plans.rewrites(&models[index])? {
                // `to_pretty_xml()` of a simple model may hold markup the element did not:
                // the model says what the content takes (`Model._rg_content_xml`).
                let slice = PySlice::new(py, self::index(start)?, self::index(end)?, 1);
                let element = text.get_item(slice)?;
                xml = models[index]
                    .call_method1(intern!(py, "_rg_content_xml"), (&xml, element))?
                    .cast_into::<PyString>()
                    .map_err(|_| PyTypeError::new_err("_rg_content_xml() must return a str"))?;
                xml_len = xml.len()?;
            }
            edits.push((start, end, xml_len));
            pretty.push(xml);
            clean.push(held_all[keep[index]]);
        }
        keep_crossed(text, len, &mut edits, &mut pretty, &clean)?;
        if !edits.is_empty() {
            let plan = strip::plan_splice(len, &edits, &spans)?;
            new_text = Some(assemble(text, len, &plan, |i| pretty[i].clone())?);
            for (to, mapped) in placed.iter_mut().zip(&plan.spans) {
                *to = mapped.ok_or_else(|| {
                    PyRuntimeError::new_err("splice lost a part while normalising")
                })?;
            }
        }
    }
    let mut order: Vec<usize> = (0..placed.len()).collect();
    order.sort_by_key(|&i| placed[i].0);
    let slice = py.get_type::<PySlice>();
    let out = PyList::empty(py);
    for index in order {
        let (start, end) = placed[index];
        out.append(maker.part(&models[index], slice.call1((start, end))?)?)?;
    }
    Ok((new_text, Some(out)))
}

/// Leave out of `edits` (with their `pretty` text) those whose element another element of
/// `text` (`len` code points) crosses: rewriting it would delete or escape that element's
/// tag held in it (see [`crate::crossed`]). Its part keeps the element as written. An edit
/// whose `clean` flag is set (the codec found every tag of its element paired inside it)
/// cannot be crossed and is not looked at.
#[inline(never)] // (as `crossed::crossed`)
fn keep_crossed<T>(
    text: &Bound<'_, PyString>,
    len: usize,
    edits: &mut Vec<(usize, usize, usize)>,
    pretty: &mut Vec<T>,
    clean: &[bool],
) -> PyResult<()> {
    let doubtful: Vec<usize> = (0..edits.len()).filter(|&i| !clean[i]).collect();
    if doubtful.is_empty() {
        return Ok(());
    }
    let whole = text_of(text)?;
    let spans: Vec<(usize, usize)> = doubtful.iter().map(|&i| (edits[i].0, edits[i].1)).collect();
    let crossed = crossed::crossed(&whole, whole.len() == len, &spans);
    if !crossed.contains(&true) {
        return Ok(());
    }
    let mut keep = vec![true; edits.len()];
    for (&i, &c) in doubtful.iter().zip(&crossed) {
        keep[i] = !c;
    }
    let mut kept = keep.iter();
    edits.retain(|_| kept.next().copied().unwrap_or(true));
    let mut kept = keep.iter();
    pretty.retain(|_| kept.next().copied().unwrap_or(true));
    Ok(())
}

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

/// Parse the one element of `tags`' single tag in `text` and record it as the message's
/// only part, in one call (documented in `_native.pyi`): `(part, new_text)` (None when the
/// element is already its pretty XML), the `extract_all` answer of the tag when there is
/// not exactly one candidate or it failed, or None when `text` holds lone surrogates.
#[pyfunction]
#[pyo3(signature = (text, tags, plan, validate, renders, make, max_depth = MAX_DEPTH))]
#[allow(clippy::too_many_arguments)] // one call replaces five: it takes what they took
fn parse_alone<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
    tags: &Bound<'py, PyTags>,
    plan: &Bound<'py, PyCodecPlan>,
    validate: &Bound<'py, PyAny>,
    renders: bool,
    make: &Bound<'py, PyPartMaker>,
    max_depth: usize,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let Ok(whole) = text.to_str() else {
        return Ok(None);
    };
    let tag_set = tags.get();
    let names = tag_set.name_strs();
    if names.len() != 1 {
        return Err(PyValueError::new_err(
            "parse_alone takes the tags of one class",
        ));
    }
    let candidates = find_candidates(py, whole, tag_set.set())
        .into_iter()
        .next()
        .unwrap_or_default();
    let count = candidates.len();
    let element_bytes = candidates.first().map(|c| c.bytes);
    let span_of =
        |span: crate::scan::Span| Ok(Bound::new(py, py_span(py, names, &span))?.into_any());
    let items = candidates
        .into_iter()
        .map(|c| Ok((c.span.start, c.span.end, Some(c.bytes), c.hollow, c.span)));
    let (found, failed) = plan
        .get()
        .extract_items(py, whole, items, span_of, validate, max_depth)?;
    if count != 1 || found.len() != 1 {
        return Ok(Some((found, failed, count).into_pyobject(py)?));
    }
    let item = found.get_item(0)?.cast_into::<PyFound>()?;
    let (model, (start, end)) = item.get().parts();
    let model = model.bind(py);
    // The plan's rendering, compared with the element's bytes without a Python string; an
    // error (a value with lone surrogates) is left to `to_pretty_xml`, as in `pretty_of`.
    let rendered = if renders {
        plan.get().render_instance(model).ok().flatten()
    } else {
        None
    };
    let unchanged = || -> PyResult<Option<Bound<'py, PyTuple>>> {
        let part = make.get().build(model, index(start)?, index(end)?)?;
        Ok(Some((part, py.None()).into_pyobject(py)?))
    };
    let pretty = if let Some(xml) = rendered {
        // The one candidate's bytes (`count == 1`): the element the model was read from.
        if let Some((from, to)) = element_bytes {
            if whole.as_bytes().get(from..to) == Some(xml.as_bytes()) {
                return unchanged();
            }
        }
        PyString::new(py, &xml)
    } else {
        let pretty = pretty_of(model, None)?;
        if pretty.len()? == end - start
            && text
                .call_method1(intern!(py, "startswith"), (&pretty, start))?
                .is_truthy()?
        {
            return unchanged();
        }
        pretty
    };
    let len = text.len()?;
    // Another element crossing this one keeps its tags: the element stays as written. The
    // codec saw whether every tag in it pairs inside it (the common case: nothing to check).
    let crossed = !item.get().held_all()
        && match element_bytes {
            Some(bytes) => crossed::crossed_at(whole, (start, end), bytes),
            None => crossed::crossed(whole, whole.len() == len, &[(start, end)])[0],
        };
    if crossed {
        return unchanged();
    }
    let pretty_len = pretty.len()?;
    let pieces = PyList::new(
        py,
        [
            text.get_item(PySlice::new(py, 0, index(start)?, 1))?,
            pretty.into_any(),
            text.get_item(PySlice::new(py, index(end)?, index(len)?, 1))?,
        ],
    )?;
    let new_text = PyString::new(py, "").call_method1(intern!(py, "join"), (pieces,))?;
    let part = make
        .get()
        .build(model, index(start)?, index(start + pretty_len)?)?;
    Ok(Some((part, new_text).into_pyobject(py)?))
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
    m.add_function(wrap_pyfunction!(place_parts, m)?)?;
    m.add_function(wrap_pyfunction!(parse_alone, m)?)?;
    m.add_class::<PyPartMaker>()?;
    Ok(())
}
