//! Connection strings: `parse(format(x)) == x`, and `parse` never panics on any input.

// This whole file is test code.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use _native::ident::{Identifier, Value};
use _native::redact::is_secret_name;
use proptest::prelude::*;

/// Strings rich in delimiters, look-alikes of typed values, whitespace and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ,;\"\\\\=!.eE+\\-é😀\t]{0,8}",
        prop::sample::select(vec![
            "10", "-3", "1.5", "1e5", "inf", "NaN", "TRUE", "false", " x "
        ])
        .prop_map(str::to_owned),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        text().prop_map(Value::Str),
        // Lists of fewer than two elements have no spelling of their own.
        prop::collection::vec(text(), 2..5).prop_map(Value::List),
    ]
}

fn identifier() -> impl Strategy<Value = Identifier> {
    let provider = prop::option::of("[A-Za-z0-9_-]{1,8}");
    let model = text().prop_filter("non-empty model", |m| !m.is_empty());
    // Secret names are never written back, so they do not round-trip (tested below).
    let key = "[A-Za-z_][A-Za-z0-9_.-]{0,6}".prop_filter("not a secret", |k| !is_secret_name(k));
    let params = prop::collection::vec((key, value()), 0..6);
    (provider, model, params).prop_map(|(provider, model, params)| {
        let mut unique: Vec<(String, Value)> = Vec::new();
        for (k, v) in params {
            if !unique.iter().any(|(u, _)| *u == k) {
                unique.push((k, v));
            }
        }
        Identifier::new(provider, model, unique, None).unwrap()
    })
}

/// Strings built from the grammar's pieces, valid or nearly so.
fn near_identifier() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "openai",
        "!",
        ",",
        "=",
        ";",
        "\"",
        "\\",
        " ",
        "api_key",
        "temperature",
        "0.5",
        "10",
        "a;b",
        "é",
        "😀",
        "\"x,y\"",
        "true",
        "m/x:y",
        "k",
        "=",
    ]);
    prop::collection::vec(piece, 0..14).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn format_then_parse_is_identity(id in identifier()) {
        let written = id.format();
        let back = Identifier::parse(&written);
        prop_assert!(back.is_ok(), "{written:?}: {back:?}");
        prop_assert_eq!(back.unwrap(), id);
    }

    #[test]
    fn parsed_identifiers_round_trip(text in near_identifier()) {
        if let Ok(mut id) = Identifier::parse(&text) {
            let written = id.format();
            id.api_key = None;
            // Secrets are never written back (secret names: `api_keyx`, ...).
            id.params.retain(|(key, _)| !is_secret_name(key));
            prop_assert_eq!(Identifier::parse(&written).unwrap(), id);
        }
    }

    #[test]
    fn errors_point_inside_the_input(text in prop_oneof![near_identifier(), "\\PC{0,24}"]) {
        if let Err(err) = Identifier::parse(&text) {
            prop_assert!(err.position <= text.chars().count(), "{err} for {text:?}");
        }
    }

    #[test]
    fn api_key_never_in_format_debug_or_errors(
        // Secrets are random: some capital or digit (a name of lowercase letters is shown).
        key in "[a-zA-Z0-9]{12,20}".prop_filter("random-looking", |k| {
            k.bytes().any(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }),
        rest in near_identifier(),
    ) {
        let secret = format!("sk{key}");
        let text = format!("m,api_key={secret}{rest}");
        match Identifier::parse(&text) {
            Ok(id) => {
                prop_assert!(!id.format().contains(&secret));
                let debug = format!("{id:?}");
                prop_assert!(!debug.contains(&secret));
            }
            Err(err) => prop_assert!(!err.to_string().contains(&secret)),
        }
        // Under any secret name, or as a URL password, it is never written nor shown either.
        for name in ["API_KEY", "aws_secret_access_key", "azure_ad_token", "x-api-key", "passwd"] {
            let id = Identifier::parse(&format!("m,{name}={secret},u=https://me:{secret}@h/")).unwrap();
            prop_assert!(!id.format().contains(&secret));
            let debug = format!("{id:?}");
            prop_assert!(!debug.contains(&secret));
        }
        // A key pasted where a parameter name belongs is not echoed either.
        let err = Identifier::parse(&format!("m,{secret}")).unwrap_err();
        prop_assert!(!err.to_string().contains(&secret));
    }
}

#[test]
fn long_inputs_parse_in_linear_time() {
    // Many repeated keys, long quoted values and long lists: all linear.
    let mut text = String::from("p!model");
    for i in 0..50_000 {
        write!(text, ",k{}=\"{}\\\"\"", i % 1000, "x".repeat(10)).unwrap();
    }
    text.push_str(",stop=");
    text.push_str(&"a;".repeat(100_000));
    let id = Identifier::parse(&text).unwrap();
    assert_eq!(id.params.len(), 1001);
    let unterminated = format!("m,k=\"{}", "\\\\".repeat(200_000));
    assert_eq!(Identifier::parse(&unterminated).unwrap_err().position, 4);
}
