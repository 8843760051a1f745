"""Figures: morphology shape, attenuation with distance, traces of trials (:mod:`.figures`);
a variable along a path, space-time images and animations (:mod:`.spatial`); dendrograms
(:mod:`.dendrogram`); electrotonic maps and the morphoelectrotonic transform (:mod:`.electrotonic`).

Every plotting function draws into a Matplotlib axes (created if not given) and returns it.
"""

from .dendrogram import DendrogramLayout, dendrogram_layout, plot_dendrogram
from .electrotonic import attenuation_label, plot_attenuation_map, plot_morphoelectrotonic
from .figures import (
    PROJECTIONS,
    REGION_COLORS,
    SCALE_BAR_UM,
    plot_attenuation,
    plot_morphology,
    plot_trials,
    scale_bar_length,
)
from .spatial import animate, plot_space, plot_space_time

__all__ = ["REGION_COLORS", "PROJECTIONS", "SCALE_BAR_UM", "scale_bar_length", "plot_morphology",
           "plot_attenuation", "plot_trials", "plot_space", "plot_space_time", "animate",
           "plot_dendrogram", "dendrogram_layout", "DendrogramLayout", "plot_attenuation_map",
           "plot_morphoelectrotonic", "attenuation_label"]
