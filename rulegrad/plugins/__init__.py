"""Third-party ops through the `rulegrad.plugins` entry-point group (not yet implemented)."""

__all__: list[str] = []
