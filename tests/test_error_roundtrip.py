"""Every exception class of the package survives copy, deepcopy and pickle; so do failed results.

Python copies and unpickles an exception as ``type(e)(*e.args)``, which fails (or garbles the
message) for an error whose constructor takes other parameters. The classes are found by
walking the package, so a new one without an entry in `FACTORIES` fails here.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import inspect
import os
import pickle
import pkgutil
import re
import subprocess
import sys
import typing as t
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import field_validator

import rigging as rg
from rigging import _native
from rigging._cache.store import CacheError
from rigging._data.elastic import ElasticDataError
from rigging._data.elastic_bulk import ElasticBulkError
from rigging._message.content import PartDroppedWarning, UnresolvedPartWarning
from rigging._model.plan import _UnsupportedError
from rigging._pipeline.resumable import _WindowError
from rigging.chat import Chat
from rigging.completion import Completion
from rigging.error import (
    CallbackResultError,
    CheckpointError,
    CompletionExhaustedMaxRoundsError,
    ExhaustedMaxRoundsError,
    GenerationError,
    InvalidArgumentError,
    InvalidModelSpecifiedError,
    MessagesExhaustedMaxRoundsError,
    MissingModelError,
    MultipleModelsError,
    NothingToStripError,
    ProcessingError,
    RestoredError,
    RunNestingError,
    ToolDepthExceededError,
    UnknownToolError,
    XmlContentError,
    _reduce,
)
from rigging.generator._litellm_convert import MalformedChunkError
from rigging.generator._litellm_errors import MalformedResponseError
from rigging.generator._remote import DeadlineExceededError
from rigging.generator.http import _StatusError
from rigging.generator.testing import ScriptedGenerator
from rigging.model import Answer
from rigging.tool._guard import ToolExitError, ToolTimeoutError
from rigging.tool.base import ToolArgumentsError, _RefusedJSONError

SECRET = "sk-roundtrip-secret-0123"
COOKIE = "session-roundtrip-cookie-4567"
NOTE = "rigging: raised by processing for item 3 in round 2"


def _raised(call: Callable[[], object]) -> BaseException:
    """The exception `call` raises (native errors are made by the native code itself)."""
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("expected an exception")


class _Rated(rg.Model, tag="rated"):
    value: int

    @field_validator("value")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 0:
            raise KeyError("not positive")  # not a validation error: the parser names it
        return value


def _dialog() -> list[rg.Message]:
    return [rg.Message("user", "What is 6 * 7?"), rg.Message("assistant", "maybe 41")]


def _exhausted() -> ExhaustedMaxRoundsError:
    error = ExhaustedMaxRoundsError(3, last_error="Failed to find '<answer></answer>'")
    error.index, error.round = 3, 2
    return error


def _status_error() -> _StatusError:
    request = httpx.Request("POST", "https://x.test/v1", headers={"Authorization": SECRET})
    response = httpx.Response(
        401,
        headers={"Retry-After": "2", "Set-Cookie": COOKIE, "X-Api-Key": SECRET},
        text=f"invalid key {SECRET}",
        request=request,
    )
    return _StatusError(response, retryable=False, redact=lambda text: text.replace(SECRET, "***"))


FACTORIES: dict[str, Callable[[], BaseException]] = {
    "rigging._native.RiggingError": lambda: _native.RiggingError("the root"),
    "rigging._native.IdentifierError": lambda: _raised(lambda: _native.Identifier.parse("a,b=,")),
    "rigging._native.SpliceError": lambda: _raised(lambda: _native.strip_spans("abc", [(2, 1)])),
    "rigging._native.FanOutError": lambda: _raised(lambda: _native.FanOut(-1, 1)),
    "rigging._native.ScanError": lambda: _raised(lambda: _native.scan("x", ["bad tag"])),
    "rigging.error.MissingModelError": lambda: MissingModelError("Failed to find '<a></a>'"),
    "rigging.error.NothingToStripError": lambda: NothingToStripError("Could not find <a>"),
    "rigging.error.CallbackResultError": lambda: CallbackResultError("returned an int"),
    "rigging.error.InvalidArgumentError": lambda: InvalidArgumentError("cannot bind to int"),
    "rigging.error.MultipleModelsError": lambda: MultipleModelsError("found 2 <a>", count=2),
    "rigging.error.XmlContentError": lambda: XmlContentError(
        "malformed XML", tag="answer", position=7, snippet="<answer><b></answer>"
    ),
    "rigging.error.ValidatorRaisedError": lambda: _raised(
        lambda: rg.parsing.parse("<rated>-1</rated>", _Rated)
    ),
    "rigging.error.InvalidModelSpecifiedError": lambda: InvalidModelSpecifiedError(
        f"openai/gpt-4o,api_key={SECRET},temperature=x", position=12
    ),
    "rigging.error.ProcessingError": lambda: ProcessingError("Error while preparing URL"),
    "rigging.error.UnknownToolError": lambda: UnknownToolError("search", detail="not in using()"),
    "rigging.error.GenerationError": lambda: GenerationError(
        "request failed after 3 attempt(s)", model="gpt-4o", status=503, attempts=3, auth=False
    ),
    "rigging.error.ExhaustedMaxRoundsError": _exhausted,
    "rigging.error.MessagesExhaustedMaxRoundsError": lambda: MessagesExhaustedMaxRoundsError(
        3, _dialog(), last_error="Failed to find '<answer></answer>'"
    ),
    "rigging.error.CompletionExhaustedMaxRoundsError": lambda: CompletionExhaustedMaxRoundsError(
        2, "the last text", last_error="check asked again"
    ),
    "rigging.error.ToolDepthExceededError": lambda: ToolDepthExceededError(4, _dialog()),
    "rigging.error.CheckpointError": lambda: CheckpointError("the checkpoint is damaged"),
    "rigging.error.RunNestingError": lambda: RunNestingError("runs nested too deeply"),
    "rigging.error.RestoredError": lambda: RestoredError("Exhausted max rounds (1)"),
    "rigging._cache.store.CacheError": lambda: CacheError("cache database is locked"),
    "rigging._data.elastic.ElasticDataError": lambda: ElasticDataError(
        "1 of 2 chats cannot be Elasticsearch documents",
        failed={"c1": "metadata.score = nan"},
        actions=[{"_index": "chats", "_op_type": "index", "_id": "c2", "_source": {"a": 1}}],
    ),
    "rigging._data.elastic_bulk.ElasticBulkError": lambda: ElasticBulkError(
        "1 of 2 chats were not written to Elasticsearch",
        [{"create": {"_id": "c1", "status": 409, "error": {"type": "conflict"}}}],
        indexed=1,
        failed={"c1": "Elasticsearch refused it (409 conflict)"},
    ),
    "rigging._message.content.PartDroppedWarning": lambda: PartDroppedWarning("part dropped"),
    "rigging._message.content.UnresolvedPartWarning": lambda: UnresolvedPartWarning("no class"),
    "rigging._model.plan._UnsupportedError": lambda: _UnsupportedError("a union of models"),
    "rigging._pipeline.windows._WindowError": lambda: _WindowError(ValueError("boom"), []),
    "rigging.generator._litellm_convert.MalformedChunkError": lambda: MalformedChunkError(
        "the delta's content is a int, not text"
    ),
    "rigging.generator._remote.DeadlineExceededError": lambda: DeadlineExceededError(
        "no complete answer within 1 s (the timeout)"
    ),
    "rigging.generator._litellm_errors.MalformedResponseError": lambda: MalformedResponseError(
        'the response has an empty "choices" list'
    ),
    "rigging.generator.http._StatusError": _status_error,
    "rigging.tool.base.ToolArgumentsError": lambda: ToolArgumentsError("not valid JSON"),
    "rigging.tool.base._RefusedJSONError": lambda: _RefusedJSONError("NaN is not a JSON value"),
    "rigging.tool._guard.ToolExitError": lambda: ToolExitError("tool 'x' raised GeneratorExit"),
    "rigging.tool._guard.ToolTimeoutError": lambda: ToolTimeoutError("tool 'x' timed out"),
}


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception (and warning) class defined at module level anywhere in the package."""
    names = ["rigging"] + [m.name for m in pkgutil.walk_packages(rg.__path__, "rigging.")]
    found: dict[str, type[BaseException]] = {}
    for name in names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == name
            ):
                found[f"{name}.{value.__qualname__}"] = value
    return found


