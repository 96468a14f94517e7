"""`ChatPipeline.using`: turn tools into a tool handler and advertise them to the model."""

from __future__ import annotations

import typing as t
from dataclasses import replace

from rigging._message.tool_calls import ToolChoice
from rigging._pipeline.state import DEFAULT_MAX_DEPTH, ToolMode, check_rounds
from rigging.generator import GenerateParams
from rigging.tool._guard import check_timeout
from rigging.tool._handler import ToolPolicy
from rigging.tool.api import ApiTool, ApiToolHandler
from rigging.tool.base import Tool, as_tools
from rigging.tool.native import NativeToolHandler, system_tool_prompt

if t.TYPE_CHECKING:
    from rigging._pipeline.chat_pipeline import ChatPipeline

__all__ = ["use_tools"]

_MODES = ("auto", "api", "native")


def _collect(tools: t.Sequence[t.Any], existing: t.Sequence[ApiTool]) -> list[ApiTool]:
    flat = [*existing]
    for item in tools:
        flat.extend(as_tools(item))
    seen: set[str] = set()
    for tool in flat:
        if tool.name in seen:
            raise ValueError(
                f"two tools are named {tool.name!r}; tool names must be unique in a pipeline"
            )
        seen.add(tool.name)
    return flat


def use_tools(
    pipeline: ChatPipeline,
    tools: t.Sequence[t.Any],
    *,
    mode: ToolMode = "auto",
    max_depth: int = DEFAULT_MAX_DEPTH,
    choice: ToolChoice | None = None,
    policy: ToolPolicy | None = None,
    inject_prompt: bool | None = None,
    timeout: float | None = None,
) -> ChatPipeline:
    """Offer `tools` to the model of `pipeline` (mutates it; see `ChatPipeline.using`).

    Args:
        pipeline: The pipeline.
        tools: Functions, methods, `Tool` objects or classes, `ApiTool`s or prompts.
        mode: ``"auto"``, ``"api"`` or ``"native"``.
        max_depth: Most tool rounds one chat may take before it fails as exhausted.
        choice: API mode only: the provider's ``tool_choice``.
        policy: Forcing a call and handling malformed calls (the latest call's applies).
        inject_prompt: Describe the tools in the system prompt (default: native mode only).
        timeout: Most seconds one call of one of `tools` may take (None: no limit); the
            tools of earlier calls keep theirs.

    Returns:
        The pipeline.

    Raises:
        ValueError: Unknown mode, ``max_depth`` below 1 or ``max_rounds`` below 0, duplicate
            tool names, API and native tools in one pipeline, a choice with native tools, or
            a timeout that is not above 0.
        TypeError: A tool cannot be described to a model, or the timeout is not a number.
    """
    policy = policy or ToolPolicy()
    _check(mode, max_depth, policy)
    timeout = check_timeout(timeout)
    if not tools:
        return pipeline
    resolved = _resolve_mode(mode, tools, pipeline.generator.supports_api_tools)
    kind = ApiToolHandler if resolved == "api" else NativeToolHandler
    others = [h for h in pipeline.settings.tool_handlers if not isinstance(h, kind)]
    if any(isinstance(h, (ApiToolHandler, NativeToolHandler)) for h in others):
        raise ValueError(
            "Cannot mix API and native tools in the same pipeline (pass mode= to pick one)"
        )
    mine = [h for h in pipeline.settings.tool_handlers if isinstance(h, kind)]
    existing = [tool for h in mine for tool in h.tools.values()]
    flat = _collect(tools, t.cast("list[ApiTool]", existing))
    depth = max([max_depth, *(h.max_rounds for h in mine)])
    timeouts = {name: s for h in mine for name, s in h.timeouts.items()}
    if timeout is not None:
        timeouts.update((tool.name, timeout) for tool in flat[len(existing) :])
    inject = resolved == "native" if inject_prompt is None else inject_prompt
    described = inject and all(h.described for h in mine)
    handler = kind(flat, depth, policy, timeouts=timeouts, described=described)
    if resolved == "api":
        if policy.force and choice is None:
            choice = "required"
        _advertise(pipeline, flat, choice)
    elif choice is not None:
        raise ValueError("choice= applies to API tools only; native tools have no choice")
    if inject:
        pipeline.chat.inject_system_content(system_tool_prompt(flat[len(existing) :]))
    pipeline.settings = replace(pipeline.settings, tool_handlers=(*others, handler))
    return pipeline


def _resolve_mode(mode: ToolMode, tools: t.Sequence[t.Any], supports_api: bool) -> ToolMode:
    """The mode ``"auto"`` stands for with these tools.

    Native when every tool is a `Tool` object or class (2.3 offered them so on every
    generator), else API when the generator supports it.
    """
    if mode != "auto":
        return mode
    if all(isinstance(x, Tool) or (isinstance(x, type) and issubclass(x, Tool)) for x in tools):
        return "native"
    return "api" if supports_api else "native"


def _check(mode: str, max_depth: int, policy: ToolPolicy) -> None:
    if mode not in _MODES:
        raise ValueError(f"mode must be one of 'auto', 'api', 'native', got {mode!r}")
    check_rounds("max_depth", max_depth, 1)
    check_rounds("max_rounds", policy.max_rounds, 0)


def _advertise(pipeline: ChatPipeline, tools: list[ApiTool], choice: ToolChoice | None) -> None:
    params = pipeline.params or GenerateParams()
    update: dict[str, t.Any] = {"tools": [tool.definition for tool in tools]}
    if choice is not None:
        update["tool_choice"] = choice
    pipeline.params = params.model_copy(update=update)
