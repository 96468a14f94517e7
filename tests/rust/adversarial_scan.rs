//! Adversarial inputs at two sizes a factor 10 apart: the results are right and the work
//! counter (bytes examined + stack operations) stays within a small constant times the input,
//! whether the text comes in one piece or in 4-byte chunks.

// Helpers outside `#[test]` fns unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use _native::scan::{scan, Incomplete, Span, TagSet, TagStream};

/// Runs `text` through a stream fed once and one fed 4 bytes at a time; checks both give
/// `scan`'s spans and that the work per byte is at most `per_byte`; returns the spans.
fn checked(text: &str, mode: Incomplete, per_byte: u64) -> Vec<Span> {
    let tags = TagSet::new(["answer", "a"]).unwrap();
    let expected = scan(text, &tags, mode);
    for chunk in [text.len().max(1), 4] {
        let mut stream = TagStream::new(tags.clone(), mode);
        let mut spans = Vec::new();
        for piece in text.as_bytes().chunks(chunk) {
            spans.extend(stream.feed(piece).unwrap());
        }
        spans.extend(stream.finish().unwrap());
        assert_eq!(spans, expected, "chunk size {chunk}");
        let limit = per_byte * text.len() as u64 + 16;
        assert!(
            stream.work() <= limit,
            "work {} > {limit} (chunk {chunk})",
            stream.work()
        );
    }
    expected
}

/// The input built at `n` and `10 n`; returns the two results.
fn at_two_sizes(n: usize, build: impl Fn(usize) -> String, mode: Incomplete) -> [Vec<Span>; 2] {
    [
        checked(&build(n), mode, 3),
        checked(&build(10 * n), mode, 3),
    ]
}

#[test]
fn many_unclosed_starts() {
    let build = |n: usize| "<answer> x > y ".repeat(n);
    for (n, spans) in
        [10_000, 100_000]
            .into_iter()
            .zip(at_two_sizes(10_000, build, Incomplete::Drop))
    {
        assert!(spans.is_empty(), "{n}");
    }
    let [small, big] = at_two_sizes(10_000, build, Incomplete::Close);
    assert_eq!((small.len(), big.len()), (10_000, 100_000));
    let last = big[0];
    assert_eq!(
        (last.start, last.inner_start, last.depth),
        (15 * 99_999, 15 * 99_999 + 8, 99_999)
    );
    assert!(big.iter().all(|s| !s.closed && s.end == 1_500_000));
    assert_eq!(big[99_999].start, 0);
}

#[test]
fn deep_nesting_of_one_tag() {
    let build = |d: usize| "<a>".repeat(d) + "core" + &"</a>".repeat(d);
    let [small, big] = at_two_sizes(1_000, build, Incomplete::Drop);
    for (d, spans) in [(1_000, small), (10_000, big)] {
        assert_eq!(spans.len(), d);
        let inner = spans[0];
        assert_eq!(
            (inner.depth as usize, inner.inner_start, inner.inner_end),
            (d - 1, 3 * d, 3 * d + 4)
        );
        let outer = spans[d - 1];
        assert_eq!((outer.depth, outer.start, outer.end), (0, 0, 7 * d + 4));
    }
}

#[test]
fn megabytes_of_lt() {
    let build = |n: usize| "<".repeat(n);
    for spans in at_two_sizes(1_000_000, build, Incomplete::Close) {
        assert!(spans.is_empty());
    }
}

#[test]
fn lt_then_name_repeated() {
    let build = |n: usize| "<answe<answer<a".repeat(n);
    for spans in at_two_sizes(50_000, build, Incomplete::Close) {
        assert!(spans.is_empty());
    }
}

#[test]
fn long_attribute_lists() {
    let build = |n: usize| format!("<a{}>x</a>", " k=v b='1' c=\"2>3\" d".repeat(n));
    for spans in at_two_sizes(10_000, build, Incomplete::Drop) {
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].inner_end - spans[0].inner_start, 1);
    }
}

#[test]
fn unterminated_quotes() {
    // One open quote swallowing `>`s, then a `<` that ends it; and many open quotes in a row.
    let build = |n: usize| format!("<a x=\"{}<a>y</a>", "v>".repeat(n));
    for spans in at_two_sizes(100_000, build, Incomplete::Drop) {
        assert_eq!(spans.len(), 1);
    }
    let build = |n: usize| "<answer x=\"".repeat(n);
    for spans in at_two_sizes(50_000, build, Incomplete::Close) {
        assert!(spans.is_empty());
    }
}

#[test]
fn stray_ends_and_unterminated_markup() {
    let build = |n: usize| "</answer>".repeat(n) + "<answer>ok</answer>";
    for spans in at_two_sizes(50_000, build, Incomplete::Drop) {
        assert_eq!(spans.len(), 1);
    }
    let build = |n: usize| "<!--".to_owned() + &"<a>".repeat(n);
    for spans in at_two_sizes(50_000, build, Incomplete::Close) {
        assert!(spans.is_empty());
    }
    let build = |n: usize| "<a><![CDATA[".to_owned() + &"]>]".repeat(n);
    for spans in at_two_sizes(50_000, build, Incomplete::Close) {
        assert_eq!(spans.len(), 1);
    }
}

#[test]
fn work_grows_tenfold_with_input() {
    let work = |n: usize| {
        let text = "<answer> x > y <a b='<'".repeat(n);
        let mut stream = TagStream::new(TagSet::new(["answer", "a"]).unwrap(), Incomplete::Close);
        stream.feed(text.as_bytes()).unwrap();
        stream.finish().unwrap();
        stream.work()
    };
    let (small, big) = (work(10_000), work(100_000));
    assert!(big <= 10 * small + 100, "work {small} at n, {big} at 10n");
}
