import base64
import json
import re
import typing as t

import pytest
from pydantic import ValidationError

from rigging.error import ProcessingError
from rigging.generator.http import HTTPGenerator, HTTPSpec, RequestTransformContext

SPEC = {
    "request": {
        "url": "http://127.0.0.1:1/{{ model }}/chat",
        "headers": {"Authorization": "Bearer {{ api_key }}", "X-Role": "{{ role }}"},
        "transforms": [
            {
                "type": "json",
                "pattern": {
                    "prompt": "$content",
                    "temperature": "$params.temperature",
                    "history": "$messages",
                    "first": "$messages.0.content",
                },
            }
        ],
    },
    "response": {"transforms": [{"type": "jsonpath", "pattern": "$.output.text"}]},
}

YAML_SPEC = """
request:
  url: http://127.0.0.1:1/x
  transforms:
    - type: jinja
      pattern: '{"q": {{ content | tojson }}}'
response:
  valid_status_codes: [200, 201]
  transforms:
    - type: regex
      pattern: 'answer=(\\w+)'
"""


def _ctx(**overrides: object) -> RequestTransformContext:
    data: dict[str, object] = {
        "role": "user",
        "content": "hi there",
        "all_content": "sys\nhi there",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}],
        "params": {"temperature": 0.5},
        "api_key": "sk-abc",
        "model": "m1",
    }
    data.update(overrides)
    return RequestTransformContext.model_validate(data)


def test_json_transform_substitutes_paths_keeping_types() -> None:
    spec = HTTPSpec.model_validate(SPEC)
    body = json.loads(spec.make_request_body(_ctx()))
    assert body == {
        "prompt": "hi there",
        "temperature": 0.5,
        "history": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}],
        "first": "sys",
    }
    assert spec.make_url(_ctx()) == "http://127.0.0.1:1/m1/chat"
    assert spec.make_headers(_ctx()) == {"Authorization": "Bearer sk-abc", "X-Role": "user"}


def test_jinja_transform_sees_previous_result_as_data() -> None:
    spec = HTTPSpec.model_validate(
        {
            "request": {
                "url": "u",
                "transforms": [
                    {"type": "json", "pattern": '{"a": "$content"}'},
                    {"type": "jinja", "pattern": "{{ result.a }}|{{ body.a }}|{{ model }}"},
                ],
            }
        }
    )
    assert spec.make_request_body(_ctx()) == "hi there|hi there|m1"


def test_response_transforms() -> None:
    spec = HTTPSpec.model_validate(SPEC)
    assert spec.parse_response_body('{"output": {"text": "yo"}}') == "yo"
    numbers = HTTPSpec.model_validate(
        {
            "request": SPEC["request"],
            "response": {"transforms": [{"type": "jsonpath", "pattern": "$.items[*].n"}]},
        }
    )
    assert numbers.parse_response_body('{"items": [{"n": 1}, {"n": 2}]}') == "[1, 2]"
    jinja = HTTPSpec.model_validate(
        {
            "request": SPEC["request"],
            "response": {"transforms": [{"type": "jinja", "pattern": "{{ data.x * 2 }}"}]},
        }
    )
    assert jinja.parse_response_body('{"x": 21}') == "42"
    raw = HTTPSpec.model_validate({"request": SPEC["request"]})
    assert raw.parse_response_body("untouched") == "untouched"


def test_spec_loads_from_yaml_json_and_base64() -> None:
    from_yaml = HTTPGenerator(model="m", spec=YAML_SPEC)
    assert from_yaml.spec is not None
    assert from_yaml.spec.response is not None
    assert from_yaml.spec.response.valid_status_codes == [200, 201]
    assert from_yaml.spec.parse_response_body("x answer=yes y") == "yes"
    assert from_yaml.spec.parse_response_body("answer=a answer=b") == '["a", "b"]'
    from_json = HTTPGenerator(model="m", spec=json.dumps(SPEC))
    encoded = base64.b64encode(json.dumps(SPEC).encode()).decode()
    from_b64 = HTTPGenerator(model="m", spec=encoded)
    assert from_json.spec == from_b64.spec == HTTPSpec.model_validate(SPEC)
    assigned = HTTPGenerator(model="m")
    assigned.spec = YAML_SPEC  # type: ignore[assignment]
    assert assigned.spec == from_yaml.spec


