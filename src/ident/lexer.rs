//! A cursor over a connection string: bare and quoted tokens, names, and positioned errors.
//!
//! The cursor works on UTF-8 bytes (every delimiter is ASCII, so slices always fall on
//! character boundaries) and converts a byte offset to code points only when it reports an
//! error. Whitespace around bare tokens is Unicode whitespace, as in [`str::trim`].

use super::error::{IdentError, IdentErrorKind, Quoted};
use crate::offsets::char_count;

/// Reading position in a connection string.
pub(crate) struct Cursor<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self { src, pos: 0 }
    }

    /// The next byte, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    /// Byte offset of the cursor.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Step over one ASCII byte (only after `peek` saw it).
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Skip whitespace.
    pub(crate) fn skip_ws(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// An error of `kind` at byte offset `at`, reported in code points.
    #[cold]
    pub(crate) fn error(&self, kind: IdentErrorKind, at: usize) -> IdentError {
        let position = char_count(&self.src.as_bytes()[..at]);
        IdentError { kind, position }
    }

    /// A bare token: everything up to the first byte in `stops` (or the end), trimmed.
    /// Returns the token and the byte offset where it (untrimmed) started.
    pub(crate) fn bare(&mut self, stops: &[u8]) -> (&'a str, usize) {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let len = bytes[start..].iter().position(|b| stops.contains(b));
        self.pos = len.map_or(bytes.len(), |n| start + n);
        (self.src[start..self.pos].trim(), start)
    }

    /// A name `[A-Za-z_][A-Za-z0-9_.-]*` at the cursor, or `ExpectedKey`.
    pub(crate) fn key(&mut self) -> Result<&'a str, IdentError> {
        let start = self.pos;
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
            _ => return Err(self.error(IdentErrorKind::ExpectedKey, start)),
        }
        let bytes = self.src.as_bytes();
        let len = bytes[start..]
            .iter()
            .position(|&b| !is_key_byte(b))
            .unwrap_or(bytes.len() - start);
        self.pos = start + len;
        Ok(&self.src[start..self.pos])
    }

    /// A double-quoted token at the cursor (which is on `"`), with `\"` and `\\` unescaped.
    pub(crate) fn quoted(&mut self, what: Quoted) -> Result<String, IdentError> {
        let open = self.pos;
        let bytes = self.src.as_bytes();
        let mut out = String::new();
        let mut run = open + 1;
        let mut i = run;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    out.push_str(&self.src[run..i]);
                    self.pos = i + 1;
                    return Ok(out);
                }
                b'\\' => {
                    if !matches!(bytes.get(i + 1), Some(b'"' | b'\\')) {
                        return Err(self.error(IdentErrorKind::InvalidEscape, i));
                    }
                    out.push_str(&self.src[run..i]);
                    run = i + 1; // keep the escaped byte as the start of the next run
                    i += 2;
                }
                _ => i += 1,
            }
        }
        Err(self.error(IdentErrorKind::UnterminatedQuote(what), open))
    }

    /// After a quoted token: skip whitespace, then require the end or one of `seps`.
    pub(crate) fn expect_sep(&mut self, seps: &[u8], what: Quoted) -> Result<(), IdentError> {
        self.skip_ws();
        match self.peek() {
            Some(b) if !seps.contains(&b) => {
                Err(self.error(IdentErrorKind::ExpectedSeparator(what), self.pos))
            }
            _ => Ok(()),
        }
    }
}

/// Whether `b` may appear in a parameter name after its first byte.
pub(crate) fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Whether `name` is a valid parameter name.
pub(crate) fn is_key(name: &str) -> bool {
    let bytes = name.as_bytes();
    matches!(bytes.first(), Some(b) if b.is_ascii_alphabetic() || *b == b'_')
        && bytes.iter().all(|&b| is_key_byte(b))
}

/// Whether `name` is a valid provider name (`[A-Za-z0-9_-]+`).
pub(crate) fn is_provider(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// `s` in double quotes, with `"` and `\` escaped.
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        if matches!(ch, '"' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_tokens_are_trimmed_and_stop_at_delimiters() {
        let mut c = Cursor::new("  a b ,x");
        assert_eq!(c.bare(b","), ("a b", 0));
        assert_eq!(c.peek(), Some(b','));
        let mut c = Cursor::new("tail");
        assert_eq!(c.bare(b",;"), ("tail", 0));
        assert_eq!(c.peek(), None);
    }

    #[test]
    fn quoted_tokens_unescape() {
        let mut c = Cursor::new(r#""a\"b\\c,d" rest"#);
        assert_eq!(c.quoted(Quoted::Value).unwrap(), r#"a"b\c,d"#);
        assert_eq!(c.pos(), 11);
    }

    #[test]
    fn quoted_errors_have_code_point_positions() {
        let mut c = Cursor::new("é\"abc");
        c.bump();
        c.bump();
        let err = c.quoted(Quoted::Value).unwrap_err();
        assert_eq!(err.position, 1);
        assert_eq!(
            err.to_string(),
            "unterminated quoted value starting at position 1"
        );
        let mut c = Cursor::new(r#""a\nb""#);
        let err = c.quoted(Quoted::Value).unwrap_err();
        assert_eq!((err.kind, err.position), (IdentErrorKind::InvalidEscape, 2));
    }

    #[test]
    fn names() {
        assert!(is_key("_a.b-c9"));
        assert!(!is_key("9a"));
        assert!(!is_key(""));
        assert!(is_provider("open-ai_2"));
        assert!(!is_provider("open ai"));
        assert!(!is_provider(""));
        let mut s = String::new();
        push_quoted(&mut s, r#"a"\"#);
        assert_eq!(s, r#""a\"\\""#);
    }
}
