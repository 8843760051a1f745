"""Where a sweep's points run: in this process, in local worker processes, or on Dask.

* ``"serial"``: one after the other in this process (Ctrl-C stops the sweep at once).
* ``"processes"``: a :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes
  started with ``forkserver`` (``spawn`` where there is none, e.g. Windows): never ``fork``, as
  Brian2's global state after a run (its device, its objects, open files) is not safe to copy.
  The fork server imports cablemodel once, before any run, and each worker is forked from it
  (no import of its own) and runs many points; with ``engine="cpp_standalone"`` all workers
  share the build cache (:mod:`cablemodel.simulation.build_cache`), so one structure is
  compiled once.
* ``"dask"``: ``dask.distributed`` (the ``cablemodel[sweep]`` extra): a ``LocalCluster`` of
  ``workers`` single-threaded worker processes by default, or the scheduler at an address
  (``"tcp://host:8786"``), or a ``Client`` you made (left open). Brian2 is not thread-safe:
  points that run in threads of one process (a cluster with ``processes=False``) take turns.

The work comes in jobs (the indices and points of one or more points: several when they run
as trials of one simulation). Every backend yields ``(index, record)`` as jobs finish, in any
order; the caller writes each record to the store at once. If a worker process dies (killed,
out of memory), the points that finished are yielded and :class:`SweepError` is raised.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

__all__ = ["BACKENDS", "SweepError", "run_points"]

BACKENDS = ("serial", "processes", "dask")


class SweepError(RuntimeError):
    """A sweep stopped before all its points finished (a worker died, the cluster failed).

    Example
    -------
    >>> issubclass(SweepError, RuntimeError)
    True
    """


def run_points(task: Callable[[list], list], jobs: Sequence[tuple[tuple[int, ...], list]],
               backend: str, workers: int | None = None, scheduler=None
               ) -> Iterator[tuple[int, dict]]:
    """Run ``task(points)`` (one record per point) for every job ``(indices, points)`` on
    ``backend``; yield ``(index, record)`` as each job finishes.

    Example
    -------
    >>> double = lambda pts: [{"x": 2 * p["a"]} for p in pts]
    >>> sorted(run_points(double, [((0, 1), [{"a": 1}, {"a": 5}]), ((2,), [{"a": 7}])], "serial"))
    [(0, {'x': 2}), (1, {'x': 10}), (2, {'x': 14})]
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler= is for backend='dask' (got backend={backend!r})")
    if not jobs:
        return
    if backend == "serial":
        for indices, points in jobs:
            yield from zip(indices, task(points), strict=True)
    elif backend == "processes":
        yield from _processes(task, jobs, workers or os.cpu_count() or 1)
    else:
        yield from _dask(task, jobs, workers or os.cpu_count() or 1, scheduler)


def _context():
    """The ``forkserver`` context, with cablemodel imported in the server, else ``spawn``."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "cablemodel.sweeps.run"])
    return context


def _processes(task, jobs, workers: int) -> Iterator[tuple[int, dict]]:
    context = _context()
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
        pending = {pool.submit(task, points): indices for indices, points in jobs}
        finished = 0
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = None
                for fut in done:
                    indices = pending.pop(fut)
                    try:
                        records = fut.result()
                    except BrokenProcessPool as err:
                        broken = (indices, err)
                        continue
                    finished += len(indices)
                    yield from zip(indices, records, strict=True)
                if broken is not None:
                    # the others may have finished before the pool broke: keep those
                    for fut, indices in list(pending.items()):
                        if fut.done() and not fut.cancelled() and fut.exception() is None:
                            finished += len(indices)
                            yield from zip(indices, fut.result(), strict=True)
                    raise SweepError(
                        f"a worker process died (while point {broken[0][0]} or another one was"
                        f" running: {broken[1]}); {finished} point(s) finished before that. Run"
                        " the sweep again with a store= folder and resume=True to compute only"
                        " the rest") from None
        finally:
            for fut in pending:
                fut.cancel()


def _dask(task, jobs, workers: int, scheduler) -> Iterator[tuple[int, dict]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError("backend='dask' needs dask.distributed: pip install 'cablemodel[sweep]'"
                          " (or pip install 'dask[distributed]')") from None
    cluster = client = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=min(workers, len(jobs)), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    elif isinstance(scheduler, Client):
        pass
    else:
        raise TypeError(f"scheduler must be None (a LocalCluster), an address ('tcp://...') or a"
                        f" dask.distributed.Client, got {scheduler!r}")
    active = client or scheduler
    futures = {}
    try:
        futures = {active.submit(task, points, pure=False): indices for indices, points in jobs}
        for fut in as_completed(futures):
            indices = futures[fut]
            try:
                records = fut.result()
            except Exception as err:  # a worker died, the task could not be unpickled, ...
                raise SweepError(f"point {indices[0]} did not finish on Dask ({type(err).__name__}:"
                                 f" {err}); the points that finished before are kept in the store:"
                                 " run again with resume=True") from None
            yield from zip(indices, records, strict=True)
    finally:
        for fut in futures:
            fut.cancel()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
