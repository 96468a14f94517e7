"""Native tools: tool descriptions and calls as XML in the text, for models without a tool API.

The model is told (in a system message) which tools exist, with the JSON schema of their
arguments, and calls one by writing::

    <tool-call name="add_numbers">{"x": 1337, "y": 42}</tool-call>

The results come back in one ``user`` message, one element per call, in call order::

    <tool-result name="add_numbers">1379</tool-result>

An image a tool returns (`ContentImageUrl`) stays an image part of that message, in its
place between the element's tags.

Arguments are JSON inside the element, so the same validation as API tools applies
(pydantic models and dataclasses included). Calls are found with the native scanner, so a
``<`` or ``&`` inside the JSON is fine.
"""

from __future__ import annotations

import json
import re
import typing as t
from collections.abc import Sequence
from dataclasses import dataclass

from rigging import _native
from rigging._exports import public_dir as _public_dir
from rigging._message.tool_calls import FunctionCall
from rigging._message.tool_calls import ToolCall as _ToolCall  # not 2.3's native ToolCall
from rigging._model.fallback import _attribute_value
from rigging._tasks import gather_all
from rigging.error import _TOOL_NAME_LIMIT, _clip
from rigging.message import ContentImageUrl, ContentText, Message
from rigging.tool._handler import ToolHandlerBase, ToolMessages
from rigging.tool.api import run_call, unknown_tool
from rigging.tool.base import FunctionTool, ToolArgumentsError
from rigging.tool.base import Tool as Tool  # 2.3 kept its tool classes here
from rigging.tool.base import ToolDescription as ToolDescription
from rigging.tool.base import ToolResult as ToolResult
from rigging.util import escape_xml, unescape_xml

__all__ = [
    "CALL_TAG",
    "RESULT_TAG",
    "NativeCall",
    "NativeToolHandler",
    "find_calls",
    "system_tool_prompt",
]

CALL_TAG = "tool-call"
"""Tag of a tool call written by the model."""
RESULT_TAG = "tool-result"
"""Tag of a tool result sent back to the model."""

_ATTRIBUTE = re.compile(r"""([^\s=>/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>/"']+)))?""")
"""One attribute of a start tag (a name, and its value when it has one), from where it starts."""

_SPACE = re.compile(r"\s*")


def _called_name(start_tag: str) -> str:
    """The value of the ``name`` attribute of a ``<tool-call ...>`` start tag (``""``: none).

    The attributes are read in order, each whole, so ``name=`` inside another attribute's
    value (``desc="set name=x"``) or at the end of another one's name (``data-name``) is not
    taken for it; the first ``name`` attribute counts.
    """
    position, end = 1 + len(CALL_TAG), len(start_tag)
    while position < end:
        # Spaces are skipped once, before the attribute: matched inside it, every stray
        # character after a long run of them rescanned the run (quadratic in the tag).
        position = _SPACE.match(start_tag, position).end()  # type: ignore[union-attr]
        match = _ATTRIBUTE.match(start_tag, position)
        if match is None:  # a character no attribute starts with (a stray quote, '/', '>')
            position += 1
            continue
        if match.group(1) == "name":
            return next((v for v in match.groups()[1:] if v is not None), "")
        position = match.end()
    return ""


@dataclass(frozen=True)
class NativeCall:
    """One ``<tool-call>`` found in a message."""

    name: str
    """The tool name (``""`` when the attribute is missing)."""
    arguments: str
    """The JSON text between the tags (entities decoded)."""

    def as_tool_call(self, position: int) -> _ToolCall:
        """This call as a `ToolCall` (what stream events report), the `position`-th of its message.

        Native calls have no provider id: the id is ``native-<position>`` (0-based, in order
        of appearance), stable and unique within the message; no answer names it. The
        arguments are `arguments`, the JSON text the tool's arguments are read from.
        """
        return _ToolCall(
            id=f"native-{position}", function=FunctionCall(name=self.name, arguments=self.arguments)
        )


def find_calls(text: str) -> list[NativeCall]:
    """Find the tool calls in a model's text, in order of appearance (linear time).

    Args:
        text: The message text.

    Returns:
        The calls; nested or unclosed ``<tool-call>`` starts are ignored.
    """
    spans = [s for s in _native.scan(text, [CALL_TAG]) if s.depth == 0]
    spans.sort(key=lambda s: s.start)
    calls = []
    for span in spans:
        name = _called_name(text[span.start : span.inner_start])
        calls.append(NativeCall(unescape_xml(name), unescape_xml(text[span.inner_slice]).strip()))
    return calls


def _describe(tool: FunctionTool) -> str:
    schema = json.dumps(tool.parameters_schema, separators=(",", ":"))
    lines = [f'<tool name="{escape_xml(tool.name)}">']
    if tool.description:
        lines.append(f"  <description>{escape_xml(tool.description)}</description>")
    lines.append(f"  <parameters>{escape_xml(schema)}</parameters>")
    lines.append("</tool>")
    return "\n".join(lines)


