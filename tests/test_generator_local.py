import sys

import pytest

from rigging.generator import GenerateParams, get_identifier
from rigging.generator.transformers_ import (
    DEFAULT_MAX_TOKENS,
    TransformersGenerator,
    pipeline_kwargs,
)
from rigging.generator.vllm_ import VLLMGenerator, sampling_kwargs


@pytest.mark.parametrize(
    ("generator", "module"),
    [(VLLMGenerator(model="m"), "vllm"), (TransformersGenerator(model="m"), "transformers")],
)
def test_missing_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, generator: VLLMGenerator | TransformersGenerator, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ModuleNotFoundError, match=rf"pip install 'rigging\[{module}\]'") as info:
        generator.load()
    assert f"{module!r} is required for {type(generator).__name__}" in str(info.value)


def test_vllm_sampling_kwargs_keep_only_accepted_names() -> None:
    params = GenerateParams(
        temperature=0.2,
        max_tokens=64,
        stop=["</s>"],
        api_base="http://x",
        timeout=3,
        extra={"min_p": 0.1, "unknown": 1},
    )
    accepted = ["temperature", "max_tokens", "stop", "min_p", "top_p"]
    assert sampling_kwargs(params, accepted) == {
        "temperature": 0.2,
        "max_tokens": 64,
        "stop": ["</s>"],
        "min_p": 0.1,
    }


def test_transformers_pipeline_kwargs() -> None:
    assert pipeline_kwargs(GenerateParams()) == {"max_new_tokens": DEFAULT_MAX_TOKENS}
    kwargs = pipeline_kwargs(
        GenerateParams(max_tokens=5, top_p=0.9, stop=["x"], api_base="u", extra={"num_beams": 2})
    )
    assert kwargs == {
        "max_new_tokens": 5,
        "top_p": 0.9,
        "stop_strings": ["x"],
        "num_beams": 2,
        "do_sample": True,
    }


def test_transformers_default_tokens_never_written_to_params() -> None:
    gen = TransformersGenerator(model="m", load_in_4bit=True)
    assert gen._kwargs_for([GenerateParams()]) == {"max_new_tokens": DEFAULT_MAX_TOKENS}
    assert gen.params.max_tokens is None
    assert gen.load_kwargs() == {"load_in_4bit": True}
    with pytest.raises(ValueError, match="all params must be identical"):
        gen._kwargs_for([GenerateParams(), GenerateParams(temperature=1.0)])


class _FakeOutput:
    def __init__(self, text: str) -> None:
        self.text = text
        self.finish_reason = "length"
        self.stop_reason = None


class _FakeRequest:
    def __init__(self, text: str, index: int) -> None:
        self.request_id = str(index)
        self.outputs = [_FakeOutput(text)]


class _FakeLLM:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def generate(self, texts: list[str], sampling: object, use_tqdm: bool) -> list[_FakeRequest]:
        self.calls.append(texts)
        return [_FakeRequest(t.upper(), i) for i, t in enumerate(texts)]


async def test_vllm_generation_path_with_a_stand_in_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    fake_vllm = types.ModuleType("vllm")

    class SamplingParams:
        def __init__(self, temperature: float | None = None, max_tokens: int | None = None):
            self.kwargs = {"temperature": temperature, "max_tokens": max_tokens}

    fake_vllm.SamplingParams = SamplingParams  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", fake_vllm)
    llm = _FakeLLM()
    gen = VLLMGenerator.from_obj("m", llm, params=GenerateParams(max_tokens=4))
    texts = [f"t{i}" * (i + 1) for i in range(10)]
    results = await gen.generate_texts(texts, [GenerateParams(temperature=0.1)] * 10)
    assert [r.text for r in results] == [t.upper() for t in texts]
    assert results[0].stop_reason == "length"
    assert results[3].extra["request_id"] == "3"
    assert llm.calls[0] == ["t0"]  # warm-up on the shortest prompt for big batches
    assert gen.unload()._llm is None


def test_local_generators_round_trip_identifiers_without_importing_engines() -> None:
    gen = VLLMGenerator(model="org/model", dtype="half", gpu_memory_utilization=0.5)
    assert get_identifier(gen) == "vllm!org/model,dtype=half,gpu_memory_utilization=0.5"
    tgen = TransformersGenerator(model="org/model", load_in_8bit=True)
    assert get_identifier(tgen) == "transformers!org/model,load_in_8bit=true"
