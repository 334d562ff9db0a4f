"""Finding and loading plugins: entry points in the group `rulegrad.plugins`.

Each plugin's `register(registry)` runs against a fresh registry of its own. What the
plugin registers into the catalogue itself while it loads (at import or in `register`,
directly or through `define_op` without `registry=`) is staged into that same registry
instead: the catalogue's `staged` block redirects the loading thread's writes only, so
another thread's `define_op` meanwhile lands at once and is never undone. Only when the
plugin has loaded, and every op it registered is well formed and has a name the catalogue
does not have yet, do its ops enter the catalogue, all at once, labelled with the
distribution they came from. Anything else, including `SystemExit` or any other
`BaseException` but `KeyboardInterrupt`, skips the plugin with a `PluginWarning` and
leaves the catalogue as it was, so a broken plugin never half-loads and never replaces
an op.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from rulegrad.kernel import BUILTIN, DuplicateOpError, Op, OpRegistry, RulegradError, registry
from rulegrad.kernel.errors import PluginWarning
from rulegrad.kernel.op import DEFAULT_SOURCE

__all__ = [
    "CATALOGUE_LOADER",
    "DISABLE_AUTOLOAD",
    "GROUP",
    "PluginLoader",
    "PluginSpec",
    "PluginWarning",
    "autoload_disabled",
    "installed_plugins",
    "load_plugins",
]

GROUP: Final = "rulegrad.plugins"
DISABLE_AUTOLOAD: Final = "RULEGRAD_DISABLE_PLUGIN_AUTOLOAD"


@dataclass(frozen=True)
class PluginSpec:
    """One installed plugin: its entry point's name, its distribution, and how to load it."""

    name: str
    distribution: str  # "" when the entry point does not say
    version: str
    load: Callable[[], object]  # imports the plugin and returns its `register`

    @property
    def origin(self) -> str:
        """`rulegrad-special 0.1.0`: the distribution and version, for messages."""
        if not self.distribution:
            return "unknown distribution"
        return f"{self.distribution} {self.version}".rstrip()

    @property
    def source(self) -> str:
        """What `Op.source` says of the ops this plugin registers."""
        return f"plugin {self.origin}" if self.distribution else f"plugin {self.name}"


def installed_plugins() -> list[PluginSpec]:
    """The plugins installed on `sys.path`, sorted by name so that clashes resolve the same way."""
    from importlib.metadata import entry_points  # not at import: `import rulegrad` stays quick

    specs = []
    for entry in entry_points(group=GROUP):
        dist = entry.dist
        name, version = ("", "") if dist is None else (dist.name, dist.version)
        specs.append(PluginSpec(entry.name, name, version, entry.load))
    return sorted(specs, key=lambda spec: (spec.name, spec.distribution))


def autoload_disabled() -> bool:
    """Whether `RULEGRAD_DISABLE_PLUGIN_AUTOLOAD` is set (to anything but the empty string)."""
    return bool(os.environ.get(DISABLE_AUTOLOAD))


