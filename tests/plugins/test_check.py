"""`rg.check_op`: every built-in passes, and broken rules are caught and named.

The first test is parametrized over the catalogue at collection time, so a new built-in
op is checked the moment it is registered. Only built-ins: ops that doctests or other
tests register would make the collected set depend on import order.
"""

from __future__ import annotations

import math
from typing import Final

import pytest

import rulegrad as rg
from rulegrad.kernel import BUILTIN

BUILTINS: Final = [op.name for op in rg.registry if op.source == BUILTIN]
PAIRS: Final = ("forward/forward", "forward/reverse", "reverse/forward", "reverse/reverse")


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_op_passes(name: str) -> None:
    op = rg.registry.get(name)
    report = rg.check_op(name)
    assert op.samples, f"{name} declares no sample points"
    assert report.op_name == name and report.source == BUILTIN
    assert report.points == op.samples
    assert report.skipped == ()
    assert report.modes == ("forward", "reverse")
    assert report.mode_pairs == PAIRS
    # value x2 nodes x2 modes, gradient vs differences x2 and across modes, Hessians x4 x2
    n = len(op.samples[0])
    assert report.comparisons == len(op.samples) * (4 + 3 * n + 7 * n * n)


def test_the_builtin_table_is_the_whole_catalogue() -> None:
    assert {"add", "pow", "maximum", "atan2", "sum", "dot", "erf"} <= set(BUILTINS)
    assert len(BUILTINS) >= 36


def _sin(x: float) -> float:
    return math.sin(x)


def _op(name: str, **rules: object) -> rg.Op:
    """sin under another name, with the given (possibly broken) rules."""
    rules.setdefault("partials", lambda out, x: (rg.cos(x),))
    return rg.Op(name, forward=_sin, **rules)  # type: ignore[arg-type]


def test_a_correct_user_op_passes_at_default_points() -> None:
    report = rg.check_op(_op("good_sin"))
    assert report.points == ((0.3,), (0.7,), (1.3,), (-0.6,))
    assert report.source == "user"
    assert str(report).startswith("good_sin (user): 4 points, forward and reverse mode")


def test_a_rule_wrong_at_first_order() -> None:
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(_op("first_wrong", partials=lambda out, x: (rg.sin(x),)))
    error = caught.value
    assert isinstance(error, rg.RulegradError)
    assert error.op_name == "first_wrong"
    assert error.mode == "forward"
    assert error.point == (0.3,)
    assert error.expected == pytest.approx(math.cos(0.3), rel=1e-9)
    assert error.got == pytest.approx(math.sin(0.3), rel=1e-12)
    message = str(error)
    for part in ("'first_wrong'", "forward mode", "x=0.3", repr(error.expected), repr(error.got)):
        assert part in message
    assert "finite differences" in message


def test_a_rule_right_at_first_order_and_wrong_at_second() -> None:
    # The partial is a plain float, a constant to every outer transform: d2/dx2 comes out 0.
    constant = _op("second_wrong", partials=lambda out, x: (math.cos(rg.to_float(x)),))
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(constant)
    error = caught.value
    assert (error.mode, error.point, error.got) == ("forward/forward", (0.3,), 0.0)
    assert error.expected == pytest.approx(-math.sin(0.3), rel=1e-8)
    assert "forward/forward mode (forward over forward)" in str(error)
    assert "d/dx (dsecond_wrong/dx) is 0.0" in str(error)


def test_a_rule_that_raises_at_second_order() -> None:
    # math.cos on an outer transform's Dual raises TypeError instead of dropping it.
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(_op("math_cos", partials=lambda out, x: (math.cos(x),)))
    error = caught.value
    assert (error.mode, error.point, error.got) == ("forward/forward", (0.3,), None)
    assert isinstance(error.__cause__, TypeError)
    assert "raised TypeError" in str(error)
    assert error.expected == pytest.approx(-math.sin(0.3), rel=1e-8)


def test_a_malformed_rule_is_a_mismatch_too() -> None:
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(_op("two_partials", partials=lambda out, x: (rg.cos(x), 1.0)))
    assert caught.value.mode == "forward" and caught.value.got is None
    assert isinstance(caught.value.__cause__, rg.RuleError)


def _jvp_twice(out: float, primals: tuple[float, ...], tangents: tuple[float, ...]) -> float:
    return 2.0 * rg.cos(primals[0]) * tangents[0]


def _vjp_twice(out: float, primals: tuple[float, ...], cotangent: float) -> tuple[float]:
    return (2.0 * rg.cos(primals[0]) * cotangent,)


def _jvp_constant(out: float, primals: tuple[float, ...], tangents: tuple[float, ...]) -> float:
    return math.cos(rg.to_float(primals[0])) * tangents[0]


