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
    """Threshold weight (nS) of a second event ``intervals_ms`` after a first suprathreshold one:
    the smallest weight tried that fires it, ``None`` where none up to the largest tried fires
    (absolute refractory period); the threshold lies in ``(lower_nS, thresholds_nS]``.
    ``rest_threshold_nS`` (and ``rest_lower_nS``) is that of a lone event; ``weights_nS`` every
    weight tried (the grid, or the bisection's steps); ``n_trials`` the trials run."""

    intervals_ms: tuple[float, ...]
    weights_nS: tuple[float, ...]
    thresholds_nS: tuple[float | None, ...]
    lower_nS: tuple[float, ...]
    rest_threshold_nS: float | None
    rest_lower_nS: float
    n_trials: int

    @property
    def absolute_ms(self) -> tuple[float, ...]:
        """Intervals at which the second event never fires."""
        return tuple(i for i, t in zip(self.intervals_ms, self.thresholds_nS, strict=True) if t is None)

    @property
    def relative_ms(self) -> tuple[float, ...]:
        """Intervals at which the second event fires, but only above the resting threshold (its
        lower bound is above the resting threshold)."""
        rest = self.rest_threshold_nS
        return tuple(i for i, t, lo in zip(self.intervals_ms, self.thresholds_nS, self.lower_nS,
                                           strict=True)
                     if t is not None and rest is not None and lo >= rest)

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
            ax.axhline(self.rest_threshold_nS, ls=":", color="k",
                       label=f"threshold at rest ({self.rest_threshold_nS:.3g} nS)")
        ax.set_xlabel("inter-stimulus interval (ms)")
        ax.set_ylabel("threshold weight (nS)")
        absolute = (f"no spike up to {max(self.weights_nS):g} nS at "
                    + ", ".join(f"{i:g}" for i in self.absolute_ms) + " ms (grey)"
                    if self.absolute_ms else f"every interval fires below {max(self.weights_nS):g} nS")
        ax.set_title(f"refractory: {absolute}", fontsize=9)
        ax.legend(fontsize=8)
        return ax


def refractory_periods(cell: Cell, intervals: Quantity, weights: Quantity | None = None,
                       first: Quantity | None = None, site: str = "soma",
                       receptor: Receptor = AMPA, settle: Quantity = 30 * ms,
                       max_weight: Quantity = 30 * nS, tolerance: float = 0.1,
                       **simulate_args) -> RefractoryResult:
    """A first event of weight ``first`` at ``site`` (default the soma, present on every cell),
    then a second one ``interval`` later: the threshold weight of the second.

    With ``weights`` (siemens, increasing) the threshold is the smallest of them that gives a
    second spike, all (interval, weight) pairs and lone weights in one simulation; ``first``
    defaults to the largest weight. Without (faster): a bisection between 0 and ``max_weight``
    (also the default ``first``), one simulation per step with one trial per interval still
    open and one lone event, until the bracket is narrower than ``tolerance`` times its top
    (steps by 4x from ``max_weight`` down, then geometric halving).

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import standard_cell, ball_and_stick
    >>> out = refractory_periods(standard_cell(ball_and_stick()), [3, 30] * ms, [1, 30] * nS,
    ...                          engine="numpy", dt=0.1 * ms)
    >>> out.rest_threshold_nS, out.thresholds_nS, out.absolute_ms
    (30.0, (None, 30.0), (3.0,))
    """
    iv = np.asarray(Quantity(intervals) / ms, dtype=float)
    if iv.ndim != 1 or iv.size < 1 or np.any(iv <= 0):
        raise ValueError(f"intervals must be positive, got {iv} ms")
    t0 = float(ONSET / ms)
    period = np.ceil(t0 + iv.max() + float(settle / ms)) * ms

    def event(weight: float, t: float) -> Synapse:
        return Synapse(receptor, site, weight * nS, spike_times([t] * ms))

    def run(w1: float, lone: list[float], pairs: list[tuple[float, float]]) -> list[int]:
        trials = [Trial([event(x, t0)], f"{x:g} nS alone") for x in lone]
        trials += [Trial([event(w1, t0), event(x, t0 + i)], f"{i:g} ms, {x:g} nS")
                   for i, x in pairs]
        ts = run_trials(cell, trials, period=period, **simulate_args)
        return [ts.spikes(k) for k in range(len(ts))]

    def check_first(counts: list[int], w1: float) -> None:
        if min(counts) == 0:
            raise ValueError(f"the first event ({w1:g} nS at {site}) does not fire the cell;"
                             " raise the largest weight or pass a suprathreshold `first`")

    if weights is not None:
        w = np.round(np.asarray(Quantity(weights) / nS, dtype=float), 9)
        if w.ndim != 1 or w.size < 2 or np.any(np.diff(w) <= 0) or w[0] < 0:
            raise ValueError(f"weights must be at least two increasing values >= 0 nS, got {w} nS")
        w1 = float(first / nS) if first is not None else float(w[-1])
        counts = run(w1, list(w), [(i, x) for i in iv for x in w])
        check_first(counts[len(w):], w1)
        lone, rows = counts[:len(w)], [counts[len(w) * (j + 1):len(w) * (j + 2)]
                                       for j in range(len(iv))]
        rest = next((float(x) for x, c in zip(w, lone, strict=True) if c > 0), None)
        thr = [next((float(x) for x, c in zip(w, row, strict=True) if c >= 2), None)
               for row in rows]
        below = [max([0.0, *(float(x) for x in w if t is None or x < t)]) for t in thr]
        rest_lo = max([0.0, *(float(x) for x in w if rest is None or x < rest)])
        return RefractoryResult(tuple(iv.tolist()), tuple(w.tolist()), tuple(thr), tuple(below),
                                rest, rest_lo, len(counts))
    top = float(max_weight / nS)
    if not top > 0 or not 0 < tolerance < 1:
        raise ValueError(f"max_weight must be > 0 nS and 0 < tolerance < 1, got {top:g} nS and"
                         f" {tolerance:g}")
    w1 = float(first / nS) if first is not None else top
    # brackets (lo, hi]: lo does not fire, hi fires (None: not even the top fires)
    lo, hi = [0.0] * (len(iv) + 1), [top] * (len(iv) + 1)
    counts = run(w1, [top], [(i, top) for i in iv])
    check_first(counts[1:], w1)
    fired = [counts[0] > 0, *(c >= 2 for c in counts[1:])]
    hi = [h if f else None for h, f in zip(hi, fired, strict=True)]
    lo = [top if h is None else 0.0 for h in hi]
    tried, n = {top}, len(counts)
    while True:
        open_ = [k for k, h in enumerate(hi) if h is not None and h - lo[k] > tolerance * h]
        if not open_:
            break
        mid = {k: (hi[k] / 4 if lo[k] == 0 else float(np.sqrt(lo[k] * hi[k]))) for k in open_}
        tried |= set(mid.values())
        lone = [mid[0]] if 0 in mid else []
        pairs = [(iv[k - 1], mid[k]) for k in open_ if k > 0]
        counts = run(w1, lone, pairs)
        n += len(counts)
        for k, c in zip(open_, counts, strict=True):
            if c >= (1 if k == 0 else 2):
                hi[k] = mid[k]
            else:
                lo[k] = mid[k]
    return RefractoryResult(tuple(iv.tolist()), tuple(sorted(tried)), tuple(hi[1:]),
                            tuple(lo[1:]), hi[0], lo[0], n)
