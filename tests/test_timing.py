"""The timing report of every run (:attr:`Result.timing <cablemodel.Result.timing>`): its parts
add up to the whole call, a runtime engine compiles nothing, and ``cablemodel psp --timing``
prints it."""

from __future__ import annotations

import json
import time

import pytest
from brian2 import ms

from cablemodel import Cell, ball_and_stick, simulate
from cablemodel.cli import main

PARTS = ("python", "generation", "compile", "run")


def test_numpy_run_reports_where_the_time_went():
    t0 = time.perf_counter()
    r = simulate(Cell(ball_and_stick()), duration=5 * ms, engine="numpy")
    wall = time.perf_counter() - t0
    timing = r.timing
    assert set(timing) == {*PARTS, "total"}
    assert timing["compile"] == 0.0 and r.info["compiled"] is False and r.info["generated"] is True
    assert all(timing[k] > 0 for k in ("python", "generation", "run"))
    assert sum(timing[k] for k in PARTS) == pytest.approx(timing["total"], abs=1e-9)
    assert timing["total"] <= wall  # measured inside the call
    assert timing["run"] <= r.info["run_seconds"] + 1e-9  # the loop, without code generation


def test_psp_prints_the_timing_only_when_asked(capsys, monkeypatch):
    import cablemodel.experiments

    args = ["psp", "ball_and_stick", "--site", "basal@100", "--passive", "--duration", "15"]
    assert main([*args, "--json", "--timing"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["compiled"] is False and sum(row["timing"][k] for k in PARTS) == pytest.approx(
        row["timing"]["total"], abs=1e-9)
    # the same rows again, without simulating: printed without the timing unless asked
    monkeypatch.setattr(cablemodel.experiments, "psp_at_sites", lambda *a, **k: [
        {k: v for k, v in row.items() if k != "hillock_added"}])
    assert main([*args, "--json"]) == 0
    (plain,) = json.loads(capsys.readouterr().out)
    assert "timing" not in plain and "compiled" not in plain
    assert plain["soma_peak_mV"] == row["soma_peak_mV"]
    assert main([*args, "--timing"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.split()[0] == "basal@100" and last.endswith("compiled: no")
    assert f"total {row['timing']['total']:.2f} s" in last and "generation" in last
