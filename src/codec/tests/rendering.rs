//! Rendering a value as `ElementTree` writes it: pretty, compact, wrapped `None` values, and
//! elements written piece by piece with `Style` and `Body`.

use super::*;

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
                    empty: Empty::PydanticXml,
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
                empty: Empty::PydanticXml,
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
fn compact_render_is_element_tree_tostring() {
    let plan = finding();
    let value = Value::Map(vec![
        (0, s("F1")),
        (1, s("t")),
        (2, Value::Map(vec![(0, s("x.py")), (1, s("42"))])),
        (3, Value::List(vec![s("a"), s("b")])),
    ]);
    assert_eq!(
        render_compact(&plan, &value),
        "<finding id=\"F1\"><title>t</title><location file=\"x.py\" line=\"42\" />\
         <tag>a</tag><tag>b</tag></finding>"
    );
}

#[test]
fn compact_render_writes_empty_elements_short() {
    let plan = finding();
    // No text and no children: `<a />`, whether the value is None or "" (both falsy for
    // ElementTree); an empty list writes nothing; a None nested model writes nothing.
    let value = Value::Map(vec![
        (0, Value::None),
        (1, s("")),
        (2, Value::None),
        (3, Value::List(vec![s(""), Value::None])),
    ]);
    assert_eq!(
        render_compact(&plan, &value),
        "<finding id=\"\"><title /><tag /><tag /></finding>"
    );
    assert_eq!(render_compact(&plan, &Value::Map(vec![])), "<finding />");
    let value = Value::Map(vec![(3, Value::List(vec![]))]);
    assert_eq!(render_compact(&plan, &value), "<finding />");
}

#[test]
fn compact_render_escapes_text_like_escape_cdata() {
    let plan = finding();
    // Text: `&`, `<`, `>` escaped; quotes, tabs and line feeds kept raw; carriage returns as
    // `&#13;` (`ElementTree` writes them raw, and a parser reads those back as `\n`).
    let value = Value::Map(vec![(1, s("a<b>&c \"q\" 'a'\n\t\r\r\nz"))]);
    assert_eq!(
        render_compact(&plan, &value),
        "<finding><title>a&lt;b&gt;&amp;c \"q\" 'a'\n\t&#13;&#13;\nz</title></finding>"
    );
    // Already-escaped text is escaped again (the value is text, not markup).
    let value = Value::Map(vec![(1, s("&amp;&#10;"))]);
    assert_eq!(
        render_compact(&plan, &value),
        "<finding><title>&amp;amp;&amp;#10;</title></finding>"
    );
}

#[test]
fn compact_render_escapes_attributes_like_escape_attrib() {
    let plan = finding();
    let value = Value::Map(vec![(0, s("a<b>&c \"q\" 'a'\n\t\r\r\nz"))]);
    assert_eq!(
        render_compact(&plan, &value),
        "<finding id=\"a&lt;b&gt;&amp;c &quot;q&quot; 'a'&#10;&#09;&#13;&#13;&#10;z\" />"
    );
}

#[test]
fn compact_render_writes_non_ascii_as_character_references() {
    let plan = Plan::new(vec![ModelPlan {
        tag: "caf\u{e9}".into(),
        fields: vec![attr("n\u{f6}m"), element("\u{3b1}", Item::Text, false)],
    }])
    .unwrap();
    let value = Value::Map(vec![
        (0, s("\u{e9}\u{7f}\u{80}")),
        (1, s("\u{1f600}<\u{ffff}\u{10ffff}")),
    ]);
    let out = render_compact(&plan, &value);
    assert_eq!(
        out,
        "<caf&#233; n&#246;m=\"&#233;\u{7f}&#128;\"><&#945;>&#128512;&lt;&#65535;&#1114111;\
         </&#945;></caf&#233;>"
    );
    assert!(out.is_ascii());
}

