# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""Error texts made from a model's reply or a remote answer are clipped, after redaction.

A reply of megabytes (or a response body, or a URL rendered from a message) quoted by a
validation error, a template error or a refusal used to make a message of megabytes: in the
feedback sent back to the model, in a tool's answer, in the exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from _servers.openai_stub import ErrorReply, OpenAIStub
from pydantic import field_validator

import rigging as rg
from rigging.error import _FEEDBACK_LIMIT, ProcessingError, UnknownToolError, _clip
from rigging.generator import GenerateParams
from rigging.generator import _http_spec as http_spec
from rigging.generator.http import HTTPGenerator, HTTPSpec, RequestTransformContext
from rigging.generator.testing import ScriptedGenerator
from rigging.tool import ApiTool, FunctionTool, ToolArgumentsError
from rigging.tool.api import FunctionCall, ToolCall, unknown_tool
from rigging.tool.base import describe_error

HUGE = 1_000_000
MARK = re.compile(r" \[\.\.\. ([\d,]+) more characters clipped\]$")


def _clipped_at(text: str, limit: int) -> int:
    """How many characters the clip at the end of `text` left out (it must be there)."""
    match = MARK.search(text)
    assert match is not None, text[-200:]
    assert match.start() <= limit
    return int(match.group(1).replace(",", ""))


# --- the helper -------------------------------------------------------------------------------


def test_clip_keeps_short_text_and_marks_a_cut_with_what_was_left_out() -> None:
    assert _clip("short", 5) == "short"
    assert _clip("abcdefgh", 3) == "abc [... 5 more characters clipped]"
    assert _clip("x" * 12_345, 0) == " [... 12,345 more characters clipped]"


def test_clip_never_splits_a_surrogate_pair_or_a_character() -> None:
    pair = "\ud83d\ude00"  # an emoji as two code points (as a UTF-16 source can leave it)
    text = "a" * 9 + pair + "b" * 10
    clipped = _clip(text, 10)
    assert clipped == "a" * 9 + " [... 12 more characters clipped]"
    assert _clip(text, 11) == "a" * 9 + pair + " [... 10 more characters clipped]"
    lone = "a" * 9 + "\ud83d" + "b" * 10  # a lone high surrogate is one character: cut after
    assert _clip(lone, 10).startswith("a" * 9 + "\ud83d [")
    wide = "\U0001f600é中" * 10  # one code point each, 4, 2 and 3 bytes in UTF-8
    clipped = _clip(wide, 7)
    assert clipped.startswith("\U0001f600é中\U0001f600é中\U0001f600 [")
    clipped.encode("utf-8")  # whole characters only


# --- feedback to the model ----------------------------------------------------------------------


class Word(rg.Model):
    content: str

    @field_validator("content")
    @classmethod
    def _known(cls, value: str) -> str:
        if value != "yes":
            raise ValueError(f"not a known word: {value}")  # quotes the reply, as many do
        return value


def _feedback(gen: ScriptedGenerator, call: int) -> str:
    sent = gen.calls[call].input
    assert isinstance(sent, list)
    return str(sent[-1]["content"])


async def test_the_parse_feedback_of_a_huge_reply_is_clipped() -> None:
    gen = ScriptedGenerator(responses=[f"<word>{'n' * HUGE}</word>", "<word>yes</word>"])
    chat = await gen.chat("say").until_parsed_as(Word, attempt_recovery=True).run()
    assert chat.last.content == "<word>yes</word>"
    feedback = _feedback(gen, 1)
    assert len(feedback) < _FEEDBACK_LIMIT + 500
    assert "not a known word: nnn" in feedback
    inner = feedback.split("<validation-error>")[1].split("</validation-error>")[0]
    assert _clipped_at(inner, _FEEDBACK_LIMIT) > HUGE - _FEEDBACK_LIMIT


async def test_a_completion_checks_last_error_is_clipped() -> None:
    gen = ScriptedGenerator(responses=[f"<word>{'n' * HUGE}</word>"])
    pipeline = gen.complete("say: ").until_parsed_as(Word, max_rounds=0)
    [failed] = await pipeline.catch(on_failed="include").run_batch(["say: "])
    last_error = getattr(failed.error, "last_error", "")
    assert _clipped_at(last_error, 1000) > 0


async def test_a_prompts_feedback_of_a_huge_reply_is_clipped() -> None:
    gen = ScriptedGenerator(responses=[f"<word>{'n' * HUGE}</word>", "<word>yes</word>"])

    @gen.prompt
    async def say(x: str) -> Word:
        """Say {{ x }}."""

    assert (await say("it")).content == "yes"
    feedback = _feedback(gen, 1)
    assert len(feedback) < _FEEDBACK_LIMIT + 500
    assert "more characters clipped]" in feedback


def shout(text: str) -> str:
    """Shout."""
    raise ValueError(f"cannot shout {text}")


def spell(word: Word) -> str:
    """Spell a word."""
    return word.content


