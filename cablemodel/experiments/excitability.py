"""Excitability experiments: the all-or-none action potential (response vs stimulus strength)
and the absolute and relative refractory periods (threshold vs inter-stimulus interval).

The stimulus is a synaptic conductance (AMPA, one presynaptic spike) at one site, so that all
strengths and intervals run as trials of one simulation (:func:`cablemodel.sweeps.run_trials`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, nS

from ..cell import Cell
from ..mechanisms.synapses import AMPA, Receptor, Synapse, spike_times
from ..sweeps import Trial, TrialSet, run_trials

__all__ = ["all_or_none", "AllOrNoneResult", "refractory_periods", "RefractoryResult"]

ONSET = 2 * ms


@dataclass(frozen=True)
class AllOrNoneResult:
    """Peak deviation from rest at the spike site (mV) and spike count per stimulus weight (nS);
    the threshold lies in ``(below_threshold_nS, threshold_nS]`` (``None`` when no weight, or
    every weight, fires)."""

    site: str
    weights_nS: tuple[float, ...]
    peaks_mV: tuple[float, ...]
    spikes: tuple[int, ...]
    trials: TrialSet

    @property
    def threshold_nS(self) -> float | None:
        fired = [w for w, s in zip(self.weights_nS, self.spikes, strict=True) if s > 0]
        return fired[0] if fired and fired[0] != self.weights_nS[0] else None

    @property
    def below_threshold_nS(self) -> float | None:
        thr = self.threshold_nS
        return None if thr is None else max(w for w in self.weights_nS if w < thr)

    def plot(self, ax=None):
        """Peak at the spike site against stimulus weight, threshold marked; returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(5, 3.5), layout="constrained")[1]
        fired = np.array(self.spikes) > 0
        w, p = np.array(self.weights_nS), np.array(self.peaks_mV)
        ax.plot(w, p, "-", color="0.6")
        ax.plot(w[~fired], p[~fired], "o", label="no spike")
        ax.plot(w[fired], p[fired], "s", label="spike")
        if self.threshold_nS is not None:
            ax.axvline(self.threshold_nS, ls=":", color="k",
                       label=f"threshold <= {self.threshold_nS:g} nS")
        ax.set_xlabel("stimulus: synaptic weight (nS)")
        ax.set_ylabel(f"peak at {self.site} (mV from rest)")
        ax.set_title("all-or-none: the response jumps at threshold, flat above")
        ax.legend(fontsize=8)
        return ax


def all_or_none(cell: Cell, weights: Quantity, site: str = "soma", receptor: Receptor = AMPA,
                period: Quantity = 40 * ms, **simulate_args) -> AllOrNoneResult:
    """One synaptic event of each weight (siemens, increasing) at ``site``, one trial each:
    the peak at the cell's spike site and whether it fired.

    Example
    -------
    >>> from brian2 import nS
    >>> from cablemodel import standard_cell, ball_and_stick
    >>> out = all_or_none(standard_cell(ball_and_stick()), [1, 3] * nS, engine="numpy")
    >>> out.spikes, out.threshold_nS
    ((0, 1), 3.0)
    """
    w = np.round(np.asarray(Quantity(weights) / nS, dtype=float), 9)
    if w.ndim != 1 or w.size < 2 or np.any(np.diff(w) <= 0) or w[0] < 0:
        raise ValueError(f"weights must be at least two increasing values >= 0 nS, got {w} nS")
    trials = [Trial([Synapse(receptor, site, x * nS, spike_times([ONSET / ms] * ms))],
                    f"{x:g} nS") for x in w]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    spike = cell.spike_site
    return AllOrNoneResult(spike, tuple(w.tolist()),
                           tuple(float(ts.peak(k, spike) / mV) for k in range(len(w))),
                           tuple(ts.spikes(k) for k in range(len(w))), ts)


