"""Memory needed by a run's recorded traces, checked before the run starts.

Every recorded site keeps one float64 per sample. What holds them, measured on Brian2 2.9
(176 sites x 160,000 samples = 215 MiB of traces):

* ``numpy`` / ``cython``: Brian2's monitor buffer grows by doubling (up to 2 copies) and the
  :class:`~cablemodel.Result` keeps one copy of its own: at most 3 copies (peak measured: 2.0
  copies; 3.0 before the Result stopped taking a second one).
* ``cpp_standalone``: the binary holds one copy plus ~48 bytes of bookkeeping per sample
  (measured 1.06 copies) and writes it to the cache's file system; Python then reads the files
  block by block into the Result's single copy (measured 1.15 copies; 2.0 before). The two do
  not overlap in time, so the larger one counts; the files need one copy of free disk space and
  are removed once read.

The limit is 80 % of the memory available when the run starts, or ``$CABLEMODEL_MEMORY_LIMIT``,
or the ``memory_limit`` argument of :func:`cablemodel.simulate`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path

__all__ = ["MemoryLimitError", "TRACE_COPIES", "check_memory", "memory_limit", "parse_bytes",
           "run_memory"]

#: Copies of the traces held at once by the Python process, per engine (see the module's notes).
TRACE_COPIES = {"numpy": 3.0, "cython": 3.0, "cpp_standalone": 1.0}
#: Bytes the standalone binary needs per sample beyond the values (a vector per sample).
BINARY_BYTES_PER_SAMPLE = 48
#: Default limit: this fraction of the memory available when the run starts.
AVAILABLE_FRACTION = 0.8
_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12,
          "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_ENV = "CABLEMODEL_MEMORY_LIMIT"


class MemoryLimitError(ValueError):
    """A run would need more memory (or disk) than allowed; nothing was run.

    Example
    -------
    >>> issubclass(MemoryLimitError, ValueError)
    True
    """


def parse_bytes(value: int | float | str) -> float:
    """A number of bytes from a number or a text such as ``"8GB"``, ``"500 MiB"`` or ``"inf"``.

    Example
    -------
    >>> parse_bytes("8GB"), parse_bytes("1 KiB"), parse_bytes(1e6), parse_bytes("inf")
    (8000000000.0, 1024.0, 1000000.0, inf)
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        match = re.fullmatch(r"\s*([0-9.eE+-]+|inf)\s*([A-Za-z]*)\s*", str(value))
        unit = match[2].lower() if match else None
        if unit not in _UNITS:
            raise ValueError(f"memory limit {value!r} is not a size: give bytes or a number with"
                             " B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. '8GB'), or 'inf'")
        try:
            number = float(match[1]) * _UNITS[unit]
        except ValueError:
            raise ValueError(f"memory limit {value!r} is not a size (e.g. '8GB')") from None
    if math.isnan(number) or number <= 0:
        raise ValueError(f"memory limit must be > 0 bytes, got {value!r}")
    return number


def _available() -> float:
    import psutil

    return float(psutil.virtual_memory().available)


def memory_limit(limit: int | float | str | None = None) -> tuple[float, str]:
    """The limit in bytes and where it comes from: ``limit`` if given, else
    ``$CABLEMODEL_MEMORY_LIMIT``, else 80 % of the memory available now.

    Example
    -------
    >>> memory_limit("2GB")
    (2000000000.0, 'memory_limit')
    >>> memory_limit()[0] > 0
    True
    """
    if limit is not None:
        return parse_bytes(limit), "memory_limit"
    if os.environ.get(_ENV, "").strip():
        try:
            return parse_bytes(os.environ[_ENV]), f"${_ENV}"
        except ValueError as err:
            raise ValueError(f"{err} (from ${_ENV})") from None
    return AVAILABLE_FRACTION * _available(), f"{AVAILABLE_FRACTION:.0%} of the available memory"


def run_memory(n_sites: int, n_samples: int, engine: str) -> dict[str, float]:
    """Bytes the traces of a run need: ``python`` (this process, at its peak), ``binary`` (the
    standalone binary) and ``disk`` (its result files).

    Example
    -------
    >>> run_memory(1000, 100_000, "numpy")
    {'python': 2400000000.0, 'binary': 0.0, 'disk': 0.0}
    >>> run_memory(1000, 100_000, "cpp_standalone")["binary"]
    804800000.0
    """
    values = 8.0 * n_sites * n_samples
    standalone = engine == "cpp_standalone"
    return {"python": TRACE_COPIES[engine] * values,
            "binary": values + BINARY_BYTES_PER_SAMPLE * n_samples if standalone else 0.0,
            "disk": values if standalone else 0.0}


def _size(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def check_memory(n_sites: int, n_samples: int, record_dt_ms: float, engine: str,
                 limit: int | float | str | None = None, disk: str | Path | None = None
                 ) -> dict[str, float]:
    """Refuse a run whose traces would not fit: more memory than :func:`memory_limit` allows,
    or (standalone) more than the free space of the file system holding ``disk``. Returns the
    estimate of :func:`run_memory` (bytes).

    ``record_dt_ms`` (ms) is only used to suggest a sampling interval that fits.

    Raises
    ------
    MemoryLimitError
        With the estimate, the limit and what to change (``record_dt``, fewer sites, the limit).

    Example
    -------
    >>> check_memory(10, 1000, 0.025, "numpy")["python"]
    240000.0
    >>> check_memory(100_000, 4_000_000, 0.025, "numpy", limit="16GB")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cablemodel.simulation.memory.MemoryLimitError: recording 100000 sites x 4000000 samples needs ...
    """
    need = run_memory(n_sites, n_samples, engine)
    allowed, source = memory_limit(limit)
    peak = max(need["python"], need["binary"])

    def fix(factor: float) -> str:
        return ("record fewer sites (name them with record= instead of 'all') or sample less often"
                f" (record_dt={record_dt_ms * math.ceil(factor):g} ms would fit; now"
                f" {record_dt_ms:g} ms)")

    if peak > allowed:
        copies = TRACE_COPIES[engine] if need["python"] >= need["binary"] else 1.0
        raise MemoryLimitError(
            f"recording {n_sites} sites x {n_samples} samples needs about {_size(peak)} of memory"
            f" ({engine}: {copies:g} x 8 bytes per value), more than the limit of {_size(allowed)}"
            f" ({source}); {fix(peak / allowed)}, or raise the limit with memory_limit= or ${_ENV}")
    if need["disk"] and disk is not None:
        free = float(shutil.disk_usage(disk).free)
        if need["disk"] > free:
            raise MemoryLimitError(
                f"recording {n_sites} sites x {n_samples} samples writes {_size(need['disk'])} of"
                f" result files, more than the {_size(free)} free in {disk}; {fix(need['disk'] / free)},"
                " or move the cache to a larger disk with $CABLEMODEL_CACHE")
    return need
