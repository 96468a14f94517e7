"""Run a pipeline over a Ray Dataset (the ``rigging[ray]`` extra; Ray is imported lazily).

``run_dataset(ds, make_pipeline)`` maps every batch of `ds` through ``make_pipeline()``'s
``run_batch`` on Ray actors. Each actor builds its own pipeline from the factory (so its own
generator, HTTP client and connection limits) and drives it on its own event loop. Output rows
are the data layer's flat format (`rigging.data.chats_to_df`: one row per message, nested values
as JSON text), with the columns named in `keep_columns` copied from each chat's input row.

Credentials: the factory is pickled (cloudpickle) to every actor with what it holds. A factory
that builds its generator inside the actor takes the key from the actor's environment; one that
holds a generator or pipeline ships it with its api key, as a generator pickled on its own keeps
it (only results, which are data, pickle without secrets). The rows returned hold no key.

Cache and checkpoints work across workers: a `CachedGenerator` in the factory opens the same
SQLite file in every worker (WAL, safe for several processes), and with `checkpoint_dir` each
batch keeps a checkpoint named after a digest of its inputs, so rerunning the same dataset with
the same batch size resumes every batch where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import typing as t
from collections.abc import Callable, Sequence
from pathlib import Path

from rigging._data.flat import chats_to_df
from rigging._deps import import_optional
from rigging._exports import public_dir as _public_dir

if t.TYPE_CHECKING:
    import pandas as pd

    from rigging._pipeline.base import PipelineBase
    from rigging._pipeline.state import FailMode

__all__ = ["PipelineMapper", "run_dataset"]

PipelineFactory = Callable[[], "PipelineBase[t.Any, t.Any, t.Any]"]
"""Builds the pipeline inside each worker (must be picklable, e.g. a module-level function)."""


class PipelineMapper:
    """A ``Dataset.map_batches`` callable class: pandas batch in, flat chat rows out.

    Args:
        factory: Builds the pipeline (called once per actor, inside the actor).
        input_column: Column holding each row's input (a user message or prompt text).
        keep_columns: Input columns copied onto every output row of the row's chat.
        checkpoint_dir: Directory for one checkpoint per batch (resumable reruns).
        max_concurrency: Most items in flight per actor.
        on_failed: ``"raise"`` (default) or ``"include"`` (failed chats become rows with
            ``chat_failed`` set); ``"skip"`` is refused since rows must map to inputs.
    """

    def __init__(
        self,
        factory: PipelineFactory,
        *,
        input_column: str = "input",
        keep_columns: Sequence[str] = (),
        checkpoint_dir: str | None = None,
        max_concurrency: int | None = None,
        on_failed: FailMode = "raise",
    ) -> None:
        import asyncio  # the actor's own loop

        if on_failed not in ("raise", "include"):
            raise ValueError(f"on_failed must be 'raise' or 'include' here, got {on_failed!r}")
        self.pipeline = factory()
        self.input_column = input_column
        self.keep_columns = tuple(keep_columns)
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.max_concurrency = max_concurrency
        self.on_failed: FailMode = on_failed
        self._loop = asyncio.new_event_loop()

    def _checkpoint(self, inputs: list[t.Any]) -> Path | None:
        if self.checkpoint_dir is None:
            return None
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(inputs, sort_keys=True, default=str, ensure_ascii=False)
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        return self.checkpoint_dir / f"batch-{digest}.jsonl"

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        """Run one batch.

        Args:
            batch: The input rows (pandas batch format).

        Returns:
            One row per message of each chat, in input order.

        Raises:
            KeyError: A named column is missing from the batch.
        """
        missing = [c for c in (self.input_column, *self.keep_columns) if c not in batch.columns]
        if missing:
            raise KeyError(f"columns {missing} are not in the dataset (has {list(batch.columns)})")
        inputs = [_plain(v) for v in batch[self.input_column].tolist()]
        run = self.pipeline.run_batch(
            inputs,
            on_failed=self.on_failed,
            max_concurrency=self.max_concurrency,
            checkpoint=self._checkpoint(inputs),
        )
        chats = self._loop.run_until_complete(run)
        df = chats_to_df(chats)
        counts = [len(chat.messages) + len(chat.generated) for chat in chats]
        for position, column in enumerate(self.keep_columns):
            values = batch[column].tolist()
            repeated = [v for v, n in zip(values, counts, strict=True) for _ in range(n)]
            df.insert(position, column, repeated)
        return df

    def close(self) -> None:
        """Close the actor's event loop (Ray ends actors itself; for use outside Ray)."""
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


def _plain(value: t.Any) -> t.Any:
    """Arrow/numpy scalars to Python values (inputs must hash and serialise canonically)."""
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, str) else value


def run_dataset(
    dataset: t.Any,
    factory: PipelineFactory,
    *,
    input_column: str = "input",
    keep_columns: Sequence[str] = (),
    batch_size: int = 64,
    concurrency: int = 2,
    checkpoint_dir: str | None = None,
    max_concurrency: int | None = None,
    on_failed: FailMode = "raise",
    **map_kwargs: t.Any,
) -> t.Any:
    """Map `dataset` through a pipeline on `concurrency` Ray actors (lazily, as Ray does).

    Args:
        dataset: A ``ray.data.Dataset`` with an `input_column`.
        factory: Builds the pipeline inside each actor (picklable).
        input_column: Column holding each row's input.
        keep_columns: Input columns copied onto the output rows (e.g. an id).
        batch_size: Rows per batch (one ``run_batch`` each).
        concurrency: Number of actors.
        checkpoint_dir: Directory for per-batch checkpoints (shared by the actors).
        max_concurrency: Most items in flight per actor.
        on_failed: ``"raise"`` or ``"include"``.
        **map_kwargs: Passed on to ``Dataset.map_batches`` (e.g. ``num_cpus``).

    Returns:
        The mapped ``ray.data.Dataset`` (flat chat rows).

    Raises:
        ModuleNotFoundError: Ray is not installed (``pip install 'rigging[ray]'``).
    """
    import_optional("ray.data", extra="ray", purpose="running pipelines on Ray")
    if batch_size < 1:
        raise ValueError(f"batch_size must be 1 or more, got {batch_size}")
    options = {
        "input_column": input_column,
        "keep_columns": tuple(keep_columns),
        "checkpoint_dir": checkpoint_dir,
        "max_concurrency": max_concurrency,
        "on_failed": on_failed,
    }
    return dataset.map_batches(
        PipelineMapper,
        fn_constructor_args=(factory,),
        fn_constructor_kwargs=options,
        batch_size=batch_size,
        batch_format="pandas",
        concurrency=concurrency,
        **map_kwargs,
    )


__dir__ = _public_dir(globals())
