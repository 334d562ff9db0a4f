"""The plugin loader in-process, on registries of its own and plugins given as specs.

The real thing (entry points of installed distributions, in a subprocess) is tested in
`test_installed.py`; these tests reach the corners a real installation cannot easily reach.
"""

from __future__ import annotations

import math
import pickle
import threading
import warnings
from collections.abc import Callable

import pytest

import rulegrad as rg
from rulegrad.kernel import BUILTIN
from rulegrad.plugins._loader import DISABLE_AUTOLOAD, PluginLoader, PluginSpec, PluginWarning

Register = Callable[[rg.OpRegistry], None]


def spec(name: str, register: object, distribution: str = "", version: str = "1.0") -> PluginSpec:
    def load() -> object:
        return register

    return PluginSpec(name, distribution or f"{name}-dist", version, load)


def failing(exc: Exception) -> PluginSpec:
    def load() -> object:
        raise exc

    return PluginSpec("broken", "broken-dist", "2.0", load)


def defines(*names: str) -> Register:
    def register(registry: rg.OpRegistry) -> None:
        for name in names:
            rg.define_op(name, forward=math.exp, partials=lambda out, x: (out,), registry=registry)

    return register


def catalogue() -> rg.OpRegistry:
    """A registry with one built-in op, as the real catalogue has many."""
    registry = rg.OpRegistry()
    registry.register(rg.UnaryOp("sine", forward=math.sin, partials=None, source=BUILTIN))
    return registry


