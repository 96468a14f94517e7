"""`CompletionPipeline`: the raw-text counterpart of `ChatPipeline`."""

from __future__ import annotations

import string
import typing as t
from collections.abc import Callable, Sequence

from typing_extensions import Self

from rigging._pipeline.base import PipelineBase, UntilSpec
from rigging._pipeline.batch import batch_items
from rigging._pipeline.completion import Completion, CompletionList
from rigging._pipeline.config import until_specs
from rigging._pipeline.drivers import CompletionDriver, TextParsedAsCheck
from rigging._pipeline.state import DEFAULT_MAX_ROUNDS
from rigging._pipeline.views import SettingList
from rigging.generator import GenerateParams, Generator

if t.TYPE_CHECKING:
    from rigging._pipeline.callbacks import UntilCompletionCallback
    from rigging._pipeline.stream import CompletionStream
    from rigging.model import Model

__all__ = ["CompletionPipeline"]


class CompletionPipeline(PipelineBase[Completion, CompletionList, "CompletionStream"]):
    """A staged prompt text: add checks and callbacks, then `run` it.

    Same shape as `ChatPipeline` (one shared implementation); runs call the generator's
    `generate_texts`.
    """

    _result_type = Completion
    _list_type = CompletionList
    _text: str

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

    @property
    def text(self) -> str:
        """The prompt text every run sends (batch items are appended to it); assignable."""
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"pipeline.text takes a str, got {type(value).__name__}")
        self._text = value

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
        items = batch_items(many)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise TypeError(
                    f"run_batch items must be str, got {type(item).__name__} at {index}"
                )
        return [self.text + item for item in items]

    def _streaming(self) -> tuple[type[t.Any], Callable[..., CompletionStream]]:
        from rigging._pipeline.stream import CompletionStream, StreamingCompletionDriver

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

    @property
    def until_callbacks(self) -> list[tuple[UntilCompletionCallback, bool, int]]:
        """The until checks as 2.3's ``(callback, use_all_text, max_rounds)`` tuples.

        In registration order. The `until_parsed_as` check, which has no callback of its own,
        is there with a `TextParsedAsCheck` over the current `until_types` (True: generate
        again), so 2.3 code that unpacks the tuples or calls the callback keeps working. A
        read-only copy (add checks with `until`).
        """
        types = self.settings.until_types
        rows = [
            (
                TextParsedAsCheck(types) if u.callback is None else u.callback,
                u.use_all_text,
                u.max_rounds,
            )
            for u in self.settings.untils
        ]
        return SettingList(rows, "until_callbacks", "until(...)")

    @until_callbacks.setter
    def until_callbacks(self, value: Sequence[tuple[UntilCompletionCallback, bool, int]]) -> None:
        shape = "(callback, use_all_text, max_rounds)"
        rows = until_specs(value, shape, TextParsedAsCheck, self.settings.until_types)
        self._set(
            untils=tuple(
                UntilSpec(c, max_rounds=rounds, use_all_text=all_text)
                for c, (all_text, rounds) in rows
            )
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
