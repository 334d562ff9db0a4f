"""What every command shares."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from rulegrad.plugins._loader import autoload_disabled, load_plugins

__all__ = ["CliError", "Commands", "load_installed_plugins"]

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The `add_subparsers()` object each command adds its parser to."""


class CliError(Exception):
    """A user mistake on the command line: printed as one line, exit status 2."""


def load_installed_plugins() -> bool:
    """Load the installed plugins, as the catalogue would on a miss; False if disabled.

    The commands that show or check the whole catalogue need plugin ops loaded up front;
    `RULEGRAD_DISABLE_PLUGIN_AUTOLOAD` turns that off for them as it does for the lazy load.
    A skipped plugin's `PluginWarning` reaches stderr as one line (see `rulegrad.cli.main`).
    """
    if autoload_disabled():
        return False
    load_plugins()
    return True
