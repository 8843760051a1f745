"""A resident ``cablemodel`` process: the command line's answers without its start-up.

A fresh ``cablemodel`` process spends about a second importing Brian2 (sympy, its code
generators) before it does any work; a warm simulation of a real cell takes a fraction of that.
``cablemodel serve`` starts a server that has imported everything once and then waits; while it
runs, every ``cablemodel`` command of the same installation and environment is handed to it:

1. the command (a light client: the standard library only) connects to the server's Unix socket
   and passes its arguments, working directory, environment and its own stdin/stdout/stderr
   (the file descriptors themselves, so terminals, pipes, redirections, colours and progress bars
   behave as in the client);
2. the server forks a worker, a copy of itself with Brian2 already imported, which runs the
   command exactly as the client would have (``cablemodel.cli.main``) and exits; nothing one
   command does (devices, preferences, module state) reaches the next;
3. the client forwards Ctrl-C (and SIGTERM/SIGHUP) to the worker and exits with its exit status.

A server answers only clients that would have run the very same code: the socket's name is a
hash of the Python executable, the source files of ``cablemodel`` and of Brian2 (their sizes and
modification times) and the environment variables that can change a result (``CABLEMODEL_*``,
``BRIAN*``, compilers and their flags, ``PATH``, ``HOME``, ...). Any difference, an edited source
file included, finds no server and runs in its own process as usual. So does a command started
where a ``brian_preferences`` file lies (Brian2 reads it at import), and every command when
``CABLEMODEL_SERVER=0``. The server stops after ``--idle`` seconds without a request (default
900) or with ``cablemodel serve --stop``.

Sockets live in ``$CABLEMODEL_SERVER_DIR``, else ``$XDG_RUNTIME_DIR/cablemodel``, else
``/tmp/cablemodel-UID``: a folder only its owner may enter (checked; otherwise no server is used).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import struct
import sys
import time
from pathlib import Path

#: environment variable: ``0`` turns the server off for a command (it runs in its own process)
SERVER_ENV = "CABLEMODEL_SERVER"
#: environment variable: the folder of the servers' sockets
DIR_ENV = "CABLEMODEL_SERVER_DIR"
#: the server's default idle time before it stops, s
DEFAULT_IDLE_S = 900.0
#: environment variables (by prefix) that can change what a command does, hence the server's key
_KEY_PREFIXES = ("CABLEMODEL_", "BRIAN", "PYTHON", "CC", "CXX", "CFLAGS", "CPPFLAGS", "CXXFLAGS",
                 "LDFLAGS", "LD_", "LIBRARY_PATH", "C_INCLUDE", "CPLUS_INCLUDE", "OMP_",
                 "OPENBLAS_", "MKL_", "MPL", "PATH", "HOME", "TMPDIR", "VIRTUAL_ENV", "CONDA",
                 "LANG", "LC_", "TZ")
_HEADER = struct.Struct("!I")
_MAX_SOCKET_PATH = 100  # sockaddr_un holds 108 bytes


def runtime_dir(environ: dict | None = None, *, create: bool = True) -> Path | None:
    """The folder of the servers' sockets by the environment ``environ`` (default
    ``os.environ``), created (mode 0700) if missing and ``create``; ``None`` if it is missing or
    not a folder that only the current user may enter (then no server is started nor used).

    Example
    -------
    >>> d = runtime_dir()
    >>> d is None or (d.is_dir() and d.stat().st_mode & 0o077 == 0)
    True
    """
    env = os.environ if environ is None else environ
    if env.get(DIR_ENV):
        folder = Path(env[DIR_ENV])
    elif env.get("XDG_RUNTIME_DIR"):
        folder = Path(env["XDG_RUNTIME_DIR"]) / "cablemodel"
    else:
        folder = Path("/tmp") / f"cablemodel-{os.getuid()}"
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return None
    if not folder.is_dir() or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return folder


def _fingerprint(package: Path) -> list:
    """(relative path, size, mtime_ns) of the ``.py`` files under ``package``, sorted."""
    out = []
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(root, name))
                out.append((os.path.relpath(os.path.join(root, name), package), st.st_size,
                            st.st_mtime_ns))
    return out


def server_key(environ: dict | None = None) -> str:
    """The hash naming a server: the Python environment (prefix, interpreter, version),
    cablemodel's and Brian2's source files (sizes, modification times) and the environment
    variables that can change a command's result (``environ``, default ``os.environ``). A
    client finds only a server with its own key.

    Example
    -------
    >>> server_key({"CABLEMODEL_REPLAY": "0"}) != server_key({})
    True
    >>> server_key({"TERM": "dumb"}) == server_key({})  # a terminal setting changes no result
    True
    """
    import importlib.util

    env = os.environ if environ is None else environ
    spec = importlib.util.find_spec("brian2")
    brian2_dir = Path(spec.origin).parent if spec is not None and spec.origin else None
    parts = {
        "python": [sys.prefix, os.path.realpath(sys.executable), sys.version],
        "cablemodel": _fingerprint(Path(__file__).resolve().parent),
        "brian2": _fingerprint(brian2_dir) if brian2_dir is not None else None,
        "env": sorted((k, v) for k, v in env.items()
                      if k.startswith(_KEY_PREFIXES) and not k.startswith(SERVER_ENV)),
    }
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


def socket_path(environ: dict | None = None, *, create: bool = True) -> Path | None:
    """Where the server of this installation and environment listens (whether or not one runs);
    ``None`` when there is no private folder for it (``create``: make it if missing) or the path
    would be too long for a socket.

    Example
    -------
    >>> p = socket_path()
    >>> p is None or p.name.endswith(".sock")
    True
    """
    folder = runtime_dir(environ, create=create)
    if folder is None:
        return None
    path = folder / f"{server_key(environ)}.sock"
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None


# -- the client ----------------------------------------------------------------------------------
def _send(sock: socket.socket, message: dict, fds: list[int] = ()) -> None:
    data = json.dumps(message).encode()
    payload = _HEADER.pack(len(data)) + data
    if fds:
        socket.send_fds(sock, [payload], list(fds))
    else:
        sock.sendall(payload)


def _connect(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


def forward(argv: list[str]) -> int | None:
    """Run ``cablemodel ARGV`` on this environment's server and return its exit status, or
    ``None`` when no server can take it (none running, ``CABLEMODEL_SERVER=0``, a
    ``brian_preferences`` file here, a closed standard stream): then the caller runs it itself.
    Ctrl-C (SIGINT), SIGTERM and SIGHUP are passed on to the worker.

    Example
    -------
    >>> import os
    >>> os.environ["CABLEMODEL_SERVER"] = "0"
    >>> forward(["info", "cell.swc"]) is None
    True
    >>> del os.environ["CABLEMODEL_SERVER"]
    """
    if os.environ.get(SERVER_ENV, "") == "0" or os.path.exists("brian_preferences"):
        return None
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return None
    folder = runtime_dir(create=False)  # a command creates nothing; no server: no hashing either
    if folder is None or not any(folder.glob("*.sock")):
        return None
    path = socket_path(create=False)
    if path is None or not path.exists():
        return None
    sock = _connect(path)
    if sock is None:
        return None
    umask = os.umask(0o077)
    os.umask(umask)
    worker: list[int] = []  # the worker's pid once known
    pending: list[int] = []  # signals that came before it

    def pass_on(signum, _frame):
        if not worker:
            pending.append(signum)
            return
        try:
            os.kill(worker[0], signum)
        except ProcessLookupError:
            pass

    previous = {s: signal.signal(s, pass_on) for s in (signal.SIGINT, signal.SIGTERM,
                                                        signal.SIGHUP)}
    try:
        with sock:
            try:
                _send(sock, {"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ),
                             "umask": umask}, [0, 1, 2])
            except OSError:
                started = None
            else:
                replies = sock.makefile("rb")
                started = _read_line(replies)
            if started is None or "pid" not in started:
                if pending:  # interrupted before the server took it: as if interrupted here
                    raise KeyboardInterrupt
                return None  # the server stopped before it took the command: run it here
            pid = int(started["pid"])
            worker.append(pid)
            for signum in pending:
                pass_on(signum, None)
            ended = _read_line(replies)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if ended is None or "exit" not in ended:
        print(f"cablemodel: the server's worker (pid {pid}) ended without an exit status (killed?);"
              " run the command again, or with CABLEMODEL_SERVER=0 in its own process",
              file=sys.stderr)
        return 1
    return int(ended["exit"])


def _read_line(stream) -> dict | None:
    while True:
        try:
            line = stream.readline()
        except InterruptedError:
            continue
        return json.loads(line) if line.strip() else None


# -- the server ----------------------------------------------------------------------------------
def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while len(data) < _HEADER.size:
        more = conn.recv(1 << 16)
        if not more:
            raise ConnectionError("the client left before its request")
        data += more
    (size,) = _HEADER.unpack_from(data)
    data = data[_HEADER.size:]
    while len(data) < size:
        more = conn.recv(1 << 16)
        if not more:
            raise ConnectionError("the client left during its request")
        data += more
    return json.loads(data[:size]), fds


def _reply(conn: socket.socket, message: dict) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _work(conn: socket.socket, request: dict, fds: list[int]) -> int:
    """In the forked worker: take the client's streams, folder, environment and umask (files it
    writes get the client's permissions), run the command and report its exit status."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=stream.isatty())
    os.chdir(request["cwd"])
    os.umask(int(request["umask"]))
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["cablemodel", *request["argv"]]
    _reply(conn, {"pid": os.getpid()})
    from .cli import main

    try:
        code = main(list(request["argv"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # noqa: BLE001 - as an uncaught exception in the client's own process
        import traceback

        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass
    _reply(conn, {"exit": int(code or 0)})
    return int(code or 0)


def _warm_imports() -> None:
    """Import what the commands use, once, in the server (workers inherit it)."""
    from . import cli

    cli._import_brian2_without_pylab()
    import matplotlib

    matplotlib.use("Agg")
    from . import experiments  # noqa: F401
    from .io import config  # noqa: F401
    from .simulation import engine, replay  # noqa: F401


def serve(idle_s: float = DEFAULT_IDLE_S, *, ready: bool = True) -> int:
    """Run this environment's server in this process until ``idle_s`` seconds pass without a
    request or a stop request comes (``cablemodel serve --stop``); return 0, or 1 when no
    private socket folder exists. With ``ready``, print one line on stdout once it listens.

    Example
    -------
    ``cablemodel serve`` starts one in the background; :func:`serve` is its body.
    """
    path = socket_path()
    if path is None:
        print("cablemodel serve: no private folder for the socket (set CABLEMODEL_SERVER_DIR to a"
              " folder only you may enter, with a short path)", file=sys.stderr)
        return 1
    import fcntl

    lock = open(path.with_suffix(".lock"), "w")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"cablemodel serve: a server is already running ({path})")
        return 0
    _warm_imports()
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(16)
    listener.settimeout(idle_s)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the system
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    served, started = 0, time.time()
    if ready:
        print(f"cablemodel serve: ready (pid {os.getpid()}, {path}); stops after {idle_s:g} s"
              " without a request", flush=True)
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                break
            with conn:
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError):
                    continue
                if request.get("stop") or request.get("status"):
                    _reply(conn, {"pid": os.getpid(), "served": served,
                                  "uptime_s": round(time.time() - started, 1), "socket": str(path)})
                    if request.get("stop"):
                        break
                    continue
                served += 1
                if os.fork() == 0:
                    code = 1
                    try:
                        listener.close()
                        lock.close()  # the lock goes with the server, not with its workers
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        signal.signal(signal.SIGTERM, signal.SIG_DFL)
                        signal.signal(signal.SIGINT, signal.default_int_handler)
                        code = _work(conn, request, fds)
                    finally:
                        os._exit(code)
                for fd in fds:
                    os.close(fd)
    finally:
        listener.close()
        path.unlink(missing_ok=True)
        lock.close()
    return 0


def query(stop: bool = False, environ: dict | None = None) -> dict | None:
    """The state of the server of the environment ``environ`` (default ``os.environ``): ``pid``,
    ``served`` (commands taken), ``uptime_s``, ``socket``; ``None`` if none runs. With ``stop``
    it stops after answering.

    Example
    -------
    >>> state = query()
    >>> state is None or state["served"] >= 0
    True
    """
    path = socket_path(environ, create=False)
    sock = _connect(path) if path is not None and path.exists() else None
    if sock is None:
        return None
    with sock:
        _send(sock, {"stop": True} if stop else {"status": True})
        return _read_line(sock.makefile("rb"))


def start(idle_s: float = DEFAULT_IDLE_S, timeout_s: float = 60.0) -> dict:
    """Start this environment's server in the background (``python -m cablemodel.server``, its
    own session, output to ``KEY.log`` beside the socket) unless one runs; wait until it
    answers and return its state (:func:`query`). A server that does not answer within
    ``timeout_s`` raises ``RuntimeError`` with its log's last lines.

    Example
    -------
    ``cablemodel serve`` calls it; ``cablemodel serve --stop`` stops the server again.
    """
    import subprocess

    state = query()
    if state is not None:
        return state
    path = socket_path()
    if path is None:
        raise RuntimeError("no private folder for the server's socket: set CABLEMODEL_SERVER_DIR"
                           " to a folder only you may enter, with a short path")
    log = path.with_suffix(".log")
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cablemodel.server", "--idle", str(idle_s)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = query()
        if state is not None:
            return state
        if proc.poll() is not None and query() is None:
            break
        time.sleep(0.05)
    tail = log.read_text().strip().splitlines()[-5:]
    raise RuntimeError("the cablemodel server did not start: " + (" | ".join(tail) or "no output"))


if __name__ == "__main__":
    idle = float(sys.argv[sys.argv.index("--idle") + 1]) if "--idle" in sys.argv else DEFAULT_IDLE_S
    sys.exit(serve(idle))
