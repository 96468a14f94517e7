"""`Completion`, `CompletionList` and `CompletionPipeline`: the raw-text counterparts."""

from __future__ import annotations

import copy
import string
import typing as t
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from pydantic import ConfigDict, Field
from typing_extensions import Self

from rigging._pipeline.base import PipelineBase, UntilSpec
from rigging._pipeline.drivers import CompletionDriver
from rigging._pipeline.result import RunResult
from rigging._pipeline.state import DEFAULT_MAX_ROUNDS
from rigging._uuid import uuid4
from rigging.generator import GenerateParams, Generator, StopReason, Usage

if t.TYPE_CHECKING:
    from rigging._pipeline.callbacks import UntilCompletionCallback
    from rigging._stream.pipeline import CompletionStream
    from rigging.model import Model

__all__ = ["Completion", "CompletionList", "CompletionPipeline"]


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
        """Add or replace metadata. Mutates the completion (as `Chat.meta` does).

        Args:
            **kwargs: Metadata entries.

        Returns:
            The completion.
        """
        self.metadata.update(kwargs)
        return self

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


class CompletionPipeline(PipelineBase[Completion, CompletionList, "CompletionStream"]):
    """A staged prompt text: add checks and callbacks, then `run` it.

    Same shape as `ChatPipeline` (one shared implementation); runs call the generator's
    `generate_texts`.
    """

    _result_type = Completion
    _list_type = CompletionList

    def __init__(
        self,
        generator: Generator,
        text: str,
        *,
        params: GenerateParams | None = None,
        watch_callbacks: Sequence[Callable[..., t.Any]] | None = None,
    ) -> None:
        super().__init__(generator, params=params, watch_callbacks=watch_callbacks)
        self.text = text
        """The prompt text every run sends (batch items are appended to it)."""

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"CompletionPipeline(generator={self.generator!r}, text={len(self.text)} chars)"

    def _driver(self, generator: Generator) -> CompletionDriver:
        return CompletionDriver(generator, self.settings)

    def _base_input(self) -> str:
        return self.text

    def _batch_inputs(self, many: t.Any) -> list[str]:
        if isinstance(many, str):
            many = [many]
        items = list(many)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise TypeError(
                    f"run_batch items must be str, got {type(item).__name__} at {index}"
                )
        return [self.text + item for item in items]

    def _streaming(self) -> tuple[type[t.Any], Callable[..., CompletionStream]]:
        from rigging._stream.pipeline import CompletionStream, StreamingCompletionDriver

        return StreamingCompletionDriver, CompletionStream

    def _copy_content(self) -> None:
        """Text is immutable; nothing to copy."""

    def add(self, text: str) -> Self:
        """Append text to the prompt. Mutates the pipeline.

        Args:
            text: Text to append.

        Returns:
            The pipeline.
        """
        self.text += text
        return self

    def fork(self, text: str) -> Self:
        """A clone with `text` appended.

        Args:
            text: Text to append.

        Returns:
            The new pipeline.
        """
        return self.clone().add(text)

    def clone(self, *, only_text: bool = False) -> Self:
        """A copy: same generator, same text, copied configuration (failure settings too).

        Args:
            only_text: Keep only text, params and watchers.

        Returns:
            The new pipeline.
        """
        return self._clone(only_content=only_text)

    def apply(self, **kwargs: str) -> Self:
        """A clone with ``$name`` placeholders filled in the text.

        Args:
            **kwargs: Values of the placeholders.

        Returns:
            The new pipeline.
        """
        new = self.clone()
        new.text = string.Template(self.text).safe_substitute(kwargs)
        return new

    def until(
        self,
        callback: UntilCompletionCallback,
        *,
        use_all_text: bool = False,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
    ) -> Self:
        """Add a check: while any check returns True, regenerate from the same prompt.

        Args:
            callback: Takes the generated text, returns True to retry.
            use_all_text: Pass prompt + generated text instead.
            max_rounds: Extra generations allowed (the smallest of all checks applies).

        Returns:
            The pipeline.
        """
        return self._add_until(
            UntilSpec(callback, max_rounds=max_rounds, use_all_text=use_all_text)
        )

    def until_parsed_as(
        self,
        *types: type[Model],
        use_all_text: bool = False,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
    ) -> Self:
        """Regenerate while the text does not parse as all `types`.

        Args:
            *types: Model types.
            use_all_text: Parse prompt + generated text instead.
            max_rounds: Extra generations allowed.

        Returns:
            The pipeline.
        """
        spec = UntilSpec(None, max_rounds=max_rounds, use_all_text=use_all_text)
        return self._add_until_types(types, spec)
