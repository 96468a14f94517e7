//! The codec on arbitrary markup: it never panics, depth stays bounded, text without markup
//! comes back decoded, and rendered values parse back to themselves.

#![allow(clippy::unwrap_used)]

use _native::codec::{
    parse, parse_with, render, tree, CodecError, Empty, Field, Item, Kind, ModelPlan, Plan, Value,
};
use proptest::prelude::*;

fn plan() -> Plan {
    Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![
            Field {
                path: vec![],
                kind: Kind::Attr("a".into()),
                empty: Empty::PydanticXml,
            },
            Field {
                path: vec![],
                kind: Kind::Element {
                    name: "x".into(),
                    item: Item::Text,
                    many: false,
                },
                empty: Empty::PydanticXml,
            },
            Field {
                path: vec![],
                kind: Kind::Element {
                    name: "y".into(),
                    item: Item::Text,
                    many: true,
                },
                empty: Empty::PydanticXml,
            },
        ],
    }])
    .unwrap()
}

/// Markup-heavy text: tag fragments, entities, CDATA pieces and non-ASCII characters.
fn markup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("</".to_owned()),
        Just("/>".to_owned()),
        Just("<x>".to_owned()),
        Just("</x>".to_owned()),
        Just("<y a='1'>".to_owned()),
        Just("</y>".to_owned()),
        Just("&amp;".to_owned()),
        Just("&#x1F600;".to_owned()),
        Just("&".to_owned()),
        Just("<![CDATA[".to_owned()),
        Just("]]>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("=\"".to_owned()),
        "[a-z é東🙂\n]{0,4}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn never_panics(inner in markup(), depth in 1usize..8) {
        let text = format!("<m a=\"v\">{inner}</m>");
        match parse(&plan(), &text, depth) {
            Ok(Value::Map(_)) | Err(CodecError::TooDeep(_) | CodecError::NotAnElement) => {}
            other => prop_assert!(false, "unexpected {other:?}"),
        }
        let _ = tree::build(&inner, depth);
    }

    #[test]
    fn rendered_values_parse_back(a in "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\r]{0,12}",
                                  x in "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\r]{1,12}",
                                  ys in prop::collection::vec("[a-z<>&\"' ]{1,6}", 0..4)) {
        let plan = plan();
        let list = ys.iter().map(|y| Value::Str(y.clone().into())).collect::<Vec<_>>();
        let mut fields = vec![(0, Value::Str(a.clone().into())), (1, Value::Str(x.clone().into()))];
        if !list.is_empty() {
            fields.push((2, Value::List(list.clone())));
        }
        let text = render(&plan, &Value::Map(fields));
        let Value::Map(read) = parse(&plan, &text, 8).unwrap() else { unreachable!() };
        let get = |index: usize| read.iter().find(|(i, _)| *i == index).map(|(_, v)| v.clone());
        prop_assert_eq!(get(0), Some(Value::Str(a.into())));
        // Whitespace-only text next to children is indentation in the output, like ElementTree.
        prop_assert_eq!(get(1), Some(Value::Str(x.into())));
        prop_assert_eq!(get(2), (!list.is_empty()).then_some(Value::List(list)));
    }

    #[test]
    fn a_reused_builder_reads_each_element_as_a_fresh_one(
        inners in prop::collection::vec(markup(), 1..6), depth in 1usize..8,
    ) {
        // One text holding several elements (some unreadable), read in turn with one builder.
        let texts: Vec<String> = inners.iter().map(|inner| format!("<m a=\"v\">{inner}</m>")).collect();
        let mut builder = tree::Builder::default();
        let plan = plan();
        for (inner, text) in inners.iter().zip(&texts) {
            prop_assert_eq!(parse_with(&mut builder, &plan, text, depth), parse(&plan, text, depth));
            prop_assert_eq!(parse_with(&mut builder, &plan, inner, depth), parse(&plan, inner, depth));
        }
    }
}
