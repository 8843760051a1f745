"""Geometry: the morphology model, generated cells, discretization, the hillock and paths through
the tree (SWC files are read and written by :mod:`cablemodel.io.swc`)."""

from .discretize import DiscretizationReport, d_lambda_count, discretize, lambda_f
from .generate import GENERATORS, ball_and_stick, pyramidal, y_neuron
from .hillock import add_hillock
from .model import CompartmentTable, Morphology, MorphologyError, Section
from .paths import TreePath, path

__all__ = ["Morphology", "Section", "CompartmentTable", "MorphologyError", "ball_and_stick",
           "y_neuron", "pyramidal", "GENERATORS", "discretize", "DiscretizationReport",
           "d_lambda_count", "lambda_f", "add_hillock", "path", "TreePath"]
