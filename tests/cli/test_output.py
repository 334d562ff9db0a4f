"""Whatever happens to stdout, every command ends with one line on stderr, never a traceback.

Each command (and `--help`) is run in a fresh interpreter with its stdout full
(`/dev/full`), a pipe whose reader has gone (`| head -c0`), or closed (`>&-`); with stdout
in encodings that cannot show the variable names; and beside a plugin that prints, which
must not corrupt `--json` output. In-process tests reach the remaining corners.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import rulegrad as rg
from rulegrad.cli import main
from rulegrad.cli._common import Output
from rulegrad.plugins._loader import DISABLE_AUTOLOAD

ROOT = Path(__file__).resolve().parents[2]

COMMANDS: dict[str, list[str]] = {
    "ops": ["ops"],
    "ops-json": ["ops", "--json"],
    "check": ["check", "sin", "exp"],
    "grad": ["grad", "x*sin(y)", "--at", "x=1", "y=2"],
    "grad-json": ["grad", "x*sin(y)", "--at", "x=1", "y=2", "--json"],
    "grad-hessian": ["grad", "x*y", "--at", "x=1", "y=2", "--hessian"],
    "demo": ["demo", "--steps", "1", "--points", "4"],
    "help": ["--help"],
    "grad-help": ["grad", "--help"],
    "check-help": ["check", "--help"],
}

# how stdout is spoiled -> (the shell redirection, exit status, the line on stderr)
SINKS: dict[str, tuple[str, int, str]] = {
    "full": ('>/dev/full', 74, "rulegrad: error: cannot write to stdout: No space left on device"),
    "closed-pipe": ("| head -c0", 141, "rulegrad: error: cannot write to stdout: the reader "
                    "closed the pipe"),
    "closed": (">&-", 74, "rulegrad: error: stdout is closed, so there is nowhere to write the "
               "result"),
}  # fmt: skip


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONPATH")}
    env["PYTHONPATH"] = str(ROOT)
    env[DISABLE_AUTOLOAD] = "1"  # whatever is installed here, the commands see the built-ins
    env.update(extra)
    return env


def shell(argv: list[str], sink: str) -> subprocess.CompletedProcess[str]:
    """`python -m rulegrad ARGV` with stdout spoiled as `sink` says; stderr is captured.

    For the pipe, `exec` makes rulegrad the pipe's writer, and `head -c0` has exited
    before rulegrad writes (it reads nothing), so every write finds the reader gone.
    """
    redirection = SINKS[sink][0]
    command = 'exec "$@"' if redirection.startswith("|") else f'exec "$@" {redirection}'
    args = ["sh", "-c", command, "sh", sys.executable, "-m", "rulegrad", *argv]
    if redirection.startswith("|"):
        read, write = os.pipe()
        os.close(read)  # the reader went away before a byte was written
        try:
            return subprocess.run(args, stdout=write, stderr=subprocess.PIPE, text=True,
                                  env=environment(), cwd=ROOT, timeout=300,
                                  check=False)  # fmt: skip
        finally:
            os.close(write)
    return subprocess.run(args, stderr=subprocess.PIPE, text=True, env=environment(),
                          cwd=ROOT, timeout=300, check=False)  # fmt: skip


CASES = [(command, sink) for command in COMMANDS for sink in SINKS]


@pytest.fixture(scope="module")
def spoiled() -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    """Every command into every spoiled stdout, two at a time."""
    if not Path("/dev/full").exists():
        pytest.skip("this system has no /dev/full to fill")
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {case: pool.submit(shell, COMMANDS[case[0]], case[1]) for case in CASES}
        return {case: run.result() for case, run in runs.items()}


@pytest.mark.parametrize(("command", "sink"), CASES)
def test_a_spoiled_stdout_is_one_line_and_a_status(
    spoiled: dict[tuple[str, str], subprocess.CompletedProcess[str]], command: str, sink: str
) -> None:
    done = spoiled[command, sink]
    _, status, line = SINKS[sink]
    assert (done.returncode, done.stderr) == (status, line + "\n")


def test_stderr_spoiled_too_still_gives_a_status() -> None:
    args = ["sh", "-c", 'exec "$@" >/dev/full 2>/dev/full', "sh", sys.executable, "-m",
            "rulegrad", "ops"]  # fmt: skip
    done = subprocess.run(args, env=environment(), cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 74


# --- encodings ------------------------------------------------------------------------------

GREEK = ["grad", "\u03b1*sin(\u03b2)", "--at", "\u03b1=1", "\u03b2=2"]
CYRILLIC = ["grad", "\u0436**2", "--at", "\u0436=3"]
LATIN = ["grad", "caf\u00e9*2", "--at", "caf\u00e9=1"]
GREEK_TEXT = (
    "f = 0.9092974268256817\ndf/d\u03b1 = 0.9092974268256817\ndf/d\u03b2 = -0.4161468365471424\n"
)
CYRILLIC_TEXT = "f = 9.0\ndf/d\u0436 = 6.0\n"
LATIN_TEXT = "f = 2.0\ndf/dcaf\u00e9 = 2.0\n"

# encoding, argv, the character it cannot show (None: it can, and prints `text`)
ENCODED: list[tuple[str, list[str], str | None, str]] = [
    ("ascii", GREEK, "\u03b1", ""),
    ("latin-1", GREEK, "\u03b1", ""),
    ("cp437", GREEK, "\u03b2", ""),  # it has an alpha, but no beta
    ("cp1252", GREEK, "\u03b1", ""),
    ("ascii:strict", GREEK, "\u03b1", ""),
    ("koi8-r", GREEK, "\u03b1", ""),
    ("ascii", LATIN, "\u00e9", ""),
    ("latin-1", CYRILLIC, "\u0436", ""),
    ("cp1253", GREEK, None, GREEK_TEXT),
    ("iso8859-7", GREEK, None, GREEK_TEXT),
    ("koi8-r", CYRILLIC, None, CYRILLIC_TEXT),
    ("latin-1", LATIN, None, LATIN_TEXT),
    ("utf-16", GREEK, None, GREEK_TEXT),
]


def run_encoded(encoding: str, argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "rulegrad", *argv], capture_output=True,
                          env=environment(PYTHONIOENCODING=encoding), cwd=ROOT, timeout=300,
                          check=False)  # fmt: skip


@pytest.fixture(scope="module")
def encoded() -> dict[int, subprocess.CompletedProcess[bytes]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(run_encoded, encoding, argv) for encoding, argv, _, _ in ENCODED]
        return {index: run.result() for index, run in enumerate(runs)}


@pytest.mark.parametrize("index", range(len(ENCODED)), ids=[e[0] for e in ENCODED])
def test_an_encoding_that_cannot_show_the_result_is_one_line(
    encoded: dict[int, subprocess.CompletedProcess[bytes]], index: int
) -> None:
    encoding, _, missing, text = ENCODED[index]
    done = encoded[index]
    codec = encoding.partition(":")[0]
    if missing is None:
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode(codec) == text
        assert done.stderr == b""
        return
    assert done.returncode == 74
    assert done.stdout == b""  # nothing half printed
    name = f"U+{ord(missing):04X}"
    err = done.stderr.decode("ascii")  # whatever stderr's encoding, the line is escaped
    assert err.count("\n") == 1 and "Traceback" not in err
    shown = re.fullmatch(r"rulegrad: error: stdout's encoding \((.+)\) cannot represent "
                         r"'\\(?:x[0-9a-f]{2}|u[0-9a-f]{4})' \((U\+[0-9A-F]{4})\); "
                         r"set PYTHONIOENCODING=utf-8, or use --json where the command has it\n",
                         err)  # fmt: skip
    assert shown is not None, err
    assert codecs.lookup(shown[1]).name == codecs.lookup(codec).name  # latin-1 is iso8859-1
    assert shown[2] == name


@pytest.mark.parametrize("encoding", ["ascii", "ascii:strict", "latin-1"])
def test_json_output_is_ascii_and_works_in_any_encoding(encoding: str) -> None:
    done = run_encoded(encoding, [*GREEK, "--json"])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.decode("ascii"))
    assert result["gradient"] == {"\u03b1": 0.9092974268256817, "\u03b2": -0.4161468365471424}


@pytest.mark.parametrize("encoding", ["ascii", "ascii:strict"])
def test_an_error_about_a_non_ascii_name_is_escaped_not_lost(encoding: str) -> None:
    done = run_encoded(encoding, ["grad", "\u03b1*2", "--at", "\u03b1=1", "\u03b3=2"])
    assert done.returncode == 2
    assert done.stderr == (
        b"rulegrad: error: --at gives '\\u03b3', which the expression does not use\n"
    )


# --- plugins that print ---------------------------------------------------------------------

CHATTY = """
import rulegrad as rg
print("chatty: importing")

