"""Plugins installed the way a user installs them, used from a fresh interpreter.

`examples/rulegrad-special` is pip-installed once into a temporary directory; broken
plugins are real distributions too (a `*.dist-info` with `entry_points.txt` beside their
module, which is what pip leaves behind). Each test runs Python with those directories on
`PYTHONPATH`, so discovery goes through `importlib.metadata` exactly as it does for users.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rulegrad.plugins._loader import DISABLE_AUTOLOAD

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "rulegrad-special"
SPECIAL_OPS = ["digamma", "gelu", "lgamma"]
SPECIAL_SOURCE = "plugin rulegrad-special 0.1.0"


@pytest.fixture(scope="session")
def special(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin, pip-installed into a directory of its own."""
    base = tmp_path_factory.mktemp("special")
    # Built from a copy: building leaves build/ and *.egg-info beside the sources.
    source = shutil.copytree(
        EXAMPLE,
        base / "source",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
    )
    site = base / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    pip += ["--no-build-isolation", "--disable-pip-version-check", "--target", str(site)]
    result = subprocess.run(
        [*pip, str(source)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return site


def python(
    *args: str, sites: tuple[Path, ...], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python ARGS` with `sites` on PYTHONPATH and plugin autoload enabled."""
    environment = {k: v for k, v in os.environ.items() if k not in (DISABLE_AUTOLOAD, "PYTHONPATH")}
    environment["PYTHONPATH"] = os.pathsep.join(str(site) for site in sites)
    environment["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # for the example's own suite
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=environment,
        cwd=sites[0].parent, timeout=300, check=False,
    )  # fmt: skip


def script(source: str, *sites: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run `source`, which prints one JSON line last, and return what it printed."""
    result = python("-c", textwrap.dedent(source), sites=sites, env=env)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return report


def test_nothing_is_loaded_at_import_and_the_first_miss_loads(special: Path) -> None:
    report = script(
        """
        import json, sys
        import rulegrad as rg
        before = [op.name for op in rg.registry if op.source.startswith("plugin")]
        imported = "rulegrad_special" in sys.modules
        listed = len(rg.registry) == len(rg.registry.names())  # listing loads nothing
        digamma = rg.registry.get("digamma")                   # the first miss loads
        after = sorted(op.name for op in rg.registry if op.source.startswith("plugin"))
        print(json.dumps({
            "before": before, "imported": imported, "listed": listed, "after": after,
            "source": digamma.source, "value": digamma(1.0), "explicit": rg.load_plugins(),
        }))
        """,
        special,
    )
    assert report["before"] == [] and report["imported"] is False and report["listed"] is True
    assert report["after"] == SPECIAL_OPS
    assert report["source"] == SPECIAL_SOURCE
    assert report["value"] == pytest.approx(-0.5772156649015329, rel=1e-14)
    assert report["explicit"] == []  # already loaded by the miss


def test_load_plugins_is_idempotent_and_in_finds_plugin_ops(special: Path) -> None:
    report = script(
        """
        import json
        import rulegrad as rg
        first, second = rg.load_plugins(), rg.load_plugins()
        print(json.dumps({"first": first, "second": second, "in": "gelu" in rg.registry,
                          "sources": sorted({rg.registry.get(n).source
                                             for n in ("gelu", "lgamma", "digamma")})}))
        """,
        special,
    )
    assert report == {"first": ["special"], "second": [], "in": True, "sources": [SPECIAL_SOURCE]}


def test_in_is_a_miss_that_loads(special: Path) -> None:
    report = script(
        'import json, rulegrad as rg; print(json.dumps({"in": "lgamma" in rg.registry}))', special
    )
    assert report == {"in": True}


def test_the_disable_variable_stops_the_lazy_load_only(special: Path) -> None:
    report = script(
        """
        import json
        import rulegrad as rg
        try:
            rg.registry.get("gelu")
            missed = False
        except rg.UnknownOpError:
            missed = True
        contained = "gelu" in rg.registry
        loaded = rg.load_plugins()
        print(json.dumps({"missed": missed, "in": contained, "loaded": loaded,
                          "after": rg.registry.get("gelu").source}))
        """,
        special,
        env={DISABLE_AUTOLOAD: "1"},
    )
    assert report == {"missed": True, "in": False, "loaded": ["special"], "after": SPECIAL_SOURCE}


def test_plugin_ops_differentiate_to_higher_orders(special: Path) -> None:
    report = script(
        """
        import json
        import rulegrad as rg
        lgamma, gelu = rg.registry.get("lgamma"), rg.registry.get("gelu")
        print(json.dumps({
            "trigamma": rg.grad(rg.grad(lgamma), mode="forward")(1.0),
            "tetragamma": rg.derivative(lgamma, order=3)(1.0),
            "gelu'": rg.grad(gelu)(0.0),
        }))
        """,
        special,
    )
    assert report["trigamma"] == pytest.approx(1.6449340668482264, rel=1e-12)  # pi**2 / 6
    assert report["tetragamma"] == pytest.approx(-2.4041138063191885, rel=1e-12)  # -2 zeta(3)
    assert report["gelu'"] == 0.5


def table_rows(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines():
        name, *cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
        rows[name] = cells
    return rows


def test_rulegrad_ops_lists_plugin_ops_with_their_source(special: Path) -> None:
    result = python("-m", "rulegrad", "ops", sites=(special,))
    assert result.returncode == 0 and result.stderr == ""
    rows = table_rows(result.stdout)
    assert rows["name"] == ["arity", "modes", "source"]
    for name in SPECIAL_OPS:
        assert rows[name] == ["1", "forward, reverse", SPECIAL_SOURCE]
    assert rows["sin"] == ["1", "forward, reverse", "built-in"]
    assert rows["sum"][0] == "n"
    assert result.stdout.splitlines()[-1].endswith(", 3 from plugins")


def test_rulegrad_ops_json(special: Path) -> None:
    result = python("-m", "rulegrad", "ops", "--json", sites=(special,))
    assert result.returncode == 0, result.stderr
    ops = {record["name"]: record for record in json.loads(result.stdout)}
    assert ops["lgamma"] == {
        "name": "lgamma", "arity": 1, "modes": ["forward", "reverse"],
        "source": SPECIAL_SOURCE, "domain": "x other than 0, -1, -2, ... (poles)",
    }  # fmt: skip
    assert ops["dot"]["arity"] is None


def test_rulegrad_ops_respects_the_disable_variable(special: Path) -> None:
    result = python("-m", "rulegrad", "ops", sites=(special,), env={DISABLE_AUTOLOAD: "1"})
    assert result.returncode == 0
    assert "gelu" not in table_rows(result.stdout)
    assert f"plugins not loaded: {DISABLE_AUTOLOAD} is set" in result.stdout


def test_rulegrad_check_on_plugin_ops(special: Path) -> None:
    result = python("-m", "rulegrad", "check", *SPECIAL_OPS, sites=(special,))
    assert result.returncode == 0, result.stdout + result.stderr
    for name in SPECIAL_OPS:
        line = next(line for line in result.stdout.splitlines() if line.startswith(name + " "))
        assert SPECIAL_SOURCE in line and " ok" in line


def test_rulegrad_check_on_an_unknown_name(special: Path) -> None:
    result = python("-m", "rulegrad", "check", "gelu", "digama", sites=(special,))
    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert "digama" in result.stderr


def test_the_plugin_authors_own_suite_passes_against_the_install(special: Path) -> None:
    # What the README tells a plugin author to run: check_op and doctests in pytest.
    tests = special.parent / "source" / "tests"
    result = python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "--doctest-modules",
        "--pyargs", "rulegrad_special", str(tests), sites=(special,),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    # 15 tests and 3 docstrings: a doctest that needs the catalogue to load the plugin too
    assert "18 passed" in result.stdout


# --- broken plugins -----------------------------------------------------------------------

# entry point name -> (distribution, what its module says)
BROKEN = {
    "needs_dep": ("needs-dep", "import rulegrad_tests_no_such_dependency"),
    "raises_midway": ("raises-midway", """
        rg.define_op("half_registered", forward=abs, partials=None, registry=registry)
        raise RuntimeError("lost its configuration")"""),
    "shadows_sin": ("shadows-sin", """
        rg.define_op("sin_sidekick", forward=abs, partials=None, registry=registry)
        rg.define_op("sin", forward=math.cos, partials=None, replace=True, registry=registry)"""),
    "special_again": ("special-again", """
        rg.define_op("gelu", forward=abs, partials=None, registry=registry)"""),
    "wrong_arity": ("wrong-arity", """
        rg.define_op("scaled", forward=lambda x, y: x * y, partials=lambda out, x: (1.0,),
                     registry=registry)"""),
    "changed": ("changed", """
        op = rg.define_op("changed_op", forward=abs, partials=None, registry=registry)
        op.partials = "d/dx"  # not a rule any more"""),
    "not_callable": ("not-callable", "register = 42"),
    "exits_at_import": ("exits-at-import", "import sys\nsys.exit(3)"),
    "exits_in_register": ("exits-in-register", """
        rg.define_op("exit_sidekick", forward=abs, partials=None)
        raise SystemExit("giving up")"""),
    "global_then_fails": ("global-then-fails", """
        rg.define_op("leaked_global", forward=abs, partials=None)
        rg.registry.register(rg.Op("leaked_register", forward=abs, partials=None))
        raise KeyError("missing")"""),
    "cos_is_42": ("cos-is-42", """
        rg.define_op("cos", forward=lambda x: 42.0, partials=lambda out, x: (0.0,),
                     replace=True)"""),
    "mul_replaced": ("mul-replaced", """
        rg.registry.register(rg.BinaryOp("mul", forward=lambda x, y: x + y, partials=None),
                             replace=True)"""),
    "tiny_good": ("tiny-good", """
        rg.define_op("triple", forward=lambda x: 3 * x, partials=lambda out, x: (3.0,),
                     registry=registry)"""),
    "global_good": ("global-good", """
        rg.define_op("quadruple", forward=lambda x: 4 * x, partials=lambda out, x: (4.0,))"""),
}  # fmt: skip
GOOD = {"tiny_good", "global_good"}

CAUSES = {
    "needs_dep": "importing it failed: ModuleNotFoundError: No module named "
    "'rulegrad_tests_no_such_dependency'",
    "raises_midway": "register() raised RuntimeError: lost its configuration",
    "shadows_sin": "its op 'sin' clashes with an op already in the catalogue (built-in)",
    "special_again": f"its op 'gelu' clashes with an op already in the catalogue "
    f"({SPECIAL_SOURCE})",
    "wrong_arity": "register() raised RuleError: scaled: partials must take (out, x, y), "
    "3 arguments",
    "changed": "register() raised AttributeError: an Op cannot be changed once created (tried to "
    "set 'partials' of 'changed_op'); define a new op instead",
    "not_callable": "its entry point names an object of type int, not register(registry)",
    "exits_at_import": "importing it failed: SystemExit: 3",
    "exits_in_register": "register() raised SystemExit: giving up",
    "global_then_fails": "register() raised KeyError: 'missing'",
    "cos_is_42": "register() raised BuiltinOpError: 'cos' is a built-in op and built-in ops "
    "are never replaced, not even with replace=True; give your op another name",
    "mul_replaced": "register() raised BuiltinOpError: 'mul' is a built-in op and built-in ops "
    "are never replaced, not even with replace=True; give your op another name",
}


@pytest.fixture(scope="session")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("broken") / "site"
    site.mkdir()
    for entry, (distribution, body) in BROKEN.items():
        info = site / f"{distribution.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[rulegrad.plugins]\n{entry} = {entry}:register\n", encoding="utf-8"
        )
        if body.startswith(("import", "register")):
            module = body + "\n"
        else:
            module = "import math\nimport rulegrad as rg\n\ndef register(registry):"
            module += textwrap.indent(textwrap.dedent(body), "    ") + "\n"
        (site / f"{entry}.py").write_text(module, encoding="utf-8")
    return site


LOAD_RECORDING = """
    import json, math, warnings
    import rulegrad as rg
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = rg.load_plugins()
    print(json.dumps({
        "loaded": loaded,
        "warnings": [
            [w.category.__name__, w.message.plugin, w.message.origin, w.message.cause,
             str(w.message)]
            for w in caught
        ],
        "sources": {op.name: op.source for op in rg.registry if op.source != "built-in"},
        "sin": rg.registry.get("sin") is rg.sin and rg.grad(rg.sin)(0.5) == math.cos(0.5),
        "cos": [rg.registry.get("cos") is rg.cos, rg.cos(0.0), rg.Value(0.0).cos().data,
                rg.Dual(0.0, 1.0).cos().primal, rg.grad(lambda x: x.cos())(0.0)],
        "mul": [rg.registry.get("mul") is rg.mul, (rg.Value(2.0) * 3.0).data, rg.mul(2.0, 3.0)],
    }))
"""


@pytest.fixture(scope="session")
def broken_report(special: Path, broken: Path) -> dict[str, object]:
    return script(LOAD_RECORDING, special, broken)


def test_good_plugins_load_beside_broken_ones(broken_report: dict[str, object]) -> None:
    assert broken_report["loaded"] == ["global_good", "special", "tiny_good"]
    assert broken_report["sources"] == {
        "triple": "plugin tiny-good 0.1",
        "quadruple": "plugin global-good 0.1",  # written to rg.registry: still the plugin's
        **dict.fromkeys(SPECIAL_OPS, SPECIAL_SOURCE),
    }  # nothing of a skipped plugin stays: not half_registered, sin_sidekick, changed_op,
    # nor what the plugins wrote to the catalogue itself (exit_sidekick, leaked_global, ...)
    assert broken_report["sin"] is True
    assert broken_report["cos"] == [True, 1.0, 1.0, 1.0, -0.0]
    assert broken_report["mul"] == [True, 6.0, 6.0]


def test_each_broken_plugin_is_named_with_its_cause(broken_report: dict[str, object]) -> None:
    warned = broken_report["warnings"]
    assert isinstance(warned, list)
    by_plugin = {
        plugin: (category, origin, cause, text) for category, plugin, origin, cause, text in warned
    }
    assert sorted(by_plugin) == sorted(set(BROKEN) - GOOD) == sorted(CAUSES)
    for plugin, cause in CAUSES.items():
        category, origin, got, text = by_plugin[plugin]
        assert category == "PluginWarning"
        assert origin == f"{BROKEN[plugin][0]} 0.1"
        assert got == cause
        assert text == f"rulegrad plugin {plugin!r} ({origin}) skipped: {cause}"


def test_a_lazy_load_warns_through_the_warnings_machinery(special: Path, broken: Path) -> None:
    result = python("-c", "import rulegrad as rg; print(rg.registry.get('triple')(2.0))",
                    sites=(special, broken))  # fmt: skip
    assert result.returncode == 0 and result.stdout == "6.0\n"
    assert "PluginWarning: rulegrad plugin 'raises_midway' (raises-midway 0.1) skipped: " in (
        result.stderr
    )
    assert result.stderr.count("PluginWarning") == len(CAUSES)


def test_rulegrad_ops_reports_broken_plugins_in_one_line_each(special: Path, broken: Path) -> None:
    result = python("-m", "rulegrad", "ops", sites=(special, broken))
    assert result.returncode == 0
    warned = result.stderr.splitlines()
    assert len(warned) == len(CAUSES)
    assert all(line.startswith("rulegrad: warning: rulegrad plugin '") for line in warned)
    rows = table_rows(result.stdout)
    assert rows["triple"] == ["1", "forward, reverse", "plugin tiny-good 0.1"]
    assert rows["quadruple"] == ["1", "forward, reverse", "plugin global-good 0.1"]
    assert rows["cos"] == ["1", "forward, reverse", "built-in"]
    assert "half_registered" not in rows and "sin_sidekick" not in rows
    assert "leaked_global" not in rows and "exit_sidekick" not in rows


def test_rulegrad_grad_with_broken_plugins_uses_the_builtins(special: Path, broken: Path) -> None:
    # The case: with a plugin that made cos 42, the answer depended on term order.
    for expression in ("cos(x) + x*y", "x*y + cos(x)", "y*x + cos(x)*1"):
        result = python("-m", "rulegrad", "grad", expression, "--at", "x=0", "y=2", "--json",
                        sites=(special, broken))  # fmt: skip
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert (answer["value"], answer["gradient"]) == (1.0, {"x": 2.0, "y": 0.0})
        assert result.stderr.count("rulegrad: warning: rulegrad plugin ") == len(CAUSES)