CLASSES = _exception_classes()

ROUND_TRIPS: dict[str, Callable[[BaseException], BaseException]] = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    **{
        f"pickle{p}": lambda e, p=p: pickle.loads(pickle.dumps(e, protocol=p))  # type: ignore[misc]
        for p in range(pickle.HIGHEST_PROTOCOL + 1)
    },
}


def _snapshot(value: t.Any) -> t.Any:
    """A comparable view of `value`: exceptions (equal only to themselves) by their parts."""
    if isinstance(value, BaseException):
        return (type(value), str(value), _snapshot(value.args), _snapshot(vars(value)))
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_snapshot(v) for v in value)
    return value


def _documented(cls: type[BaseException]) -> set[str]:
    """Names listed under ``Attributes:`` in the docstrings of `cls` and its bases."""
    names: set[str] = set()
    for klass in cls.__mro__:
        lines = inspect.cleandoc(klass.__doc__ or "").splitlines()
        inside = False
        for line in lines:
            if not line.startswith(" "):
                inside = line.strip() == "Attributes:"
                continue
            match = re.match(r"^    (\w+):", line)
            if inside and match:
                names.add(match.group(1))
    return names


def _assert_same(restored: BaseException, original: BaseException) -> None:
    assert restored is not original
    assert type(restored) is type(original)
    assert str(restored) == str(original)
    assert _snapshot(restored.args) == _snapshot(original.args)
    assert _snapshot(vars(restored)) == _snapshot(vars(original))
    assert getattr(restored, "__notes__", None) == [NOTE]
    for name in _documented(type(original)):
        assert _snapshot(getattr(restored, name)) == _snapshot(getattr(original, name)), name


