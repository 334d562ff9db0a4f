"""The two modes (reverse: `Value` graphs; forward: dual numbers) and the transforms.

Importing this package installs both engines into the kernel's root tags.
"""

from rulegrad.modes.forward import FORWARD
from rulegrad.modes.matrices import derivative, hessian, jacobian
from rulegrad.modes.reverse import REVERSE
from rulegrad.modes.transforms import Mode, ModeLike, grad, jvp, value_and_grad, vjp

__all__ = [
    "FORWARD",
    "REVERSE",
    "Mode",
    "ModeLike",
    "derivative",
    "grad",
    "hessian",
    "jacobian",
    "jvp",
    "value_and_grad",
    "vjp",
]
