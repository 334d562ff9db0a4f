"""A plugin is all or nothing, whatever it does, and whatever else runs meanwhile.

The loader's target here plays the catalogue: a plugin that writes to it directly (rather
than to the registry it is given), at import or in `register`, has those writes staged
with the rest of the plugin, so they land with the plugin's provenance or not at all. The
staging is per thread: another thread registering meanwhile is never rolled back. Any
`BaseException` a plugin raises but `KeyboardInterrupt` skips it with a `PluginWarning`.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable

import pytest

import rulegrad as rg
from rulegrad.kernel import BUILTIN
from rulegrad.plugins._loader import PluginLoader, PluginSpec, PluginWarning

Register = Callable[[rg.OpRegistry], None]


def catalogue() -> rg.OpRegistry:
    """A stand-in for the catalogue: built-ins `sine` and `mul`, and a user op `mine`."""
    registry = rg.OpRegistry()
    registry.register(rg.UnaryOp("sine", forward=math.sin, partials=None, source=BUILTIN))
    registry.register(rg.BinaryOp("mul", forward=lambda x, y: x * y, partials=None, source=BUILTIN))
    rg.define_op("mine", forward=math.exp, partials=None, registry=registry)
    return registry


def spec(name: str, register: object, load: Callable[[], object] | None = None) -> PluginSpec:
    return PluginSpec(name, f"{name}-dist", "1.0", load or (lambda: register))


def good(name: str = "good", op: str = "good_op") -> PluginSpec:
    def register(registry: rg.OpRegistry) -> None:
        rg.define_op(op, forward=abs, partials=None, registry=registry)

    return spec(name, register)


def load(target: rg.OpRegistry, *specs: PluginSpec) -> tuple[list[str], dict[str, str]]:
    """Load `specs` into `target`: the names loaded, and {plugin: cause} of those skipped."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = PluginLoader(target, lambda: list(specs)).load()
    skipped = {w.message.plugin: w.message.cause for w in caught
               if isinstance(w.message, PluginWarning)}  # fmt: skip
    assert len(skipped) == len(caught)
    return loaded, skipped


def state(registry: rg.OpRegistry) -> dict[str, tuple[rg.Op, str]]:
    return {op.name: (op, op.source) for op in registry}


# --- what a plugin raises -------------------------------------------------------------------


class Custom(BaseException):
    """Neither an Exception nor an exit: still a plugin's failure, not the program's."""


def raising(exc: BaseException) -> Register:
    def register(registry: rg.OpRegistry) -> None:
        rg.define_op("before_raising", forward=abs, partials=None, registry=registry)
        raise exc

    return register


def exiting_at_import(exc: BaseException) -> Callable[[], object]:
    def import_it() -> object:
        raise exc

    return import_it


RAISED: list[tuple[BaseException, str]] = [
    (SystemExit(3), "SystemExit: 3"),
    (SystemExit(), "SystemExit"),
    (SystemExit("bye"), "SystemExit: bye"),
    (GeneratorExit("closing"), "GeneratorExit: closing"),
    (Custom("odd"), "Custom: odd"),
    (RuntimeError("config"), "RuntimeError: config"),
]


@pytest.mark.parametrize(("exc", "described"), RAISED, ids=lambda x: repr(x)[:30])
def test_anything_raised_in_register_is_contained(exc: BaseException, described: str) -> None:
    target = catalogue()
    before = state(target)
    loaded, skipped = load(target, spec("a_raiser", raising(exc)), good("later"))
    assert loaded == ["later"]  # the plugins after it still load
    assert skipped == {"a_raiser": f"register() raised {described}"}
    assert state(target) == {**before, "good_op": (target.get("good_op"), "plugin later-dist 1.0")}


@pytest.mark.parametrize(("exc", "described"), RAISED, ids=lambda x: repr(x)[:30])
def test_anything_raised_at_import_is_contained(exc: BaseException, described: str) -> None:
    target = catalogue()
    failing = spec("a_raiser", None, load=exiting_at_import(exc))
    loaded, skipped = load(target, failing, good("later"))
    assert loaded == ["later"]
    assert skipped == {"a_raiser": f"importing it failed: {described}"}