def noisy(x):
    print("chatty: evaluating", x)
    return 2.0 * x

def register(registry):
    print("chatty: registering")
    rg.define_op("chatty_double", forward=noisy, partials=lambda out, x: (2.0,),
                 registry=registry)
    rg.define_op("chatty_global", forward=noisy, partials=lambda out, x: (2.0,))
"""


@pytest.fixture(scope="module")
def chatty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin that prints to stdout at import, in register, and when its op runs."""
    site = tmp_path_factory.mktemp("chatty") / "site"
    info = site / "chatty-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: chatty\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[rulegrad.plugins]\nchatty = chatty:register\n")
    (site / "chatty.py").write_text(textwrap.dedent(CHATTY))
    return site


def with_plugin(site: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = environment(PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    del env[DISABLE_AUTOLOAD]
    return subprocess.run([sys.executable, "-m", "rulegrad", *argv], capture_output=True,
                          text=True, env=env, cwd=site, timeout=300, check=False)  # fmt: skip


def test_a_printing_plugin_leaves_ops_json_one_document(chatty: Path) -> None:
    done = with_plugin(chatty, "ops", "--json")
    assert done.returncode == 0, done.stderr
    records = {record["name"]: record for record in json.loads(done.stdout)}
    assert (
        records["chatty_double"]["source"]
        == records["chatty_global"]["source"]
        == ("plugin chatty 0.1")
    )
    assert done.stderr == "chatty: importing\nchatty: registering\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["chatty_double(x) + x", "--at", "x=1.5"],
        ["x * y", "--at", "x=1.5", "y=2"],  # loads the plugin too: is `x` an op's name?
        ["x", "--at", "x=1", "--hessian"],
    ],
)
def test_a_printing_plugin_leaves_grad_json_one_document(chatty: Path, argv: list[str]) -> None:
    done = with_plugin(chatty, "grad", *argv, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["expression"] == argv[0]
    assert done.stderr.startswith("chatty: importing\nchatty: registering\n")


def test_a_printing_plugin_leaves_the_tables_alone(chatty: Path) -> None:
    done = with_plugin(chatty, "check", "chatty_double")
    assert done.returncode == 0, done.stderr
    assert "chatty" not in done.stdout.replace("chatty_double", "").replace("plugin chatty", "")
    assert "chatty: evaluating" in done.stderr


# --- in process -----------------------------------------------------------------------------


class Ascii(io.TextIOWrapper):
    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="ascii")


