"""Many trials in one simulation: each trial's inputs are shifted to its own time window.

Running trials back to back in one network means one build (one compilation) for a whole
protocol. Trials are separated by ``period``. At the start of each period the cell (potential,
channel gates) and every synapse (conductance, cleft, presynaptic release state) are put back
into their initial state, so every trial gives what the same synapses give in a run of their
own (:func:`cablemodel.simulate` for ``period``), to rounding. The previous trial must have
decayed by then (checked: a trial whose predecessor ends more than ``rest_tolerance`` away from
rest raises, asking for a longer period).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass, replace

import numpy as np
from brian2 import Quantity, ms, mV, second

from ..cell import Cell
from ..mechanisms.synapses import Synapse
from ..simulation.assembly import trial_period, value_key
from ..simulation.engine import SimulationError, simulate
from ..simulation.results import Result
from ..units import quantity

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
    """Run ``trials`` back to back in one simulation, ``period`` apart (one build for all).

    Each trial equals the run of its synapses alone for ``period`` (:func:`cablemodel.simulate`
    with the same ``simulate_args``), to rounding (1e-9 mV): the cell and the synapses are reset
    to their initial state at each trial start, so nothing carries over (no presynaptic
    depression, no leftover conductance). Receptor variants that share a name (e.g. ``gaba_a()``
    and ``gaba_a(ions=Ions(cl_in=30*mM))`` in two trials) are renamed internally; per-synapse
    ``params`` are kept; several equal synapses at one site are allowed. Equal synapses of
    different trials share one Brian2 synapse. Quantal release draws other random numbers than
    a lone run (same statistics).

    Parameters
    ----------
    cell : Cell
    trials : sequence of Trial
        Spike times relative to each trial's start; each spike must act within the period.
    period : Quantity
        Trial length (second), a whole number of time steps ``dt`` (and of ``record_dt``).
    rest_tolerance : Quantity
        Largest deviation from rest (volt) at the end of a trial, at any recorded site.
    simulate_args
        Go to :func:`cablemodel.simulate` (``engine``, ``dt``, ``record``, ...).

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Synapse, spike_times, ball_and_stick, Cell
    >>> trials = [Trial([Synapse(AMPA, f"basal@{d}", 1*nS, spike_times([2]*ms))]) for d in (50, 300)]
    >>> ts = run_trials(Cell(ball_and_stick()), trials, period=30*ms, engine="numpy")
    >>> bool(ts.peak(0, "hillock") > ts.peak(1, "hillock"))
    True
    """
    trials = tuple(trials)
    if not trials:
        raise ValueError("run_trials needs at least one Trial")
    dt_ms = float(quantity(simulate_args.get("dt", _DEFAULT_DT), second, "dt", scalar=True) / ms)
    P = float(quantity(period, second, "period", scalar=True) / ms)
    n_steps = _whole_steps(P, dt_ms, "dt")
    if simulate_args.get("record_dt") is not None:
        _whole_steps(P, float(quantity(simulate_args["record_dt"], second, "record_dt",
                                       scalar=True) / ms), "record_dt")
    renamed = _Variants()
    merged: dict[tuple, tuple[Synapse, list[np.ndarray]]] = {}
    for k, trial in enumerate(trials):
        if not isinstance(trial, Trial):
            raise TypeError(f"trial {k}: expected a Trial, got {type(trial).__name__}")
        where = f"trial {k}{f' ({trial.label})' if trial.label else ''}"
        names: dict[str, tuple] = {}
        copies: dict[tuple, int] = {}
        for s in trial.synapses:
            if not isinstance(s, Synapse):
                raise TypeError(f"{where}: expected Synapse objects, got {type(s).__name__}")
            rec_key = value_key(s.receptor)
            if names.setdefault(s.receptor.name, rec_key) != rec_key:
                raise ValueError(f"{where}: two different receptors are named"
                                 f" {s.receptor.name!r}; give each receptor type its own name")
            # the step each spike acts in (the engine's rule: the nearest step), then shifted by
            # whole steps, so that every trial sees exactly the steps of a lone run
            steps = np.ceil(np.asarray(s.spikes / ms) / dt_ms - 0.5)
            if steps.size and steps.max() >= n_steps:
                raise ValueError(f"{where}: the spike at {float(s.spikes[-1] / ms):g} ms acts at or"
                                 f" after the end of the trial period ({P:g} ms); lengthen period")
            same = (rec_key, value_key(s.site), value_key(s.weight), value_key(s.params))
            copies[same] = copies.get(same, -1) + 1  # the n-th equal synapse of this trial
            slot = merged.setdefault(same + (copies[same],),
                                     (replace(s, receptor=renamed(s.receptor)), []))
            slot[1].append((steps + k * n_steps) * dt_ms)
    synapses = [replace(s, spikes=np.concatenate(t) * ms) for s, t in merged.values()]
    with trial_period(n_steps * dt_ms):
        result = simulate(cell, synapses, duration=len(trials) * n_steps * dt_ms * ms,
                          **simulate_args)
    out = TrialSet(result, trials, P)
    tol = float(rest_tolerance / mV)
    for k in range(1, len(trials)):
        i = int(np.searchsorted(result.t_ms, k * P - 1e-9))
        dev = np.abs(result.v_mV[:, i - 1] - result.v_rest_mV).max()
        if dev > tol:
            raise SimulationError(
                f"trial {k - 1} ended {dev:.3f} mV away from rest (tolerance {tol:g} mV): it is cut"
                f" off before it decayed; use a longer period than {P:g} ms")
    return out


#: the default time step of :func:`cablemodel.simulate`
_DEFAULT_DT = inspect.signature(simulate).parameters["dt"].default


def _whole_steps(period_ms: float, step_ms: float, what: str) -> int:
    """``period_ms / step_ms`` when it is a whole number >= 1, else a ``ValueError``."""
    if not step_ms > 0:
        raise ValueError(f"{what} must be > 0 ms, got {step_ms:g} ms")
    n = round(period_ms / step_ms)
    if n < 1 or abs(n * step_ms - period_ms) > 1e-9 * period_ms:
        raise ValueError(f"period ({period_ms:g} ms) must be a whole number of {what} steps"
                         f" ({step_ms:g} ms), so that every trial starts on a step; e.g."
                         f" {max(n, 1) * step_ms:g} ms")
    return n


class _Variants:
    """Receptor -> the receptor to place: the first of each name keeps it, a different receptor
    with a name already taken gets ``<name>_2``, ``<name>_3``, ... (one Brian2 ``Synapses`` per
    name)."""

    def __init__(self) -> None:
        self._chosen: dict = {}
        self._taken: set[str] = set()

    def __call__(self, rec):
        key = value_key(rec)
        if key not in self._chosen:
            name, n = rec.name, 1
            while name in self._taken:
                n += 1
                name = f"{rec.name}_{n}"
            if name != rec.name:
                if not (is_dataclass(rec) and "name" in {f.name for f in fields(rec)}):
                    raise ValueError(f"the trials use two different receptors named {rec.name!r};"
                                     f" a {type(rec).__name__} cannot be renamed: give each its"
                                     " own name")
                rec = replace(rec, name=name)
            self._taken.add(name)
            self._chosen[key] = rec
        return self._chosen[key]
