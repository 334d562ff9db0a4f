"""micrograd's two-moons demo, on rulegrad: the same network, loss and training loop.

Written the way micrograd's demo notebook is written: only the imports differ, plus
`make_moons` from `rulegrad.nn` instead of scikit-learn's and `rg.sum` for one-node sums.
Run it with `python examples/micrograd_demo.py [--steps N] [--batch-size B]`.
"""

from __future__ import annotations

import argparse
import random
import time

import rulegrad as rg
from rulegrad import Value
from rulegrad.nn import MLP, make_moons


def main(steps: int = 100, batch_size: int | None = None, seed: int = 1) -> float:
    """Train as micrograd's demo does and return the final training accuracy."""
    random.seed(seed)  # micrograd seeds the global generator; MLP draws its weights from it
    x, y = make_moons(100, noise=0.1)  # micrograd's X, lowercase for the linter
    y = [yi * 2 - 1 for yi in y]  # labels -1 / +1 for the max-margin loss

    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    print(describe(model))

    def loss(batch_size: int | None = None) -> tuple[Value, float]:
        # inline DataLoader :)
        if batch_size is None:
            xb, yb = x, y
        else:
            ri = random.sample(range(len(x)), batch_size)
            xb, yb = [x[i] for i in ri], [y[i] for i in ri]
        inputs = [list(map(Value, xrow)) for xrow in xb]

        # forward the model to get scores; forward() is the typed call that always gives a list
        scores = [model.forward(row)[0] for row in inputs]

        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores, strict=True)]
        data_loss = rg.sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * rg.sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores, strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    total_loss, acc = loss()
    print(f"before training: loss {total_loss.data:.4f}, accuracy {acc * 100:.0f}%")

    # optimization
    start = time.perf_counter()
    for k in range(steps):
        # forward
        total_loss, acc = loss(batch_size)

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        if k % 10 == 0 or k == steps - 1:
            print(f"step {k} loss {total_loss.data:.4f}, accuracy {acc * 100:.0f}%")
    elapsed = time.perf_counter() - start

    _, final = loss()
    print(f"final accuracy {final * 100:.0f}% ({1000 * elapsed / max(steps, 1):.1f} ms per step)")
    return final


def describe(model: MLP) -> str:
    """One line a reader can check: `MLP 2-16-16-1 (ReLU, ReLU, linear), 337 parameters`.

    (micrograd's demo prints the model's repr, one entry per neuron: 1.5 KB on one line.)
    """
    sizes = [len(model.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in model.layers]
    kinds = ["ReLU" if layer.neurons[0].nonlin else "linear" for layer in model.layers]
    shape = "-".join(map(str, sizes))
    return f"MLP {shape} ({', '.join(kinds)}), {len(model.parameters())} parameters"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps (100)")
    parser.add_argument("--batch-size", type=int, default=None, help="minibatch size (all)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random module (1)")
    args = parser.parse_args()
    main(args.steps, args.batch_size, args.seed)
