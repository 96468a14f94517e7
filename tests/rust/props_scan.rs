//! Property tests: `scan` equals a slow, obviously-correct reference on random messy text, and
//! `TagStream` fed the same bytes in random chunks (cut anywhere, inside characters too)
//! equals `scan`; `TextStream` fed random `str` chunks gives the same spans and slices them
//! like a `Vec<char>`; `candidates`, which scans in bytes and converts only what it keeps,
//! equals the same choice made on the code-point spans of `scan`.

// Helpers outside `#[test]` fns unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use _native::offsets::bytes_of;
use _native::scan::{
    candidates, innermost, is_python_space, outermost, scan, Candidate, Incomplete, Pieces, Span,
    TagSet, TagStream, TextStream,
};
use proptest::prelude::*;

const NAMES: &[&str] = &["a", "fun-fact", "item.v2", "x:y"];

/// Names that share first bytes and prefixes, longer than 8 bytes, and more than the lexer
/// compares directly under one first byte (`b…`), so every name-matching path is exercised.
#[rustfmt::skip]
const CROWDED: &[&str] = &[
    "a", "ab", "abcdefgh", "abcdefghij", "b", "b1", "b2", "b3", "b-4", "b.5", "item.v2",
    "cdefghijkl", "cdefghijklm",
];

/// Names written in the crowded texts: the set's names and near misses.
#[rustfmt::skip]
const CROWDED_WRITTEN: &[&str] = &[
    "a", "ab", "abc", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghij", "abcdefghijk", "b", "b1",
    "b3", "b-4", "b.5", "b6", "item.v2", "item.v", "item.v22", "cdefghijkl", "cdefghijklm",
    "cdefghijklmn",
];

// --- the reference ---------------------------------------------------------------------------

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.:".contains(c)
}

fn is_attr(c: char) -> bool {
    !c.is_ascii_whitespace() && !"=>/<\"'".contains(c)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Start,
    SelfClose,
    End,
}

/// Index of the first occurrence of `pat` in `t` at or after `from`.
fn find(t: &[char], from: usize, pat: &str) -> Option<usize> {
    let pat: Vec<char> = pat.chars().collect();
    (from..t.len()).find(|&i| t[i..].starts_with(&pat))
}

fn take_while(t: &[char], mut j: usize, f: impl Fn(char) -> bool) -> usize {
    while j < t.len() && f(t[j]) {
        j += 1;
    }
    j
}

fn skip_ws(t: &[char], j: usize) -> usize {
    take_while(t, j, |c| c.is_ascii_whitespace())
}

/// The tag starting at the `<` at `i`: its kind, name and the index just past its `>`.
fn parse_tag(t: &[char], i: usize) -> Option<(Kind, String, usize)> {
    let end_tag = t.get(i + 1) == Some(&'/');
    let from = if end_tag { i + 2 } else { i + 1 };
    let j = take_while(t, from, is_name);
    let name: String = t[from..j].iter().collect();
    if name.is_empty() {
        return None;
    }
    if end_tag {
        let j = skip_ws(t, j);
        return (t.get(j) == Some(&'>')).then_some((Kind::End, name, j + 1));
    }
    if !matches!(t.get(j), Some(c) if c.is_ascii_whitespace() || *c == '>' || *c == '/') {
        return None;
    }
    parse_attrs(t, j).map(|(kind, end)| (kind, name, end))
}

