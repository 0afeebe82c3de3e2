"""Week 3's helpers: the lecture network's backpropagation against finite differences and sympy,
and the widgets' update functions headless."""
import numpy as np
import pytest
import sympy as sp

from calckit.network import Network, d_sigma, finite_difference_gradient, flatten, sigma
from calckit.neurons import TARGETS, NeuronExplorer, TrainingExplorer


def test_sigma_and_its_derivative_match_sympy_and_do_not_overflow():
    z = sp.Symbol("z")
    logistic = 1 / (1 + sp.exp(-z))
    grid = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigma(grid), sp.lambdify(z, logistic, "numpy")(grid), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(d_sigma(grid), sp.lambdify(z, sp.diff(logistic, z), "numpy")(grid),
                               rtol=1e-9, atol=1e-300)
    with np.errstate(over="raise"):
        assert sigma(np.array([-1000.0]))[0] == 0.0 and sigma(np.array([1000.0]))[0] == 1.0


@pytest.mark.parametrize("sizes", [[1, 1], [3, 4, 2], [2, 5, 3, 2], [4, 1, 6, 3, 1]])
def test_backpropagation_matches_finite_differences(sizes):
    rng = np.random.default_rng(len(sizes))
    net = Network(sizes, seed=7)
    x, y = rng.normal(size=(sizes[0], 9)), rng.uniform(size=(sizes[-1], 9))
    dW, db = net.backpropagate(x, y)
    assert [g.shape for g in dW] == [W.shape for W in net.weights]
    assert [g.shape for g in db] == [b.shape for b in net.biases]
    g, fd = flatten(dW, db), finite_difference_gradient(net, x, y)
    assert np.linalg.norm(g - fd) / (np.linalg.norm(g) + np.linalg.norm(fd)) < 1e-8


def test_training_lowers_the_cost_and_the_parameter_count_is_right():
    net = Network([1, 6, 7, 2], seed=1)
    assert net.parameters == 77 == net.flat().size
    x = np.linspace(-3, 3, 30)[None, :]
    y = np.vstack([sigma(x[0]), 1 - sigma(2 * x[0])])
    before = net.cost(x, y)
    for _ in range(500):
        net.step(x, y, 5.0)
    assert net.cost(x, y) < before / 5


def test_neuron_explorer_line_and_output():
    explorer = NeuronExplorer()
    r = explorer.update(w1=2.0, w2=-1.0, b=0.5)
    assert r["output_at_origin"] == pytest.approx(1 / (1 + np.exp(-0.5)))
    assert r["steepness"] == pytest.approx(np.sqrt(5) / 4)
    xs, ys = explorer.line.get_data()
    np.testing.assert_allclose(2.0 * np.asarray(xs) - np.asarray(ys) + 0.5, 0.0, atol=1e-12)  # z = 0 there
    assert explorer.live.png().startswith(b"\x89PNG")


@pytest.mark.parametrize("target", list(TARGETS))
def test_training_explorer_trains_in_steps_and_resets(target):
    explorer = TrainingExplorer(target)
    start = explorer.update()["cost"]
    r = explorer.train(400, 2.0)
    assert r["steps"] == 400 and len(r["history"]) == 401 and r["cost"] < start / 2
    assert explorer.reset()["steps"] == 0 and explorer.update()["cost"] == pytest.approx(start)
    explorer.train(1200, 2.0)                       # past the cost axis: it grows
    assert explorer.ax_cost.get_xlim()[1] >= 1200
    assert explorer.live.png().startswith(b"\x89PNG")
