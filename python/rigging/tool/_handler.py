"""What the two tool handlers share: the policy for tool turns and the handler state.

Tools know nothing of pipelines: a handler is called with a generated message and returns
the messages to append (`rigging._pipeline.callbacks.ToolHandler` is the hook's shape);
the pipeline reads its `max_rounds` and `policy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rigging.tool.base import FunctionTool

__all__ = ["ToolHandlerBase", "ToolMessages", "ToolPolicy"]


@dataclass(frozen=True, slots=True)
class ToolPolicy:
    """How a chat treats tool turns that went wrong (set by `ChatPipeline.using`).

    A handler may carry one as its ``policy`` attribute. A turn goes wrong when a handler
    marks its messages `malformed` (a native call that could not run: not JSON, an unknown
    tool, arguments not fitting), or when `force` is on and the model answered without
    calling any tool before its first tool round.
    """

    force: bool = False
    """The model must call a tool at least once: a reply without a call is sent back."""
    attempt_recovery: bool = True
    """Show the model its failed turn and the feedback; otherwise regenerate without them."""
    drop_dialog: bool = False
    """Once the model recovered, remove the failed turns and their feedback from the chat."""
    max_rounds: int = 5
    """Most failed turns one chat may have; one more fails it as exhausted."""


class ToolMessages(list[Any]):
    """Messages a tool handler returns; ``malformed=True`` marks calls that could not run."""

    malformed: bool = False
    """The turn held calls that could not run (the messages carry the feedback)."""

    def __init__(self, messages: Sequence[Any] = (), *, malformed: bool = False) -> None:
        super().__init__(messages)
        self.malformed = malformed


class ToolHandlerBase:
    """State of a tool handler: the tools by name, the depth bound and the policy.

    Args:
        tools: The tools (names must be unique).
        max_depth: Most tool rounds one chat may take.
        policy: Forcing a call, and what malformed calls do (see `ToolPolicy`).
        timeouts: Most seconds one call of a tool may take, by tool name; a tool not named
            has no limit (see `rigging.tool.api.run_call`).
        described: Every tool was described to the model in the system prompt.
    """

    def __init__(
        self,
        tools: Sequence[FunctionTool],
        max_depth: int,
        policy: ToolPolicy | None = None,
        *,
        timeouts: Mapping[str, float] | None = None,
        described: bool = True,
    ) -> None:
        self.tools = {tool.name: tool for tool in tools}
        """The tools by name."""
        self.timeouts = {n: s for n, s in (timeouts or {}).items() if n in self.tools}
        """Most seconds one call of a tool may take, by tool name (absent: no limit)."""
        self.max_rounds = max_depth
        """Most tool rounds one chat may take (read by the pipeline)."""
        self.policy = policy or ToolPolicy()
        """Whether a call is forced and what malformed calls do (read by the pipeline)."""
        self.described = described
        """Every tool was described in the system prompt (``using(inject_prompt=...)``)."""

    def __repr__(self) -> str:
        tools = ", ".join(self.tools)
        return (
            f"{type(self).__name__}(tools=[{tools}], max_depth={self.max_rounds}, "
            f"policy={self.policy!r})"
        )
