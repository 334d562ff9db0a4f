"""A per-point function as the batched code sees it: its leaves in, its result's leaves out.

A `Family` is one vmapped function at one per-point structure (`Plan.key`): the flat
per-point function, its trace and array kernels (made once, on first use), the structure
of its result, and the families of its derivatives (the gradient of output `o` with
respect to the broadcast leaves, per point), which nested transforms of a batched sum use.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import final

from rulegrad.batching._codegen import Kernels
from rulegrad.batching._plan import Plan
from rulegrad.batching._run import Flat
from rulegrad.batching._trace import trace
from rulegrad.kernel import RulegradError
from rulegrad.kernel.errors import BatchingWarning, TraceSizeError, TracingError
from rulegrad.transforms._tracing import Args, flat_output
from rulegrad.transforms.gradients import Mode, flat_gradient
from rulegrad.transforms.tree import TreeDef

__all__ = ["BatchingWarning", "Family"]


_UNTRACEABLE = object()
# Every family alive in this process, by token: a family sent to a Dask worker in the same
# process is the family itself, and in another process is made there once.
_FAMILIES: weakref.WeakValueDictionary[str, Family] = weakref.WeakValueDictionary()


def _family_from(
    token: str,
    name: str,
    flat: Flat,
    n_inputs: int,
    mapped: Sequence[bool],
    origin: str,
    holder: _Structure | None,
) -> Family:
    found = _FAMILIES.get(token)
    if found is None:
        found = Family(name, flat, n_inputs, mapped, origin, holder, token)
    return found


@final
class Family:
    """One per-point function at one structure: flat function, kernels, derivatives."""

    def __init__(
        self,
        name: str,
        flat: Flat,
        n_inputs: int,
        mapped: Sequence[bool],
        origin: str,
        holder: _Structure | None = None,
        token: str | None = None,
    ) -> None:
        self.name = name
        self.flat = flat
        self.n_inputs = n_inputs
        self.mapped = tuple(mapped)
        self.origin = origin
        self.holder = holder
        self.token = token or uuid.uuid4().hex
        self._kernels: Kernels | object | None = None
        self._lock = threading.Lock()
        self._derivatives: dict[int, Family] = {}
        _FAMILIES[self.token] = self

    def __reduce__(self) -> tuple[Callable[..., Family], tuple[object, ...]]:
        # To Dask's workers: the per-point function travels, and each process traces it
        # once (the family with the same token is reused there, or made).
        args = (self.name, self.flat, self.n_inputs, self.mapped, self.origin, self.holder)
        return _family_from, (self.token, *args)

    @property
    def structure(self) -> TreeDef | None:
        """The structure of the result, once the function has run (None for derivatives,
        whose results are flat lists)."""
        return None if self.holder is None else self.holder.treedef

    def kernels(self, example: Sequence[float] | None) -> Kernels | None:
        """The array kernels, tracing on first use; None if the function cannot be traced."""
        found = self._kernels
        if found is None:
            try:
                made: Kernels | object = Kernels(
                    trace(self.flat, self.n_inputs, example), self.mapped
                )
            except (TracingError, TraceSizeError) as error:
                warnings.warn(
                    BatchingWarning(
                        f"rg.vmap runs {self.name} point by point: it cannot be traced into "
                        f"array code ({_reason(error)})"
                    ),
                    stacklevel=_user_level(),
                )
                made = _UNTRACEABLE
            except Exception:
                # f failed on constants alone while traced (or a custom function on point 0's
                # numbers): this call loops, and the loop raises it with the point's index.
                return None
            with self._lock:
                if self._kernels is None:
                    self._kernels = made
                found = self._kernels
        return found if isinstance(found, Kernels) else None

    def derivative(self, output: int) -> Family:
        """The family of the per-point gradient of `output` with respect to the broadcast
        leaves: one result per broadcast leaf, in leaf order."""
        found = self._derivatives.get(output)
        if found is None:
            nums = tuple(k for k, m in enumerate(self.mapped) if not m)
            parent = self.flat

            def gradient(*leaves: object) -> list[object]:
                spec = Args(lambda *xs: parent(*xs)[output], leaves, {}, nums, False, self.origin)
                _, found_gradient, _ = flat_gradient(spec, Mode.REVERSE, False)
                return list(found_gradient)

            made = Family(
                f"the gradient of {self.name}", gradient, self.n_inputs, self.mapped, self.origin
            )
            with self._lock:
                found = self._derivatives.setdefault(output, made)
        return found


def _reason(error: RulegradError) -> str:
    """What stopped the trace, in the words of rg.compile's error, without its advice."""
    text = str(error).split("cannot compile f: ", 1)[-1]
    return text.split(". ", 1)[0]


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_level() -> int:
    """The stack level of the first caller outside rulegrad, for a warning to point at."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


@final
class _Structure:
    """Where a per-point function records the structure of its result (its family reads
    it): a holder of its own, so that the function can travel to Dask's workers alone."""

    __slots__ = ("treedef",)

    def __init__(self) -> None:
        self.treedef: TreeDef | None = None


def user_family(f: Callable[..., object], plan: Plan, name: str) -> Family:
    """The family of the user's function at the structure of `plan`."""
    treedef = plan.treedef  # not the plan: the family outlives the call and its data
    holder = _Structure()

    def flat(*leaves: object) -> list[object]:
        out = f(*treedef.unflatten(list(leaves)))
        found, structure = flat_output(out, "rg.vmap")
        known = holder.treedef
        if known is None:
            holder.treedef = structure
        elif structure != known:
            raise TracingError(
                f"f returned {structure!r} at one point and {known!r} at another",
                "the result",
                "",
                "",
            )
        return found

    family = Family(name, flat, len(plan.leaves), plan.mapped, "rg.vmap", holder)
    return family