def system_tool_prompt(tools: Sequence[FunctionTool]) -> str:
    """The system-message block that offers `tools` to a model without a tool API.

    Args:
        tools: The tools.

    Returns:
        The text: call format, the tools with their JSON schemas, and the rules.
    """
    described = "\n".join(_describe(tool) for tool in tools)
    return (
        "# Tools\n\n"
        "You can call the tools below. To call one, write its name and its arguments as a "
        "JSON object that follows the tool's parameter schema:\n\n"
        f'<{CALL_TAG} name="TOOL_NAME">{{"argument": "value"}}</{CALL_TAG}>\n\n'
        "You may make several calls in one message. Stop after your calls: the results come "
        f"back in <{RESULT_TAG}> elements in the next message. Use the tools when they help, "
        "then give your final answer without any tool call.\n\n"
        f"## Available tools\n\n<tools>\n{described}\n</tools>"
    )


class NativeToolHandler(ToolHandlerBase):
    """Tool hook for native tools: runs the ``<tool-call>`` elements of a message.

    Args:
        tools: The tools (names must be unique).
        max_depth: Most tool rounds one chat may take.
        policy: Forcing a call, and what malformed calls do (see `ToolPolicy`).
        timeouts: Most seconds one call of a tool may take, by tool name (see `run_call`).
    """

    async def __call__(self, message: Message, /) -> ToolMessages | None:
        """Run the calls in `message` and return one ``user`` message with every result.

        The messages are marked `malformed` when a call could not run (unknown tool,
        arguments that are not JSON or do not fit); the pipeline then applies `policy`.
        An exception a call does not answer (`KeyboardInterrupt`, `SystemExit`,
        `RunNestingError`) cancels the other calls and is raised from here; any other error
        of a call, a time limit passed included, is answered (see `run_call`).
        """
        if message.role != "assistant":
            return None
        calls = find_calls(message.content)
        if not calls:
            return None
        checked = [self._check(call) for call in calls]
        malformed = any(isinstance(c, str) for c in checked)
        if malformed and not self.policy.attempt_recovery:  # regenerate: run nothing
            return ToolMessages([], malformed=True)
        results = await gather_all(
            [self._one(call, c) for call, c in zip(calls, checked, strict=True)]
        )
        return ToolMessages([_results_message(results)], malformed=malformed)

    def _check(self, call: NativeCall) -> tuple[FunctionTool, dict[str, t.Any]] | str:
        """The tool and validated arguments of a call, or the error text of a malformed one."""
        tool = self.tools.get(call.name)
        if tool is None:
            return unknown_tool(call.name, list(self.tools))
        try:
            return tool, tool.validate(call.arguments)
        except ToolArgumentsError as exc:
            return f"Error: {exc}"

    async def _one(
        self, call: NativeCall, checked: tuple[FunctionTool, dict[str, t.Any]] | str
    ) -> list[str | ContentImageUrl]:
        if isinstance(checked, str):
            return _result_element(call.name, checked)
        tool, values = checked
        content = await run_call(tool, values, timeout=self.timeouts.get(tool.name))
        return _result_element(call.name, content)


def _result_element(name: str, content: str | list[t.Any]) -> list[str | ContentImageUrl]:
    """One ``<tool-result>`` element: its text, split where the result holds an image.

    The images stay parts of the message, in their place between the element's tags; the
    text parts are escaped, one per line (as their `Message.content` reads).
    """
    runs: list[str | ContentImageUrl] = []
    texts: list[str] = []
    for part in [content] if isinstance(content, str) else content:
        if isinstance(part, ContentImageUrl):
            runs.extend(["\n".join(texts), part])
            texts = []
        else:
            texts.append(_result_text(part if isinstance(part, str) else str(part.text)))
    runs.append("\n".join(texts))
    runs[0] = f'<{RESULT_TAG} name="{_name_attribute(name)}">{runs[0]}'
    runs[-1] = f"{runs[-1]}</{RESULT_TAG}>"
    return runs


def _result_text(text: str) -> str:
    """A result's text as element text: ``&`` (bare), ``<`` and ``>`` written as entities.

    A tool's output is data (a web page, a file, another program's answer): written as it
    was, a ``</tool-result>`` in it ended the element and markup after it read as further
    results, or as calls, to the model. The model reads the entities as the characters, as
    it does in the calls it writes (their text is decoded with `unescape_xml`).
    """
    return escape_xml(text).replace("<", "&lt;").replace(">", "&gt;")


def _name_attribute(name: str) -> str:
    """The ``name`` attribute's value of a result: the model's name for the tool, escaped.

    Clipped too: a name of megabytes, or one holding a quote or markup, stays one attribute.
    """
    return _attribute_value(_clip(name, _TOOL_NAME_LIMIT))


def _results_message(results: list[list[str | ContentImageUrl]]) -> Message:
    """The ``user`` message holding every result element, one per line.

    Text when no result holds an image; otherwise text and image parts, in order.
    """
    pieces: list[str | ContentImageUrl] = []
    for runs in results:
        if pieces and isinstance(pieces[-1], str):
            pieces[-1] = f"{pieces[-1]}\n{runs[0]}"
            pieces.extend(runs[1:])
        else:
            pieces.extend(runs)
    if len(pieces) == 1 and isinstance(pieces[0], str):
        return Message("user", pieces[0])
    parts = [ContentText(text=p) if isinstance(p, str) else p for p in pieces]
    return Message("user", parts)


__dir__ = _public_dir(globals())
