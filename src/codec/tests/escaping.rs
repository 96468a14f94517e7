//! The text helpers: escaping, character and entity references, indented lines, digits.

use super::*;

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
