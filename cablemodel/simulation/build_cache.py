"""A build cache for Brian2's ``cpp_standalone`` device that is safe under concurrency.

Layout (every folder user-only, mode 0o700)::

    $CABLEMODEL_CACHE/builds/KEY/   one per model structure (KEY: structure hash and cable solver)
        build.lock                  held while the workspace is compiled
        manifest.json               sha256 of each installed binary and of the workspace's files
        workspace/                  sources and object files of the last build; make runs here
        bin/CODE                    installed binaries, named by the hash of their generated code
        runs/PID_HOST_XXXX/         one per run: its generated code, input arrays and results

A run generates its whole project into its own run folder. The generated code (everything but
the input arrays in ``static_arrays/``) is hashed. If ``bin/CODE`` is installed and its sha256 is
the recorded one, it is hard-linked into the run folder and executed there: no lock, no
compilation. Otherwise, under the lock, the workspace is compared with the hashes recorded after
its last complete build and emptied if anything differs (an interrupted, failed or altered
build), the changed sources are copied in, ``make`` recompiles what changed, and the binary is
installed by an atomic rename; an installed binary is never written again, so a running one is
never replaced ("Text file busy"). The binary reads its inputs from the run folder and writes its
results there, so concurrent runs cannot see each other's values; the run folder is removed when
the run ends, once its results are read.

Brian2 2.9 writes scalar values (a uniform initial potential, a single synapse's weight, a clamp's
amplitude, the duration, the seed) as literals into ``main.cpp`` and orders the lines that start
the clocks by iterating over a set, which differs from process to process. :func:`hoist_values`
moves these literals into one input array and sorts the clock lines, so that runs of one
structure that differ only in values share one binary.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["BuildCache", "BuildError", "cache_root", "code_hash", "hoist_values", "run_binary"]

#: Installed binaries kept per structure (the least recently used beyond are removed).
KEEP_BINARIES = 8
#: Name of the static array that :func:`hoist_values` fills with the hoisted literals.
VALUES_ARRAY = "_static_array__cablemodel_values"
#: Top-level entries of a run folder that are not generated code: the run's inputs and outputs,
#: the binary linked there and its log.
_NOT_CODE = ("static_arrays", "results", "main", "stdout.txt")


class BuildError(RuntimeError):
    """Compiling or running a standalone project failed; the message says where and why.

    Example
    -------
    >>> issubclass(BuildError, RuntimeError)
    True
    """


def private_folder(path: Path) -> Path:
    """Create ``path`` (and missing parents) user-only (mode 0o700) and check that it is safe
    to reuse what it holds: owned by the current user and not writable by others.

    Raises
    ------
    BuildError
        If the folder belongs to another user.

    Example
    -------
    >>> import tempfile
    >>> folder = private_folder(Path(tempfile.mkdtemp()) / "a" / "b")
    >>> oct(folder.stat().st_mode & 0o777)
    '0o700'
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise BuildError(f"cache folder {path} belongs to user id {st.st_uid}, not to you: its"
                         " builds cannot be trusted; set CABLEMODEL_CACHE to a folder of your own")
    if st.st_mode & 0o077:
        path.chmod(0o700)
    return path


