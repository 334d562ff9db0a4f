"""The engines: reverse mode (`Value` graphs and the topological backward pass) and
forward mode (dual numbers), and the fast paths generated for both from each op's rule.
Both engines read every derivative from the op catalogue."""

from rulegrad.modes.forward import CHECKING_FORWARD, FORWARD, make_dual
from rulegrad.modes.kernels import specialize
from rulegrad.modes.reverse import REVERSE, backward, make_value

__all__ = [
    "CHECKING_FORWARD",
    "FORWARD",
    "REVERSE",
    "backward",
    "make_dual",
    "make_value",
    "specialize",
]
