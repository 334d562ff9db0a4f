"""A griffe extension for the API reference: doctest examples in docstrings become code.

rulegrad's docstrings show examples as bare `>>>` sessions, which pytest runs. Markdown
would read `>>>` as nested quotes and a `#` in an output line as a heading, so each
session (from its first `>>>` line to the next blank line) is fenced as `pycon` code
before mkdocstrings renders the docstring. mkdocs.yml loads this file by path.
"""

from __future__ import annotations

from typing import Any

import griffe

FENCE = "```"


def fence_doctests(text: str) -> str:
    """`text` with every doctest session outside a fenced block wrapped in a pycon fence.

    >>> fence_doctests("Add:\\n>>> 1 + 1\\n2\\n\\nDone.").splitlines()
    ['Add:', '```pycon', '>>> 1 + 1', '2', '```', '', 'Done.']
    """
    out: list[str] = []
    in_fence = in_session = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if in_session:
            if stripped:
                out.append(line)
                continue
            out.append(indent + FENCE)
            in_session = False
        elif stripped.startswith(FENCE):
            in_fence = not in_fence
        elif stripped.startswith(">>>") and not in_fence:
            indent = line[: len(line) - len(stripped)]
            out.append(indent + FENCE + "pycon")
            in_session = True
        out.append(line)
    if in_session:
        out.append(indent + FENCE)
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctest sessions of every docstring once the object tree is built."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
