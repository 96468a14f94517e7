"""`TransformersGenerator`: local models through Hugging Face transformers (extra ``[local]``).

The model, tokenizer and pipeline are built on `load()` or first use; generation runs in a
worker thread. Unlike upstream, the default token budget is applied per request and never
written into the generator's params. Needs ``pip install 'rigging[local]'`` (and usually a GPU).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import PrivateAttr
from typing_extensions import Self

from rigging._exports import public_dir as _public_dir
from rigging.generator._local import free_accelerator_memory, import_local
from rigging.generator.base import Generator, check_batch
from rigging.generator.params import GenerateParams
from rigging.generator.results import GeneratedMessage, GeneratedText
from rigging.message import Message

__all__ = ["DEFAULT_MAX_TOKENS", "TransformersGenerator", "pipeline_kwargs"]

DEFAULT_MAX_TOKENS = 1024
"""``max_new_tokens`` used when no ``max_tokens`` is given."""

_DROPPED = frozenset(
    {"api_base", "timeout", "tools", "tool_choice", "parallel_tool_calls", "seed", "max_tokens"}
)
_SAMPLING = ("temperature", "top_k", "top_p")
_LOAD_FIELDS = ("torch_dtype", "device_map", "trust_remote_code", "load_in_8bit", "load_in_4bit")


def pipeline_kwargs(params: GenerateParams) -> dict[str, Any]:
    """Map params onto text-generation pipeline keyword arguments.

    ``max_tokens`` becomes ``max_new_tokens`` (default `DEFAULT_MAX_TOKENS`); ``stop`` becomes
    ``stop_strings``; any of temperature/top_k/top_p turns on ``do_sample``; API-only fields
    (``api_base``, ``timeout``, tools, ``seed``) are dropped; `extra` passes through.

    Args:
        params: The merged params.

    Returns:
        The keyword arguments.
    """
    data = params.to_dict()
    kwargs: dict[str, Any] = {
        "max_new_tokens": data.get("max_tokens") or DEFAULT_MAX_TOKENS,
    }
    for key, value in data.items():
        if key == "stop":
            kwargs["stop_strings"] = value
        elif key not in _DROPPED:
            kwargs[key] = value
    if any(name in data for name in _SAMPLING):
        kwargs.setdefault("do_sample", True)
    return kwargs


class TransformersGenerator(Generator):
    """Generate with a local transformers model (``transformers!<hf-model>``)."""

    supports_api_tools: ClassVar[bool] = False  # a local model has no function-calling API

    torch_dtype: str = "auto"
    """Weights dtype."""
    device_map: str = "auto"
    """Device placement."""
    trust_remote_code: bool = False
    """Allow model repositories to run their own code."""
    load_in_8bit: bool = False
    """Quantize to 8 bits on load (bitsandbytes)."""
    load_in_4bit: bool = False
    """Quantize to 4 bits on load (bitsandbytes)."""

    _llm: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _pipeline: Any = PrivateAttr(default=None)

    @classmethod
    def from_obj(
        cls,
        model: str,
        llm: Any,
        tokenizer: Any,
        *,
        pipeline: Any = None,
        params: GenerateParams | None = None,
    ) -> Self:
        """Wrap an already loaded model and tokenizer.

        Args:
            model: Model name for identifiers.
            llm: The model.
            tokenizer: Its tokenizer.
            pipeline: A ready text-generation pipeline (built from llm/tokenizer if None).
            params: Generator-level params.

        Returns:
            The generator.
        """
        generator = cls(model=model, params=params or GenerateParams())
        generator._llm, generator._tokenizer, generator._pipeline = llm, tokenizer, pipeline
        return generator

    def load_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``from_pretrained``: only the fields set explicitly.

        Returns:
            The keyword arguments.
        """
        return {name: getattr(self, name) for name in _LOAD_FIELDS if name in self.model_fields_set}

    @property
    def llm(self) -> Any:
        """The causal LM, loaded on first access."""
        if self._llm is None:
            transformers = import_local("transformers", "TransformersGenerator")
            self._llm = transformers.AutoModelForCausalLM.from_pretrained(
                self.model, **self.load_kwargs()
            )
        return self._llm

    @property
    def tokenizer(self) -> Any:
        """The tokenizer, loaded on first access."""
        if self._tokenizer is None:
            transformers = import_local("transformers", "TransformersGenerator")
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(self.model)
        return self._tokenizer

    @property
    def pipeline(self) -> Any:
        """The text-generation pipeline, built on first access."""
        if self._pipeline is None:
            transformers = import_local("transformers", "TransformersGenerator")
            self._pipeline = transformers.pipeline(
                "text-generation",
                model=self.llm,
                tokenizer=self.tokenizer,
                return_full_text=False,
            )
        return self._pipeline

    def load(self) -> Self:
        """Load the model, tokenizer and pipeline now.

        Returns:
            The generator.
        """
        _ = self.pipeline
        return self

    def unload(self) -> Self:
        """Drop the model and free accelerator memory.

        Returns:
            The generator.
        """
        self._llm = self._tokenizer = self._pipeline = None
        free_accelerator_memory()
        return self

    def _kwargs_for(self, params: Sequence[GenerateParams]) -> dict[str, Any]:
        merged = [pipeline_kwargs(self.params.merge_with(p)) for p in params]
        if any(m != merged[0] for m in merged[1:]):
            raise ValueError(
                "TransformersGenerator runs a batch as one call: all params must be identical"
            )
        return merged[0] if merged else {}

    async def _run(self, inputs: list[Any], params: Sequence[GenerateParams]) -> list[str]:
        kwargs = self._kwargs_for(params)
        if "stop_strings" in kwargs:
            kwargs["tokenizer"] = self.tokenizer
        outputs = await asyncio.to_thread(self.pipeline, inputs, **kwargs)
        return [str(output[-1]["generated_text"]).strip() for output in outputs]

    async def generate_texts(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText]:
        """Complete each text (one pipeline call for the batch).

        Args:
            texts: The prompts.
            params: One params object per text; they must all be equal.

        Returns:
            One result per text, in order.
        """
        check_batch(texts, params)
        outputs = await self._run(list(texts), params)
        return [GeneratedText(text=text, stop_reason="unknown") for text in outputs]

    async def generate_messages(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage]:
        """Generate a reply per conversation (passed to the pipeline as OpenAI-style dicts).

        Args:
            messages: The conversations.
            params: One params object per conversation; they must all be equal.

        Returns:
            One assistant message per conversation, in order.
        """
        check_batch(messages, params)
        inputs = [[m.to_openai_spec() for m in conversation] for conversation in messages]
        outputs = await self._run(inputs, params)
        return [GeneratedMessage.from_text(text) for text in outputs]


__dir__ = _public_dir(globals())
