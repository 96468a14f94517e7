//! Reading elements with a plan: every kind of field, empty values, wrapper paths, markup
//! kept in text values, blank values, and which plans are valid or flat.

use super::*;

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
    // With pydantic-xml's reading (`Empty::PydanticXml`), an empty element is left out.
    let got = fields(parse(&finding(), "<finding><title></title></finding>", MAX_DEPTH).unwrap());
    assert!(got.is_empty());
}

/// A plan whose fields all read empty values as `empty`: attribute `a`, element `e`, the
/// text, `d` below wrapper `w`, and list `i`.
fn empty_plan(empty: Empty) -> Plan {
    let field = |path: &[&str], kind: Kind| Field {
        path: path.iter().map(|p| (*p).to_owned()).collect(),
        kind,
        empty,
    };
    let element = |name: &str, many: bool| Kind::Element {
        name: name.into(),
        item: Item::Text,
        many,
    };
    Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![
            field(&[], Kind::Attr("a".into())),
            field(&[], element("e", false)),
            field(&[], Kind::Text),
            field(&["w"], element("d", false)),
            field(&[], element("i", true)),
        ],
    }])
    .unwrap()
}

#[test]
fn empty_values_read_as_each_field_says() {
    let text = "<m a=\"\"><e></e><w><d/></w><i></i><i/></m>";
    let items = (4, Value::List(vec![s(""), s("")])); // list items are always ""
    assert_eq!(
        fields(parse(&empty_plan(Empty::PydanticXml), text, 8).unwrap()),
        vec![(0, s("")), items.clone()]
    );
    assert_eq!(
        fields(parse(&empty_plan(Empty::Str), text, 8).unwrap()),
        vec![
            (0, s("")),
            (1, s("")),
            (2, s("")),
            (3, s("")),
            items.clone()
        ]
    );
    assert_eq!(
        fields(parse(&empty_plan(Empty::None), text, 8).unwrap()),
        vec![
            (0, Value::None),
            (1, Value::None),
            (2, Value::None),
            (3, Value::None),
            items
        ]
    );
}

#[test]
fn only_empty_values_read_as_empty() {
    let plan = empty_plan(Empty::None);
    // Text (blank included) is a value; an element holding only markup holds that markup
    // as its text; a comment or an empty CDATA section leaves an element empty; a missing
    // attribute, element or wrapper is left out.
    let text = "<m a=\" \"> <e><b>x</b></e><w><d><!-- c --><![CDATA[]]></d></w></m>";
    assert_eq!(
        fields(parse(&plan, text, 8).unwrap()),
        vec![
            (0, s(" ")),
            (1, s("<b>x</b>")),
            (2, s(" ")),
            (3, Value::None)
        ]
    );
    assert_eq!(
        fields(parse(&plan, "<m><d/></m>", 8).unwrap()),
        vec![(2, Value::None)]
    );
    // The text field's element may hold children (other fields): its empty text is read.
    assert_eq!(
        fields(parse(&plan, "<m><e>x</e></m>", 8).unwrap()),
        vec![(1, s("x")), (2, Value::None)]
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
                empty: Empty::PydanticXml,
            },
            Field {
                path: vec!["info".into(), "deep".into()],
                kind: Kind::Text,
                empty: Empty::PydanticXml,
            },
            Field {
                path: vec![],
                kind: Kind::Text,
                empty: Empty::PydanticXml,
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
fn bad_plan_is_refused() {
    let plan = Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![element("x", Item::Model(3), false)],
    }]);
    assert!(matches!(plan, Err(CodecError::BadPlan(_))));
    assert!(matches!(Plan::new(vec![]), Err(CodecError::BadPlan(_))));
}

#[test]
fn flat_plans_have_no_paths_duplicate_attributes_or_second_texts() {
    assert!(finding().is_flat());
    let one = |fields: Vec<Field>| {
        Plan::new(vec![ModelPlan {
            tag: "m".into(),
            fields,
        }])
        .unwrap()
    };
    let text = || Field {
        path: vec![],
        kind: Kind::Text,
        empty: Empty::PydanticXml,
    };
    let mut wrapped = attr("a");
    wrapped.path = vec!["w".into()];
    assert!(!one(vec![wrapped]).is_flat());
    assert!(!one(vec![attr("a"), attr("a")]).is_flat());
    assert!(!one(vec![text(), text()]).is_flat());
    assert!(one(vec![attr("a"), text(), element("e", Item::Text, true)]).is_flat());
}

#[test]
fn blank_values_hold_no_visible_text() {
    assert!(Value::None.is_blank());
    assert!(s(" \n\t\u{3000}\u{1f}").is_blank());
    assert!(Value::List(vec![s(""), Value::None]).is_blank());
    assert!(Value::Map(vec![(0, s("")), (1, Value::List(vec![s(" ")]))]).is_blank());
    assert!(Value::Map(vec![]).is_blank()); // the root read nothing
    let echoed = Value::Map(vec![(0, s(" ")), (1, Value::Map(vec![(0, s(""))]))]);
    assert!(echoed.is_blank()); // a nested model that read only blanks
    let present = Value::List(vec![Value::Map(vec![]), Value::Map(vec![])]);
    assert!(!Value::Map(vec![(0, present)]).is_blank()); // <plan><step/><step/></plan>
    assert!(!Value::Map(vec![(0, Value::Map(vec![]))]).is_blank()); // <ticket><urgent/>
    assert!(!s("0").is_blank());
    assert!(!s("\u{200b}").is_blank()); // not whitespace to Python either
    assert!(!Value::Map(vec![(0, s("")), (1, Value::List(vec![s(" "), s("x")]))]).is_blank());
}

#[test]
fn markup_inside_a_text_value_is_kept_in_it() {
    // A primitive child element: its whole content, references decoded, CDATA unwrapped.
    let plan = finding();
    let text = "<finding id=\"1\"><title>SQL <b>injection</b> &amp; <![CDATA[<i>]]> more</title>\
                <tag><![CDATA[x</tag>]]>y</tag></finding>";
    let got = fields(parse(&plan, text, 8).unwrap());
    assert_eq!(
        got,
        vec![
            (0, s("1")),
            (1, s("SQL <b>injection</b> & <i> more")),
            (3, Value::List(vec![s("x</tag>y")]))
        ]
    );
    // A model's own text when no field reads children: the same.
    let text_plan = Plan::new(vec![ModelPlan {
        tag: "txt".into(),
        fields: vec![
            Field {
                path: vec![],
                kind: Kind::Attr("a".into()),
                empty: Empty::Str,
            },
            Field {
                path: vec![],
                kind: Kind::Text,
                empty: Empty::Str,
            },
        ],
    }])
    .unwrap();
    let text = "<txt a=\"1\">Use <b>bold</b> for x&lt;y.</txt>";
    let got = fields(parse(&text_plan, text, 8).unwrap());
    assert_eq!(got, vec![(0, s("1")), (1, s("Use <b>bold</b> for x<y."))]);
    // Self-closing children and nested ones; an unclosed CDATA stays as written.
    let got = fields(parse(&text_plan, "<txt>a<br/>b<i><u>c</u></i></txt>", 8).unwrap());
    assert_eq!(got, vec![(1, s("a<br/>b<i><u>c</u></i>"))]);
}