def test_spec_serialises_as_base64_json() -> None:
    gen = HTTPGenerator(model="m", spec=SPEC, api_key="sk-secret")
    dumped = gen.model_dump()
    assert "api_key" not in dumped
    decoded = json.loads(base64.b64decode(dumped["spec"]))
    assert HTTPSpec.model_validate(decoded) == gen.spec
    assert HTTPGenerator.model_validate(dumped).spec == gen.spec


def test_invalid_spec_errors_name_the_part() -> None:
    with pytest.raises(ValidationError, match=r"request\.transforms\.0\.type"):
        HTTPSpec.model_validate(
            {"request": {"url": "u", "transforms": [{"type": "xml", "pattern": "p"}]}}
        )
    with pytest.raises(ValidationError, match=r"request\.transforms"):
        HTTPSpec.model_validate({"request": {"url": "u", "transforms": []}})
    with pytest.raises(ValidationError, match="request"):
        HTTPGenerator(model="m", spec="just: [a, yaml, list]")
    with pytest.raises(ValidationError, match="not valid base64, JSON or YAML"):
        HTTPGenerator(model="m", spec="request: [unclosed")


def test_transform_errors_name_the_step() -> None:
    spec = HTTPSpec.model_validate(
        {
            "request": {
                "url": "{{ nope }}",
                "headers": {"X": "{{ missing }}"},
                "transforms": [
                    {"type": "json", "pattern": {"a": "$content"}},
                    {"type": "json", "pattern": {"a": "$params.top_k"}},
                ],
            },
            "response": {"transforms": [{"type": "jsonpath", "pattern": "$.absent"}]},
        }
    )
    with pytest.raises(ProcessingError, match=r"request\.url failed: 'nope' is undefined"):
        spec.make_url(_ctx())
    with pytest.raises(ProcessingError, match=r"request\.headers\['X'\] failed"):
        spec.make_headers(_ctx())
    with pytest.raises(
        ProcessingError,
        match=r"request\.transforms\[1\] \(json\) failed: reference '\$params\.top_k' not found",
    ):
        spec.make_request_body(_ctx())
    with pytest.raises(
        ProcessingError,
        match=r"response\.transforms\[0\] \(jsonpath\) failed: jsonpath '\$\.absent' matched",
    ):
        spec.parse_response_body('{"x": 1}')
    with pytest.raises(ProcessingError, match=r"response\.transforms\[0\] \(jsonpath\) failed"):
        spec.parse_response_body("not json")


