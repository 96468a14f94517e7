//! Reading a built [`tree::Tree`] with a [`Plan`]: the field map of a model, each field found
//! where the plan says it lives (kept beside the codec's types to hold `mod.rs` to its size
//! budget).

use std::borrow::Cow;

use super::{tree, Empty, Item, Kind, Plan, Value};

/// The first child of `node` named `name` (wrapper lookup: never consumed).
fn child(tree: &tree::Tree<'_>, node: usize, name: &str) -> Option<usize> {
    tree.children(node).find(|&c| tree.nodes[c].name == name)
}

/// A text of the tree as a value: borrowed from the element when the tree borrows it.
fn text_value<'a>(text: &Cow<'a, str>) -> Value<'a> {
    Value::Str(match text {
        Cow::Borrowed(s) => Cow::Borrowed(s),
        Cow::Owned(s) => Cow::Owned(s.clone()),
    })
}

/// Which children of an element a field has read already (a field reads each child once):
/// bits for up to 64 children, a list past that.
enum Consumed {
    Few(u64),
    Many(Vec<bool>),
}

impl Consumed {
    fn new(children: usize) -> Self {
        if children <= 64 {
            Self::Few(0)
        } else {
            Self::Many(vec![false; children])
        }
    }

    /// Mark child `position` read; false when it was read already.
    fn take(&mut self, position: usize) -> bool {
        match self {
            Self::Few(bits) => {
                let bit = 1u64 << position;
                let fresh = *bits & bit == 0;
                *bits |= bit;
                fresh
            }
            Self::Many(flags) => !std::mem::replace(&mut flags[position], true),
        }
    }
}

/// The fields of model `model` read from the element `node` of `tree`, in field order.
pub(super) fn read_model<'a>(
    plan: &Plan,
    tree: &tree::Tree<'a>,
    model: usize,
    node: usize,
) -> Vec<(usize, Value<'a>)> {
    let mut values = Vec::with_capacity(plan.models[model].fields.len());
    let mut consumed = Consumed::new(tree.nodes[node].child_count as usize);
    let mut text_taken = false;
    for (index, field) in plan.models[model].fields.iter().enumerate() {
        let Some(at) = field
            .path
            .iter()
            .try_fold(node, |at, part| child(tree, at, part))
        else {
            continue;
        };
        let value = match &field.kind {
            Kind::Attr(name) => tree
                .attrs_of(at)
                .iter()
                .find(|(a, _)| a == name)
                .map(|(_, v)| {
                    if v.is_empty() {
                        field.empty.attribute()
                    } else {
                        text_value(v)
                    }
                }),
            Kind::Text => {
                let taken = at == node && std::mem::replace(&mut text_taken, true);
                let text = &tree.nodes[at].text;
                if taken {
                    None
                } else if tree.nodes[at].child_count > 0 && !reads_children(plan, model) {
                    // Child elements no field reads: markup inside the text, kept in it.
                    Some(Value::Str(tree.inner_text(at)))
                } else if text.is_empty() {
                    field.empty.element()
                } else {
                    Some(text_value(text))
                }
            }
            Kind::Element { name, item, many } => {
                let own = (at == node).then_some(&mut consumed);
                read_children(plan, tree, at, own, name, (*item, *many), field.empty)
            }
        };
        if let Some(value) = value {
            values.push((index, value));
        }
    }
    values
}

/// Whether a field of model `model` reads child elements (its text is then the leading text).
fn reads_children(plan: &Plan, model: usize) -> bool {
    plan.models[model]
        .fields
        .iter()
        .any(|field| !field.path.is_empty() || matches!(field.kind, Kind::Element { .. }))
}

fn read_item<'a>(
    plan: &Plan,
    tree: &tree::Tree<'a>,
    node: usize,
    (item, many): (Item, bool),
    empty: Empty,
) -> Option<Value<'a>> {
    match item {
        Item::Model(model) => Some(Value::Map(read_model(plan, tree, model, node))),
        Item::Text => {
            let element = &tree.nodes[node];
            if element.child_count > 0 {
                // Markup inside the text (`<b>` in a title): kept in it. pydantic-xml reads
                // the text before the first child, and normalising dropped the rest.
                Some(Value::Str(tree.inner_text(node)))
            } else if many || !element.text.is_empty() {
                // A list keeps an empty item as "" (pydantic-xml would end the list there).
                Some(text_value(&element.text))
            } else {
                empty.element()
            }
        }
    }
}

fn read_children<'a>(
    plan: &Plan,
    tree: &tree::Tree<'a>,
    node: usize,
    mut consumed: Option<&mut Consumed>,
    name: &str,
    (item, many): (Item, bool),
    empty: Empty,
) -> Option<Value<'a>> {
    let mut items = Vec::new();
    for (position, c) in tree.children(node).enumerate() {
        if tree.nodes[c].name != name {
            continue;
        }
        if let Some(flags) = consumed.as_deref_mut() {
            if !flags.take(position) {
                continue;
            }
        }
        let value = read_item(plan, tree, c, (item, many), empty);
        if !many {
            return value;
        }
        items.extend(value);
    }
    (!items.is_empty()).then_some(Value::List(items))
}
