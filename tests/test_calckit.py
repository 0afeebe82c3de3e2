"""The lecture helpers: hand-written derivatives against sympy, widget updates headless."""
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar

import calckit
from calckit import EXAMPLES, difference_errors, optimal_steps, predicted_errors, secant_slope
from calckit.step_size import EPS, STEPS

GRID = np.linspace(-2.5, 2.5, 41)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_catalogue_derivatives_match_sympy(name):
    ex = EXAMPLES[name]
    x = sp.Symbol("x")
    expr = sp.sympify(ex.expr)
    for order, hand_written in enumerate([ex.f, ex.df, ex.d2f, ex.d3f]):
        reference = sp.lambdify(x, sp.diff(expr, x, order), "numpy")
        np.testing.assert_allclose(hand_written(GRID), reference(GRID) + 0 * GRID,
                                   rtol=1e-12, atol=1e-12, err_msg=f"{name}, derivative {order}")


def test_unknown_example_names_the_choices():
    with pytest.raises(KeyError, match="choose one of"):
        calckit.get_example("tan(x)")


def test_secant_slope_of_square_is_2x_plus_h():
    hs = np.array([0.5, 0.1, -0.1])
    np.testing.assert_allclose(secant_slope(lambda t: t**2, 3.0, hs), 6.0 + hs, rtol=1e-12)


def test_secant_explorer_update():
    explorer = calckit.SecantExplorer("exp(x)")
    result = explorer.update(h=0.1, x0=1.0)
    assert result["derivative"] == pytest.approx(np.e)
    assert result["secant_slope"] == pytest.approx((np.exp(1.1) - np.e) / 0.1)
    # Switching the function changes the drawn curve and the numbers.
    result = explorer.update(h=1e-3, x0=0.5, example="sin(x)")
    assert result["derivative"] == pytest.approx(np.cos(0.5))
    assert abs(result["error"]) < 1e-3
    xs, ys = explorer.curve.get_data()
    np.testing.assert_allclose(ys, np.sin(xs))
    assert explorer.live.png().startswith(b"\x89PNG")


def test_difference_errors_follow_taylor_leading_terms():
    hs = np.array([1e-2, 1e-3])
    forward, central = difference_errors(np.exp, np.exp, 0.0, hs)
    # e^h - 1 over h minus 1 = h/2 + ..., and sinh(h)/h - 1 = h^2/6 + ...
    np.testing.assert_allclose(forward, hs / 2, rtol=0.01)
    np.testing.assert_allclose(central, hs**2 / 6, rtol=0.01)


@pytest.mark.parametrize("name", ["sin(x)", "exp(x)", "sigmoid(x)"])
def test_optimal_steps_minimise_the_error_model(name):
    """The closed-form minimisers agree with a numerical minimisation of the model."""
    h_forward, h_central = optimal_steps(name, 0.7)
    for index, closed_form in [(0, h_forward), (1, h_central)]:
        model = lambda log_h: np.log(predicted_errors(name, 0.7, [np.exp(log_h)])[index][0])
        numeric = np.exp(minimize_scalar(model, bounds=(np.log(1e-14), 0), method="bounded",
                                         options={"xatol": 1e-10}).x)
        assert closed_form == pytest.approx(numeric, rel=1e-3)
    assert 1e-9 < h_forward < 1e-6 and 1e-7 < h_central < 1e-3  # near eps^1/2 and eps^1/3


@pytest.mark.parametrize("name", ["sin(x)", "exp(x)", "x**3 - 2*x", "sigmoid(x)"])
@pytest.mark.parametrize("x0", [-1.5, 0.5, 1.7])
def test_measured_valley_agrees_with_model(name, x0):
    """The model bounds the best error reachable, and predicts the best step to within 100x."""
    result = calckit.StepSizeExplorer(name).update(x0=x0)
    predicted = predicted_errors(name, x0)
    assert result["best_forward_error"] <= 2 * predicted[0].min()
    assert result["best_central_error"] <= 2 * predicted[1].min()
    assert 0.01 < result["best_forward_step"] / result["predicted_forward_step"] < 100
    assert 0.01 < result["best_central_step"] / result["predicted_central_step"] < 100
    # and the central difference always beats the forward difference at its best
    assert result["best_central_error"] < result["best_forward_error"]