def test_a_backtracking_response_regex_fails_in_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`(a|aa)+$` on 40 a's and a `!` takes about 1.6**40 steps in Python's `re`: the step
    held the event loop for hours. The search is now bounded and the step fails, naming the
    pattern."""
    from rigging.generator import _http_spec

    monkeypatch.setattr(_http_spec, "REGEX_SECONDS", 0.05)
    spec = HTTPSpec.model_validate(
        {
            "request": SPEC["request"],
            "response": {"transforms": [{"type": "regex", "pattern": "(a|aa)+$"}]},
        }
    )
    with pytest.raises(
        ProcessingError, match=r"response\.transforms\[0\] \(regex\) failed.*more than 0\.05s"
    ):
        spec.parse_response_body("a" * 40 + "!")
    # The same pattern where it matches, as `re` reads it.
    assert spec.parse_response_body("x aaa") == re.findall("(a|aa)+$", "x aaa")[0]


def test_response_regexes_keep_findall_semantics() -> None:
    def run(pattern: str, body: str) -> str:
        spec = HTTPSpec.model_validate(
            {
                "request": SPEC["request"],
                "response": {"transforms": [{"type": "regex", "pattern": pattern}]},
            }
        )
        return spec.parse_response_body(body)

    assert run(r"answer=(\w+)", "answer=straße!") == "straße"
    assert run(r"(\d)-(\d)", "1-2 3-4") == json.dumps(["('1', '2')", "('3', '4')"])
    assert run(r"\d+", "a1b22") == json.dumps(["1", "22"])
    assert run(r"x$", "ax\n") == "x"  # `$` before a final newline, as in `re`
    assert run(r"(?<=k=)\w+", "k=v") == "v"  # lookbehind still works
    assert run(r"(a)|(b)", "ab") == json.dumps(["('a', '')", "('', 'b')"])  # groups not taken
    assert run(r"(a|aa)+$", "x aaa") == "a"  # one group: its text (some regex releases: a tuple)
    with pytest.raises(ProcessingError, match="matched nothing"):
        run("zz", "abc")


def test_any_failure_of_a_step_is_a_processing_error_naming_it() -> None:
    """Deeply nested JSON (RecursionError) and a huge range in a template (OverflowError)
    escaped as bare errors, so one item's bad response failed the whole batch."""
    deep = "[" * 100_000 + "]" * 100_000
    for kind, pattern in (("jsonpath", "$[0]"), ("jinja", "{{ data }}")):
        spec = HTTPSpec.model_validate(
            {
                "request": SPEC["request"],
                "response": {"transforms": [{"type": kind, "pattern": pattern}]},
            }
        )
        with pytest.raises(
            ProcessingError, match=rf"response\.transforms\[0\] \({kind}\) failed: RecursionError"
        ):
            spec.parse_response_body(deep)
    spec = HTTPSpec.model_validate(
        {
            "request": {
                **t.cast("dict[str, t.Any]", SPEC["request"]),
                "transforms": [{"type": "jinja", "pattern": "{{ range(10**6) | list }}"}],
            },
            "response": {
                "transforms": [{"type": "jinja", "pattern": "{{ range(data.n) | list }}"}]
            },
        }
    )
    with pytest.raises(
        ProcessingError, match=r"request\.transforms\[0\] \(jinja\) failed: OverflowError"
    ):
        spec.make_request_body(_ctx())
    with pytest.raises(
        ProcessingError, match=r"response\.transforms\[0\] \(jinja\) failed: OverflowError"
    ):
        spec.parse_response_body('{"n": 1000000000}')


def test_api_key_not_in_context_repr() -> None:
    assert "sk-abc" not in repr(_ctx())


def test_spec_errors_never_quote_secrets() -> None:
    """Template errors may quote values, PyYAML quotes the text, pydantic echoes its input:
    none of them may carry the api key, secret-named params or a literal secret."""
    key, token, literal = "sk-TEMPLATE-4242", "tok-PARAM-1717", "LITERAL-hdr-8080"
    spec = HTTPSpec.model_validate(
        {
            "request": {
                "url": "http://h/{{ params[api_key] }}",
                "headers": {"X-Org": "{{ params[params.token] }}"},
                "transforms": [{"type": "jinja", "pattern": "{{ messages[api_key] }}"}],
            }
        }
    )
    ctx = _ctx(api_key=key, params={"token": token})
    for make in (spec.make_url, spec.make_headers, spec.make_request_body):
        with pytest.raises(ProcessingError) as caught:
            make(ctx)
        assert key not in str(caught.value)
        assert token not in str(caught.value)
        assert "***" in str(caught.value)
    broken = f"request:\n  url: http://h\n  headers:\n    Authorization: 'Bearer {literal}\n"
    with pytest.raises(ValidationError, match="not valid base64, JSON or YAML") as yaml_error:
        HTTPGenerator(model="m", spec=broken)
    assert literal not in str(yaml_error.value)
    assert "line" in str(yaml_error.value)
    invalid = {"request": {"url": "u", "headers": {"Authorization": f"Bearer {literal}"}}}
    with pytest.raises(ValidationError, match=r"request\.transforms") as input_error:
        HTTPSpec.model_validate(invalid)
    assert literal not in str(input_error.value)


