"""The tree as a dendrogram: every section a vertical line as long as the section, forks joined
by horizontal lines, coloured by region or by any per-compartment value.

:func:`dendrogram_layout` gives the drawing's coordinates (one vertical segment per compartment)
for other tree drawings; :func:`plot_dendrogram` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Quantity
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from ..morphology.model import CompartmentTable
from .figures import _EXTRA_COLORS, REGION_COLORS, _axes, _plain_values, _value_norm, _with_unit

__all__ = ["DendrogramLayout", "dendrogram_layout", "plot_dendrogram"]


@dataclass(frozen=True)
class DendrogramLayout:
    """Coordinates of a dendrogram.

    Attributes
    ----------
    segments : ndarray, shape (n_compartments, 2, 2)
        Per compartment (Brian2's order) its vertical line ``[[x, bottom], [x, top]]``; the
        soma's is the point ``[[x, 0], [x, 0]]``.
    connectors : ndarray, shape (n_forks, 2, 2)
        The horizontal lines ``[[x_left, y], [x_right, y]]`` joining the child sections at each
        fork (at the parent's top), in order of the parent compartment.

    The horizontal axis has no unit: tips are spaced 1 apart in the tree's depth-first order,
    and each compartment sits at the mean position of its children.

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> layout = dendrogram_layout(y_neuron().compartments())
    >>> layout.segments.shape[1:], len(layout.connectors)  # forks: the soma and the trunk's end
    ((2, 2), 2)
    """

    segments: np.ndarray
    connectors: np.ndarray

    @property
    def x(self) -> np.ndarray:
        """Horizontal position of each compartment.

        Example
        -------
        >>> from cablemodel import y_neuron
        >>> t = y_neuron().compartments()
        >>> x = dendrogram_layout(t).x
        >>> [float(x[t.section == s][0]) for s in ("axon", "left", "right", "trunk")]
        [0.0, 1.0, 2.0, 1.5]
        """
        return self.segments[:, 0, 0]


def dendrogram_layout(table: CompartmentTable, lengths: np.ndarray | None = None
                      ) -> DendrogramLayout:
    """Where each compartment goes in a dendrogram of the tree.

    By default a compartment's vertical line spans its path distance from the soma, from
    ``table.start`` to ``table.end`` (um), so that each section's line is as long as the section
    (a file's soma-attached section may start above 0, at its ``origin_distance``). With
    ``lengths`` (one non-negative float per compartment, in any unit, e.g. log-attenuation), each
    compartment instead starts at its parent's top (the soma's is 0) and is ``lengths[i]`` long;
    the soma's entry is not used.

    Raises
    ------
    ValueError
        A table without parent and n_children columns, or ``lengths`` of the wrong shape,
        negative or not finite.

    Example
    -------
    >>> import numpy as np
    >>> from cablemodel import y_neuron
    >>> t = y_neuron().compartments()
    >>> seg = dendrogram_layout(t).segments
    >>> left = t.section == "left"
    >>> round(float(np.sum(seg[left, 1, 1] - seg[left, 0, 1])), 6)  # the left daughter: 300 um
    300.0
    >>> unit = dendrogram_layout(t, lengths=np.ones(len(t))).segments
    >>> float(unit[-1, 1, 1])  # the right tip: 21 trunk + 31 daughter compartments, 1 each
    52.0
    """
    if table.parent is None or table.n_children is None:
        raise ValueError("the table has no parent/n_children columns; make it with"
                         " Morphology.compartments()")
    n = len(table)
    parent = np.asarray(table.parent, dtype=int)
    if lengths is None:
        bottom, top = np.asarray(table.start, float), np.asarray(table.end, float)
    else:
        step = np.asarray(lengths, dtype=float)
        if step.shape != (n,):
            raise ValueError(f"lengths must hold one value per compartment: expected shape ({n},),"
                             f" got {step.shape}")
        if not np.all(np.isfinite(step)) or np.any(step < 0):
            raise ValueError("lengths must be finite and >= 0 (a compartment cannot be drawn with a"
                             " negative or infinite length)")
        bottom, top = np.zeros(n), np.zeros(n)
        for i in range(1, n):  # the soma is 0; parents come before their children
            bottom[i] = top[parent[i]]
            top[i] = bottom[i] + step[i]
    tips = (np.asarray(table.n_children) == 0) & (parent >= 0)
    x = np.zeros(n)
    x[tips] = np.arange(int(tips.sum()), dtype=float)
    total, count = np.zeros(n), np.zeros(n)
    lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
    for i in range(n - 1, -1, -1):  # children come after their parents: fill from the tips up
        if count[i]:
            x[i] = total[i] / count[i]
        p = parent[i]
        if p >= 0:
            total[p] += x[i]
            count[p] += 1
            lo[p], hi[p] = min(lo[p], x[i]), max(hi[p], x[i])
    segments = np.stack([np.column_stack([x, bottom]), np.column_stack([x, top])], axis=1)
    forks = np.flatnonzero(hi > lo)
    connectors = np.stack([np.column_stack([lo[forks], top[forks]]),
                           np.column_stack([hi[forks], top[forks]])], axis=1)
    return DendrogramLayout(segments, connectors.reshape(-1, 2, 2))


def plot_dendrogram(table: CompartmentTable, values: np.ndarray | Quantity | None = None,
                    label: str = "", ax: Axes | None = None, cmap: str = "viridis",
                    value_range: tuple | None = None) -> Axes:
    """The tree as a dendrogram (:func:`dendrogram_layout`): path distance from the soma (µm)
    upwards, one vertical line per compartment (one ``LineCollection``, gid ``"dendrogram"``),
    grey horizontal lines at forks (gid ``"dendrogram_forks"``) and the soma as a dot.

    Parameters
    ----------
    table : CompartmentTable
        From :meth:`Morphology.compartments` (or ``cell.table``, ``result.table``).
    values : array or Brian2 quantity, optional
        One value per compartment (V at a time, peak PSP, a channel density, ...): the lines are
        coloured by it, with a colour bar labelled ``label`` and, for a quantity, its unit
        (``"V (mV)"``); its range is the finite min-max, or ``value_range`` (in the values' kind).
        Without values, colours are regions (legend).
    label : str
        Colour bar label.
    ax : matplotlib Axes, optional
        Drawn into (a new figure otherwise).
    cmap : str
        Matplotlib colour map for ``values``.
    value_range : (low, high), optional
        The colour scale's ends.

    Raises
    ------
    ValueError
        ``values`` not of one value per compartment, all NaN, or a bad ``value_range``.

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import um
    >>> from cablemodel import y_neuron
    >>> t = y_neuron().compartments()
    >>> ax = plot_dendrogram(t, values=t.distance * um, label="path distance")
    >>> ax.figure.axes[-1].get_ylabel(), ax.get_ylabel()
    ('path distance (µm)', 'path distance from the soma (µm)')
    """
    n = len(table)
    if values is not None:
        vals, unit, ref = _plain_values(values, n)
        norm = _value_norm(vals, ref, value_range)
    layout = dendrogram_layout(table)
    ax = _axes(ax)
    lines = LineCollection(layout.segments, linewidths=2.0, capstyle="butt", zorder=2)
    lines.set_gid("dendrogram")
    ax.add_collection(lines)
    forks = LineCollection(layout.connectors, linewidths=0.8, colors="0.5", zorder=1)
    forks.set_gid("dendrogram_forks")
    ax.add_collection(forks)
    soma = np.flatnonzero(np.asarray(table.parent) < 0)
    if values is None:
        extra = iter(_EXTRA_COLORS * (1 + len(table.regions) // len(_EXTRA_COLORS)))
        colors = {r: REGION_COLORS.get(r) or next(extra) for r in table.regions}
        lines.set_color([colors[r] for r in table.region])
        soma_colors = [colors["soma"]] * soma.size
        handles = [Line2D([], [], color=colors[r], lw=3, label=r) for r in table.regions]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  frameon=False)
    else:
        lines.set_array(vals)
        lines.set_cmap(cmap)
        lines.set_norm(norm)
        mapper = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        soma_colors = [mapper.to_rgba(vals[i]) for i in soma]
        ax.figure.colorbar(mapper, ax=ax, label=_with_unit(label, unit))
    ax.scatter(layout.x[soma], layout.segments[soma, 1, 1], s=40, c=soma_colors, zorder=3,
               gid="soma")
    x, y = layout.segments[:, :, 0], layout.segments[:, :, 1]
    pad_x = 0.5
    pad_y = 0.03 * max(float(y.max() - y.min()), 1.0)
    ax.set_xlim(float(x.min()) - pad_x, float(x.max()) + pad_x)
    ax.set_ylim(float(y.min()) - pad_y, float(y.max()) + pad_y)
    ax.set_xticks([])
    ax.set_ylabel("path distance from the soma (µm)")
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return ax
