//! The model codec: read an element into the value a model validator takes, and render a
//! model's encoded value back to XML, both driven by a compiled [`Plan`].
//!
//! A plan lists, per model class, where each field lives: an attribute, the element's text, or
//! child elements (one or many, holding text or a nested model), optionally below a path of
//! wrapper elements. [`parse`] builds a lenient [`tree`] of the element (see its rules) and
//! walks the plan over it, giving a [`Value`] tree of strings, lists and field maps: what
//! pydantic-xml would hand to the validator, except for empty values, which each field reads
//! as its [`Empty`] says (pydantic-xml leaves an empty element out). [`render`] writes the
//! pretty XML that `ElementTree.indent` + `tostring(short_empty_elements=False)` writes for
//! the same model.
//!
//! ```
//! use _native::codec::{parse, Empty, Field, Item, Kind, ModelPlan, Plan, Value};
//!
//! let plan = Plan::new(vec![ModelPlan {
//!     tag: "finding".into(),
//!     fields: vec![
//!         Field { path: vec![], kind: Kind::Attr("id".into()), empty: Empty::Str },
//!         Field {
//!             path: vec![],
//!             kind: Kind::Element { name: "title".into(), item: Item::Text, many: false },
//!             empty: Empty::Str,
//!         },
//!     ],
//! }])?;
//! let value = parse(&plan, r#"<finding id="F1"><title>a < b &amp; c</title></finding>"#, 64)?;
//! let Value::Map(fields) = value else { unreachable!() };
//! assert_eq!(fields, vec![(0, Value::Str("F1".into())), (1, Value::Str("a < b & c".into()))]);
//! // An empty element is a value too: `""` for a field whose empty value is `Empty::Str`.
//! let value = parse(&plan, r#"<finding id="F2"><title></title></finding>"#, 64)?;
//! let Value::Map(fields) = value else { unreachable!() };
//! assert_eq!(fields, vec![(0, Value::Str("F2".into())), (1, Value::Str("".into()))]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod read;
mod render;
pub mod text;
pub mod tree;

use std::borrow::Cow;
use std::fmt;

pub use render::{render, render_compact, Body, Style};
pub use text::{escape_attribute, escape_text, has_indented_line};

/// Elements nested deeper than this inside a parsed element are refused by default.
pub const MAX_DEPTH: usize = 64;

/// The deepest nesting any walk of the codec goes to: a `max_depth` asked for may not pass
/// it, and models nested deeper are not rendered natively (pydantic-core itself refuses to
/// serialize 255 nested models). Every walk over elements and models recurses; this keeps
/// them well inside any thread's stack.
pub const DEPTH_LIMIT: usize = 256;

/// Where one field of a model lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Wrapper elements to descend through first (`wrapped("a/b", ...)`), outermost first.
    pub path: Vec<String>,
    /// What the field reads at the end of the path.
    pub kind: Kind,
    /// What the field reads from an empty value (not used by lists, whose empty items are
    /// always `""`, nor by nested models).
    pub empty: Empty,
}

/// What a field reads from an *empty value*: an attribute written `a=""`, a child element
/// with neither text nor child elements (`<d></d>`, `<d/>`), or an element's empty leading
/// text (a [`Kind::Text`] field; its child elements are other fields).
///
/// The renderer writes both `""` and `None` as an empty value, so the plan says per field
/// which one the field's type takes (`rigging._model.plan` decides from its annotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Empty {
    /// As pydantic-xml reads it: an attribute gives `""`; an element or text gives nothing
    /// (the field is left out of the map, so its default applies).
    #[default]
    PydanticXml,
    /// The text `""` (a string type).
    Str,
    /// [`Value::None`] (a type that takes `None` where `None` renders as this empty value).
    None,
}

impl Empty {
    /// The value of an empty element or text.
    fn element<'a>(self) -> Option<Value<'a>> {
        match self {
            Self::PydanticXml => Option::None,
            Self::Str => Some(Value::Str(Cow::Borrowed(""))),
            Self::None => Some(Value::None),
        }
    }

    /// The value of an empty attribute.
    fn attribute<'a>(self) -> Value<'a> {
        match self {
            Self::PydanticXml | Self::Str => Value::Str(Cow::Borrowed("")),
            Self::None => Value::None,
        }
    }
}

/// The XML entity a field is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An attribute of the element.
    Attr(String),
    /// The element's leading text.
    Text,
    /// Child elements of this name.
    Element {
        /// The child's tag.
        name: String,
        /// What each child holds.
        item: Item,
        /// A list (every child of the name) rather than the first one.
        many: bool,
    },
}

/// What a child element holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// Its text (a primitive value).
    Text,
    /// A nested model: the index of its [`ModelPlan`] in the [`Plan`].
    Model(usize),
}

/// The fields of one model class, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPlan {
    /// The element's tag (used by [`render`]).
    pub tag: String,
    /// The fields.
    pub fields: Vec<Field>,
}

impl ModelPlan {
    fn is_flat(&self) -> bool {
        let mut attrs = std::collections::HashSet::new();
        let mut texts = 0;
        self.fields.iter().all(|field| {
            field.path.is_empty()
                && match &field.kind {
                    Kind::Attr(name) => attrs.insert(name.as_str()),
                    Kind::Text => {
                        texts += 1;
                        texts == 1
                    }
                    Kind::Element { .. } => true,
                }
        })
    }
}

