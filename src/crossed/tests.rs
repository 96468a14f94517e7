//! Unit tests of which parts an element crosses (kept beside them to hold `crossed.rs` to
//! its size budget).

use super::*;

/// Every range crossed by some element of the text, the slow way: every pair of tags of
/// one name the scanner pairs, compared with every range.
fn crossed_slowly(text: &str, spans: &[(usize, usize)]) -> Vec<bool> {
    let names: HashSet<&str> = text
        .split('<')
        .skip(1)
        .map(|rest| rest.trim_start_matches('/'))
        .map(|rest| {
            &rest[..rest
                .bytes()
                .take_while(|&b| crate::scan::is_name_byte(b))
                .count()]
        })
        .filter(|name| !name.is_empty())
        .collect();
    let Ok(tags) = TagSet::new(names) else {
        return vec![false; spans.len()];
    };
    let elements = scan(text, &tags, Incomplete::Drop);
    spans
        .iter()
        .map(|&(s, e)| {
            elements.iter().any(|x| {
                (x.start < s && s < x.end && x.end < e) || (s < x.start && x.start < e && e < x.end)
            })
        })
        .collect()
}

#[test]
fn a_part_holding_a_tag_of_an_element_crossing_it_is_crossed() {
    let text = "x <answer>a <f>b</answer> c</f> y";
    assert_eq!(crossed(text, true, &[(2, 25)]), vec![true]);
    assert_eq!(crossed(text, true, &[(12, 31)]), vec![true]);
    // Nested and disjoint elements, stray tags that pair with nothing: not crossed.
    let text = "<g>a <b>x</b> <br> c</g> <i>y</i> </q>";
    assert_eq!(
        crossed(text, true, &[(0, 24), (25, 33)]),
        vec![false, false]
    );
    // A stray start inside, its end tag after: crossed, as is a stray end inside.
    let text = "<g>a <br> c</g> </br>";
    assert_eq!(crossed(text, true, &[(0, 15)]), vec![true]);
    let text = "<br> <g>a </br> c</g>";
    assert_eq!(crossed(text, true, &[(5, 21)]), vec![true]);
}

#[test]
fn opaque_sections_and_instructions_are_read_as_the_scanner_reads_them() {
    // A tag in a comment or CDATA section is no tag; in an instruction it is one.
    let text = "<g><!-- </a> --><![CDATA[</a>]]></g></a>";
    assert_eq!(crossed(text, true, &[(0, 36)]), vec![false]);
    let text = "<a><g><? </a> ?></g>";
    assert_eq!(crossed(text, true, &[(3, 20)]), vec![true]);
}

#[test]
fn code_points_are_not_bytes() {
    let text = "é <answer>ü <f>b</answer> c</f>";
    assert_eq!(crossed(text, false, &[(2, 25)]), vec![true]);
    assert_eq!(crossed(text, false, &[(2, 25), (40, 41)]), vec![true, true]);
}

/// `crossed` against `crossed_slowly` for every element of `a` in `text`; how many.
fn compare(text: &str) -> usize {
    let a = TagSet::new(["a"]).unwrap();
    let elements = scan(text, &a, Incomplete::Drop);
    for element in &elements {
        let spans = [(element.start, element.end)];
        assert_eq!(
            crossed(text, text.is_ascii(), &spans),
            crossed_slowly(text, &spans),
            "{text:?} {spans:?}"
        );
    }
    elements.len()
}

#[test]
fn several_parts_at_once_and_many_names_match_the_slow_check() {
    // Pieces with 24 names (past `FEW_NAMES`, so both ways are taken) and several
    // disjoint parts asked at once.
    let names: Vec<String> = (0..24).map(|i| format!("n{i}")).collect();
    let mut state: u64 = 99;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).unwrap_or(0) % bound
    };
    let a = TagSet::new(["a"]).unwrap();
    let mut checked = 0;
    for round in 0..4_000 {
        let few = if round % 2 == 0 { 3 } else { names.len() };
        let len = 4 + next(20);
        let text: String = (0..len)
            .map(|_| match next(6) {
                0 => "<a>".to_owned(),
                1 => "</a>".to_owned(),
                2 => format!("<{}>", names[next(few)]),
                3 => format!("</{}>", names[next(few)]),
                4 => "<a><br></a>".to_owned(),
                _ => "x".to_owned(),
            })
            .collect();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for element in scan(&text, &a, Incomplete::Drop) {
            let span = (element.start, element.end);
            if spans.iter().all(|&(s, e)| span.1 <= s || e <= span.0) {
                spans.push(span);
            }
        }
        assert_eq!(
            crossed(&text, true, &spans),
            crossed_slowly(&text, &spans),
            "{text:?} {spans:?}"
        );
        checked += spans.len();
    }
    assert!(checked > 4_000, "{checked}");
}

#[test]
fn matches_a_slow_check_on_every_small_text() {
    // Every text of up to 6 pieces of this alphabet; the parts are the elements of `a`.
    let pieces = ["<a>", "</a>", "<b>", "</b>", "x", "<!--", "-->", "<a/>"];
    let mut checked = 0;
    for n in 1..=6u32 {
        for code in 0..pieces.len().pow(n) {
            let text: String = (0..n)
                .map(|d| pieces[code / pieces.len().pow(d) % pieces.len()])
                .collect();
            checked += compare(&text);
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn matches_a_slow_check_on_random_texts() {
    // Longer texts of a richer alphabet, drawn by a fixed linear congruential generator.
    let pieces = [
        "<a>",
        "</a>",
        "<a x='>'>",
        "<b>",
        "</b >",
        "<b\n/>",
        "<1>",
        "</1>",
        "x",
        "é",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<?",
        "?>",
        "<",
        "</",
        "<a x=\"<\">",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).unwrap_or(0) % bound
    };
    let mut checked = 0;
    for _ in 0..30_000 {
        let len = 2 + next(14);
        let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
        checked += compare(&text);
    }
    assert!(checked > 2_000, "{checked}");
}