def _vjp_constant(out: float, primals: tuple[float, ...], cotangent: float) -> tuple[float]:
    return (math.cos(rg.to_float(primals[0])) * cotangent,)


def _jvp_slightly_off(out: float, primals: tuple[float, ...], tangents: tuple[float, ...]) -> float:
    return (1.0 + 1e-7) * rg.cos(primals[0]) * tangents[0]  # invisible to finite differences


@pytest.mark.parametrize(
    ("rules", "mode", "reference"),
    [
        pytest.param({"jvp": _jvp_twice}, "forward", "finite differences", id="jvp"),
        pytest.param({"vjp": _vjp_twice}, "reverse", "finite differences", id="vjp"),
        pytest.param({"jvp": _jvp_slightly_off}, "forward", "reverse mode", id="jvp-vs-vjp"),
        pytest.param({"jvp": _jvp_constant}, "forward/forward", "forward-mode", id="jvp-2nd"),
        pytest.param({"vjp": _vjp_constant}, "forward/reverse", "reverse-mode", id="vjp-2nd"),
    ],
)
def test_a_hand_written_rule_that_disagrees(
    rules: dict[str, object], mode: str, reference: str
) -> None:
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(_op("custom", **rules))
    assert caught.value.mode == mode
    assert caught.value.point == (0.3,)
    assert reference in str(caught.value)


def test_the_mode_pair_is_named_when_only_reverse_over_forward_is_wrong() -> None:
    # `outer_cos` is right in forward mode and wrong in reverse mode. `inner_sin`'s jvp
    # calls it, so only an outer reverse transform over an inner forward one goes wrong.
    outer_cos = rg.Op(
        "outer_cos",
        forward=math.cos,
        partials=None,
        jvp=lambda out, p, t: -rg.sin(p[0]) * t[0],
        vjp=lambda out, p, ct: (rg.sin(p[0]) * ct,),  # sign error
    )
    inner_sin = rg.Op(
        "inner_sin",
        forward=math.sin,
        partials=None,
        jvp=lambda out, p, t: outer_cos(p[0]) * t[0],
        vjp=lambda out, p, ct: (rg.cos(p[0]) * ct,),
    )
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(inner_sin)
    assert caught.value.mode == "reverse/forward"
    assert "reverse over forward" in str(caught.value)


def test_a_wrong_mixed_partial_is_named() -> None:
    def forward(x: float, y: float) -> float:
        return x * math.sin(y)

    op = rg.Op(
        "xsiny",
        forward=forward,
        partials=lambda out, x, y: (math.sin(rg.to_float(y)), x * rg.cos(y)),
    )
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(op)
    error = caught.value
    assert (error.mode, error.point, error.got) == ("forward/forward", (0.3, 0.7), 0.0)
    assert error.expected == pytest.approx(math.cos(0.7), rel=1e-8)
    assert "x=0.3, y=0.7: d/dy (dxsiny/dx) is 0.0" in str(error)


def test_a_rule_wrong_at_one_point_is_found_there() -> None:
    op = _op("wrong_below_zero", partials=lambda out, x: (rg.cos(x) if x > 0 else 1.0,))
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_op(op)
    assert caught.value.point == (-0.6,)
    assert caught.value.mode == "forward"


def test_tolerances_can_be_loosened() -> None:
    op = _op("scaled", partials=lambda out, x: (1.00001 * rg.cos(x),))
    with pytest.raises(rg.RuleCheckError):
        rg.check_op(op)
    assert rg.check_op(op, rtol=1e-3).points


def test_default_points_outside_the_domain_are_skipped() -> None:
    op = rg.Op(
        "log_shifted",
        forward=lambda x: math.log(x - 1.0),
        partials=lambda out, x: (1.0 / (x - 1.0),),
    )
    report = rg.check_op(op)
    assert report.points == ((1.3,),)
    assert [point for point, _ in report.skipped] == [(0.3,), (0.7,), (-0.6,)]
    assert all("undefined" in reason for _, reason in report.skipped)
    assert "(3 skipped)" in str(report)


def test_a_default_point_where_the_derivative_is_undefined_is_skipped() -> None:
    op = _op(
        "kinked",
        partials=lambda out, x: (rg.Undefined("kink") if rg.to_float(x) == 0.7 else rg.cos(x),),
    )
    report = rg.check_op(op)
    assert report.points == ((0.3,), (1.3,), (-0.6,))
    assert report.skipped[0][0] == (0.7,) and "kink" in report.skipped[0][1]


