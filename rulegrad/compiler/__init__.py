"""`rg.compile`: trace a function once, then run it, its gradient and its jvp as
straight-line Python generated from the ops' rules."""

from rulegrad.compiler.compiled import Compiled, OpCode, compile

__all__ = ["Compiled", "OpCode", "compile"]
