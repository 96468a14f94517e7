//! `splice` and `strip_spans` against a slow reference that edits a `Vec<char>` one edit at a
//! time and classifies every span against every edit.

// The reference works in signed offsets for clarity (test inputs are tiny), and this whole
// file is test code.
#![allow(
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::unwrap_used
)]

use _native::strip::{splice, strip_spans, Item, SpliceError};
use proptest::prelude::*;

type Edit = (usize, usize, String);

/// Apply edits one by one (last position first) on a `Vec<char>`, and remap each span by
/// looking at every edit.
fn reference(
    text: &str,
    edits: &[Edit],
    spans: &[(usize, usize)],
) -> (String, Vec<Option<(usize, usize)>>) {
    let mut chars: Vec<char> = text.chars().collect();
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| (edits[i].0, edits[i].1, i));
    for &i in order.iter().rev() {
        let (start, end, repl) = &edits[i];
        chars.splice(*start..*end, repl.chars());
    }
    // New start of edit `i`: its start plus the length changes of edits applied before it.
    let change = |i: usize| -> isize {
        let (s, e, r) = &edits[i];
        r.chars().count() as isize - (e - s) as isize
    };
    let new_start = |i: usize| -> usize {
        let rank = order.iter().position(|&j| j == i).unwrap();
        let before: isize = order[..rank].iter().map(|&j| change(j)).sum();
        (edits[i].0 as isize + before) as usize
    };
    let mapped = spans
        .iter()
        .map(|&(s, e)| {
            if let Some(&i) = order.iter().find(|&&i| (edits[i].0, edits[i].1) == (s, e)) {
                let at = new_start(i);
                return Some((at, at + edits[i].2.chars().count()));
            }
            let mut ds = 0isize;
            let mut de = 0isize;
            for (i, (a, b, _)) in edits.iter().enumerate() {
                let (a, b) = (*a, *b);
                let inside = |p: usize| a < p && p < b;
                if inside(s) || inside(e) {
                    return None;
                }
                if b <= s {
                    ds += change(i);
                }
                if b <= e && a < e {
                    de += change(i);
                }
            }
            Some(((s as isize + ds) as usize, (e as isize + de) as usize))
        })
        .collect();
    (chars.into_iter().collect(), mapped)
}

/// Text of mixed-width characters.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!['a', 'b', 'é', '東', '😀', '<', ' ']),
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Non-overlapping edits over a text of `len` code points, shuffled.
fn edits(len: usize) -> impl Strategy<Value = Vec<Edit>> {
    let cuts = prop::collection::vec(0..=len, 0..12);
    let repls = prop::collection::vec("[xy😀]{0,4}", 12);
    let keep = prop::collection::vec(any::<bool>(), 12);
    (cuts, repls, keep, any::<u64>()).prop_map(|(mut cuts, repls, keep, seed)| {
        cuts.sort_unstable();
        let mut out: Vec<Edit> = cuts
            .chunks(2)
            .zip(repls)
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|((pair, repl), _)| (pair[0], *pair.get(1).unwrap_or(&pair[0]), repl))
            .collect();
        // Deterministic shuffle so the input order varies.
        let n = out.len();
        for i in 0..n {
            let j = (seed as usize).wrapping_mul(i + 7) % n;
            out.swap(i, j);
        }
        out
    })
}

/// Spans over a text of `len` code points: arbitrary ones plus copies of edit ranges.
fn spans(len: usize, edits: &[Edit]) -> impl Strategy<Value = Vec<(usize, usize)>> {
    let ranges: Vec<(usize, usize)> = edits.iter().map(|(a, b, _)| (*a, *b)).collect();
    let random = prop::collection::vec((0..=len, 0..=len), 0..10).prop_map(|v| {
        v.into_iter()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect::<Vec<_>>()
    });
    (random, Just(ranges)).prop_map(|(mut r, e)| {
        r.extend(e);
        r
    })
}

