//! Unit tests of the scanner rules (one per rule), run on `scan` and on byte-by-byte streams.

use super::*;

/// `(tag name, whole text, inner text, depth, self_closing, closed)` for each span.
type Found = (String, String, String, u32, bool, bool);

fn slice(text: &str, from: usize, to: usize) -> String {
    text.chars().skip(from).take(to - from).collect()
}

fn describe(text: &str, tags: &TagSet, spans: &[Span]) -> Vec<Found> {
    spans
        .iter()
        .map(|s| {
            (
                tags.name(s.tag).unwrap().to_owned(),
                slice(text, s.start, s.end),
                slice(text, s.inner_start, s.inner_end),
                s.depth,
                s.self_closing,
                s.closed,
            )
        })
        .collect()
}

/// Scans `text` once and byte by byte, checks both agree, and describes the spans.
fn run_mode(text: &str, names: &[&str], mode: Incomplete) -> Vec<Found> {
    let tags = TagSet::new(names).unwrap();
    let spans = scan(text, &tags, mode);
    let mut stream = TagStream::new(tags.clone(), mode);
    let mut streamed = Vec::new();
    for b in text.as_bytes() {
        streamed.extend(stream.feed(std::slice::from_ref(b)).unwrap());
    }
    streamed.extend(stream.finish().unwrap());
    assert_eq!(spans, streamed, "stream and scan disagree on {text:?}");
    describe(text, &tags, &spans)
}

fn run(text: &str, names: &[&str]) -> Vec<Found> {
    run_mode(text, names, Incomplete::Drop)
}

/// Just the inner texts.
fn inners(text: &str, names: &[&str]) -> Vec<String> {
    run(text, names).into_iter().map(|f| f.2).collect()
}

#[test]
fn simple_element() {
    let found = run("say <answer>hi</answer>!", &["answer"]);
    assert_eq!(
        found,
        vec![(
            "answer".into(),
            "<answer>hi</answer>".into(),
            "hi".into(),
            0,
            false,
            true
        )]
    );
}

#[test]
fn names_with_punctuation_match_exactly() {
    let text = "<fun-fact>a</fun-fact><tool_calls>b</tool_calls><item.v2>c</item.v2><ns:x>d</ns:x>";
    assert_eq!(
        inners(text, &["fun-fact", "tool_calls", "item.v2", "ns:x"]),
        ["a", "b", "c", "d"]
    );
    let text = "<answers>a</answers><answer-key>b</answer-key><answer>c</answer><Answer>d</Answer>";
    assert_eq!(inners(text, &["answer"]), ["c"]);
    assert_eq!(
        inners("<item-v2>x</item-v2>", &["item.v2"]),
        Vec::<String>::new()
    );
}

#[test]
fn invalid_tag_names_are_named() {
    let err = TagSet::new(["ok", "bad tag"]).unwrap_err();
    assert_eq!(
        err,
        ScanError::InvalidTagName {
            name: "bad tag".into(),
            position: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "invalid tag name \"bad tag\": ' ' at index 3 is not a letter, digit, '-', '_', '.' or ':'"
    );
    let err = TagSet::new([""]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid tag name '': a tag name cannot be empty"
    );
    assert!(TagSet::new(["café"])
        .unwrap_err()
        .to_string()
        .contains("'é' at index 3"));
    assert!(TagSet::new(["a<b"]).is_err());
}

#[test]
fn duplicate_names_keep_the_first_index() {
    let tags = TagSet::new(["a", "b", "a"]).unwrap();
    assert_eq!(tags.len(), 3);
    let spans = scan("<a>x</a>", &tags, Incomplete::Drop);
    assert_eq!(spans[0].tag, 0);
}

#[test]
fn attributes_in_every_form() {
    let text = r#"<fact src="a>b" n='1' bare k=v>body</fact>"#;
    assert_eq!(inners(text, &["fact"]), ["body"]);
    assert_eq!(inners("<fact\n  x = \"1\"\t>b</fact>", &["fact"]), ["b"]);
    assert_eq!(inners("<fact x=>b</fact>", &["fact"]), ["b"]);
    assert_eq!(inners("<fact a=\"'\" b='\"'>q</fact>", &["fact"]), ["q"]);
}

#[test]
fn lt_ends_a_candidate_and_scanning_resumes_there() {
    // `<` outside quotes.
    assert_eq!(inners("<a x <a>y</a>", &["a"]), ["y"]);
    // `<` inside a quoted value.
    assert_eq!(inners("<a x=\"<a>y</a>", &["a"]), ["y"]);
    // `<` right after the name and in an end tag.
    assert_eq!(inners("<a<a>y</a</a>", &["a"]), ["y</a"]);
    assert_eq!(inners("<<<a>y</a>", &["a"]), ["y"]);
}

#[test]
fn broken_candidates_are_not_tags() {
    let none = Vec::<String>::new();
    assert_eq!(inners("<a \"x\">y</a>", &["a"]), none);
    assert_eq!(inners("<a/x>y</a>", &["a"]), none);
    assert_eq!(inners("< a>y</a>", &["a"]), none);
    assert_eq!(inners("<a>y</ a>", &["a"]), none);
    assert_eq!(inners("<a>y</a x>", &["a"]), none);
    assert_eq!(inners("<a!>y</a>", &["a"]), none);
}

#[test]
fn self_closing() {
    let found = run("x<br/> <br a=\"1\" /> <br a=1/> <br />", &["br"]);
    let whole: Vec<_> = found.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(whole, ["<br/>", "<br a=\"1\" />", "<br a=1/>", "<br />"]);
    assert!(found.iter().all(|f| f.2.is_empty() && f.4 && f.5));
    let tags = TagSet::new(["br"]).unwrap();
    let span = scan("ab<br/>", &tags, Incomplete::Drop)[0];
    assert_eq!((span.inner_start, span.inner_end, span.end), (7, 7, 7));
    // An unquoted value may hold `/` when not followed by `>`.
    assert_eq!(inners("<a href=/x/y>t</a>", &["a"]), ["t"]);
}

#[test]
fn end_tags_with_space_and_strays() {
    assert_eq!(inners("<a>x</a  >", &["a"]), ["x"]);
    assert_eq!(inners("</a>oops<a>x</a></a>", &["a"]), ["x"]);
}

#[test]
fn stray_start_is_dropped() {
    let found = run("Use <answer> tags: <answer>hi</answer>", &["answer"]);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].2.as_str(), found[0].3), ("hi", 1));
}

