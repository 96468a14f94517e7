//! Unit tests of connection-string parsing and formatting (kept beside them to hold
//! `ident/mod.rs` to its size budget).

use std::fmt::Write as _;

use super::*;

fn p(text: &str) -> Identifier {
    Identifier::parse(text).unwrap()
}

fn err(text: &str) -> (String, usize) {
    let e = Identifier::parse(text).unwrap_err();
    (e.to_string(), e.position)
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

#[test]
fn provider_model_and_typed_params() {
    let id = p("litellm!many/model/slashes:v1@x.y,max_tokens=1024,top_p=0.1,stop=a;b;c;");
    assert_eq!(id.provider.as_deref(), Some("litellm"));
    assert_eq!(id.model, "many/model/slashes:v1@x.y");
    assert_eq!(
        id.params,
        vec![
            ("max_tokens".into(), Value::Int(1024)),
            ("top_p".into(), Value::Float(0.1)),
            (
                "stop".into(),
                Value::List(vec!["a".into(), "b".into(), "c".into(), String::new()])
            ),
        ]
    );
    assert_eq!(
        id.format(),
        "litellm!many/model/slashes:v1@x.y,max_tokens=1024,top_p=0.1,stop=a;b;c;"
    );
    let id = p("gpt-3.5");
    assert_eq!(
        (id.provider, id.model.as_str(), id.params.len()),
        (None, "gpt-3.5", 0)
    );
}

#[test]
fn quoting_whitespace_and_special_characters() {
    let id = p(r#" p ! "a,b!c" , k = "x,\"y\";z" , b64 = YWJj== , e=a!b , l = "1;2" ; 3 "#);
    assert_eq!(id.provider.as_deref(), Some("p"));
    assert_eq!(id.model, "a,b!c");
    assert_eq!(
        id.params,
        vec![
            ("k".into(), s(r#"x,"y";z"#)),
            ("b64".into(), s("YWJj==")),
            ("e".into(), s("a!b")),
            ("l".into(), Value::List(vec!["1;2".into(), "3".into()])),
        ]
    );
    assert_eq!(
        id.format(),
        r#"p!"a,b!c",k="x,\"y\";z",b64=YWJj==,e=a!b,l="1;2";3"#
    );
    assert_eq!(p(&id.format()), id);
}

#[test]
fn duplicates_keep_first_position_last_value() {
    let id = p("m,a=1,b=2,a=3");
    assert_eq!(
        id.params,
        vec![("a".into(), Value::Int(3)), ("b".into(), Value::Int(2))]
    );
    let mut many = String::from("m");
    for i in 0..40 {
        write!(many, ",k{}={i}", i % 20).unwrap();
    }
    let id = p(&many);
    assert_eq!(id.params.len(), 20);
    assert_eq!(id.params[3], ("k3".into(), Value::Int(23)));
}

#[test]
fn api_key_is_separate_untyped_and_never_written() {
    let id = p("openai!gpt-4o,api_key=12345,temperature=1,api_key=sk-ab=c;d");
    assert_eq!(id.api_key.as_deref(), Some("sk-ab=c;d"));
    assert_eq!(id.params, vec![("temperature".into(), Value::Int(1))]);
    assert_eq!(id.format(), "openai!gpt-4o,temperature=1");
    assert!(!format!("{id:?}").contains("sk-ab"));
    assert_eq!(p(r#"m,api_key="a,b""#).api_key.as_deref(), Some("a,b"));
}

#[test]
fn quoted_values_are_strings() {
    let id = p(r#"m,a="10",b="true",c="",d="""#);
    assert_eq!(id.params[0].1, s("10"));
    assert_eq!(id.params[1].1, s("true"));
    assert_eq!(id.params[2].1, s(""));
    assert_eq!(p("m,e=").params[0].1, s(""));
    assert_eq!(id.format(), r#"m,a="10",b="true",c="",d="""#);
}

#[test]
fn errors_name_what_was_expected_and_where() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "empty model name at position 0", 0),
        ("p!", "empty model name at position 2", 2),
        ("p!  ,k=v", "empty model name at position 4", 4),
        (r#""""#, "empty model name at position 0", 0),
        ("a!b!c", "unexpected second '!' at position 3 (only one '!' may separate the provider; quote a model name that contains '!')", 3),
        ("op en!m", "invalid provider name at position 0 (expected letters, digits, '_' or '-' before '!')", 0),
        ("!m", "invalid provider name at position 0 (expected letters, digits, '_' or '-' before '!')", 0),
        ("m,", "trailing ',' at position 1 (expected key=value after it)", 1),
        ("m,a=1, ", "trailing ',' at position 5 (expected key=value after it)", 5),
        ("m,,a=1", "empty parameter after ',' at position 1 (expected key=value before the next ',')", 1),
        ("m,9a=1", "expected a parameter name at position 2 (a letter or '_', then letters, digits, '_', '.' or '-')", 2),
        ("openai!gpt-4,temperature 0.5", "expected '=' after key 'temperature' at position 25", 25),
        ("m,sk-abc123", "expected '=' after the parameter name at position 11", 11),
        ("m,k=\"abc", "unterminated quoted value starting at position 4", 4),
        ("é😀!\"abc", "invalid provider name at position 0 (expected letters, digits, '_' or '-' before '!')", 0),
        ("p!\"abc", "unterminated quoted model name starting at position 2", 2),
        ("😀,k=\"a\\nb\"", "invalid escape at position 6 (only \\\" and \\\\ may follow a backslash inside quotes)", 6),
        ("\"m\" x", "expected ',' after the quoted model name at position 4", 4),
        ("m,k=\"a\"b", "expected ',' or ';' after the quoted value at position 7", 7),
    ];
    for &(text, message, position) in cases {
        assert_eq!(err(text), (message.to_owned(), position), "{text}");
    }
}

#[test]
fn numbers_out_of_range_are_errors_naming_the_parameter() {
    assert_eq!(
        err("openai!gpt-4o,max_tokens=99999999999999999999999"),
        (
            "value of parameter 'max_tokens' at position 25 does not fit in a 64-bit \
             integer (quote it to pass it as a string)"
                .to_owned(),
            25
        )
    );
    assert_eq!(
        err("m,temperature= 1e999").0,
        "value of parameter 'temperature' at position 15 is too large for a 64-bit float \
         (quote it to pass it as a string)"
    );
    assert_eq!(
        err("m,API_KEY=99999999999999999999").0,
        "value of a parameter at position 10 does not fit in a 64-bit integer (quote it to \
         pass it as a string)"
    );
    assert_eq!(
        p(r#"m,org="99999999999999999999""#).params[0].1,
        s("99999999999999999999")
    );
    assert_eq!(p("m,stop=99999999999999999999;1").params.len(), 1);
}

#[test]
fn secrets_are_never_written_nor_shown() {
    let id = p(
        "p!m,API_KEY=k1,aws_secret_access_key=k2,api_base=https://u:k3@h/v1,\
                stop=a;ftp://k4@x,top_k=2",
    );
    assert_eq!(id.params.len(), 5);
    assert_eq!(
        id.format(),
        "p!m,api_base=https://h/v1,stop=a;ftp://x,top_k=2"
    );
    let shown = format!("{id:?}");
    for secret in ["k1", "k2", "k3", "k4", "k5"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("https://***@h/v1"));
}

#[test]
fn errors_never_show_values() {
    let e = Identifier::parse(r#"m,api_key="sk-secret"x"#).unwrap_err();
    assert!(!e.to_string().contains("secret"));
}

#[test]
fn new_checks_fields() {
    let ok = Identifier::new(None, "m".into(), vec![("a".into(), Value::Int(1))], None);
    assert!(ok.is_ok());
    let bad = |provider: Option<&str>, model: &str, keys: &[&str]| {
        let params = keys
            .iter()
            .map(|k| ((*k).to_owned(), Value::Bool(true)))
            .collect();
        Identifier::new(provider.map(str::to_owned), model.into(), params, None).unwrap_err()
    };
    assert_eq!(bad(Some("a b"), "m", &[]), FieldError::InvalidProvider);
    assert_eq!(bad(None, "", &[]), FieldError::EmptyModel);
    assert_eq!(bad(None, "m", &["a", "1"]), FieldError::InvalidKey(1));
    assert_eq!(bad(None, "m", &["api_key"]), FieldError::ApiKeyParam);
    assert_eq!(bad(None, "m", &["a", "a"]), FieldError::DuplicateKey(1));
    assert_eq!(FieldError::InvalidKey(1).to_string(), "invalid name for parameter 1 (expected a letter or '_', then letters, digits, '_', '.' or '-')");
}

#[test]
fn format_quotes_models_that_need_it() {
    for model in [
        "a,b",
        "a!b",
        "\"q",
        " pad",
        "back\\slash",
        "plain/model:tag",
    ] {
        let id = Identifier::new(Some("p".into()), model.into(), vec![], None).unwrap();
        assert_eq!(p(&id.format()), id, "{model}");
    }
}
