"""2.3 names the spec's module table lists (api.md section 1), used as 2.3 code used them.

`rigging.generator.base`: ``g_providers``, ``Fixup``, ``Fixups``, ``GeneratedT``;
`rigging.generator.litellm_`: ``OpenAIToolsWithImageURLsFixup`` (applied for real in
``test_litellm_fixups.py``), ``get_max_tokens_for_model``; `rigging.integrations.robopages`:
the TypedDicts of the server's formats; `rigging.tool.native`: the tool classes 2.3 kept there.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import typing as t
from collections.abc import Iterator, Sequence

import pytest

import rigging as rg
from rigging.error import InvalidModelSpecifiedError
from rigging.generator import GeneratedMessage, GeneratedText, GenerateParams, Generator
from rigging.message import ContentImageUrl, ContentText, Message

_NAMES = [
    ("rigging.generator.base", "g_providers"),
    ("rigging.generator.base", "Fixup"),
    ("rigging.generator.base", "Fixups"),
    ("rigging.generator.base", "GeneratedT"),
    ("rigging.generator.litellm_", "OpenAIToolsWithImageURLsFixup"),
    ("rigging.generator.litellm_", "get_max_tokens_for_model"),
    ("rigging.integrations.robopages", "OpenAIFunction"),
    ("rigging.integrations.robopages", "OpenAIFormat"),
    ("rigging.integrations.robopages", "RobopagesFunction"),
    ("rigging.tool.native", "Tool"),
    ("rigging.tool.native", "ToolDescription"),
    ("rigging.tool.native", "ToolResult"),
]


@pytest.mark.parametrize(("module", "name"), _NAMES)
def test_the_2_3_name_imports_from_its_2_3_module(module: str, name: str) -> None:
    namespace: dict[str, t.Any] = {}
    exec(f"from {module} import {name}", namespace)
    assert namespace[name] is not None


# --- g_providers: the live registry -----------------------------------------------------------


class _Mine(Generator):
    """A custom generator, as 2.3 code registers one."""

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        return [GeneratedMessage.from_text(f"mine: {m[-1].content}") for m in messages]


class _Other(_Mine):
    pass


@pytest.fixture
def providers() -> Iterator[t.Any]:
    from rigging.generator.base import g_providers

    before = list(g_providers)
    yield g_providers
    for name in [n for n in g_providers if n not in before]:
        del g_providers[name]


def test_g_providers_reads_the_registry_in_registration_order(providers: t.Any) -> None:
    assert list(providers)[:2] == ["litellm", "http"]
    assert list(providers) == rg.generator.providers()
    assert providers["base"] is Generator
    assert callable(providers["litellm"])  # a LazyGenerator: litellm is not imported yet
    rg.register_generator("mine", _Mine)
    assert list(providers)[-1] == "mine"
    assert providers["mine"] is _Mine


async def test_an_entry_added_to_g_providers_is_used_by_get_generator(providers: t.Any) -> None:
    providers["mine"] = _Mine
    generator = rg.get_generator("mine!model-a,temperature=0.5")
    assert type(generator) is _Mine
    assert generator.params.temperature == 0.5
    assert generator.to_identifier() == "mine!model-a,temperature=0.5"
    chat = await generator.chat("hi").run()
    assert chat.last.content == "mine: hi"
    providers["lazy-mine"] = lambda: _Mine  # a LazyGenerator, as 2.3's vllm/transformers
    assert type(rg.get_generator("lazy-mine!m")) is _Mine
    providers["mine"] = _Other  # replacing an entry is seen at once (no stale cache)
    assert type(rg.get_generator("mine!model-a")) is _Other
    assert list(providers).index("mine") < list(providers).index("lazy-mine")  # place kept
    del providers["mine"]
    with pytest.raises(InvalidModelSpecifiedError, match="unknown provider 'mine'"):
        rg.get_generator("mine!model-a")


def test_g_providers_changes_go_through_the_registry_checks(providers: t.Any) -> None:
    providers.update({"mine": _Mine})
    assert providers.setdefault("mine", _Other) is _Mine
    assert type(rg.get_generator("mine!m")) is _Mine
    with pytest.raises(ValueError, match="invalid provider name 'a!b'"):
        providers["a!b"] = _Mine
    with pytest.raises(TypeError, match="int is not a Generator subclass"):
        providers["num"] = int
    assert "a!b" not in providers
    assert "num" not in providers
    assert providers.pop("mine") is _Mine
    assert "mine" not in rg.generator.providers()
    assert isinstance(dict(providers), dict)
    assert "'base': <class 'rigging.generator.base.Generator'>" in repr(providers)


# --- Fixup, Fixups, GeneratedT ------------------------------------------------------------------


def test_fixup_is_an_abc_that_2_3_subclasses_implement() -> None:
    from rigging.generator.base import Fixup

    with pytest.raises(TypeError, match="abstract"):
        Fixup()  # type: ignore[abstract]

    class NoSystemFixup(Fixup):
        def can_fix(self, exception: Exception) -> bool:
            return "system messages are not supported" in str(exception)

        def fix(self, messages: Sequence[Message]) -> Sequence[Message]:
            return [Message("user", m.content) if m.role == "system" else m for m in messages]

    fixup = NoSystemFixup()
    assert fixup.can_fix(ValueError("system messages are not supported"))
    assert not fixup.can_fix(ValueError("rate limited"))
    fixed = fixup.fix([Message("system", "be brief"), Message("user", "hi")])
    assert [m.role for m in fixed] == ["user", "user"]


def test_fixups_is_a_dataclass_of_available_and_active_lists() -> None:
    from rigging.generator.base import Fixups
    from rigging.generator.litellm_ import OpenAIToolsWithImageURLsFixup

    assert [f.name for f in dataclasses.fields(Fixups)] == ["available", "active"]
    fixups = Fixups(available=[OpenAIToolsWithImageURLsFixup()])
    assert fixups.active == []
    assert Fixups().available == []
    assert Fixups().available is not Fixups().available
    assert pickle.loads(pickle.dumps(fixups)).available[0].__class__.__name__ == (
        "OpenAIToolsWithImageURLsFixup"
    )


def test_a_generator_activates_the_first_fixup_that_can_fix_an_error_and_keeps_it() -> None:
    from rigging.generator.base import Fixup

    class Upper(Fixup):
        def can_fix(self, exception: Exception) -> bool:
            return "shout" in str(exception)

        def fix(self, messages: Sequence[Message]) -> Sequence[Message]:
            return [Message(m.role, m.content.upper()) for m in messages]

    generator = Generator(model="m")
    upper = Upper()
    generator._fixups.available.append(upper)
    messages = [Message("user", "hi")]
    assert generator._apply_fixups(messages) == messages  # nothing active yet
    assert not generator._check_fixups(ValueError("other"))
    assert generator._check_fixups(ValueError("please shout"))
    assert (generator._fixups.available, generator._fixups.active) == ([], [upper])
    assert [m.content for m in generator._apply_fixups(messages)] == ["HI"]
    assert messages[0].content == "hi"  # the conversation itself is left alone
    assert not generator._check_fixups(ValueError("please shout"))  # already active
    assert copy.deepcopy(generator)._fixups.active[0].__class__ is Upper


def test_generated_t_is_a_type_variable_over_the_two_result_types() -> None:
    from rigging.generator.base import GeneratedT

    assert isinstance(GeneratedT, t.TypeVar)
    assert GeneratedT.__constraints__ == (GeneratedMessage, GeneratedText)

    def first(items: Sequence[GeneratedT]) -> GeneratedT:  # 2.3-style generic helper
        return items[0]

    assert first([GeneratedText.from_text("x")]).text == "x"


# --- litellm_ helpers -------------------------------------------------------------------------


def test_get_max_tokens_for_model_reads_litellm_s_local_cost_map() -> None:
    from rigging.generator.litellm_ import get_max_tokens_for_model, import_litellm

    entry = import_litellm().model_cost["gpt-4o"]
    expected = entry.get("max_tokens") or entry["max_output_tokens"]
    assert isinstance(expected, int)
    assert get_max_tokens_for_model("gpt-4o") == expected
    # leading provider/ segments are dropped one at a time until a name is known
    assert get_max_tokens_for_model("openai/gpt-4o") == expected
    assert get_max_tokens_for_model("my-proxy/openai/gpt-4o") == expected


@pytest.mark.parametrize(
    "model", ["no-such-model-xyz", "openai/no-such-model-xyz", "", "/", "sample_spec"]
)
def test_get_max_tokens_for_model_is_none_for_a_model_litellm_does_not_list(model: str) -> None:
    from rigging.generator.litellm_ import get_max_tokens_for_model

    # sample_spec is litellm's documentation entry: its limits are descriptions, not ints
    assert get_max_tokens_for_model(model) is None


def test_the_image_fixup_triggers_on_openai_s_error_only() -> None:
    from rigging.generator.litellm_ import OpenAIToolsWithImageURLsFixup

    fixup = OpenAIToolsWithImageURLsFixup()
    refused = (
        "litellm.BadRequestError: OpenAIException - Invalid 'messages[2]'. Image URLs are only "
        "allowed for messages with role 'user', but this message with role 'tool' contains an "
        "image URL."
    )
    assert fixup.can_fix(Exception(refused))
    assert not fixup.can_fix(Exception("Invalid 'messages[2]': content too long"))
    assert not fixup.can_fix(Exception("image urls are fine here"))


def test_the_image_fixup_moves_tool_images_into_a_user_message_after_the_tool_run() -> None:
    from rigging.generator.litellm_ import OpenAIToolsWithImageURLsFixup

    image = ContentImageUrl.from_url("https://example.com/cat.png")
    messages = [
        Message("user", "look at these"),
        Message("assistant", "calling"),
        Message("tool", [ContentText(text="first"), image], tool_call_id="call-1"),
        Message("tool", "plain text result", tool_call_id="call-2"),
        Message("tool", [image], tool_call_id="call-3"),
        Message("assistant", "seen"),
        Message("tool", [ContentText(text="again"), image], tool_call_id="call-4"),
    ]
    fixed = OpenAIToolsWithImageURLsFixup().fix(messages)
    assert [(m.role, m.tool_call_id) for m in fixed] == [
        ("user", None),
        ("assistant", None),
        ("tool", "call-1"),
        ("tool", "call-2"),
        ("tool", "call-3"),
        ("user", None),
        ("user", None),
        ("assistant", None),
        ("tool", "call-4"),
        ("user", None),
    ]
    assert [fixed[i].all_content for i in (2, 3, 4, 8)] == [
        "See next message",
        "plain text result",
        "See next message",
        "See next message",
    ]
    assert fixed[5].all_content == [ContentText(text="first"), image]
    assert fixed[6].all_content == [image]
    assert fixed[9].all_content == [ContentText(text="again"), image]
    assert messages[2].all_content == [ContentText(text="first"), image]  # originals unchanged


# --- robopages TypedDicts and tool.native ------------------------------------------------------


def test_robopages_typed_dicts_have_the_2_3_keys() -> None:
    from rigging.integrations.robopages import OpenAIFormat, OpenAIFunction, RobopagesFunction

    assert OpenAIFunction.__required_keys__ == {"name", "description", "parameters"}
    assert OpenAIFormat.__required_keys__ == {"type", "function"}
    assert RobopagesFunction.__required_keys__ == {
        "name",
        "description",
        "parameters",
        "page_name",
        "page_description",
    }
    function: OpenAIFunction = {"name": "f", "description": "d", "parameters": {}}
    entry: OpenAIFormat = {"type": "function", "function": function}
    assert entry["function"]["name"] == "f"


def test_tool_native_keeps_2_3_s_tool_classes() -> None:
    from rigging.tool import Tool, ToolDescription, ToolResult, native

    assert (native.Tool, native.ToolDescription, native.ToolResult) == (
        Tool,
        ToolDescription,
        ToolResult,
    )


def test_g_providers_copies_and_merges_like_2_3_s_dict(providers: t.Any) -> None:
    copied = providers.copy()
    assert type(copied) is dict
    assert list(copied) == list(providers)
    copied["mine"] = _Mine  # a copy: the registry is unchanged
    assert "mine" not in providers
    assert list(providers | {"mine": _Mine})[-1] == "mine"
    assert next(iter({"mine": _Mine} | providers)) == "mine"
    assert "mine" not in providers
