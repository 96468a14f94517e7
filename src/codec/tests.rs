//! Unit tests of the codec: tree rules, entity decoding, plan reading and rendering.

use super::*;

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
    }
}

fn attr(name: &str) -> Field {
    Field {
        path: vec![],
        kind: Kind::Attr(name.into()),
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

#[test]
fn reads_every_kind_of_field() {
    let text = "<finding id=\"F1\">\n  <tag>a</tag><title>SQL &amp; more</title>\
                <location file='x.py' line=\"3\"/><tag>b</tag><extra>ignored</extra></finding>";
    let got = fields(parse(&finding(), text, MAX_DEPTH).unwrap());
    assert_eq!(
        got,
        vec![
            (0, s("F1")),
            (1, s("SQL & more")),
            (2, Value::Map(vec![(0, s("x.py")), (1, s("3"))])),
            (3, Value::List(vec![s("a"), s("b")])),
        ]
    );
}

#[test]
fn missing_and_empty_fields_are_absent() {
    let got = fields(parse(&finding(), "<finding><title></title></finding>", MAX_DEPTH).unwrap());
    assert!(got.is_empty());
}

#[test]
fn stray_less_than_and_unpaired_tags_are_text() {
    let plan = finding();
    let got = fields(
        parse(
            &plan,
            "<finding><title>a < b <i> c</b></title></finding>",
            8,
        )
        .unwrap(),
    );
    assert_eq!(got, vec![(1, s("a < b <i> c</b>"))]);
}

#[test]
fn cdata_comments_and_references() {
    let plan = finding();
    let text = "<finding><title>x<!-- c -->y <![CDATA[<b>&amp;</b>]]> &#65;&#x42; &bogus; & \
                &#0;</title></finding>";
    let got = fields(parse(&plan, text, 8).unwrap());
    assert_eq!(got, vec![(1, s("xy <b>&amp;</b> AB &bogus; & &#0;"))]);
}

#[test]
fn line_ends_and_attribute_whitespace_are_normalised() {
    let plan = finding();
    let text = "<finding id=\"a\r\nb\tc&#10;\"><title>1\r\n2\r3</title></finding>";
    let got = fields(parse(&plan, text, 8).unwrap());
    assert_eq!(got, vec![(0, s("a b c\n")), (1, s("1\n2\n3"))]);
}

#[test]
fn declarations_are_refused_before_building() {
    for text in [
        "<finding><!DOCTYPE x></finding>",
        "<finding><! entity x></finding>",
    ] {
        assert_eq!(parse(&finding(), text, 8), Err(CodecError::Declaration));
    }
}

#[test]
fn depth_is_bounded_with_an_error() {
    let deep = format!(
        "<finding>{}{}</finding>",
        "<a>".repeat(500),
        "</a>".repeat(500)
    );
    assert_eq!(parse(&finding(), &deep, 64), Err(CodecError::TooDeep(64)));
    let ok = format!(
        "<finding>{}{}</finding>",
        "<a>".repeat(10),
        "</a>".repeat(10)
    );
    assert!(parse(&finding(), &ok, 64).is_ok());
}

#[test]
fn not_an_element_is_an_error() {
    assert_eq!(
        parse(&finding(), "finding", 8),
        Err(CodecError::NotAnElement)
    );
    assert_eq!(
        parse(&finding(), "<finding>", 8),
        Err(CodecError::NotAnElement)
    );
}

#[test]
fn wrapped_paths_and_text_fields() {
    let plan = Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![
            Field {
                path: vec!["info".into()],
                kind: Kind::Attr("v".into()),
            },
            Field {
                path: vec!["info".into(), "deep".into()],
                kind: Kind::Text,
            },
            Field {
                path: vec![],
                kind: Kind::Text,
            },
        ],
    }])
    .unwrap();
    let text = "<m> lead <info v='1'><deep>x</deep></info></m>";
    assert_eq!(
        fields(parse(&plan, text, 8).unwrap()),
        vec![(0, s("1")), (1, s("x")), (2, s(" lead "))]
    );
}

