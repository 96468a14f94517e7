"""Ray scale-out: a local two-worker Ray instance against the loopback server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _servers.openai_stub import OpenAIStub

from rigging.data import chats_to_df
from rigging.generator.http import HTTPGenerator
from rigging.integrations.ray import PipelineMapper, run_dataset

SPEC = """
request:
  url: "API_BASE/chat/completions"
  headers:
    Content-Type: application/json
  transforms:
    - type: json
      pattern:
        model: $model
        messages: $messages
response:
  transforms:
    - type: jsonpath
      pattern: $.choices[0].message.content
"""

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")
"""Ray's own deprecation notices (about its settings, not ours) are not errors here."""

IGNORED = ["chat_id", "message_id", "chat_timestamp", "chat_extra"]
"""Identity and time differ by nature; ``chat_extra`` holds the HTTP response's headers."""


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    import ray  # the dev extra installs rigging[ray] on every supported Python
    import ray.data

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        _node_ip_address="127.0.0.1",
        runtime_env={"env_vars": {"PYTHONPATH": ":".join(sys.path)}},
    )
    try:
        yield ray
    finally:
        ray.shutdown()


class Factory:
    """Picklable pipeline factory: an HTTP generator on the stub, optionally cached."""

    def __init__(self, base_url: str, cache: str | None = None) -> None:
        self.base_url = base_url
        self.cache = cache

    def __call__(self) -> Any:
        gen: Any = HTTPGenerator(
            model="stub-model", spec=SPEC.replace("API_BASE", self.base_url), max_retries=0
        )
        if self.cache is not None:
            gen = gen.with_cache(self.cache)
        return gen.chat("you answer")


class HeldPipeline:
    """A factory holding a ready pipeline: Ray pickles it, its generator with its api key."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    def __call__(self) -> Any:
        return self.pipeline


def _normal(df: Any) -> list[tuple[Any, ...]]:
    """Rows without per-run values, chats ordered by input (Ray may reorder batches)."""
    if "id" in df.columns:
        df = df.sort_values("id", kind="stable").drop(columns=["id"])
    rows = df.drop(columns=[c for c in IGNORED if c in df.columns])
    return [tuple(str(v) for v in row) for row in rows.itertuples(index=False)]


@pytest.mark.timeout(600)
def test_dataset_through_two_workers_equals_run_batch(
    local_ray: Any, openai_stub: OpenAIStub, tmp_path: Path
) -> None:
    import asyncio

    items = [{"id": i, "input": f"question {i}"} for i in range(1000)]
    factory = Factory(openai_stub.base_url)
    expected = chats_to_df(asyncio.run(factory().run_batch([r["input"] for r in items])))
    openai_stub.reset()

    ds = local_ray.data.from_items(items)
    # the cache is shared by the workers (one SQLite file): a rerun sends nothing
    cached = Factory(openai_stub.base_url, cache=str(tmp_path / "cache.db"))
    first = run_dataset(ds, cached, batch_size=100, concurrency=2, keep_columns=["id"])
    first = first.to_pandas()
    assert len(openai_stub.requests) == 1000
    assert _normal(first) == _normal(expected)
    assert sorted(first["id"].tolist())[:4] == [0, 0, 0, 1]  # three rows per chat
    again = run_dataset(ds, cached, batch_size=100, keep_columns=["id"]).to_pandas()
    assert len(openai_stub.requests) == 1000
    assert _normal(again) == _normal(expected)

    # so are per-batch checkpoints: a rerun resumes every batch (here: all finished)
    openai_stub.reset()
    ckpt = str(tmp_path / "ckpt")
    done = run_dataset(ds, factory, batch_size=250, checkpoint_dir=ckpt, keep_columns=["id"])
    resumed = run_dataset(ds, factory, batch_size=250, checkpoint_dir=ckpt, keep_columns=["id"])
    done, resumed = done.to_pandas(), resumed.to_pandas()
    assert len(openai_stub.requests) == 1000
    assert len(list(Path(ckpt).glob("batch-*.jsonl"))) == 4
    assert _normal(resumed) == _normal(done) == _normal(expected)


@pytest.mark.timeout(600)
def test_a_generator_shipped_to_the_workers_keeps_its_key(
    local_ray: Any, openai_stub: OpenAIStub
) -> None:
    key = "sk-ray-SECRET-2468"
    spec = SPEC.replace("API_BASE", openai_stub.base_url).replace(
        "Content-Type: application/json",
        'Content-Type: application/json\n    Authorization: "Bearer {{ api_key }}"',
    )
    generator = HTTPGenerator(model="stub-model", spec=spec, api_key=key, max_retries=0)
    ds = local_ray.data.from_items([{"input": f"question {i}"} for i in range(4)])
    factory = HeldPipeline(generator.chat("you answer"))
    rows = run_dataset(ds, factory, batch_size=2, concurrency=1).to_pandas()
    assert set(rows["content"]) == {"you answer", *(f"question {i}" for i in range(4))}
    assert [r.headers["authorization"] for r in openai_stub.requests] == [f"Bearer {key}"] * 4
    assert key not in repr(rows.to_dict("records"))  # the rows are data: no key


def test_mapper_checks_its_arguments(openai_stub: OpenAIStub) -> None:
    factory = Factory(openai_stub.base_url)
    with pytest.raises(ValueError, match="on_failed"):
        PipelineMapper(factory, on_failed="skip")
    mapper = PipelineMapper(factory)
    import pandas as pd

    try:
        with pytest.raises(KeyError, match="columns"):
            mapper(pd.DataFrame({"text": ["a"]}))
        out = mapper(pd.DataFrame({"input": ["a", "b"]}))
    finally:
        mapper.close()
    assert out["content"].tolist() == ["you answer", "a", "a", "you answer", "b", "b"]


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray.data", None)
    with pytest.raises(ModuleNotFoundError, match=r"rigging\[ray\]"):
        run_dataset(object(), Factory("http://127.0.0.1:9/v1"))