def test_tool_errors_quoting_the_models_arguments_are_clipped() -> None:
    huge = "n" * HUGE
    with pytest.raises(ToolArgumentsError) as info:
        FunctionTool(spell).validate({"word": {"content": huge}})
    assert _clipped_at(str(info.value), _FEEDBACK_LIMIT + 100) > 0
    with pytest.raises(ToolArgumentsError) as info:
        FunctionTool(spell).validate('{"' + huge + '": 1, "' + huge + '": 2}')
    assert _clipped_at(str(info.value), _FEEDBACK_LIMIT + 100) > 0
    assert len(unknown_tool(huge, ["spell"])) < 500
    assert _clipped_at(describe_error(ValueError(huge)), _FEEDBACK_LIMIT) > 0


async def test_a_tool_raising_with_a_huge_text_answers_clipped() -> None:
    gen = ScriptedGenerator(
        responses=['<tool-call name="shout">{"text": "' + "n" * HUGE + '"}</tool-call>', "done"]
    )
    chat = await gen.chat("go").using(shout).run()
    answer = str(chat.all[-2].content)
    assert "cannot shout nnn" in answer
    assert len(answer) < _FEEDBACK_LIMIT + 500


async def test_an_unknown_tool_error_quotes_a_huge_name_clipped() -> None:
    huge = "g" * HUGE
    call = ToolCall(id="1", function=FunctionCall(name=huge, arguments="{}"))
    with pytest.raises(UnknownToolError) as info:
        await ApiTool(spell).execute(call)
    assert len(str(info.value)) < 1000  # the name is quoted twice: message and detail
    assert info.value.tool_name == huge  # the attribute keeps what the model sent
    assert len(str(UnknownToolError(huge))) < 500


async def test_a_native_result_names_a_huge_unknown_tool_clipped() -> None:
    gen = ScriptedGenerator(responses=[f'<tool-call name="{"g" * HUGE}">{{}}</tool-call>', "ok"])
    chat = await gen.chat("go").using(shout, mode="native").run()
    answer = chat.all[-2].content
    assert answer.startswith('<tool-result name="ggg')
    assert len(answer) < 1000


# --- HTTP spec errors ---------------------------------------------------------------------------

KEY = "sk-clip-KEY-0123456789abcdef"


def _ctx(content: str) -> RequestTransformContext:
    return RequestTransformContext(
        role="user",
        content=content,
        all_content=content,
        messages=[],
        params={},
        model="m",
        api_key=KEY,
    )


QUOTING = "{{ {}[content].missing }}"  # jinja's error names the missing key: the content


def test_spec_errors_quoting_a_huge_value_are_clipped_after_redaction() -> None:
    # The key straddles the clip: clipped first, its head would stay unrecognised.
    content = "w" * (http_spec.MAX_ERROR - 70) + KEY + "w" * HUGE
    spec = HTTPSpec.model_validate(
        {
            "request": {
                "url": "http://127.0.0.1:1/" + QUOTING,
                "headers": {"X-Tag": QUOTING},
                "transforms": [{"type": "jinja", "pattern": QUOTING}],
            },
            "response": {"transforms": [{"type": "jinja", "pattern": "{{ {}[body].missing }}"}]},
        }
    )
    ctx = _ctx(content)
    for make in (spec.make_url, spec.make_headers, spec.make_request_body):
        with pytest.raises(ProcessingError) as info:
            make(ctx)
        text = str(info.value)
        assert text.startswith("HTTP spec request.")
        assert _clipped_at(text, http_spec.MAX_ERROR) > HUGE - http_spec.MAX_ERROR
        assert KEY[:8] not in text
    with pytest.raises(ProcessingError) as info:
        spec.parse_response_body("b" * HUGE)
    text = str(info.value)
    assert text.startswith("HTTP spec response.transforms[0] (jinja) failed")
    assert _clipped_at(text, http_spec.MAX_ERROR) > HUGE - http_spec.MAX_ERROR


@pytest.fixture
def server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as stub:
        yield stub


async def test_an_invalid_status_names_a_url_rendered_from_a_huge_message_clipped(
    server: OpenAIStub,
) -> None:
    spec = {
        "request": {
            "url": server.base_url + "/chat/completions?q={{ content }}",
            "transforms": [
                {"type": "json", "pattern": {"model": "$model", "messages": "$messages"}}
            ],
        },
        "response": {"valid_status_codes": [200]},
    }
    gen = HTTPGenerator(model="m", spec=spec, max_retries=0)
    server.script(ErrorReply(404, message="e" * HUGE))
    with pytest.raises(ProcessingError, match="received invalid status code 404 for http") as info:
        await gen.generate_texts(["q" * 20_000], [GenerateParams()])
    text = str(info.value)
    assert len(text) < 1500
    assert text.count("more characters clipped]") == 2  # the URL, then the server's message


def test_a_refused_destination_rendered_from_a_huge_message_is_shown_clipped() -> None:
    from rigging.error import GenerationError
    from rigging.generator._origin import mark_destination_from_data, refuse_data_destination

    params = GenerateParams()
    mark_destination_from_data(params, "spec", "loaded spec")
    url = "https://far.example/ask?q=" + "q" * HUGE
    with pytest.raises(GenerationError, match="for m to 'https://far") as info:
        refuse_data_destination(params, "spec", "loaded spec", url, "m", url)
    assert len(str(info.value)) < 1500
    assert "more characters clipped]'" in str(info.value)
