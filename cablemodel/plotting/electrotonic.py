"""Electrotonic figures of an :class:`~cablemodel.analysis.impedance.ImpedanceResult`: the shape
coloured by attenuation, and the morphoelectrotonic transform (the tree redrawn with branch
lengths in log-attenuation units, as NEURON's Impedance tools draw it).

Every function draws into a Matplotlib axes (created if not given) and returns it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from ..analysis.impedance import ImpedanceResult
from .figures import REGION_COLORS, plot_morphology

__all__ = ["plot_attenuation_map", "plot_morphoelectrotonic", "attenuation_label"]

_DIRECTIONS = ("in", "out")


def _checked(result: ImpedanceResult, direction: str) -> float:
    """The result's one frequency (Hz); errors for several frequencies or a bad direction."""
    if not isinstance(result, ImpedanceResult):
        raise TypeError(f"result must be an ImpedanceResult (from cablemodel.impedance), got"
                        f" {type(result).__name__}")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'in' (to the reference) or 'out' (from it), got"
                         f" {direction!r}")
    if np.ndim(result.frequency) != 0:
        raise ValueError(f"the result holds {np.size(result.frequency)} frequencies; draw one:"
                         " result.select(frequency)")
    return float(result.frequency / Hz)


def _reference_name(result: ImpedanceResult) -> str:
    ref = result.reference
    region = str(result.table.region[ref])
    return "soma" if ref == 0 else f"#{ref} ({region})"


def attenuation_label(result: ImpedanceResult, direction: str = "in", log: bool = True) -> str:
    """Axis / colour bar label of an attenuation of ``result``, with its unit: nepers (Np) for
    the log-attenuation ``ln(V_from / V_to)``, ``V/V`` for the attenuation itself.

    Example
    -------
    >>> from brian2 import Hz
    >>> from cablemodel import Cell, ball_and_stick, impedance
    >>> attenuation_label(impedance(Cell(ball_and_stick()), frequency=100 * Hz))
    'log-attenuation in to soma, ln(V_i/V_soma), 100 Hz (Np)'
    """
    f = _checked(result, direction)
    ref = _reference_name(result)
    ratio = f"V_i/V_{ref}" if direction == "in" else f"V_{ref}/V_i"
    place = f"in to {ref}" if direction == "in" else f"out from {ref}"
    if log:
        return f"log-attenuation {place}, ln({ratio}), {f:g} Hz (Np)"
    return f"attenuation {place}, {ratio}, {f:g} Hz (V/V)"


def plot_attenuation_map(result: ImpedanceResult, ax=None, direction: str = "in", log: bool = True,
                         projection: str = "xy", cmap: str = "viridis", marks: dict | None = None):
    """The cell's shape coloured by the (log-)attenuation of each compartment in to the reference
    (``direction="in"``, ``|V_i / V_ref|`` for current at i) or out from it (``"out"``), with a
    colour bar labelled with the unit (:func:`attenuation_label`); the reference is marked.

    ``result`` must hold one frequency (use :meth:`ImpedanceResult.select`). The drawing is
    :func:`~cablemodel.plotting.plot_morphology` with ``values`` the per-compartment numbers.

    Example
    -------
    >>> from cablemodel import Cell, pyramidal, impedance
    >>> res = impedance(Cell(pyramidal()))
    >>> ax = plot_attenuation_map(res, projection="xz")
    >>> bool(ax.collections[0].get_array().max() == res.log_attenuation_in[1:].max())
    True
    """
    _checked(result, direction)
    values = getattr(result, f"{'log_' if log else ''}attenuation_{direction}")
    return plot_morphology(result.table, ax=ax, values=values,
                           label=attenuation_label(result, direction, log),
                           projection=projection, cmap=cmap,
                           marks={_reference_name(result): result.reference, **(marks or {})})


