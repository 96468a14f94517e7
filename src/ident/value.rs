//! Typed parameter values: how a bare token is typed, and how each value is written back.

use std::fmt::Write as _;

use super::lexer::push_quoted;

/// A parameter value of a connection string.
///
/// Bare tokens are typed: an integer is [`Value::Int`] (one that does not fit in `i64` is an
/// error, see [`type_bare`]); a decimal or exponent form, `inf` or `nan` is [`Value::Float`]; `true`/`false` in any case is [`Value::Bool`]; a token containing `;` is
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

/// A bare token that reads as a number but is out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfRange {
    /// Integer syntax that does not fit in `i64`.
    Integer,
    /// A finite decimal or exponent form that overflows `f64` (`1e999`).
    Float,
}

/// The typed value of one bare (unquoted, `;`-free, trimmed) token, or why a numeric token
/// cannot be one (its digits would otherwise be lost or turn into infinity).
pub fn type_bare(token: &str) -> Result<Value, OutOfRange> {
    if is_integer_syntax(token) {
        return token
            .parse()
            .map(Value::Int)
            .map_err(|_| OutOfRange::Integer);
    }
    if is_float_syntax(token) {
        if let Ok(f) = token.parse::<f64>() {
            let body = token.strip_prefix(['+', '-']).unwrap_or(token);
            let spelled_infinite =
                body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity");
            if f.is_infinite() && !spelled_infinite {
                return Err(OutOfRange::Float);
            }
            return Ok(Value::Float(f));
        }
    }
    if token.eq_ignore_ascii_case("true") {
        return Ok(Value::Bool(true));
    }
    if token.eq_ignore_ascii_case("false") {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Str(token.to_owned()))
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
            if s.is_empty() || element_needs_quotes(s) || !matches!(type_bare(s), Ok(Value::Str(_)))
            {
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
        let typed = |t: &str| type_bare(t).unwrap();
        assert_eq!(typed("10"), Value::Int(10));
        assert_eq!(typed("-7"), Value::Int(-7));
        assert_eq!(typed("-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(typed("0.5"), Value::Float(0.5));
        assert_eq!(typed("1e3"), Value::Float(1000.0));
        assert_eq!(typed("1e-999"), Value::Float(0.0));
        assert_eq!(typed("-inf"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(typed("+Infinity"), Value::Float(f64::INFINITY));
        assert_eq!(typed("NaN"), Value::Float(f64::NAN));
        assert_eq!(typed("TRUE"), Value::Bool(true));
        assert_eq!(typed("False"), Value::Bool(false));
        assert_eq!(typed("1.2.3"), Value::Str("1.2.3".into()));
        assert_eq!(typed("e5"), Value::Str("e5".into()));
        assert_eq!(typed("abc=="), Value::Str("abc==".into()));
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        assert_eq!(type_bare("99999999999999999999"), Err(OutOfRange::Integer));
        assert_eq!(type_bare("9223372036854775808"), Err(OutOfRange::Integer));
        assert_eq!(type_bare("-1e999"), Err(OutOfRange::Float));
        assert_eq!(type_bare("1.8e308"), Err(OutOfRange::Float));
        // As strings they are quoted, so they read back as strings.
        assert_eq!(
            written(&Value::Str("99999999999999999999".into())),
            r#""99999999999999999999""#
        );
        assert_eq!(written(&Value::Str("1e999".into())), r#""1e999""#);
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
