"""Conduction velocity of a propagating spike from the times it crosses a threshold at recorded
sites along a path."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from brian2 import Quantity, meter, ms, mV, second

from ..units import quantity

__all__ = ["arrival_times", "conduction_velocity"]


def _threshold(result, threshold) -> float:
    if threshold is None:
        cell = result.info.get("cell", {})
        if "spike_threshold_mV" not in cell:
            raise ValueError("this result does not say its cell's spike threshold; pass"
                             " threshold=... (e.g. -20*mV)")
        return float(cell["spike_threshold_mV"])
    return float(quantity(threshold, mV, "threshold", scalar=True) / mV)


def arrival_times(result, sites: Sequence[str], threshold: Quantity | None = None,
                  start: Quantity | None = None) -> Quantity:
    """Time (second) at which the potential first crosses ``threshold`` upwards (default the
    cell's spike threshold) at each recorded site in ``sites`` (labels of
    :meth:`~cablemodel.simulation.results.Result.v`) from ``start`` on, interpolated linearly
    between samples (record with ``record_dt`` = ``dt`` for the best resolution). A site that
    never crosses is a ``ValueError`` naming it.

    Example
    -------
    >>> from brian2 import mV
    >>> from cablemodel import Result
    >>> arrival_times(Result.example(), ["hillock"], -20 * mV)
    array([5.5]) * msecond
    """
    thr = _threshold(result, threshold)
    out = []
    for site in sites:
        t = result.crossing_time(site, thr * mV, start)
        if t is None:
            raise ValueError(f"site {site!r} did not reach {thr:g} mV: no spike arrived there;"
                             " drive the fibre harder, lower the threshold or leave the site out")
        out.append(float(t / ms))
    return np.array(out) * ms


def conduction_velocity(result, sites: Sequence[str], threshold: Quantity | None = None,
                        start: Quantity | None = None) -> Quantity:
    """Conduction velocity (m/s): the least-squares slope of path distance against
    :func:`arrival_times` over the recorded ``sites`` (at least two, in order along the path).
    Refused with a ``ValueError`` if a site did not spike or the arrival times do not increase
    strictly with distance (the spike did not travel from the first site to the last).

    Example
    -------
    >>> from brian2 import mV, ms, nA, um
    >>> from cablemodel import CurrentClamp, simulate, standard_cell, ball_and_stick
    >>> cell = standard_cell(ball_and_stick(), {"axon": {"na": 0.12, "k": 0.036}})
    >>> sites = ["axon@80", "axon@130", "axon@180"]
    >>> r = simulate(cell, clamps=[CurrentClamp("soma", 1 * nA, 1 * ms, 3 * ms)], record=sites,
    ...              duration=8 * ms, engine="numpy")
    >>> 0.1 < float(conduction_velocity(r, sites) / (meter / second)) < 2
    True
    """
    if len(sites) < 2:
        raise ValueError(f"conduction_velocity needs at least two sites along the path, got {sites!r}")
    t = np.asarray(arrival_times(result, sites, threshold, start) / ms)
    x = np.array([float(result.distance(s) / meter) for s in sites]) * 1e3  # mm
    order = np.argsort(x)
    if np.any(np.diff(x[order]) <= 0) or np.any(np.diff(t[order]) <= 0):
        raise ValueError(f"the spike did not travel along the sites: distances {x * 1e3} um,"
                         f" arrival times {t} ms; give sites in order along one path, away from"
                         " where the spike starts")
    slope = np.polyfit(t, x, 1)[0]  # mm/ms = m/s
    return float(slope) * meter / second
