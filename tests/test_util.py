import asyncio
import functools

import pytest

from rigging.util import (
    await_,
    deref_json,
    escape_xml,
    get_qualified_name,
    to_snake,
    to_xml_tag,
    truncate_string,
    unescape_xml,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("a &amp; b &lt; &gt; &apos; &quot;", "a &amp; b &lt; &gt; &apos; &quot;"),
        ("&foo; &#123;", "&amp;foo; &amp;#123;"),
        ("<b> 'q' \"d\"", "<b> 'q' \"d\""),
        ("", ""),
    ],
)
def test_escape_xml_only_escapes_bare_ampersands(raw: str, escaped: str) -> None:
    assert escape_xml(raw) == escaped


def test_unescape_xml_is_single_pass() -> None:
    assert unescape_xml("&amp; &lt; &gt; &apos; &quot;") == "& < > ' \""
    assert unescape_xml("&amp;lt;") == "&lt;"
    assert unescape_xml("&nbsp; plain") == "&nbsp; plain"


@pytest.mark.parametrize(
    ("name", "snake", "tag"),
    [
        ("FunFact", "fun_fact", "fun-fact"),
        ("YesNoAnswer", "yes_no_answer", "yes-no-answer"),
        ("HTTPServer", "http_server", "http-server"),
        ("Model2", "model_2", "model-2"),
        ("input_", "input_", "input"),
        ("QuestionAnswer", "question_answer", "question-answer"),
        ("kebab-case", "kebab_case", "kebab-case"),
    ],
)
def test_snake_and_tag(name: str, snake: str, tag: str) -> None:
    assert to_snake(name) == snake
    assert to_xml_tag(name) == tag


def test_truncate_string_keeps_both_ends() -> None:
    assert truncate_string("short", 10) == "short"
    assert truncate_string("abcdefghijklmnop", 9) == "abc...nop"
    assert truncate_string("abcdefghij", 5, sep="~") == "ab~ij"


class _Callable:
    def __call__(self) -> None:
        return None

    def method(self) -> None:
        return None


def _plain() -> None:
    return None


def test_get_qualified_name() -> None:
    assert get_qualified_name(None) == "unknown"
    assert get_qualified_name(3) == "unknown"
    assert get_qualified_name(_plain).endswith("test_util._plain")
    assert get_qualified_name(functools.partial(_plain)).startswith("partial(")
    assert get_qualified_name(_Callable().method) == "_Callable.method"
    assert get_qualified_name(_Callable) == "_Callable"
    assert get_qualified_name(_Callable()) == "_Callable.__call__"

    @functools.wraps(_plain)
    def wrapper() -> None:
        return None

    assert get_qualified_name(wrapper).startswith("wrapped(")


def test_deref_json_inlines_local_refs() -> None:
    schema = {
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}}}},
        "properties": {"p": {"$ref": "#/$defs/Point", "description": "a point"}},
    }
    out = deref_json(schema, is_json_schema=True)
    assert out["properties"]["p"] == {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
        "description": "a point",
    }
    assert "$defs" in out


def test_deref_json_errors() -> None:
    with pytest.raises(ValueError, match="reference cycle"):
        deref_json({"$defs": {"A": {"$ref": "#/$defs/A"}}, "x": {"$ref": "#/$defs/A"}})
    with pytest.raises(ValueError, match="unresolvable reference"):
        deref_json({"x": {"$ref": "#/$defs/Missing"}})
    with pytest.raises(ValueError, match="only local references"):
        deref_json({"x": {"$ref": "http://example.com/schema"}})


async def _double(x: int) -> int:
    await asyncio.sleep(0)
    return x * 2


def test_await_runs_coroutines_from_sync_code() -> None:
    assert await_(_double(2)) == 4
    assert await_(_double(1), _double(3)) == [2, 6]


async def test_await_refuses_inside_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="cannot block inside a running event loop"):
        await_(_double(1))


def test_await_needs_a_coroutine() -> None:
    with pytest.raises(RuntimeError, match="at least one coroutine"):
        await_()