def cache_root() -> Path:
    """cablemodel's cache folder: ``$CABLEMODEL_CACHE``, by default ``~/.cache/cablemodel``.

    Example
    -------
    >>> import os
    >>> cache_root() == Path(os.environ.get("CABLEMODEL_CACHE", Path.home() / ".cache" / "cablemodel"))
    True
    """
    return Path(os.environ.get("CABLEMODEL_CACHE", Path.home() / ".cache" / "cablemodel"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _code_files(folder: Path) -> list[Path]:
    """The generated code of a project folder (sorted relative paths; not its inputs/outputs)."""
    files = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_file() and rel.parts[0] not in _NOT_CODE:
            files.append(rel)
    return sorted(files)


def code_hash(folder: str | Path) -> str:
    """sha256 (hex) of the generated code in a standalone project ``folder``: every file's
    relative path and content, except the run's inputs (``static_arrays/``), outputs
    (``results/``, ``stdout.txt``) and binary (``main``).

    Example
    -------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "main.cpp").write_text("int main() { return 0; }")
    >>> before = code_hash(folder)
    >>> (folder / "static_arrays").mkdir()
    >>> _ = (folder / "static_arrays" / "w").write_bytes(b"values")
    >>> code_hash(folder) == before
    True
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    for rel in _code_files(folder):
        data = (folder / rel).read_bytes()
        digest.update(f"{rel.as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _tree(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` (relative POSIX path -> hex digest)."""
    return {p.relative_to(folder).as_posix(): _sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


class BuildCache:
    """The cache of one model structure: its compiled binaries, their workspace and run folders.

    Parameters
    ----------
    key : str
        Identifies the structure (a folder name: letters, digits, ``-`` and ``_``).
    root : path, optional
        Cache folder (default :func:`cache_root`; created user-only if missing, else left as it
        is); builds go to ``root/builds/key``, whose folders are all user-only.

    Example
    -------
    >>> import tempfile
    >>> cache = BuildCache("demo", root=Path(tempfile.mkdtemp()))
    >>> with cache.run_folder() as run:  # a toy project: a makefile that builds `main`
    ...     _ = (run / "makefile").write_text("main: main.c\\n\\tcc -o main main.c\\n")
    ...     _ = (run / "main.c").write_text("int main(void) { return 0; }\\n")
    ...     first = cache.binary(run)[1]
    ...     second = cache.binary(run)[1]
    >>> first, second  # compiled, then reused
    (True, False)
    >>> list((cache.folder / "runs").iterdir())  # run folders are removed
    []
    """

    def __init__(self, key: str, root: str | Path | None = None):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
            raise ValueError(f"build cache key must hold only letters, digits, '-' and '_', got {key!r}")
        base = Path(root) if root is not None else cache_root()
        base.mkdir(mode=0o700, parents=True, exist_ok=True)  # a folder of the user's choice: as is
        self.folder = private_folder(private_folder(base / "builds") / key)

    # -- run folders ------------------------------------------------------------------------------
    @contextmanager
    def run_folder(self) -> Iterator[Path]:
        """A new user-only folder for one run, removed with everything in it on exit (also after
        an error or an interruption). Run folders left by processes that died are removed too.

        Example
        -------
        >>> import tempfile
        >>> cache = BuildCache("demo", root=Path(tempfile.mkdtemp()))
        >>> with cache.run_folder() as run:
        ...     oct(run.stat().st_mode & 0o777)
        '0o700'
        >>> run.exists()
        False
        """
        runs = private_folder(self.folder / "runs")
        host = socket.gethostname()
        _remove_orphans(runs, host)
        run = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}_{host}_", dir=runs))
        try:
            yield run
        finally:
            shutil.rmtree(run, ignore_errors=True)

    # -- binaries ---------------------------------------------------------------------------------
    def binary(self, run: Path, make: Sequence[str] = ("make",)) -> tuple[Path, bool]:
        """The compiled binary of the project generated in ``run``, as ``run/main``, and whether
        it had to be compiled (``False``: an installed binary with the same code was reused).

        ``make`` is the command (and arguments) that builds ``main`` in the workspace.

        Raises
        ------
        BuildError
            If ``make`` is missing or fails (the message holds the end of its output).

        Example
        -------
        See :class:`BuildCache`.
        """
        code = code_hash(run)
        target = run / "main"
        if self.link(code, target):
            return target, False
        with self._lock():
            if self.link(code, target):  # another process built it meanwhile
                return target, False
            manifest = self._manifest()
            work = self.folder / "workspace"
            if work.exists() and _tree(work) != manifest.get("workspace"):
                shutil.rmtree(work)  # interrupted, failed or altered: build from scratch
            private_folder(work)
            _sync(run, work)
            _make(work, make)
            binaries = private_folder(self.folder / "bin")
            for left in [*binaries.glob(".install-*"), *self.folder.glob(".manifest-*")]:
                left.unlink()  # written under the lock by an interrupted installation
            fd, tmp = tempfile.mkstemp(prefix=".install-", dir=binaries)
            os.close(fd)
            shutil.copyfile(work / "main", tmp)
            os.chmod(tmp, 0o700)
            digest = _sha256(Path(tmp))
            os.replace(tmp, binaries / code)
            manifest.setdefault("binaries", {})[code] = digest
            manifest["workspace"] = _tree(work)
            self._prune(manifest, binaries)
            self._write_manifest(manifest)
        if not self.link(code, target):
            raise BuildError(f"the binary just installed in {self.folder / 'bin'} was changed or"
                             " removed at once by another program; run again")
        return target, True

    def _lock(self):
        from filelock import FileLock

        return FileLock(self.folder / "build.lock", mode=0o600)

    def _manifest(self) -> dict:
        try:
            manifest = json.loads((self.folder / "manifest.json").read_text())
        except (OSError, ValueError):
            return {}
        return manifest if isinstance(manifest, dict) else {}

    def _write_manifest(self, manifest: dict) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=self.folder)
        with os.fdopen(fd, "w") as f:
            json.dump(manifest, f)
        os.replace(tmp, self.folder / "manifest.json")

    def link(self, code: str, target: Path) -> bool:
        """Link the installed binary of ``code`` to ``target`` if its sha256 is the recorded one."""
        expected = self._manifest().get("binaries", {}).get(code)
        source = self.folder / "bin" / code
        if expected is None:
            return False
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except FileNotFoundError:
            return False
        except OSError:  # a file system without hard links
            try:
                shutil.copy2(source, target)
            except FileNotFoundError:
                return False
        if _sha256(target) != expected:
            target.unlink()
            return False
        try:
            os.utime(source)  # most recently used: kept by _prune
        except OSError:
            pass
        return True

    def _prune(self, manifest: dict, binaries: Path) -> None:
        """Keep the :data:`KEEP_BINARIES` most recently used binaries (a running one stays valid:
        its run folder holds a link to it)."""
        installed = sorted((p for p in binaries.iterdir() if not p.name.startswith(".")),
                           key=lambda p: p.stat().st_mtime, reverse=True)
        for path in installed[KEEP_BINARIES:]:
            path.unlink(missing_ok=True)
        kept = {p.name for p in installed[:KEEP_BINARIES]}
        manifest["binaries"] = {k: v for k, v in manifest["binaries"].items() if k in kept}


def _remove_orphans(runs: Path, host: str) -> None:
    """Remove the run folders of this host whose process no longer exists."""
    for path in runs.iterdir():
        pid, _, rest = path.name.partition("_")
        if not (pid.isdigit() and rest.startswith(f"{host}_")) or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # exists (e.g. another user's process)
            pass


def _sync(run: Path, work: Path) -> None:
    """Copy the generated code of ``run`` into ``work``, writing only files that differ (make
    then recompiles only what changed)."""
    for rel in _code_files(run):
        src, dst = run / rel, work / rel
        data = src.read_bytes()
        if dst.is_file() and dst.read_bytes() == data:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(data)


def _make(work: Path, make: Sequence[str]) -> None:
    if shutil.which(make[0]) is None:
        raise BuildError(f"{make[0]!r} was not found: the cpp_standalone engine needs make and a"
                         " C++ compiler; install them or use engine='cython'")
    # its own process group, so that an interruption stops the compilers too: none may write
    # into the workspace once the lock is released
    proc = subprocess.Popen(list(make), cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        output, _ = proc.communicate()
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        raise
    if proc.returncode != 0:
        tail = "\n".join(output.decode(errors="replace").splitlines()[-20:])
        raise BuildError(f"compiling in {work} failed ({' '.join(make)} exited with code"
                         f" {proc.returncode}):\n{tail}")


def run_binary(binary: str | Path, run: str | Path) -> float:
    """Run a standalone ``binary`` in the folder ``run`` (it reads ``run/static_arrays`` and
    writes ``run/results``); return the simulated run's wall-clock time (second, as a float).

    Raises
    ------
    KeyboardInterrupt
        If the run was interrupted (SIGINT to this process or to the binary); the binary is
        stopped first.
    BuildError
        If the binary failed, was killed (e.g. out of memory) or did not complete the whole run.

    Example
    -------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> script = run / "main"  # stands in for a binary: writes "seconds completed_fraction"
    >>> _ = script.write_text('#!/bin/sh\\necho "0.25 1.0" > "$2/last_run_info.txt"\\n')
    >>> script.chmod(0o700)
    >>> run_binary(script, run)
    0.25
    """
    run = Path(run)
    results = run / "results"
    results.mkdir(mode=0o700, exist_ok=True)
    log = run / "stdout.txt"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary), "--results_dir", f"{results}{os.sep}"], cwd=run,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            code = proc.wait()
        except BaseException:  # e.g. KeyboardInterrupt: stop the binary before its folder goes
            proc.kill()
            proc.wait()
            raise
    if code == -signal.SIGINT:
        raise KeyboardInterrupt("the simulation was interrupted (SIGINT); no result")
    output = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    if code < 0:
        name = signal.Signals(-code).name
        hint = (" (most likely out of memory: record fewer sites or use a larger record_dt)"
                if -code == signal.SIGKILL else "")
        raise BuildError(f"the simulation binary was killed by {name}{hint}\n{output}")
    if code != 0:
        raise BuildError(f"the simulation binary exited with code {code}\n{output}")
    try:
        seconds, fraction = (float(x) for x in (results / "last_run_info.txt").read_text().split())
    except (OSError, ValueError):
        raise BuildError(f"the simulation binary wrote no run summary\n{output}") from None
    if not fraction >= 1.0:
        raise BuildError(f"the simulation binary stopped after {fraction:.1%} of the duration;"
                         " no result")
    return seconds


