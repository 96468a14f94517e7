"""Every entry of rigging 2.3's public interface resolves here, with its parameter names.

The inventory (``tests/data/api-2.3-signatures.txt``, a copy of the spec's, generated from
the installed 2.3.0 package) lists every public class, method, property, field and function
with parameter names and defaults. Each entry must resolve on our package; each named
parameter must exist in ``inspect.signature``; a literal default (None, a bool, a number, a
string) must be the same unless listed in `CHANGED_DEFAULTS` with the reason. Each parameter
must also be of the same kind, so 2.3 calls bind the same way: one listed before ``*`` is
positional-or-keyword, in the same order (the inventory drops 2.3's ``/`` marker, so ours may
be positional-only only where `POSITIONAL_ONLY` gives the reason), one after ``*`` or
``*args`` keyword-only, ``*args``/``**kwargs`` variadic; and ours needs no parameter 2.3 did
not have. Entries that are 2.3 internals are listed in `SKIPPED` with the reason.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INVENTORY = Path(__file__).resolve().parent / "data" / "api-2.3-signatures.txt"

_PROMPT_HELPERS = (
    "BasicInput BasicListOutput BasicOutput ChatOutput DataclassOutput DictInput Input "
    "ListInput ModelInput ModelListOutput ModelOutput Output TupleOutput"
).split()

#: Entry-name prefixes left out, with the reason.
SKIPPED: dict[str, str] = {
    **{
        f"rigging.prompt.{name}": "2.3 internal: a private helper class of the prompt module "
        "(inputs and outputs are built from the signature by rigging.prompt._inputs/_outputs)"
        for name in _PROMPT_HELPERS
    },
    "rigging.prompt.make_parameter": "2.3 internal helper of the prompt module",
    "rigging.prompt.parse_output": "2.3 internal helper of the prompt module",
    "rigging.prompt.parse_parameter": "2.3 internal helper of the prompt module",
    "rigging.chat.RunState.__init__": "2.3 internal: pipeline run state constructor",
    "rigging.completion.RunState.__init__": "2.3 internal: pipeline run state constructor",
    "rigging.Message.rename_content": "2.3 internal: a pydantic serializer hook",
    "rigging.message.Message.rename_content": "2.3 internal: a pydantic serializer hook",
    "rigging.generator.HTTPGenerator.process_spec": "2.3 internal: a pydantic field validator "
    "(specs are still accepted as str/dict/HTTPSpec, by HTTPGenerator._load_spec)",
}

#: Parameters left out of an entry's check, with the reason.
SKIPPED_PARAMS: dict[str, dict[str, str]] = {
    entry: {
        "inputs": "dataclass field filled from the function signature by @rg.prompt",
        "output": "dataclass field filled from the return annotation by @rg.prompt",
        "api_tools": "dataclass field filled by @rg.prompt(tools=...)",
    }
    for entry in ("rigging.Prompt.__init__", "rigging.prompt.Prompt.__init__")
}

#: Defaults that differ on purpose, with the reason.
CHANGED_DEFAULTS: dict[tuple[str, str], str] = {
    (f"{module}.CompletionPipeline.run_batch", "on_failed"): "None means the pipeline's own "
    'failure mode ("raise" unless catch() changed it); 2.3\'s literal "raise" ignored '
    "catch(on_failed=...) (spec section 6b)"
    for module in ("rigging", "rigging.completion")
}


_SPEC_SLASH = "positional-only in 2.3 too: the spec (api.md section 4.10/4.12) shows the `/`"
_PROTOCOL = (
    "a callback protocol's __call__: positional-only lets a callback of any parameter name "
    "satisfy it; rigging calls callbacks positionally, so user code is unaffected"
)
_PYDANTIC = "pydantic's own hook (BaseModel.model_post_init(self, context, /))"

#: Parameters the inventory lists as positional that are positional-only here, with the reason.
POSITIONAL_ONLY: dict[tuple[str, str], str] = {
    **{
        (f"{module}.{name}", param): _SPEC_SLASH
        for module in ("rigging.ChatPipeline", "rigging.chat.ChatPipeline")
        for name, param in (
            ("run_prompt", "prompt"),
            ("run_prompt_many", "prompt"),
            ("run_prompt_many", "count"),
            ("run_prompt_over", "prompt"),
            ("run_prompt_over", "generators"),
        )
    },
    **{
        (f"{module}.{name}", param): _SPEC_SLASH
        for module in ("rigging.Prompt", "rigging.prompt.Prompt")
        for name, param in (("run_many", "count"), ("run_over", "generators"))
    },
    ("rigging.prompt", "func"): _SPEC_SLASH,
    ("rigging.prompt.prompt", "func"): _SPEC_SLASH,
    **{
        (f"{module}.{name}.__call__", param): _PROTOCOL
        for module, name, param in (
            ("rigging", "MapChatCallback", "chats"),
            ("rigging", "ThenChatCallback", "chat"),
            ("rigging", "MapCompletionCallback", "completions"),
            ("rigging", "ThenCompletionCallback", "completion"),
            ("rigging.chat", "MapChatCallback", "chats"),
            ("rigging.chat", "ThenChatCallback", "chat"),
            ("rigging.chat", "UntilMessageCallback", "message"),
            ("rigging.chat", "WatchChatCallback", "chats"),
            ("rigging.completion", "MapCompletionCallback", "completions"),
            ("rigging.completion", "ThenCompletionCallback", "completion"),
            ("rigging.completion", "UntilCompletionCallback", "text"),
            ("rigging.completion", "WatchCompletionCallback", "completions"),
        )
    },
    **{
        (f"{cls}.model_post_init", "context"): _PYDANTIC
        for cls in (
            "rigging.Generator",
            "rigging.generator.Generator",
            "rigging.generator.HTTPGenerator",
            "rigging.generator.LiteLLMGenerator",
            "rigging.model.CommaDelimitedAnswer",
            "rigging.model.DelimitedAnswer",
            "rigging.model.NewlineDelimitedAnswer",
        )
    },
}

#: Entries whose positional parameters come in another order, with the reason.
CHANGED_ORDER: dict[str, str] = {
    entry: "the dataclass fields after max_rounds are meant for keywords: 2.3 code passes "
    "params/watch_callbacks by keyword (@rg.prompt builds a Prompt; nothing constructs one "
    "positionally past max_rounds), and inputs/output/api_tools are gone (SKIPPED_PARAMS)"
    for entry in ("rigging.Prompt.__init__", "rigging.prompt.Prompt.__init__")
}

_KINDS = {
    "positional": inspect.Parameter.POSITIONAL_OR_KEYWORD,
    "keyword": inspect.Parameter.KEYWORD_ONLY,
    "*": inspect.Parameter.VAR_POSITIONAL,
    "**": inspect.Parameter.VAR_KEYWORD,
}


@dataclass(frozen=True)
class Entry:
    line: str
    name: str
    params: tuple[tuple[str, str | None], ...] | None
    fields: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    """One per parameter: "positional", "keyword", "*" or "**" (keys of `_KINDS`)."""


_ENTRY = re.compile(
    r"^(?P<name>[\w.]+)(?:\((?P<params>.*)\))?(?:\s+\[(?P<kind>\w+)\])?"
    r"(?:\s+fields: (?P<fields>.*))?$"
)


def _split_params(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "(<[{":
            depth += 1
        elif char in ")>]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def read_inventory() -> list[Entry]:
    entries = []
    for line in INVENTORY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = _ENTRY.match(line)
        assert match, line
        params = None
        kinds: list[str] = []
        if match.group("params") is not None:
            params = []
            keyword = False  # past a bare * or *args
            for part in _split_params(match.group("params")):
                if part == "*":
                    keyword = True
                    continue
                name, _, default = part.partition("=")
                if name.startswith("**"):
                    kinds.append("**")
                elif name.startswith("*"):
                    kinds.append("*")
                    keyword = True
                else:
                    kinds.append("keyword" if keyword else "positional")
                params.append((name.lstrip("*"), default if _ else None))
        fields = tuple(f.strip() for f in (match.group("fields") or "").split(",") if f.strip())
        entries.append(
            Entry(
                line,
                match.group("name"),
                tuple(params) if params is not None else None,
                fields,
                tuple(kinds),
            )
        )
    return entries


def _walk(obj: Any, parts: list[str]) -> Any:
    for part in parts:
        obj = inspect.getattr_static(obj, part) if isinstance(obj, type) else getattr(obj, part)
    return obj


def resolve(dotted: str) -> Any:
    """Resolve like user code would: attribute access from ``rigging`` (``rigging.chat`` is
    the function), falling back to importing the longest module prefix (``rigging.chat``
    the module, for ``rigging.chat.Chat``)."""
    parts = dotted.split(".")
    try:
        return _walk(importlib.import_module(parts[0]), parts[1:])
    except AttributeError:
        pass
    for cut in range(len(parts) - 1, 1, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        return _walk(module, parts[cut:])
    raise AttributeError(dotted)


def _skip_reason(entry: Entry) -> str | None:
    for prefix, reason in SKIPPED.items():
        if entry.name == prefix or entry.name.startswith(prefix + "."):
            return reason
    return None


ENTRIES = read_inventory()


def test_inventory_copy_is_complete() -> None:
    assert len(ENTRIES) == 587
    assert sum(len(e.fields) for e in ENTRIES) > 100
    assert sum(_skip_reason(e) is not None for e in ENTRIES) == 85


def _literal(text: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False, None


# 2.3 internals (listed with their reasons above) are left out of the checks, not skipped;
# test_inventory_copy_is_complete pins how many there are.
CHECKED = [e for e in ENTRIES if _skip_reason(e) is None]


@pytest.mark.parametrize("entry", CHECKED, ids=[e.line.split("  ")[0] for e in CHECKED])
def test_entry_resolves_with_its_parameters(entry: Entry) -> None:
    obj = resolve(entry.name)
    for field in entry.fields:  # pydantic fields (or attributes) of a class entry
        assert field in getattr(obj, "model_fields", {}) or hasattr(obj, field), (
            f"{entry.name} has no field {field!r}"
        )
    if entry.params is None:
        return
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    signature = inspect.signature(obj)
    skipped = SKIPPED_PARAMS.get(entry.name, {})
    for name, default in entry.params:
        if name in skipped:
            continue
        assert name in signature.parameters, f"{entry.line}: no parameter {name!r} in {signature}"
        if default is None or (entry.name, name) in CHANGED_DEFAULTS:
            continue
        known, value = _literal(default)
        if known:
            ours = signature.parameters[name].default
            assert ours == value, f"{entry.line}: {name} defaults to {ours!r}, 2.3 had {value!r}"


def _ours(signature: inspect.Signature) -> list[inspect.Parameter]:
    """Our parameters as the inventory lists them: no receiver, no private ones."""
    return [
        p
        for name, p in signature.parameters.items()
        if name not in ("self", "cls") and not name.startswith("_")
    ]


@pytest.mark.parametrize("entry", CHECKED, ids=[e.line.split("  ")[0] for e in CHECKED])
def test_entry_parameters_have_the_2_3_kinds(entry: Entry) -> None:
    """A 2.3 call binds the same way: positional arguments land on the same parameters, a
    keyword argument is accepted, and no argument 2.3 did not take is required."""
    if entry.params is None:
        return
    obj = resolve(entry.name)
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    signature = inspect.signature(obj)
    skipped = SKIPPED_PARAMS.get(entry.name, {})
    theirs = [
        (name, kind)
        for (name, _), kind in zip(entry.params, entry.kinds, strict=True)
        if name not in skipped
    ]
    for name, kind in theirs:
        if name not in signature.parameters:
            continue  # test_entry_resolves_with_its_parameters reports it
        ours = signature.parameters[name].kind
        if ours is _KINDS[kind]:
            continue
        allowed = (
            kind == "positional"
            and ours is inspect.Parameter.POSITIONAL_ONLY
            and (entry.name, name) in POSITIONAL_ONLY
        )
        assert allowed, f"{entry.line}: {name} is {ours.description} here, {kind} in 2.3"
    if entry.name not in CHANGED_ORDER:
        positional = [n for n, k in theirs if k == "positional"]
        ours_positional = [
            p.name
            for p in _ours(signature)
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        assert ours_positional[: len(positional)] == positional, (
            f"{entry.line}: positional parameters are {ours_positional} here"
        )
    known = {name for name, _ in entry.params} | set(skipped)
    required = [
        p.name
        for p in _ours(signature)
        if p.name not in known
        and p.default is p.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    assert not required, f"{entry.line}: requires {required}, which 2.3 did not have"


def test_kind_exceptions_are_still_needed() -> None:
    """Every exception is an inventory parameter that is positional-only here (remove one
    from `POSITIONAL_ONLY` once it takes keywords again), and every reordered entry exists."""
    by_name = {e.name: e for e in CHECKED}
    for entry_name, param in POSITIONAL_ONLY:
        assert param in dict(by_name[entry_name].params or ()), (entry_name, param)
        obj = resolve(entry_name)
        kind = inspect.signature(obj).parameters[param].kind
        assert kind is inspect.Parameter.POSITIONAL_ONLY, (
            f"{entry_name}({param}) takes keywords now: remove it from POSITIONAL_ONLY"
        )
    assert set(CHANGED_ORDER) <= set(by_name)
