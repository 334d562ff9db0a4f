"""The engines: reverse mode (`Value` graphs and the topological backward pass) and
forward mode (dual numbers). Both read every derivative from the op catalogue."""

from rulegrad.modes.forward import FORWARD
from rulegrad.modes.reverse import REVERSE

__all__ = ["FORWARD", "REVERSE"]