fn parse_attrs(t: &[char], mut j: usize) -> Option<(Kind, usize)> {
    loop {
        j = skip_ws(t, j);
        match *t.get(j)? {
            '>' => return Some((Kind::Start, j + 1)),
            '/' => return (t.get(j + 1) == Some(&'>')).then_some((Kind::SelfClose, j + 2)),
            c if is_attr(c) => {}
            _ => return None,
        }
        j = skip_ws(t, take_while(t, j, is_attr));
        if t.get(j) != Some(&'=') {
            continue;
        }
        j = skip_ws(t, j + 1);
        match *t.get(j)? {
            '>' => return Some((Kind::Start, j + 1)),
            '<' => return None,
            q @ ('"' | '\'') => {
                let close = take_while(t, j + 1, |c| c != q && c != '<');
                if t.get(close) != Some(&q) {
                    return None;
                }
                j = close + 1;
            }
            _ => {
                let k = take_while(t, j, |c| !c.is_ascii_whitespace() && c != '>' && c != '<');
                match *t.get(k)? {
                    '>' if t[k - 1] == '/' => return Some((Kind::SelfClose, k + 1)),
                    '>' => return Some((Kind::Start, k + 1)),
                    '<' => return None,
                    _ => j = k,
                }
            }
        }
    }
}

/// The slow scanner: try every `<`, skip markup, pair with one naive stack per name.
fn reference(text: &str, names: &[&str], mode: Incomplete) -> Vec<Span> {
    let t: Vec<char> = text.chars().collect();
    let mut stacks: Vec<Vec<(usize, usize)>> = vec![Vec::new(); names.len()];
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if t[i] != '<' {
            i += 1;
            continue;
        }
        if t[i..].starts_with(&['<', '!', '-', '-']) {
            i = find(&t, i + 4, "-->").map_or(t.len(), |k| k + 3);
            continue;
        }
        if t[i..].starts_with(&"<![CDATA[".chars().collect::<Vec<_>>()) {
            i = find(&t, i + 9, "]]>").map_or(t.len(), |k| k + 3);
            continue;
        }
        let Some((kind, name, end)) = parse_tag(&t, i) else {
            i += 1;
            continue;
        };
        let Some(tag) = names.iter().position(|n| *n == name) else {
            i += 1;
            continue;
        };
        let span = |start, end, inner_start, inner_end, depth: usize| Span {
            tag,
            start,
            end,
            inner_start,
            inner_end,
            depth: depth as u32,
            self_closing: kind == Kind::SelfClose,
            closed: true,
        };
        match kind {
            Kind::Start => stacks[tag].push((i, end)),
            Kind::SelfClose => out.push(span(i, end, end, end, stacks[tag].len())),
            Kind::End => {
                if let Some((start, inner)) = stacks[tag].pop() {
                    out.push(span(start, end, inner, i, stacks[tag].len()));
                }
            }
        }
        i = end;
    }
    if mode == Incomplete::Close {
        let mut open = Vec::new();
        for (tag, stack) in stacks.iter().enumerate() {
            for (depth, &(start, inner)) in stack.iter().enumerate() {
                open.push(Span {
                    tag,
                    start,
                    end: t.len(),
                    inner_start: inner,
                    inner_end: t.len(),
                    depth: depth as u32,
                    self_closing: false,
                    closed: false,
                });
            }
        }
        open.sort_by_key(|s| std::cmp::Reverse(s.start));
        out.extend(open);
    }
    out
}

/// [`candidates`] made from the code-point spans of `scan`: the same choice per name, byte
/// offsets through `bytes_of`, blankness read from a `Vec<char>`.
fn candidates_from_chars(text: &str, tags: &TagSet) -> Vec<Vec<Candidate>> {
    let chars: Vec<char> = text.chars().collect();
    let names = tags.names();
    let mut by_tag: Vec<Vec<Span>> = vec![Vec::new(); names.len()];
    for span in scan(text, tags, Incomplete::Drop) {
        by_tag[span.tag].push(span);
    }
    let mut found: Vec<Vec<Candidate>> = by_tag
        .into_iter()
        .enumerate()
        .map(|(tag, spans)| {
            let kept = if tags.is_outermost(tag) {
                outermost(spans)
            } else {
                innermost(spans)
            };
            kept.into_iter()
                .map(|span| {
                    let bytes = bytes_of(text, &[span.start, span.end]);
                    let inner = &chars[span.inner_start..span.inner_end];
                    Candidate {
                        span,
                        hollow: span.self_closing || inner.iter().all(|&c| is_python_space(c)),
                        bytes: (bytes[0].unwrap(), bytes[1].unwrap()),
                    }
                })
                .collect()
        })
        .collect();
    for index in 0..names.len() {
        if let Some(first) = names[..index].iter().position(|n| *n == names[index]) {
            let copy = found[first].clone();
            found[index] = copy;
        }
    }
    found
}