def _shown(generator: HTTPGenerator) -> list[str]:
    """Everything a generator shows of its spec: repr, dump, identifier, the decoded spec."""
    return [
        repr(generator),
        generator.model_dump_json(),
        generator.to_identifier(),
        base64.b64decode(generator.model_dump()["spec"]).decode(),
    ]


def test_url_secrets_in_any_header_or_pattern_are_masked() -> None:
    # URL user-info and secret query values are secrets wherever a URL is written: in a header
    # that is not secret-named, a jinja template, a JSON object or a JSON text pattern.
    spec = {
        "request": {
            "url": "https://models.example/v1/chat",
            "headers": {
                "X-Upstream": "https://user:pw-SECRET-1@up.example/x",
                "X-Callback": "https://cb.example/hook?sig=sig-SECRET-2&v=1",
                "Authorization": "Bearer {{ api_key }}",
            },
            "transforms": [
                {"type": "json", "pattern": {"hook": "https://u:pw-SECRET-3@h.example/a"}},
                {"type": "jinja", "pattern": '{"u": "https://u:pw-SECRET-4@h.example", "q": 1}'},
                {"type": "jinja", "pattern": "at https://u:pw-SECRET-5@h.example {{ content }}"},
            ],
        },
        "response": {"transforms": [{"type": "jsonpath", "pattern": "$.answer"}]},
    }
    generator = HTTPGenerator(model="m", spec=spec, api_key="k")
    assert generator.spec is not None
    shown = _shown(generator)
    for text in shown:
        for n in range(1, 6):
            assert f"SECRET-{n}" not in text
    decoded = json.loads(shown[3])
    headers = decoded["request"]["headers"]
    assert headers["X-Upstream"] == "https://***@up.example/x"
    assert headers["X-Callback"] == "https://cb.example/hook?sig=***&v=1"
    assert headers["Authorization"] == "Bearer {{ api_key }}"
    assert decoded["request"]["transforms"][2]["pattern"] == (
        "at https://***@h.example {{ content }}"
    )
    # The spec itself still sends what it holds.
    sent = generator.spec.make_headers(_ctx())
    assert sent["X-Upstream"] == "https://user:pw-SECRET-1@up.example/x"


def test_literal_secrets_in_the_url_query_and_json_body_are_masked() -> None:
    spec_text = (
        "request:\n"
        '  url: "http://h/v1?key=LITERAL-qs-1234&mode=x&token={{ api_key }}"\n'
        "  transforms:\n"
        "    - type: json\n"
        "      pattern:\n"
        "        api_key: LITERAL-body-9999\n"
        "        password: $params.password\n"
        "        messages: $messages\n"
        "    - type: jinja\n"
        '      pattern: \'{"secret": "LITERAL-text-5555", "q": 1}\'\n'
    )
    generator = HTTPGenerator(model="m", spec=spec_text)
    shown = _shown(generator)
    for text in shown:
        for literal in ("LITERAL-qs-1234", "LITERAL-body-9999", "LITERAL-text-5555"):
            assert literal not in text
    decoded = json.loads(shown[3])
    assert decoded["request"]["url"] == "http://h/v1?key=***&mode=x&token={{ api_key }}"
    body = decoded["request"]["transforms"][0]["pattern"]
    assert body == {"api_key": "***", "password": "$params.password", "messages": "$messages"}
    # The spec itself still holds the values it sends.
    assert generator.spec is not None
    assert "key=LITERAL-qs-1234" in generator.spec.request.url


