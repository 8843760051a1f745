"""Figures: morphology shape, attenuation with distance, traces of trials.

Every function draws into a Matplotlib axes (created if not given) and returns it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Quantity, Unit, amp, meter, ms, mV, second, siemens, volt
from brian2.units.fundamentalunits import fail_for_dimension_mismatch
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from ..morphology.model import CompartmentTable
from ..places import parse_site
from ..sweeps import TrialSet

__all__ = ["REGION_COLORS", "PROJECTIONS", "SCALE_BAR_UM", "scale_bar_length", "plot_morphology",
           "plot_attenuation", "plot_trials"]

REGION_COLORS = {"soma": "black", "hillock": "crimson", "ais": "darkorange", "axon": "goldenrod",
                 "basal": "seagreen", "apical": "royalblue"}


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


#: Projections of :func:`plot_morphology`: name -> (horizontal, vertical) coordinate columns.
PROJECTIONS = {"xy": ("x", "y"), "xz": ("x", "z"), "yz": ("y", "z")}
#: Scale bar lengths (µm) :func:`plot_morphology` chooses from.
SCALE_BAR_UM = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
#: Colours of custom regions, in order of appearance.
_EXTRA_COLORS = ("mediumpurple", "saddlebrown", "deeppink", "teal", "olive", "slategray")
#: Named units for per-compartment quantities whose dimension has no single Brian2 unit.
_COMPOUND_UNITS = (("S/m^2", siemens / meter**2), ("A/m^2", amp / meter**2), ("V/s", volt / second))


def scale_bar_length(extent_um: float) -> float:
    """The scale bar length (µm) for a drawing whose larger side is ``extent_um``: the largest value of
    :data:`SCALE_BAR_UM` not above a quarter of the extent (the smallest one for tiny extents).

    Example
    -------
    >>> scale_bar_length(1000.0), scale_bar_length(90.0), scale_bar_length(0.5)
    (200, 20, 1)
    """
    fitting = [v for v in SCALE_BAR_UM if v <= extent_um / 4]
    return fitting[-1] if fitting else SCALE_BAR_UM[0]


def _unit_text(unit: str) -> str:
    """A unit as printed in labels: Brian2's micro prefix ``u`` written ``µ``.

    Example
    -------
    >>> _unit_text("um"), _unit_text("um^2"), _unit_text("uS"), _unit_text("mV")
    ('µm', 'µm^2', 'µS', 'mV')
    """
    return re.sub(r"(?<![A-Za-z])u(?=[A-Za-z])", "µ", unit)


def _plain_values(values, n: int) -> tuple[np.ndarray, str, Quantity | float]:
    """Per-compartment values as floats, the unit to print (``""`` if dimensionless) and the
    reference they were divided by (a Brian2 unit, or 1.0 for plain numbers)."""
    unit, ref = "", 1.0
    if isinstance(values, Quantity) and not values.is_dimensionless:
        best = values.get_best_unit()
        if isinstance(best, Unit):
            unit, ref = _unit_text(str(best)), best
        else:
            named = [(name, u) for name, u in _COMPOUND_UNITS if u.dim == values.dim]
            unit, ref = named[0] if named else (str(values.dim), Quantity(1.0, dim=values.dim))
        arr = np.asarray(values / ref, dtype=float)
    else:
        arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ValueError(f"values must hold one value per compartment: expected {n} values"
                         f" (an array of shape ({n},)), got shape {arr.shape}")
    if not np.isfinite(arr).any():
        raise ValueError("values are all NaN or infinite; nothing to colour by")
    return arr, unit, ref


def _value_norm(vals: np.ndarray, ref, value_range) -> Normalize:
    """The colour scale: ``value_range`` (in the values' own kind) or the finite min-max."""
    if value_range is None:
        finite = vals[np.isfinite(vals)]
        return Normalize(vmin=float(finite.min()), vmax=float(finite.max()))
    lo, hi = value_range
    kind = f"quantities like 1*{ref}" if isinstance(ref, Quantity) else "plain numbers"
    for v in (lo, hi):
        fail_for_dimension_mismatch(v, ref, f"value_range must be {kind}, as the values are;"
                                    f" got {v!r}")
    lo, hi = float(lo / ref), float(hi / ref)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"value_range must be two finite values, low < high; got {value_range!r}")
    return Normalize(vmin=lo, vmax=hi)