@pytest.fixture
def greek_op(monkeypatch: pytest.MonkeyPatch) -> rg.Op:
    op = rg.Op("\u03c3\u03ba", forward=lambda x: 2.0 * x, partials=lambda out, x: (2.0,))
    monkeypatch.setitem(rg.registry._ops, op.name, op)
    monkeypatch.setenv(DISABLE_AUTOLOAD, "1")
    return op


@pytest.mark.parametrize("argv", [["ops"], ["check", "\u03c3\u03ba"], ["check"]])
def test_a_table_with_a_name_the_encoding_lacks_is_one_line(
    greek_op: rg.Op,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if argv == ["check"]:  # all of the catalogue: keep it to the one op
        monkeypatch.setattr(rg.registry, "_ops", {greek_op.name: greek_op})
    monkeypatch.setattr(sys, "stdout", Ascii())
    assert main(argv) == 74
    err = capsys.readouterr().err
    assert err.startswith("rulegrad: error: stdout's encoding (ascii) cannot represent ")
    assert "(U+03C3)" in err and err.count("\n") == 1


def test_ops_json_shows_any_name_in_ascii(
    greek_op: rg.Op, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdout = Ascii()
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["ops", "--json"]) == 0
    stdout.flush()
    buffer = stdout.buffer
    assert isinstance(buffer, io.BytesIO)
    names = [record["name"] for record in json.loads(buffer.getvalue().decode("ascii"))]
    assert greek_op.name in names


def test_a_bug_is_one_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rulegrad.cli import ops

    def run(args: object, out: object) -> int:
        raise RecursionError("maximum recursion depth exceeded\nin comparison")

    monkeypatch.setattr(ops, "run", run)
    assert main(["ops"]) == 70
    assert capsys.readouterr().err == (
        "rulegrad: error: unexpected RecursionError (a bug, please report it): maximum "
        "recursion depth exceeded in comparison\n"
    )


def test_an_interrupt_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rulegrad.cli import ops

    def run(args: object, out: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(ops, "run", run)
    assert main(["ops"]) == 130
    assert capsys.readouterr().err == "rulegrad: interrupted\n"


def test_what_a_command_prints_outside_its_result_goes_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rulegrad.cli import ops

    def run(args: object, out: Output) -> int:
        print("chatter")  # as a plugin would, at import or in register
        print("[]", file=out)
        return 0

    monkeypatch.setattr(ops, "run", run)
    assert main(["ops", "--json"]) == 0
    assert capsys.readouterr() == ("[]\n", "chatter\n")


def test_a_warning_made_an_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rulegrad.cli import ops
    from rulegrad.plugins import PluginWarning

    def run(args: object, out: Output) -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # as `python -W error -m rulegrad` would
            warnings.warn(PluginWarning("p", "p 1.0", "register() raised\nKeyError"), stacklevel=1)
        return 0

    monkeypatch.setattr(ops, "run", run)
    assert main(["ops"]) == 1
    assert capsys.readouterr().err == (
        "rulegrad: error: rulegrad plugin 'p' (p 1.0) skipped: register() raised KeyError\n"
    )


def test_python_dash_w_error_with_a_broken_plugin(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[rulegrad.plugins]\nbroken = broken:register\n")
    (site / "broken.py").write_text("import sys\nsys.exit('no config')\n")
    env = environment(PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    del env[DISABLE_AUTOLOAD]
    done = subprocess.run([sys.executable, "-W", "error", "-m", "rulegrad", "ops"],
                          capture_output=True, text=True, env=env, cwd=site, timeout=300,
                          check=False)  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "rulegrad: error: rulegrad plugin 'broken' (broken 0.1) skipped: importing it "
        "failed: SystemExit: no config\n"
    )
