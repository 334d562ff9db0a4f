"""The libraries under test, one module each, and the vectorized references."""

from benchmarks.peers.autograd_peer import AUTOGRAD
from benchmarks.peers.base import Peer, gradient_cases, hessian_cases, jvp_cases
from benchmarks.peers.floats import FLOATS
from benchmarks.peers.floor import FLOOR
from benchmarks.peers.jax_peer import JAX, JAX_JIT
from benchmarks.peers.micrograd_peer import MICROGRAD
from benchmarks.peers.rulegrad_peer import RULEGRAD, RULEGRAD_COMPILE, RULEGRAD_FORWARD
from benchmarks.peers.torch_peer import TORCH

__all__ = [
    "AUTOGRAD",
    "FLOATS",
    "FLOOR",
    "JAX",
    "JAX_JIT",
    "MICROGRAD",
    "RULEGRAD",
    "RULEGRAD_COMPILE",
    "RULEGRAD_FORWARD",
    "TORCH",
    "Peer",
    "gradient_cases",
    "hessian_cases",
    "jvp_cases",
]