def _with_unit(label: str, unit: str) -> str:
    """A colour bar or axis label with its unit in brackets (none for a dimensionless value).

    Example
    -------
    >>> _with_unit("V", "mV"), _with_unit("fraction", "")
    ('V (mV)', 'fraction')
    """
    return f"{label} ({unit})" if unit else label


def plot_morphology(table: CompartmentTable, ax=None, marks: dict | None = None,
                    values=None, label: str = "", projection: str = "xy",
                    cmap: str = "viridis", value_range=None):
    """The cell's shape in a 2-D projection (coordinates in µm).

    Each compartment is a line from its parent's midpoint to its own midpoint (one
    ``LineCollection``, line width growing with the diameter: ``1.2 pt/µm``, clipped to 0.4-6 pt
    so thin dendrites stay visible); the soma is a circle of its diameter (to scale).

    Parameters
    ----------
    table : CompartmentTable
        From :meth:`Morphology.compartments` (or ``cell.table``).
    ax : matplotlib Axes, optional
        Drawn into (a new figure otherwise).
    marks : dict, optional
        Label -> compartment index, :class:`~cablemodel.places.Location` or site string
        (e.g. ``{"syn": "basal@200"}``); each is marked and annotated.
    values : array or Brian2 quantity, optional
        One value per compartment (V at a time, peak PSP, distance, ...); the drawing is coloured
        by it with a colour bar spanning its finite min-max (or ``value_range``), labelled
        ``label`` and, for a quantity, its unit (e.g. ``"peak (mV)"``, ``"distance (µm)"``); NaN
        entries are left out of the range and drawn
        in the colour map's "bad" colour. Without values, colours are regions (legend).
    label : str
        Colour bar label.
    projection : str
        ``"xy"`` (x across, y up), ``"xz"`` (x across, z up) or ``"yz"`` (y across, z up).
    cmap : str
        Matplotlib colour map for ``values``.
    value_range : (low, high), optional
        The colour scale's ends, in the values' kind (quantities for a quantity, e.g.
        ``(-70*mV, 30*mV)``): fixed scales for frames of an animation or panels to compare.

    A scale bar of a round length (:func:`scale_bar_length`: 1, 2, 5, 10, 20, 50, 100, ... µm,
    the largest not above a quarter of the drawing's larger side, width or height) is drawn
    below the cell, its text (``"100 µm"``) tagged with gid ``"scale_bar"``.

    Raises
    ------
    ValueError
        An unknown projection, ``values`` not of one value per compartment, or a
        ``value_range`` that is not two increasing values of the values' unit.

    Example
    -------
    >>> import numpy as np
    >>> from cablemodel import pyramidal
    >>> table = pyramidal().compartments()
    >>> ax = plot_morphology(table, values=table.distance, label="path distance (µm)",
    ...                      projection="xz")
    >>> len(ax.collections[0].get_segments()) == len(table) - 1
    True
    """
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {list(PROJECTIONS)}, got {projection!r}")
    n = len(table)
    if values is not None:
        vals, unit, ref = _plain_values(values, n)
        norm = _value_norm(vals, ref, value_range)
    if table.parent is None:
        raise ValueError("the table has no parent column; make it with Morphology.compartments()")
    ax = _axes(ax)
    hname, vname = PROJECTIONS[projection]
    h, v = np.asarray(getattr(table, hname), float), np.asarray(getattr(table, vname), float)
    parent = np.asarray(table.parent, dtype=int)
    child = np.flatnonzero(parent >= 0)
    segments = np.stack([np.column_stack([h[parent[child]], v[parent[child]]]),
                         np.column_stack([h[child], v[child]])], axis=1)
    widths = np.clip(1.2 * np.asarray(table.diameter, float)[child], 0.4, 6.0)
    lines = LineCollection(segments, linewidths=widths, capstyle="round", zorder=2)
    lines.set_gid("morphology")
    ax.add_collection(lines)
    soma = np.flatnonzero(parent < 0)  # the soma sphere (soma sections are drawn as cables)
    if values is None:
        extra = iter(_EXTRA_COLORS * (1 + len(table.regions) // len(_EXTRA_COLORS)))
        colors = {r: REGION_COLORS.get(r) or next(extra) for r in table.regions}
        lines.set_color([colors[r] for r in table.region[child]])
        soma_color = {i: colors["soma"] for i in soma}
        handles = [Line2D([], [], color=colors[r], lw=3, label=r) for r in table.regions]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  frameon=False)
    else:
        lines.set_array(vals[child])
        lines.set_cmap(cmap)
        lines.set_norm(norm)
        mapper = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        soma_color = {i: mapper.to_rgba(vals[i]) for i in soma}
        ax.figure.colorbar(mapper, ax=ax, label=_with_unit(label, unit))
    for i in soma:
        ax.add_patch(Circle((h[i], v[i]), float(table.diameter[i]) / 2, color=soma_color[i],
                            zorder=3, gid="soma"))
    for name, site in (marks or {}).items():
        i = site if isinstance(site, int | np.integer) else parse_site(site).resolve(table)
        ax.annotate(name, (h[i], v[i]), xytext=(6, 0), textcoords="offset points",
                    fontsize=7, color="purple", zorder=5)
        ax.plot(h[i], v[i], "v", color="purple", ms=5, zorder=5)
    # limits: every midpoint and the soma's outline, with a margin
    r_soma = np.zeros(n)
    r_soma[soma] = np.asarray(table.diameter, float)[soma] / 2
    lo_h, hi_h = float((h - r_soma).min()), float((h + r_soma).max())
    lo_v, hi_v = float((v - r_soma).min()), float((v + r_soma).max())
    pad = 0.05 * max(hi_h - lo_h, hi_v - lo_v, 1.0)
    bar = scale_bar_length(max(hi_h - lo_h, hi_v - lo_v))
    bar_y = lo_v - pad
    ax.plot([lo_h, lo_h + bar], [bar_y, bar_y], "k-", lw=2, solid_capstyle="butt", gid="scale_bar")
    ax.text(lo_h + bar / 2, bar_y - 0.3 * pad, f"{bar:g} µm", ha="center", va="top", fontsize=7,
            gid="scale_bar")
    ax.set_xlim(lo_h - pad, max(hi_h, lo_h + bar) + pad)
    ax.set_ylim(bar_y - 2 * pad, hi_v + pad)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_attenuation(rows: Sequence[dict], lambda_theory_um: float | None = None,
                     lambda_fit_epsp_um: float | None = None, ax=None,
                     spike_site: str = "hillock"):
    """Local and spike-site PSP peaks (mV, log scale; the rows' ``hillock_peak_mV`` is measured
    at ``spike_site``) against path distance (µm), with the fitted exponential and the
    theoretical steady-state decay ``exp(-x/lambda)`` for comparison.

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
    ax.semilogy(x, hill, "s-", color="crimson", label=f"at the {spike_site}")
    xx = np.linspace(0, x.max(), 200)
    if lambda_fit_epsp_um:
        a0 = np.exp(np.mean(np.log(hill) + x / lambda_fit_epsp_um))
        ax.semilogy(xx, a0 * np.exp(-xx / lambda_fit_epsp_um), "--", color="crimson", lw=1,
                    label=f"fit: λ_EPSP = {lambda_fit_epsp_um:.0f} µm")
    if lambda_theory_um:
        a0 = hill[0] * np.exp(x[0] / lambda_theory_um)
        ax.semilogy(xx, a0 * np.exp(-xx / lambda_theory_um), ":", color="k", lw=1,
                    label=f"steady-state theory: λ = {lambda_theory_um:.0f} µm")
    ax.set_xlabel("synapse path distance from soma (µm)")
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
