"""An op's arity and input names, read from its forward function or, failing that, its rules.

Builtins such as `math.hypot` have no signature Python can read; the partials rule
`(out, x, y)` still says how many inputs there are and what they are called.
"""

from __future__ import annotations

import inspect
import math

import pytest

import rulegrad as rg


@pytest.fixture
def ops() -> rg.OpRegistry:
    return rg.OpRegistry()


def test_builtin_forward_takes_its_arity_from_the_partials_rule(ops: rg.OpRegistry) -> None:
    with pytest.raises(ValueError, match="signature"):
        inspect.signature(math.hypot)  # the premise: nothing to read from forward
    hyp = rg.define_op(
        "hyp",
        forward=math.hypot,
        partials=lambda out, x, y: (x / out, y / out),
        samples=[(3.0, 4.0), (-1.0, 2.0)],
        registry=ops,
    )
    assert (hyp.arity, hyp.params) == (2, ("x", "y"))
    assert hyp(3.0, 4.0) == 5.0
    assert rg.grad(hyp, argnums=(0, 1))(3.0, 4.0) == (0.6, 0.8)
    assert rg.grad(hyp, argnums=(0, 1), mode="forward")(3.0, 4.0) == (0.6, 0.8)
    rg.check_op(hyp, registry=ops)
    with pytest.raises(rg.ArityError, match="hyp takes 2 arguments, got 1"):
        hyp(1.0)


def test_explicit_arity_names_the_inputs(ops: rg.OpRegistry) -> None:
    hyp = rg.define_op("hyp", forward=math.hypot, partials=None, arity=2, registry=ops)
    assert (hyp.arity, hyp.params) == (2, ("x0", "x1"))
    assert hyp(5.0, 12.0) == 13.0
    # Given with a readable partials rule, arity= wins when the two agree ...
    agreed = rg.define_op(
        "agreed",
        forward=math.hypot,
        partials=lambda out, a, b: (a / out, b / out),
        arity=2,
        registry=ops,
    )
    assert agreed.params == ("a", "b")
    # ... and the rule is rejected when they do not.
    with pytest.raises(rg.RuleError, match=r"partials must take \(out, x0, x1, x2\)"):
        rg.define_op(
            "three",
            forward=math.hypot,
            partials=lambda out, x, y: (x, y),
            arity=3,
            registry=ops,
        )


@pytest.mark.parametrize(
    "partials",
    [None, lambda out, *xs: xs, math.hypot],
    ids=["no rule", "variadic rule", "unreadable rule"],
)
def test_nothing_to_read_asks_for_arity(ops: rg.OpRegistry, partials: object) -> None:
    with pytest.raises(rg.RuleError, match="cannot read the signature of forward or of partials"):
        rg.define_op("hyp", forward=math.hypot, partials=partials, registry=ops)  # type: ignore[arg-type]


def test_a_readable_forward_still_decides(ops: rg.OpRegistry) -> None:
    # forward's own signature is used whenever it can be read, as before.
    op = rg.define_op(
        "f", forward=lambda u, v: u * v, partials=lambda out, u, v: (v, u), registry=ops
    )
    assert (op.arity, op.params) == (2, ("u", "v"))
    with pytest.raises(rg.RuleError, match="partials must take"):
        rg.define_op("g", forward=lambda u: u, partials=lambda out, u, v: (v, u), registry=ops)
