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
        forward, central, *caution = box.children[2].value.split("<br>")
        assert forward.startswith("forward: ") and central.startswith("central: ")
        assert all(line.startswith("caution: ") for line in caution) and len(caution) <= 1


# --- Readouts against independent computations, over every slider and every function ------------------

SECANT_X0 = np.linspace(-2.5, 2.5, 101)          # the secant widget's x0 slider: step 0.05
SECANT_H = [1e-4, 1e-3, 1e-2, 0.1, 1.0, 10**0.3]  # its log slider's range, 1e-4 to 10^0.3
STEP_X0 = np.linspace(-2.0, 2.0, 41)              # the step-size widget's x0 slider: step 0.1


def _sympy_derivatives(name, orders=(1, 2, 3)):
    x = sp.Symbol("x")
    expr = sp.sympify(EXAMPLES[name].expr)
    return [sp.lambdify(x, sp.diff(expr, x, k), "mpmath") for k in orders], sp.lambdify(x, expr, "mpmath")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_secant_readout_says_how_the_error_shrinks_everywhere_on_its_sliders(name):
    """The readout says 'in proportion to h' where f''(x0) != 0 and 'like h^2' where f''(x0) = 0
    (sin and x^3 - 2x at 0, the sigmoid at 0, log(1 + x^2) at +-1). Checked against the order
    measured from secant slopes at h = 1e-3 and 1e-4 with sympy's derivative (in 30-digit
    arithmetic, so rounding cannot fake an order), and the printed error against sympy's."""
    import mpmath
    mpmath.mp.dps = 30
    (d1, d2, d3), f = _sympy_derivatives(name)
    explorer = calckit.SecantExplorer(name)
    from calckit.secant import secant_readout
    seen = set()
    for x0 in SECANT_X0:
        exact = d1(mpmath.mpf(x0))
        slope = lambda h: (f(mpmath.mpf(x0) + h) - f(mpmath.mpf(x0))) / h
        err = [abs(slope(mpmath.mpf(h)) - exact) for h in (1e-3, 1e-4)]
        measured = float(mpmath.log10(err[0] / err[1]))
        for h in SECANT_H:
            r = explorer.update(h=h, x0=float(x0))
            assert r["error"] == pytest.approx(float(slope(mpmath.mpf(h)) - exact), rel=1e-6, abs=1e-10)
            text = secant_readout(r)
            if "in proportion to h" in text:
                assert abs(measured - 1) < 0.1, (x0, measured)
                assert r["coefficient"] == pytest.approx(float(d2(mpmath.mpf(x0))) / 2, rel=1e-9)
            else:
                assert "like h²" in text and abs(measured - 2) < 0.1, (x0, measured, text)
                assert abs(float(d2(mpmath.mpf(x0)))) < 1e-12
                assert r["coefficient"] == pytest.approx(float(d3(mpmath.mpf(x0))) / 6, rel=1e-9)
                seen.add(round(float(x0), 6))
    inflections = {"sin(x)": {0.0}, "x**3 - 2*x": {0.0}, "sigmoid(x)": {0.0},
                   "log(1 + x**2)": {-1.0, 1.0}, "exp(x)": set()}
    assert seen == inflections[name]


def _independent_errors(name, x0):
    """Forward and central errors computed here (not by calckit), against sympy's f'(x0)
    rounded to the nearest double."""
    import mpmath
    mpmath.mp.dps = 30
    (d1,), _ = _sympy_derivatives(name, orders=(1,))
    ex = EXAMPLES[name]
    exact = float(d1(mpmath.mpf(float(x0))))
    forward = np.abs((ex.f(x0 + STEPS) - ex.f(x0)) / STEPS - exact)
    central = np.abs((ex.f(x0 + STEPS) - ex.f(x0 - STEPS)) / (2 * STEPS) - exact)
    return forward, central


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_step_size_readout_names_exact_steps_before_any_best_step(name):
    """Where some steps give error 0 (sin at 0: every h up to 2e-8), the readout says so and
    does not call a larger step with a non-zero error 'best'; where none does, the 'best h' it
    names is the step with the smallest error. Errors are recomputed here."""
    from calckit.step_size import step_size_readout
    explorer = calckit.StepSizeExplorer(name)
    for x0 in STEP_X0:
        text = step_size_readout(explorer.update(x0=float(x0)))
        for scheme, errors in zip(("forward", "central"), _independent_errors(name, x0)):
            line = next(l for l in text.split("<br>") if l.startswith(scheme + ":"))
            exact = int(np.count_nonzero(errors == 0))
            if exact == len(STEPS):
                assert "exact (error 0) at every step" in line
            elif exact:
                assert f"exact (error 0) at {exact} of the {len(STEPS)} steps" in line, (x0, line)
                assert "best h" not in line
            else:
                assert f"best h ≈ {STEPS[errors.argmin()]:.1e}" in line, (x0, line)
                assert f"error {errors.min():.1e}" in line


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_step_size_readout_warns_wherever_errors_sit_above_the_model(name):
    """Wherever the measured errors near the model's best step sit above the model's minimum
    (median over steps within 3x of it more than 1.5x the minimum: x^3 - 2x at +-1.4, where
    f is computed by cancelling terms), the readout gives a caution or says the model does not
    apply. The model is recomputed here from sympy's derivatives."""
    import mpmath
    mpmath.mp.dps = 30
    (d2, d3), f = _sympy_derivatives(name, orders=(2, 3))
    from calckit.step_size import step_size_readout
    explorer = calckit.StepSizeExplorer(name)
    warned = []
    for x0 in STEP_X0:
        text = step_size_readout(explorer.update(x0=float(x0)))
        fx, f2, f3 = (abs(float(g(mpmath.mpf(float(x0))))) for g in (f, d2, d3))
        for scheme, errors in zip(("forward", "central"), _independent_errors(name, x0)):
            if min(fx, f2 if scheme == "forward" else f3) < 1e-9:
                line = next(l for l in text.split("<br>") if l.startswith(scheme))
                assert "model does not apply" in line or "exact (error 0) at every step" in line
                continue
            if scheme == "forward":
                h_star, floor = 2 * np.sqrt(EPS * fx / f2), 2 * np.sqrt(EPS * fx * f2)
            else:
                h_star = np.cbrt(3 * EPS * fx / f3)
                floor = h_star**2 / 6 * f3 + EPS * fx / h_star
            near = (STEPS > h_star / 3) & (STEPS < 3 * h_star)
            if np.median(errors[near]) > 1.5 * floor:
                assert "caution: f is computed by cancelling terms" in text, (x0, scheme, text)
                warned.append(round(float(x0), 6))
    if name == "x**3 - 2*x":
        assert {-1.4, 1.4} <= set(warned)


