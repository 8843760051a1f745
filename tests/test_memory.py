"""The memory estimate: runs whose traces would not fit are refused before anything is built, with
a record_dt that fits; a Result keeps one copy of its traces."""

from __future__ import annotations

import re

import pytest
from brian2 import ms, nS, second

from cablemodel import AMPA, Cell, Synapse, ball_and_stick, simulate, spike_times
from cablemodel.simulation import memory
from cablemodel.simulation.memory import MemoryLimitError, check_memory, parse_bytes, run_memory


@pytest.fixture
def cell():
    return Cell(ball_and_stick())


def _syn():
    return [Synapse(AMPA, "basal@100", 1 * nS, spike_times([2] * ms))]


@pytest.mark.parametrize("engine", ["numpy", "cpp_standalone"])
def test_a_run_that_does_not_fit_is_refused_before_building(cell, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("CABLEMODEL_CACHE", str(tmp_path))
    with pytest.raises(MemoryLimitError) as err:
        simulate(cell, _syn(), duration=10 * second, record="all", engine=engine, memory_limit="100MB")
    message = str(err.value)
    assert f"recording {len(cell.table)} sites x 400000 samples" in message
    assert "more than the limit of 100 MB" in message
    assert "record_dt=" in message and "memory_limit=" in message
    assert not (tmp_path / "builds").exists()  # nothing was generated or compiled


def test_the_suggested_record_dt_fits(cell):
    with pytest.raises(MemoryLimitError) as err:
        simulate(cell, _syn(), duration=10 * second, record="all", engine="numpy", memory_limit="100MB")
    record_dt = float(re.search(r"record_dt=([0-9.]+) ms would fit", str(err.value))[1])
    check_memory(len(cell.table), int(10_000 / record_dt), record_dt, "numpy", "100MB")


def test_the_limit_comes_from_the_environment_or_the_available_memory(cell, monkeypatch):
    monkeypatch.setenv("CABLEMODEL_MEMORY_LIMIT", "1 MiB")
    with pytest.raises(MemoryLimitError, match=r"limit of 1.05 MB \(\$CABLEMODEL_MEMORY_LIMIT\)"):
        simulate(cell, _syn(), duration=1 * second, record="all", engine="numpy")
    monkeypatch.setenv("CABLEMODEL_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match=r"'lots' is not a size.*\(from \$CABLEMODEL_MEMORY_LIMIT\)"):
        simulate(cell, _syn(), duration=1 * ms, engine="numpy")
    monkeypatch.delenv("CABLEMODEL_MEMORY_LIMIT")
    monkeypatch.setattr(memory, "_available", lambda: 1e6)
    with pytest.raises(MemoryLimitError, match=r"limit of 800 kB \(80% of the available memory\)"):
        simulate(cell, _syn(), duration=1 * second, record="all", engine="numpy")


def test_a_standalone_run_needs_free_disk_for_its_results(tmp_path):
    with pytest.raises(MemoryLimitError, match="of result files, more than the .* free in"):
        check_memory(10**6, 10**8, 0.025, "cpp_standalone", "inf", disk=tmp_path)


def test_estimates_per_engine():
    values = 8 * 100 * 1000
    assert run_memory(100, 1000, "cython")["python"] == 3 * values  # Brian2's buffer + Result's copy
    standalone = run_memory(100, 1000, "cpp_standalone")
    assert standalone == {"python": values, "binary": values + 48 * 1000, "disk": values}


@pytest.mark.parametrize("bad", ["-1GB", "0", "nan", "8 parsecs", True])
def test_bad_limits_are_refused(bad):
    with pytest.raises(ValueError, match="memory limit"):
        parse_bytes(bad)


def test_a_result_keeps_one_copy_of_its_traces(cell):
    r = simulate(cell, _syn(), duration=5 * ms, record="all", engine="numpy")
    assert r.v_mV.base is None and r.v_mV.flags.c_contiguous  # its own array, not a view
    assert r.v_mV.shape == (len(cell.table), 200)
