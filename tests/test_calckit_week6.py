"""Week 6's helpers: the weighted line against scipy, the hand-fitting widget headless, and the data."""
import csv

import numpy as np
import pytest
from scipy.optimize import curve_fit

from calckit.regression import LineFitExplorer, weighted_line
from conftest import REPO


def test_weighted_line_and_covariance_match_curve_fit():
    rng = np.random.default_rng(3)
    x = np.linspace(0, 10, 25)
    sigma = rng.uniform(0.5, 2.0, x.size)
    y = 1.7 * x - 3.0 + rng.normal(0, sigma)
    (m, c), cov = weighted_line(x, y, sigma)
    popt, pcov = curve_fit(lambda t, a, b: a * t + b, x, y, sigma=sigma, absolute_sigma=True)
    np.testing.assert_allclose([m, c], popt, rtol=1e-7)
    np.testing.assert_allclose(cov, pcov, rtol=1e-6)


def test_line_fit_explorer_chi_squared_is_smallest_on_the_best_line():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([2.1, 3.9, 6.2, 7.8])
    explorer = LineFitExplorer(x, y, 0.1)
    best = explorer.update()
    assert best["chi2"] == pytest.approx(best["chi2_best"])
    for dm, dc in [(0.05, 0), (0, 0.1), (-0.1, 0.2)]:
        assert explorer.update(explorer.m_best + dm, explorer.c_best + dc)["chi2"] > best["chi2"]
    r = explorer.update(2.0, 0.0)
    assert r["chi2"] == pytest.approx(np.sum(((y - 2 * x) / 0.1) ** 2))
    assert explorer.live.png().startswith(b"\x89PNG")


def test_the_penguin_data_is_the_published_file_minus_two_incomplete_rows():
    rows = list(csv.DictReader((REPO / "course" / "week6_regression" / "penguins.csv").open()))
    assert len(rows) == 342 and list(rows[0]) == ["species", "flipper_length_mm", "body_mass_g"]
    assert rows[0] == {"species": "Adelie", "flipper_length_mm": "181", "body_mass_g": "3750"}
    counts = {s: sum(r["species"] == s for r in rows) for s in ("Adelie", "Chinstrap", "Gentoo")}
    assert counts == {"Adelie": 151, "Chinstrap": 68, "Gentoo": 123}


def test_the_penguin_data_matches_the_file_palmerpenguins_ships():
    from importlib.metadata import distribution

    published = distribution("palmerpenguins").locate_file("palmerpenguins/data/penguins.csv")
    with open(published) as file:
        source = [r for r in csv.DictReader(file) if r["flipper_length_mm"] != "NA" and r["body_mass_g"] != "NA"]
    ours = list(csv.DictReader((REPO / "course" / "week6_regression" / "penguins.csv").open()))
    columns = ["species", "flipper_length_mm", "body_mass_g"]
    assert [[r[c] for c in columns] for r in ours] == [[r[c] for c in columns] for r in source]
    assert (REPO / "source" / "a6_regression" / "penguins.csv").read_bytes() == \
        (REPO / "course" / "week6_regression" / "penguins.csv").read_bytes()


def test_gaussian_and_its_gradient_against_scipy_and_finite_differences():
    from scipy.stats import norm

    from calckit.regression import gaussian, gaussian_gradient

    x = np.linspace(-3, 9, 41)
    np.testing.assert_allclose(gaussian(x, 2.5, 1.7), norm.pdf(x, 2.5, 1.7), rtol=1e-12)
    h = 1e-6
    numeric = np.array([(gaussian(x, 2.5 + h, 1.7) - gaussian(x, 2.5 - h, 1.7)) / (2 * h),
                        (gaussian(x, 2.5, 1.7 + h) - gaussian(x, 2.5, 1.7 - h)) / (2 * h)])
    np.testing.assert_allclose(gaussian_gradient(x, 2.5, 1.7), numeric, atol=1e-9)


def test_histogram_density_has_poisson_errors_and_unit_area():
    from calckit.regression import histogram_density

    values = np.array([1.0, 1.5, 2.2, 2.7, 2.9, 3.5, 5.0])
    edges = np.array([0.0, 2.0, 3.0, 6.0])
    x, y, sigma = histogram_density(values, edges)
    np.testing.assert_allclose(x, [1.0, 2.5, 4.5])
    np.testing.assert_allclose(y, np.histogram(values, edges, density=True)[0])
    np.testing.assert_allclose(sigma, np.sqrt([2, 3, 2]) / (7 * np.diff(edges)))


def test_steepest_descent_reaches_curve_fits_minimum_and_stops_at_sigma_zero():
    from calckit.regression import gaussian, gaussian_descent_path

    rng = np.random.default_rng(5)
    x = np.linspace(-4, 6, 21)
    sigma = np.full(x.size, 0.01)
    y = gaussian(x, 1.2, 1.8) + rng.normal(0, 0.01, x.size)
    best, _ = curve_fit(gaussian, x, y, p0=(1, 2), sigma=sigma, xtol=1e-12, ftol=1e-12)
    path = gaussian_descent_path(x, y, sigma, (0.5, 2.5), 2e-5, 2000)
    assert path.shape == (2001, 2)
    np.testing.assert_allclose(path[-1], best, rtol=1e-6)
    wild = gaussian_descent_path(x, y, sigma, (0.5, 2.5), 1e-2, 50)   # far above the limit
    assert len(wild) < 51 and np.all(wild[:, 1] > 0)


def test_gaussian_fit_explorer_headless():
    from calckit.regression import GaussianFitExplorer, chi_squared, gaussian

    x = np.linspace(200, 230, 9)
    sigma = np.full(x.size, 0.004)
    y = gaussian(x, 216, 6)
    explorer = GaussianFitExplorer(x, y, sigma, (200, 236), (1, 16))
    r = explorer.update(0.02, 210, 9, 40)
    assert r["completed"] and r["path"].shape == (41, 2)
    assert r["chi2"] == pytest.approx(chi_squared(y, gaussian(x, r["mu"], r["sig"]), sigma))
    assert r["chi2"] < explorer.chi_squared(210, 9)
    assert explorer.live.png().startswith(b"\x89PNG")


def test_bad_starts_and_error_bars_are_refused_with_a_reason():
    from calckit.regression import GaussianFitExplorer, gaussian, gaussian_descent_path

    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.3, 0.1])
    with pytest.raises(ValueError, match="σ > 0"):
        gaussian_descent_path(x, y, np.full(3, 0.05), (2.0, 0.0), 0.1, 5)
    with pytest.raises(ValueError, match="empty bin"):
        gaussian_descent_path(x, y, np.array([0.05, 0.0, 0.05]), (2.0, 1.0), 0.1, 5)
    x = np.linspace(0, 4, 9)
    explorer = GaussianFitExplorer(x, gaussian(x, 2, 0.5), np.full(9, 0.05), (0, 4), (0.2, 3))
    r = explorer.update(0.005, 2.0, 1.5, 50)   # too bold for this sharp peak: the second step crosses σ = 0
    assert not r["completed"] and len(r["path"]) == 2 and "step 2 would make σ ≤ 0" in explorer.title.get_text()


@pytest.mark.parametrize("slope", [-40.0, 0.0, 25.0])
def test_line_fit_explorer_accepts_any_best_slope(slope):
    from calckit.regression import line_fit_explorer

    x = np.linspace(0, 10, 12)
    y = slope * x + 3 + np.sin(7 * x)
    best = np.polyfit(x, y, 1)[0]
    slider = line_fit_explorer(x, y, 1.0).children[0].children[0]
    assert slider.min < best < slider.max and slider.step > 0
