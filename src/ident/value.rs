//! Typed parameter values: how a bare token is typed, and how each value is written back.

use std::fmt::Write as _;

use super::lexer::push_quoted;

/// A parameter value of a connection string.
///
/// Bare tokens are typed: an integer that fits in `i64` is [`Value::Int`] (a longer one stays
/// a string, so no digits are lost); a decimal or exponent form, `inf` or `nan` is
/// [`Value::Float`]; `true`/`false` in any case is [`Value::Bool`]; a token containing `;` is
/// a [`Value::List`] of strings; anything else is [`Value::Str`]. Quoted values are always
/// strings.
///
/// Equality treats two NaN floats as equal, so a parsed value always equals its re-parse.
#[derive(Debug, Clone)]
pub enum Value {
    /// A 64-bit integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A string.
    Str(String),
    /// A `;`-separated list of strings.
    List(Vec<String>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => a == b,
            (Self::Float(a), Self::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::Str(a), Self::Str(b)) => a == b,
            (Self::List(a), Self::List(b)) => a == b,
            _ => false,
        }
    }
}

/// Whether `s` is an optional sign followed by ASCII digits.
fn is_integer_syntax(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` could be a float: digits with a `.` or exponent, or `inf`/`infinity`/`nan`.
fn is_float_syntax(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let special = ["inf", "infinity", "nan"]
        .iter()
        .any(|w| body.eq_ignore_ascii_case(w));
    special
        || (body.bytes().any(|b| b.is_ascii_digit())
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')))
}

/// The typed value of one bare (unquoted, `;`-free, trimmed) token.
pub fn type_bare(token: &str) -> Value {
    if is_integer_syntax(token) {
        return token
            .parse()
            .map_or_else(|_| Value::Str(token.to_owned()), Value::Int);
    }
    if is_float_syntax(token) {
        if let Ok(f) = token.parse::<f64>() {
            return Value::Float(f);
        }
    }
    if token.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if token.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    Value::Str(token.to_owned())
}

/// Whether a bare spelling of `s` would read back differently as a list element.
fn element_needs_quotes(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b',' | b';' | b'"' | b'\\'))
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
}

/// Write `value` as it appears after `key=`.
///
/// A one-element list has no spelling of its own (`x` reads back as a string, `x;` as two
/// elements); it is written as its element. An empty list is written as `""`.
pub fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // `{:?}` is the shortest spelling that reads back as the same float, and always has
        // a `.`, an exponent, `inf` or `NaN`, so it never reads back as an integer.
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Str(s) => {
            if s.is_empty() || element_needs_quotes(s) || !matches!(type_bare(s), Value::Str(_)) {
                push_quoted(out, s);
            } else {
                out.push_str(s);
            }
        }
        Value::List(items) if items.is_empty() => out.push_str("\"\""),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(';');
                }
                if element_needs_quotes(item) {
                    push_quoted(out, item);
                } else {
                    out.push_str(item);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(v: &Value) -> String {
        let mut s = String::new();
        push_value(&mut s, v);
        s
    }

    #[test]
    fn bare_tokens_are_typed() {
        assert_eq!(type_bare("10"), Value::Int(10));
        assert_eq!(type_bare("-7"), Value::Int(-7));
        assert_eq!(
            type_bare("99999999999999999999"),
            Value::Str("99999999999999999999".into())
        );
        assert_eq!(type_bare("0.5"), Value::Float(0.5));
        assert_eq!(type_bare("1e3"), Value::Float(1000.0));
        assert_eq!(type_bare("-inf"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(type_bare("NaN"), Value::Float(f64::NAN));
        assert_eq!(type_bare("TRUE"), Value::Bool(true));
        assert_eq!(type_bare("False"), Value::Bool(false));
        assert_eq!(type_bare("1.2.3"), Value::Str("1.2.3".into()));
        assert_eq!(type_bare("e5"), Value::Str("e5".into()));
        assert_eq!(type_bare("abc=="), Value::Str("abc==".into()));
    }

    #[test]
    fn values_are_written_to_read_back() {
        assert_eq!(written(&Value::Float(1.0)), "1.0");
        assert_eq!(written(&Value::Float(1e20)), "1e20");
        assert_eq!(written(&Value::Float(f64::NAN)), "NaN");
        assert_eq!(written(&Value::Str("10".into())), r#""10""#);
        assert_eq!(written(&Value::Str("true".into())), r#""true""#);
        assert_eq!(written(&Value::Str(String::new())), r#""""#);
        assert_eq!(written(&Value::Str(" x".into())), r#"" x""#);
        assert_eq!(written(&Value::Str("a,b".into())), r#""a,b""#);
        assert_eq!(written(&Value::Str("a=b!".into())), "a=b!");
        assert_eq!(
            written(&Value::List(vec!["a".into(), "b;c".into(), String::new()])),
            r#"a;"b;c";"#
        );
        assert_eq!(written(&Value::List(vec![])), r#""""#);
    }
}