#[test]
fn same_name_nesting_reports_depth() {
    let found = run("<a>x <a>y</a> z</a>", &["a"]);
    let got: Vec<_> = found.iter().map(|f| (f.2.as_str(), f.3)).collect();
    assert_eq!(got, [("y", 1), ("x <a>y</a> z", 0)]);
}

#[test]
fn names_pair_independently() {
    let found = run("<a><b></a></b>", &["a", "b"]);
    let got: Vec<_> = found.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert_eq!(got, [("a", "<a><b></a>"), ("b", "<b></a></b>")]);
}

#[test]
fn cdata_and_comments_are_opaque() {
    let text = "<a><![CDATA[ </a> <b>no</b> ]]></a><!-- <b>no</b> --><b>yes</b>";
    let found = run(text, &["a", "b"]);
    let got: Vec<_> = found.iter().map(|f| (f.0.as_str(), f.2.as_str())).collect();
    assert_eq!(got, [("a", "<![CDATA[ </a> <b>no</b> ]]>"), ("b", "yes")]);
    assert_eq!(inners("<!-- a -- b ---><a>x</a>", &["a"]), ["x"]);
    assert_eq!(inners("<![CDATA[]]]]><a>x</a>", &["a"]), ["x"]);
    // Unterminated: runs to the end.
    assert!(inners("<a><!-- </a>", &["a"]).is_empty());
    assert!(inners("<a><![CDATA[ </a>", &["a"]).is_empty());
    // Almost-markers are ordinary text.
    assert_eq!(inners("<!- <a>x</a> <![CDAT <a>y</a>", &["a"]), ["x", "y"]);
}

#[test]
fn offsets_are_code_points() {
    let text = "😀 東京 <answer>é🚀</answer>";
    let tags = TagSet::new(["answer"]).unwrap();
    let span = scan(text, &tags, Incomplete::Drop)[0];
    assert_eq!(
        (span.start, span.inner_start, span.inner_end, span.end),
        (5, 13, 15, 24)
    );
    assert_eq!(run(text, &["answer"])[0].2, "é🚀");
}

#[test]
fn incomplete_modes() {
    let text = "<a>x <b>y <a>z";
    assert!(run(text, &["a", "b"]).is_empty());
    let found = run_mode(text, &["a", "b"], Incomplete::Close);
    let got: Vec<_> = found
        .iter()
        .map(|f| (f.0.as_str(), f.2.as_str(), f.3, f.5))
        .collect();
    assert_eq!(
        got,
        [
            ("a", "z", 1, false),
            ("b", "y <a>z", 0, false),
            ("a", "x <b>y <a>z", 0, false)
        ]
    );
    // A candidate cut by the end is not a tag.
    assert!(run_mode("<a x=\"1", &["a"], Incomplete::Close).is_empty());
}

#[test]
fn closing_order() {
    let found = run("<a><b/></a><b></b>", &["a", "b"]);
    let got: Vec<_> = found.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(got, ["<b/>", "<a><b/></a>", "<b></b>"]);
}

#[test]
fn stream_splits_anywhere() {
    let text = "é <fun-fact src=\"a>b\"><![CDATA[<fun-fact>]]>😀</fun-fact >";
    let tags = TagSet::new(["fun-fact"]).unwrap();
    let whole = scan(text, &tags, Incomplete::Drop);
    assert_eq!(whole.len(), 1);
    for cut in 0..=text.len() {
        let mut stream = TagStream::new(tags.clone(), Incomplete::Drop);
        let mut spans = stream.feed(&text.as_bytes()[..cut]).unwrap();
        spans.extend(stream.feed(&text.as_bytes()[cut..]).unwrap());
        spans.extend(stream.finish().unwrap());
        assert_eq!(spans, whole, "cut at byte {cut}");
    }
}

