"""Analysis: PSP measures (:mod:`.psp`), cable theory (:mod:`.cable`), electrotonic analysis
(:mod:`.impedance`) and conduction velocity (:mod:`.conduction`).

All public functions take and return Brian2 quantities.
"""

from .cable import (
    cable_input_conductance,
    fit_length_constant,
    input_resistance_ball_and_stick,
    length_constant,
    sealed_cable_profile,
)
from .conduction import arrival_times, conduction_velocity
from .impedance import ImpedanceResult, impedance
from .psp import psp_measures

__all__ = ["psp_measures", "length_constant", "fit_length_constant", "sealed_cable_profile",
           "input_resistance_ball_and_stick", "cable_input_conductance", "impedance", "ImpedanceResult",
           "conduction_velocity", "arrival_times"]
