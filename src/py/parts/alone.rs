//! `parse_alone`: a message whose content is one element of one class, parsed and recorded
//! as its only part in one call.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PySlice, PyString, PyTuple};

use super::index;
use super::maker::PyPartMaker;
use super::pretty::pretty_of;
use crate::codec::MAX_DEPTH;
use crate::crossed;
use crate::py::codec::PyCodecPlan;
use crate::py::found::PyFound;
use crate::py::scan::{find_candidates, py_span, PyTags};
use crate::scan::Candidate;

/// Parse the one element of `tags`' single tag in `text` and record it as the message's
/// only part, in one call (documented in `_native.pyi`): `(part, new_text)` (None when the
/// element is already its pretty XML), the `extract_all` answer of the tag when there is
/// not exactly one candidate or it failed, or None when `text` holds lone surrogates.
#[pyfunction]
#[pyo3(signature = (text, tags, plan, validate, renders, make, max_depth = MAX_DEPTH))]
#[allow(clippy::too_many_arguments)] // one call replaces five: it takes what they took
pub(super) fn parse_alone<'py>(
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
    let names = tags.get().name_strs();
    if names.len() != 1 {
        return Err(PyValueError::new_err(
            "parse_alone takes the tags of one class",
        ));
    }
    let candidates = find_candidates(py, whole, tags.get().set())
        .into_iter()
        .next()
        .unwrap_or_default();
    let count = candidates.len();
    let element_bytes = candidates.first().map(|c| c.bytes);
    let (found, failed) = extract(plan.get(), whole, names, candidates, validate, max_depth)?;
    if count != 1 || found.len() != 1 {
        return Ok(Some((found, failed, count).into_pyobject(py)?));
    }
    let item = found.get_item(0)?.cast_into::<PyFound>()?;
    let (model, (start, end)) = item.get().parts();
    let element = Element {
        text,
        whole,
        model: model.bind(py),
        start,
        end,
        // The one candidate's bytes (`count == 1`): the element the model was read from.
        bytes: element_bytes,
        make: make.get(),
    };
    let Some(pretty) = element.new_xml(plan.get(), renders)? else {
        return element.unchanged();
    };
    // Another element crossing this one keeps its tags: the element stays as written. The
    // codec saw whether every tag in it pairs inside it (the common case: nothing to check).
    if !item.get().held_all() && element.crossed()? {
        return element.unchanged();
    }
    element.replaced(pretty)
}

/// `plan`'s extraction of the `candidates` of the one tag (`names`) in `whole`.
fn extract<'py>(
    plan: &PyCodecPlan,
    whole: &str,
    names: &[Py<PyString>],
    candidates: Vec<Candidate>,
    validate: &Bound<'py, PyAny>,
    max_depth: usize,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let py = validate.py();
    let span_of =
        |span: crate::scan::Span| Ok(Bound::new(py, py_span(py, names, &span))?.into_any());
    let items = candidates
        .into_iter()
        .map(|c| Ok((c.span.start, c.span.end, Some(c.bytes), c.hollow, c.span)));
    plan.extract_items(py, whole, items, span_of, validate, max_depth)
}

/// The one element `parse_alone` read: its model, and where it is in the text.
struct Element<'a, 'py> {
    text: &'a Bound<'py, PyString>,
    /// `text` as UTF-8.
    whole: &'a str,
    model: &'a Bound<'py, PyAny>,
    /// Its code-point range.
    start: usize,
    end: usize,
    /// Its byte range, when the scan gave it.
    bytes: Option<(usize, usize)>,
    make: &'a PyPartMaker,
}

impl<'py> Element<'_, 'py> {
    /// The element's pretty XML, or `None` when it is already written so.
    fn new_xml(&self, plan: &PyCodecPlan, renders: bool) -> PyResult<Option<Bound<'py, PyString>>> {
        let py = self.text.py();
        // The plan's rendering, compared with the element's bytes without a Python string; an
        // error (a value with lone surrogates) is left to `to_pretty_xml`, as in `pretty_of`.
        let rendered = if renders {
            plan.render_instance(self.model).ok().flatten()
        } else {
            None
        };
        if let Some(xml) = rendered {
            if let Some((from, to)) = self.bytes {
                if self.whole.as_bytes().get(from..to) == Some(xml.as_bytes()) {
                    return Ok(None);
                }
            }
            return Ok(Some(PyString::new(py, &xml)));
        }
        let pretty = pretty_of(self.model, None)?;
        let written = pretty.len()? == self.end - self.start
            && self
                .text
                .call_method1(intern!(py, "startswith"), (&pretty, self.start))?
                .is_truthy()?;
        Ok((!written).then_some(pretty))
    }

    /// Whether another element of the text crosses this one.
    fn crossed(&self) -> PyResult<bool> {
        let range = (self.start, self.end);
        if let Some(bytes) = self.bytes {
            return Ok(crossed::crossed_at(self.whole, range, bytes));
        }
        let ascii = self.whole.len() == self.text.len()?;
        Ok(crossed::crossed(self.whole, ascii, &[range])[0])
    }

    /// `(part, None)`: the element kept as written.
    fn unchanged(&self) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let py = self.text.py();
        let part = self
            .make
            .build(self.model, index(self.start)?, index(self.end)?)?;
        Ok(Some((part, py.None()).into_pyobject(py)?))
    }

    /// `(part, new_text)`: the element replaced by `pretty` in the text.
    fn replaced(&self, pretty: Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let py = self.text.py();
        let len = self.text.len()?;
        let pretty_len = pretty.len()?;
        let pieces = PyList::new(
            py,
            [
                self.text
                    .get_item(PySlice::new(py, 0, index(self.start)?, 1))?,
                pretty.into_any(),
                self.text
                    .get_item(PySlice::new(py, index(self.end)?, index(len)?, 1))?,
            ],
        )?;
        let new_text = PyString::new(py, "").call_method1(intern!(py, "join"), (pieces,))?;
        let part = self.make.build(
            self.model,
            index(self.start)?,
            index(self.start + pretty_len)?,
        )?;
        Ok(Some((part, new_text).into_pyobject(py)?))
    }
}
