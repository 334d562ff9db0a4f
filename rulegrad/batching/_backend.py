"""The array backend of `rg.vmap`: NumPy when it is installed, and what array code calls.

NumPy is optional (`rulegrad[array]`) and imported on the first batched call, never at
`import rulegrad`. Without it `vmap` loops; `USE_ARRAYS.enabled = False` makes it loop
even with NumPy installed (the tests run both paths that way).

Generated array code reaches functions through `ARRAY_MATH`, the array namespace: every
`math` function elementwise (NumPy's ufunc where one computes the same thing, else the
`math` function called point by point), and the few array functions that op templates use
(`where`, `fmin`, `fmax`, `nan`, `inf`; see `OpCode`).
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final, final

__all__ = [
    "ARRAY_MATH",
    "USE_ARRAYS",
    "ArrayMath",
    "Vectorized",
    "dask_array_module",
    "numpy_for_results",
    "numpy_module",
    "reduce_product",
    "total",
]


@final
class _Switch:
    """Whether `vmap` may use NumPy at all (True unless a test or a user turns it off)."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


USE_ARRAYS: Final = _Switch()
_LOCK: Final = threading.Lock()
_MODULES: dict[str, ModuleType | None] = {}


def _module(name: str) -> ModuleType | None:
    found = _MODULES.get(name, _LOCK)
    if found is _LOCK:
        try:
            found = importlib.import_module(name)
        except ImportError:
            found = None
        _MODULES[name] = found
    return found  # type: ignore[return-value]


def numpy_module() -> ModuleType | None:
    """NumPy, if it is installed and arrays are enabled; else None (vmap then loops)."""
    return _module("numpy") if USE_ARRAYS.enabled else None


def numpy_for_results() -> ModuleType:
    """NumPy, to give results as arrays where arrays came in (even with arrays disabled)."""
    found = _module("numpy")
    assert found is not None  # an array came in, so NumPy is there
    return found


def dask_array_module() -> ModuleType | None:
    """`dask.array` if it is installed (only asked once a Dask array has been seen)."""
    return _module("dask.array")


# math's name -> NumPy's ufunc computing the same function.
_UFUNCS: Final = {
    "acos": "arccos", "acosh": "arccosh", "asin": "arcsin", "asinh": "arcsinh",
    "atan": "arctan", "atan2": "arctan2", "atanh": "arctanh", "cbrt": "cbrt", "ceil": "ceil",
    "copysign": "copysign", "cos": "cos", "cosh": "cosh", "degrees": "degrees", "exp": "exp",
    "exp2": "exp2", "expm1": "expm1", "fabs": "fabs", "floor": "floor", "fmod": "fmod",
    "hypot": "hypot", "log": "log", "log10": "log10", "log1p": "log1p", "log2": "log2",
    "pow": "power", "radians": "radians", "sin": "sin", "sinh": "sinh", "sqrt": "sqrt",
    "tan": "tan", "tanh": "tanh", "trunc": "trunc",
    "where": "where", "fmin": "fmin", "fmax": "fmax",
}  # fmt: skip


@final
class Vectorized:
    """A function of floats applied point by point to arrays, NaN where it raises.

    For the ops with no array form (a plugin's forward, `math.erf`, a rule that branches):
    NaN marks the point, and `vmap` reruns that point alone to raise the function's error.
    With `outputs` > 1 the function returns that many numbers, and so does this.
    """

    __slots__ = ("_ufunc", "function", "outputs")

    def __init__(self, function: Callable[..., Any], outputs: int = 1) -> None:
        self.function = function
        self.outputs = outputs
        self._ufunc: Any = None

    def __reduce__(self) -> tuple[type[Vectorized], tuple[Callable[..., Any], int]]:
        return Vectorized, (self.function, self.outputs)  # pickled for Dask's workers

    def _safe(self, *xs: object) -> object:
        try:
            found = self.function(*xs)
            if self.outputs == 1:
                return float(found)
            return tuple(_number(v) for v in found)
        except Exception:  # any failure marks the point; its rerun raises the real error
            return math.nan if self.outputs == 1 else (math.nan,) * self.outputs

    def __call__(self, *xs: Any) -> Any:
        np = numpy_module() or _module("numpy")
        assert np is not None  # array code runs only where NumPy is
        if not any(np.ndim(x) for x in xs):  # every argument one number
            return self._safe(*(float(x) for x in xs))
        if self._ufunc is None:
            self._ufunc = np.frompyfunc(self._safe, len(xs), self.outputs)
        found = self._ufunc(*xs)
        if self.outputs == 1:
            return found.astype(np.float64)
        return tuple(part.astype(np.float64) for part in found)


def _number(x: object) -> float:
    return float(x) if isinstance(x, (int, float)) or hasattr(x, "__float__") else math.nan


@final
class ArrayMath:
    """The array namespace of generated code (`_m`): `math`'s functions over arrays."""

    def __init__(self) -> None:
        self._found: dict[str, object] = {}

    def __reduce__(self) -> str:
        return "ARRAY_MATH"  # one per process: pickled by name, for Dask's workers

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        found = self._found.get(name)
        if found is None:
            found = self._resolve(name)
            self._found[name] = found
        return found

    @staticmethod
    def _resolve(name: str) -> object:
        np = _module("numpy")
        if np is None:
            raise AttributeError(f"array code needs NumPy for {name}")
        if name in ("nan", "inf"):
            return getattr(math, name)
        ufunc = _UFUNCS.get(name)
        if ufunc is not None:
            return getattr(np, ufunc)
        function = getattr(math, name, None)
        if not callable(function):
            raise AttributeError(f"no array function {name!r}")
        return Vectorized(function)


ARRAY_MATH: Final = ArrayMath()


def total(x: Any, n: int) -> Any:
    """The sum over a chunk of `n` points of a per-point quantity (one number: the same at
    every point)."""
    return x.sum() if getattr(x, "ndim", 0) else x * n


def reduce_product(partial: Any, cotangent: Any, n: int) -> Any:
    """The sum over a chunk of `n` points of partial * cotangent, as one dot product."""
    if getattr(partial, "ndim", 0):
        return (
            partial.dot(cotangent) if getattr(cotangent, "ndim", 0) else partial.sum() * cotangent
        )
    return partial * cotangent.sum() if getattr(cotangent, "ndim", 0) else partial * cotangent * n
