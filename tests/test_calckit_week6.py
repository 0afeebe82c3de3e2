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
