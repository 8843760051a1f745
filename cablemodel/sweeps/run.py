"""``cablemodel.sweep``: run a model at every point of a grid or a list, keep measures and traces.

Each point is exactly the lone :func:`cablemodel.simulate` call that ``setup(**point)``
describes (the sweep only adds the sites of its measures and traces to ``record``, which does
not change a run). Structures repeat across points, so with ``engine="cpp_standalone"`` a sweep
compiles each structure once (the build cache: values are input data) and every worker
reuses that build.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import pickle
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..places import Location, Region
from ..simulation.engine import simulate
from ..simulation.recording import parse_request
from .backends import run_points
from .batch import run_as_trials
from .grid import assemble, make_grid
from .measures import Measure, evaluate, parse_measure, trace_values
from .store import Store

__all__ = ["sweep", "PointTask", "SIMULATE_ARGS", "TRIALS_PER_RUN"]

#: The keyword arguments a setup may return (those of :func:`cablemodel.simulate`).
SIMULATE_ARGS = tuple(inspect.signature(simulate).parameters)
_RESERVED = ("error", "time", "point")
#: Most points run as trials of one simulation (``as_trials=True``).
TRIALS_PER_RUN = 100
#: One simulation at a time per process: Brian2's state is global (threads of one Dask worker
#: process, or of a cluster with ``processes=False``, take turns).
_ONE_RUN = threading.Lock()


@dataclass(frozen=True)
class PointTask:
    """One point's work, picklable for worker processes: ``setup(**point)``, the simulation,
    then the measures and traces. Returns a record (dict): ``values`` and ``units`` per measure,
    ``error`` (``""``, or the exception's type and message when the setup, the run or a measure
    raised), ``traces``/``trace_units``/``t_ms`` and ``seconds`` (wall time).

    Example
    -------
    >>> from brian2 import ms
    >>> from cablemodel import Cell, ball_and_stick
    >>> def setup(duration):
    ...     return {"cell": Cell(ball_and_stick()), "duration": duration, "engine": "numpy"}
    >>> rec = PointTask(setup, (("v0", parse_measure("rest@soma")),))({"duration": 1 * ms})
    >>> rec["values"], rec["error"]
    ({'v0': -65.0}, '')
    >>> PointTask(setup, ())({"duration": -1 * ms})["error"]
    'ValueError: duration must be > 0 ms, got -1. ms'
    """

    setup: Callable[..., Mapping]
    measures: tuple[tuple[str, Measure | Callable], ...]
    traces: tuple[str, ...] = ()
    as_trials: bool = False

    def __call__(self, point: Mapping) -> dict:
        start = time.perf_counter()
        try:
            kwargs = self.arguments(point)
            with _ONE_RUN:
                result = simulate(**kwargs)
            record = self.record(result)
        except Exception as err:
            record = _failed(err)
        record["seconds"] = time.perf_counter() - start
        return record

    def run(self, points: Sequence[Mapping]) -> list[dict]:
        """The records of several points: as trials of one simulation with ``as_trials`` (see
        :mod:`cablemodel.sweeps.batch`; one by one when they cannot, with a warning), else one
        lone run each. A batch's wall time is shared equally among its points.

        Example
        -------
        >>> def setup(duration):
        ...     raise ValueError(f"no cell for {duration}")
        >>> [r["error"] for r in PointTask(setup, (), as_trials=True).run([{"duration": 1}] * 2)]
        ['ValueError: no cell for 1', 'ValueError: no cell for 1']
        """
        if not self.as_trials or len(points) < 2:
            return [self(p) for p in points]
        start = time.perf_counter()
        records: list = [None] * len(points)
        args = {}
        for k, p in enumerate(points):
            try:
                args[k] = self.arguments(p)
            except Exception as err:  # that point fails, the others run
                records[k] = _failed(err)
        try:
            with _ONE_RUN:
                results = run_as_trials(list(args.values())) if args else []
        except Exception as err:
            results = f"the run raised {type(err).__name__}: {err}"
        if isinstance(results, str):
            warnings.warn(f"as_trials: {results}; these {len(args)} points run one by one",
                          stacklevel=2)
            return [self(p) if records[k] is None else dict(records[k], seconds=0.0)
                    for k, p in enumerate(points)]
        for k, result in zip(args, results, strict=True):
            try:
                records[k] = self.record(result)
            except Exception as err:
                records[k] = _failed(err)
        seconds = (time.perf_counter() - start) / len(points)
        return [dict(r, seconds=seconds) for r in records]

    def record(self, result) -> dict:
        """The measures and traces of ``result`` (a record without ``seconds``)."""
        record = {"values": {}, "units": {}, "error": "", "traces": {}, "trace_units": {},
                  "t_ms": result.t_ms if self.traces else None}
        for name, measure in self.measures:
            record["values"][name], record["units"][name] = evaluate(measure, result)
        for label in self.traces:
            record["traces"][label], record["trace_units"][label] = trace_values(result, label)
        return record

    def arguments(self, point: Mapping) -> dict:
        """The keyword arguments of :func:`cablemodel.simulate` for ``point``: the setup's, with
        the sites of the measures and traces added to ``record``."""
        kwargs = self.setup(**point)
        if not isinstance(kwargs, Mapping):
            raise TypeError(f"the setup returned {type(kwargs).__name__}; it must return a dict of"
                            f" keyword arguments of cablemodel.simulate ({', '.join(SIMULATE_ARGS)})")
        unknown = sorted(set(kwargs) - set(SIMULATE_ARGS))
        if unknown:
            raise TypeError(f"the setup returned {unknown}, which cablemodel.simulate does not take;"
                            f" it takes {', '.join(SIMULATE_ARGS)}")
        kwargs = dict(kwargs)
        sites = [m.site for _, m in self.measures if isinstance(m, Measure) and m.site]
        kwargs["record"] = _with(kwargs.get("record"), [*sites, *self.traces])
        return kwargs


def sweep(setup: Callable[..., Mapping], axes: Mapping[str, Sequence] | None = None, *,
          points: Sequence[Mapping] | None = None,
          measures: Mapping[str, str | Callable] | None = None, traces: Iterable[str] = (),
          backend: str = "serial", workers: int | None = None, scheduler=None,
          store: str | None = None, resume: bool = True, retry_failed: bool = False,
          progress=True, as_trials: bool = False):
    """Run ``simulate(**setup(**point))`` at every point; return an ``xarray.Dataset``.

    Parameters
    ----------
    setup : callable
        Called as ``setup(**point)``; returns a dict of keyword arguments of
        :func:`cablemodel.simulate` (``cell``, ``synapses``, ``clamps``, ``duration``, ``dt``,
        ``record``, ``record_dt``, ``engine``, ``seed``, ``gap_junctions``, ...). Picklable (a
        module-level function or a picklable object) for the processes and Dask backends.
    axes : mapping of name to values, optional
        A grid: every combination (dimension per axis, the last varying fastest); values are a
        Quantity array, a list of Quantities, numbers, strings or other objects.
    points : list of dicts, optional
        Instead of ``axes``: the points themselves (dimension ``"point"``, one coordinate per
        parameter).
    measures : mapping of name to measure
        A string (:func:`~cablemodel.sweeps.measures.parse_measure`: ``"peak@SITE"``,
        ``"max@SITE"``, ``"min@SITE"``, ``"rest@SITE"``, ``"spikes"``, ``"first_spike"``) or a
        callable of the :class:`Result` returning a number or a Quantity.
    traces : iterable of str
        Recorded rows kept per point (a site label, or ``"VAR@SITE"``): ``trace_<label>`` with a
        ``time`` dimension (ms). Every point must then have the same sample times.
    backend : str
        ``"serial"``, ``"processes"`` or ``"dask"`` (see :mod:`cablemodel.sweeps.backends`).
    workers : int, optional
        Worker processes (processes, dask LocalCluster); default ``os.cpu_count()``.
    scheduler : None, str or dask.distributed.Client
        Dask only: ``None`` starts a LocalCluster, an address connects to a scheduler.
    store : path, optional
        Folder of the results (see :mod:`cablemodel.sweeps.store`): each finished point is
        written at once, so an interrupted sweep resumes where it stopped.
    resume : bool
        With a store holding this sweep: skip its finished points. ``False`` refuses a store that
        already holds points (nothing is overwritten).
    retry_failed : bool
        On resume, run the points that failed again (else their errors are kept).
    progress : bool or text stream
        A tqdm progress bar with ETA (terminal or notebook); a stream (e.g. ``sys.stdout``) to
        write it there; ``False`` for none.
    as_trials : bool
        Points that differ only in their synapses (weights, spike times, sites) run as trials of
        one simulation, up to :data:`TRIALS_PER_RUN` per run and at least one run per worker
        (:mod:`cablemodel.sweeps.batch`: equal to lone runs to rounding, 1e-9 mV; much faster
        for short runs); other points run one by one, with a warning.

    Returns
    -------
    xarray.Dataset
        One variable per measure (float; unit in ``attrs["units"]``; ``NaN`` where the point
        failed), ``error`` (``""`` where it succeeded, else the exception's type and message),
        ``trace_<label>`` if asked; coordinates in the unit of each axis (``attrs["units"]``);
        attributes ``point_seconds`` (wall time of each point, in point order),
        ``point_seconds_total``, ``wall_seconds`` (this call), ``backend``, ``measures``.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import Cell, ball_and_stick, Synapse, AMPA, spike_times
    >>> def setup(weight, site):
    ...     syn = Synapse(AMPA, site, weight, spike_times([1] * ms))
    ...     return {"cell": Cell(ball_and_stick()), "synapses": [syn], "duration": 5 * ms,
    ...             "dt": 0.1 * ms, "engine": "numpy"}
    >>> ds = sweep(setup, {"weight": [1, 2] * nS, "site": ["basal@50"]},
    ...            measures={"epsp": "peak@soma"}, progress=False)
    >>> ds["epsp"].dims, ds["epsp"].attrs["units"], ds["weight"].values.tolist()
    (('weight', 'site'), 'mV', [1.0, 2.0])
    >>> bool(ds["epsp"].sel(weight=2, site="basal@50") > ds["epsp"].sel(weight=1, site="basal@50"))
    True
    """
    started = time.perf_counter()
    grid = make_grid(axes, points)
    parsed = _measures(measures, grid.names)
    traces = tuple(traces)
    for label in traces:
        parse_request(label)
    task = PointTask(setup, tuple(parsed.items()), traces, as_trials)
    if backend != "serial":
        _check_picklable(task)
    records: dict[int, dict] = {}
    folder = None
    if store is not None:
        folder = Store(store, {**grid.definition(), "setup": _identity(setup),
                               "measures": {k: _identity(m) for k, m in parsed.items()},
                               "traces": list(traces)})
        records = folder.finished()
        if records and not resume:
            raise ValueError(f"the store {store} already holds {len(records)} point(s) of this"
                             " sweep; pass resume=True to continue it, or give another folder")
        if retry_failed:
            records = {k: r for k, r in records.items() if not r["error"]}
    todo = [(k, p) for k, p in enumerate(grid.points) if k not in records]
    failed = sum(1 for r in records.values() if r["error"])
    with _bar(progress, len(grid.points), len(records)) as bar:
        n_workers = 1 if backend == "serial" else workers or os.cpu_count() or 1
        jobs = _jobs(todo, as_trials, n_workers)
        for index, record in run_points(task.run, jobs, backend, workers, scheduler):
            if folder is not None:
                folder.write(index, record)
            records[index] = record
            if record["error"]:
                failed += 1
                bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
    ordered = [records[k] for k in range(len(grid.points))]
    return assemble(grid, ordered, list(parsed), traces,
                    {"backend": backend, "measures": repr({k: _identity(m) for k, m in parsed.items()}),
                     "wall_seconds": time.perf_counter() - started})


def _failed(err: Exception) -> dict:
    return {"values": {}, "units": {}, "error": f"{type(err).__name__}: {err}", "traces": {},
            "trace_units": {}, "t_ms": None}


def _jobs(todo: list, as_trials: bool, workers: int) -> list[tuple[tuple[int, ...], list]]:
    """``todo`` in jobs: one point each, or with ``as_trials`` up to :data:`TRIALS_PER_RUN`
    points each, at least one job per worker."""
    if not as_trials:
        return [((k,), [p]) for k, p in todo]
    size = max(1, min(TRIALS_PER_RUN, -(-len(todo) // workers)))
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    return [(tuple(k for k, _ in c), [p for _, p in c]) for c in chunks]


def _measures(measures, names: Sequence[str]) -> dict[str, Measure | Callable]:
    if measures is None:
        measures = {}
    if not isinstance(measures, Mapping):
        raise ValueError("measures must be a mapping of name -> measure string or callable, e.g."
                         " {'soma_peak': 'peak@soma'}")
    out = {}
    for name, m in measures.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("trace_"):
            raise ValueError(f"measure name {name!r} must be an identifier not starting with"
                             " 'trace_'")
        if name in _RESERVED or name in names:
            raise ValueError(f"measure name {name!r} is taken (by a parameter or by"
                             f" {', '.join(_RESERVED)}); choose another")
        out[name] = m if callable(m) else parse_measure(m)
    return out


def _with(record, extra: Sequence[str]) -> list:
    """``record`` (one request, an iterable of them, or None) as a list, plus the sites of
    ``extra`` that name a site or ``VAR@SITE`` (row labels such as ``"hillock"`` are always
    recorded)."""
    if record is None:
        items = []
    elif isinstance(record, (str, Location, Region)):
        items = [record]
    else:
        items = list(record)
    for label in extra:
        req = parse_request(label)
        if req.is_site and label not in items:
            items.append(label)
    return items


def _identity(obj) -> str:
    """What identifies a setup or a measure in a store: a measure string itself, else the
    qualified name and the SHA-256 of the pickle (a function pickles by name; an object with its
    attributes)."""
    if isinstance(obj, Measure):
        return obj.text
    name = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"
    try:
        digest = hashlib.sha256(pickle.dumps(obj)).hexdigest()[:16]
    except Exception:  # not picklable (a lambda; the serial backend takes it): by name only
        return name
    return f"{name} {digest}"


def _check_picklable(task: PointTask) -> None:
    for what, obj in [("the setup", task.setup), *((f"measure {n!r}", m) for n, m in task.measures)]:
        try:
            pickle.dumps(obj)
        except Exception as err:
            raise TypeError(f"{what} cannot be sent to worker processes ({err}); define it at"
                            " module level in an importable file (not a lambda or a local"
                            " function), or use backend='serial'") from None


def _bar(progress, total: int, initial: int):
    """A tqdm bar (``tqdm.auto``: a widget in notebooks) or, with a stream, a text bar there."""
    if not isinstance(progress, bool) and not hasattr(progress, "write"):
        raise ValueError(f"progress must be True, False or a text stream, got {progress!r}")
    if hasattr(progress, "write"):
        from tqdm import tqdm

        return tqdm(total=total, initial=initial, desc="sweep", unit="point", file=progress,
                    dynamic_ncols=False, ncols=80, mininterval=0)
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="sweep", unit="point", disable=not progress,
                file=sys.stderr)
