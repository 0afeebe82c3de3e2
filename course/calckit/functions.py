"""A small catalogue of smooth functions with their exact derivatives.

`expr` is the same function as a sympy-readable string, so the tests can check
every hand-written derivative against sympy instead of trusting it.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


@dataclass(frozen=True)
class Example:
    expr: str            # sympy-readable, in the variable x
    label: str           # LaTeX for plot titles
    f: Callable
    df: Callable
    d2f: Callable
    d3f: Callable
    # The size of the terms f is computed from (|x**3| + |2x| for x**3 - 2x): a computed f(x) is off
    # by about eps times this, which exceeds eps |f(x)| where the terms cancel. None: about |f(x)|.
    terms: Optional[Callable] = None


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


EXAMPLES = {
    "sin(x)": Example(
        "sin(x)", r"\sin x",
        np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "exp(x)": Example(
        "exp(x)", r"e^x",
        np.exp, np.exp, np.exp, np.exp),
    "x**3 - 2*x": Example(
        "x**3 - 2*x", r"x^3 - 2x",
        lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2,
        lambda x: 6 * x, lambda x: 6 + 0 * x,
        terms=lambda x: np.abs(x**3) + np.abs(2 * x)),
    "sigmoid(x)": Example(
        "1/(1 + exp(-x))", r"\sigma(x) = 1/(1+e^{-x})",
        _sigmoid,
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 6 * _sigmoid(x) + 6 * _sigmoid(x) ** 2)),
    "log(1 + x**2)": Example(
        "log(1 + x**2)", r"\ln(1+x^2)",
        lambda x: np.log1p(x**2), lambda x: 2 * x / (1 + x**2),
        lambda x: 2 * (1 - x**2) / (1 + x**2) ** 2,
        lambda x: 4 * x * (x**2 - 3) / (1 + x**2) ** 3),
}


def get_example(name):
    """Return the catalogue entry `name`, or say which names exist."""
    try:
        return EXAMPLES[name]
    except KeyError:
        raise KeyError(f"unknown example {name!r}; choose one of {sorted(EXAMPLES)}") from None
