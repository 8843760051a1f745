"""Many trials in one simulation: each trial's inputs are shifted to its own time window.

Running trials back to back in one network means one build (one compilation) for a whole
protocol. Trials are separated by ``period``; every trial must start at rest (checked: a trial
that starts more than ``rest_tolerance`` away from rest raises, asking for a longer period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, nS

from .cell import Cell
from .engine import SimulationError, simulate
from .mechanisms.synapses import Synapse
from .results import Result

__all__ = ["Trial", "TrialSet", "run_trials"]


@dataclass(frozen=True)
class Trial:
    """One trial: synapses whose spike times are relative to the trial's start.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Synapse, spike_times
    >>> Trial([Synapse(AMPA, "basal@100", 1*nS, spike_times([5]*ms))], "one EPSP").label
    'one EPSP'
    """

    synapses: Sequence[Synapse]
    label: str = ""


@dataclass(frozen=True)
class TrialSet:
    """The result of :func:`run_trials`: the whole run and one window per trial.

    ``period_ms`` is the trial period (ms); trial ``k`` occupies ``[k, k + 1) * period``.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Synapse, spike_times, ball_and_stick, Cell
    >>> epsp = Trial([Synapse(AMPA, "soma", 1*nS, spike_times([1]*ms))], "EPSP")
    >>> ts = run_trials(Cell(ball_and_stick()), [epsp], period=5*ms, engine="numpy")
    >>> len(ts), ts.period_ms, ts.trials[0].label, ts.spikes(0)
    (1, 5.0, 'EPSP', 0)
    """

    result: Result
    trials: tuple[Trial, ...]
    period_ms: float

    def __len__(self) -> int:
        return len(self.trials)

    def window(self, k: int) -> tuple[Quantity, Quantity]:
        """Start and end (second) of trial ``k`` in the run.

        Example
        -------
        >>> r = Result.example()
        >>> ts = TrialSet(r, (Trial([], "weak"), Trial([], "strong")), period_ms=4.0)
        >>> ts.window(1)
        (4. * msecond, 8. * msecond)
        """
        return k * self.period_ms * ms, (k + 1) * self.period_ms * ms

    def peak(self, k: int, label: str) -> Quantity:
        """Signed peak deviation from rest at ``label`` during trial ``k`` (volt).

        Example
        -------
        >>> r = Result.example()
        >>> ts = TrialSet(r, (Trial([], "weak"), Trial([], "strong")), period_ms=4.0)
        >>> ts.peak(0, "hillock"), ts.peak(1, "hillock")
        (5. * mvolt, 65. * mvolt)
        """
        return self.result.peak(label, *self.window(k))

    def spikes(self, k: int) -> int:
        """Number of spikes at the spike site during trial ``k``.

        Example
        -------
        >>> r = Result.example()
        >>> ts = TrialSet(r, (Trial([], "weak"), Trial([], "strong")), period_ms=4.0)
        >>> ts.spikes(0), ts.spikes(1)
        (0, 1)
        """
        return self.result.spike_count(*self.window(k))

    def trace(self, k: int, label: str) -> tuple[Quantity, Quantity]:
        """``(t, v)`` of trial ``k`` at ``label`` (second, volt), time relative to the trial start.

        Example
        -------
        >>> r = Result.example()
        >>> ts = TrialSet(r, (Trial([], "weak"), Trial([], "strong")), period_ms=4.0)
        >>> t, v = ts.trace(1, "hillock")
        >>> t
        array([0., 1., 2., 3.]) * msecond
        >>> v
        array([-65., -40.,   0., -65.]) * mvolt
        """
        lo, hi = (float(w / ms) for w in self.window(k))
        m = (self.result.t_ms >= lo) & (self.result.t_ms < hi)
        return (self.result.t_ms[m] - lo) * ms, self.result.v_mV[self.result.labels.index(label),
                                                                  m] * mV

    def first_crossing(self, k: int, threshold: Quantity) -> str | None:
        """Recorded site that crossed ``threshold`` (volt) first in trial ``k``, or ``None``.

        Example
        -------
        >>> from brian2 import mV
        >>> r = Result.example()
        >>> ts = TrialSet(r, (Trial([], "weak"), Trial([], "strong")), period_ms=4.0)
        >>> ts.first_crossing(1, -20 * mV)
        'hillock'
        >>> ts.first_crossing(0, -20 * mV) is None
        True
        """
        return self.result.first_crossing_site(threshold, *self.window(k))


def run_trials(cell: Cell, trials: Sequence[Trial], period=100 * ms, rest_tolerance=0.1 * mV,
               **simulate_args) -> TrialSet:
    """Run ``trials`` back to back in one simulation, ``period`` apart.

    Synapses with the same receptor, site and weight are merged into one (their spike trains
    concatenated), so a protocol of N trials builds one network. ``simulate_args`` go to
    :func:`cablemodel.simulate` (``engine``, ``dt``, ``record``, ...).

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Synapse, spike_times, ball_and_stick, Cell
    >>> trials = [Trial([Synapse(AMPA, f"basal@{d}", 1*nS, spike_times([2]*ms))]) for d in (50, 300)]
    >>> ts = run_trials(Cell(ball_and_stick()), trials, period=30*ms, engine="numpy")
    >>> bool(ts.peak(0, "hillock") > ts.peak(1, "hillock"))
    True
    """
    P = float(period / ms)
    merged: dict[tuple, list] = {}
    for k, trial in enumerate(trials):
        for s in trial.synapses:
            t = np.asarray(s.spikes / ms)
            if t.size and t.max() >= P:
                raise ValueError(f"trial {k} ({trial.label}): spike at {t.max():g} ms is beyond"
                                 f" the trial period ({P:g} ms); lengthen period")
            key = (s.receptor.name, str(s.site), float(s.weight / nS))
            merged.setdefault(key, [s, []])[1].append(t + k * P)
    synapses = [Synapse(s.receptor, s.site, s.weight, np.concatenate(ts) * ms)
                for s, ts in merged.values()]
    result = simulate(cell, synapses, duration=len(trials) * P * ms, **simulate_args)
    out = TrialSet(result, tuple(trials), P)
    tol = float(rest_tolerance / mV)
    for k in range(1, len(trials)):
        i = int(np.searchsorted(result.t_ms, k * P))
        dev = np.abs(result.v_mV[:, max(i - 1, 0)] - result.v_rest_mV).max()
        if dev > tol:
            raise SimulationError(
                f"trial {k} started {dev:.3f} mV away from rest (tolerance {tol:g} mV): the"
                f" previous trial has not decayed; use a longer period than {P:g} ms")
    return out
