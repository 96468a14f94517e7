"""Literal secrets of template syntax written with escapes, or more than once, in HTTP specs.

The template gives a literal a secret name (``{% set api_key = "..." %}``, a dict literal's
``'authorization'``, ``dict(api_key=...)``); its source text is not its value when written
with escapes (``"a\\"b"``, ``'\\x41'``, ``"\\u0041"``). Every view of the spec masks it,
the spec still renders the real value, and an echo of the value is scrubbed.
"""

import pytest
from _spec_views import spec_views

from rigging.generator.http import HTTPGenerator, RequestTransformContext

#: In every secret below, in its source text as in its value. Not hex: uuids never hold it.
_MARK = "zq-7531"


def _generator(body: str) -> HTTPGenerator:
    spec = {
        "request": {
            "url": "http://127.0.0.1:1/v1",
            "transforms": [{"type": "jinja", "pattern": body}],
        }
    }
    return HTTPGenerator(model="m", spec=spec)


def _rendered(generator: HTTPGenerator) -> str:
    assert generator.spec is not None
    ctx = RequestTransformContext.model_validate(
        {
            "role": "user",
            "content": "x",
            "all_content": "x",
            "messages": [{"role": "user", "content": "x"}],
            "params": {},
            "api_key": "",
            "model": "m",
        }
    )
    return generator.spec.make_request_body(ctx)


def _masked_pattern(generator: HTTPGenerator) -> str:
    assert generator.spec is not None
    pattern = generator.spec.model_dump()["request"]["transforms"][0]["pattern"]
    assert isinstance(pattern, str)
    return pattern


@pytest.mark.parametrize(
    ("body", "masked", "secret"),
    [
        (
            r'{% set api_key = "LIT-\"zq-7531" %}{{ api_key }}',
            '{% set api_key = "***" %}{{ api_key }}',
            'LIT-"zq-7531',
        ),
        (
            r"{% set token = 'LIT-\'zq-7531' %}{{ token }}",
            "{% set token = '***' %}{{ token }}",
            "LIT-'zq-7531",
        ),
        (
            r'{% set secret = "LIT\nzq-7531" %}{{ secret }}',
            '{% set secret = "***" %}{{ secret }}',
            "LIT\nzq-7531",
        ),
        (
            r"{% set api_key = 'sk-\x41zq-7531' %}{{ api_key }}",
            "{% set api_key = '***' %}{{ api_key }}",
            "sk-Azq-7531",
        ),
        (
            r"{{ dict(api_key='sk-\u0041zq-7531').api_key }}",
            "{{ dict(api_key='***').api_key }}",
            "sk-Azq-7531",
        ),
        (
            r"""{{ {'authorization': "it's \"sk\" \\zq-7531"}['authorization'] }}""",
            """{{ {'authorization': "***"}['authorization'] }}""",
            'it\'s "sk" \\zq-7531',
        ),
        (  # adjacent literals are one value, each masked inside its own quotes
            r"""{% set api_key = "sk-\x41" 'zq-7531' %}{{ api_key }}""",
            """{% set api_key = "***" '***' %}{{ api_key }}""",
            "sk-Azq-7531",
        ),
        (  # Jinja reads CRLF as one line break; positions are the text's own
            '{#\r\n#}{% set api_key = "sk-\\\r\nzq-7531" %}{% set token %}\r\n'
            "sk-zq-7531\r\nb{% endset %}{{ api_key }}",
            '{#\r\n#}{% set api_key = "***" %}{% set token %}***{% endset %}{{ api_key }}',
            "sk-zq-7531",
        ),
    ],
)
def test_escaped_literal_secrets_are_masked_in_every_view(
    body: str, masked: str, secret: str
) -> None:
    generator = _generator(body)
    assert _masked_pattern(generator) == masked
    for text in spec_views(generator):
        assert _MARK not in text
    # The spec itself still sends the value, which the generator scrubs from echoes.
    assert generator.spec is not None
    assert generator.spec.request.transforms[0].pattern == body
    assert _rendered(generator) == secret
    assert generator._redact(f"echo: {secret}") == "echo: ***"


