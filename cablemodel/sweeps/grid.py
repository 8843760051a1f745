"""The points of a sweep (a grid of axes or a list of points) and the Dataset of their results.

A grid ``{"weight": [0.5, 1, 2] * nS, "site": ["basal@50", "basal@200"]}`` has one point per
combination, the last axis varying fastest (as ``itertools.product``); its Dataset has one
dimension per axis. A list of points has the dimension ``"point"`` and one coordinate per
parameter. Quantities are stored as plain numbers in the unit of
:func:`~cablemodel.sweeps.measures.display_unit` (nS, mV, ms, ...; ``units`` in the attributes),
strings as strings, other values (a cell, a morphology) as their text.
"""

from __future__ import annotations

import itertools
import json
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, get_unit

from .measures import display_unit

__all__ = ["Grid", "make_grid", "assemble", "point_key"]


@dataclass(frozen=True)
class Grid:
    """The points of a sweep in order, with the coordinates of its Dataset.

    ``shape`` is the grid's shape, or ``None`` for a list of points (dimension ``"point"``);
    ``coords`` maps each parameter to its coordinate values (per axis for a grid, per point for a
    list) and their unit (``"1"`` for plain numbers, ``""`` for text).

    Example
    -------
    >>> from brian2 import nS
    >>> g = make_grid({"weight": [1, 2] * nS, "site": ["basal@50", "basal@200"]})
    >>> g.dims, g.shape, len(g.points), g.points[1]
    (('weight', 'site'), (2, 2), 4, {'weight': 1. * nsiemens, 'site': 'basal@200'})
    """

    names: tuple[str, ...]
    points: tuple[dict, ...]
    shape: tuple[int, ...] | None
    coords: dict[str, tuple[np.ndarray, str]] = field(default_factory=dict)

    @property
    def dims(self) -> tuple[str, ...]:
        """The Dataset's dimensions: the axes, or ``("point",)``."""
        return self.names if self.shape is not None else ("point",)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The Dataset's shape (the grid's, or the number of points)."""
        return self.shape if self.shape is not None else (len(self.points),)

    def definition(self) -> dict:
        """The sweep's points as JSON-able data (what a store compares on resume)."""
        return {"kind": "points" if self.shape is None else "grid", "names": list(self.names),
                "points": [point_key(p) for p in self.points]}


def make_grid(axes: Mapping[str, Sequence] | None = None,
              points: Sequence[Mapping] | None = None) -> Grid:
    """The :class:`Grid` of ``axes`` (every combination) or of a list of ``points``.

    Parameter names must be identifiers (they are keyword arguments of the setup); every point
    of a list must have the same parameters; an axis needs at least one value.

    Example
    -------
    >>> from brian2 import nS
    >>> g = make_grid(points=[{"weight": 1 * nS, "site": "soma"}, {"weight": 2 * nS, "site": "#3"}])
    >>> g.dims, g.coords["weight"], g.coords["site"][0].tolist()
    (('point',), (array([1., 2.]), 'nS'), ['soma', '#3'])
    """
    if (axes is None) == (points is None):
        raise ValueError("give either axes= (a grid: name -> values) or points= (a list of"
                         " {name: value} dicts), not both or neither")
    if axes is not None:
        if not isinstance(axes, Mapping) or not axes:
            raise ValueError("axes must be a non-empty mapping of parameter name -> values, e.g."
                             " {'weight': [0.5, 1, 2] * nS}")
        names = tuple(axes)
        values = []
        for name in names:
            _check_name(name)
            vals = _values(axes[name], f"axis {name!r}")
            if not vals:
                raise ValueError(f"axis {name!r} has no values; give at least one")
            values.append(vals)
        pts = tuple(dict(zip(names, combo, strict=True)) for combo in itertools.product(*values))
        coords = {n: _coordinate(v, f"axis {n!r}") for n, v in zip(names, values, strict=True)}
        return Grid(names, pts, tuple(len(v) for v in values), coords)
    if isinstance(points, (str, Mapping)) or not isinstance(points, Sequence) or not points:
        raise ValueError("points must be a non-empty list of {name: value} dicts")
    for k, p in enumerate(points):
        if not isinstance(p, Mapping):
            raise ValueError(f"point {k}: expected a dict of parameter -> value, got {p!r}")
    names = tuple(points[0])
    for name in names:
        _check_name(name)
    for k, p in enumerate(points):
        if set(p) != set(names):
            missing, extra = sorted(set(names) - set(p)), sorted(set(p) - set(names))
            raise ValueError(f"point {k} has other parameters than point 0 ({list(names)}):"
                             f" missing {missing}, extra {extra}; every point needs the same ones")
    pts = tuple({n: p[n] for n in names} for p in points)
    coords = {n: _coordinate([p[n] for p in pts], f"parameter {n!r}") for n in names}
    return Grid(names, pts, None, coords)