# -- values out of main.cpp ------------------------------------------------------------------------
def _number(value) -> float | None:
    """A literal of Brian2's main queue as a float (exact), or None if it is not a plain number."""
    if isinstance(value, str):
        text = value.replace(" ", "")
        if text in ("true", "false"):
            return float(text == "true")
        try:
            value = int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | np.integer):
        return float(value) if abs(int(value)) < 2**53 else None
    if isinstance(value, float | np.floating):
        return float(value)
    return None


def _sorted_clock_lines(queue: list, clock_arrays: set[str]) -> list:
    """``queue`` with each contiguous run of clock-variable assignments sorted by array name."""
    out, block = [], []
    for entry in queue:
        if entry[0] == "set_by_single_value" and entry[1][0] in clock_arrays:
            block.append(entry)
            continue
        out += sorted(block, key=lambda e: (e[1][0], str(e[1][1])))
        block = []
        out.append(entry)
    return out + sorted(block, key=lambda e: (e[1][0], str(e[1][1])))


_RUN_LINE = re.compile(r"^(\w+)\.run\(([^,]+), (.*)\);$")


def hoist_values(device, slots: list | None = None) -> int:
    """Move the numeric literals of Brian2's standalone ``main.cpp`` into one input array
    (:data:`VALUES_ARRAY`) and sort its clock start lines; return how many were moved.

    If given, ``slots`` receives one ``(position, kind, array, index)`` per moved literal: the
    position of its entry in the new main queue, its kind (``"single"``: element ``index`` of
    ``array``, ``"constant"``: all of ``array``, ``"seed"``, ``"run"``: a duration in seconds)
    (see :mod:`cablemodel.simulation.replay`).

    To be called after the network is run on the standalone ``device`` and before
    ``device.build``. Entries of Brian2's main queue that it does not recognise stay as they are
    (they then only cost a recompilation when their value changes).

    Example
    -------
    >>> class Device:  # a stand-in with Brian2's main queue entries
    ...     main_queue = [("set_by_constant", ("_array_n_v", -0.065, False)),
    ...                   ("set_by_single_value", ("_array_n_E", 0, "- 0.077"))]
    ...     static_arrays, clocks = {}, set()
    >>> d = Device()
    >>> hoist_values(d)
    2
    >>> d.main_queue[1], d.static_arrays[VALUES_ARRAY].tolist()
    (('set_by_single_value', ('_array_n_E', 0, '_static_array__cablemodel_values[1]')), [-0.065, -0.077])
    """
    from brian2 import prefs

    clock_arrays = {device.get_array_name(clock.variables[name], access_data=False)
                    for clock in device.clocks for name in ("t", "timestep")}
    values: list[float] = []
    queue: list = []
    provenance = slots if slots is not None else []

    def slot(value: float, kind: str, array: str | None = None, index: int | None = None) -> str:
        values.append(value)
        provenance.append((len(queue), kind, array, index))
        return f"{VALUES_ARRAY}[{len(values) - 1}]"

    for func, args in _sorted_clock_lines(list(device.main_queue), clock_arrays):
        if func == "set_by_single_value" and _number(args[2]) is not None:
            index = int(args[1]) if _number(args[1]) is not None else None
            args = (args[0], args[1], slot(_number(args[2]), "single", args[0], index))
        elif func == "set_by_constant" and _number(args[1]) is not None:
            name, value, dynamic = args
            size = f"{name}.size()" if dynamic else f"_num_{name}"
            func, args = "insert_code", (f"for (int _i = 0; _i < {size}; _i++)"
                                         f" {name}[_i] = {slot(_number(value), 'constant', name)};")
        elif func == "seed" and isinstance(args, int) and 0 <= args < 2**53:
            threads = max(prefs.devices.cpp_standalone.openmp_threads, 1)
            func, args = "insert_code", (f"for (int _i = 0; _i < {threads}; _i++) brian::_random_generators"
                                         f"[_i].seed((unsigned long){slot(float(args), 'seed')} + _i);")
        elif func == "run_network":
            net, lines = args
            hoisted = []
            for line in lines:
                match = _RUN_LINE.match(line.strip())
                if match and _number(match[2]) is not None:
                    line = f"{match[1]}.run({slot(_number(match[2]), 'run')}, {match[3]});"
                hoisted.append(line)
            args = (net, hoisted)
        queue.append((func, args))
    if values:
        if VALUES_ARRAY in device.static_arrays:
            raise BuildError(f"hoist_values was called twice on one device ({VALUES_ARRAY} exists)")
        device.static_arrays[VALUES_ARRAY] = np.array(values)
    device.main_queue[:] = queue
    return len(values)