def load(loader: PluginLoader) -> tuple[list[str], list[PluginWarning]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = loader.load()
    assert all(w.category is PluginWarning for w in caught)
    return loaded, [w.message for w in caught if isinstance(w.message, PluginWarning)]


def test_exported_and_a_user_warning() -> None:
    assert rg.PluginWarning is PluginWarning
    assert issubclass(rg.PluginWarning, UserWarning)
    assert callable(rg.load_plugins)
    assert {"PluginWarning", "load_plugins"} <= set(rg.__all__)


def test_a_warning_survives_pickling() -> None:
    warning = PluginWarning("special", "rulegrad-special 0.1.0", "register() raised KeyError")
    copy = pickle.loads(pickle.dumps(warning))
    assert (copy.plugin, copy.origin) == ("special", "rulegrad-special 0.1.0")
    assert copy.cause == "register() raised KeyError"
    assert (
        str(copy)
        == str(warning)
        == (
            "rulegrad plugin 'special' (rulegrad-special 0.1.0) skipped: register() raised KeyError"
        )
    )


def test_loads_with_provenance_once() -> None:
    registry = catalogue()
    loader = PluginLoader(registry, lambda: [spec("extra", defines("one", "two"), "ex", "0.3")])
    assert load(loader) == (["extra"], [])
    assert [registry.get(name).source for name in ("one", "two")] == ["plugin ex 0.3"] * 2
    assert load(loader) == ([], [])  # idempotent
    assert registry.names() == ["one", "sine", "two"]


def test_plugin_without_distribution_is_named_by_its_entry_point() -> None:
    registry = rg.OpRegistry()
    nameless = PluginSpec("loose", "", "", lambda: defines("loose_op"))
    load(PluginLoader(registry, lambda: [nameless]))
    assert registry.get("loose_op").source == "plugin loose"


def test_import_failure_warns_and_the_others_load() -> None:
    registry = catalogue()
    specs = [failing(ModuleNotFoundError("No module named 'scipy'")), spec("ok", defines("fine"))]
    loaded, skipped = load(PluginLoader(registry, lambda: specs))
    assert loaded == ["ok"]
    assert [(w.plugin, w.origin) for w in skipped] == [("broken", "broken-dist 2.0")]
    assert skipped[0].cause == "importing it failed: ModuleNotFoundError: No module named 'scipy'"
    assert str(skipped[0]).startswith("rulegrad plugin 'broken' (broken-dist 2.0) skipped: ")
    assert "fine" in registry


def test_raise_in_register_rolls_back_what_it_registered() -> None:
    def register(registry: rg.OpRegistry) -> None:
        defines("half")(registry)
        raise RuntimeError("config file missing")

    registry = catalogue()
    loaded, skipped = load(PluginLoader(registry, lambda: [spec("midway", register)]))
    assert loaded == []
    assert skipped[0].cause == "register() raised RuntimeError: config file missing"
    assert registry.names() == ["sine"]


@pytest.mark.parametrize("replace", [False, True])
def test_a_builtin_is_never_replaced(replace: bool) -> None:
    def register(registry: rg.OpRegistry) -> None:
        defines("sidekick")(registry)
        rg.define_op("sine", forward=math.cos, partials=None, replace=replace, registry=registry)

    registry = catalogue()
    builtin = registry.get("sine")
    _, skipped = load(PluginLoader(registry, lambda: [spec("shadow", register)]))
    assert skipped[0].cause == (
        "its op 'sine' clashes with an op already in the catalogue (built-in)"
    )
    assert registry.get("sine") is builtin and builtin.source == BUILTIN
    assert "sidekick" not in registry


def test_the_second_of_two_clashing_plugins_is_skipped() -> None:
    registry = rg.OpRegistry()
    specs = [spec("first", defines("shared"), "first", "1.0"), spec("second", defines("shared"))]
    loaded, skipped = load(PluginLoader(registry, lambda: specs))
    assert loaded == ["first"]
    assert skipped[0].plugin == "second"
    assert "'shared' clashes" in skipped[0].cause and "(plugin first 1.0)" in skipped[0].cause
    assert registry.get("shared").source == "plugin first 1.0"


def test_a_user_op_is_not_replaced_either() -> None:
    registry = rg.OpRegistry()
    mine = rg.define_op("mine", forward=math.exp, partials=None, registry=registry)
    _, skipped = load(PluginLoader(registry, lambda: [spec("p", defines("mine"))]))
    assert "(user)" in skipped[0].cause
    assert registry.get("mine") is mine


def wrong_arity(registry: rg.OpRegistry) -> None:
    rg.define_op("scaled", forward=lambda x, y: x * y, partials=lambda out, x: (1.0,),
                 registry=registry)  # fmt: skip


def not_an_op(registry: rg.OpRegistry) -> None:
    registry.register(math.exp)  # type: ignore[arg-type]


def changed_after_making(registry: rg.OpRegistry) -> None:
    op = rg.define_op("changed", forward=math.exp, partials=None, registry=registry)
    op.forward = 3.0  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("register", "cause"),
    [
        (wrong_arity, "register() raised RuleError: scaled: partials must take (out, x, y)"),
        (not_an_op, "register() raised TypeError: register() takes an Op"),
        (changed_after_making, "register() raised AttributeError: an Op cannot be changed"),
        (42, "its entry point names an object of type int, not register(registry)"),
    ],
    ids=["wrong-arity", "not-an-op", "changed-after-making", "not-callable"],
)
def test_malformed_plugins_are_skipped(register: object, cause: str) -> None:
    registry = catalogue()
    specs = [spec("bad", register), spec("good", defines("good_op"))]
    loaded, skipped = load(PluginLoader(registry, lambda: specs))
    assert loaded == ["good"]
    assert len(skipped) == 1 and skipped[0].cause.startswith(cause)
    assert registry.names() == ["good_op", "sine"]


def test_a_failed_plugin_is_neither_retried_nor_warned_twice() -> None:
    attempts: list[int] = []

    def load_it() -> object:
        attempts.append(1)
        raise ImportError("nope")

    loader = PluginLoader(rg.OpRegistry(), lambda: [PluginSpec("p", "p", "1", load_it)])
    assert len(load(loader)[1]) == 1
    assert load(loader) == ([], [])
    assert attempts == [1]


def test_warnings_as_errors_still_leave_a_consistent_catalogue() -> None:
    registry = rg.OpRegistry()
    loader = PluginLoader(registry, lambda: [failing(ImportError("x")), spec("ok", defines("y"))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PluginWarning, match="'broken'"):
            loader.load()
    assert "y" in registry
    assert load(loader) == ([], [])


def test_a_failing_discovery_warns() -> None:
    def discover() -> list[PluginSpec]:
        raise ValueError("bad entry_points.txt")

    loaded, skipped = load(PluginLoader(rg.OpRegistry(), discover))
    assert loaded == []
    assert skipped[0].cause == "ValueError: bad entry_points.txt"


class Counting:
    """A catalogue with the loader's miss hook, counting discoveries."""

    def __init__(self, *specs: PluginSpec) -> None:
        self.discoveries = 0
        self.registry = catalogue()
        self.loader = PluginLoader(self.registry, self.discover)
        self.registry.set_miss_hook(self.loader.on_miss)
        self.specs = list(specs)

    def discover(self) -> list[PluginSpec]:
        self.discoveries += 1
        return self.specs


@pytest.fixture(autouse=True)
def autoload_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISABLE_AUTOLOAD, raising=False)