def test_a_secret_written_escaped_and_as_it_is_is_masked_everywhere() -> None:
    body = (
        r'{% set api_key = "sk-\x41zq-7531" %}{% set token = "sk-Azq-7531" %}'
        r'{{ {"note": "x sk-Azq-7531 y"}.note }}{"k": "sk-Azq-7531"}{{ api_key }}'
    )
    generator = _generator(body)
    assert _masked_pattern(generator) == (
        '{% set api_key = "***" %}{% set token = "***" %}'
        '{{ {"note": "***"}.note }}{"k": "***"}{{ api_key }}'
    )
    for text in spec_views(generator):
        assert _MARK not in text
    assert _rendered(generator) == 'x sk-Azq-7531 y{"k": "sk-Azq-7531"}sk-Azq-7531'


def test_literals_holding_only_a_part_of_a_secret_are_kept() -> None:
    """A literal equal to a part of the secret's value or of its source text is no secret."""
    body = (
        r'{% set api_key = "sk-\x41zq-7531" %}{% set model = "zq-7531" %}'
        r'{% set note = "x41zq" %}{{ model }} {{ note }} {{ api_key }} sk-A'
    )
    generator = _generator(body)
    assert _masked_pattern(generator) == (
        '{% set api_key = "***" %}{% set model = "zq-7531" %}'
        '{% set note = "x41zq" %}{{ model }} {{ note }} {{ api_key }} sk-A'
    )
    assert _rendered(generator) == "zq-7531 x41zq sk-Azq-7531 sk-A"


def test_secrets_that_overlap_are_masked_whole() -> None:
    """One secret starting where another, longer one does: the longer is masked to its end."""
    body = (
        '{% set api_key = "sk-Azq-7531" %}{% set token = "sk-Azq-7531-tail" %}'
        '{"k": "sk-Azq-7531-tail"}{{ api_key }}{{ token }}'
    )
    generator = _generator(body)
    assert _masked_pattern(generator) == (
        '{% set api_key = "***" %}{% set token = "***" %}{"k": "***"}{{ api_key }}{{ token }}'
    )
    for text in spec_views(generator):
        assert _MARK not in text
        assert "tail" not in text
    assert _rendered(generator) == '{"k": "sk-Azq-7531-tail"}sk-Azq-7531sk-Azq-7531-tail'


def test_a_short_secret_is_masked_where_it_stands_and_never_searched_for() -> None:
    """Under `MIN_SECRET_LENGTH` characters a secret is masked as a value, not searched for.

    Searching text for a one-letter key masked every such letter of the template (``a
    banana`` became ``*** b***n***n***``); free text (errors, logs) never searched for it.
    """
    from rigging._redact import MIN_SECRET_LENGTH, redact_text

    assert MIN_SECRET_LENGTH == 4
    body = (
        '{% set api_key = "a" %}{% set note = "a cat" %}{"token": "ab", "k": "ab"}'
        " a banana {{ api_key }} {{ note }}"
    )
    generator = _generator(body)
    assert _masked_pattern(generator) == (
        '{% set api_key = "***" %}{% set note = "a cat" %}{"token": "***", "k": "ab"}'
        " a banana {{ api_key }} {{ note }}"
    )
    assert _rendered(generator) == '{"token": "ab", "k": "ab"} a banana a a cat'
    # The echo scrubber keeps to the same line: short values are not searched for...
    assert generator._redact("a banana, ab") == "a banana, ab"
    assert redact_text("a banana", ["a"]) == "a banana"
    # ...and from four characters on, a value masked in the spec is scrubbed from echoes too.
    longer = _generator('{% set api_key = "abcd" %}{{ api_key }} abcd')
    assert _masked_pattern(longer) == '{% set api_key = "***" %}{{ api_key }} ***'
    assert longer._redact("echo abcd") == "echo ***"