def _slider_values(low, high, step):
    return low + step * np.arange(int(round((high - low) / step)) + 1)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_secant_far_point_stays_on_the_panel_over_the_whole_sliders(name):
    """Every position of the secant widget's sliders (h = 10**k, k from -4 to 0.3 in steps of 0.05;
    x0 from -2.5 to 2.5 in steps of 0.05) keeps both points of the secant inside the axes."""
    import ipywidgets as widgets
    box = calckit.secant_explorer(name, x0=1.0)
    sliders = [w for w in box.children[0].children if isinstance(w, (widgets.FloatLogSlider, widgets.FloatSlider))]
    h_slider = next(w for w in sliders if isinstance(w, widgets.FloatLogSlider))
    x_slider = next(w for w in sliders if not isinstance(w, widgets.FloatLogSlider))
    hs = 10.0 ** _slider_values(h_slider.min, h_slider.max, h_slider.step)
    x0s = _slider_values(x_slider.min, x_slider.max, x_slider.step)
    explorer = calckit.SecantExplorer(name)
    (x_low, x_high), (y_low, y_high) = explorer.ax.get_xlim(), explorer.ax.get_ylim()
    f = sp.lambdify(sp.Symbol("x"), sp.sympify(EXAMPLES[name].expr), "numpy")   # independent of calckit
    far_x = (x0s[:, None] + hs[None, :]).ravel()
    assert x_low <= far_x.min() and far_x.max() <= x_high, (far_x.max(), x_high)
    assert np.all((y_low <= f(far_x)) & (f(far_x) <= y_high))
    assert np.all((y_low <= f(x0s)) & (f(x0s) <= y_high)) and x_low <= x0s.min()
    explorer.update(h=float(hs[-1]), x0=float(x0s[-1]))   # the farthest corner: drawn where expected
    px, py = explorer.points.get_data()
    assert px[1] == pytest.approx(x0s[-1] + hs[-1]) and py[1] == pytest.approx(f(x0s[-1] + hs[-1]))


def test_secants_to_tangent_styles_match_the_lecture_caption():
    """Lecture 1's caption: h = 1.5 dash-dot with squares, 0.75 dotted with triangles, 0.3
    dash-dot-dot with diamonds, the tangent dashed; every line's dash pattern differs, and the
    y-axis is labelled."""
    fig = calckit.plot_secants_to_tangent("sin(x)", 1.0, hs=(1.5, 0.75, 0.3))
    ax = fig.axes[0]
    lines = [l for l in ax.get_lines() if len(l.get_xdata()) > 2]
    markers = {l.get_marker() for l in ax.get_lines() if len(l.get_xdata()) == 1}
    assert {"s", "^", "D"} <= markers
    dashes = [l._unscaled_dash_pattern[1] for l in lines]   # (offset, on-off sequence) before scaling by width
    curve, s1, s2, s3, tangent = dashes
    assert curve is None                                     # solid
    assert len(s1) == 4 and s1[0] > s1[2]                    # dash-dot: one long and one short dash
    assert len(s2) == 2 and s2[0] < 2                        # dotted
    assert len(s3) == 6 and s3[0] > s3[2] == s3[4]           # dash-dot-dot: one long, two short
    assert len(tangent) == 2 and tangent[0] >= 2             # dashed
    assert len({None if d is None else tuple(d) for d in dashes}) == 5
    assert ax.get_ylabel()