def test_keyboard_interrupt_is_the_users_and_goes_through() -> None:
    target = catalogue()
    with pytest.raises(KeyboardInterrupt):
        load(target, spec("interrupted", raising(KeyboardInterrupt())))
    assert "before_raising" not in target
    interrupted_import = spec("interrupted", None, load=exiting_at_import(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        load(target, interrupted_import)


def test_an_exception_whose_message_fails_is_still_described() -> None:
    class UnprintableError(Exception):
        def __str__(self) -> str:
            raise ValueError("no")

    _, skipped = load(catalogue(), spec("odd", raising(UnprintableError())))
    assert skipped["odd"] == "register() raised UnprintableError: (its message cannot be shown)"


def test_a_failing_discovery_may_raise_anything_but_an_interrupt() -> None:
    def discover() -> list[PluginSpec]:
        raise SystemExit("broken entry_points.txt")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert PluginLoader(catalogue(), discover).load() == []
    assert [str(w.message) for w in caught] == [
        "rulegrad plugin '*' (plugin discovery) skipped: SystemExit: broken entry_points.txt"
    ]


# --- writes to the catalogue itself ---------------------------------------------------------


def writes_to(target: rg.OpRegistry, then: BaseException | None = None) -> Register:
    """A plugin that ignores the registry it is given and writes to `target` by every path."""

    def register(registry: rg.OpRegistry) -> None:
        rg.define_op("direct_define", forward=abs, partials=None, registry=target)
        target.register(rg.Op("direct_register", forward=abs, partials=None))
        target.register_all([rg.Op("direct_all", forward=abs, partials=None)])
        rg.define_op("given_registry", forward=abs, partials=None, registry=registry)
        assert target.get("direct_define").name == "direct_define"  # it sees its own writes
        assert "direct_all" in target
        if then is not None:
            raise then

    return register


WRITTEN = ["direct_all", "direct_define", "direct_register", "given_registry"]


def test_writes_to_the_catalogue_land_with_the_plugins_provenance() -> None:
    target = catalogue()
    loaded, skipped = load(target, spec("writer", writes_to(target)))
    assert (loaded, skipped) == (["writer"], {})
    assert {name: target.get(name).source for name in WRITTEN} == dict.fromkeys(
        WRITTEN, "plugin writer-dist 1.0"
    )


@pytest.mark.parametrize("exc", [RuntimeError("late"), SystemExit(1)], ids=["raise", "exit"])
def test_writes_to_the_catalogue_are_rolled_back_with_the_plugin(exc: BaseException) -> None:
    target = catalogue()
    before = state(target)
    loaded, skipped = load(target, spec("writer", writes_to(target, then=exc)))
    assert loaded == []
    assert skipped["writer"].startswith("register() raised ")
    assert state(target) == before


def test_writes_at_import_are_staged_too() -> None:
    target = catalogue()
    before = state(target)

    def import_then_fail() -> object:
        rg.define_op("at_import", forward=abs, partials=None, registry=target)
        raise ImportError("a dependency is missing")

    _, skipped = load(target, spec("importer", None, load=import_then_fail))
    assert skipped == {"importer": "importing it failed: ImportError: a dependency is missing"}
    assert state(target) == before

    def import_then_succeed() -> object:
        rg.define_op("at_import", forward=abs, partials=None, registry=target)
        return lambda registry: None

    assert load(target, spec("importer2", None, load=import_then_succeed)) == (["importer2"], {})
    assert target.get("at_import").source == "plugin importer2-dist 1.0"


def replacing(target: rg.OpRegistry, name: str, how: str) -> Register:
    def register(registry: rg.OpRegistry) -> None:
        rg.define_op("sidekick", forward=abs, partials=None, registry=target)
        if how == "define_op":
            rg.define_op(name, forward=lambda *xs: 42.0, partials=None, replace=True,
                         arity=target.get(name).arity, registry=target)  # fmt: skip
        elif how == "register":
            impostor = rg.Op(name, forward=lambda *xs: 42.0, partials=None,
                             arity=target.get(name).arity)  # fmt: skip
            target.register(impostor, replace=True)
        else:
            target.register_all([rg.Op(name, forward=lambda *xs: 42.0, partials=None,
                                        arity=target.get(name).arity)])  # fmt: skip

    return register


@pytest.mark.parametrize("how", ["define_op", "register", "register_all"])
@pytest.mark.parametrize("name", ["sine", "mul"])
def test_a_plugin_cannot_replace_a_builtin_in_the_catalogue(name: str, how: str) -> None:
    target = catalogue()
    before = state(target)
    loaded, skipped = load(target, spec("shadow", replacing(target, name, how)), good())
    assert loaded == ["good"]
    assert skipped["shadow"].startswith(f"register() raised BuiltinOpError: {name!r} is a built-in")
    good_op = target.get("good_op")
    assert state(target) == {**before, "good_op": (good_op, "plugin good-dist 1.0")}


def test_a_plugin_cannot_replace_a_user_op_in_the_catalogue() -> None:
    target = catalogue()
    mine = target.get("mine")

    def quiet(registry: rg.OpRegistry) -> None:
        rg.define_op("mine", forward=abs, partials=None, registry=target)

    def insists(registry: rg.OpRegistry) -> None:
        rg.define_op("mine", forward=abs, partials=None, registry=target, replace=True)

    _, skipped = load(target, spec("quiet", quiet), spec("insists", insists))
    assert skipped["quiet"].startswith("register() raised DuplicateOpError: an op named 'mine'")
    assert skipped["insists"] == (
        "its op 'mine' clashes with an op already in the catalogue (user)"
    )
    assert target.get("mine") is mine and mine.source == "user"


def test_an_op_that_claims_to_be_builtin_is_not_relabelled() -> None:
    target = catalogue()

    def claims(registry: rg.OpRegistry) -> None:
        registry.register(rg.UnaryOp("claimed", forward=abs, partials=None, source=BUILTIN))

    def borrows(registry: rg.OpRegistry) -> None:
        registry.register(rg.sin)  # a real built-in, into a catalogue that lacks it

    _, skipped = load(target, spec("claims", claims), spec("borrows", borrows))
    assert skipped == {
        "claims": "its op 'claimed' says it is built-in; only rulegrad's own ops are",
        "borrows": "its op 'sin' says it is built-in; only rulegrad's own ops are",
    }
    assert rg.sin.source == BUILTIN and "sin" not in target and "claimed" not in target


def test_a_plugin_cannot_write_through_the_real_define_op_default() -> None:
    # The real catalogue as the target: `rg.define_op` without `registry=` writes there.
    before = state(rg.registry)

    def cosine_is_42(registry: rg.OpRegistry) -> None:
        rg.define_op("containment_helper", forward=abs, partials=None)
        rg.define_op("cos", forward=lambda x: 42.0, partials=None, replace=True)

    def fails_late(registry: rg.OpRegistry) -> None:
        rg.define_op("containment_leak", forward=abs, partials=None)
        rg.registry.register(rg.Op("containment_leak2", forward=abs, partials=None))
        raise SystemExit(2)

    loaded, skipped = load(rg.registry, spec("cos42", cosine_is_42), spec("late", fails_late))
    assert loaded == []
    assert skipped["cos42"].startswith("register() raised BuiltinOpError: 'cos' is a built-in op")
    assert skipped["late"] == "register() raised SystemExit: 2"
    assert state(rg.registry) == before
    assert rg.Value(0.0).cos().data == rg.cos(0.0) == 1.0
    assert rg.Dual(0.0, 1.0).cos().primal == 1.0


# --- threads --------------------------------------------------------------------------------


def test_another_threads_op_is_never_rolled_back() -> None:
    target = catalogue()
    staged = threading.Event()
    written = threading.Event()

    def register(registry: rg.OpRegistry) -> None:
        rg.define_op("from_plugin", forward=abs, partials=None, registry=target)
        staged.set()
        assert written.wait(10)
        raise RuntimeError("fails after the other thread wrote")

    def other() -> None:
        assert staged.wait(10)
        rg.define_op("from_thread", forward=abs, partials=None, registry=target)
        written.set()

    thread = threading.Thread(target=other)
    thread.start()
    _, skipped = load(target, spec("slow", register))
    thread.join()
    assert skipped == {"slow": "register() raised RuntimeError: fails after the other thread wrote"}
    assert "from_plugin" not in target
    assert target.get("from_thread").source == "user"  # not staged, not rolled back


def test_another_thread_sees_nothing_staged_and_wins_a_race_for_a_name() -> None:
    target = catalogue()
    staged = threading.Event()
    written = threading.Event()
    seen: list[bool] = []

    def register(registry: rg.OpRegistry) -> None:
        rg.define_op("contended", forward=abs, partials=None, registry=target)
        staged.set()
        assert written.wait(10)

    def other() -> None:
        assert staged.wait(10)
        seen.append("contended" in [op.name for op in target])
        rg.define_op("contended", forward=math.exp, partials=None, registry=target)
        written.set()

    thread = threading.Thread(target=other)
    thread.start()
    loaded, skipped = load(target, spec("racer", register))
    thread.join()
    assert seen == [False]  # staged ops are invisible to other threads
    assert (
        loaded == [] and "clashes with an op already in the catalogue (user)" in (skipped["racer"])
    )
    assert target.get("contended").forward is math.exp


def test_staging_into_itself_is_refused() -> None:
    registry = rg.OpRegistry()
    with pytest.raises(ValueError, match="into itself"), registry.staged(registry):
        pass
