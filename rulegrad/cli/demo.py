"""`rulegrad demo`: train micrograd's two-moons network and watch it learn.

The data (two interleaving half circles, 100 points with noise 0.1) and the network
(`MLP(2, [16, 16, 1])`, max-margin loss plus 1e-4 L2, SGD with a learning rate decaying from
1.0 to 0.1) are those of micrograd's demo. `--plot PATH` also draws the decision boundary,
with matplotlib (the optional extra `plot`: `pip install -e '.[plot]'` in a checkout).

With NumPy installed, the loss over the points is `rg.vmap` of the loss at one point: its
`rg.sum` is one node of the graph, computed as array code, and training is several times
faster with the same numbers (to rounding). Without NumPy, or with `--graph`, every point
builds its own nodes, as in micrograd.

>>> from rulegrad.cli import main
>>> main(["demo", "--steps", "2", "--points", "10"])  # doctest: +ELLIPSIS
two moons: 10 points, noise 0.1, seed 0; MLP 2-16-16-1 with 337 parameters; ...
step 0/2  loss ...  accuracy ...%
step 1/2  loss ...  accuracy ...%
final accuracy ...% after 2 steps in ... s (... ms per step)
0
"""

from __future__ import annotations

import argparse
import operator
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from rulegrad.batching import vmap
from rulegrad.batching._backend import numpy_module
from rulegrad.cli._common import CliError, Commands, Output
from rulegrad.kernel import Value
from rulegrad.nn import MLP, SGD, functional_call, l2_penalty, make_moons, svm_loss
from rulegrad.ops import relu
from rulegrad.ops import sum as rg_sum

__all__ = ["add_parser", "run"]

WIDTHS: Final = (16, 16, 1)  # micrograd's demo network, on 2 inputs
ALPHA: Final = 1e-4  # the L2 weight of micrograd's demo
# A checkout installs the `plot` extra; anywhere else matplotlib is all it takes.
_INSTALL: Final = "pip install matplotlib (in a rulegrad checkout: pip install -e '.[plot]')"

Point = tuple[float, float]


def add_parser(commands: Commands) -> None:
    """Register `demo` and its options with the `rulegrad` command line."""
    parser = commands.add_parser(
        "demo",
        help="train micrograd's two-moons MLP and print its progress",
        description="Train an MLP(2, [16, 16, 1]) on two-moons data with the max-margin "
        "loss and SGD, as micrograd's demo does, printing loss and accuracy as it goes.",
    )
    parser.add_argument("--steps", type=_at_least(1), default=100, help="training steps (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and weights (0)")
    parser.add_argument("--points", type=_at_least(2), default=100, help="data points (100)")
    parser.add_argument("--noise", type=_noise, default=0.1, help="noise std. dev. (0.1)")
    parser.add_argument(
        "--graph",
        action="store_true",
        help="build the graph point by point, as without NumPy (rather than rg.vmap)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PATH",
        help="draw the decision boundary (needs matplotlib: the plot extra)",
    )