/// The plans of a model class (index 0) and of every model class nested in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    models: Vec<ModelPlan>,
    flat: bool,
}

impl Plan {
    /// A plan from its models; fails when a nested model index points nowhere.
    pub fn new(models: Vec<ModelPlan>) -> Result<Self, CodecError> {
        if models.is_empty() {
            return Err(CodecError::BadPlan(
                "a plan needs at least one model".into(),
            ));
        }
        for model in &models {
            for field in &model.fields {
                if let Kind::Element {
                    item: Item::Model(index),
                    ..
                } = field.kind
                {
                    if index >= models.len() {
                        return Err(CodecError::BadPlan(format!(
                            "nested model index {index} out of range (plan has {})",
                            models.len()
                        )));
                    }
                }
            }
        }
        let flat = models.iter().all(ModelPlan::is_flat);
        Ok(Self { models, flat })
    }

    /// Whether every model's fields sit on its own element (no wrapper path), with distinct
    /// attribute names and at most one text field: such a model's pretty XML can be written
    /// field by field, in declaration order, with [`Style`] and [`Body`].
    pub fn is_flat(&self) -> bool {
        self.flat
    }

    /// The model plans (index 0 is the root model).
    pub fn models(&self) -> &[ModelPlan] {
        &self.models
    }
}

/// A value read from XML for a validator, or handed to [`render`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// No value (renders as empty text or an empty attribute; read from an empty value by a
    /// field whose [`Empty`] is [`Empty::None`]).
    None,
    /// Text (borrowed from the parsed element when it needed no decoding).
    Str(Cow<'a, str>),
    /// A list field's items.
    List(Vec<Value<'a>>),
    /// A model's fields present in the XML: `(field index, value)`, in field order.
    Map(Vec<(usize, Value<'a>)>),
}

impl Value<'_> {
    /// Whether a model's value (the root [`Value::Map`] of [`parse`]) holds nothing but
    /// blanks: every text read is empty or whitespace (to Python's `str.isspace`), and every
    /// nested model read some field, all blank. An element echoed from a format template
    /// (`<user><name></name><email></email></user>`) reads as a blank value: its candidate
    /// is *hollow*, used only when no element with content exists. A nested model that read
    /// no field at all (`<step/>` in `<plan><step/><step/></plan>`) is content: its presence
    /// is the value.
    pub fn is_blank(&self) -> bool {
        match self {
            Self::Map(fields) => fields.iter().all(|(_, value)| value.is_blank_inside()),
            other => other.is_blank_inside(),
        }
    }

    fn is_blank_inside(&self) -> bool {
        match self {
            Self::None => true,
            Self::Str(text) => text.chars().all(crate::scan::is_python_space),
            Self::List(items) => items.iter().all(Value::is_blank_inside),
            Self::Map(fields) => {
                !fields.is_empty() && fields.iter().all(|(_, value)| value.is_blank_inside())
            }
        }
    }
}

/// Why an element could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The text holds a `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT` or `<!ATTLIST` declaration.
    Declaration,
    /// The text does not start with a start tag that is closed.
    NotAnElement,
    /// Elements are nested deeper than the limit.
    TooDeep(usize),
    /// The element's text is 4 GiB or longer (the tree indexes it with 32-bit offsets).
    TooLarge(usize),
    /// The plan is inconsistent (a bug of the caller).
    BadPlan(String),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Declaration => {
                f.write_str("holds a document type or entity declaration, which is never expanded")
            }
            Self::NotAnElement => f.write_str("is not an element with a closed start tag"),
            Self::TooDeep(limit) => write!(f, "nests elements deeper than the limit of {limit}"),
            Self::TooLarge(len) => {
                write!(f, "is {len} bytes long, past the 4 GiB an element may hold")
            }
            Self::BadPlan(why) => write!(f, "invalid codec plan: {why}"),
        }
    }
}

impl std::error::Error for CodecError {}

/// Whether elements inside the element `text` nest deeper than `max_depth`, paired as the
/// codec pairs them. For elements another reader reads (pydantic-xml recurses per level, and
/// a deep enough element ends in Python's `RecursionError`).
pub fn nests_deeper(text: &str, max_depth: usize) -> bool {
    matches!(tree::build(text, max_depth), Err(CodecError::TooDeep(_)))
}

/// Read the element `text` (start tag to end tag) with `plan`: the field map of its root
/// model. Elements may nest at most `max_depth` deep.
pub fn parse<'a>(plan: &Plan, text: &'a str, max_depth: usize) -> Result<Value<'a>, CodecError> {
    parse_with(&mut tree::Builder::default(), plan, text, max_depth)
}

/// [`parse`] with a [`tree::Builder`] kept from one element of a text to the next.
pub fn parse_with<'a>(
    builder: &mut tree::Builder<'a>,
    plan: &Plan,
    text: &'a str,
    max_depth: usize,
) -> Result<Value<'a>, CodecError> {
    let tree = builder.build(text, max_depth)?;
    let value = Value::Map(read::read_model(plan, &tree, 0, 0));
    builder.recycle(tree);
    Ok(value)
}

#[cfg(test)]
mod tests;
