"""cablemodel.sweep: every point equals its lone simulate; processes and Dask equal serial; an
interrupted sweep (a killed worker, Ctrl-C) resumes from its store without recomputing a finished
point; failed points, store mismatches, measure strings, the progress bar."""

from __future__ import annotations

import io
import math
import os
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms, mV, nS, um

from cablemodel import AMPA, Cell, Result, Synapse, ball_and_stick, simulate, spike_times, sweep
from cablemodel.sweeps import StoreMismatch, SweepError, parse_measure

WEIGHTS = [1, 3] * nS
SITES = ["basal@50", "basal@200"]
MEASURES = {"soma_peak": "peak@soma", "soma_min": "min@soma", "v0": "rest@soma",
            "far_max": "max@basal@300", "n_spikes": "spikes", "first": "first_spike"}


@lru_cache(maxsize=1)
def _cell() -> Cell:
    return Cell(ball_and_stick(max_compartment_length=50 * um))


def epsp(weight, site) -> dict:
    """One AMPA synapse (weight, site) on a small passive ball-and-stick, 6 ms."""
    return {"cell": _cell(), "synapses": [Synapse(AMPA, site, weight, spike_times([1] * ms))],
            "duration": 6 * ms, "dt": 0.1 * ms, "engine": "numpy", "record": ["basal@300"]}


@dataclass(frozen=True)
class Interrupting:
    """``epsp`` that counts its calls (a file per call in ``folder``) and, while the file
    ``folder/armed`` exists, raises KeyboardInterrupt at the point of weight ``at`` (nS) and
    site ``site`` or, with ``store``, kills its own process (``os._exit``) there once ``store``
    holds ``wait_for`` finished points."""

    folder: str
    at: float
    site: str
    store: str | None = None
    wait_for: int = 0

    def __call__(self, weight, site) -> dict:
        key = f"{float(weight / nS):g}_{site.replace('@', '-')}"
        armed = Path(self.folder, "armed")
        if armed.exists() and math.isclose(float(weight / nS), self.at) and site == self.site:
            armed.unlink()
            if self.store is None:
                raise KeyboardInterrupt
            deadline = time.monotonic() + 120
            while len(list(Path(self.store).glob("point_*.nc"))) < self.wait_for \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            os._exit(3)
        Path(self.folder, f"call_{key}_{uuid.uuid4().hex}").touch()
        return epsp(weight, site)


def calls(folder: Path) -> list[str]:
    return sorted("_".join(p.name.split("_")[1:3]) for p in folder.glob("call_*"))


def soma_half_width(result: Result):
    """A callable measure: time above half the somatic peak (a Quantity)."""
    dv = result.v_mV[result.labels.index("soma")] - result.v_rest_mV
    return float(np.sum(dv >= dv.max() / 2)) * float(result.t_ms[1] - result.t_ms[0]) * ms


@pytest.fixture(scope="module")
def lone():
    """The lone simulate of every grid point."""
    return {(float(w / nS), s): simulate(**epsp(w, s)) for w in WEIGHTS for s in SITES}


@pytest.fixture(scope="module")
def grid():
    return sweep(epsp, {"weight": WEIGHTS, "site": SITES},
                 measures={**MEASURES, "half_width": soma_half_width}, traces=("soma",),
                 progress=False)


def _check_point(ds_point, r: Result) -> None:
    """Every measure and the trace of one point equal the lone run (1e-6 mV)."""
    v = r.v_mV[r.labels.index("soma")]
    assert abs(float(ds_point["soma_peak"]) - float(r.peak("soma") / mV)) < 1e-6
    assert abs(float(ds_point["soma_min"]) - v.min()) < 1e-6
    assert float(ds_point["v0"]) == v[0] == r.v_rest_mV
    assert abs(float(ds_point["far_max"]) - float(r.trace("basal@300").max() / mV)) < 1e-6
    assert float(ds_point["n_spikes"]) == r.spike_count() == 0
    assert float(ds_point["first"]) == math.inf  # the documented value without a spike
    np.testing.assert_allclose(ds_point["trace_soma"].values, v, rtol=0, atol=1e-6)
    assert str(ds_point["error"].values) == ""


def test_grid_points_equal_lone_runs(grid, lone):
    assert grid["soma_peak"].dims == ("weight", "site")
    assert grid["weight"].values.tolist() == [1.0, 3.0] and grid["weight"].attrs["units"] == "nS"
    assert grid["site"].values.tolist() == SITES
    assert grid["soma_peak"].attrs["units"] == "mV" and grid["first"].attrs["units"] == "ms"
    assert grid["trace_soma"].dims == ("weight", "site", "time")
    assert grid["half_width"].attrs["units"] == "ms"
    for (w, s), r in lone.items():
        _check_point(grid.sel(weight=w, site=s), r)
    # physics: a larger or nearer synapse gives a larger somatic EPSP
    peak = grid["soma_peak"]
    assert (peak.sel(weight=3) > peak.sel(weight=1)).all()
    assert (peak.sel(site="basal@50") > peak.sel(site="basal@200")).all()
    assert len(grid.attrs["point_seconds"]) == 4 and grid.attrs["wall_seconds"] > 0


