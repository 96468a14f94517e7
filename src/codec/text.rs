//! Character data: entity decoding, line-end and attribute-value normalisation, escaping.

use std::borrow::Cow;

/// Append `raw` to `out` with XML line ends normalised (`\r\n` and lone `\r` become `\n`),
/// and, for attribute values (`attribute` true), tabs and line ends turned into spaces.
/// The five XML entities and numeric character references are decoded; any other `&`
/// (bare, unknown entity, invalid reference) is kept as written.
pub(crate) fn decode_into(out: &mut String, raw: &str, attribute: bool) {
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut plain = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'&' => {
                if let Some((decoded, used)) = entity(&raw[i..]) {
                    out.push_str(&raw[plain..i]);
                    out.push(decoded);
                    i += used;
                    plain = i;
                    continue;
                }
            }
            b'\r' => {
                out.push_str(&raw[plain..i]);
                out.push(if attribute { ' ' } else { '\n' });
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                i += 1;
                plain = i;
                continue;
            }
            b'\n' | b'\t' if attribute => {
                out.push_str(&raw[plain..i]);
                out.push(' ');
                i += 1;
                plain = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&raw[plain..]);
}

/// Append CDATA content (no entity decoding, line ends normalised).
pub(crate) fn cdata_into(out: &mut String, raw: &str) {
    if raw.contains('\r') {
        out.push_str(&raw.replace("\r\n", "\n").replace('\r', "\n"));
    } else {
        out.push_str(raw);
    }
}

/// The character an entity or character reference at the start of `s` stands for, and its
/// length in bytes; `None` when `s` does not start with one this codec decodes.
///
/// A reference is `&#` decimal digits `;` or `&#x` hexadecimal digits `;` (any number of
/// leading zeros, nothing else: no sign, no space), naming a character XML allows.
fn entity(s: &str) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    let Some(rest) = bytes.strip_prefix(b"&#") else {
        let end = bytes.iter().take(6).position(|&b| b == b';')?;
        let decoded = match &s[1..end] {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => return None,
        };
        return Some((decoded, end + 1));
    };
    let (digits, radix, skipped) = match rest.strip_prefix(b"x") {
        Some(hex) => (hex, 16, 3),
        None => (rest, 10, 2),
    };
    let count = digits
        .iter()
        .take_while(|b| char::from(**b).is_digit(radix))
        .count();
    if count == 0 || digits.get(count) != Some(&b';') {
        return None;
    }
    let mut code: u32 = 0;
    for &digit in &digits[..count] {
        let value = char::from(digit).to_digit(radix)?;
        // Past U+10FFFF it names no character; stop before the arithmetic can overflow.
        code = code.checked_mul(radix)?.checked_add(value)?;
        if code > 0x10_FFFF {
            return None;
        }
    }
    let c = char::from_u32(code).filter(|&c| is_xml_char(c))?;
    Some((c, skipped + count + 1))
}

/// Characters XML 1.0 allows in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether a line of `text` starts with a space or a tab (the text's start, or just after a
/// `\n`): when none does, `textwrap.dedent` returns the text unchanged.
pub fn has_indented_line(text: &str) -> bool {
    let bytes = text.as_bytes();
    let indent = |at: usize| matches!(bytes.get(at), Some(b' ' | b'\t'));
    indent(0) || memchr::memchr_iter(b'\n', bytes).any(|at| indent(at + 1))
}

/// `text` with `&`, `<` and `>` escaped (element content, as `ElementTree` writes it), and
/// `\r` written `&#13;`: `ElementTree` writes it raw, and every XML parser reads a raw `\r`
/// (or `\r\n`) back as `\n`, so the value did not survive its own XML.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    escaped(text, false)
}

/// `text` with `&`, `<`, `>`, `"`, `\n`, `\r` and `\t` escaped (an attribute value in double
/// quotes, as `ElementTree` writes it).
pub fn escape_attribute(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

fn escaped(text: &str, attribute: bool) -> Cow<'_, str> {
    if next_special(text.as_bytes(), attribute).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    escape_into(&mut out, text, attribute);
    Cow::Owned(out)
}

/// Bytes an attribute value escapes besides `&`, `<` and `>`.
const ATTRIBUTE_ONLY: [u8; 4] = [b'"', b'\n', b'\r', b'\t'];

/// Offset of the first byte of `bytes` that [`escape_into`] replaces.
fn next_special(bytes: &[u8], attribute: bool) -> Option<usize> {
    if attribute {
        bytes
            .iter()
            .position(|&b| matches!(b, b'&' | b'<' | b'>') || ATTRIBUTE_ONLY.contains(&b))
    } else {
        let markup = memchr::memchr3(b'&', b'<', b'>', bytes);
        // `\r` is rare: one more pass, only up to the first markup byte.
        let limit = markup.unwrap_or(bytes.len());
        memchr::memchr(b'\r', &bytes[..limit]).or(markup)
    }
}

/// Append `text` to `buf`, escaped as [`escape_text`] (`attribute` false) or
/// [`escape_attribute`] (true) escape it: runs without a special byte are copied whole.
pub fn escape_into(buf: &mut String, text: &str, attribute: bool) {
    let bytes = text.as_bytes();
    let mut kept = 0;
    while let Some(offset) = next_special(&bytes[kept..], attribute) {
        let at = kept + offset;
        // Every special byte is ASCII, so `at` and `at + 1` are character boundaries.
        buf.push_str(&text[kept..at]);
        buf.push_str(match bytes[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\n' => "&#10;",
            b'\r' => "&#13;",
            _ => "&#09;",
        });
        kept = at + 1;
    }
    buf.push_str(&text[kept..]);
}

/// The decimal digits of an `i64` (as `str(int)` writes them), kept inline.
pub struct Digits {
    buf: [u8; 20],
    len: usize,
}

impl Digits {
    /// The digits of `n`.
    pub fn of(n: i64) -> Self {
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        let mut rest = n.unsigned_abs();
        loop {
            at -= 1;
            // `rest % 10` is below 10, so the cast keeps it whole.
            buf[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if n < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        buf.copy_within(at.., 0);
        Self {
            buf,
            len: buf.len() - at,
        }
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and `-` are written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}