def test_no_default_point_in_the_domain() -> None:
    op = rg.Op(
        "far_log",
        forward=lambda x: math.log(x - 5.0),
        partials=lambda out, x: (1.0 / (x - 5.0),),
        domain="x > 5",
    )
    with pytest.raises(rg.DomainError, match=r"no default point .* \(x > 5\); declare samples="):
        rg.check_op(op)


def test_a_chosen_point_outside_the_domain_is_an_error() -> None:
    with pytest.raises(rg.DomainError, match=r"sample point x=-1\.0: log\(x=-1\.0\) is undefined"):
        rg.check_op("log", points=[(2.0,), (-1.0,)])
    declared = rg.Op(
        "declared",
        forward=lambda x: math.log(x),
        partials=lambda out, x: (1.0 / x,),
        samples=[(0.5,), (0.0,)],
    )
    with pytest.raises(rg.DomainError, match=r"sample point x=0\.0"):
        rg.check_op(declared)


def test_a_chosen_point_at_the_edge_of_the_domain_is_an_error() -> None:
    # sqrt is defined at 0 but not just below it, where the differences reach.
    with pytest.raises(rg.DomainError, match=r"check_op\('sqrt'\) cannot check at .* x=0\.0"):
        rg.check_op("sqrt", points=[(0.0,)])


def test_points_given_by_the_caller() -> None:
    report = rg.check_op("atan2", points=[(1, 2), (0.5, -3.0)])
    assert report.points == ((1.0, 2.0), (0.5, -3.0))
    assert all(type(v) is float for point in report.points for v in point)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([(1.0,)], r"the point \(1\.0,\) has 1 values, but atan2 takes 2"),
        ([], "non-empty list"),
        ([("a", 1.0)], "is not a tuple of numbers"),
        ("12", "non-empty list"),
    ],
)
def test_bad_points_are_argument_errors(points: object, message: str) -> None:
    with pytest.raises(rg.ArgumentError, match=message):
        rg.check_op("atan2", points=points)  # type: ignore[arg-type]


def test_a_variadic_op_gets_four_arguments() -> None:
    op = rg.Op(
        "sum_squares",
        forward=lambda *xs: math.fsum(x * x for x in xs),
        partials=lambda out, *xs: tuple(2.0 * x for x in xs),
    )
    report = rg.check_op(op)
    assert {len(point) for point in report.points} == {4}
    assert len(report.points) == 4


def test_a_variadic_op_that_refuses_four_arguments_gets_fewer() -> None:
    def product3(*xs: float) -> float:
        if len(xs) != 3:
            raise rg.ArityError("product3", "3 arguments", len(xs))
        return xs[0] * xs[1] * xs[2]

    op = rg.Op("product3", forward=product3, partials=lambda out, x, y, z: (y * z, x * z, x * y))
    assert {len(point) for point in rg.check_op(op).points} == {3}


def test_only_the_modes_an_op_has_rules_for_are_checked() -> None:
    plain = rg.check_op(rg.Op("plain", forward=math.sin, partials=None))
    assert plain.modes == () and plain.mode_pairs == ()
    assert plain.comparisons == 8  # the value at a Value and at a Dual, at 4 points
    forward_only = rg.check_op(
        rg.Op(
            "forward_only",
            forward=math.sin,
            partials=None,
            jvp=lambda out, p, t: rg.cos(p[0]) * t[0],
        )
    )
    assert forward_only.modes == ("forward",)
    assert forward_only.mode_pairs == ("forward/forward",)


def test_an_op_of_no_arguments() -> None:
    report = rg.check_op(rg.Op("one", forward=lambda: 1.0, partials=lambda out: ()))
    assert report.points == ((),)
    assert report.modes == ()


def test_unknown_names_and_bad_arguments() -> None:
    with pytest.raises(rg.UnknownOpError, match="no op named 'nope'"):
        rg.check_op("nope")
    with pytest.raises(KeyError):
        rg.check_op("nope")
    with pytest.raises(rg.ArgumentError, match="an Op or an op's name, not int"):
        rg.check_op(3)  # type: ignore[arg-type]


def test_a_name_is_looked_up_in_the_given_registry() -> None:
    private = rg.OpRegistry()
    rg.define_op(
        "private_sin", forward=_sin, partials=lambda out, x: (rg.cos(x),), registry=private
    )
    assert rg.check_op("private_sin", registry=private).op_name == "private_sin"
    with pytest.raises(rg.UnknownOpError):
        rg.check_op("sin", registry=private)


def test_exports() -> None:
    import rulegrad.plugins

    assert rg.check_op is rulegrad.plugins.check_op
    assert rg.RuleCheckError is rulegrad.plugins.RuleCheckError
    assert rg.CheckReport is rulegrad.plugins.CheckReport
    assert {"check_op", "RuleCheckError", "CheckReport"} <= set(rg.__all__)
