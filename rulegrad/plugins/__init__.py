"""Third-party ops through the `rulegrad.plugins` entry-point group.

A plugin is a distribution that declares an entry point in the group `rulegrad.plugins`
naming a function `register(registry) -> None`. Nothing is loaded at `import rulegrad`:
the catalogue loads every installed plugin once, the first time it is asked for a name it
does not have (`rg.registry.get(name)` or `name in rg.registry`), unless the environment
variable `RULEGRAD_DISABLE_PLUGIN_AUTOLOAD` is set; `load_plugins()` loads them explicitly.
Iterating over the catalogue, `len()` and `names()` show what is loaded and load nothing.
"""

from rulegrad.plugins._check import CheckReport, RuleCheckError, check_op
from rulegrad.plugins._loader import CATALOGUE_LOADER, PluginWarning, load_plugins

__all__ = [
    "CATALOGUE_LOADER",
    "CheckReport",
    "PluginWarning",
    "RuleCheckError",
    "check_op",
    "load_plugins",
]
