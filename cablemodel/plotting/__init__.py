"""Figures: morphology shape, attenuation with distance, traces of trials (:mod:`.figures`).

Every function draws into a Matplotlib axes (created if not given) and returns it.
"""

from .figures import (
    PROJECTIONS,
    REGION_COLORS,
    SCALE_BAR_UM,
    plot_attenuation,
    plot_morphology,
    plot_trials,
    scale_bar_length,
)

__all__ = ["REGION_COLORS", "PROJECTIONS", "SCALE_BAR_UM", "scale_bar_length", "plot_morphology",
           "plot_attenuation", "plot_trials"]
