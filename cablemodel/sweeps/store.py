"""A sweep's store: a folder with the sweep's definition and one netCDF file per finished point.

Layout::

    STORE/manifest.json        the sweep's definition: setup, points, measures, traces
    STORE/point_000012.nc      point 12: its measures, error text, traces, wall time

Every file is written under a temporary name in the folder and renamed into place (atomic on
POSIX and Windows), so a store never holds a half-written point: an interrupted sweep (Ctrl-C,
a killed worker, a crash of the program) loses at most the points that were running. Files are
not forced to disk (``fsync`` would cost ~50 ms per point): after a power cut a point file may
be damaged; such a file is recomputed on resume (with a warning). On resume a store
refuses a different sweep (another setup, other points, measures or traces), skips the
finished points and keeps a failed point's error unless ``retry_failed=True``.
Point files are netCDF 3 (xarray's ``scipy`` engine, no library beyond xarray).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["Store", "StoreMismatch", "FORMAT"]

#: Format tag of a store's manifest.
FORMAT = "cablemodel.sweep/1"
_MANIFEST = "manifest.json"


class StoreMismatch(ValueError):
    """The store holds another sweep (or is not a sweep store).

    Example
    -------
    >>> issubclass(StoreMismatch, ValueError)
    True
    """


class Store:
    """The store of one sweep in ``folder`` (created if needed) for ``definition``.

    Example
    -------
    >>> import tempfile
    >>> s = Store(tempfile.mkdtemp(), {"points": [{"a": 1}, {"a": 2}]})
    >>> rec = {"values": {"m": 1.5}, "units": {"m": "mV"}, "error": "", "traces": {},
    ...        "trace_units": {}, "t_ms": None, "seconds": 0.1}
    >>> s.write(1, rec)
    >>> s.finished() == {1: rec}
    True
    >>> Store(s.folder, {"points": [{"a": 1}]})
    Traceback (most recent call last):
    ...
    cablemodel.sweeps.store.StoreMismatch: the store ... holds a different sweep (its points differ); ...
    """

    def __init__(self, folder: str | os.PathLike, definition: Mapping):
        self.folder = Path(folder)
        self.definition = json.loads(json.dumps(definition))
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / _MANIFEST
        if manifest.exists():
            self._check(manifest)
        else:
            if any(self.folder.glob("point_*.nc")):
                raise StoreMismatch(f"{self.folder} holds point files but no {_MANIFEST}: it is not"
                                    " a complete sweep store; give an empty folder")
            _atomic_write(manifest, json.dumps({"format": FORMAT, "definition": self.definition},
                                               indent=1).encode())

    def _check(self, manifest: Path) -> None:
        try:
            stored = json.loads(manifest.read_text())
        except (OSError, ValueError) as err:
            raise StoreMismatch(f"cannot read {manifest} ({err}); give another store folder") from None
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise StoreMismatch(f"{manifest} is not a cablemodel sweep store ({FORMAT}); give"
                                " another store folder")
        old = stored.get("definition", {})
        differ = [k for k in sorted(set(old) | set(self.definition))
                  if old.get(k) != self.definition.get(k)]
        if differ:
            raise StoreMismatch(f"the store {self.folder} holds a different sweep (its"
                                f" {', '.join(differ)} differ); give another store folder or"
                                " delete this one to start afresh")

    def path(self, index: int) -> Path:
        """The file of point ``index``."""
        return self.folder / f"point_{index:06d}.nc"

    def finished(self) -> dict[int, dict]:
        """The records of the points in the store, by index (failed ones included)."""
        n = len(self.definition.get("points", ()))
        out = {}
        for p in sorted(self.folder.glob("point_*.nc")):
            index = int(p.stem.split("_")[1])
            if index >= n:
                raise StoreMismatch(f"{p}: point {index} is not part of this sweep ({n} points)")
            try:
                out[index] = _read(p)
            except Exception as err:  # damaged (a power cut): recompute that point
                warnings.warn(f"cannot read the point file {p} ({err}); point {index} is run"
                              " again", stacklevel=2)
        return out

    def write(self, index: int, record: Mapping) -> None:
        """Write the record of point ``index`` (atomically)."""
        import xarray as xr

        names = list(record["values"])
        data = ({"values": ("measure", np.array([record["values"][m] for m in names], dtype=float))}
                if names else {})
        coords = {}
        labels = list(record["traces"])
        if labels:
            data["traces"] = (("trace", "time"), np.stack([record["traces"][k] for k in labels]))
            coords["time"] = ("time", np.asarray(record["t_ms"], dtype=float))
        attrs = {"format": FORMAT, "index": index, "error": record["error"],
                 "seconds": float(record["seconds"]),
                 "meta": json.dumps({"measures": names, "units": record["units"],
                                     "traces": labels, "trace_units": record["trace_units"]})}
        blob = xr.Dataset(data, coords, attrs).to_netcdf(engine="scipy")
        _atomic_write(self.path(index), bytes(blob))


def _read(path: Path) -> dict:
    import xarray as xr

    with xr.open_dataset(path, engine="scipy") as ds:
        ds.load()
    meta = json.loads(ds.attrs["meta"])
    values = ds["values"].values if "values" in ds else np.zeros(0)
    traces = ({k: ds["traces"].values[i] for i, k in enumerate(meta["traces"])}
              if meta["traces"] else {})
    return {"values": {m: float(v) for m, v in zip(meta["measures"], values, strict=True)},
            "units": meta["units"], "error": str(ds.attrs["error"]), "traces": traces,
            "trace_units": meta["trace_units"],
            "t_ms": ds["time"].values if meta["traces"] else None,
            "seconds": float(ds.attrs["seconds"])}


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it to ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
