"""The two modes (reverse: `Value` graphs; forward: dual numbers), the transforms, and
`compile`, which turns a traced function into straight-line Python.

Importing this package installs both engines into the kernel's root tags.
"""

from rulegrad.modes.compiled import Compiled, OpCode, TraceSizeError, TracingError, compile
from rulegrad.modes.forward import FORWARD
from rulegrad.modes.matrices import derivative, hessian, jacobian
from rulegrad.modes.reverse import REVERSE
from rulegrad.modes.transforms import Mode, ModeLike, grad, jvp, value_and_grad, vjp

__all__ = [
    "FORWARD",
    "REVERSE",
    "Compiled",
    "Mode",
    "ModeLike",
    "OpCode",
    "TraceSizeError",
    "TracingError",
    "compile",
    "derivative",
    "grad",
    "hessian",
    "jacobian",
    "jvp",
    "value_and_grad",
    "vjp",
]
