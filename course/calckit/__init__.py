"""Widgets and plots shared by the lecture notebooks.

Each widget separates an ordinary, fast update function (tested headless in
tests/test_calckit.py) from the ipywidgets wiring that calls it.
"""
from .functions import EXAMPLES, Example, get_example
from .graphs import plot_function_and_derivative
from .secant import SecantExplorer, secant_explorer, secant_slope
from .step_size import (
    StepSizeExplorer,
    difference_errors,
    model_caveats,
    optimal_steps,
    predicted_errors,
    step_size_explorer,
)

__all__ = [
    "EXAMPLES", "Example", "get_example",
    "plot_function_and_derivative",
    "SecantExplorer", "secant_explorer", "secant_slope",
    "StepSizeExplorer", "difference_errors", "model_caveats", "optimal_steps", "predicted_errors",
    "step_size_explorer",
]