def run(args: argparse.Namespace, out: Output) -> int:
    """Train, printing progress; returns 0."""
    steps: int = args.steps
    plot: Path | None = args.plot
    save = _plotter(plot) if plot is not None else None  # fail before training, not after
    rng = random.Random(args.seed)
    points, classes = make_moons(args.points, noise=args.noise, rng=rng)
    labels = [2 * c - 1 for c in classes]  # the max-margin loss wants -1 / +1
    model = MLP(2, WIDTHS, rng=rng)
    params = model.parameters()
    optimizer = SGD(params, lr=1.0)
    batched = None if args.graph else _batched_loss(model, points, labels)
    how = "the graph, point by point" if batched is None else "rg.vmap over the points (NumPy)"
    print(
        f"two moons: {len(points)} points, noise {args.noise:g}, seed {args.seed}; "
        f"MLP {'-'.join(map(str, (2, *WIDTHS)))} with {len(params)} parameters; "
        f"training through {how}",
        file=out,
        flush=True,
    )
    every = max(1, steps // 10)
    start = time.perf_counter()
    for k in range(steps):
        shown = k % every == 0 or k == steps - 1
        if batched is None:
            point_scores = [model.forward(p)[0] for p in points]
            loss = svm_loss(point_scores, labels) + l2_penalty(params, ALPHA)
            scores = [s.data for s in point_scores]
        else:
            loss = batched.loss() + l2_penalty(params, ALPHA)
            scores = batched.scores() if shown else []
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = 1.0 - 0.9 * k / steps
        optimizer.step()
        if shown:
            accuracy = _accuracy(scores, labels)
            line = f"step {k}/{steps}  loss {loss.data:.4f}  accuracy {accuracy:.1%}"
            print(line, file=out, flush=True)
    elapsed = time.perf_counter() - start
    predict = _predictor(model)
    accuracy = _accuracy([predict(p) for p in points], labels)
    print(
        f"final accuracy {accuracy:.1%} after {steps} steps in {elapsed:.2f} s "
        f"({1000 * elapsed / steps:.1f} ms per step)",
        file=out,
    )
    if save is not None and plot is not None:
        save(points, classes, predict, f"final accuracy {accuracy:.1%}")
        print(f"decision boundary written to {plot}", file=out)
    return 0


class _Batched:
    """The demo's data loss through `rg.vmap`: the hinge loss written for one point, mapped
    over the points with the model's own parameter `Value`s broadcast, so that `rg.sum` of
    the batch is one node of their graph."""

    def __init__(self, model: MLP, points: Sequence[Point], labels: Sequence[int]) -> None:
        import numpy as np

        self.model = model
        self.named = dict(model.named_parameters())
        self.points = np.asarray(points, dtype=np.float64)
        self.labels = np.asarray(labels, dtype=np.float64)

        def score(params: dict[str, float], x: list[float]) -> float:
            return functional_call(model, params, x)[0]

        def hinge(params: dict[str, float], x: list[float], y: float) -> float:
            return relu(1.0 - y * score(params, x))

        self._hinge = vmap(hinge, in_axes=(None, 0, 0))
        self._score = vmap(score, in_axes=(None, 0))

    def loss(self) -> Value:
        """The mean hinge loss, as svm_loss computes it, as one node over the parameters."""
        total = rg_sum(self._hinge(self.named, self.points, self.labels))
        return total / len(self.labels)  # type: ignore[no-any-return]

    def scores(self) -> list[float]:
        """The model's score at every point, for the accuracy."""
        values = self._score(self.model.parameter_dict(), self.points)
        return [float(s) for s in values]


def _batched_loss(model: MLP, points: Sequence[Point], labels: Sequence[int]) -> _Batched | None:
    """The loss through rg.vmap, or None without NumPy (the graph is built point by point)."""
    if numpy_module() is None:
        return None
    return _Batched(model, points, labels)


def _accuracy(scores: Sequence[float], labels: Sequence[int]) -> float:
    return sum((s > 0) == (y > 0) for s, y in zip(scores, labels, strict=True)) / len(labels)


def _predictor(model: MLP) -> Callable[[Point], float]:
    """The trained model as a plain float function: the plot evaluates it thousands of
    times, and building a graph for each call would be wasted work."""
    layers = [
        [([w.data for w in n.w], n.b.data, n.nonlin) for n in layer.neurons]
        for layer in model.layers
    ]

    def predict(point: Point) -> float:
        xs: list[float] = list(point)
        for layer in layers:
            out: list[float] = []
            for ws, b, nonlin in layer:
                act = sum(map(operator.mul, ws, xs), b)
                out.append(max(act, 0.0) if nonlin else act)
            xs = out
        return xs[0]

    return predict


Saver = Callable[[Sequence[Point], Sequence[int], Callable[[Point], float], str], None]


def _plotter(path: Path) -> Saver:
    """A function that draws the decision boundary to `path`, once matplotlib and the path
    have been checked (so a missing extra or a bad path fails before any training)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise CliError(f"--plot needs matplotlib: {_INSTALL}") from None
    kinds = FigureCanvasAgg(Figure()).get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in kinds:
        raise CliError(f"--plot: cannot write {suffix or 'no'!r} files; use .png, .svg or .pdf")
    if not path.parent.is_dir():
        raise CliError(f"--plot: no directory {str(path.parent)!r} to write {path.name!r} in")

    def save(
        points: Sequence[Point],
        classes: Sequence[int],
        predict: Callable[[Point], float],
        title: str,
    ) -> None:
        # The object-oriented API with an Agg canvas: no pyplot, no global backend switch.
        figure = Figure(figsize=(5.0, 4.0))
        FigureCanvasAgg(figure)
        axes = figure.subplots()
        xs, ys = _grid([p[0] for p in points]), _grid([p[1] for p in points])
        scores = [[predict((x, y)) for x in xs] for y in ys]
        sides = [[float(s > 0.0) for s in row] for row in scores]
        axes.contourf(xs, ys, sides, levels=[-0.5, 0.5, 1.5], colors=["#a9cbe8", "#f4c7a1"])
        axes.contour(xs, ys, scores, levels=[0.0], colors="black", linewidths=0.8)
        for c, colour in ((0, "#1f5f9e"), (1, "#c2571a")):
            mine = [p for p, k in zip(points, classes, strict=True) if k == c]
            axes.scatter([p[0] for p in mine], [p[1] for p in mine], s=14, color=colour)
        axes.set_title(f"rulegrad demo: {title}")
        try:
            figure.savefig(path)
        except OSError as error:
            raise CliError(f"--plot: cannot write {str(path)!r}: {error.strerror}") from None

    return save


def _grid(values: Sequence[float], count: int = 80) -> list[float]:
    """`count` evenly spaced numbers covering `values` with a margin of 1 on each side."""
    low, high = min(values) - 1.0, max(values) + 1.0
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {number}")
        return number

    return parse


def _noise(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= number < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return number
