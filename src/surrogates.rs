//! Lone surrogates: text a Python `str` can hold but UTF-8 cannot.
//!
//! Python encodes such a `str` with the `surrogatepass` error handler into "generalized
//! UTF-8": each surrogate code point U+D800..U+DFFF becomes the three bytes `ED A0..BF 80..BF`.
//! [`from_wtf8`] turns those bytes into valid UTF-8 by writing U+FFFD (also three bytes, also
//! one code point) in place of each surrogate, and records which surrogate stood where. Byte
//! lengths and code-point offsets are therefore unchanged, so everything the core computes on
//! the replaced text (spans, remapped ranges) indexes the original Python `str` exactly.
//! [`to_wtf8`] puts the recorded surrogates back into a text for Python to decode.
//!
//! ```
//! use _native::surrogates::{from_wtf8, to_wtf8};
//! let wtf8 = b"a\xED\xA0\xBD<b>".to_vec(); // "a\ud83d<b>" encoded with surrogatepass
//! let lossless = from_wtf8(wtf8.clone()).unwrap();
//! assert_eq!(lossless.text, "a\u{FFFD}<b>");
//! assert_eq!(lossless.surrogates, vec![(1, 0xD83D)]);
//! assert_eq!(to_wtf8(&lossless.text, &lossless.surrogates), wtf8);
//! ```

use std::fmt;

/// UTF-8 of U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: [u8; 3] = [0xEF, 0xBF, 0xBD];

/// A text with its lone surrogates replaced by U+FFFD, and where they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lossless {
    /// The text, valid UTF-8, of the same byte length and code-point count as the input.
    pub text: String,
    /// `(code-point offset, surrogate)` of each replaced surrogate, in increasing order.
    pub surrogates: Vec<(usize, u16)>,
}

/// The bytes were not UTF-8 even after replacing encoded surrogates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidWtf8 {
    /// Byte offset of the first invalid byte.
    pub at: usize,
}

impl fmt::Display for InvalidWtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid UTF-8 at byte {}", self.at)
    }
}

impl std::error::Error for InvalidWtf8 {}

/// Whether `bytes` starts with an encoded surrogate (`ED A0..BF 80..BF`).
fn surrogate_at(bytes: &[u8]) -> Option<u16> {
    match *bytes {
        [0xED, b1 @ 0xA0..=0xBF, b2 @ 0x80..=0xBF, ..] => {
            Some(0xD000 | (u16::from(b1 & 0x3F) << 6) | u16::from(b2 & 0x3F))
        }
        _ => None,
    }
}

/// Replace each encoded surrogate in `bytes` by U+FFFD (in place) and return valid UTF-8.
///
/// Linear in the input; the common case (no `0xED` byte at all) is one `memchr` pass.
pub fn from_wtf8(mut bytes: Vec<u8>) -> Result<Lossless, InvalidWtf8> {
    let mut surrogates = Vec::new();
    let mut chars = 0;
    let mut counted = 0;
    let mut from = 0;
    while let Some(i) = memchr::memchr(0xED, &bytes[from..]).map(|i| from + i) {
        if let Some(unit) = surrogate_at(&bytes[i..]) {
            chars += crate::offsets::char_count(&bytes[counted..i]);
            counted = i;
            surrogates.push((chars, unit));
            bytes[i..i + 3].copy_from_slice(&REPLACEMENT);
            from = i + 3;
        } else {
            from = i + 1;
        }
    }
    String::from_utf8(bytes)
        .map(|text| Lossless { text, surrogates })
        .map_err(|e| InvalidWtf8 {
            at: e.utf8_error().valid_up_to(),
        })
}

/// `text` with the U+FFFD at each recorded code-point offset turned back into its surrogate
/// (encoded as Python's `surrogatepass` reads it). Offsets past the end or not holding
/// U+FFFD are ignored.
pub fn to_wtf8(text: &str, surrogates: &[(usize, u16)]) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    let mut wanted = surrogates.iter().peekable();
    for (ch, (byte, c)) in text.char_indices().enumerate() {
        let Some(&&(at, unit)) = wanted.peek() else {
            break;
        };
        if ch < at {
            continue;
        }
        wanted.next();
        if ch == at && c == '\u{FFFD}' {
            out[byte] = 0xED;
            out[byte + 1] = 0x80 | ((unit >> 6) & 0x3F) as u8;
            out[byte + 2] = 0x80 | (unit & 0x3F) as u8;
        }
    }
    out
}

/// The recorded surrogates within code points `start..end`, shifted to start at 0.
pub fn within(surrogates: &[(usize, u16)], start: usize, end: usize) -> Vec<(usize, u16)> {
    let from = surrogates.partition_point(|&(at, _)| at < start);
    let to = surrogates.partition_point(|&(at, _)| at < end);
    surrogates[from..to]
        .iter()
        .map(|&(at, unit)| (at - start, unit))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(units: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &u in units {
            if (0xD800..=0xDFFF).contains(&u) {
                out.extend([
                    0xE0 | (u >> 12) as u8,
                    0x80 | ((u >> 6) & 0x3F) as u8,
                    0x80 | (u & 0x3F) as u8,
                ]);
            } else {
                let c = char::from_u32(u).unwrap();
                let mut buf = [0; 4];
                out.extend(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        out
    }

    #[test]
    fn every_surrogate_round_trips() {
        for unit in 0xD800..=0xDFFFu32 {
            let bytes = encode(&[0x61, unit, 0xE9, unit, 0x1F600]);
            let l = from_wtf8(bytes.clone()).unwrap();
            assert_eq!(l.text, "a\u{FFFD}é\u{FFFD}😀");
            assert_eq!(l.surrogates, vec![(1, unit as u16), (3, unit as u16)]);
            assert_eq!(to_wtf8(&l.text, &l.surrogates), bytes);
        }
    }

    #[test]
    fn plain_text_and_real_replacement_characters_are_kept() {
        let l = from_wtf8("héllo \u{FFFD} \u{D7FF}\u{E000}".as_bytes().to_vec()).unwrap();
        assert!(l.surrogates.is_empty());
        assert_eq!(to_wtf8(&l.text, &[(99, 0xD800)]), l.text.as_bytes());
        // A recorded offset that holds something else is left alone.
        assert_eq!(to_wtf8("ab", &[(1, 0xD800)]), b"ab");
    }

    #[test]
    fn invalid_bytes_are_reported() {
        assert_eq!(from_wtf8(vec![b'a', 0xFF]).unwrap_err().at, 1);
        assert_eq!(from_wtf8(vec![0xED, 0x9F]).unwrap_err().at, 0);
    }

    #[test]
    fn within_selects_and_shifts() {
        let s = [(1, 0xD800), (4, 0xDC00), (9, 0xDBFF)];
        assert_eq!(within(&s, 2, 9), vec![(2, 0xDC00)]);
        assert_eq!(within(&s, 0, 10).len(), 3);
        assert!(within(&s, 5, 5).is_empty());
    }
}
