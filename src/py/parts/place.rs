//! `place_parts`: the span work of `Message` parsing (`rigging._message.parts.add_parts`) in
//! one call: the nesting check of [`crate::parts`], the pretty XML of each new standalone
//! part not crossed by another element ([`crate::crossed`]), one splice planned by
//! [`crate::strip`] and the final order.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PySlice, PyString};

use super::maker::Maker;
use super::pretty::{pretty_of, Plans};
use crate::crossed;
use crate::parts;
use crate::py::found::PyFound;
use crate::py::ints::offsets;
use crate::py::strip::assemble;
use crate::py::text::text_of;
use crate::strip;

/// The new content (None when unchanged) and the parts (None when no part is new).
type Placed<'py> = (Option<Bound<'py, PyString>>, Option<Bound<'py, PyList>>);

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
pub(super) fn place_parts<'py>(
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
    let mut plans = Plans::new(plan_of);
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
                let slice = PySlice::new(py, super::index(start)?, super::index(end)?, 1);
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