def test_the_first_miss_loads_and_later_misses_do_not() -> None:
    counting = Counting(spec("p", defines("lazy")))
    assert counting.registry.names() == ["sine"]  # iterating and listing load nothing
    assert counting.discoveries == 0
    assert counting.registry.get("lazy").source == "plugin p-dist 1.0"
    with pytest.raises(rg.UnknownOpError):
        counting.registry.get("absent")
    assert "absent" not in counting.registry
    assert counting.discoveries == 1
    assert counting.loader.load() == []  # explicit: looks again, finds nothing new
    assert counting.discoveries == 2


def test_in_loads_on_a_miss_too() -> None:
    counting = Counting(spec("p", defines("lazy")))
    assert "lazy" in counting.registry
    assert counting.discoveries == 1


def test_an_explicit_load_counts_as_the_autoload() -> None:
    counting = Counting(spec("p", defines("lazy")))
    assert counting.loader.load() == ["p"]
    assert "absent" not in counting.registry
    assert counting.discoveries == 1


@pytest.mark.parametrize("value", ["1", "0", "yes"])
def test_the_disable_variable_turns_autoload_off(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    counting = Counting(spec("p", defines("lazy")))
    monkeypatch.setenv(DISABLE_AUTOLOAD, value)
    assert "lazy" not in counting.registry
    with pytest.raises(rg.UnknownOpError):
        counting.registry.get("lazy")
    assert counting.discoveries == 0
    assert counting.loader.load() == ["p"]  # loading explicitly still works
    monkeypatch.delenv(DISABLE_AUTOLOAD)
    assert counting.registry.get("lazy").name == "lazy"


def test_an_empty_disable_variable_does_not_disable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_AUTOLOAD, "")
    assert "lazy" in Counting(spec("p", defines("lazy"))).registry


def test_a_plugin_may_look_things_up_while_loading() -> None:
    nested: list[object] = []
    counting = Counting()

    def register(registry: rg.OpRegistry) -> None:
        nested.append("elsewhere" in counting.registry)  # a miss inside the load
        nested.append(counting.loader.load())
        defines("inner")(registry)

    counting.specs.append(spec("curious", register))
    assert counting.registry.get("inner").name == "inner"
    assert nested == [False, []]


def test_threads_missing_at_once_load_once() -> None:
    calls: list[str] = []
    threads_count = 8
    all_waiting = threading.Barrier(threads_count)
    release = threading.Event()

    def register(registry: rg.OpRegistry) -> None:
        calls.append(threading.current_thread().name)
        release.wait(0.05)  # widens the window in which the other threads miss too
        defines("contended")(registry)

    counting = Counting(spec("slow", register))
    found: list[rg.Op] = []
    errors: list[BaseException] = []

    def miss() -> None:
        all_waiting.wait()
        try:
            found.append(counting.registry.get("contended"))
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=miss) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(calls) == 1 and counting.discoveries == 1
    assert len(found) == threads_count and len({id(op) for op in found}) == 1


def test_register_all_is_all_or_nothing() -> None:
    registry = catalogue()
    fresh = rg.Op("fresh", forward=math.exp, partials=None)
    taken = rg.Op("sine", forward=math.exp, partials=None)
    with pytest.raises(rg.DuplicateOpError, match="'sine'"):
        registry.register_all([fresh, taken])
    twice = rg.Op("fresh", forward=math.exp, partials=None)
    with pytest.raises(rg.DuplicateOpError, match="'fresh'"):
        registry.register_all([fresh, twice])
    with pytest.raises(TypeError, match="takes Ops"):
        registry.register_all([fresh, "sine"])  # type: ignore[list-item]
    assert registry.names() == ["sine"]
    registry.register_all([fresh])
    assert registry.get("fresh") is fresh
