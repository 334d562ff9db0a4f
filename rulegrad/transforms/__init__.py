"""The functional transforms and what they take and give.

`grad`, `value_and_grad`, `jvp`, `vjp`, `jacobian`, `hessian`, `hvp`, `linearize` and
`derivative` open a fresh tag per call, run `f` on nodes of that tag in one of the engines
(`rulegrad.modes`), and read the derivatives back out, shaped like the arguments
(containers: `tree`). `custom_jvp`/`custom_vjp` attach rules to a function, and
`check_grads` checks any function's derivatives against finite differences.
"""

from rulegrad.transforms.checks import check_grads
from rulegrad.transforms.custom import custom_jvp, custom_vjp
from rulegrad.transforms.directional import jvp, vjp
from rulegrad.transforms.gradients import Mode, ModeLike, grad, value_and_grad
from rulegrad.transforms.linear import hvp, linearize
from rulegrad.transforms.matrices import hessian, jacobian
from rulegrad.transforms.series import derivative, jet, taylor
from rulegrad.transforms.tree import (
    TreeDef,
    register_container,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)

__all__ = [
    "Mode",
    "ModeLike",
    "TreeDef",
    "check_grads",
    "custom_jvp",
    "custom_vjp",
    "derivative",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jet",
    "jvp",
    "linearize",
    "register_container",
    "taylor",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
    "value_and_grad",
    "vjp",
]
