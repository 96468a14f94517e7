//! Which names hold secrets, and URL user-info: the one rule every output channel applies.
//!
//! A name is split into words (at anything but letters and digits, and where a lower-case
//! letter meets an upper-case one), and holds a secret when one of its words is one of
//! [`SECRET_WORDS`], or ends with `key`, `token`, `secret`, `password`, `passwd` or
//! `credential(s)` (`apikey`, `accesstoken`), or starts with `secret`, `password`, `passwd`,
//! `credential` or `authoriz`; or two of its words in a row are a pair of [`SECRET_PAIRS`]
//! (`webhook_url`, `connection_string`). Counts and ids of tokens (`max_tokens`,
//! `pad_token_id`, `tokenizer`) are not secrets, nor ordinary words that end with `key`
//! ([`KEY_WORDS`]: `monkey`, `hotkey`).
//!
//! ```
//! use _native::redact::{is_secret_name, mask_userinfo};
//! assert!(is_secret_name("aws_secret_access_key"));
//! assert!(is_secret_name("X-Api-Key"));
//! assert!(is_secret_name("azureAdToken"));
//! assert!(!is_secret_name("max_tokens"));
//! assert_eq!(mask_userinfo("see https://u:pw@host/x", "***"), "see https://***@host/x");
//! ```
//!
//! Values under secret names inside JSON text (`extra_headers='{"Authorization": "…"}'`) are
//! masked by [`mask_json_secrets`]:
//!
//! ```
//! use _native::redact::mask_json_secrets;
//! assert_eq!(mask_json_secrets(r#"{"X-Api-Key": "k1"}"#), r#"{"X-Api-Key": "***"}"#);
//! ```

use std::borrow::Cow;

/// Words that make a name secret on their own (`sig`, `signature` and `sas` for signed URLs,
/// `session` for session ids, `assertion` for OAuth client assertions, `pat` for personal
/// access tokens: `github_pat`).
pub const SECRET_WORDS: &[&str] = &[
    "key",
    "keys",
    "token",
    "secret",
    "secrets",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "credential",
    "credentials",
    "authorization",
    "auth",
    "cookie",
    "bearer",
    "sig",
    "signature",
    "signatures",
    "sas",
    "session",
    "sessionid",
    "assertion",
    "pw",
    "jwt",
    "cred",
    "creds",
    "hmac",
    "otp",
    "dsn",
    "connstr",
    "pat",
];

/// Words in a row that name a secret together: URLs whose path or query is the credential
/// (a chat webhook), connection strings holding an account key or a password.
pub const SECRET_PAIRS: &[(&str, &str)] = &[
    ("webhook", "url"),
    ("webhook", "uri"),
    ("connection", "string"),
    ("conn", "str"),
    ("conn", "string"),
    ("database", "url"),
    ("db", "url"),
];

/// Ordinary words that end with `key` and are not keys (the `key` suffix rule skips them).
pub const KEY_WORDS: &[&str] = &[
    "monkey", "donkey", "turkey", "hockey", "jockey", "whiskey", "hotkey", "lackey", "turnkey",
    "malarkey", "hokey", "latchkey", "smokey", "pokey", "flunkey",
];

const SUFFIXES: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "credentials",
];
const PREFIXES: &[&str] = &["secret", "password", "passwd", "credential", "authoriz"];
/// Words after `token` that make it a count or an id rather than a secret (`pad_token_id`).
const TOKEN_QUALIFIERS: &[&str] = &["id", "ids", "type", "count", "limit", "len", "length"];

/// The lower-cased words of a name (see the module docs).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_numeric();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Lower-case fragments one of which every secret name holds (a quick first test).
const FRAGMENTS: &[&str] = &[
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "credential",
    "auth",
    "cookie",
    "bearer",
    "sig",
    "sas",
    "session",
    "assertion",
    "pw",
    "jwt",
    "cred",
    "hmac",
    "otp",
    "dsn",
    "conn",
    "url",
    "uri",
    "pat",
];

/// Whether a parameter, field or header called `name` holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    if !FRAGMENTS.iter().any(|f| lower.contains(f)) {
        return false;
    }
    let words = words(name);
    words.iter().enumerate().any(|(i, w)| {
        if w == "token" {
            let next = words.get(i + 1).map(String::as_str);
            return !next.is_some_and(|n| TOKEN_QUALIFIERS.contains(&n));
        }
        let next = words.get(i + 1).map(String::as_str);
        SECRET_WORDS.contains(&w.as_str())
            || (SUFFIXES.iter().any(|s| w.ends_with(s)) && !KEY_WORDS.contains(&w.as_str()))
            || PREFIXES.iter().any(|p| w.starts_with(p))
            || next.is_some_and(|n| SECRET_PAIRS.contains(&(w.as_str(), n)))
    })
}

/// Whether `b` may appear in a URL scheme after its first letter.
fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// Byte ranges of the user-info of every `scheme://user[:password]@host` in `text` (the
/// `@` excluded), in order.
pub fn userinfo_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&bytes[from..], b"://").map(|i| from + i) {
        from = i + 3;
        let scheme_ok = bytes[..i]
            .iter()
            .rev()
            .take_while(|&&b| is_scheme_byte(b))
            .last()
            .is_some_and(u8::is_ascii_alphabetic);
        if !scheme_ok {
            continue;
        }
        let authority_end = bytes[from..]
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#') || b.is_ascii_whitespace())
            .map_or(bytes.len(), |n| from + n);
        if let Some(at) = bytes[from..authority_end].iter().rposition(|&b| b == b'@') {
            out.push((from, from + at));
            from += at + 1;
        }
    }
    out
}

/// `text` with the user-info of every `scheme://user[:password]@host` replaced by `mask`
/// (with an empty mask, the user-info and its `@` are removed).
pub fn mask_userinfo<'a>(text: &'a str, mask: &str) -> Cow<'a, str> {
    let ranges = userinfo_ranges(text);
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in ranges {
        out.push_str(&text[copied..start]);
        if !mask.is_empty() {
            out.push_str(mask);
            out.push('@');
        }
        copied = end + 1;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// End (exclusive) of the JSON string starting with the `"` at `start`, or `None` when it is
/// not terminated.
fn json_string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `text` with the value of every `"secret name": value` pair of JSON text in it replaced by
/// `"***"` (string, number or literal values; nested objects are searched in turn).
pub fn mask_json_secrets(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(q) = memchr::memchr(b'"', &bytes[i..]).map(|q| i + q) {
        let Some(end) = json_string_end(bytes, q) else {
            break;
        };
        i = end;
        let mut colon = end;
        while colon < bytes.len() && bytes[colon].is_ascii_whitespace() {
            colon += 1;
        }
        if bytes.get(colon) != Some(&b':') || !is_secret_name(&text[q + 1..end - 1]) {
            continue;
        }
        let mut start = colon + 1;
        while start < bytes.len() && bytes[start].is_ascii_whitespace() {
            start += 1;
        }
        let stop = match bytes.get(start) {
            Some(b'"') => json_string_end(bytes, start).unwrap_or(bytes.len()),
            Some(b'{' | b'[') | None => continue,
            Some(_) => bytes[start..]
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .map_or(bytes.len(), |n| start + n),
        };
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
        buf.push_str(&text[copied..start]);
        buf.push_str("\"***\"");
        copied = stop;
        i = stop;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            Cow::Owned(buf)
        }
    }
}

#[cfg(test)]
mod tests;