#[test]
fn stream_returns_each_span_with_its_closing_chunk() {
    let mut stream = TagStream::new(TagSet::new(["a"]).unwrap(), Incomplete::Drop);
    assert!(stream.feed(b"<a>x</a").unwrap().is_empty());
    assert_eq!(stream.feed(b">").unwrap().len(), 1);
    assert!(stream.feed(b"").unwrap().is_empty());
    assert_eq!(stream.position(), 8);
    assert!(stream.finish().unwrap().is_empty());
}

#[test]
fn stream_utf8_handling() {
    let tags = TagSet::new(["a"]).unwrap();
    let mut stream = TagStream::new(tags.clone(), Incomplete::Drop);
    let bytes = "😀".as_bytes();
    stream.feed(&bytes[..1]).unwrap();
    assert_eq!(stream.position(), 0);
    stream.feed(&bytes[1..3]).unwrap();
    assert_eq!(stream.position(), 0);
    stream.feed(&bytes[3..]).unwrap();
    assert_eq!(stream.position(), 1);
    // An invalid chunk is rejected and the stream goes on.
    let err = stream.feed(b"ab\xffcd").unwrap_err();
    assert_eq!(err, ScanError::InvalidUtf8 { position: 6 });
    assert_eq!(
        err.to_string(),
        "chunk is not valid UTF-8: invalid byte at byte 6 of the stream"
    );
    assert_eq!(stream.position(), 1);
    stream.feed(&bytes[..2]).unwrap();
    assert_eq!(
        stream.feed(b"x").unwrap_err(),
        ScanError::InvalidUtf8 { position: 4 }
    );
    let err = stream.finish().unwrap_err();
    assert_eq!(err, ScanError::TruncatedUtf8 { position: 4 });
    assert!(err
        .to_string()
        .contains("inside a multi-byte UTF-8 character"));
}

#[test]
fn stream_is_closed_by_finish() {
    let mut stream = TagStream::new(TagSet::new(["a"]).unwrap(), Incomplete::Close);
    stream.feed(b"<a>").unwrap();
    assert_eq!(stream.finish().unwrap().len(), 1);
    assert_eq!(stream.feed(b"x").unwrap_err(), ScanError::Finished);
    assert_eq!(stream.finish().unwrap_err(), ScanError::Finished);
    assert!(ScanError::Finished.to_string().contains("after finish()"));
}

#[test]
fn work_counter_is_linear() {
    let tags = TagSet::new(["a"]).unwrap();
    let text = "<a x=\"<".repeat(1000) + &"<a>".repeat(1000);
    let mut stream = TagStream::new(tags, Incomplete::Close);
    stream.feed(text.as_bytes()).unwrap();
    stream.finish().unwrap();
    assert!(
        stream.work() <= 3 * text.len() as u64,
        "work {}",
        stream.work()
    );
}

#[test]
fn empty_tag_set_and_text() {
    let tags = TagSet::new(Vec::<String>::new()).unwrap();
    assert!(tags.is_empty());
    assert!(scan("<a>x</a>", &tags, Incomplete::Close).is_empty());
    assert!(scan("", &TagSet::new(["a"]).unwrap(), Incomplete::Close).is_empty());
}

#[test]
fn pieces_hand_out_scan_in_bounded_batches() {
    // Two names open 5000 times each, interleaved: the still-open starts come out of the
    // finishing merge in batches, in the same order as from a stream.
    let text = "é<a><b x='>'>".repeat(5000) + "</b>";
    let tags = TagSet::new(["a", "b"]).unwrap();
    let mut stream = TagStream::new(tags.clone(), Incomplete::Close);
    let mut expected = stream.feed(text.as_bytes()).unwrap();
    expected.extend(stream.finish().unwrap());
    assert_eq!(expected.len(), 10_000);
    for piece_len in [1, 7, 64, 1 << 20] {
        let mut pieces = Pieces::with_piece_len(&text, &tags, Incomplete::Close, piece_len);
        let (mut spans, mut buf, mut most) = (Vec::new(), Vec::new(), 0);
        while pieces.fill(&mut buf) {
            most = most.max(buf.len());
            spans.append(&mut buf);
        }
        assert_eq!(spans, expected, "pieces of {piece_len} bytes");
        // The last piece's own span (the one `</b>`) plus one finishing batch.
        assert!(most <= 1 + 4096, "a batch of {most} spans");
        assert!(
            pieces.work() <= 3 * text.len() as u64,
            "pieces of {piece_len} bytes"
        );
    }
    let mut pieces = Pieces::new(&text, &tags, Incomplete::Drop);
    let mut spans = Vec::new();
    while pieces.fill(&mut spans) {}
    assert_eq!(spans, scan(&text, &tags, Incomplete::Drop));
    assert_eq!(spans.len(), 1);
}