def test_every_exception_class_has_a_factory() -> None:
    assert "rigging.error.MessagesExhaustedMaxRoundsError" in CLASSES
    assert "rigging._native.IdentifierError" in CLASSES  # the native module is walked too
    missing = sorted(set(CLASSES) - set(FACTORIES))
    stale = sorted(set(FACTORIES) - set(CLASSES))
    assert not missing, f"add a factory for each new exception class: {missing}"
    assert not stale, f"these classes no longer exist: {stale}"


def test_documented_attributes_are_found() -> None:
    assert _documented(MessagesExhaustedMaxRoundsError) == {
        "messages",
        "max_rounds",
        "last_error",
        "index",
        "round",
    }
    assert _documented(GenerationError) == {"model", "status", "attempts", "auth"}
    assert _documented(InvalidModelSpecifiedError) == {"model", "position"}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_a_factory_builds_its_class(name: str) -> None:
    assert type(FACTORIES[name]()) is CLASSES[name]


@pytest.mark.parametrize("name", sorted(n for n in CLASSES if not n.startswith("rigging._native")))
def test_python_exception_classes_share_one_reduce(name: str) -> None:
    # the native classes keep BaseException's (their constructor takes the message alone)
    assert CLASSES[name].__reduce__ is _reduce


@pytest.mark.parametrize("trip", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_exception_survives_round_trip(name: str, trip: str) -> None:
    original = FACTORIES[name]()
    original.__notes__ = [NOTE]  # type: ignore[attr-defined]  # as the pipeline adds them
    _assert_same(ROUND_TRIPS[trip](original), original)


def test_round_trips_keep_the_documented_values() -> None:
    original = FACTORIES["rigging.error.MessagesExhaustedMaxRoundsError"]()
    assert isinstance(original, MessagesExhaustedMaxRoundsError)
    for trip in ROUND_TRIPS.values():
        restored = trip(original)
        assert isinstance(restored, MessagesExhaustedMaxRoundsError)
        assert (restored.max_rounds, restored.last_error) == (3, original.last_error)
        assert restored.messages == original.messages
        assert restored.last_message == original.last_message
        assert str(restored).startswith("Exhausted max rounds (3) while generating; last error")
    deep = copy.deepcopy(original)
    assert deep.messages is not original.messages  # a deep copy shares no message
    assert copy.copy(original).messages is original.messages
    depth = copy.deepcopy(FACTORIES["rigging.error.ToolDepthExceededError"]())
    assert isinstance(depth, ToolDepthExceededError)
    assert depth.max_depth == 4
    assert str(depth).startswith("Tool calls exceeded max_depth (4)")


def test_pickled_errors_carry_no_request_header_or_key() -> None:
    status = _status_error()
    assert status.retry_after == 2
    assert not hasattr(status, "headers")
    invalid = FACTORIES["rigging.error.InvalidModelSpecifiedError"]()
    for error in (status, invalid):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            payload = pickle.dumps(error, protocol=protocol)
            for secret in (SECRET, COOKIE, "Authorization", "x.test"):
                assert secret.encode() not in payload
    assert "***" in status.body


# --- failed results ---------------------------------------------------------------------------


async def _failed_chats() -> list[Chat]:
    """A chat that succeeded, one whose rounds ran out, one whose generator failed."""
    generator = ScriptedGenerator(responses=["<answer>1</answer>", "no"], cycle=True)
    pipeline = generator.chat("What is 6 * 7?").until_parsed_as(Answer, max_rounds=0)
    chats = await pipeline.run_many(2, on_failed="include")
    failing = ScriptedGenerator(responses=[GenerationError("down", model="m", status=503)])
    failed = await failing.chat("hi").catch(GenerationError).run_many(1, on_failed="include")
    return [*chats, *failed]


async def _failed_completion() -> Completion:
    generator = ScriptedGenerator(responses=["not yet"], cycle=True)
    pipeline = generator.complete("Count: ").until(lambda text: True, max_rounds=1)
    (completion,) = await pipeline.run_many(1, on_failed="include")
    return completion


RESULT_TRIPS: dict[str, Callable[[t.Any], t.Any]] = {
    "model_copy": lambda r: r.model_copy(deep=True),
    "deepcopy": copy.deepcopy,
    "copy": copy.copy,
    "pickle": lambda r: pickle.loads(pickle.dumps(r)),
}


def _assert_same_result(restored: Chat | Completion, original: Chat | Completion) -> None:
    assert restored is not original
    assert restored == original
    assert restored.failed is original.failed
    assert restored.model_dump_json() == original.model_dump_json()
    if original.error is None:
        assert restored.error is None
    else:
        assert restored.error is not None
        assert _snapshot(restored.error) == _snapshot(original.error)


@pytest.mark.parametrize("trip", sorted(RESULT_TRIPS))
async def test_failed_chats_survive_copies_and_pickle(trip: str) -> None:
    chats = await _failed_chats()
    exhausted, generation = chats[1], chats[2]
    assert exhausted.failed
    assert isinstance(exhausted.error, MessagesExhaustedMaxRoundsError)
    assert generation.failed
    assert isinstance(generation.error, GenerationError)
    for chat in chats:
        restored = RESULT_TRIPS[trip](chat)
        _assert_same_result(restored, chat)
    restored = RESULT_TRIPS[trip](exhausted)
    assert isinstance(restored.error, MessagesExhaustedMaxRoundsError)
    assert restored.error.messages == exhausted.error.messages
    assert restored.generated == exhausted.generated
    if trip in ("model_copy", "deepcopy"):
        assert restored.error is not exhausted.error


@pytest.mark.parametrize("trip", sorted(RESULT_TRIPS))
async def test_failed_completion_survives_copies_and_pickle(trip: str) -> None:
    completion = await _failed_completion()
    assert completion.failed
    assert isinstance(completion.error, CompletionExhaustedMaxRoundsError)
    restored = RESULT_TRIPS[trip](completion)
    _assert_same_result(restored, completion)
    assert isinstance(restored.error, CompletionExhaustedMaxRoundsError)
    assert restored.error.completion == completion.error.completion


async def test_json_dump_of_a_failed_chat_is_unchanged_by_a_copy() -> None:
    exhausted = (await _failed_chats())[1]
    assert exhausted.error is not None
    dumped = exhausted.model_dump(mode="json")
    assert dumped["failed"] is True
    assert dumped["error"] == str(exhausted.error)
    assert exhausted.model_dump()["error"] is exhausted.error  # python dumps keep the object
    loaded = Chat.model_validate_json(exhausted.model_dump_json())
    assert isinstance(loaded.error, RestoredError)
    assert str(loaded.error) == str(exhausted.error)
    again = pickle.loads(pickle.dumps(loaded))
    assert again == loaded == exhausted
    assert isinstance(again.error, RestoredError)


async def test_raised_error_keeps_notes_and_completed() -> None:
    generator = ScriptedGenerator(responses=["<answer>1</answer>", "no", "<answer>3</answer>"])
    pipeline = generator.chat("hi").until_parsed_as(Answer, max_rounds=0)
    with pytest.raises(MessagesExhaustedMaxRoundsError) as info:
        await pipeline.run_many(3)
    error = info.value
    assert (error.index, error.round) == (1, 1)
    notes = getattr(error, "__notes__", None)
    assert notes == ["rigging: raised by processing for item 1 in round 1"]
    completed = error.completed  # type: ignore[attr-defined]
    assert [chat.last.content for chat in completed] == ["<answer>1</answer>", "<answer>3</answer>"]
    for trip in ROUND_TRIPS.values():
        restored = trip(error)
        assert isinstance(restored, MessagesExhaustedMaxRoundsError)
        assert (restored.index, restored.round) == (1, 1)
        assert getattr(restored, "__notes__", None) == notes
        assert restored.completed == completed  # type: ignore[attr-defined]
        assert restored.messages == error.messages


_CHILD = """
import pickle, sys
for item in pickle.loads(sys.stdin.buffer.read()):
    error = getattr(item, "error", item)
    print(type(item).__name__, type(error).__qualname__, repr(str(error)), sorted(vars(error)))
"""


async def _failed_results() -> list[Chat | Completion]:
    return [*(chat for chat in await _failed_chats() if chat.failed), await _failed_completion()]


def test_errors_and_failed_results_cross_a_process_boundary() -> None:
    items: list[t.Any] = []
    for factory in FACTORIES.values():
        error = factory()
        error.__notes__ = [NOTE]  # type: ignore[attr-defined]
        items.append(error)
    items.extend(asyncio.run(_failed_results()))
    expected = [
        f"{type(i).__name__} {type(e).__qualname__} {str(e)!r} {sorted(vars(e))}"
        for i in items
        for e in [getattr(i, "error", i)]
    ]
    package = str(Path(rg.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=pickle.dumps(items),
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == expected
