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
    spans: Vec<(i64, i64)>,
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
    let gathered = Gathered::of(models, spans, found)?;
    let len = match &text {
        Some(text) => text.len()?,
        None => usize::MAX,
    };
    let Some(kept) = gathered.keep_new(len, first_new)? else {
        return Ok((None, None));
    };
    let alone = parts::standalone(&kept.spans)?;
    let mut placed = kept.spans.clone();
    let new_text = match &text {
        Some(text) => kept.normalise(text, len, &alone, plan_of, &mut placed)?,
        None => None,
    };
    Ok((
        new_text,
        Some(sorted_parts(py, &maker, &kept.models, &placed)?),
    ))
}

/// The recorded parts followed by the new results, before any is left out.
struct Gathered<'py> {
    models: Vec<Bound<'py, PyAny>>,
    spans: Vec<(i64, i64)>,
    /// Per part: whether the codec found every tag of its element paired inside it (never
    /// asked of a recorded part).
    held_all: Vec<bool>,
}

impl<'py> Gathered<'py> {
    /// The recorded `models` at `spans`, then the model and range of each result of `found`.
    fn of(
        models: &Bound<'py, PyList>,
        mut spans: Vec<(i64, i64)>,
        found: &Bound<'py, PyList>,
    ) -> PyResult<Self> {
        let py = found.py();
        let mut all: Vec<Bound<'py, PyAny>> = models.iter().collect();
        let mut held_all = vec![false; all.len()];
        for item in found.iter() {
            let item = item.cast_into::<PyFound>()?;
            let (model, (start, end)) = item.get().parts();
            held_all.push(item.get().held_all());
            all.push(model.bind(py).clone());
            // Past `i64::MAX` is out of any text: `offsets` refuses it by name.
            let wide = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            spans.push((wide(start), wide(end)));
        }
        Ok(Self {
            models: all,
            spans,
            held_all,
        })
    }

    /// The parts kept once each (the first `first_new` recorded ones, then each new result
    /// whose range and model class no part before it has), their spans checked against a
    /// text of `len` code points; `None` when no new result is kept.
    fn keep_new(self, len: usize, first_new: usize) -> PyResult<Option<Kept<'py>>> {
        let given = offsets(len, "span", self.spans)?;
        // A model's class by identity (the models keep their classes alive during the call).
        let keys: Vec<_> = given
            .iter()
            .zip(&self.models)
            .map(|(&(start, end), model)| (start, end, model.get_type().as_ptr() as usize))
            .collect();
        let keep = parts::new_once(&keys, first_new);
        if keep.len() <= first_new {
            return Ok(None);
        }
        Ok(Some(Kept {
            spans: keep.iter().map(|&i| given[i]).collect(),
            models: keep.iter().map(|&i| self.models[i].clone()).collect(),
            held_all: keep.iter().map(|&i| self.held_all[i]).collect(),
            first_new,
        }))
    }
}

/// The parts `place_parts` lays out: the recorded ones, then the new ones from `first_new`.
struct Kept<'py> {
    models: Vec<Bound<'py, PyAny>>,
    spans: Vec<(usize, usize)>,
    /// Per part: as [`Gathered::held_all`].
    held_all: Vec<bool>,
    first_new: usize,
}

impl<'py> Kept<'py> {
    /// Give each new standalone part (`alone`) its pretty XML in `text` (`len` code points)
    /// where it is not already that and no other element crosses it, in one splice: the
    /// new content, with `placed` moved to where each part is in it; `None` (and `placed`
    /// as it was) when nothing changes.
    fn normalise(
        &self,
        text: &Bound<'py, PyString>,
        len: usize,
        alone: &[bool],
        plan_of: Option<Bound<'py, PyAny>>,
        placed: &mut [(usize, usize)],
    ) -> PyResult<Option<Bound<'py, PyString>>> {
        strip::plan_splice(len, &[], &self.spans)?; // every span within the text
        let mut plans = Plans::new(plan_of);
        let mut pretty = Vec::new();
        let mut edits = Vec::new();
        let mut clean = Vec::new();
        for (index, &(start, end)) in self.spans.iter().enumerate().skip(self.first_new) {
            if !alone[index] {
                continue;
            }
            let Some((xml, xml_len)) = new_xml(text, &self.models[index], start, end, &mut plans)?
            else {
                continue;
            };
            edits.push((start, end, xml_len));
            pretty.push(xml);
            clean.push(self.held_all[index]);
        }
        keep_crossed(text, len, &mut edits, &mut pretty, &clean)?;
        if edits.is_empty() {
            return Ok(None);
        }
        let plan = strip::plan_splice(len, &edits, &self.spans)?;
        let new_text = assemble(text, len, &plan, |i| pretty[i].clone())?;
        for (to, mapped) in placed.iter_mut().zip(&plan.spans) {
            *to = mapped
                .ok_or_else(|| PyRuntimeError::new_err("splice lost a part while normalising"))?;
        }
        Ok(Some(new_text))
    }
}

/// The pretty XML (and its length) that replaces `model`'s element at `start..end` of
/// `text`, or `None` when the element is already written so.
fn new_xml<'py>(
    text: &Bound<'py, PyString>,
    model: &Bound<'py, PyAny>,
    start: usize,
    end: usize,
    plans: &mut Plans<'py>,
) -> PyResult<Option<(Bound<'py, PyString>, usize)>> {
    let py = text.py();
    let plan = plans.of(model)?;
    let xml = pretty_of(model, plan.as_ref())?;
    let xml_len = xml.len()?;
    if xml_len == end - start
        && text
            .call_method1(intern!(py, "startswith"), (&xml, start))?
            .is_truthy()?
    {
        return Ok(None);
    }
    if plan.is_none() && plans.rewrites(model)? {
        // `to_pretty_xml()` of a simple model may hold markup the element did not: the model
        // says what the content takes (`Model._rg_content_xml`).
        let slice = PySlice::new(py, super::index(start)?, super::index(end)?, 1);
        let element = text.get_item(slice)?;
        let xml = model
            .call_method1(intern!(py, "_rg_content_xml"), (&xml, element))?
            .cast_into::<PyString>()
            .map_err(|_| PyTypeError::new_err("_rg_content_xml() must return a str"))?;
        let xml_len = xml.len()?;
        return Ok(Some((xml, xml_len)));
    }
    Ok(Some((xml, xml_len)))
}

/// A part per model (see [`Maker`]) at its `placed` span, sorted by start.
fn sorted_parts<'py>(
    py: Python<'py>,
    maker: &Maker<'py>,
    models: &[Bound<'py, PyAny>],
    placed: &[(usize, usize)],
) -> PyResult<Bound<'py, PyList>> {
    let mut order: Vec<usize> = (0..placed.len()).collect();
    order.sort_by_key(|&i| placed[i].0);
    let slice = py.get_type::<PySlice>();
    let out = PyList::empty(py);
    for index in order {
        let (start, end) = placed[index];
        out.append(maker.part(&models[index], slice.call1((start, end))?)?)?;
    }
    Ok(out)
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