def _rerooted(parent: np.ndarray, root: int) -> tuple[np.ndarray, list[int]]:
    """The tree of ``parent`` (-1 at its root) re-rooted at ``root``: each node's new parent, and
    the nodes in depth-first preorder from ``root``."""
    n = len(parent)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(parent.tolist()):
        if p >= 0:
            neighbours[i].append(p)
            neighbours[p].append(i)
    up = np.full(n, -1)
    seen = np.zeros(n, dtype=bool)
    seen[root] = True
    order, stack = [], [root]
    while stack:
        i = stack.pop()
        order.append(i)
        for j in reversed(neighbours[i]):
            if not seen[j]:
                seen[j] = True
                up[j] = i
                stack.append(j)
    return up, order


def plot_morphoelectrotonic(result: ImpedanceResult, ax=None, direction: str = "in"):
    """The morphoelectrotonic transform: the tree as a dendrogram rooted at the reference, each
    compartment at a horizontal position equal to its log-attenuation in to the reference
    (``direction="in"``) or out from it (``"out"``), so every branch is as long as the
    log-attenuation it adds (nepers). Leaves are spread evenly on the vertical axis (a branch
    point sits at the mean height of its children); colours are regions.

    Horizontal lines (one ``LineCollection``, gid ``"met_branches"``, one segment per compartment
    but the reference, from its parent's position to its own) and vertical connectors at branch
    points (gid ``"met_connectors"``).

    Example
    -------
    >>> import numpy as np
    >>> from cablemodel import Cell, y_neuron, impedance
    >>> res = impedance(Cell(y_neuron()))
    >>> ax = plot_morphoelectrotonic(res)
    >>> lines = [c for c in ax.collections if c.get_gid() == "met_branches"][0]
    >>> seg = np.asarray(lines.get_segments())
    >>> bool(np.isclose(seg[:, 1, 0].max(), res.log_attenuation_in.max()))
    True
    """
    f = _checked(result, direction)
    table = result.table
    L = np.asarray(getattr(result, f"log_attenuation_{direction}"), dtype=float)
    up, order = _rerooted(np.asarray(table.parent, dtype=int), result.reference)
    n = len(table)
    kids: list[list[int]] = [[] for _ in range(n)]
    for i in order[1:]:
        kids[up[i]].append(i)
    y = np.zeros(n)
    leaf = 0
    for i in order:  # leaves in preorder: no crossing lines
        if not kids[i]:
            y[i] = leaf
            leaf += 1
    for i in reversed(order):
        if kids[i]:
            y[i] = np.mean(y[kids[i]])
    ax = ax if ax is not None else plt.subplots(figsize=(6, 4))[1]
    child = np.asarray(order[1:], dtype=int)
    colors = {r: REGION_COLORS.get(r, "gray") for r in table.regions}
    branches = LineCollection(np.stack([np.column_stack([L[up[child]], y[child]]),
                                        np.column_stack([L[child], y[child]])], axis=1),
                              colors=[colors[r] for r in table.region[child]], linewidths=1.2)
    branches.set_gid("met_branches")
    ax.add_collection(branches)
    forks = [i for i in order if len(kids[i]) > 0 and np.ptp(y[[i, *kids[i]]]) > 0]
    connectors = LineCollection([[(L[i], y[[i, *kids[i]]].min()), (L[i], y[[i, *kids[i]]].max())]
                                 for i in forks],
                                colors=[colors[r] for r in table.region[forks]], linewidths=0.8)
    connectors.set_gid("met_connectors")
    ax.add_collection(connectors)
    ax.plot([L[result.reference]], [y[result.reference]], "v", color="purple", ms=6, zorder=5)
    ax.annotate(_reference_name(result), (L[result.reference], y[result.reference]),
                xytext=(-6, 6), textcoords="offset points", fontsize=7, color="purple",
                ha="right")
    span = max(float(L.max() - min(L.min(), 0.0)), 1e-12)
    ax.set_xlim(min(L.min(), 0.0) - 0.05 * span, L.max() + 0.05 * span)
    ax.set_ylim(-1, max(leaf, 1))
    ax.set_yticks([])
    ax.set_xlabel(attenuation_label(result, direction, log=True))
    ax.set_title(f"morphoelectrotonic transform, {f:g} Hz", fontsize=9)
    ax.legend(handles=[Line2D([], [], color=colors[r], lw=2, label=r) for r in table.regions],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax
