"""Ctrl-C (SIGINT) during a run raises KeyboardInterrupt, never returns a truncated result, and
leaves the build cache valid for the next run."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from brian2 import Network, ms, nS

import cablemodel
from cablemodel import AMPA, Cell, Synapse, ball_and_stick, simulate, spike_times

ROOT = Path(cablemodel.__file__).resolve().parents[1]
#: Runs a phase per line of the protocol below; reports what it sees on stdout.
CHILD = """
import json, sys, threading, time
import psutil
from brian2 import Network, ms, mV, nS
from cablemodel import AMPA, Cell, Synapse, ball_and_stick, simulate, spike_times

def say(*words):
    print(*words, flush=True)

def name(process):
    try:
        return process.name()
    except psutil.NoSuchProcess:
        return None

def watch():  # tell the parent when a run or a compilation is under way
    seen = set()
    while True:
        now = {name(p) for p in psutil.Process().children(recursive=True)}
        if Network._globally_running:
            now.add("numpy")
        for new in sorted({"make", "main", "numpy"} & now - seen):
            say("CHILD", new)
        seen = now
        time.sleep(0.02)

threading.Thread(target=watch, daemon=True).start()
cell = Cell(ball_and_stick())
syn = [Synapse(AMPA, "basal@100", 1 * nS, spike_times([2] * ms))]
report = {}
for phase, engine, duration in [("numpy", "numpy", 100_000), ("compile", "cpp_standalone", 20),
                                ("run", "cpp_standalone", 100_000)]:
    say("PHASE", phase)
    try:
        r = simulate(cell, syn, duration=duration * ms, record_dt=1 * ms, engine=engine)
        report[phase] = f"returned {len(r.t_ms)} samples"
    except KeyboardInterrupt as err:
        report[phase] = f"KeyboardInterrupt: {err}"
    r = simulate(cell, syn, duration=20 * ms, engine=engine)  # the next run
    report[phase + " then"] = [len(r.t_ms), float(r.peak("soma") / mV), r.info.get("compiled")]
say("REPORT", json.dumps(report))
"""


def test_interrupted_numpy_run_raises_and_the_next_run_works():
    cell = Cell(ball_and_stick())
    syn = [Synapse(AMPA, "basal@100", 1 * nS, spike_times([2] * ms))]

    def interrupt():
        while not Network._globally_running:
            time.sleep(0.01)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt, match=r"interrupted at t = .* ms of 100000 ms; no result"):
        simulate(cell, syn, duration=100_000 * ms, engine="numpy")
    assert not Network._globally_running
    r = simulate(cell, syn, duration=20 * ms, engine="numpy")  # the fixed names are free again
    assert len(r.t_ms) == 800


def test_sigint_stops_runs_and_compilations_without_a_result(tmp_path):
    """A child process runs numpy, then a first standalone run (compiling) and a long one; the
    parent interrupts each: SIGINT to the process (numpy run, compilation) and to its process
    group, as Ctrl-C in a terminal does (the standalone binary gets it too)."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, CABLEMODEL_CACHE=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x.split()) for x in child.stdout], daemon=True).start()
    sent, phase, report = [], None, None
    try:
        while report is None:
            words = lines.get(timeout=600)
            if words[:1] == ["PHASE"]:
                phase = words[1]
            elif words[:1] == ["REPORT"]:
                report = json.loads(" ".join(words[1:]))
            elif words == ["CHILD", {"numpy": "numpy", "compile": "make", "run": "main"}[phase]] \
                    and phase not in sent:
                time.sleep(1.0)  # well inside the run or the compilation
                if phase == "run":
                    os.killpg(child.pid, signal.SIGINT)
                else:
                    os.kill(child.pid, signal.SIGINT)
                sent.append(phase)
    finally:
        child.kill()
        stderr = child.communicate()[1]
    assert sent == ["numpy", "compile", "run"], stderr[-3000:]
    assert report["numpy"].startswith("KeyboardInterrupt: the simulation was interrupted at t =")
    assert report["compile"].startswith("KeyboardInterrupt"), report["compile"]
    assert report["run"].startswith("KeyboardInterrupt"), report["run"]
    samples, peak, compiled = report["numpy then"]
    assert samples == 800
    # the interrupted compilation left a workspace that is rebuilt; the interrupted run does not
    # cost a compilation, and both give the numpy run's result
    assert report["compile then"][:2] == pytest.approx([800, peak], abs=1e-6)
    assert report["compile then"][2] is True
    assert report["run then"][:2] == pytest.approx([800, peak], abs=1e-6)
    assert report["run then"][2] is False
    (folder,) = (tmp_path / "cache" / "builds").iterdir()
    assert list((folder / "runs").iterdir()) == []
