//! Unit tests of the byte and code-point offset converters (kept beside them to hold
//! `offsets.rs` to its size budget).

use super::*;

#[test]
fn bytes_of_answers_any_order_as_char_indices() {
    let text = "a\u{e9}\u{1f600}b\u{4e2d}";
    let mut at: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    at.push(text.len());
    let queries = [3, 0, 5, 1, 4, 2, 2, 6, 9];
    let expected: Vec<_> = queries.iter().map(|&q| at.get(q).copied()).collect();
    assert_eq!(bytes_of(text, &queries), expected);
    assert_eq!(bytes_of("abc", &[3, 0, 4]), vec![Some(3), Some(0), None]);
    assert_eq!(bytes_of("", &[]), Vec::<Option<usize>>::new());
}

#[test]
fn chars_of_inverts_bytes_of_on_random_texts() {
    // A fixed xorshift: texts of mixed widths (and some ASCII), short and long (many 64-byte
    // blocks), queried at random character boundaries in random order, repeats and the end
    // included.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let alphabet = [
        'a',
        '<',
        ' ',
        'é',
        '東',
        '😀',
        '\u{10348}',
        '\u{7ff}',
        '\u{800}',
    ];
    for round in 0..60 {
        let len = if round % 3 == 0 {
            5_000 + next(3_000)
        } else {
            next(300)
        };
        let ascii = round % 10 == 9;
        let text: String = (0..len)
            .map(|_| alphabet[next(if ascii { 3 } else { alphabet.len() })])
            .collect();
        let count = text.chars().count();
        let chars: Vec<usize> = (0..next(200)).map(|_| next(count + 1)).collect();
        let mut offsets: Vec<usize> = bytes_of(&text, &chars)
            .into_iter()
            .map(Option::unwrap)
            .collect();
        chars_of(text.as_bytes(), &mut offsets);
        assert_eq!(offsets, chars, "round {round}");
    }
    let mut past = [0, 99];
    chars_of("é".as_bytes(), &mut past);
    assert_eq!(past, [0, 1]);
    let mut none: [usize; 0] = [];
    chars_of(b"", &mut none);
}

#[test]
fn utf8_width_is_the_encoded_length() {
    for c in [
        'a',
        '\u{7f}',
        'é',
        '\u{7ff}',
        '€',
        '\u{fffd}',
        '😀',
        '\u{10ffff}',
    ] {
        let mut buf = [0; 4];
        let encoded = c.encode_utf8(&mut buf);
        assert_eq!(utf8_width(encoded.as_bytes()[0]), c.len_utf8(), "{c:?}");
    }
}

#[test]
fn counts_code_points_not_bytes() {
    assert_eq!(char_count("a😀é".as_bytes()), 3);
    // A slice cut inside a character still counts the character once.
    let bytes = "😀😀".as_bytes();
    assert_eq!(char_count(&bytes[..2]) + char_count(&bytes[2..]), 2);
}

#[test]
fn byte_to_char_matches_char_indices() {
    let text = "a😀b é\u{10348}z";
    let mut conv = ByteToChar::new(text.as_bytes());
    for (ci, (bi, _)) in text.char_indices().enumerate() {
        assert_eq!(conv.char_at(bi), ci);
    }
    assert_eq!(conv.char_at(text.len()), text.chars().count());
    assert_eq!(conv.char_at(0), 0, "a backwards query restarts");
}

#[test]
fn byte_to_char_with_a_block_table() {
    // Long enough for the table, with a tail after the last whole block.
    let text = "aé😀 東京 xyz ".repeat(400) + "tail é";
    assert!(text.len() >= TABLE_MIN && text.len() % BLOCK != 0);
    let starts: Vec<(usize, usize)> = text
        .char_indices()
        .enumerate()
        .map(|(ci, (bi, _))| (bi, ci))
        .chain([(text.len(), text.chars().count())])
        .collect();
    let mut conv = ByteToChar::new(text.as_bytes());
    assert!(conv.tabled);
    for &(bi, ci) in &starts {
        assert_eq!(conv.char_at(bi), ci, "byte {bi}");
    }
    // Any order works with the table, the tail included.
    for &(bi, ci) in starts.iter().rev().step_by(7) {
        assert_eq!(conv.char_at(bi), ci, "byte {bi} (backwards)");
    }
    // Inside a character: the count of character starts before that byte.
    let cut = text.find('😀').unwrap() + 2;
    assert_eq!(conv.char_at(cut), char_count(&text.as_bytes()[..cut]));
}

#[test]
fn skip_chars_matches_char_indices() {
    let text = "aé🦀x".repeat(40);
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    for n in 0..=starts.len() + 2 {
        let expected = starts.get(n).copied().unwrap_or(text.len());
        assert_eq!(skip_chars(text.as_bytes(), n), expected, "n = {n}");
    }
    assert_eq!(skip_chars(b"", 0), 0);
}

#[test]
fn char_count_matches_chars_at_every_length() {
    let text = "a😀é東".repeat(40);
    for end in 0..=text.len() {
        let bytes = &text.as_bytes()[..end];
        let expected = bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
        assert_eq!(char_count(bytes), expected, "length {end}");
    }
}

#[test]
fn char_to_byte_matches_char_indices() {
    let text = "x😀yé";
    let mut conv = CharToByte::new(text);
    for (ci, (bi, _)) in text.char_indices().enumerate() {
        assert_eq!(conv.byte_at(ci), Some(bi));
    }
    assert_eq!(conv.byte_at(4), Some(text.len()));
    assert_eq!(conv.byte_at(5), None);
    assert_eq!(conv.byte_at(1), Some(1));
}

#[test]
fn char_to_byte_skips_blocks_exactly() {
    // Several 64-byte blocks of mixed widths, queried at every stride and past the end.
    let text = "ab😀 é東京 xyz\u{10348}".repeat(50);
    let starts: Vec<usize> = text
        .char_indices()
        .map(|(bi, _)| bi)
        .chain([text.len()])
        .collect();
    for stride in [1, 3, 17, 64, 200] {
        let mut conv = CharToByte::new(&text);
        for (ci, &bi) in starts.iter().enumerate().step_by(stride) {
            assert_eq!(conv.byte_at(ci), Some(bi), "char {ci}, stride {stride}");
        }
        assert_eq!(conv.byte_at(starts.len()), None);
        assert_eq!(conv.byte_at(starts.len() + 9), None);
        assert_eq!(conv.byte_at(starts.len() - 1), Some(text.len()));
        assert_eq!(
            conv.byte_at(7),
            Some(starts[7]),
            "a backwards query restarts"
        );
    }
}

#[test]
fn ascii_shortcut() {
    let mut conv = ByteToChar::new(b"hello");
    assert_eq!(conv.char_at(3), 3);
    assert_eq!(conv.char_at(99), 5);
    let mut back = CharToByte::new("hello");
    assert_eq!(back.byte_at(5), Some(5));
    assert_eq!(back.byte_at(6), None);
}