def test_widgets_build_and_respond_to_controls():
    box = calckit.secant_explorer("sin(x)", x0=1.0)
    controls, image, readout = box.children
    slider = controls.children[0]
    before = image.value
    slider.value = 0.01
    assert bytes(image.value) != bytes(before) and bytes(image.value).startswith(b"\x89PNG")
    assert "-4.2" in readout.value and "e-03" in readout.value  # error = -h sin(1)/2 + O(h^2)

    box = calckit.step_size_explorer("exp(x)", x0=0.0)
    dropdown = box.children[0].children[0]
    dropdown.value = "sin(x)"
    assert "forward" in box.children[2].value and bytes(box.children[1].value).startswith(b"\x89PNG")


def test_where_f_second_derivative_is_zero_the_forward_model_does_not_apply():
    """log(1 + x^2) has an inflection at x = 1 (sympy): the forward difference is second
    order there, its best step near eps^(1/3), far from the first-order model's valley."""
    x = sp.symbols("x")
    assert sp.diff(sp.log(1 + x**2), x, 2).subs(x, 1) == 0
    result = calckit.StepSizeExplorer("log(1 + x**2)").update(x0=1.0)
    assert "second order" in result["forward_caveat"] and result["central_caveat"] is None
    assert np.isnan(result["predicted_forward_step"])
    assert result["best_forward_step"] > 1e-7            # well right of eps^(1/2) ~ 1.5e-8
    assert result["best_forward_error"] < 1e-10          # second-order accuracy, not eps^(1/2)
    box = calckit.step_size_explorer("log(1 + x**2)", x0=1.0)
    assert "forward: best h" in box.children[2].value and "model does not apply" in box.children[2].value


def test_where_f_is_zero_there_is_no_valley():
    """sin at 0: f(x0 ± h) ≈ ±h are rounded relative to h, so the error does not grow as h
    shrinks; the readout says the model does not apply instead of giving a step."""
    result = calckit.StepSizeExplorer("sin(x)").update(x0=0.0)
    assert "no valley" in result["forward_caveat"] and "no valley" in result["central_caveat"]
    assert np.isnan(optimal_steps("sin(x)", 0.0)).all()
    forward, central = difference_errors(np.sin, np.cos, 0.0, STEPS)
    tiny = STEPS <= 1e-8
    assert central[tiny].max() <= 4 * EPS and forward[tiny].max() <= 4 * EPS
    box = calckit.step_size_explorer("sin(x)", x0=0.0)
    assert box.children[2].value.count("model does not apply") == 2


def test_an_exact_difference_everywhere_is_reported_not_a_crash():
    """log(1 + x^2) is even: its central difference at 0 is exactly 0 = f'(0) for every h."""
    result = calckit.StepSizeExplorer("log(1 + x**2)").update(x0=0.0)
    assert result["exact_central_steps"] == len(STEPS) and result["best_central_error"] == 0.0
    assert np.isnan(result["best_central_step"])
    box = calckit.step_size_explorer("log(1 + x**2)", x0=0.0)
    assert "central: exact (error 0) at every step" in box.children[2].value


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_point_of_the_slider_gives_a_readout(name):
    box = calckit.step_size_explorer(name, x0=-2.0)
    slider = box.children[0].children[1]
    for x0 in np.round(np.arange(-2.0, 2.01, 0.1), 10):
        slider.value = float(x0)
        forward, central = box.children[2].value.split("<br>")
        assert forward.startswith("forward: ") and central.startswith("central: ")
