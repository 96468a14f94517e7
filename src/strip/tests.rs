//! Unit tests of splicing and span remapping (kept beside them to hold `strip.rs` to its
//! size budget).

use super::*;

fn sp(
    text: &str,
    edits: &[(usize, usize, &str)],
    spans: &[(usize, usize)],
) -> (String, Vec<Option<(usize, usize)>>) {
    splice(text, edits, spans).unwrap()
}

#[test]
fn replaces_in_any_order() {
    let (text, _) = sp("0123456789", &[(7, 9, "x"), (1, 3, "ABC")], &[]);
    assert_eq!(text, "0ABC3456x9");
}

#[test]
fn maps_each_kind_of_span() {
    let text = "0123456789";
    let edits = [(2, 4, "abcd"), (6, 8, "")];
    let spans = [
        (2, 4),  // equal to edit 0
        (0, 2),  // touches edit 0 before it
        (4, 6),  // between the edits, shifted by edit 0
        (8, 10), // after both
        (1, 9),  // contains both
        (3, 5),  // partly overlaps edit 0
        (6, 7),  // inside edit 1
        (6, 8),  // equal to a removed edit: empty range
        (3, 3),  // empty span inside edit 0
        (4, 4),  // empty span touching edit 0
    ];
    let (out, mapped) = sp(text, &edits, &spans);
    assert_eq!(out, "01abcd4589");
    assert_eq!(
        mapped,
        vec![
            Some((2, 6)),
            Some((0, 2)),
            Some((6, 8)),
            Some((8, 10)),
            Some((1, 9)),
            None,
            None,
            Some((8, 8)),
            None,
            Some((6, 6)),
        ]
    );
}

#[test]
fn insertions_stay_outside_spans_at_their_edges() {
    let (out, mapped) = sp(
        "abcd",
        &[(1, 1, "X"), (3, 3, "Y")],
        &[(1, 3), (0, 4), (1, 1)],
    );
    assert_eq!(out, "aXbcYd");
    assert_eq!(mapped, vec![Some((2, 4)), Some((0, 6)), Some((1, 2))]);
}

#[test]
fn insertions_at_one_point_apply_in_given_order() {
    let (out, mapped) = sp("ab", &[(1, 1, "2"), (1, 1, "1"), (0, 1, "A")], &[(1, 1)]);
    assert_eq!(out, "A21b");
    assert_eq!(mapped, vec![Some((1, 2))]);
}

#[test]
fn offsets_are_code_points() {
    let (out, mapped) = sp("😀a😀b😀", &[(1, 2, "éé")], &[(3, 5), (0, 1)]);
    assert_eq!(out, "😀éé😀b😀");
    assert_eq!(mapped, vec![Some((4, 6)), Some((0, 1))]);
}

#[test]
fn touching_edits_are_fine_overlapping_ones_are_not() {
    assert_eq!(sp("abcd", &[(0, 2, "x"), (2, 4, "y")], &[]).0, "xy");
    let err = splice("abcd", &[(0, 3, "x"), (2, 4, "y")], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "edit 1 (2, 4) overlaps edit 0 (0, 3) in the text of length 4 \
         (edits may touch but not overlap)"
    );
    // An insertion strictly inside another edit overlaps it.
    assert!(splice("abcd", &[(0, 3, "x"), (1, 1, "y")], &[]).is_err());
}

#[test]
fn out_of_range_errors_name_the_item() {
    let err = splice("abc", &[(0, 1, ""), (2, 4, "")], &[]).unwrap_err();
    assert_eq!(
        err,
        SpliceError::OutOfRange {
            item: Item::Edit,
            index: 1,
            range: (2, 4),
            len: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "edit 1 (2, 4) is not a range within the text of length 3 \
         (expected 0 <= start <= end <= 3)"
    );
    let err = splice("abc", &[(2, 1, "")], &[]).unwrap_err();
    assert!(matches!(err, SpliceError::OutOfRange { index: 0, .. }));
    let err = splice::<&str>("abc", &[], &[(0, 0), (1, 4)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "span 1 (1, 4) is not a range within the text of length 3 \
         (expected 0 <= start <= end <= 3)"
    );
    let err = strip_spans("abc", &[(0, 1), (3, 2)], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "range to remove 1 (3, 2) is not a range within the text of length 3 \
         (expected 0 <= start <= end <= 3)"
    );
}

#[test]
fn strip_merges_overlapping_ranges() {
    let (out, mapped) = strip_spans(
        "0123456789",
        &[(5, 8), (1, 3), (2, 4), (8, 9), (6, 6)],
        &[(4, 5), (0, 10), (5, 8), (1, 3), (8, 9)],
    )
    .unwrap();
    assert_eq!(out, "049");
    assert_eq!(
        mapped,
        vec![Some((1, 2)), Some((0, 3)), Some((2, 2)), None, Some((2, 2))]
    );
}

#[test]
fn plans_need_only_lengths() {
    let plan = plan_splice(10, &[(7, 9, 1), (1, 3, 3), (5, 5, 0)], &[(0, 1), (7, 9)]).unwrap();
    assert_eq!(plan.spans, vec![Some((0, 1)), Some((8, 9))]);
    assert_eq!(
        plan.pieces(10),
        vec![
            Piece::Keep(0, 1),
            Piece::Insert(1),
            Piece::Keep(3, 7),
            Piece::Insert(0),
            Piece::Keep(9, 10),
        ]
    );
    let plan = plan_strip(5, &[(0, 2), (1, 3), (4, 5)], &[(3, 4)]).unwrap();
    assert_eq!(plan.pieces(5), vec![Piece::Keep(3, 4)]);
    assert_eq!(plan.spans, vec![Some((0, 1))]);
    assert_eq!(plan_splice(0, &[], &[]).unwrap().pieces(0), vec![]);
}

#[test]
fn no_edits_is_identity() {
    let (out, mapped) = sp("héllo", &[], &[(1, 3), (5, 5)]);
    assert_eq!(out, "héllo");
    assert_eq!(mapped, vec![Some((1, 3)), Some((5, 5))]);
}
