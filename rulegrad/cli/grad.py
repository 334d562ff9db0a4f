"""`rulegrad grad EXPR --at NAME=VALUE ...`: the value and partial derivatives of an expression.

The expression is checked and compiled by `rulegrad.cli._expr` (never run as Python); ops are
looked up in the catalogue, so plugin ops work too. Partials are printed in the order the
variables are given with `--at`. Every variable of the expression needs a value, and every
`--at` must name a variable the expression uses: a spare one is more likely a typo than a
wish to see a zero. `pi` and `e` are constants unless given with `--at`.

>>> from rulegrad.cli import main
>>> main(["grad", "x*sin(y) + y**2", "--at", "x=1", "y=0"])
f = 0.0
df/dx = 0.0
df/dy = 1.0
0
"""

from __future__ import annotations

import argparse
import json
import keyword
import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import cast

import rulegrad as rg
from rulegrad.cli._common import CliError, Commands, Output
from rulegrad.cli._expr import CONSTANTS, ExprError, Expression, parse
from rulegrad.transforms.matrices import hessian_rows

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Print the value of EXPR at a point and its partial derivative with respect to each
variable, in the order the variables are given with --at. Every variable needs a value,
and every --at must name a variable that EXPR uses.
"""
_EPILOG = """\
EXPR may use numbers, variables, + - * / **, unary minus, parentheses, the constants
pi and e, and calls of catalogue ops (see `rulegrad ops`), e.g. "x*sin(y) + y**2".
It is never evaluated as Python. An EXPR that starts with '-' needs a leading space
(" -x**2") so it is not read as an option. VALUE is a number or a constant expression
such as pi/4.
"""


def add_parser(commands: Commands) -> None:
    """Register `grad` and its options with the `rulegrad` command line."""
    parser = commands.add_parser(
        "grad",
        help="value and partial derivatives of an expression at a point",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Optional for argparse so that a missing EXPR gets a message of our own (see run).
    parser.add_argument("expression", metavar="EXPR", nargs="?", help="the expression")
    parser.add_argument(
        "--at", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
        help="the point: one NAME=VALUE per variable (--at x=1 y=2)",
    )  # fmt: skip
    parser.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                        help="differentiation mode (default: reverse)")  # fmt: skip
    parser.add_argument(
        "--hessian", action="store_true",
        help="also print the Hessian (forward over reverse mode, or forward over forward "
        "with --mode forward)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, out: Output) -> int:
    """Check everything, then differentiate and print; any mistake is a `CliError`."""
    items: list[str] = args.at
    if args.expression is None:
        stray = [item for item in items if "=" not in item]
        hint = f" (--at took {stray[-1]!r}; put EXPR before --at)" if stray else ""
        raise CliError(f"the expression EXPR is missing{hint}")
    expression = parse(args.expression)
    point = _point(items)
    _check_variables(expression, point)
    mode = cast(rg.ModeLike, args.mode)
    f = expression.function(list(point))
    value, gradient, hessian = _differentiate(f, list(point.values()), mode, args.hessian)
    names = list(point)
    _check_finite(value, gradient, hessian, names)
    if args.json:
        print(json.dumps(_as_json(expression, point, mode, value, gradient, hessian)), file=out)
    else:
        print(_as_text(value, gradient, hessian, names), file=out)
    return 0


def _point(items: Sequence[str]) -> dict[str, float]:
    """`--at` items as {name: value}, in the order given."""
    point: dict[str, float] = {}
    for item in items:
        name, equals, text = item.partition("=")
        # Python's parser reads identifiers in NFKC form; match names the same way.
        name = unicodedata.normalize("NFKC", name.strip())
        if not equals:
            raise CliError(f"--at {item!r}: expected NAME=VALUE, such as x=1.5")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise CliError(f"--at {item!r}: {name!r} is not a valid variable name")
        if name in rg.registry:
            raise CliError(f"--at {item!r}: {name!r} is an op in the catalogue; give the "
                           "variable another name")  # fmt: skip
        if name in point:
            raise CliError(f"--at gives {name!r} twice")
        point[name] = _number(item, text)
    return point


def _number(item: str, text: str) -> float:
    if not text.strip():
        raise CliError(f"--at {item!r}: the value is missing")
    try:
        number = float(text)
    except ValueError:
        number = _constant(item, text)
    if not math.isfinite(number):
        raise CliError(f"--at {item!r}: the value must be a finite number")
    return number


def _constant(item: str, text: str) -> float:
    """A value written as an expression without variables, such as `pi/4` or `-sqrt(2)`."""
    try:
        expression = parse(text)
        if expression.names.keys() - CONSTANTS.keys():
            raise CliError(f"{text.strip()!r} is not a number")
        return rg.to_float(expression.function([])())
    except ExprError as error:
        raise CliError(f"--at {item!r}: the value is not a number ({error})") from None
    except CliError as error:
        raise CliError(f"--at {item!r}: {error}") from None
    except (rg.RulegradError, ArithmeticError, ValueError) as error:
        raise CliError(f"--at {item!r}: {_one_line(str(error))}") from None


def _check_variables(expression: Expression, point: dict[str, float]) -> None:
    missing = [n for n in expression.names if n not in point and n not in CONSTANTS]
    if missing and not point:
        wanted = " ".join(f"{n}=VALUE" for n in missing)
        raise CliError(f"give a value to each variable with --at {wanted}")
    if missing:
        name = missing[0]
        raise CliError(f"no value for {name!r} ({expression.names[name]}); add --at {name}=VALUE")
    unused = [n for n in point if n not in expression.names]
    if unused:
        raise CliError(f"--at gives {unused[0]!r}, which the expression does not use")


def _differentiate(
    f: Callable[..., float], values: list[float], mode: rg.ModeLike, with_hessian: bool
) -> tuple[float, tuple[float, ...], list[list[float]] | None]:
    argnums = tuple(range(len(values)))
    gradient: tuple[float, ...] = ()
    try:
        if not values:
            value = rg.to_float(f())
        else:
            value, gradient = rg.value_and_grad(f, argnums, mode=mode)(*values)
        if not with_hessian:
            return value, gradient, None
        # Forward over `mode`: forward over reverse, or forward over forward.
        return value, gradient, hessian_rows(f, values, mode)
    except (rg.RulegradError, ArithmeticError, ValueError) as error:
        raise CliError(_one_line(str(error))) from None


def _check_finite(
    value: float,
    gradient: Sequence[float],
    hessian: list[list[float]] | None,
    names: Sequence[str],
) -> None:
    """Floats overflow to inf silently (`1e300 * 1e300`); say so instead of printing it."""
    results = [("f", value)] + [(f"df/d{n}", g) for n, g in zip(names, gradient, strict=True)]
    for i, row in enumerate(hessian or []):
        results += [(_second(names[i], names[j]), h) for j, h in enumerate(row)]
    for label, number in results:
        if not math.isfinite(number):
            raise CliError(f"{label} is {number!r}: a float overflowed on the way")


def _second(first: str, second: str) -> str:
    return f"d2f/d{first}2" if first == second else f"d2f/d{first}d{second}"


def _as_text(
    value: float,
    gradient: Sequence[float],
    hessian: list[list[float]] | None,
    names: Sequence[str],
) -> str:
    lines = [f"f = {value!r}"]
    lines += [f"df/d{n} = {g!r}" for n, g in zip(names, gradient, strict=True)]
    if hessian is not None and names:
        cells = [["", *names]]
        cells += [[n, *map(repr, row)] for n, row in zip(names, hessian, strict=True)]
        widths = [max(len(row[c]) for row in cells) for c in range(len(names) + 1)]
        lines.append("hessian:")
        for row in cells:
            padded = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            lines.append(("  " + "  ".join(padded)).rstrip())
    return "\n".join(lines)


def _as_json(
    expression: Expression,
    point: dict[str, float],
    mode: str,
    value: float,
    gradient: Sequence[float],
    hessian: list[list[float]] | None,
) -> dict[str, object]:
    result: dict[str, object] = {
        "expression": expression.text,
        "mode": mode,
        "at": point,
        "value": value,
        "gradient": dict(zip(point, gradient, strict=True)),
    }
    if hessian is not None:
        result["hessian"] = hessian
    return result


def _one_line(message: str) -> str:
    return " ".join(message.split())
