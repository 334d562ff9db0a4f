"""The functional transforms: `grad`, `value_and_grad`, `jvp`, `vjp`, `jacobian`, `hessian`,
`derivative`.

Each call of a transformed function opens a fresh tag, runs `f` on nodes of that tag in one
of the engines (`rulegrad.modes`), and reads the derivatives back out.
"""

from rulegrad.transforms.gradients import Mode, ModeLike, grad, jvp, value_and_grad, vjp
from rulegrad.transforms.matrices import hessian, jacobian
from rulegrad.transforms.series import derivative, jet, taylor

__all__ = [
    "Mode",
    "ModeLike",
    "derivative",
    "grad",
    "hessian",
    "jacobian",
    "jet",
    "jvp",
    "taylor",
    "value_and_grad",
    "vjp",
]
