"""Where rulegrad's parts are connected, once, when `import rulegrad` runs `connect()`.

The kernel knows no op and no mode; the parts above it plug into the slots it leaves:

- the engines into the root tags of hand-built `Value`s and `Dual`s;
- the engines' generated fast paths into every op, made on its first call;
- the operator table (`x + y` is `add`) into the node operators;
- the plugin loader into the catalogue, which asks it on a miss;
- the pictures into a `Value`'s display in Jupyter;
- `rg.vmap`'s batches of results into the containers every transform takes apart;
- and, outside the package, one callback into `gc.callbacks`, which keeps the cyclic garbage
  collector from rescanning a graph while it grows (`rulegrad.kernel.collector`).

Nothing else in the package changes another module's state at import.
"""

from __future__ import annotations

import gc

from rulegrad import _tables, pictures
from rulegrad.batching import CONTAINER
from rulegrad.kernel import DISPLAY, OPERATORS, ROOT_FORWARD, ROOT_REVERSE, SPECIALIZER, registry
from rulegrad.kernel.collector import on_collection
from rulegrad.modes import FORWARD, REVERSE, specialize
from rulegrad.ops import OPERATOR_TABLE
from rulegrad.plugins import CATALOGUE_LOADER
from rulegrad.transforms.tree import register_sequence_like

__all__ = ["connect"]


def connect() -> None:
    """Connect the engines, fast paths, operators, plugins and pictures to the kernel, and
    the graph-aware callback to the garbage collector."""
    ROOT_REVERSE.engine = REVERSE
    ROOT_FORWARD.engine = FORWARD
    SPECIALIZER.make = specialize
    for slot, op in OPERATOR_TABLE.items():
        setattr(OPERATORS, slot, op.specialize())
    registry.set_miss_hook(CATALOGUE_LOADER.on_miss)
    DISPLAY.svg = pictures.inline_svg
    DISPLAY.html = _tables.inline_html
    register_sequence_like(*CONTAINER)
    if on_collection not in gc.callbacks:
        gc.callbacks.append(on_collection)