#[test]
fn one_element_per_single_field_in_order() {
    let plan = Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![
            element("x", Item::Text, false),
            element("x", Item::Text, false),
        ],
    }])
    .unwrap();
    let got = fields(parse(&plan, "<m><x>1</x><x>2</x></m>", 8).unwrap());
    assert_eq!(got, vec![(0, s("1")), (1, s("2"))]);
}

#[test]
fn lenient_attributes_like_the_scanner() {
    let got = fields(
        parse(
            &finding(),
            "<finding id=F2 flag><title>t</title></finding>",
            8,
        )
        .unwrap(),
    );
    assert_eq!(got, vec![(0, s("F2")), (1, s("t"))]);
}

#[test]
fn self_closing_root_is_empty() {
    assert_eq!(
        fields(parse(&finding(), "<finding id='1'/>", 8).unwrap()),
        vec![(0, s("1"))]
    );
}

#[test]
fn renders_like_element_tree() {
    let plan = finding();
    let value = Value::Map(vec![
        (0, s("F\"1")),
        (1, s("a < b & c")),
        (2, Value::Map(vec![(0, s("x.py")), (1, Value::None)])),
        (3, Value::List(vec![s("a"), s("b")])),
    ]);
    let expected = "<finding id=\"F&quot;1\">\n  <title>a &lt; b &amp; c</title>\n  \
                    <location file=\"x.py\" line=\"\"></location>\n  <tag>a</tag>\n  <tag>b</tag>\n</finding>";
    assert_eq!(render(&plan, &value), expected);
}

#[test]
fn renders_nested_children_and_text_with_children() {
    let plan = Plan::new(vec![
        ModelPlan {
            tag: "outer".into(),
            fields: vec![
                Field {
                    path: vec![],
                    kind: Kind::Text,
                },
                element("inner", Item::Model(1), true),
            ],
        },
        ModelPlan {
            tag: "inner".into(),
            fields: vec![Field {
                path: vec!["w".into()],
                kind: Kind::Element {
                    name: "v".into(),
                    item: Item::Text,
                    many: false,
                },
            }],
        },
    ])
    .unwrap();
    let value = Value::Map(vec![
        (0, s("  ")),
        (1, Value::List(vec![Value::Map(vec![(0, s("1"))])])),
    ]);
    assert_eq!(
        render(&plan, &value),
        "<outer>\n  <inner>\n    <w>\n      <v>1</v>\n    </w>\n  </inner>\n</outer>"
    );
    let value = Value::Map(vec![(0, s("lead")), (1, Value::None)]);
    assert_eq!(render(&plan, &value), "<outer>lead</outer>");
}

#[test]
fn bad_plan_is_refused() {
    let plan = Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![element("x", Item::Model(3), false)],
    }]);
    assert!(matches!(plan, Err(CodecError::BadPlan(_))));
    assert!(matches!(Plan::new(vec![]), Err(CodecError::BadPlan(_))));
}

#[test]
fn pairing_is_the_same_past_the_small_name_list() {
    // More distinct tag names than the linear list holds: the hash map takes over midway,
    // and stray tags of early and late names still count as text.
    let mut wrappers = String::new();
    let mut closers = String::new();
    for i in 0..40 {
        wrappers += "<w";
        wrappers += &i.to_string();
        wrappers += ">";
        closers.insert_str(0, &format!("</w{i}>"));
    }
    let text =
        format!("<finding>{wrappers}<w3><w35>{closers}<title>t <w39> </w2></title></finding>");
    let got = fields(parse(&finding(), &text, MAX_DEPTH).unwrap());
    assert_eq!(got, vec![(1, s("t <w39> </w2>"))]);
    let nodes = tree::build(&text, MAX_DEPTH).unwrap().nodes;
    // The root, 40 wrappers (the stray <w3> and <w35> inside the innermost are text) and
    // the title.
    assert_eq!(nodes.len(), 42);
    assert_eq!(nodes[40].text, "<w3><w35>");
}

#[test]
fn indented_lines_are_found_at_the_start_and_after_line_feeds() {
    for text in [" a", "\tb", "a\n b", "a\n\n\tb", "a\n "] {
        assert!(has_indented_line(text), "{text:?}");
    }
    for text in ["", "a", "a b\nc d\n", "a\r\nb", "\n", "a\u{a0}\n\u{3000}b"] {
        assert!(!has_indented_line(text), "{text:?}");
    }
}
