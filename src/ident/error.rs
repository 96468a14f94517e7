//! Errors of connection-string parsing and of building an [`Identifier`](super::Identifier).
//!
//! Messages say what was expected and where, and never contain a value: any value may be an
//! api key. A parameter *name* is shown only when it looks like one (at most 32 characters
//! of lowercase letters, `_`, `.` and `-`), so a secret pasted without `key=` (random
//! mixed-case letters and digits) is not echoed.

use std::fmt;

pub use super::value::OutOfRange;

/// What went wrong while parsing a connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentErrorKind {
    /// The model name is empty (`""`, `p!`, `,k=v`).
    EmptyModel,
    /// The text before `!` is not `[A-Za-z0-9_-]+`.
    InvalidProvider,
    /// A second `!` before the first `,` (a model containing `!` must be quoted).
    ExtraBang,
    /// A `,` with nothing after it.
    TrailingComma,
    /// Two `,` with nothing between them.
    EmptyParam,
    /// A parameter does not start with a name (`[A-Za-z_][A-Za-z0-9_.-]*`).
    ExpectedKey,
    /// A parameter name is not followed by `=`; holds the name when it is safe to show.
    ExpectedEquals(Option<String>),
    /// A `"` is never closed.
    UnterminatedQuote(Quoted),
    /// A backslash inside quotes is followed by something other than `"` or `\`.
    InvalidEscape,
    /// Something other than a separator follows a closing `"`.
    ExpectedSeparator(Quoted),
    /// A bare number does not fit its type; holds the parameter name when it is safe to show.
    OutOfRange(Option<String>, OutOfRange),
}

/// Which kind of quoted token an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoted {
    /// The model name.
    Model,
    /// A parameter value or a list element.
    Value,
}

/// A connection string could not be parsed; `position` is a code-point index into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentError {
    /// What went wrong.
    pub kind: IdentErrorKind,
    /// Where, in code points from the start of the connection string.
    pub position: usize,
}

/// `name` when it looks like a parameter name (at most 32 lowercase letters, `_`, `.` or
/// `-`), so it is safe to show; `None` when it might be a pasted secret.
pub fn display_name(name: &str) -> Option<&str> {
    let safe = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'.' | b'-'));
    safe.then_some(name)
}

impl IdentErrorKind {
    /// `ExpectedEquals` for `key`, hiding names that might be secrets.
    pub(crate) fn expected_equals(key: &str) -> Self {
        Self::ExpectedEquals(display_name(key).map(str::to_owned))
    }

    /// `OutOfRange` for the value of `key`, hiding names that might be secrets.
    pub(crate) fn out_of_range(key: &str, range: OutOfRange) -> Self {
        Self::OutOfRange(display_name(key).map(str::to_owned), range)
    }
}

impl fmt::Display for IdentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.position;
        match &self.kind {
            IdentErrorKind::EmptyModel => write!(f, "empty model name at position {at}"),
            IdentErrorKind::InvalidProvider => write!(
                f,
                "invalid provider name at position {at} (expected letters, digits, '_' or '-' \
                 before '!')"
            ),
            IdentErrorKind::ExtraBang => write!(
                f,
                "unexpected second '!' at position {at} (only one '!' may separate the provider; \
                 quote a model name that contains '!')"
            ),
            IdentErrorKind::TrailingComma => {
                write!(
                    f,
                    "trailing ',' at position {at} (expected key=value after it)"
                )
            }
            IdentErrorKind::EmptyParam => write!(
                f,
                "empty parameter after ',' at position {at} (expected key=value before the next \
                 ',')"
            ),
            IdentErrorKind::ExpectedKey => write!(
                f,
                "expected a parameter name at position {at} (a letter or '_', then letters, \
                 digits, '_', '.' or '-')"
            ),
            IdentErrorKind::ExpectedEquals(Some(key)) => {
                write!(f, "expected '=' after key '{key}' at position {at}")
            }
            IdentErrorKind::ExpectedEquals(None) => {
                write!(f, "expected '=' after the parameter name at position {at}")
            }
            IdentErrorKind::UnterminatedQuote(what) => {
                write!(f, "unterminated quoted {what} starting at position {at}")
            }
            IdentErrorKind::InvalidEscape => write!(
                f,
                "invalid escape at position {at} (only \\\" and \\\\ may follow a backslash \
                 inside quotes)"
            ),
            IdentErrorKind::ExpectedSeparator(Quoted::Model) => {
                write!(
                    f,
                    "expected ',' after the quoted model name at position {at}"
                )
            }
            IdentErrorKind::ExpectedSeparator(Quoted::Value) => {
                write!(
                    f,
                    "expected ',' or ';' after the quoted value at position {at}"
                )
            }
            IdentErrorKind::OutOfRange(name, range) => {
                match name {
                    Some(name) => write!(f, "value of parameter '{name}' at position {at}")?,
                    None => write!(f, "value of a parameter at position {at}")?,
                }
                match range {
                    OutOfRange::Integer => f.write_str(" does not fit in a 64-bit integer")?,
                    OutOfRange::Float => f.write_str(" is too large for a 64-bit float")?,
                }
                f.write_str(" (quote it to pass it as a string)")
            }
        }
    }
}

impl fmt::Display for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Model => "model name",
            Self::Value => "value",
        })
    }
}

impl std::error::Error for IdentError {}

/// A field given to [`Identifier::new`](super::Identifier::new) cannot be written as a
/// connection string. Messages name the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// The provider is not `[A-Za-z0-9_-]+`.
    InvalidProvider,
    /// The model name is empty.
    EmptyModel,
    /// A parameter name is not `[A-Za-z_][A-Za-z0-9_.-]*` (its index in the parameters).
    InvalidKey(usize),
    /// `api_key` was given as a parameter instead of the `api_key` field.
    ApiKeyParam,
    /// Two parameters share a name (the index of the second).
    DuplicateKey(usize),
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidProvider => f.write_str(
                "invalid provider name (expected one or more letters, digits, '_' or '-')",
            ),
            Self::EmptyModel => f.write_str("empty model name"),
            Self::InvalidKey(i) => write!(
                f,
                "invalid name for parameter {i} (expected a letter or '_', then letters, \
                 digits, '_', '.' or '-')"
            ),
            Self::ApiKeyParam => {
                f.write_str("'api_key' is not a parameter; pass it as the api_key field")
            }
            Self::DuplicateKey(i) => write!(f, "parameter {i} repeats an earlier name"),
        }
    }
}

impl std::error::Error for FieldError {}
