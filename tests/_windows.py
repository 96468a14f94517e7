"""A generator that holds checkpointed windows at chosen points: for the checkpoint tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import PrivateAttr

import rigging as rg
from rigging.generator import GenerateParams

__all__ = ["PairThenHang"]


class PairThenHang(rg.Generator):
    """``a`` and ``b`` answer together (each waits for the other); ``c`` never answers."""

    _arrived: int = PrivateAttr(default=0)
    _both: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)

    async def generate_messages(
        self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
    ) -> Sequence[rg.generator.GeneratedMessage]:
        if messages[0][-1].content == "c":
            await asyncio.Event().wait()  # until the run stops and cancels it
        self._arrived += 1
        if self._arrived == 2:
            self._both.set()
        await self._both.wait()
        return [rg.generator.GeneratedMessage.from_text("ok", stop_reason="stop")] * len(messages)
