"""`VLLMGenerator`: local models through vLLM (extra ``[vllm]``; imported on first use).

The engine is built on `load()` or first use. Generation runs in a worker thread so the
event loop stays responsive. Needs a GPU machine with ``pip install 'rigging[vllm]'``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from pydantic import PrivateAttr
from typing_extensions import Self

from rigging._exports import public_dir as _public_dir
from rigging.generator._local import free_accelerator_memory, import_local
from rigging.generator.base import Generator, check_batch
from rigging.generator.params import GenerateParams
from rigging.generator.results import GeneratedMessage, GeneratedText
from rigging.message import Message

__all__ = ["CACHE_TRIGGER", "VLLMGenerator", "sampling_kwargs"]

CACHE_TRIGGER = 8
"""Batches larger than this first run the shortest prompt alone to warm the prefix cache."""


def sampling_kwargs(params: GenerateParams, accepted: Iterable[str]) -> dict[str, Any]:
    """Map params onto `vllm.SamplingParams` keyword arguments.

    Keeps only the names `SamplingParams` accepts (``max_tokens``, ``temperature``, ``stop``,
    ``seed``, …, plus any accepted name in `extra`); the rest (``api_base``, ``timeout``,
    tools) have no meaning for a local engine and are dropped.

    Args:
        params: The merged params.
        accepted: Parameter names `SamplingParams` takes.

    Returns:
        The keyword arguments.
    """
    names = set(accepted)
    return {key: value for key, value in params.to_dict().items() if key in names}


def _accepted_names(sampling_params: type) -> list[str]:
    fields = getattr(sampling_params, "__struct_fields__", None)  # msgspec-based versions
    if fields is not None:
        return list(fields)
    return list(inspect.signature(sampling_params).parameters)


class VLLMGenerator(Generator):
    """Generate with a local vLLM engine (``vllm!<hf-model>,dtype=half``)."""

    supports_api_tools: ClassVar[bool] = False  # a local engine has no function-calling API

    dtype: str = "auto"
    """Weights dtype passed to `vllm.LLM`."""
    quantization: str | None = None
    """Quantization method, if any."""
    gpu_memory_utilization: float = 0.9
    """Fraction of GPU memory the engine may take."""
    enforce_eager: bool = False
    """Disable CUDA graphs."""
    trust_remote_code: bool = False
    """Allow model repositories to run their own code."""

    _llm: Any = PrivateAttr(default=None)

    @classmethod
    def from_obj(cls, model: str, llm: Any, *, params: GenerateParams | None = None) -> Self:
        """Wrap an existing `vllm.LLM` engine.

        Args:
            model: Model name for identifiers.
            llm: The engine.
            params: Generator-level params.

        Returns:
            The generator.
        """
        generator = cls(model=model, params=params or GenerateParams())
        generator._llm = llm
        return generator

    @property
    def llm(self) -> Any:
        """The `vllm.LLM` engine, built on first access."""
        if self._llm is None:
            vllm = import_local("vllm", "VLLMGenerator")
            self._llm = vllm.LLM(
                self.model,
                dtype=self.dtype,
                quantization=self.quantization,
                gpu_memory_utilization=self.gpu_memory_utilization,
                enforce_eager=self.enforce_eager,
                trust_remote_code=self.trust_remote_code,
            )
        return self._llm

    def load(self) -> Self:
        """Build the engine now.

        Returns:
            The generator.
        """
        _ = self.llm
        return self

    def unload(self) -> Self:
        """Drop the engine and free accelerator memory.

        Returns:
            The generator.
        """
        self._llm = None
        free_accelerator_memory()
        return self

    def _generate_sync(self, texts: Sequence[str], params: Sequence[GenerateParams]) -> list[Any]:
        vllm = import_local("vllm", "VLLMGenerator")
        accepted = _accepted_names(vllm.SamplingParams)
        sampling = [
            vllm.SamplingParams(**sampling_kwargs(self.params.merge_with(p), accepted))
            for p in params
        ]
        if len(texts) > CACHE_TRIGGER:
            shortest = min(range(len(texts)), key=lambda i: len(texts[i]))
            self.llm.generate([texts[shortest]], sampling[shortest], use_tqdm=False)
        return list(self.llm.generate(list(texts), sampling, use_tqdm=False))

    async def generate_texts(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText]:
        """Complete each text with the engine (in a worker thread).

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result per text, in order.
        """
        check_batch(texts, params)
        outputs = await asyncio.to_thread(self._generate_sync, texts, params)
        results = []
        for output in outputs:
            best = output.outputs[-1]
            results.append(
                GeneratedText(
                    text=best.text,
                    stop_reason=best.finish_reason,
                    extra={"request_id": output.request_id, "stop_token": best.stop_reason},
                )
            )
        return results

    async def generate_messages(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage]:
        """Render each conversation with the tokenizer's chat template, then complete it.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One assistant message per conversation, in order.
        """
        check_batch(messages, params)
        tokenizer = self.llm.get_tokenizer()
        texts = [
            tokenizer.apply_chat_template(
                [m.to_openai_spec() for m in conversation],
                add_generation_prompt=True,
                tokenize=False,
            )
            for conversation in messages
        ]
        generated = await self.generate_texts(texts, params)
        return [g.to_generated_message() for g in generated]


__dir__ = _public_dir(globals())