def test_literal_secrets_in_template_text_that_is_not_json_are_masked() -> None:
    """A jinja body beside ``{{ messages|tojson }}`` is no JSON, and a form body never is: a
    literal under a secret name there is masked too, templates are kept, and the spec still
    sends the literal."""
    import pickle

    import rigging as rg
    from rigging.generator import get_generator

    json_like = (
        '{"model": "{{ model }}", "api_key": "LIT-json-4321", "messages": {{ messages|tojson }}}'
    )
    form = "grant_type=client&client_secret=LIT-form-8765&token={{ api_key }}&model={{ model }}"
    kept = '{"password": "{{ params.password }}", "content": {{ content|tojson }}}'
    spec = {
        "request": {
            "url": "http://127.0.0.1:1/v1",
            "transforms": [
                {"type": "jinja", "pattern": json_like},
                {"type": "jinja", "pattern": form},
                {"type": "jinja", "pattern": kept},
            ],
        }
    }
    generator = HTTPGenerator(model="m", spec=spec, api_key="sk-the-key-0000")
    chat = rg.Chat([rg.Message("user", "x")], generator=generator)
    shown = [*_shown(generator), chat.model_dump_json(), repr(pickle.dumps(chat))]
    gid = json.loads(chat.model_dump_json())["generator_id"]
    shown.append(base64.b64decode(gid.split("spec=", 1)[1]).decode())
    for text in shown:
        assert "LIT-json-4321" not in text
        assert "LIT-form-8765" not in text
    patterns = [step["pattern"] for step in json.loads(shown[3])["request"]["transforms"]]
    assert patterns == [
        '{"model": "{{ model }}", "api_key": "***", "messages": {{ messages|tojson }}}',
        "grant_type=client&client_secret=***&token={{ api_key }}&model={{ model }}",
        kept,
    ]
    rebuilt = get_generator(generator.to_identifier())
    assert isinstance(rebuilt, HTTPGenerator)
    assert rebuilt.spec is not None
    assert [step.pattern for step in rebuilt.spec.request.transforms] == patterns
    # The spec still sends what it holds, and its literals are secrets the generator scrubs.
    assert generator.spec is not None
    assert [step.pattern for step in generator.spec.request.transforms] == [json_like, form, kept]
    echoed = "you sent LIT-json-4321 and LIT-form-8765"
    assert generator._redact(echoed) == "you sent *** and ***"


@pytest.mark.parametrize(
    ("body", "masked"),
    [
        (
            '{% set api_key = "LIT-set-2468" %}{"k": "{{ api_key }}", "m": {{ messages|tojson }}}',
            '{% set api_key = "***" %}{"k": "{{ api_key }}", "m": {{ messages|tojson }}}',
        ),
        (
            "{% set token = 'LIT-set-2468' %}{{ token }}",
            "{% set token = '***' %}{{ token }}",
        ),
        (
            "{% set secret %}LIT-set-2468{% endset %}{{ secret }}",
            "{% set secret %}***{% endset %}{{ secret }}",
        ),
        (
            "{{ dict(api_key='LIT-set-2468', m=messages) | tojson }}",
            "{{ dict(api_key='***', m=messages) | tojson }}",
        ),
        (
            "{{ {'authorization': 'LIT-set-2468', 'm': messages} | tojson }}",
            "{{ {'authorization': '***', 'm': messages} | tojson }}",
        ),
    ],
)
def test_literal_secrets_the_template_syntax_names_are_masked(body: str, masked: str) -> None:
    """A secret the template's own syntax gives a secret name (`{% set %}`, a dict literal,
    `dict(...)` keywords) is masked in every view of the spec and scrubbed from echoes; the
    spec still renders it."""
    import pickle

    import rigging as rg

    spec = {
        "request": {
            "url": "http://127.0.0.1:1/v1",
            "transforms": [{"type": "jinja", "pattern": body}],
        }
    }
    generator = HTTPGenerator(model="m", spec=spec)
    chat = rg.Chat([rg.Message("user", "x")], generator=generator)
    for text in [*_shown(generator), chat.model_dump_json(), repr(pickle.dumps(chat))]:
        assert "LIT-set-2468" not in text
    assert generator.spec is not None
    assert generator.spec.model_dump()["request"]["transforms"][0]["pattern"] == masked
    assert generator.spec.request.transforms[0].pattern == body
    assert generator._redact("echo: LIT-set-2468") == "echo: ***"