class PluginLoader:
    """Loads the plugins `discover` finds into `target`, each one at most once.

    >>> import rulegrad as rg
    >>> def register(target: OpRegistry) -> None:
    ...     _ = rg.define_op("third", forward=lambda x: x / 3, partials=lambda out, x: (1 / 3,),
    ...                      registry=target)
    >>> reg = OpRegistry()
    >>> spec = PluginSpec("thirds", "thirds", "1.0", load=lambda: register)
    >>> loader = PluginLoader(reg, discover=lambda: [spec])
    >>> loader.load(), loader.load(), reg.get("third").source
    (['thirds'], [], 'plugin thirds 1.0')
    """

    def __init__(
        self, target: OpRegistry, discover: Callable[[], Sequence[PluginSpec]] = installed_plugins
    ) -> None:
        self._target = target
        self._discover = discover
        # Re-entrant: a plugin's register() may itself miss in the catalogue or call
        # load_plugins(); that nested call returns at once instead of deadlocking.
        self._lock = threading.RLock()
        self._tried: set[tuple[str, str]] = set()
        self._loading = False
        self._autoloaded = False

    def load(self, *, autoload: bool = False, stacklevel: int = 2) -> list[str]:
        """Load every plugin not tried yet; the names of those that loaded.

        `stacklevel` is `warnings.warn`'s, counted from here: 2 blames this method's caller.
        """
        with self._lock:
            if self._loading or (autoload and self._autoloaded):
                return []
            self._loading = True
            try:
                loaded, skipped = self._load_new()
            finally:
                self._loading = False
                self._autoloaded = True
        # Warned only now, with the catalogue consistent: under `-W error` the first warning
        # raises, and must not leave a load half done.
        for warning in skipped:
            warnings.warn(warning, stacklevel=stacklevel)
        return loaded

    def on_miss(self, name: str) -> None:
        """The catalogue's miss hook: load every plugin, once, unless autoload is disabled."""
        if not self._autoloaded and not autoload_disabled():
            self.load(autoload=True, stacklevel=4)  # blames the caller of registry.get / `in`

    def _load_new(self) -> tuple[list[str], list[PluginWarning]]:
        loaded: list[str] = []
        skipped: list[PluginWarning] = []
        try:
            specs = self._discover()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a corrupt installation must not break the catalogue
            skipped.append(PluginWarning("*", "plugin discovery", _describe(exc)))
            return loaded, skipped
        for spec in specs:
            key = (spec.distribution, spec.name)
            if key in self._tried:
                continue
            self._tried.add(key)  # a failed plugin is not retried, nor warned about again
            cause = self._load_one(spec)
            if cause is None:
                loaded.append(spec.name)
            else:
                skipped.append(PluginWarning(spec.name, spec.origin, cause))
        return loaded, skipped

    def _load_one(self, spec: PluginSpec) -> str | None:
        """Load one plugin into the catalogue; the reason it was skipped, or None."""
        own = OpRegistry()
        # Everything the plugin runs, its import included, writes to `own`: the catalogue
        # changes only below, all at once, or not at all. The ops it makes say where from.
        token = DEFAULT_SOURCE.set(spec.source)
        try:
            with self._target.staged(own):
                cause = _run_plugin(spec, own)
        finally:
            DEFAULT_SOURCE.reset(token)
        if cause is not None:
            return cause
        ops = list(own)
        for op in ops:
            problem = _malformed(op)
            if problem is not None:
                return f"its op {op.name!r} is malformed: {problem}"
        # Iterating does not run the miss hook, as `in` would.
        taken = {op.name: op for op in self._target}
        for op in ops:
            if op.name in taken:
                return _clash(op.name, taken[op.name])
            if op.source == BUILTIN:  # relabelling it below would unprotect one of ours
                return f"its op {op.name!r} says it is built-in; only rulegrad's own ops are"
        # An op made before the plugin loaded is registered as a copy that says where from.
        ops = [op if op.source == spec.source else op.replaced_by(spec.source) for op in ops]
        try:
            self._target.register_all(ops)
        except DuplicateOpError as exc:  # registered by another thread a moment ago
            return _clash(exc.op_name, self._target.get(exc.op_name))
        return None


def _run_plugin(spec: PluginSpec, own: OpRegistry) -> str | None:
    """Import the plugin and run its `register(own)`; why that failed, or None.

    A plugin is foreign code: whatever it raises is contained, `SystemExit` included
    (a plugin that calls `sys.exit()` must not end the program that looked up an op).
    Only `KeyboardInterrupt` goes through: the user asked to stop.
    """
    try:
        register = spec.load()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # ImportError for a missing dependency, or anything else
        return f"importing it failed: {_describe(exc)}"
    if not callable(register):
        kind = type(register).__name__
        return f"its entry point names an object of type {kind}, not register(registry)"
    try:
        register(own)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return f"register() raised {_describe(exc)}"
    return None


def _malformed(op: Op) -> str | None:
    """Op's own checks, run again: a plugin may have changed an op after making it."""
    try:
        Op(
            op.name, forward=op.forward, partials=op.partials, jvp=op.jvp, vjp=op.vjp,
            arity=op.arity, samples=op.samples, code=op.code,
        )  # fmt: skip
    except (RulegradError, TypeError, ValueError) as exc:
        return str(exc)
    return None


def _clash(name: str, existing: Op) -> str:
    return f"its op {name!r} clashes with an op already in the catalogue ({existing.source})"


def _describe(exc: BaseException) -> str:
    """`KeyError: 'x'`: the exception's type and message (foreign code: even str() may fail)."""
    kind = type(exc).__name__
    try:
        message = str(exc)
    except Exception:
        message = "(its message cannot be shown)"
    return f"{kind}: {message}" if message else kind


# The catalogue's loader; the wiring (`rulegrad._wiring`) makes it the catalogue's miss hook.
CATALOGUE_LOADER: Final = PluginLoader(registry)


def load_plugins() -> list[str]:
    """Load every installed plugin not loaded yet; returns the names of those it loaded.

    A plugin that fails is skipped with a `PluginWarning`. The catalogue also calls this
    by itself, once, the first time `rg.registry.get(name)` or `name in rg.registry` misses,
    unless the environment variable `RULEGRAD_DISABLE_PLUGIN_AUTOLOAD` is set.

    >>> import rulegrad as rg
    >>> names = rg.load_plugins()   # ['special'] with rulegrad-special installed
    >>> rg.load_plugins()           # nothing new to load
    []
    """
    return CATALOGUE_LOADER.load(stacklevel=3)
