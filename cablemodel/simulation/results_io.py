"""Results out: a :class:`~cablemodel.Result` as an xarray Dataset or a tidy table, saved to and
loaded from netCDF exactly (every array bit for bit, the metadata equal).

Dataset layout (:func:`to_xarray`)
----------------------------------
* ``v`` (dims ``site``, ``time``) and one variable per other recorded quantity (``m_na`` with
  dims ``site_m_na``, ``time``; ...), units and description in its attributes. The coordinates of
  each site dimension: ``label``, ``compartment``, ``distance`` (um from the soma), ``region``,
  ``section``, ``x``/``y``/``z`` (um), prefixed with the variable's name for variables other than
  ``v`` (``m_na_label``, ...); the site dimension is indexed by the labels
  (``ds["v"].sel(site="hillock")``).
* ``time`` (ms) and ``spikes`` (ms, dim ``spike``).
* The cell's compartment table (``table_*``, dim ``table_compartment``), so that a loaded result has
  its geometry (distances, plots).
* Attributes: engine, dt, record_dt, duration (ms), the cablemodel and Brian2 versions, the
  morphology's name, source file (when read from SWC) and the SHA-256 of its compartment table
  (:func:`table_hash`), the cell's parameters (Ri, Cm, g_leak, v_rest, E_L, densities:
  :func:`cell_metadata`) as JSON, and everything of ``Result.info`` as JSON.

Files are netCDF 3 written by xarray's ``scipy`` engine (no extra library beyond xarray, which
is the optional extra ``cablemodel[io]``); integers are stored as 32-bit and restored to 64-bit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from pathlib import Path

import numpy as np

from ..morphology.model import CompartmentTable
from .results import Result, Trace

__all__ = ["to_xarray", "from_xarray", "to_dataframe", "save", "load", "table_hash",
           "cell_metadata", "FORMAT"]

#: Format tag written into every file (checked on loading).
FORMAT = "cablemodel.Result/1"
_SITE_COORDS = ("distance", "region", "section", "x", "y", "z")


def _xarray():
    try:
        import xarray
    except ImportError:
        raise ImportError("results I/O needs xarray: pip install 'cablemodel[io]' (or pip install"
                          " xarray)") from None
    return xarray


def table_hash(table: CompartmentTable) -> str:
    """SHA-256 (hex) of every column of a compartment table: equal exactly for identical
    geometry and tree.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> table_hash(ball_and_stick().compartments()) == table_hash(ball_and_stick().compartments())
    True
    """
    h = hashlib.sha256()
    for f in fields(table):
        value = getattr(table, f.name)
        h.update(f.name.encode())
        if value is None:
            continue
        if f.name == "swc_ids":
            h.update(json.dumps([list(ids) for ids in value]).encode())
        else:
            h.update(str(value.dtype).encode() + np.ascontiguousarray(value).tobytes())
    return h.hexdigest()


def _per_region(values: np.ndarray, table) -> float | dict:
    """One number if ``values`` are uniform, else ``{region: [min, max]}``."""
    if np.all(values == values[0]):
        return float(values[0])
    return {reg: [float(values[table.region == reg].min()), float(values[table.region == reg].max())]
            for reg in table.regions}


def cell_metadata(cell) -> dict:
    """The cell's parameters as plain JSON-ready data: ``Ri`` (ohm*cm), ``Cm`` (uF/cm^2),
    ``g_leak`` (S/cm^2) (each one number if uniform, else ``{region: [min, max]}``; see
    :meth:`cablemodel.Cell.membrane`), ``v_rest_mV``, ``E_L_mV`` (min, max of the leak reversal),
    celsius, spike site and threshold, each channel's reversal (mV, ``"nernst"`` or ``"ghk"``), ion
    and density range (S/cm^2, or cm/s for a GHK permeability) per region, what is painted where,
    and the morphology (name, source file, notes, :func:`table_hash`).

    Example
    -------
    >>> from cablemodel import ball_and_stick, standard_cell
    >>> meta = cell_metadata(standard_cell(ball_and_stick()))
    >>> meta["Ri_ohm_cm"], meta["channels"]["na"]["density_S_cm2"]["hillock"]
    (100.0, [1.2, 1.2])
    """
    from brian2 import cm, mV, ohm, siemens, uF

    table = cell.table
    dens = cell.densities()
    e_leak = np.asarray(cell.leak_reversal() / mV)
    channels = {}
    for ch in cell.channels:
        ghk = ch.current_kind == "ghk"
        d = dens[ch.name] * (1e2 if ghk else 1e-4)  # cm/s or S/cm^2
        per_region = {}
        for reg in dict.fromkeys(table.region.tolist()):
            values = d[table.region == reg]
            if values.any():
                per_region[reg] = [float(values.min()), float(values.max())]
        reversal = ("ghk" if ghk else ch.reversal if isinstance(ch.reversal, str)
                    else float(ch.reversal / mV))
        channels[ch.name] = {"reversal_mV": reversal, "ion": ch.ion, "gates": ch.state_names(),
                             "density_cm_s" if ghk else "density_S_cm2": per_region}
    morph = cell.morphology
    source = next((n.removeprefix("read from ") for n in morph.notes if n.startswith("read from ")),
                  None)
    membrane = cell.membrane()
    passive = {key: _per_region(np.asarray(values / unit, dtype=float), table) for key, values, unit
               in (("Ri_ohm_cm", membrane.Ri, ohm * cm), ("Cm_uF_cm2", membrane.Cm, uF / cm**2),
                   ("g_leak_S_cm2", membrane.g_leak, siemens / cm**2))}
    return {**passive,
            "v_rest_mV": float(cell.v_rest / mV),
            "E_L_mV": [float(e_leak.min()), float(e_leak.max())], "celsius": cell.celsius,
            "spike_site": cell.spike_site, "spike_threshold_mV": float(cell.spike_threshold / mV),
            "channels": channels,
            "painted": [[p.channel.name, str(p.where), "function of distance" if callable(p.density)
                         else "dynamics" if p.density is None
                         else float(p.density / p.channel.density_unit)] for p in cell.painted],
            "morphology": {"name": morph.name, "source": source, "notes": list(morph.notes),
                           "compartments": len(table), "table_sha256": table_hash(table)}}


def _site_coords(prefix: str, dim: str, labels, comps: np.ndarray, table) -> dict:
    coords = {dim: (dim, np.array(labels, dtype=object)),  # select rows by label: sel(site="soma")
              f"{prefix}label": (dim, np.array(labels, dtype=object)),
              f"{prefix}compartment": (dim, comps.astype(np.int32))}
    for name in _SITE_COORDS:
        col = getattr(table, name)[comps]
        coords[f"{prefix}{name}"] = (dim, col.astype(object) if col.dtype.kind == "U" else col)
    return coords


def _table_variables(table: CompartmentTable) -> dict:
    out = {}
    for f in fields(table):
        value = getattr(table, f.name)
        if value is None:
            continue
        if f.name == "swc_ids":
            counts = np.array([len(ids) for ids in value], dtype=np.int32)
            flat = np.array([i for ids in value for i in ids], dtype=np.int32)
            out["table_swc_count"] = ("table_compartment", counts)
            out["table_swc_ids"] = ("swc_sample", flat)
            continue
        kind = value.dtype.kind
        data = value.astype(object) if kind == "U" else value.astype(np.int32) if kind in "iu" else value
        out[f"table_{f.name}"] = ("table_compartment", data, {"dtype": str(value.dtype)})
    return out


def _check_int32(name: str, values: np.ndarray) -> None:
    if values.size and (values.min() < -2**31 or values.max() >= 2**31):
        raise ValueError(f"{name}: integers beyond 32 bits cannot be stored in netCDF 3")


def to_xarray(result: Result):
    """The result as an ``xarray.Dataset`` (layout: see the module docstring).

    Example
    -------
    >>> ds = to_xarray(Result.example())
    >>> ds["v"].dims, ds["v"].attrs["units"], ds["label"].values.tolist()
    (('site', 'time'), 'mV', ['soma', 'hillock'])
    """
    import brian2

    import cablemodel

    xr = _xarray()
    table = result.table
    for name in ("index", "parent", "n_children"):
        col = getattr(table, name)
        if col is not None:
            _check_int32(f"table {name}", col)
    data = {"v": (("site", "time"), result.v_mV, {"units": "mV", "description": "membrane potential"}),
            "spikes": ("spike", result.spikes_ms, {"units": "ms", "description": "spike times"})}
    coords = {"time": ("time", result.t_ms, {"units": "ms"})}
    coords |= _site_coords("", "site", result.labels, result.compartments, table)
    order = []
    for name, tr in result.recorded.items():
        dim = f"site_{name}"
        data[name] = (("site_" + name, "time"), tr.values,
                      {"units": tr.unit, "description": tr.description})
        coords |= _site_coords(f"{name}_", dim, tr.labels, tr.compartments, table)
        order.append(name)
    data |= _table_variables(table)
    info = result.info
    cell = info.get("cell", {})
    morph = cell.get("morphology", {})
    attrs = {"format": FORMAT, "recorded": json.dumps(order),
             "v_rest_mV": json.dumps(result.v_rest_mV)}
    attrs |= {key: info[key] for key in ("engine", "dt_ms", "record_dt_ms", "duration_ms")
              if key in info}
    attrs |= {"cablemodel_version": cablemodel.__version__, "brian2_version": brian2.__version__,
             "morphology_name": str(morph.get("name", "")),
             "morphology_source": str(morph.get("source") or ""),
             "morphology_sha256": table_hash(table),
             "cell_json": json.dumps(cell), "info_json": json.dumps(info)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _strings(values) -> list[str]:
    return [str(v) for v in np.asarray(values).tolist()]


def from_xarray(ds) -> Result:
    """The :class:`Result` a Dataset made by :func:`to_xarray` holds (exactly).

    Example
    -------
    >>> r = from_xarray(to_xarray(Result.example()))
    >>> r.labels, r.peak("hillock")
    (['soma', 'hillock'], 65. * mvolt)
    """
    if ds.attrs.get("format") != FORMAT:
        raise ValueError(f"not a cablemodel result (format {ds.attrs.get('format')!r}, expected"
                         f" {FORMAT!r}); make it with Result.to_xarray() or Result.save()")
    columns = {}
    for f in fields(CompartmentTable):
        key = f"table_{f.name}"
        if f.name == "swc_ids" and "table_swc_count" in ds:
            counts = np.asarray(ds["table_swc_count"].values, dtype=np.int64)
            flat = np.asarray(ds["table_swc_ids"].values, dtype=np.int64).tolist()
            bounds = np.concatenate([[0], np.cumsum(counts)])
            ids = np.empty(counts.size, dtype=object)
            ids[:] = [tuple(flat[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
            columns[f.name] = ids
        elif key in ds:
            var = ds[key]
            columns[f.name] = np.asarray(var.values).astype(var.attrs["dtype"])
        else:
            columns[f.name] = None
    table = CompartmentTable(**columns)
    recorded = {}
    for name in json.loads(ds.attrs["recorded"]):
        var = ds[name]
        recorded[name] = Trace(name, var.attrs["units"], np.asarray(var.values, dtype=np.float64),
                               np.asarray(ds[f"{name}_compartment"].values, dtype=np.int64),
                               _strings(ds[f"{name}_label"].values), var.attrs["description"])
    return Result(_strings(ds["label"].values), np.asarray(ds["compartment"].values, dtype=np.int64),
                  np.asarray(ds["time"].values, dtype=np.float64),
                  np.asarray(ds["v"].values, dtype=np.float64),
                  np.asarray(ds["spikes"].values, dtype=np.float64),
                  json.loads(ds.attrs["v_rest_mV"]), table, json.loads(ds.attrs["info_json"]),
                  recorded)


def to_dataframe(result: Result):
    """The result as a tidy ``pandas.DataFrame``: one row per (variable, site, sample) with
    columns ``variable``, ``label``, ``compartment``, ``region``, ``section``, ``distance_um``,
    ``time_ms``, ``value`` and ``unit``.

    Example
    -------
    >>> df = to_dataframe(Result.example())
    >>> len(df), df.columns.tolist()[:3], float(df["value"].max())
    (16, ['variable', 'label', 'compartment'], 0.0)
    """
    _xarray()
    import pandas as pd

    table = result.table
    parts = [("v", "mV", result.labels, result.compartments, result.v_mV)]
    parts += [(n, tr.unit, tr.labels, tr.compartments, tr.values) for n, tr in result.recorded.items()]
    frames = []
    n_t = result.t_ms.size
    for name, unit, labels, comps, values in parts:
        rows = len(labels)
        frames.append(pd.DataFrame({
            "variable": name, "label": np.repeat(np.array(labels, dtype=object), n_t),
            "compartment": np.repeat(comps, n_t), "region": np.repeat(table.region[comps], n_t),
            "section": np.repeat(table.section[comps], n_t),
            "distance_um": np.repeat(table.distance[comps], n_t),
            "time_ms": np.tile(result.t_ms, rows), "value": values.reshape(-1), "unit": unit}))
    return pd.concat(frames, ignore_index=True)


def save(result: Result, path: str | Path) -> Path:
    """Write the result to a netCDF file at ``path`` (see the module docstring); returns the path.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = save(Result.example(), pathlib.Path(tempfile.mkdtemp()) / "run.nc")
    >>> load(p).spikes_ms.tolist()
    [5.5]
    """
    path = Path(path)
    to_xarray(result).to_netcdf(path, engine="scipy")
    return path


def load(path: str | Path) -> Result:
    """Read a result written by :func:`save` (exactly as it was saved).

    Example
    -------
    >>> import tempfile, pathlib
    >>> r = load(save(Result.example(), pathlib.Path(tempfile.mkdtemp()) / "run.nc"))
    >>> r.v("soma")[:2]
    array([-65., -63.]) * mvolt
    """
    xr = _xarray()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no result file {path}")
    with xr.open_dataset(path, engine="scipy") as ds:
        return from_xarray(ds.load())
