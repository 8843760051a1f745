"""The resident server (`cablemodel serve`): a served command prints, reads and exits exactly as
the same command in its own process; only clients of the same code and environment are served;
Ctrl-C reaches the worker; a stale socket, a stopped or idle server fall back to a process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from cablemodel import server

ROOT = Path(__file__).resolve().parents[1]
CABLEMODEL = str(Path(sys.executable).with_name("cablemodel"))
SWC = "1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 105 0 1 2\n"

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")


def _env(folder: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({server.DIR_ENV: str(folder), **extra})
    env.pop(server.SERVER_ENV, None)
    return env


def _cli(args: list[str], env: dict, cwd: Path, stdin: str | None = None):
    p = subprocess.run([CABLEMODEL, *args], env=env, cwd=cwd, input=stdin, capture_output=True,
                       text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def _status(env: dict) -> dict | None:
    return server.query(environ=env)


@pytest.fixture
def folder():
    """A socket folder with a short path (a socket's path has at most 108 bytes), removed after
    the test with the server it may hold."""
    path = Path(tempfile.mkdtemp(prefix="cms-", dir="/tmp"))
    yield path
    server.query(stop=True, environ=_env(path))
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def served():
    """A running server in its own socket folder and its environment."""
    path = Path(tempfile.mkdtemp(prefix="cms-", dir="/tmp"))
    env = _env(path)
    code, out, err = _cli(["serve", "--idle", "300"], env, ROOT)
    assert code == 0, err
    assert "running: pid" in out
    yield env
    server.query(stop=True, environ=env)
    shutil.rmtree(path, ignore_errors=True)


def test_served_commands_equal_their_own_process(served, tmp_path):
    (tmp_path / "cell.swc").write_text(SWC)
    swc = str(ROOT / "morphologies" / "ball_and_stick.swc")
    commands = [
        (["info", "cell.swc"], None),                        # a path relative to the client's folder
        (["info", "cell.swc", "--json"], None),
        (["info", "/dev/stdin"], SWC),                       # the client's own stdin
        (["info", "missing.swc"], None),                     # exit 2, one line on stderr
        (["psp", "ball_and_stick", "--site", "apical@100"], None),  # exit 2: no such region
        (["psp", swc, "--site", "basal@100", "--site", "basal@600", "--json", "--passive"], None),
        (["--help"], None),
    ]
    before = _status(served)["served"]
    alone_env = dict(served, CABLEMODEL_SERVER="0")
    for args, stdin in commands:
        alone = _cli(args, alone_env, tmp_path, stdin)
        assert _cli(args, served, tmp_path, stdin) == alone, args
    assert alone[0] == 0 and "usage: cablemodel" in alone[1]
    assert _status(served)["served"] == before + len(commands)   # all of them went to the server
    (near, far) = json.loads(_cli(commands[5][0], served, tmp_path)[1])
    assert near["soma_peak_mV"] > far["soma_peak_mV"] > 0


def test_another_environment_or_preferences_file_is_not_served(served, tmp_path):
    (tmp_path / "cell.swc").write_text(SWC)
    before = _status(served)["served"]
    code, out, _ = _cli(["info", "cell.swc"], dict(served, CABLEMODEL_REPLAY="0"), tmp_path)
    assert code == 0 and "3 samples -> 2 sections" in out
    (tmp_path / "brian_preferences").write_text("")   # Brian2 reads it at import: a process of its own
    code, out, _ = _cli(["info", "cell.swc"], served, tmp_path)
    assert code == 0 and "3 samples -> 2 sections" in out
    assert _status(served)["served"] == before
    assert server.server_key(dict(served, CABLEMODEL_REPLAY="0")) != server.server_key(served)
    assert server.server_key(dict(served, TERM="xterm", SHLVL="3")) == server.server_key(served)


def test_ctrl_c_reaches_the_worker_and_a_killed_worker_is_reported(served):
    def blocked_client():
        before = _status(served)["served"]
        p = subprocess.Popen([CABLEMODEL, "info", "/dev/stdin"], env=served, cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        deadline = time.monotonic() + 60
        while _status(served)["served"] == before:   # the worker now waits on the client's stdin
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (worker,) = psutil.Process(_status(served)["pid"]).children()
        return p, worker

    p, worker = blocked_client()
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=60)              # stdin stays open: the worker ends by the signal alone
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail(f"the client did not end: worker {worker.status()}, client said"
                    f" {p.communicate()}")
    out, err = p.communicate()
    assert p.returncode == 130 and "KeyboardInterrupt" not in err, err
    worker.wait(timeout=30)

    p, worker = blocked_client()
    worker.kill()
    p.wait(timeout=60)
    out, err = p.communicate()
    assert p.returncode == 1
    assert f"worker (pid {worker.pid}) ended without an exit status" in err


def test_stale_socket_stopped_and_idle_server_fall_back(tmp_path, folder):
    env = _env(folder)
    (tmp_path / "cell.swc").write_text(SWC)
    path = server.socket_path(env)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))                                  # a socket nobody listens on
    dead.close()
    code, out, _ = _cli(["info", "cell.swc"], env, tmp_path)
    assert code == 0 and "3 samples -> 2 sections" in out
    assert _cli(["serve", "--status"], env, tmp_path)[0] == 1

    code, out, _ = _cli(["serve", "--idle", "3"], env, tmp_path)   # replaces the stale socket
    assert code == 0
    pid = _status(env)["pid"]
    out = _cli(["serve", "--idle", "3"], env, tmp_path)[1]   # no second server
    assert out.startswith(f"cablemodel serve: running: pid {pid} ")
    deadline = time.monotonic() + 60
    while path.exists():                                  # idle for 3 s: it stops
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert _status(env) is None
    code, out, _ = _cli(["info", "cell.swc"], env, tmp_path)
    assert code == 0 and "3 samples -> 2 sections" in out

    assert _cli(["serve", "--idle", "60"], env, tmp_path)[0] == 0
    code, out, _ = _cli(["serve", "--stop"], env, tmp_path)
    assert code == 0 and out.startswith("cablemodel serve: stopped")
    assert not path.exists() and _status(env) is None


def test_the_key_follows_the_source_files(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    before = server._fingerprint(tmp_path)
    (tmp_path / "a.py").write_text("x = 22\n")
    assert server._fingerprint(tmp_path) != before
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    env = {server.DIR_ENV: str(folder)}
    assert server.runtime_dir(env) is None and server.socket_path(env) is None  # others may enter


def test_files_get_the_clients_permissions(served, tmp_path):
    """A served command writes with the client's umask, not the server's."""
    modes = {}
    for name, env in (("served", served), ("alone", dict(served, CABLEMODEL_SERVER="0"))):
        before = _status(served)["served"]
        p = subprocess.run([CABLEMODEL, "morphologies", "--out", name], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=300,
                           preexec_fn=lambda: os.umask(0o077))
        assert p.returncode == 0, p.stderr
        assert _status(served)["served"] == before + (name == "served")
        modes[name] = (tmp_path / name / "ball_and_stick.swc").stat().st_mode & 0o777
    assert modes == {"served": 0o600, "alone": 0o600}


def test_a_command_without_a_server_creates_nothing(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv(server.DIR_ENV, str(missing))
    monkeypatch.delenv(server.SERVER_ENV, raising=False)
    assert server.forward(["info", "cell.swc"]) is None
    assert not missing.exists()
