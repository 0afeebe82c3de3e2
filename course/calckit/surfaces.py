"""Functions of two variables with their exact gradients and Hessians.

As in functions.py, `expr` is the same function as a sympy-readable string in x and y, so
tests/test_calckit.py checks every hand-written derivative against sympy.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Surface:
    expr: str            # sympy-readable, in x and y
    label: str           # LaTeX for plot titles
    f: Callable          # f(x, y), elementwise on arrays
    gradient: Callable   # (f_x, f_y)
    hessian: Callable    # (f_xx, f_xy, f_yy)
    xlim: tuple = (-2.0, 2.0)
    ylim: tuple = (-2.0, 2.0)


def _gauss(x, y):
    return np.exp(-x**2 - y**2)


SURFACES = {
    "bowl": Surface(
        "x**2 + 2*y**2", r"x^2 + 2y^2",
        lambda x, y: x**2 + 2 * y**2,
        lambda x, y: (2 * x, 4 * y),
        lambda x, y: (2 + 0 * x, 0 * x, 4 + 0 * x)),
    "saddle": Surface(
        "x**2 - y**2", r"x^2 - y^2",
        lambda x, y: x**2 - y**2,
        lambda x, y: (2 * x, -2 * y),
        lambda x, y: (2 + 0 * x, 0 * x, -2 + 0 * x)),
    "hill and hole": Surface(
        "x*exp(-x**2 - y**2)", r"x\,e^{-x^2-y^2}",
        lambda x, y: x * _gauss(x, y),
        lambda x, y: ((1 - 2 * x**2) * _gauss(x, y), -2 * x * y * _gauss(x, y)),
        lambda x, y: ((4 * x**3 - 6 * x) * _gauss(x, y),
                      (4 * x**2 - 2) * y * _gauss(x, y),
                      x * (4 * y**2 - 2) * _gauss(x, y))),
    "egg box": Surface(
        "sin(x)*cos(y)", r"\sin x \cos y",
        lambda x, y: np.sin(x) * np.cos(y),
        lambda x, y: (np.cos(x) * np.cos(y), -np.sin(x) * np.sin(y)),
        lambda x, y: (-np.sin(x) * np.cos(y), -np.cos(x) * np.sin(y), -np.sin(x) * np.cos(y)),
        (-3.5, 3.5), (-3.5, 3.5)),
    "banana valley": Surface(
        "(1 - x)**2 + 5*(y - x**2)**2", r"(1-x)^2 + 5(y-x^2)^2",
        lambda x, y: (1 - x)**2 + 5 * (y - x**2)**2,
        lambda x, y: (-2 * (1 - x) - 20 * x * (y - x**2), 10 * (y - x**2)),
        lambda x, y: (2 - 20 * y + 60 * x**2, -20 * x, 10 + 0 * x),
        (-1.5, 1.5), (-1.5, 2.5)),
}


def get_surface(name):
    """Return the catalogue entry `name`, or say which names exist."""
    try:
        return SURFACES[name]
    except KeyError:
        raise KeyError(f"unknown surface {name!r}; choose one of {sorted(SURFACES)}") from None
