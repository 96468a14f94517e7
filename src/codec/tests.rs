//! Unit tests of the codec, by topic: tree rules, reading with a plan, rendering, and the
//! text helpers. The plans and values they share are built here.

use super::*;

mod escaping;
mod reading;
mod rendering;
mod tree_rules;

fn s(text: &str) -> Value<'static> {
    Value::Str(text.to_owned().into())
}

fn element(name: &str, item: Item, many: bool) -> Field {
    Field {
        path: vec![],
        kind: Kind::Element {
            name: name.into(),
            item,
            many,
        },
        empty: Empty::PydanticXml,
    }
}

fn attr(name: &str) -> Field {
    Field {
        path: vec![],
        kind: Kind::Attr(name.into()),
        empty: Empty::PydanticXml,
    }
}

/// `finding`: id attr, title element, location model (file, line attrs), tags list.
fn finding() -> Plan {
    Plan::new(vec![
        ModelPlan {
            tag: "finding".into(),
            fields: vec![
                attr("id"),
                element("title", Item::Text, false),
                element("location", Item::Model(1), false),
                element("tag", Item::Text, true),
            ],
        },
        ModelPlan {
            tag: "location".into(),
            fields: vec![attr("file"), attr("line")],
        },
    ])
    .unwrap()
}

fn fields(value: Value) -> Vec<(usize, Value)> {
    match value {
        Value::Map(fields) => fields,
        other => panic!("not a map: {other:?}"),
    }
}
