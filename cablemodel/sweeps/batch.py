"""Points that differ only in their synapses, run as the trials of one simulation.

``sweep(..., as_trials=True)``: when the setups of a job's points return the same cell (the
same object), the same duration, dt, engine and other arguments, and differ only in
``synapses`` (weights, spike times, sites, receptors) and ``record``, the points run back to
back in one simulation with :func:`cablemodel.sweeps.run_trials` (period = the duration; the
cell and the synapses are reset at each trial start), each equal to its lone run to rounding
(1e-9 mV). Each point's measures and traces are read from its own window (a :class:`Result`
of its own, times from 0). Not with clamps or gap junctions (they would act in every trial);
quantal release draws other random numbers than lone runs (same statistics). Points that
cannot run so run one by one (with a warning saying why).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from brian2 import mV

from ..simulation.assembly import value_key
from ..simulation.engine import SimulationError, simulate
from ..simulation.results import Result
from .trials import Trial, TrialSet, run_trials

__all__ = ["trial_arguments", "run_as_trials", "window_result"]

_DEFAULTS = {k: p.default for k, p in inspect.signature(simulate).parameters.items()}
#: Arguments that may differ from point to point in a batch.
_PER_TRIAL = ("synapses", "record")


def trial_arguments(args: Sequence[Mapping]) -> dict | str:
    """The :func:`run_trials` arguments that run the simulate calls ``args`` as trials, or the
    reason they cannot (a str).

    Example
    -------
    >>> from brian2 import ms
    >>> from cablemodel import Cell, ball_and_stick
    >>> cell = Cell(ball_and_stick())
    >>> trial_arguments([{"cell": cell, "duration": 5 * ms}, {"cell": cell, "duration": 6 * ms}])
    'the points differ in duration (only synapses and record may differ)'
    >>> sorted(trial_arguments([{"cell": cell, "record": ["basal@50"]}, {"cell": cell}]))
    ['cell', 'period', 'record', 'trials']
    """
    first = {k: v for k, v in args[0].items() if k not in _PER_TRIAL}
    for a in args:
        if a.get("clamps") or a.get("gap_junctions"):
            return "clamps and gap junctions would act in every trial"
        other = {k: v for k, v in a.items() if k not in _PER_TRIAL}
        for key in sorted(set(other) | set(first)):
            x, y = other.get(key, _DEFAULTS.get(key)), first.get(key, _DEFAULTS.get(key))
            if x is not y and value_key(x) != value_key(y):
                why = " (build the cell once, e.g. at module level)" if key == "cell" else ""
                return f"the points differ in {key}{why} (only synapses and record may differ)"
    record: list = []
    for a in args:
        for item in a.get("record") or ():
            if item not in record:
                record.append(item)
    out = {k: v for k, v in first.items() if k not in ("clamps", "gap_junctions", "duration")}
    return {**out, "period": first.get("duration", _DEFAULTS["duration"]), "record": record,
            "trials": [Trial(list(a.get("synapses", ()))) for a in args]}


def run_as_trials(args: Sequence[Mapping]) -> list[Result] | str:
    """One :class:`Result` per simulate call of ``args`` from one :func:`run_trials`, or the
    reason it cannot be done (a str).

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Cell, Synapse, ball_and_stick, spike_times
    >>> cell = Cell(ball_and_stick())
    >>> run_as_trials([{"cell": cell, "synapses": [Synapse(AMPA, "soma", 1 * nS, spike_times([9] * ms))],
    ...                 "duration": 5 * ms, "engine": "numpy"}, {"cell": cell, "duration": 5 * ms}])
    'the points differ in engine (only synapses and record may differ)'
    """
    kwargs = trial_arguments(args)
    if isinstance(kwargs, str):
        return kwargs
    cell, trials, period = kwargs.pop("cell"), kwargs.pop("trials"), kwargs.pop("period")
    try:
        ts = run_trials(cell, trials, period=period, rest_tolerance=math.inf * mV, **kwargs)
    except (ValueError, SimulationError) as err:
        return f"run_trials refused them ({err})"
    return [window_result(ts, k) for k in range(len(trials))]


def window_result(ts: TrialSet, k: int) -> Result:
    """Trial ``k`` of ``ts`` as a :class:`Result` of its own (times from 0, its spikes only).

    Example
    -------
    >>> r = Result.example()
    >>> ts = TrialSet(r, (Trial([]), Trial([])), period_ms=4.0)
    >>> w = window_result(ts, 1)
    >>> w.t_ms.tolist(), w.v_mV[1].tolist(), w.spikes_ms.tolist()
    ([0.0, 1.0, 2.0, 3.0], [-65.0, -40.0, 0.0, -65.0], [1.5])
    """
    r = ts.result
    n = int(np.searchsorted(r.t_ms, ts.period_ms - 1e-9))  # samples per trial
    lo = k * ts.period_ms
    rows = slice(k * n, (k + 1) * n)
    spikes = r.spikes_ms[(r.spikes_ms >= lo) & (r.spikes_ms < lo + ts.period_ms)] - lo
    recorded = {name: replace(tr, values=tr.values[:, rows]) for name, tr in r.recorded.items()}
    return Result(r.labels, r.compartments, r.t_ms[:n], r.v_mV[:, rows], spikes, r.v_rest_mV,
                  r.table, dict(r.info, trial=k), recorded)
