"""Figures: morphology shape, attenuation with distance, traces of trials.

Every function draws into a Matplotlib axes (created if not given) and returns it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, mV

from .morphology.model import CompartmentTable
from .sweeps import TrialSet

__all__ = ["REGION_COLORS", "plot_morphology", "plot_attenuation", "plot_trials"]

REGION_COLORS = {"soma": "black", "hillock": "crimson", "ais": "darkorange", "axon": "goldenrod",
                 "basal": "seagreen", "apical": "royalblue"}


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_morphology(table: CompartmentTable, ax=None, marks: dict[str, int] | None = None,
                    values: np.ndarray | None = None, label: str = ""):
    """Compartments as dots in the x-y plane (um), coloured by region, or by ``values`` with a
    colour bar; ``marks`` (name -> compartment) are annotated. A 100 um scale bar is drawn.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> ax = plot_morphology(ball_and_stick().compartments())
    """
    ax = _axes(ax)
    size = np.clip(table.diameter * 4, 2, 200)
    if values is None:
        for reg in table.regions:
            m = table.region == reg
            ax.scatter(table.x[m], table.y[m], s=size[m], c=REGION_COLORS.get(reg, "grey"),
                       label=reg, linewidths=0)
        ax.legend(loc="best", fontsize=8, markerscale=1.5)
    else:
        sc = ax.scatter(table.x, table.y, s=size, c=values, cmap="viridis", linewidths=0)
        plt.colorbar(sc, ax=ax, label=label)
    for name, i in (marks or {}).items():
        ax.annotate(name, (table.x[i], table.y[i]), xytext=(6, 0), textcoords="offset points",
                    fontsize=7, color="purple")
        ax.plot(table.x[i], table.y[i], "v", color="purple", ms=5)
    x0, y0 = table.x.min(), table.y.min()
    ax.plot([x0, x0 + 100], [y0, y0], "k-", lw=2)
    ax.text(x0 + 50, y0, "100 um", ha="center", va="bottom", fontsize=7)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_attenuation(rows: Sequence[dict], lambda_theory_um: float | None = None,
                     lambda_fit_epsp_um: float | None = None, ax=None):
    """Local and hillock PSP peaks (mV, log scale) against path distance (um), with the fitted
    exponential and the theoretical steady-state decay ``exp(-x/lambda)`` for comparison.

    Example
    -------
    >>> ax = plot_attenuation([{"distance_um": 50, "local_peak_mV": 4, "hillock_peak_mV": 2},
    ...                        {"distance_um": 200, "local_peak_mV": 5, "hillock_peak_mV": 1}])
    """
    ax = _axes(ax)
    x = np.array([r["distance_um"] for r in rows])
    local = np.array([r["local_peak_mV"] for r in rows])
    hill = np.array([r["hillock_peak_mV"] for r in rows])
    ax.semilogy(x, local, "o-", color="seagreen", label="at the synapse")
    ax.semilogy(x, hill, "s-", color="crimson", label="at the hillock")
    xx = np.linspace(0, x.max(), 200)
    if lambda_fit_epsp_um:
        a0 = np.exp(np.mean(np.log(hill) + x / lambda_fit_epsp_um))
        ax.semilogy(xx, a0 * np.exp(-xx / lambda_fit_epsp_um), "--", color="crimson", lw=1,
                    label=f"fit: lambda_EPSP = {lambda_fit_epsp_um:.0f} um")
    if lambda_theory_um:
        a0 = hill[0] * np.exp(x[0] / lambda_theory_um)
        ax.semilogy(xx, a0 * np.exp(-xx / lambda_theory_um), ":", color="k", lw=1,
                    label=f"steady-state theory: lambda = {lambda_theory_um:.0f} um")
    ax.set_xlabel("synapse path distance from soma (um)")
    ax.set_ylabel("PSP peak above rest (mV)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return ax


def plot_trials(trials: TrialSet, site: str, indices: Sequence[int] | None = None, ax=None,
                labels: Sequence[str] | None = None):
    """Potential at ``site`` during selected trials, overlaid (time from trial start, ms).

    Example
    -------
    >>> ax = plot_trials(trial_set, "hillock")  # doctest: +SKIP
    """
    ax = _axes(ax)
    indices = range(len(trials)) if indices is None else indices
    for n, k in enumerate(indices):
        t, v = trials.trace(k, site)
        lab = labels[n] if labels is not None else trials.trials[k].label
        ax.plot(np.asarray(t / ms), np.asarray(v / mV), lw=1, label=lab)
    ax.set_xlabel("time from trial start (ms)")
    ax.set_ylabel(f"V at {site} (mV)")
    ax.legend(fontsize=7, ncol=2)
    return ax
