"""`dir()` of each public module lists its public names only, never what it imported."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import rigging


def _public_modules() -> list[str]:
    names = ["rigging"]
    for info in pkgutil.walk_packages(rigging.__path__, "rigging."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return sorted(names)


PUBLIC_MODULES = _public_modules()


def test_the_public_modules_are_found() -> None:
    for name in ("rigging.chat", "rigging.watchers", "rigging.generator.litellm_", "rigging.tool"):
        assert name in PUBLIC_MODULES


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_dir_shows_only_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported)), "__all__ names each name once"
    listed = dir(module)
    public = {n for n in listed if not (n.startswith("__") and n.endswith("__"))}
    assert public == {n for n in exported if not n.startswith("__")}
    # imports, typing aliases and helpers stay out of sight
    for hidden in ("annotations", "importlib", "t", "os", "json", "threading", "TYPE_CHECKING"):
        assert hidden not in listed
    for extra in [n for n in listed if n.startswith("_")]:
        assert extra.startswith("__"), extra
        assert extra.endswith("__"), extra


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_exported_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    for exported in module.__all__:
        assert getattr(module, exported) is not None or exported.isupper(), exported


def test_star_import_gives_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from rigging.watchers import *", namespace)
    assert sorted(n for n in namespace if n != "__builtins__") == sorted(
        importlib.import_module("rigging.watchers").__all__
    )
