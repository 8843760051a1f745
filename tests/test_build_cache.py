"""The standalone build cache: concurrent runs never see each other's results, a finished build is
reused without compiling, altered builds are detected and rebuilt, folders are user-only."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms, nA, nS

import cablemodel
from cablemodel import AMPA, Cell, CurrentClamp, Synapse, ball_and_stick, simulate, spike_times
from cablemodel.simulation import build_cache
from cablemodel.simulation.build_cache import BuildCache, BuildError, private_folder

ROOT = Path(cablemodel.__file__).resolve().parents[1]
PROCESSES, RUNS = 4, 3
#: One structure for every run here: a passive ball-and-stick, one AMPA synapse, one clamp.
WORKER = """
import hashlib, json, sys
from brian2 import ms, nA, nS
from cablemodel import AMPA, Cell, CurrentClamp, Synapse, ball_and_stick, simulate, spike_times
cell = Cell(ball_and_stick())
for w in map(float, sys.argv[1:]):
    r = simulate(cell, [Synapse(AMPA, "basal@100", w * nS, spike_times([2] * ms))], duration=20 * ms,
                 clamps=[CurrentClamp("soma", 0 * nA, 1 * ms, 2 * ms)], engine="cpp_standalone")
    print(json.dumps({"w": w, "v": hashlib.sha256(r.v_mV.tobytes()).hexdigest(), "n": len(r.t_ms),
                      "compiled": r.info["compiled"]}), flush=True)
