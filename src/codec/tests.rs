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
fn unended_markup_reads_as_text_in_linear_time() {
    // An opener without its end marker is text. A flood of them is searched for the marker
    // once, not once per opener (`<?` is not opaque to the scanner, so such an element is
    // found; 200,000 openers took minutes when each searched the rest of the element).
    let plan = finding();
    for opener in ["<?", "<!--", "<![CDATA["] {
        let flood = opener.repeat(200_000);
        let text = format!("<finding><title>a{flood}b</title></finding>");
        let got = fields(parse(&plan, &text, 8).unwrap());
        assert_eq!(got, vec![(1, s(&format!("a{flood}b")))], "{opener}");
    }
    // Ended ones after unended ones still end where the first marker after them is.
    let text = "<finding><title>a<?x<?y?>b<!--c<!--d-->e</title></finding>";
    let got = fields(parse(&plan, text, 8).unwrap());
    assert_eq!(got, vec![(1, s("abe"))]);
}

#[test]
fn containment_says_whether_every_tag_pairs_inside() {
    let mut check = tree::Containment::default();
    for (element, holds) in [
        ("<a>x <b>y</b> <c/> &lt; a < b <= c</a>", true),
        ("<a><!-- </b> --><![CDATA[<b>]]></a>", true),
        ("<a><?pi x?></a>", true),
        ("<a><?pi </b> ?></a>", false), // the scanner reads tags in an instruction
        ("<a>x <b>y</a>", false),
        ("<a>x </b>y</a>", false),
        ("<a>x <1>y</a>", false), // a `<` the scanner may read as a tag
        ("<a>x <b y=\"<\">z</a>", false),
        ("<a>x <!-- y</a>", false),
    ] {
        assert_eq!(check.holds_all(element), holds, "{element}");
    }
    // The tags that may pair outside, as the scanner names them.
    let mut strays = Vec::new();
    assert!(!check.strays("<a>x <br> </b> <1> <é> <c>d</c> <? <e> ?></a>", &mut strays));
    assert_eq!(
        strays,
        vec![
            ("br", tree::Stray::Start),
            ("b", tree::Stray::End),
            ("1", tree::Stray::Start),
            ("e", tree::Stray::Start),
        ]
    );
    strays.clear();
    assert!(check.strays("<a>x <c>d</c></a>", &mut strays));
    assert!(strays.is_empty());
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
fn errors_name_the_problem() {
    assert_eq!(
        CodecError::TooDeep(64).to_string(),
        "nests elements deeper than the limit of 64"
    );
    assert_eq!(
        CodecError::TooLarge(5_000_000_000).to_string(),
        "is 5000000000 bytes long, past the 4 GiB an element may hold"
    );
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

#[test]
fn escaping_into_a_buffer_matches_the_character_by_character_rule() {
    fn reference(text: &str, attribute: bool) -> String {
        text.chars()
            .map(|c| match c {
                '&' => "&amp;".to_owned(),
                '<' => "&lt;".to_owned(),
                '>' => "&gt;".to_owned(),
                '"' if attribute => "&quot;".to_owned(),
                '\n' if attribute => "&#10;".to_owned(),
                '\r' => "&#13;".to_owned(), // in text too: a raw one reads back as `\n`
                '\t' if attribute => "&#09;".to_owned(),
                _ => c.to_string(),
            })
            .collect()
    }
    let alphabet = ['&', '<', '>', '"', '\n', '\r', '\t', 'a', 'é', '🚀', '\''];
    // Every text of up to four characters over the alphabet.
    let mut texts = vec![String::new()];
    for _ in 0..4 {
        let longer: Vec<String> = texts
            .iter()
            .filter(|t| t.chars().count() == texts.last().map_or(0, |l| l.chars().count()))
            .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
            .collect();
        texts.extend(longer);
    }
    assert!(texts.len() > 10_000);
    for text in &texts {
        for attribute in [false, true] {
            let mut buf = String::from("<x>");
            text::escape_into(&mut buf, text, attribute);
            assert_eq!(buf[3..], reference(text, attribute), "{text:?}");
            let cow = if attribute {
                escape_attribute(text)
            } else {
                escape_text(text)
            };
            assert_eq!(cow, reference(text, attribute));
            assert_eq!(matches!(cow, Cow::Borrowed(_)), cow == text.as_str());
        }
    }
}

#[test]
fn references_take_any_leading_zeros_and_nothing_but_digits() {
    let decode = |raw: &str| {
        let mut out = String::new();
        text::decode_into(&mut out, raw, false);
        out
    };
    assert_eq!(decode("&#0000000065;&#x000000041;&#x0042;"), "AAB");
    assert_eq!(decode(&format!("&#{}65;", "0".repeat(10_000))), "A");
    for kept in [
        "&#x+41;",
        "&#+65;",
        "&#-65;",
        "&# 65;",
        "&#x 41;",
        "&#x;",
        "&#;",
        "&#X41;",
        "&#65",
        "&#1114112;",
        "&#x110000;",
        "&#99999999999999999999;",
        "&#xD800;",
        "&#0;",
        "&#x1;",
    ] {
        assert_eq!(decode(kept), kept, "{kept}");
    }
    assert_eq!(decode("&#x10FFFF;"), "\u{10FFFF}");
    assert_eq!(
        decode("&lt;&gt;&amp;&quot;&apos;&bogus;&lt"),
        "<>&\"'&bogus;&lt"
    );
}

#[test]
fn a_flood_of_attributes_keeps_the_first_of_each_name() {
    let mut element = String::from("<finding");
    for index in 0..5_000 {
        element += &[" a", &index.to_string(), "=\"", &index.to_string(), "\""].concat();
    }
    element.push_str(" id=\"first\" a7=\"again\" id=\"second\"><title>t</title></finding>");
    let tree = tree::build(&element, MAX_DEPTH).unwrap();
    let (first, last) = tree.nodes[0].attrs;
    let attrs = &tree.attrs[first as usize..last as usize];
    assert_eq!(attrs.len(), 5_001);
    assert_eq!(attrs[7], ("a7", Cow::Borrowed("7")));
    assert_eq!(attrs[5_000], ("id", Cow::Borrowed("first")));
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
fn digits_write_i64_as_to_string_does() {
    let mut cases = vec![
        0,
        1,
        -1,
        9,
        10,
        -10,
        42,
        1_000_000,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
    ];
    let mut n: i64 = 7;
    for _ in 0..200 {
        n = n
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        cases.push(n);
        cases.push(n >> 40);
    }
    for case in cases {
        assert_eq!(text::Digits::of(case).as_str(), case.to_string());
    }
}

/// The declaration check as first written (every `<!` found by substring search).
fn has_declaration_by_substring(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = bytes[from..].windows(2).position(|w| w == b"<!") {
        let mut i = from + found + 2;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &bytes[i..];
        for keyword in [&b"DOCTYPE"[..], b"ENTITY", b"ELEMENT", b"ATTLIST"] {
            if rest.len() >= keyword.len() && rest[..keyword.len()].eq_ignore_ascii_case(keyword) {
                return true;
            }
        }
        from += found + 2;
    }
    false
}

#[test]
fn declarations_are_found_as_by_substring_search() {
    let pieces = [
        "<",
        "!",
        "<!",
        "<!!",
        " ",
        "\t",
        "doctype",
        "DOCTYPE",
        "Entity",
        "ELEMENT",
        "attlist",
        "ATTLIS",
        "x",
        "é",
        "<a>",
        "]]>",
        "<![CDATA[",
        "-->",
        "<!--",
        "!<",
    ];
    let mut state: u64 = 1;
    for _ in 0..20_000 {
        let mut text = String::new();
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let len = (state >> 60) as usize + 1;
        for _ in 0..len {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
        }
        assert_eq!(
            tree::has_declaration(&text),
            has_declaration_by_substring(&text),
            "{text:?}"
        );
    }
}

#[test]
fn nests_deeper_counts_the_levels_of_elements() {
    let nested = |n: usize| format!("<g>{}{}</g>", "<x>".repeat(n), "</x>".repeat(n));
    // The root counts: `<g>` holding two levels is three deep.
    assert!(!nests_deeper(&nested(2), 3));
    assert!(nests_deeper(&nested(3), 3));
    assert!(nests_deeper(&nested(600), MAX_DEPTH));
    // Stray starts are text, as the codec pairs them; CDATA and comments are opaque.
    let stray = format!("<g>{}</g>", "<x>".repeat(600));
    assert!(!nests_deeper(&stray, MAX_DEPTH));
    let hidden = format!("<g><![CDATA[{}]]></g>", "<x>".repeat(600));
    assert!(!nests_deeper(&hidden, MAX_DEPTH));
    // Not an element, or a declaration: not a depth question.
    assert!(!nests_deeper("<g>", 0));
    assert!(!nests_deeper("<!DOCTYPE g><g><x/></g>", 0));
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
