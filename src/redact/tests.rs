//! Unit tests of the secret-name rule, JSON secret masking and URL user-info masking (kept
//! beside them to hold `redact.rs` to its size budget).

use super::*;

#[test]
fn secret_names() {
    for name in [
        "api_key",
        "API_KEY",
        "OPENAI_API_KEY",
        "apikey",
        "xApiKey",
        "X-Api-Key",
        "api-key",
        "aws_secret_access_key",
        "aws_access_key_id",
        "azure_ad_token",
        "accessToken",
        "hf_token",
        "Authorization",
        "Proxy-Authorization",
        "x-auth-token",
        "client_secret",
        "db_password",
        "PASSWD",
        "vertex_credentials",
        "Cookie",
        "secretAccessKey",
        "token",
        "sig",
        "signature",
        "sas",
        "session",
        "sessionid",
        "session_id",
        "SessionToken",
        "client_assertion",
        "pw",
        "Set-Cookie",
        "JWT",
        "creds",
        "hmac_secret_value",
        "hmac",
        "otp",
        "SENTRY_DSN",
        "dsn",
        "github_pat",
        "GH_PAT",
        "adoPat",
        "SLACK_WEBHOOK_URL",
        "webhookUrl",
        "teams_webhook_uri",
        "AZURE_STORAGE_CONNECTION_STRING",
        "conn_str",
        "connStr",
        "DATABASE_URL",
        "db_url",
        "passkey",
        "monkey_api_key",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
    for name in [
        "max_tokens",
        "max_new_tokens",
        "max_completion_tokens",
        "tokenizer",
        "pad_token_id",
        "eos_token_id",
        "top_k",
        "temperature",
        "api_base",
        "model",
        "extra_headers",
        "author",
        "stop",
        "signal",
        "design",
        "pwm",
        "credit",
        "passthrough",
        "hotplug",
        "monkey",
        "Turkey",
        "hotkey",
        "keyboard",
        "webhook",
        "webhook_enabled",
        "connection_timeout",
        "path",
        "patch",
        "pattern",
        "patience",
        "url",
        "database",
        "",
    ] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn json_secrets_are_masked() {
    let text = r#"{"Authorization": "Bearer \"x\" y", "a": "key", "X-Api-Key":12, "n": {"token": true}, "k": "v"}"#;
    assert_eq!(
        mask_json_secrets(text),
        r#"{"Authorization": "***", "a": "key", "X-Api-Key":"***", "n": {"token": "***"}, "k": "v"}"#
    );
    assert!(matches!(
        mask_json_secrets(r#"{"a": "b"} "key""#),
        Cow::Borrowed(_)
    ));
    assert_eq!(
        mask_json_secrets(r#"{"key": "unterminated"#),
        r#"{"key": "***""#
    );
    assert_eq!(
        mask_json_secrets(r#"{"key": {"x": 1}}"#),
        r#"{"key": {"x": 1}}"#
    );
}

#[test]
fn userinfo_is_masked_or_dropped() {
    let cases = [
        (
            "https://user:PW@host:8/p?q=a@b",
            "https://***@host:8/p?q=a@b",
            "https://host:8/p?q=a@b",
        ),
        (
            "a redis://:pw@h b ftp://tok@x",
            "a redis://***@h b ftp://***@x",
            "a redis://h b ftp://x",
        ),
        (
            "user@host https://host/a@b",
            "user@host https://host/a@b",
            "user@host https://host/a@b",
        ),
        ("://x@y é://p@q", "://x@y é://p@q", "://x@y é://p@q"),
        ("http://a:b@c@d/", "http://***@d/", "http://d/"),
    ];
    for (text, masked, dropped) in cases {
        assert_eq!(mask_userinfo(text, "***"), masked, "{text}");
        assert_eq!(mask_userinfo(text, ""), dropped, "{text}");
    }
    assert!(matches!(mask_userinfo("no urls", "***"), Cow::Borrowed(_)));
    let text = "x https://u:p@h y s3://k@b";
    let found: Vec<&str> = userinfo_ranges(text)
        .iter()
        .map(|&(s, e)| &text[s..e])
        .collect();
    assert_eq!(found, ["u:p", "k"]);
}
