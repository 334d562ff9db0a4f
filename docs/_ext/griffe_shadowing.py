"""A griffe extension for the API reference: a name that Python binds to a function, not to
the submodule of the same name.

`rulegrad/batching/__init__.py` imports `vmap` from `rulegrad/batching/vmap.py`, so at run
time `rulegrad.batching.vmap`, and `rulegrad.vmap` after it, is the function. Griffe keeps
one member per name and reads both as the submodule (mkdocstrings/griffe#124), so
`::: rulegrad.vmap` would show the module's docstring. Once the package is loaded, each
alias whose target is a module is checked against the imported package, and pointed at the
object Python binds where that is a member of the module. mkdocs.yml loads this file by path.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import griffe


def _modules(module: griffe.Module) -> list[griffe.Module]:
    """`module` and every submodule below it (not modules it imports), without recursion."""
    found, stack = [], [module]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(m for m in current.modules.values() if not m.is_alias)
    return found


class ShadowedSubmodules(griffe.Extension):
    """Point an alias to a shadowed submodule at the object Python binds in its place."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        collection = loader.modules_collection
        for module in _modules(pkg):
            if module.name == "__main__":  # importing it would run the command line
                continue
            for name, member in list(module.members.items()):
                if not isinstance(member, griffe.Alias):
                    continue
                try:
                    target = collection.get_member(member.target_path)
                except (KeyError, griffe.AliasResolutionError):  # outside the package
                    continue
                if not isinstance(target, griffe.Module):
                    continue
                bound = getattr(importlib.import_module(module.path), name, None)
                inner = getattr(bound, "__name__", None)
                if bound is None or isinstance(bound, ModuleType) or inner not in target.members:
                    continue
                member.target = target.members[inner]