fn case() -> impl Strategy<Value = (String, Vec<Edit>, Vec<(usize, usize)>)> {
    text().prop_flat_map(|t| {
        let len = t.chars().count();
        (Just(t), edits(len)).prop_flat_map(move |(t, e)| {
            let s = spans(len, &e);
            (Just(t), Just(e), s)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn splice_matches_reference((text, edits, spans) in case()) {
        let got = splice(&text, &edits, &spans).unwrap();
        let want = reference(&text, &edits, &spans);
        prop_assert_eq!(&got, &want);
        // A surviving span that is not an edit holds its old text with inner edits applied.
        let new: Vec<char> = got.0.chars().collect();
        let old: Vec<char> = text.chars().collect();
        for (&(s, e), m) in spans.iter().zip(&got.1) {
            let Some((ns, ne)) = *m else { continue };
            if edits.iter().any(|(a, b, _)| (*a, *b) == (s, e)) {
                continue;
            }
            let inner: Vec<Edit> = edits
                .iter()
                .filter(|(a, b, _)| s <= *a && *b <= e && !(a == b && (*a == s || *a == e)))
                .map(|(a, b, r)| (a - s, b - s, r.clone()))
                .collect();
            let piece: String = old[s..e].iter().collect();
            let (expect, _) = reference(&piece, &inner, &[]);
            let slice: String = new[ns..ne].iter().collect();
            prop_assert_eq!(slice, expect);
        }
    }

    #[test]
    fn strip_equals_splice_of_merged_ranges(
        (text, remove, spans) in case().prop_map(|(t, e, s)| {
            let r: Vec<(usize, usize)> = e.iter().map(|(a, b, _)| (*a, *b)).collect();
            (t, r, s)
        }),
    ) {
        // Non-overlapping removals: strip == splice with empty replacements.
        let edits: Vec<(usize, usize, &str)> = remove.iter().map(|&(a, b)| (a, b, "")).collect();
        let stripped = strip_spans(&text, &remove, &spans).unwrap();
        prop_assert_eq!(stripped.0, splice(&text, &edits, &[]).unwrap().0);
        // Overlapping removals: the text loses exactly the union of the ranges.
        let len = text.chars().count();
        let mut doubled = remove.clone();
        doubled.extend(spans.iter().copied());
        let mut gone = vec![false; len];
        for &(a, b) in &doubled {
            gone[a..b].iter_mut().for_each(|g| *g = true);
        }
        let want: String = text.chars().zip(&gone).filter(|(_, g)| !**g).map(|(c, _)| c).collect();
        prop_assert_eq!(strip_spans(&text, &doubled, &[]).unwrap().0, want);
    }

    #[test]
    fn bad_requests_are_errors_not_panics(
        text in text(),
        edits in prop::collection::vec((0usize..50, 0usize..50, "[a-c]{0,2}"), 0..6),
        spans in prop::collection::vec((0usize..50, 0usize..50), 0..6),
    ) {
        match splice(&text, &edits, &spans) {
            Ok((out, mapped)) => {
                prop_assert_eq!(mapped.len(), spans.len());
                let n = out.chars().count();
                for (s, e) in mapped.into_iter().flatten() {
                    prop_assert!(s <= e && e <= n);
                }
            }
            Err(err) => {
                let len = text.chars().count();
                let needle = format!("length {len}");
                prop_assert!(err.to_string().contains(&needle));
                let bad_index = match err {
                    SpliceError::OutOfRange { item: Item::Span, index, .. } => index < spans.len(),
                    SpliceError::OutOfRange { index, .. }
                    | SpliceError::EditsOverlap { index, .. } => index < edits.len(),
                };
                prop_assert!(bad_index);
            }
        }
        let remove: Vec<(usize, usize)> = edits.iter().map(|(a, b, _)| (*a, *b)).collect();
        let _ = strip_spans(&text, &remove, &spans);
    }
}

#[test]
fn big_input_one_sweep() {
    // 200k edits over a 1M-character text finish quickly only if the text is rebuilt once.
    let text = "é".repeat(1_000_000);
    let edits: Vec<(usize, usize, &str)> =
        (0..200_000).map(|i| (i * 5, i * 5 + 2, "xyz")).collect();
    let spans: Vec<(usize, usize)> = (0..200_000).map(|i| (i * 5 + 2, i * 5 + 5)).collect();
    let (out, mapped) = splice(&text, &edits, &spans).unwrap();
    assert_eq!(out.chars().count(), 1_200_000);
    assert_eq!(mapped[199_999], Some((199_999 * 6 + 3, 1_200_000)));
}