// --- strategies ------------------------------------------------------------------------------

const PIECES: &[&str] = &[
    "<{}>",
    "</{}>",
    "</{} >",
    "<{}/>",
    "<{} />",
    "<{} k=\"1>2\">",
    "<{} k='<'>",
    "<{} k=v/>",
    "<{} k=a/b>",
    "<{} bare>",
    "<{} a = 'x' b=\"y\"c>",
    "<{}s>",
    "<{}-x>",
    "<{} \"q\">",
    "<{}",
    "</{}",
    "<{} k=\"",
    "<{}=>",
    "<!--",
    "-->",
    "--",
    "<![CDATA[",
    "]]>",
    "]]",
    "<![CDAT",
    "<!-",
    "<",
    ">",
    "/",
    "\"",
    "'",
    "=",
    " ",
    "\n",
    "\t",
    "text",
    "é",
    "😀",
    "東京",
    "3 < 4",
    "a>b",
];

fn piece() -> impl Strategy<Value = String> {
    (
        prop::sample::select(PIECES),
        prop::sample::select(&["a", "fun-fact", "item.v2", "x:y", "b", "ab", "item"][..]),
    )
        .prop_map(|(p, n)| p.replace("{}", n))
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..60).prop_map(|v| v.concat())
}

fn crowded_text() -> impl Strategy<Value = String> {
    let piece = (
        prop::sample::select(PIECES),
        prop::sample::select(CROWDED_WRITTEN),
    )
        .prop_map(|(p, n)| p.replace("{}", n));
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// [`text`] with more of what Python calls whitespace (and a zero-width space, which it
/// does not), for hollow candidates.
fn spaced_text() -> impl Strategy<Value = String> {
    let space = prop::sample::select(&["\u{3000}", "\u{85}", "\u{1f}", "\u{200b}", " "][..]);
    prop::collection::vec(prop_oneof![piece(), space.prop_map(String::from)], 0..60)
        .prop_map(|v| v.concat())
}

fn mode() -> impl Strategy<Value = Incomplete> {
    prop_oneof![Just(Incomplete::Drop), Just(Incomplete::Close)]
}

fn chunked(text: &str, cuts: &[usize], mode: Incomplete) -> Vec<Span> {
    chunked_with(NAMES, text, cuts, mode)
}

fn chunked_with(names: &[&str], text: &str, cuts: &[usize], mode: Incomplete) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut stream = TagStream::new(TagSet::new(names).unwrap(), mode);
    let mut out = Vec::new();
    let mut from = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        out.extend(stream.feed(&bytes[from..cut]).unwrap());
        from = cut;
    }
    out.extend(stream.finish().unwrap());
    assert_eq!(stream.position(), text.chars().count());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn scan_equals_reference(text in text(), mode in mode()) {
        let tags = TagSet::new(NAMES).unwrap();
        prop_assert_eq!(scan(&text, &tags, mode), reference(&text, NAMES, mode));
    }

    #[test]
    fn stream_equals_scan(text in text(), cuts in prop::collection::vec(any::<usize>(), 0..16), mode in mode()) {
        let tags = TagSet::new(NAMES).unwrap();
        prop_assert_eq!(chunked(&text, &cuts, mode), scan(&text, &tags, mode));
    }

    #[test]
    fn crowded_names_scan_equals_reference(text in crowded_text(), mode in mode()) {
        let tags = TagSet::new(CROWDED).unwrap();
        prop_assert_eq!(scan(&text, &tags, mode), reference(&text, CROWDED, mode));
    }

    #[test]
    fn crowded_names_stream_equals_scan(
        text in crowded_text(),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
        mode in mode(),
    ) {
        let tags = TagSet::new(CROWDED).unwrap();
        prop_assert_eq!(chunked_with(CROWDED, &text, &cuts, mode), scan(&text, &tags, mode));
    }

    #[test]
    fn small_fixed_chunks_equal_scan(text in text(), size in 1usize..6) {
        let tags = TagSet::new(NAMES).unwrap();
        let cuts: Vec<usize> = (size..text.len()).step_by(size).collect();
        prop_assert_eq!(chunked(&text, &cuts, Incomplete::Close), scan(&text, &tags, Incomplete::Close));
    }

    #[test]
    fn small_pieces_equal_reference(text in text(), piece_len in 1usize..40, mode in mode()) {
        let tags = TagSet::new(NAMES).unwrap();
        let mut pieces = Pieces::with_piece_len(&text, &tags, mode, piece_len);
        let mut spans = Vec::new();
        while pieces.fill(&mut spans) {}
        prop_assert!(!pieces.fill(&mut spans), "fill after the end");
        prop_assert_eq!(spans, reference(&text, NAMES, mode));
    }

    #[test]
    fn spans_slice_to_their_tags(text in text()) {
        let tags = TagSet::new(NAMES).unwrap();
        let chars: Vec<char> = text.chars().collect();
        for span in scan(&text, &tags, Incomplete::Drop) {
            let whole: String = chars[span.start..span.end].iter().collect();
            let name = tags.name(span.tag).unwrap();
            let open = format!("<{name}");
            prop_assert!(whole.starts_with(&open));
            prop_assert!(whole.ends_with('>'));
            prop_assert!(span.start < span.inner_start || span.self_closing);
            prop_assert!(span.inner_start <= span.inner_end && span.inner_end <= span.end);
        }
    }

    #[test]
    fn text_stream_slices_like_chars(
        text in text(),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
        mode in mode(),
    ) {
        let tags = TagSet::new(NAMES).unwrap();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (text.len() + 1)).collect();
        cuts.sort_unstable();
        let mut stream = TextStream::new(tags.clone(), mode);
        let mut spans = Vec::new();
        let mut from = 0;
        for mut cut in cuts.into_iter().chain([text.len()]) {
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            if cut < from {
                continue;
            }
            spans.extend(stream.feed(&text[from..cut]).unwrap());
            from = cut;
        }
        spans.extend(stream.finish().unwrap());
        prop_assert_eq!(stream.text(), text.as_str());
        prop_assert_eq!(&spans, &scan(&text, &tags, mode));
        let chars: Vec<char> = text.chars().collect();
        for span in &spans {
            for (a, b) in [(span.start, span.end), (span.inner_start, span.inner_end)] {
                let expected: String = chars[a..b].iter().collect();
                prop_assert_eq!(stream.slice(a, b), Some(expected.as_str()));
            }
        }
    }

    #[test]
    fn candidates_equal_the_choice_on_code_point_spans(text in spaced_text()) {
        let mut outer = TagSet::new(NAMES).unwrap();
        outer.mark_outermost("fun-fact");
        let sets = [
            TagSet::new(NAMES).unwrap(),
            outer,
            TagSet::new(["x:y", "a", "x:y"]).unwrap(),
        ];
        for tags in &sets {
            let found = candidates(&text, tags);
            prop_assert_eq!(&found, &candidates_from_chars(&text, tags));
            for candidate in found.iter().flatten() {
                let (start, end) = candidate.bytes;
                let whole: String =
                    text.chars().skip(candidate.span.start).take(candidate.span.end - candidate.span.start).collect();
                prop_assert_eq!(&text[start..end], whole.as_str());
            }
        }
    }
}
