//! Generator connection strings: `[provider!]model[,key=value]*`.
//!
//! - The provider (`[A-Za-z0-9_-]+`) is optional; only a `!` before the first `,` separates it,
//!   and there may be only one.
//! - The model is everything up to the first unquoted `,`, or a double-quoted string.
//! - Keys are `[A-Za-z_][A-Za-z0-9_.-]*`. A value is bare (anything but `,`, trimmed; `=` and
//!   `!` are fine) or double-quoted with `\"` and `\\` escapes. A bare value containing `;` is
//!   a list whose elements may be quoted one by one. See [`Value`] for how bare values are
//!   typed.
//! - A repeated key keeps its first position and takes its last value.
//! - `api_key=…` goes to its own field, is never typed, and is never written back.
//! - Secrets are never written back either: [`Identifier::format`] leaves out every parameter
//!   whose name holds a secret ([`crate::redact::is_secret_name`]) and the user-info of URLs
//!   in values (`https://user:pw@host` is written `https://host`), and masks the values of
//!   secret names inside JSON values (`extra_headers`); `Debug` masks them all.
//!
//! [`Identifier::format`] writes a string that parses back to the same identifier (apart from
//! the api key and the secrets above), except for lists of fewer than two elements, which have no spelling of their
//! own (see [`value::push_value`]). Parsing is linear in the length of the string.
//!
//! ```
//! use _native::ident::{Identifier, Value};
//! let id = Identifier::parse("openai!gpt-4o, temperature=0.5,stop=a;b,api_key=sk-1")?;
//! assert_eq!(id.provider.as_deref(), Some("openai"));
//! assert_eq!(id.params[0], ("temperature".to_owned(), Value::Float(0.5)));
//! assert_eq!(id.api_key.as_deref(), Some("sk-1"));
//! assert_eq!(id.format(), "openai!gpt-4o,temperature=0.5,stop=a;b");
//! # Ok::<(), _native::ident::IdentError>(())
//! ```

pub mod error;
mod lexer;
pub mod value;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

pub use error::{FieldError, IdentError, IdentErrorKind, Quoted};
use lexer::{is_key, is_provider, push_quoted, Cursor};
pub use value::Value;

/// A parsed connection string.
#[derive(Clone, PartialEq)]
pub struct Identifier {
    /// The provider before `!`, if any (callers pick their default).
    pub provider: Option<String>,
    /// The model name.
    pub model: String,
    /// Parameters in order of first appearance.
    pub params: Vec<(String, Value)>,
    /// The api key, kept out of `params`, `Debug` and [`Identifier::format`].
    pub api_key: Option<String>,
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identifier")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("params", &self.redacted_params())
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Parameters with last-value-wins, first-position-kept updates in linear total time.
#[derive(Default)]
struct Params {
    list: Vec<(String, Value)>,
    /// Built once the list is long enough for a linear scan per key to matter.
    index: Option<HashMap<String, usize>>,
}

impl Params {
    const SCAN_LIMIT: usize = 16;

    fn set(&mut self, key: &str, value: Value) {
        let found = match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.list.iter().position(|(k, _)| k == key),
        };
        if let Some(i) = found {
            self.list[i].1 = value;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(key.to_owned(), self.list.len());
        }
        self.list.push((key.to_owned(), value));
        if self.index.is_none() && self.list.len() > Self::SCAN_LIMIT {
            let index = self
                .list
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i));
            self.index = Some(index.collect());
        }
    }
}

impl Identifier {
    /// An identifier from its parts, checked so that [`Identifier::format`] can write it.
    pub fn new(
        provider: Option<String>,
        model: String,
        params: Vec<(String, Value)>,
        api_key: Option<String>,
    ) -> Result<Self, FieldError> {
        if provider.as_deref().is_some_and(|p| !is_provider(p)) {
            return Err(FieldError::InvalidProvider);
        }
        if model.is_empty() {
            return Err(FieldError::EmptyModel);
        }
        let mut seen = std::collections::HashSet::with_capacity(params.len());
        for (i, (key, _)) in params.iter().enumerate() {
            if !is_key(key) {
                return Err(FieldError::InvalidKey(i));
            }
            if key == "api_key" {
                return Err(FieldError::ApiKeyParam);
            }
            if !seen.insert(key.as_str()) {
                return Err(FieldError::DuplicateKey(i));
            }
        }
        Ok(Self {
            provider,
            model,
            params,
            api_key,
        })
    }

    /// Parse a connection string.
    pub fn parse(text: &str) -> Result<Self, IdentError> {
        let mut c = Cursor::new(text);
        c.skip_ws();
        let (provider, model) = head(&mut c)?;
        let mut params = Params::default();
        let mut api_key = None;
        while c.peek() == Some(b',') {
            let comma = c.pos();
            c.bump();
            c.skip_ws();
            match c.peek() {
                None => return Err(c.error(IdentErrorKind::TrailingComma, comma)),
                Some(b',') => return Err(c.error(IdentErrorKind::EmptyParam, comma)),
                Some(_) => {}
            }
            let key = c.key()?;
            c.skip_ws();
            if c.peek() != Some(b'=') {
                return Err(c.error(IdentErrorKind::expected_equals(key), c.pos()));
            }
            c.bump();
            c.skip_ws();
            if key == "api_key" {
                api_key = Some(raw_value(&mut c)?);
            } else {
                params.set(key, typed_value(&mut c, key)?);
            }
        }
        Ok(Self {
            provider,
            model,
            params: params.list,
            api_key,
        })
    }

