"""Every view of an HTTP generator that shows its spec: for the secret-masking tests."""

from __future__ import annotations

import base64
import pickle

import rigging as rg
from rigging.generator.http import HTTPGenerator

__all__ = ["spec_views"]


def spec_views(generator: HTTPGenerator) -> list[str]:
    """Reprs, dumps, identifier, the decoded spec, and a chat's dump and pickle."""
    chat = rg.Chat([rg.Message("user", "x")], generator=generator)
    return [
        repr(generator),
        generator.model_dump_json(),
        generator.to_identifier(),
        base64.b64decode(generator.model_dump()["spec"]).decode(),
        repr(generator.spec),
        chat.model_dump_json(),
        repr(pickle.dumps(chat)),
    ]