def test_points_list_and_failed_point(lone):
    pts = [{"weight": 3 * nS, "site": "basal@200"}, {"weight": -1 * nS, "site": "basal@50"}]
    ds = sweep(epsp, points=pts, measures=MEASURES, traces=("soma",), progress=False)
    assert ds["soma_peak"].dims == ("point",) and ds["weight"].values.tolist() == [3.0, -1.0]
    assert ds["site"].values.tolist() == ["basal@200", "basal@50"]
    _check_point(ds.isel(point=0), lone[3.0, "basal@200"])
    bad = ds.isel(point=1)
    assert str(bad["error"].values).startswith("ValueError: synapse weight must be >= 0 nS")
    assert np.isnan(float(bad["soma_peak"])) and np.isnan(bad["trace_soma"].values).all()


def test_as_trials_equal_lone_runs(lone):
    """The points differ only in their synapse: one simulation of trials (one point failing in
    its setup), each equal to its lone run."""
    pts = [{"weight": w, "site": s} for w in WEIGHTS for s in SITES]
    pts.insert(1, {"weight": -1 * nS, "site": "basal@50"})
    ds = sweep(epsp, points=pts, measures=MEASURES, traces=("soma",), as_trials=True,
               progress=False)
    assert str(ds["error"].values[1]).startswith("ValueError: synapse weight must be >= 0 nS")
    for k, p in enumerate(pts):
        if k != 1:
            _check_point(ds.isel(point=k), lone[float(p["weight"] / nS), p["site"]])
    # shared wall time: one run for the four points
    assert len(set(ds.attrs["point_seconds"])) == 1


def test_processes_killed_worker_then_resume(grid, tmp_path):
    """Two worker processes run a point each, then one kills itself on the third: the sweep
    raises, the store keeps the two finished points (equal to serial). The resumed sweep
    computes only the third, and its dataset equals the uninterrupted one."""
    (tmp_path / "armed").touch()
    store = tmp_path / "store"
    setup = Interrupting(str(tmp_path), 3.0, "basal@200", str(store), wait_for=2)
    pts = [{"weight": 1 * nS, "site": "basal@50"}, {"weight": 1 * nS, "site": "basal@200"},
           {"weight": 3 * nS, "site": "basal@200"}]
    args = dict(points=pts, measures=MEASURES, traces=("soma",), store=store, progress=False)
    with pytest.raises(SweepError, match="worker process died.*2 point.*resume=True"):
        sweep(setup, backend="processes", workers=2, **args)
    assert sorted(p.name for p in store.glob("point_*.nc")) == ["point_000000.nc",
                                                                "point_000001.nc"]
    assert calls(tmp_path) == ["1_basal-200", "1_basal-50"]
    ds = sweep(setup, **args)  # resumed (serially): only the third point runs
    assert calls(tmp_path) == ["1_basal-200", "1_basal-50", "3_basal-200"]
    for k, p in enumerate(pts):
        ref = grid.sel(weight=float(p["weight"] / nS), site=p["site"])
        for name in [*MEASURES, "trace_soma", "error"]:
            np.testing.assert_array_equal(ds[name].isel(point=k).values, ref[name].values)


def test_serial_interrupt_resume_progress(lone, tmp_path):
    """Ctrl-C (KeyboardInterrupt) at the second point stops a serial sweep at once; the resumed
    sweep runs only that point, shows 1/2 -> 2/2, and equals the lone runs."""
    (tmp_path / "armed").touch()
    setup = Interrupting(str(tmp_path), 1.0, "basal@200")
    pts = [{"weight": 3 * nS, "site": "basal@50"}, {"weight": 1 * nS, "site": "basal@200"}]
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        sweep(setup, points=pts, measures=MEASURES, store=store, progress=False)
    assert calls(tmp_path) == ["3_basal-50"] and (store / "point_000000.nc").exists()
    bar = io.StringIO()
    ds = sweep(setup, points=pts, measures=MEASURES, store=store, progress=bar)
    assert calls(tmp_path) == ["1_basal-200", "3_basal-50"]
    text = bar.getvalue()
    assert "1/2" in text and "2/2" in text and "sweep" in text
    for k, p in enumerate(pts):
        r = lone[float(p["weight"] / nS), p["site"]]
        assert abs(float(ds["soma_peak"][k]) - float(r.peak("soma") / mV)) < 1e-6
    # a finished store: nothing to run, same dataset
    again = sweep(setup, points=pts, measures=MEASURES, store=store, progress=False)
    assert calls(tmp_path) == ["1_basal-200", "3_basal-50"]
    np.testing.assert_array_equal(again["soma_peak"].values, ds["soma_peak"].values)
    # another sweep in that store is refused, and so is resume=False
    with pytest.raises(StoreMismatch, match="different sweep.*measures"):
        sweep(setup, points=pts, measures={"soma_peak": "peak@soma"}, store=store, progress=False)
    with pytest.raises(StoreMismatch, match="different sweep.*points"):
        sweep(setup, points=pts[:1], measures=MEASURES, store=store, progress=False)
    with pytest.raises(ValueError, match="already holds 2 point"):
        sweep(setup, points=pts, measures=MEASURES, store=store, resume=False, progress=False)