    /// The parameters with secret values masked as `***` (secret names, URL user-info).
    pub fn redacted_params(&self) -> Vec<(String, Value)> {
        self.params
            .iter()
            .map(|(key, value)| {
                let value = if crate::redact::is_secret_name(key) {
                    Value::Str(MASK.to_owned())
                } else {
                    without_userinfo(value, MASK).unwrap_or_else(|| value.clone())
                };
                (key.clone(), value)
            })
            .collect()
    }

    /// Write `provider!model,key=value,…` (never the api key nor another secret).
    pub fn format(&self) -> String {
        let mut out = String::with_capacity(self.model.len() + 16 * (self.params.len() + 1));
        if let Some(provider) = &self.provider {
            out.push_str(provider);
            out.push('!');
        }
        let m = &self.model;
        let plain = !m.bytes().any(|b| matches!(b, b',' | b'!' | b'"' | b'\\'))
            && !m.starts_with(char::is_whitespace)
            && !m.ends_with(char::is_whitespace);
        if plain {
            out.push_str(m);
        } else {
            push_quoted(&mut out, m);
        }
        for (key, value) in &self.params {
            if crate::redact::is_secret_name(key) {
                continue;
            }
            out.push(',');
            out.push_str(key);
            out.push('=');
            match without_userinfo(value, "") {
                Some(clean) => value::push_value(&mut out, &clean),
                None => value::push_value(&mut out, value),
            }
        }
        out
    }
}

/// What a masked secret is shown as.
pub const MASK: &str = "***";

/// `value` with the user-info of URLs in its strings replaced by `mask` (removed when empty)
/// and the values of secret names inside JSON text masked; `None` when nothing changes.
fn without_userinfo(value: &Value, mask: &str) -> Option<Value> {
    let clean = |s: &str| -> Option<String> {
        let json = crate::redact::mask_json_secrets(s);
        match (crate::redact::mask_userinfo(&json, mask), &json) {
            (Cow::Owned(done), _) => Some(done),
            (Cow::Borrowed(_), Cow::Owned(done)) => Some(done.clone()),
            (Cow::Borrowed(_), Cow::Borrowed(_)) => None,
        }
    };
    match value {
        Value::Str(s) => clean(s).map(Value::Str),
        Value::List(items) => {
            let cleaned: Vec<Option<String>> = items.iter().map(|s| clean(s)).collect();
            if cleaned.iter().all(Option::is_none) {
                return None;
            }
            let items = cleaned
                .into_iter()
                .zip(items)
                .map(|(c, s)| c.unwrap_or_else(|| s.clone()))
                .collect();
            Some(Value::List(items))
        }
        _ => None,
    }
}

/// `[provider!]model` up to the first unquoted `,` or the end.
fn head(c: &mut Cursor<'_>) -> Result<(Option<String>, String), IdentError> {
    let start = c.pos();
    if c.peek() == Some(b'"') {
        return Ok((None, quoted_model(c)?));
    }
    let (token, token_start) = c.bare(b",!");
    if c.peek() != Some(b'!') {
        return model_or_error(c, token, start).map(|m| (None, m));
    }
    if !is_provider(token) {
        return Err(c.error(IdentErrorKind::InvalidProvider, token_start));
    }
    c.bump();
    c.skip_ws();
    let model_start = c.pos();
    if c.peek() == Some(b'"') {
        return Ok((Some(token.to_owned()), quoted_model(c)?));
    }
    let (model, _) = c.bare(b",!");
    if c.peek() == Some(b'!') {
        return Err(c.error(IdentErrorKind::ExtraBang, c.pos()));
    }
    Ok((
        Some(token.to_owned()),
        model_or_error(c, model, model_start)?,
    ))
}

fn model_or_error(c: &Cursor<'_>, model: &str, start: usize) -> Result<String, IdentError> {
    if model.is_empty() {
        return Err(c.error(IdentErrorKind::EmptyModel, start));
    }
    Ok(model.to_owned())
}

fn quoted_model(c: &mut Cursor<'_>) -> Result<String, IdentError> {
    let start = c.pos();
    let model = c.quoted(Quoted::Model)?;
    c.expect_sep(b",", Quoted::Model)?;
    model_or_error(c, &model, start)
}

/// A value kept as written (for the api key): quoted, or bare up to `,`.
fn raw_value(c: &mut Cursor<'_>) -> Result<String, IdentError> {
    if c.peek() == Some(b'"') {
        let s = c.quoted(Quoted::Value)?;
        c.expect_sep(b",", Quoted::Value)?;
        return Ok(s);
    }
    Ok(c.bare(b",").0.to_owned())
}

/// A typed value: one bare or quoted token, or a `;`-separated list of them.
fn typed_value(c: &mut Cursor<'_>, key: &str) -> Result<Value, IdentError> {
    let mut items = Vec::new();
    loop {
        c.skip_ws();
        let start = c.pos();
        let (item, quoted) = if c.peek() == Some(b'"') {
            let s = c.quoted(Quoted::Value)?;
            c.expect_sep(b",;", Quoted::Value)?;
            (s, true)
        } else {
            (c.bare(b",;").0.to_owned(), false)
        };
        let more = c.peek() == Some(b';');
        if items.is_empty() && !more {
            if quoted {
                return Ok(Value::Str(item));
            }
            return value::type_bare(&item)
                .map_err(|range| c.error(IdentErrorKind::out_of_range(key, range), start));
        }
        items.push(item);
        if !more {
            return Ok(Value::List(items));
        }
        c.bump();
    }
}

#[cfg(test)]
mod tests;