#[test]
fn compact_render_keeps_text_before_children_and_attribute_order() {
    let plan = Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![
            Field {
                path: vec![],
                kind: Kind::Text,
                empty: Empty::PydanticXml,
            },
            attr("b"),
            attr("a"),
            element("x", Item::Text, false),
        ],
    }])
    .unwrap();
    let value = Value::Map(vec![(0, s("  ")), (1, s("2")), (2, s("1")), (3, s("v"))]);
    // Whitespace-only text is kept as written (no indentation in compact mode).
    assert_eq!(
        render_compact(&plan, &value),
        "<m b=\"2\" a=\"1\">  <x>v</x></m>"
    );
}

#[test]
fn wrapped_none_values_write_no_wrapper() {
    let wrapped = |path: &[&str], kind: Kind| Field {
        path: path.iter().map(|p| (*p).to_owned()).collect(),
        kind,
        empty: Empty::PydanticXml,
    };
    let plan = Plan::new(vec![
        ModelPlan {
            tag: "m".into(),
            fields: vec![
                wrapped(&["w"], Kind::Attr("x".into())),
                wrapped(
                    &["w", "v"],
                    Kind::Element {
                        name: "y".into(),
                        item: Item::Text,
                        many: false,
                    },
                ),
                wrapped(
                    &["q"],
                    Kind::Element {
                        name: "i".into(),
                        item: Item::Text,
                        many: true,
                    },
                ),
                wrapped(
                    &["r"],
                    Kind::Element {
                        name: "n".into(),
                        item: Item::Model(1),
                        many: false,
                    },
                ),
            ],
        },
        ModelPlan {
            tag: "n".into(),
            fields: vec![attr("k")],
        },
    ])
    .unwrap();
    let none = Value::Map((0..4).map(|i| (i, Value::None)).collect());
    assert_eq!(render_compact(&plan, &none), "<m />");
    assert_eq!(render(&plan, &none), "<m></m>");
    // An empty list still writes its wrapper; an empty string is a value.
    let empty = Value::Map(vec![(0, s("")), (2, Value::List(vec![]))]);
    assert_eq!(render_compact(&plan, &empty), "<m><w x=\"\" /><q /></m>");
}

#[test]
fn elements_stream_as_render_writes_them() {
    // <m k="v">lead<c>1</c><c>2</c></m> written piece by piece, then by `render`.
    let write = |style: Style| {
        let mut buf = String::new();
        style.open(&mut buf, "m");
        style.attribute(&mut buf, "k", "a\"b");
        let mut body = style.body(&mut buf, 0, "lead & more");
        for text in ["1", "<2>", ""] {
            body.before_child(&mut buf);
            style.open(&mut buf, "c");
            style.body(&mut buf, 1, text).close(&mut buf, "c");
        }
        body.close(&mut buf, "m");
        buf
    };
    let pretty = write(Style::Pretty);
    assert_eq!(
        pretty,
        "<m k=\"a&quot;b\">lead &amp; more<c>1</c>\n  <c>&lt;2&gt;</c>\n  <c></c>\n</m>"
    );
    let compact = write(Style::Compact);
    assert_eq!(
        compact,
        "<m k=\"a&quot;b\">lead &amp; more<c>1</c><c>&lt;2&gt;</c><c /></m>"
    );
    let plan = Plan::new(vec![ModelPlan {
        tag: "m".into(),
        fields: vec![
            attr("k"),
            Field {
                path: vec![],
                kind: Kind::Text,
                empty: Empty::PydanticXml,
            },
            element("c", Item::Text, true),
        ],
    }])
    .unwrap();
    let value = Value::Map(vec![
        (0, s("a\"b")),
        (1, s("lead & more")),
        (2, Value::List(vec![s("1"), s("<2>"), s("")])),
    ]);
    assert_eq!(render(&plan, &value), pretty);
    assert_eq!(render_compact(&plan, &value), compact);
    let mut empty = String::new();
    Style::Pretty.open(&mut empty, "e");
    Style::Pretty
        .body(&mut empty, 3, "  ")
        .close(&mut empty, "e");
    assert_eq!(
        empty, "<e>  </e>",
        "text without children is kept as written"
    );
    let mut named = String::new();
    Style::Compact.open(&mut named, "é");
    Style::Compact.attribute(&mut named, "ü", "😀");
    Style::Compact
        .body(&mut named, 0, "")
        .close(&mut named, "é");
    assert_eq!(named, "<&#233; &#252;=\"&#128512;\" />");
}