def test_failed_point_retried_only_when_asked(tmp_path):
    pts = [{"weight": -1 * nS, "site": "basal@50"}]
    store = tmp_path / "s"
    ds = sweep(epsp, points=pts, measures={"p": "peak@soma"}, store=store, progress=False)
    first = (store / "point_000000.nc").stat().st_mtime_ns
    ds2 = sweep(epsp, points=pts, measures={"p": "peak@soma"}, store=store, progress=False)
    assert (store / "point_000000.nc").stat().st_mtime_ns == first
    assert str(ds2["error"].values[0]) == str(ds["error"].values[0]) != ""
    sweep(epsp, points=pts, measures={"p": "peak@soma"}, store=store, retry_failed=True,
          progress=False)
    assert (store / "point_000000.nc").stat().st_mtime_ns != first
    (store / "point_000000.nc").write_bytes(b"CDF damaged")  # e.g. by a power cut
    with pytest.warns(UserWarning, match="cannot read the point file .* run again"):
        ds3 = sweep(epsp, points=pts, measures={"p": "peak@soma"}, store=store, progress=False)
    assert str(ds3["error"].values[0]) == str(ds["error"].values[0])


def _dask_equals_serial(grid, **backend) -> None:
    pts = [{"weight": 1 * nS, "site": "basal@200"}, {"weight": 3 * nS, "site": "basal@50"}]
    ds = sweep(epsp, points=pts, measures=MEASURES, traces=("soma",), backend="dask",
               progress=False, **backend)
    for k, p in enumerate(pts):
        ref = grid.sel(weight=float(p["weight"] / nS), site=p["site"])
        for name in [*MEASURES, "trace_soma", "error"]:
            np.testing.assert_array_equal(ds[name].isel(point=k).values, ref[name].values)


def test_dask_client_equals_serial(grid):
    """A Client given as scheduler (here an in-process LocalCluster: quick to start; its two
    worker threads take turns, Brian2 being global) runs every point as serial does."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        _dask_equals_serial(grid, scheduler=client)
        assert client.status == "running"  # a Client of the caller's is left open


@pytest.mark.slow
def test_dask_local_cluster_equals_serial(grid):
    """The default: a LocalCluster of two worker processes."""
    pytest.importorskip("dask.distributed")
    _dask_equals_serial(grid, workers=2)


@pytest.mark.parametrize("text, message", [
    ("peak", "needs a site"), ("spikes@soma", "takes no site"), ("median@soma", "unknown kind"),
    ("max@m_na@hillock", "reads the membrane potential"), ("rest@", "needs a site"),
    ("max@basal@-5", "not valid"), (3, "expected a string")])
def test_measure_string_errors(text, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_measure(text)
    assert "peak@SITE" in str(err.value) and "first_spike" in str(err.value)


def test_measures_on_a_known_result():
    r = Result.example()  # soma: -65 ... -10 mV, hillock: one spike at 5.5 ms
    values = {m: parse_measure(m)(r) for m in ("peak@soma", "max@hillock", "min@soma",
                                               "rest@hillock", "spikes", "first_spike")}
    assert values == {"peak@soma": 55.0, "max@hillock": 0.0, "min@soma": -65.0,
                      "rest@hillock": -65.0, "spikes": 1.0, "first_spike": 5.5}


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="either axes= .* or points="):
        sweep(epsp, measures=MEASURES, progress=False)
    with pytest.raises(ValueError, match="point 1 has other parameters"):
        sweep(epsp, points=[{"weight": 1 * nS, "site": "soma"}, {"weight": 1 * nS}], progress=False)
    with pytest.raises(ValueError, match="is taken"):
        sweep(epsp, {"weight": WEIGHTS}, measures={"weight": "spikes"}, progress=False)
    with pytest.raises(TypeError, match="cannot be sent to worker processes"):
        sweep(lambda weight: {}, {"weight": WEIGHTS}, backend="processes", progress=False)
    with pytest.raises(ValueError, match="backend must be one of"):
        sweep(epsp, {"weight": WEIGHTS, "site": SITES}, backend="threads", progress=False)
