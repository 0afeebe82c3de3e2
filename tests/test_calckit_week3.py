"""Week 3's helpers: the lecture network's backpropagation against finite differences and sympy,
and the widgets' update functions headless."""
import numpy as np
import pytest
import sympy as sp

from calckit.network import Network, d_sigma, finite_difference_gradient, flatten, sigma
from calckit.neurons import TARGETS, NeuronExplorer, TrainingExplorer, neuron_readout, training_readout


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


@pytest.mark.parametrize("lowest, bottom", [(9.5e-6, 1e-6), (3e-7, 1e-7), (1e-5, 1e-5), (2e-3, 1e-5)])
def test_training_explorer_cost_axis_reaches_below_the_lowest_cost(lowest, bottom):
    # On "wave" at rate 5 the cost falls below 1e-5 (the axis's first lower end) after about 19,500
    # steps, too many to train here: the explorer's history is given that low cost instead, and the
    # axis must extend to the decade below it (or stay at 1e-5 if the cost never went lower).
    explorer = TrainingExplorer("wave")
    explorer.train(20, 5.0)
    explorer.history.append(lowest)
    explorer.update(5.0)
    low, high = explorer.ax_cost.get_ylim()
    assert low == pytest.approx(bottom) and high == 1.0 and low <= min(explorer.history)
    assert explorer.live.png().startswith(b"\x89PNG")
    explorer.reset()
    assert explorer.ax_cost.get_ylim() == pytest.approx((1e-5, 1.0)) and explorer.ax_cost.get_xlim() == (0, 1000)


# Every slider of the neuron explorer runs over [-5, 5] in steps of 0.1: all the special values (w = 0,
# one weight 0, the ends) and a random sample of the rest, each against the closed form a = 1/(1 + e^-z).
SLIDER = np.round(np.arange(-50, 51) / 10, 1)
SPECIAL = [-5.0, -0.1, 0.0, 0.1, 5.0]
_rng = np.random.default_rng(3)
NEURON_GRID = sorted({(w1, w2, b) for w1 in SPECIAL for w2 in SPECIAL for b in (-5.0, -1.3, 0.0, 2.4, 5.0)}
                     | {tuple(float(v) for v in _rng.choice(SLIDER, 3)) for _ in range(200)})


def closed_form(w1, w2, b, x1, x2):
    return 1.0 / (1.0 + np.exp(-(w1 * x1 + w2 * x2 + b)))


def test_neuron_explorer_readout_is_true_on_every_slider():
    explorer = NeuronExplorer()
    dense = np.linspace(-3, 3, 121)
    D1, D2 = np.meshgrid(dense, dense)
    flat, in_view, out_of_view = 0, 0, 0
    for w1, w2, b in NEURON_GRID:
        r = explorer.update(w1=w1, w2=w2, b=b)
        text = neuron_readout(r)
        assert r["output_at_origin"] == pytest.approx(1 / (1 + np.exp(-b)), rel=1e-12)
        values = closed_form(w1, w2, b, D1, D2)
        low, high = r["output_range"]
        assert low == pytest.approx(values.min(), abs=1e-12) and high == pytest.approx(values.max(), abs=1e-12)
        crosses = values.min() <= 0.5 <= values.max() and (w1, w2) != (0.0, 0.0)
        assert r["line_in_view"] == crosses, (w1, w2, b)
        if (w1, w2) == (0.0, 0.0):
            flat += 1
            assert "w = 0" in text and "black line" not in text and explorer.line.get_data()[0] == []
            continue
        # the slope of a where it crosses 1/2, by central differences of the closed form along w
        norm = np.hypot(w1, w2)
        foot, unit, h = -b / norm**2 * np.array([w1, w2]), np.array([w1, w2]) / norm, 1e-5
        slope = (closed_form(w1, w2, b, *(foot + h * unit)) - closed_form(w1, w2, b, *(foot - h * unit))) / (2 * h)
        assert r["steepness"] == pytest.approx(slope, rel=1e-6)
        assert f"{r['steepness']:.3f}" in text and f"{low:.3f}" in text and f"{high:.3f}" in text
        if crosses:
            in_view += 1
            assert "black line" in text and "outside" not in text
        else:
            out_of_view += 1
            assert "outside this view" in text and "black line" not in text
        # the drawn line is where z = 0; the arrow has length 1 along w
        xs, ys = (np.asarray(v) for v in explorer.line.get_data())
        np.testing.assert_allclose(w1 * xs + w2 * ys + b, 0.0, atol=1e-9)
        tip, tail = np.array(explorer.arrow.xy), np.array(explorer.arrow.get_position())
        np.testing.assert_allclose(tip - tail, unit, atol=1e-12)
    assert flat >= 5 and in_view >= 50 and out_of_view >= 20     # every kind of position was visited


@pytest.mark.parametrize("target", list(TARGETS))
def test_training_readout_reports_the_cost_of_the_weights_it_shows(target):
    explorer = TrainingExplorer(target)
    for rate in (0.01, 2.0, 19.9):
        r = explorer.train(20, rate)
        # the cost of the explorer's current weights, computed here from the target's formula
        a = explorer.inputs
        for W, b in zip(explorer.network.weights, explorer.network.biases):
            a = 1 / (1 + np.exp(-(W @ a + b)))
        target_values = TARGETS[target](np.linspace(0, 1, 40))
        independent = np.sum((a[0] - target_values) ** 2) / 40
        assert r["cost"] == pytest.approx(independent, rel=1e-10)
        text = training_readout(r, rate)
        assert f"after {r['steps']} steps" in text and f"{independent:.4g}" in text and f"{rate:.3g}" in text
