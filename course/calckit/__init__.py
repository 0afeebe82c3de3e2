"""Widgets and plots shared by the lecture notebooks.

Each widget separates an ordinary, fast update function (tested headless in
tests/test_calckit.py) from the ipywidgets wiring that calls it.
"""
from .descent import DescentExplorer, descent_explorer, descent_path, newton_path
from .deformation import MAPS, DeformationExplorer, deformation_explorer
from .figures import OKABE_ITO, describe  # sets the course's figure style; alt text for figures
from .functions import EXAMPLES, Example, get_example
from .gradient import GradientExplorer, gradient_explorer
from .graphs import plot_error_valley, plot_function_and_derivative, plot_secants_to_tangent
from .secant import SecantExplorer, secant_explorer, secant_slope
from .lagrange import PROBLEMS as CONSTRAINED, LagrangeExplorer, lagrange_explorer
from .network import Network
from .newton import ROOT_PROBLEMS, NewtonExplorer, newton_explorer, newton_iterates
from .neurons import NeuronExplorer, TrainingExplorer, neuron_explorer, training_explorer
from .regression import (
    GaussianFitExplorer,
    LineFitExplorer,
    gaussian,
    gaussian_descent_path,
    gaussian_fit_explorer,
    gaussian_gradient,
    histogram_density,
    line_fit_explorer,
    weighted_line,
)
from .sandpit import DIFFICULTIES, Landscape, Sandpit, SandpitView, sandpit_game
from .step_size import (
    StepSizeExplorer,
    difference_errors,
    model_caveats,
    optimal_steps,
    predicted_errors,
    step_size_explorer,
)
from .surfaces import SURFACES, Surface, get_surface
from .taylor import SERIES, TaylorExplorer, TaylorSurfaceExplorer, taylor_explorer, taylor_surface_explorer

__all__ = [
    "OKABE_ITO", "describe",
    "EXAMPLES", "Example", "get_example",
    "plot_function_and_derivative", "plot_secants_to_tangent", "plot_error_valley",
    "SecantExplorer", "secant_explorer", "secant_slope",
    "StepSizeExplorer", "difference_errors", "model_caveats", "optimal_steps", "predicted_errors",
    "step_size_explorer",
    "SURFACES", "Surface", "get_surface", "GradientExplorer", "gradient_explorer",
    "MAPS", "DeformationExplorer", "deformation_explorer",
    "DIFFICULTIES", "Landscape", "Sandpit", "SandpitView", "sandpit_game",
    "Network", "NeuronExplorer", "TrainingExplorer", "neuron_explorer", "training_explorer",
    "SERIES", "TaylorExplorer", "TaylorSurfaceExplorer", "taylor_explorer", "taylor_surface_explorer",
    "ROOT_PROBLEMS", "NewtonExplorer", "newton_explorer", "newton_iterates",
    "DescentExplorer", "descent_explorer", "descent_path", "newton_path",
    "CONSTRAINED", "LagrangeExplorer", "lagrange_explorer",
    "LineFitExplorer", "line_fit_explorer", "weighted_line",
    "GaussianFitExplorer", "gaussian", "gaussian_descent_path", "gaussian_fit_explorer", "gaussian_gradient",
    "histogram_density",
]
