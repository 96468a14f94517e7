"""Shared fixtures: the loopback OpenAI-compatible server (``openai_stub``)."""

from __future__ import annotations

from _servers import openai_stub_fixture as openai_stub_fixture

__all__ = ["openai_stub_fixture"]
