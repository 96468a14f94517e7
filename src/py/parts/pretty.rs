//! The pretty XML of a new part's model: the plan's rendering when its class has a plan,
//! else `to_pretty_xml()`, with the per-class questions asked once per call.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::py::codec::PyCodecPlan;

/// The pretty XML of `model`: from `plan` (its class's, when its `to_pretty_xml()` is the
/// plan's rendering) when the plan can render it, else its `to_pretty_xml()`.
pub(super) fn pretty_of<'py>(
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
pub(super) struct Plans<'py> {
    plan_of: Option<Bound<'py, PyAny>>,
    known: Vec<(usize, Option<Bound<'py, PyCodecPlan>>)>,
    /// Per class: whether its `_rg_content_xml` may change the text (asked once).
    hooks: Vec<(usize, bool)>,
}

impl<'py> Plans<'py> {
    /// No class asked yet; `plan_of` is the caller's lookup (no plans without it).
    pub(super) fn new(plan_of: Option<Bound<'py, PyAny>>) -> Self {
        Self {
            plan_of,
            known: Vec::new(),
            hooks: Vec::new(),
        }
    }

    /// Whether `model`'s class says its element's text may differ from `to_pretty_xml()`
    /// (`Model._rg_content_xml_applies`: simple models); false without the method.
    pub(super) fn rewrites(&mut self, model: &Bound<'py, PyAny>) -> PyResult<bool> {
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

    /// The plan of `model`'s class (`plan_of(cls)`, asked once per class), or `None`.
    pub(super) fn of(
        &mut self,
        model: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyCodecPlan>>> {
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
