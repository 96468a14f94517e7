//! The lenient tree: stray and unpaired tags, CDATA, comments and references, unended
//! markup, containment, normalised whitespace, declarations, depth and size limits.

use super::*;

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
