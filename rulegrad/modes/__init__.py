"""The engines: reverse mode (`Value` graphs and the topological backward pass), forward
mode (dual numbers) and Taylor mode (truncated power series, `taylor.py`), and the fast
paths generated for the first two from each op's rule (`kernels.py`). Every engine reads
every derivative from the op catalogue; none knows any op by name."""

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
