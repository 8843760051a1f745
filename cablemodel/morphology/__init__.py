"""Geometry: the morphology model, generated cells and SWC output."""

from .discretize import DiscretizationReport, d_lambda_count, discretize, lambda_f
from .generate import GENERATORS, ball_and_stick, pyramidal, y_neuron
from .hillock import add_hillock
from .model import CompartmentTable, Morphology, MorphologyError, Section
from .swc_read import REPAIRS, LoadReport, SWCError, read_swc
from .swc_write import write_swc

__all__ = ["Morphology", "Section", "CompartmentTable", "MorphologyError", "ball_and_stick",
           "y_neuron", "pyramidal", "GENERATORS", "write_swc", "read_swc", "LoadReport",
           "SWCError", "REPAIRS", "discretize", "DiscretizationReport", "d_lambda_count", "lambda_f",
           "add_hillock"]
