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
