//! How a part is built from its model and slice: a Python callable, or a pydantic model
//! constructed in place (`Maker`), and `PartMaker`, that construction kept for many calls.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySlice, PyString, PyTuple, PyType};

/// How `place_parts` builds each part from its model and slice.
pub(super) enum Maker<'py> {
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
    /// The maker `make` describes: a callable, or the `(cls, model_name, slice_name,
    /// fields_set)` of a pydantic model built in place.
    pub(super) fn of(make: &Bound<'py, PyAny>) -> PyResult<Self> {
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

    /// The part of `model` at `slice`.
    pub(super) fn part(
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
pub(super) struct PyPartMaker {
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
    pub(super) fn build<'py>(
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
