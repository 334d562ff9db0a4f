"""The catalogue cannot be corrupted: built-ins are never replaced, replacements are seen.

Every path that writes to a registry is tried against every built-in op: `define_op` with
and without `replace=True`, `register` with and without it (a new op, or the built-in itself
again), and `register_all`. Each must raise `BuiltinOpError` naming the op and leave the
catalogue exactly as it was. A user op replaced with `replace=True` is what every lookup by
name then finds: `registry.get`, `in`, `check_op`, and each command of the command line.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Callable, Iterator

import pytest

import rulegrad as rg
from rulegrad.cli import main
from rulegrad.kernel import BUILTIN, OPERATORS

BUILTINS = sorted(op.name for op in rg.registry if op.source == BUILTIN)


def _impostor(name: str) -> rg.Op:
    """An op that would give wrong numbers if it replaced the built-in `name`."""
    builtin = rg.registry.get(name)
    arity = builtin.arity
    if arity is None:
        return rg.Op(name, forward=lambda *xs: 42.0, partials=None)
    return rg.Op(name, forward=lambda *xs: 42.0, partials=None, arity=arity)


Path = Callable[[str], object]


def _define(name: str) -> object:
    return rg.define_op(name, forward=lambda *xs: 42.0, partials=None,
                        arity=rg.registry.get(name).arity)  # fmt: skip


def _define_replacing(name: str) -> object:
    return rg.define_op(name, forward=lambda *xs: 42.0, partials=None,
                        arity=rg.registry.get(name).arity, replace=True)  # fmt: skip


def _register(name: str) -> object:
    return rg.registry.register(_impostor(name))


def _register_replacing(name: str) -> object:
    return rg.registry.register(_impostor(name), replace=True)


def _register_itself(name: str) -> object:
    return rg.registry.register(rg.registry.get(name), replace=True)


def _register_all(name: str) -> object:
    fresh = rg.Op("protection_fresh_op", forward=lambda x: x, partials=None)
    rg.registry.register_all([fresh, _impostor(name)])  # all or nothing: not even `fresh`
    return None


PATHS: dict[str, Path] = {
    "define_op": _define,
    "define_op-replace": _define_replacing,
    "register": _register,
    "register-replace": _register_replacing,
    "register-itself": _register_itself,
    "register_all": _register_all,
}


def _snapshot() -> dict[str, tuple[object, ...]]:
    """Everything about the catalogue that a replacement could change."""
    return {
        op.name: (op, op.forward, op.partials, op.jvp, op.vjp, op.source, op.arity)
        for op in rg.registry
    }


@pytest.mark.parametrize("path", list(PATHS), ids=list(PATHS))
@pytest.mark.parametrize("name", BUILTINS)
def test_no_path_replaces_a_builtin(name: str, path: str) -> None:
    before = _snapshot()
    with pytest.raises(rg.BuiltinOpError) as caught:
        PATHS[path](name)
    error = caught.value
    assert error.op_name == name
    assert f"{name!r} is a built-in op" in str(error)
    assert isinstance(error, rg.DuplicateOpError)  # `except DuplicateOpError` still works
    assert isinstance(error, ValueError) and isinstance(error, rg.RulegradError)
    assert _snapshot() == before  # nothing changed, not even another op of the same call
    if name not in ("sum", "dot"):  # rg.sum and rg.dot take sequences: wrappers of the ops
        assert getattr(rg, name) is rg.registry.get(name)
    # The operator behind `x + y` (where there is one) is the op's own call.
    op = rg.registry.get(name)
    assert getattr(OPERATORS, name, op.specialize()) is op.specialize()


@pytest.mark.parametrize("name", ["mul", "exp", "pow", "add", "cos"])
def test_operators_and_functions_still_agree_after_every_attempt(name: str) -> None:
    for path in PATHS.values():
        with pytest.raises(rg.BuiltinOpError):
            path(name)
    expected = {"mul": 1.0, "exp": math.exp(0.5), "pow": 0.25, "add": 2.5, "cos": math.cos(0.5)}
    x, y = rg.Value(0.5), rg.Value(2.0)
    dx = rg.Dual(0.5, 1.0)
    via_operators = {
        "mul": ((x * y).data, (dx * 2.0).primal),
        "exp": (x.exp().data, dx.exp().primal),
        "pow": ((x**y).data, (dx**2.0).primal),
        "add": ((x + y).data, (dx + 2.0).primal),
        "cos": (x.cos().data, dx.cos().primal),
    }[name]
    op = rg.registry.get(name)
    via_function = op(0.5) if op.arity == 1 else op(0.5, 2.0)
    assert via_operators == (expected[name], expected[name])
    assert via_function == expected[name]


@pytest.mark.parametrize(
    "field",
    ["name", "forward", "partials", "jvp", "vjp", "source", "arity", "code", "domain", "samples",
     "_call", "_pull", "_programs"],
)  # fmt: skip
@pytest.mark.parametrize("op", [rg.sin, rg.mul, rg.registry.get("sum")], ids=["sin", "mul", "sum"])
def test_an_op_cannot_be_changed_once_created(field: str, op: rg.Op) -> None:
    before = getattr(op, field)
    with pytest.raises(AttributeError, match="an Op cannot be changed once created"):
        setattr(op, field, "user" if field == "source" else (lambda *args: 42.0))
    with pytest.raises(AttributeError, match="an Op cannot be changed once created"):
        delattr(op, field)
    assert getattr(op, field) is before
    user = rg.Op("user_op", forward=abs, arity=1, partials=None)
    with pytest.raises(AttributeError, match="an Op cannot be changed once created"):
        setattr(user, field, None)
    assert rg.sin(0.0) == 0.0 and rg.mul(2.0, 3.0) == 6.0


def test_a_private_registry_protects_its_builtins_too() -> None:
    registry = rg.OpRegistry()
    sine = registry.register(rg.UnaryOp("sine", forward=math.sin, partials=None, source=BUILTIN))
    with pytest.raises(rg.BuiltinOpError, match="'sine'"):
        rg.define_op("sine", forward=math.cos, partials=None, replace=True, registry=registry)
    assert registry.get("sine") is sine


def test_the_error_survives_pickling() -> None:
    error = rg.BuiltinOpError("cos")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is rg.BuiltinOpError
    assert (copy.op_name, str(copy)) == ("cos", str(error))
    duplicate = pickle.loads(pickle.dumps(rg.DuplicateOpError("mine")))
    assert duplicate.op_name == "mine" and "pass replace=True" in str(duplicate)


def test_exported() -> None:
    assert "BuiltinOpError" in rg.__all__
    assert issubclass(rg.BuiltinOpError, rg.DuplicateOpError)


# --- replacing a user op --------------------------------------------------------------------

NAME = "protection_scale"


@pytest.fixture
def scale() -> Iterator[rg.Op]:
    """A user op in the real catalogue, removed again afterwards (there is no unregister)."""
    op = rg.define_op(NAME, forward=lambda x: 2.0 * x, partials=lambda out, x: (2.0,),
                      samples=[(0.5,)], domain="doubles")  # fmt: skip
    yield op
    rg.registry._ops.pop(NAME, None)


def _triple() -> rg.Op:
    return rg.Op(NAME, forward=lambda x: 3.0 * x, partials=lambda out, x: (3.0,),
                 samples=[(0.5,)], domain="triples")  # fmt: skip


REPLACERS: dict[str, Callable[[], rg.Op]] = {
    "define_op": lambda: rg.define_op(
        NAME, forward=lambda x: 3.0 * x, partials=lambda out, x: (3.0,), samples=[(0.5,)],
        domain="triples", replace=True,
    ),
    "register": lambda: rg.registry.register(_triple(), replace=True),
}  # fmt: skip


@pytest.mark.parametrize("how", list(REPLACERS))
def test_a_replaced_user_op_is_what_every_lookup_finds(
    scale: rg.Op, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(rg.DuplicateOpError, match="pass replace=True"):
        rg.registry.register(_triple())
    assert rg.registry.get(NAME) is scale
    new = REPLACERS[how]()
    assert new is not scale
    assert rg.registry.get(NAME) is new and NAME in rg.registry
    assert [op for op in rg.registry if op.name == NAME] == [new]
    assert rg.registry.get(NAME)(2.0) == 6.0
    assert rg.grad(lambda x: rg.registry.get(NAME)(x))(2.0) == 3.0
    report = rg.check_op(NAME)  # by name: the new op's samples and rules
    assert report.points == ((0.5,),)
    new_partials = rg.Op(NAME, forward=lambda x: 3.0 * x, partials=lambda out, x: (2.0,))
    rg.registry.register(new_partials, replace=True)  # now the rule disagrees with forward
    with pytest.raises(rg.RuleCheckError):
        rg.check_op(NAME)
    rg.registry.register(new, replace=True)

    assert main(["grad", f"{NAME}(x) + x", "--at", "x=2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["value"], result["gradient"]) == (8.0, {"x": 4.0})
    assert main(["grad", f"x + {NAME}(x)", "--at", "x=2", "--mode", "forward"]) == 0
    assert capsys.readouterr().out == "f = 8.0\ndf/dx = 4.0\n"  # the order of terms is moot

    assert main(["ops", "--json"]) == 0
    records = {record["name"]: record for record in json.loads(capsys.readouterr().out)}
    assert records[NAME]["domain"] == "triples" and records[NAME]["source"] == "user"
    assert main(["check", NAME]) == 0
    assert f"{NAME}  user" in capsys.readouterr().out