def test_template_literals_under_other_names_are_kept() -> None:
    body = (
        '{% set model_name = "gpt-x" %}{{ dict(user="u1", m=messages) | tojson }}{{ model_name }}'
    )
    spec = {
        "request": {
            "url": "http://127.0.0.1:1/v1",
            "transforms": [{"type": "jinja", "pattern": body}],
        }
    }
    generator = HTTPGenerator(model="m", spec=spec)
    assert generator.spec is not None
    assert generator.spec.model_dump()["request"]["transforms"][0]["pattern"] == body


def _alias_bomb(levels: int) -> str:
    """A YAML spec whose anchors expand to 10**levels values (each list aliases the last)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    pattern = "\n".join(f"        {line}" for line in lines)
    return (
        "request:\n  url: http://127.0.0.1:1/x\n  transforms:\n    - type: json\n"
        f"      pattern:\n{pattern}\n"
    )


def test_spec_text_that_expands_or_nests_without_bound_is_refused() -> None:
    """Ten short lines of YAML anchors load as 10**10 values that validation, dumps and
    reprs then walk: a chat file naming such a spec in its generator_id never loaded."""
    import rigging as rg

    with pytest.raises(ValidationError, match="expands to more than 100,000 values"):
        HTTPGenerator(model="m", spec=_alias_bomb(6))
    spec_id = base64.b64encode(_alias_bomb(9).encode()).decode()
    chat = {
        "messages": [{"role": "user", "content": "x"}],
        "generator_id": f"http!m,spec={spec_id}",
    }
    with pytest.raises(ValidationError, match="expands to more than"):
        rg.Chat.model_validate_json(json.dumps(chat))
    # A few aliases are fine.
    shared = "request:\n  url: &u http://127.0.0.1:1/x\n  headers: {X-Url: *u}\n"
    shared += "  transforms: [{type: json, pattern: {a: *u}}]\n"
    assert HTTPGenerator(model="m", spec=shared).spec is not None
    # Nesting past the recursion limit is a clear error, not a RecursionError.
    deep = "[" * 100_000 + "]" * 100_000  # past every version's limit (3.13 reads 5,000)
    for text in (
        f"request:\n  url: x\n  transforms: [{{type: json, pattern: {{a: {deep}}}}}]\n",
        json.dumps({"request": {"url": "x"}})[:-2] + f', "transforms": {deep}}}}}',
    ):
        with pytest.raises(ValidationError, match="nested too deeply"):
            HTTPGenerator(model="m", spec=text)


@pytest.mark.parametrize(
    "pattern", [r"(?:token=)([^&]+)", r"(?P<sig>t.*?)&key=(\w+)", r"(?:secret=)(.+)"]
)
def test_regex_patterns_round_trip_through_identifiers(pattern: str) -> None:
    """A `?name=` in a regex is regex syntax, not a URL query: dumps and identifiers keep the
    pattern, so a generator rebuilt from its identifier reads responses as the original."""
    from rigging.generator import get_generator

    spec = {
        "request": {
            "url": "https://api.example.com/v1",
            "transforms": [{"type": "json", "pattern": {"q": "$content"}}],
        },
        "response": {"transforms": [{"type": "regex", "pattern": pattern}]},
    }
    original = HTTPGenerator(model="m", spec=spec)
    rebuilt = get_generator(original.to_identifier())
    assert isinstance(rebuilt, HTTPGenerator)
    assert rebuilt.spec is not None
    assert original.spec is not None
    body = "token=abc&key=zz secret=s"
    assert rebuilt.spec.parse_response_body(body) == original.spec.parse_response_body(body)