def point_key(point: Mapping) -> dict:
    """A point as JSON-able data (Quantities in SI with their dimension), for stores.

    Example
    -------
    >>> from brian2 import nS
    >>> point_key({"weight": 2 * nS, "site": "soma"})
    {'weight': {'si': 2e-09, 'dim': 'S'}, 'site': 'soma'}
    """
    return {name: _jsonable(value) for name, value in point.items()}


def assemble(grid: Grid, records: Sequence[dict], measures: Sequence[str],
             traces: Sequence[str], attrs: Mapping | None = None):
    """The sweep's ``xarray.Dataset`` from one record per point (in point order; see
    :func:`cablemodel.sweeps.run.run_point`): measures (``NaN`` where a point failed; its
    ``error`` says why), ``error`` (``""`` for a point that succeeded), ``trace_<label>`` (dims
    ..., ``time``) and ``attrs`` plus ``point_seconds`` (wall time of each point, in point
    order) and the units.

    Example
    -------
    >>> g = make_grid({"a": [1, 2]})
    >>> recs = [{"values": {"m": float(a)}, "units": {"m": "mV"}, "error": "", "traces": {},
    ...          "trace_units": {}, "t_ms": None, "seconds": 0.5} for a in (1, 2)]
    >>> ds = assemble(g, recs, ["m"], [])
    >>> ds["m"].values.tolist(), ds["m"].attrs["units"], ds["error"].values.tolist()
    ([1.0, 2.0], 'mV', ['', ''])
    """
    import xarray as xr

    sizes = grid.sizes
    ok = [r for r in records if not r["error"]]
    data = {}
    for name in measures:
        units = {r["units"][name] for r in ok}
        if len(units) > 1:
            raise ValueError(f"measure {name!r} returned values of different units at different"
                             f" points ({sorted(units)}); a measure must have one dimension")
        values = np.array([r["values"][name] if not r["error"] else np.nan for r in records])
        data[name] = (grid.dims, values.reshape(sizes), {"units": units.pop() if units else ""})
    data["error"] = (grid.dims, np.array([r["error"] for r in records], dtype=object)
                     .astype(str).reshape(sizes), {"description": "'' if the point succeeded"})
    coords = {}
    if traces and ok:
        t_ms = ok[0]["t_ms"]
        for r in ok:
            if not np.array_equal(r["t_ms"], t_ms):
                raise ValueError("traces need the same sample times at every point (here"
                                 f" {len(r['t_ms'])} and {len(t_ms)} samples): keep duration and"
                                 " record_dt equal across the sweep, or sweep without traces")
        coords["time"] = ("time", t_ms, {"units": "ms"})
        for label in traces:
            units = {r["trace_units"][label] for r in ok}
            if len(units) > 1:
                raise ValueError(f"trace {label!r} has different units at different points"
                                 f" ({sorted(units)})")
            rows = np.stack([r["traces"][label] if not r["error"] else np.full(len(t_ms), np.nan)
                             for r in records])
            data[f"trace_{label}"] = (grid.dims + ("time",), rows.reshape(sizes + (len(t_ms),)),
                                      {"units": units.pop()})
    for name, (values, unit) in grid.coords.items():
        dims = (name,) if grid.shape is not None else ("point",)
        coords[name] = (dims, values, {"units": unit} if unit else {})
    if grid.shape is None:
        coords["point"] = ("point", np.arange(len(records)))
    seconds = [float(r["seconds"]) for r in records]
    return xr.Dataset(data, coords, dict(attrs or {}, point_seconds=seconds,
                                         point_seconds_total=float(np.sum(seconds))))


def _check_name(name) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"parameter name {name!r} must be an identifier (it is passed to the"
                         " setup as a keyword argument)")


def _values(values, where: str) -> list:
    """An axis' values as a list (a Quantity array: one scalar Quantity each)."""
    if isinstance(values, (str, Mapping)) or not isinstance(values, (Sequence, np.ndarray)):
        raise ValueError(f"{where}: give a list or an array of values, got {values!r}")
    return list(values)


def _coordinate(values: list, where: str) -> tuple[np.ndarray, str]:
    """Coordinate values (plain numbers in one unit, or text) and the unit's name."""
    if all(isinstance(v, Quantity) for v in values):
        dims = {v.dim for v in values}
        if len(dims) > 1:
            raise ValueError(f"{where}: values of different dimensions ({values!r})")
        unit, name = display_unit(values[0])
        return np.array([float(v / unit) for v in values]), name
    if any(isinstance(v, Quantity) for v in values):
        raise ValueError(f"{where}: mixes quantities and plain values ({values!r}); give units to"
                         " all or none")
    if all(isinstance(v, numbers.Real) for v in values):
        return np.array(values), "1"
    return np.array([str(v) for v in values]), ""


def _jsonable(value):
    if isinstance(value, Quantity):
        if value.ndim == 0:
            return {"si": float(value), "dim": str(get_unit(value.dim))}
        return {"si": np.asarray(value).tolist(), "dim": str(get_unit(value.dim))}
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    try:
        json.dumps(value)
        return value
    except TypeError:
        return {"repr": repr(value)}