@dataclass(frozen=True)
class RefractoryResult:
    """Threshold weight (nS) of a second event ``intervals_ms`` after a first suprathreshold one,
    on the grid ``weights_nS``: ``None`` where no weight up to the largest fires (absolute
    refractory period); ``rest_threshold_nS`` is the threshold of a lone event."""

    intervals_ms: tuple[float, ...]
    weights_nS: tuple[float, ...]
    thresholds_nS: tuple[float | None, ...]
    rest_threshold_nS: float | None

    @property
    def absolute_ms(self) -> tuple[float, ...]:
        """Intervals at which the second event never fires."""
        return tuple(i for i, t in zip(self.intervals_ms, self.thresholds_nS, strict=True) if t is None)

    @property
    def relative_ms(self) -> tuple[float, ...]:
        """Intervals at which the second event fires, but only above the resting threshold."""
        rest = self.rest_threshold_nS
        return tuple(i for i, t in zip(self.intervals_ms, self.thresholds_nS, strict=True)
                     if t is not None and rest is not None and t > rest)

    def plot(self, ax=None):
        """Threshold of the second event against the interval; returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(5, 3.5), layout="constrained")[1]
        iv = np.array(self.intervals_ms)
        thr = np.array([np.nan if t is None else t for t in self.thresholds_nS])
        ax.plot(iv, thr, "o-", label="threshold of the second event")
        for i in self.absolute_ms:
            ax.axvspan(i - 0.25, i + 0.25, color="0.85")
        if self.rest_threshold_nS is not None:
            ax.axhline(self.rest_threshold_nS, ls=":", color="k", label="threshold at rest")
        ax.set_xlabel("inter-stimulus interval (ms)")
        ax.set_ylabel("threshold weight (nS)")
        ax.set_title(f"refractory: grey = no spike up to {self.weights_nS[-1]:g} nS")
        ax.legend(fontsize=8)
        return ax


def refractory_periods(cell: Cell, intervals: Quantity, weights: Quantity,
                       first: Quantity | None = None, site: str = "soma",
                       receptor: Receptor = AMPA, settle: Quantity = 30 * ms,
                       **simulate_args) -> RefractoryResult:
    """A first event of weight ``first`` (default: the largest of ``weights``) at ``site``,
    then a second one ``interval`` later; the threshold of the second is the smallest of
    ``weights`` (siemens, increasing) that gives a second spike. One simulation: one trial per
    (interval, weight) pair plus one per lone weight.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import standard_cell, ball_and_stick
    >>> out = refractory_periods(standard_cell(ball_and_stick()), [3, 30] * ms, [1, 30] * nS,
    ...                          engine="numpy", dt=0.1 * ms)
    >>> out.rest_threshold_nS, out.thresholds_nS, out.absolute_ms
    (30.0, (None, 30.0), (3.0,))
    """
    w = np.round(np.asarray(Quantity(weights) / nS, dtype=float), 9)
    iv = np.asarray(Quantity(intervals) / ms, dtype=float)
    if w.ndim != 1 or w.size < 2 or np.any(np.diff(w) <= 0) or w[0] < 0:
        raise ValueError(f"weights must be at least two increasing values >= 0 nS, got {w} nS")
    if iv.ndim != 1 or iv.size < 1 or np.any(iv <= 0):
        raise ValueError(f"intervals must be positive, got {iv} ms")
    w1 = float(first / nS) if first is not None else float(w[-1])
    t0 = float(ONSET / ms)

    def event(weight: float, t: float) -> Synapse:
        return Synapse(receptor, site, weight * nS, spike_times([t] * ms))

    lone = [Trial([event(x, t0)], f"{x:g} nS alone") for x in w]
    pairs = [Trial([event(w1, t0), event(x, t0 + i)], f"{i:g} ms, {x:g} nS")
             for i in iv for x in w]
    period = np.ceil(t0 + iv.max() + float(settle / ms)) * ms
    ts = run_trials(cell, [*lone, *pairs], period=period, **simulate_args)
    counts = [ts.spikes(k) for k in range(len(ts))]
    if min(counts[len(w):]) == 0:
        raise ValueError(f"the first event ({w1:g} nS at {site}) does not fire the cell;"
                         " raise the largest weight or pass a suprathreshold `first`")
    rest = next((float(x) for x, c in zip(w, counts[:len(w)], strict=True) if c > 0), None)
    thresholds = []
    for j in range(len(iv)):
        row = counts[len(w) * (j + 1):len(w) * (j + 2)]
        thresholds.append(next((float(x) for x, c in zip(w, row, strict=True) if c >= 2), None))
    return RefractoryResult(tuple(iv.tolist()), tuple(w.tolist()), tuple(thresholds), rest)
