"""`Completion` (the result of a completion pipeline run) and `CompletionList`."""

from __future__ import annotations

import copy
import typing as t
from datetime import datetime
from uuid import UUID

from pydantic import ConfigDict, Field

from rigging._pipeline.result import RunResult
from rigging._uuid import uuid4
from rigging.generator import GenerateParams, Generator, StopReason, Usage

if t.TYPE_CHECKING:
    from rigging._pipeline.completion_pipeline import CompletionPipeline

__all__ = ["Completion", "CompletionList"]


class Completion(RunResult):
    """A prompt text and what a generator continued it with."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _EQ_FIELDS: t.ClassVar[tuple[str, ...]] = (
        "uuid",
        "timestamp",
        "text",
        "generated",
        "metadata",
        "stop_reason",
        "usage",
        "extra",
        "failed",
    )

    uuid: UUID = Field(default_factory=uuid4)
    """Identity of the completion (new for clones)."""
    timestamp: datetime = Field(default_factory=datetime.now, repr=False)
    """When it was created (local time)."""
    text: str
    """The prompt that was sent (for batches, the item's full prompt)."""
    generated: str
    """The generated text."""
    metadata: dict[str, t.Any] = Field(default_factory=dict)
    """Free-form data."""
    stop_reason: StopReason = "unknown"
    """Why generation stopped."""
    usage: Usage | None = None
    """Token usage summed over every generation call (regenerations included), with the
    per-call breakdown in ``usage.calls``; None when the generator reported none."""
    extra: dict[str, t.Any] = Field(default_factory=dict)
    """Generator-specific data."""
    generator: Generator | None = Field(default=None, exclude=True, repr=False)
    """The generator (dumped as `generator_id`)."""
    params: GenerateParams | None = Field(default=None, exclude=True, repr=False)
    """Params it was generated with."""
    error: Exception | None = Field(default=None, repr=False)
    """Why it failed (JSON holds the text; loading gives a `RestoredError`)."""
    failed: bool = Field(default=False, repr=False)
    """Whether the run failed for this item."""

    def __init__(
        self, text: str, generated: str = "", generator: Generator | None = None, **kwargs: t.Any
    ) -> None:
        super().__init__(text=text, generated=generated, generator=generator, **kwargs)

    def __len__(self) -> int:
        return len(self.text) + len(self.generated)

    @property
    def all(self) -> str:
        """Prompt followed by generated text."""
        return self.text + self.generated

    def meta(self, **kwargs: t.Any) -> Completion:
        """A clone with metadata entries added or replaced; this completion is unchanged.

        As in 2.3 (unlike `Chat.meta`, which updates the chat itself).

        Args:
            **kwargs: Metadata entries.

        Returns:
            The clone (see `clone`).
        """
        new = self.clone()
        new.metadata.update(kwargs)
        return new

    def clone(self, *, only_messages: bool = False) -> Completion:
        """A copy with a new uuid and timestamp.

        Args:
            only_messages: Copy only the texts and generator.

        Returns:
            The copy.
        """
        if only_messages:
            return Completion(self.text, self.generated, generator=self.generator)
        return self.model_copy(
            update={
                "uuid": uuid4(),
                "timestamp": datetime.now(),
                "metadata": copy.deepcopy(self.metadata),
                "extra": dict(self.extra),
            }
        )

    def restart(
        self, *, generator: Generator | None = None, include_all: bool = False
    ) -> CompletionPipeline:
        """A new pipeline seeded with the prompt text (or prompt + generated text).

        Args:
            generator: Generator to use instead of the completion's own.
            include_all: Seed with `all` instead of `text`.

        Returns:
            The new pipeline.

        Raises:
            ValueError: There is no generator.
        """
        from rigging._pipeline.completion_pipeline import CompletionPipeline  # back-reference

        generator = generator or self.generator
        if generator is None:
            raise ValueError("Cannot restart a completion without an associated generator")
        return CompletionPipeline(
            generator, self.all if include_all else self.text, params=self.params
        )

    def fork(self, text: str, *, include_all: bool = False) -> CompletionPipeline:
        """`restart`, then `add` text.

        Args:
            text: Text to append.
            include_all: Seed with prompt + generated text.

        Returns:
            The new pipeline.
        """
        return self.restart(include_all=include_all).add(text)

    def continue_(self, text: str) -> CompletionPipeline:
        """Continue after the generated text with `text`.

        Args:
            text: Text to append.

        Returns:
            The new pipeline.
        """
        return self.fork(text, include_all=True)


class CompletionList(list[Completion]):
    """The completions of a `run_many`, `run_batch` or `run_over`, in input order."""

    def to_json(self) -> list[dict[str, t.Any]]:
        """Every completion as a python-mode dump.

        Returns:
            The dumps.
        """
        return [completion.model_dump() for completion in self]
