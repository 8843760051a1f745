"""Running a config file: :func:`run_config` (one simulation) and :func:`sweep_config` (the
``[sweep]`` through :func:`cablemodel.sweep`), each writing the ``[output]`` formats to the
output folder: ``netcdf`` (``result.nc`` / ``sweep.nc``), ``json`` (``measures.json`` /
``sweep.json``) and ``png`` (``traces.png`` / ``sweep.png``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .config import RunConfig

__all__ = ["run_config", "sweep_config"]


def _folder(config: RunConfig, out) -> Path:
    folder = Path(out) if out is not None else config.folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_config(config: RunConfig, out=None) -> tuple[object, dict, list[Path]]:
    """Run the simulation of ``config`` (a :class:`~cablemodel.io.config.RunConfig`), the sites
    of its measures recorded; write its outputs to ``out`` (default: the config's
    ``[output] folder``). Returns the :class:`~cablemodel.Result`, the measures (name ->
    ``{"value", "unit", "measure"}``) and the files written.

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from cablemodel.io.config import load_config
    >>> config = load_config(Path(__file__).parents[2] / "examples" / "psp.toml")
    >>> result, measures, files = run_config(config, tempfile.mkdtemp())  # doctest: +SKIP
    >>> sorted(f.name for f in files)  # doctest: +SKIP
    ['measures.json', 'result.nc', 'traces.png']
    """
    from ..simulation.engine import simulate
    from ..sweeps import parse_measure

    kwargs = config.simulate_kwargs()
    parsed = {name: parse_measure(text) for name, text in config.measures.items()}
    sites = [m.site for m in parsed.values() if m.site is not None]
    record = list(kwargs.get("record") or [])
    kwargs["record"] = record + [s for s in dict.fromkeys(sites) if s not in record]
    result = simulate(**kwargs)
    measures = {name: {"value": m(result), "unit": m.unit, "measure": m.text}
                for name, m in parsed.items()}
    folder, files = _folder(config, out), []
    if "netcdf" in config.formats:
        files.append(result.save(folder / "result.nc"))
    if "json" in config.formats:
        path = folder / "measures.json"
        path.write_text(json.dumps({"config": str(config.path), "measures": measures}, indent=2))
        files.append(path)
    if "png" in config.formats:
        files.append(_plot_traces(result, folder / "traces.png", config.path.name))
    return result, measures, files


def _plot_traces(result, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for label, v in zip(result.labels, result.v_mV, strict=True):
        ax.plot(result.t_ms, v, label=label, lw=1)
    ax.set(xlabel="time (ms)", ylabel="membrane potential (mV)", title=title)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def sweep_config(config: RunConfig, out=None):
    """Run the ``[sweep]`` of ``config`` with :func:`cablemodel.sweep` (its setup callable:
    :meth:`RunConfig.setup <cablemodel.io.config.RunConfig.setup>`) and write its outputs to
    ``out`` (default: the ``[output] folder``). Returns the xarray Dataset and the files written.

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from cablemodel.io.config import load_config
    >>> config = load_config(Path(__file__).parents[2] / "examples" / "sweep_sites.toml")
    >>> ds, files = sweep_config(config, tempfile.mkdtemp())  # doctest: +SKIP
    >>> ds["soma_peak"].dims  # doctest: +SKIP
    ('weight', 'site')
    """
    from ..sweeps import sweep

    if config.sweep is None:
        raise ValueError(f"{config.path}: no [sweep] table; run it with `cablemodel run`")
    spec, options = config.sweep, dict(config.sweep.options)
    kwargs = {"measures": config.measures, "backend": options["backend"],
              "progress": options["progress"], "traces": tuple(options["traces"] or ())}
    if options["workers"] is not None:
        kwargs["workers"] = options["workers"]
    if options["scheduler"] is not None:
        kwargs["scheduler"] = options["scheduler"]
    if options["store"] is not None:
        kwargs |= {"store": str(config.path.parent / options["store"]), "resume": options["resume"]}
    grid = {"axes": spec.axes} if spec.axes is not None else {"points": spec.points}
    ds = sweep(config.setup(), **grid, **kwargs)
    folder, files = _folder(config, out), []
    if "netcdf" in config.formats:
        path = folder / "sweep.nc"
        ds.to_netcdf(path)
        files.append(path)
    if "json" in config.formats:
        path = folder / "sweep.json"
        path.write_text(json.dumps(_sweep_dict(config, ds), indent=2))
        files.append(path)
    if "png" in config.formats and config.measures:
        files.append(_plot_sweep(ds, list(config.measures), folder / "sweep.png", config.path.name))
    return ds, files


def _plain(values) -> list:
    arr = np.asarray(values)
    if arr.dtype.kind in "fc":
        return [None if not np.isfinite(x) else float(x) for x in arr.ravel()]
    return [x.item() if hasattr(x, "item") else x for x in arr.ravel()]


def _sweep_dict(config: RunConfig, ds) -> dict:
    """The measures of a sweep as JSON: coordinates, then each measure flattened in the order of
    its dimensions, with its unit."""
    coords = {name: {"values": _plain(ds[name].values), "unit": ds[name].attrs.get("units", "")}
              for name in ds.coords if name != "time"}
    measures = {name: {"dims": list(ds[name].dims), "values": _plain(ds[name].values),
                       "unit": ds[name].attrs.get("units", ""), "measure": config.measures[name]}
                for name in config.measures}
    errors = _plain(ds["error"].values) if "error" in ds else []
    return {"config": str(config.path), "coords": coords, "measures": measures, "errors": errors}


def _plot_sweep(ds, names: list[str], path: Path, title: str) -> Path:
    """Each measure against the first dimension, one line per value of the second (if any)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False,
                             constrained_layout=True)
    for ax, name in zip(axes[0], names, strict=True):
        da = ds[name]
        x_dim = da.dims[0]
        x = ds[x_dim].values
        xs = np.arange(len(x)) if x.dtype.kind not in "iuf" else x
        rest = da.dims[1:]
        if rest:
            flat = da.stack(_other=rest)
            for k in range(flat.sizes["_other"]):
                label = ", ".join(f"{d}={flat['_other'].values[k]}" for d in rest) if len(rest) > 1 \
                    else f"{rest[0]}={flat[rest[0]].values[k]}"
                ax.plot(xs, flat.isel(_other=k).values, "o-", label=label, ms=3)
            ax.legend(fontsize=7)
        else:
            ax.plot(xs, da.values, "o-", ms=3)
        if xs is not x:
            ax.set_xticks(xs, [str(v) for v in x], rotation=30, fontsize=7)
        unit = ds[x_dim].attrs.get("units", "")
        ax.set(xlabel=f"{x_dim} ({unit})" if unit else x_dim,
               ylabel=f"{name} ({da.attrs.get('units', '')})", title=title)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
