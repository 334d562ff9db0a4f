"""Batching: `rg.vmap` runs a function of one point over many points at once.

With NumPy (the optional extra `rulegrad[array]`) the function is traced once and run as
array code generated from the ops' rules, on NumPy arrays or block by block on Dask
arrays; without it, `vmap` loops over the points with the same results.
"""

from rulegrad.batching._backend import USE_ARRAYS
from rulegrad.batching._batch import CONTAINER, Batch
from rulegrad.batching.vmap import Batched, vmap
from rulegrad.kernel.errors import BatchingWarning

__all__ = ["CONTAINER", "USE_ARRAYS", "Batch", "Batched", "BatchingWarning", "vmap"]