"""


def _run(cache: Path, weight_nS: float = 1.0, engine: str = "cpp_standalone", duration=20 * ms,
         amplitude=0 * nA, spike=2 * ms, seed=None):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CABLEMODEL_CACHE", str(cache))
        return simulate(Cell(ball_and_stick()), [Synapse(AMPA, "basal@100", weight_nS * nS,
                                                         spike_times([float(spike / ms)] * ms))],
                        duration=duration, clamps=[CurrentClamp("soma", amplitude, 1 * ms, 2 * ms)],
                        engine=engine, seed=seed)


def _digest(result) -> str:
    return hashlib.sha256(result.v_mV.tobytes()).hexdigest()


def _structure_folder(cache: Path) -> Path:
    (folder,) = (cache / "builds").iterdir()
    return folder


@pytest.fixture(scope="module")
def concurrent(tmp_path_factory):
    """4 processes x 3 runs of one structure with different weights, all started at once on an
    empty cache; returns the cache and every run's report."""
    cache = tmp_path_factory.mktemp("cache")
    script = cache.parent / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, CABLEMODEL_CACHE=str(cache),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    procs = [subprocess.Popen([sys.executable, str(script),
                               *[str(0.5 + k + 0.25 * j) for j in range(RUNS)]],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(PROCESSES)]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
        reports += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return cache, reports


def test_concurrent_runs_each_get_their_own_result(concurrent):
    cache, reports = concurrent
    assert len(reports) == PROCESSES * RUNS
    wrong = [r["w"] for r in reports if r["v"] != _digest(_run(cache, r["w"]))]
    assert wrong == [], f"{len(wrong)} of {len(reports)} concurrent runs returned another result"
    assert {r["n"] for r in reports} == {800}
    reference = _run(cache, 1.5, engine="numpy")  # and the shared binary computes the right thing
    np.testing.assert_allclose(_run(cache, 1.5).v_mV, reference.v_mV, atol=1e-6)


def test_one_compilation_serves_every_process(concurrent):
    cache, reports = concurrent
    assert sum(r["compiled"] for r in reports) == 1
    folder = _structure_folder(cache)
    assert list((folder / "runs").iterdir()) == []  # result files removed once read
    assert len(list((folder / "bin").iterdir())) == 1


def test_values_do_not_cost_a_compilation(concurrent):
    """Duration, spike time, clamp amplitude and seed are read from the run folder (a seeded run
    has one line more than an unseeded one: its own binary)."""
    cache, _ = concurrent
    _run(cache, 1.0, seed=1)
    varied = dict(duration=30 * ms, amplitude=0.05 * nA, spike=3 * ms, seed=7)
    r = _run(cache, 2.0, **varied)
    assert r.info["compiled"] is False and len(r.t_ms) == 1200
    np.testing.assert_allclose(r.v_mV, _run(cache, 2.0, engine="numpy", **varied).v_mV, atol=1e-6)


def test_cache_folders_are_user_only(concurrent):
    cache, _ = concurrent
    folder = _structure_folder(cache)
    for path in [cache / "builds", folder, folder / "runs", folder / "bin", folder / "workspace"]:
        assert path.stat().st_mode & 0o777 == 0o700, path
    assert (folder / "build.lock").stat().st_mode & 0o077 == 0


def test_an_altered_binary_is_detected_and_replaced(concurrent):
    cache, reports = concurrent
    binaries = list((_structure_folder(cache) / "bin").iterdir())
    for binary in binaries:
        with open(binary, "ab") as f:
            f.write(b"\0altered")
    r = _run(cache, 0.5)
    assert r.info["compiled"] is True
    assert _digest(r) == next(x["v"] for x in reports if x["w"] == 0.5)
    assert sum(not b.read_bytes().endswith(b"\0altered") for b in binaries) == 1  # the one used


@pytest.mark.slow
def test_an_altered_workspace_is_rebuilt_from_scratch(concurrent):
    cache, reports = concurrent
    folder = _structure_folder(cache)
    obj = next((folder / "workspace" / "code_objects").glob("*.o"))
    obj.write_bytes(b"not an object file")  # e.g. a compiler killed while writing it
    for binary in (folder / "bin").iterdir():
        binary.unlink()
    r = _run(cache, 0.75)
    assert r.info["compiled"] is True
    assert _digest(r) == next(x["v"] for x in reports if x["w"] == 0.75)
    assert obj.read_bytes() != b"not an object file"


def test_a_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    folder = private_folder(tmp_path / "cache")
    monkeypatch.setattr(os, "getuid", lambda: folder.stat().st_uid + 1)
    with pytest.raises(BuildError, match="belongs to user id .* CABLEMODEL_CACHE"):
        BuildCache("abc", root=tmp_path / "cache")


def test_existing_folders_are_made_user_only(tmp_path):
    loose = tmp_path / "cache" / "builds" / "abc"
    loose.mkdir(parents=True, mode=0o777)
    loose.chmod(0o777)
    BuildCache("abc", root=tmp_path / "cache")
    assert loose.stat().st_mode & 0o777 == 0o700


def test_run_folders_of_dead_processes_are_removed(tmp_path):
    cache = BuildCache("abc", root=tmp_path)
    runs = cache.folder / "runs"
    host = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan, alive = runs / f"{dead.pid}_{host}_x", runs / f"{os.getppid()}_{host}_x"
    for path in (orphan, alive):
        (path / "results").mkdir(parents=True)
    with cache.run_folder():
        pass
    assert not orphan.exists() and alive.exists()


def test_compile_errors_name_the_workspace(tmp_path):
    cache = BuildCache("broken", root=tmp_path)
    with cache.run_folder() as run:
        (run / "makefile").write_text("main:\n\t@echo 'error: no compiler today'; exit 3\n")
        with pytest.raises(BuildError, match="(?s)workspace failed.*exited with code 2.*no compiler today"):
            cache.binary(run)


def test_a_stopped_binary_gives_no_result(tmp_path):
    """A binary stopped before the end (e.g. by Brian2's own Ctrl-C handling) is refused."""
    script = tmp_path / "main"
    script.write_text('#!/bin/sh\necho "0.1 0.25" > "$2/last_run_info.txt"\n')
    script.chmod(0o700)
    with pytest.raises(BuildError, match="stopped after 25.0% of the duration"):
        build_cache.run_binary(script, tmp_path)
