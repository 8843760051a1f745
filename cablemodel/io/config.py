"""Runs and sweeps described in TOML config files: :func:`load_config` reads and validates one
into a :class:`RunConfig`; ``cablemodel run FILE`` and ``cablemodel sweep FILE`` run it.

Rules
-----
* Every value with a physical dimension is a string holding a number and a unit (``"1 nS"``,
  ``"0.12 S/cm^2"``, ``"100 ohm*cm"``, ``"-65 mV"``, ``"200 um"``; Brian2 unit names plus S, F,
  s, A, V, m, M; powers as ``^2``; read by a parser, never evaluated). Plain TOML numbers are
  dimensionless: ``celsius`` (degC), counts, seeds, ``d_lambda``, ``phase`` (radians).
* Paths in the file (``morphology.file``, ``sweep.store``, ``output.folder``) are relative to
  the config file's folder.
* Every problem is reported at once, one line each: ``FILE:LINE: KEY: problem; fix`` (a
  :class:`~cablemodel.io.config_values.ConfigError`); an unknown key names the closest valid one.

Tables (the README's *Config files* has the full table of keys, units and defaults)
-------------------------------------------------------------------------------------
``[morphology]``: ``file`` (SWC; with ``repair``, ``scale``, ``detect_apical``) or ``generator``
(``ball_and_stick`` (default), ``y_neuron``, ``pyramidal``) with ``parameters`` (its keyword
arguments, lengths in um); ``add_hillock``; ``d_lambda`` (compartments by NEURON's rule at 100 Hz).
``[cell]``: ``preset`` (``passive`` (default): a :class:`~cablemodel.Cell`; ``standard``:
:func:`~cablemodel.standard_cell`'s HH Na+/K+; ``mammalian``: :func:`~cablemodel.mammalian_cell`),
``celsius``, ``v_rest``, ``spike_site``, ``spike_threshold``, ``Ri``, ``Cm``, ``g_leak``,
``e_leak`` (one value or a table ``{region or site or "default" = value}``), and
``[cell.channels.NAME]`` tables ``{region or site = density}`` painted in order (NAME: ``na``,
``k`` (Hodgkin-Huxley) or a BBP channel, e.g. ``nata_t``); ``[cell.calcium]`` ``REGION = {gamma,
decay, depth, minimum, outside}`` (BBP calcium dynamics).
``[[synapses]]``: ``receptor`` (``ampa``, ``nmda``, ``gaba_a``, ``gaba_b``, ``glycine``, ``d1``,
``d2``), ``site``, ``weight`` and one of ``times``, ``train = {start, interval, count}``,
``poisson = {rate, duration, seed, start}``; ``mg``, ``tau_rise``, ``tau_decay``, ``reversal``.
``[[stimuli]]``: ``type`` (``step``, ``train``, ``ramp``, ``sine``: current clamps; ``vclamp``),
``site`` and the waveform's keys. ``[run]``: ``duration``, ``dt``, ``engine``, ``record``,
``record_dt``, ``seed``. ``[measures]``: ``name = "peak@soma"`` (forms of
:func:`cablemodel.sweeps.parse_measure`). ``[sweep]``: ``axes = {name = [values]}`` (a grid) or
``points = [{name = value, ...}]``; a name is a key path of this file (``"synapses.0.weight"``,
``"cell.channels.na.soma"``) or a short name given in ``parameters = {name = "path"}``; and
``backend``, ``workers``, ``scheduler``, ``store``, ``resume``, ``progress``, ``traces``.
``[output]``: ``folder`` (default ``"out"``), ``formats`` (``netcdf``, ``json``, ``png``).

Example
-------
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "psp.toml"
>>> _ = p.write_text('''
... [[synapses]]
... receptor = "ampa"
... site = "basal@200"
... weight = "1 nS"
... times = ["5 ms"]
... [run]
... duration = "20 ms"
... ''')
>>> config = load_config(p)
>>> kwargs = config.simulate_kwargs()
>>> str(kwargs["synapses"][0].site), kwargs["duration"]
('basal@200', 20. * msecond)
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .config_build import SECTIONS, Reader, _closest, key_text
from .config_values import ConfigError, Problem, read_quantity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["load_config", "RunConfig", "ConfigSetup", "ConfigError", "SweepSpec"]

SWEEP_KEYS = {"parameters": '{ weight = "synapses.0.weight" }', "axes": '{ weight = ["0.5 nS", "1 nS"] }',
              "points": '[{ weight = "1 nS" }]', "backend": '"serial"', "workers": "2",
              "scheduler": '"tcp://127.0.0.1:8786"', "store": '"store"', "resume": "true",
              "progress": "true", "traces": '["soma"]'}
BACKENDS = ("serial", "processes", "dask")
OUTPUT_KEYS = {"folder": '"out"', "formats": '["netcdf", "json", "png"]'}
FORMATS = ("netcdf", "json", "png")


def _parse_path(text: str, raw: Mapping) -> tuple:
    """A key path ``"synapses.0.weight"`` as ``("synapses", 0, "weight")`` (integers index
    arrays); ``ValueError`` if it does not lead into ``raw``'s tables and arrays."""
    parts, node = [], raw
    for word in text.split("."):
        if isinstance(node, list):
            if not word.isdigit() or int(word) >= len(node):
                raise ValueError(f"{key_text(tuple(parts))} has {len(node)} entries (0 to"
                                 f" {len(node) - 1}); {word!r} is not one of them")
            parts.append(int(word))
            node = node[int(word)]
        elif isinstance(node, Mapping) or node is None:
            if not word:
                raise ValueError(f"empty key in {text!r}")
            parts.append(word)
            node = node.get(word) if isinstance(node, Mapping) else None
        else:
            raise ValueError(f"{key_text(tuple(parts))} is a value, not a table")
    if not parts or parts[0] not in SECTIONS:
        raise ValueError(f"a path starts with a table of the file ({', '.join(SECTIONS)})")
    return tuple(parts)


def _with_values(raw: Mapping, values: Mapping[tuple, object]) -> dict:
    """A deep copy of ``raw`` with each ``path: value`` set (missing tables created)."""
    out = copy.deepcopy(dict(raw))
    for path, value in values.items():
        node = out
        for part in path[:-1]:
            if isinstance(node, list):
                node = node[part]
            else:
                node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def _build(raw: Mapping, file, text: str, base: Path, cache: dict | None = None) -> dict:
    """The :func:`~cablemodel.simulate` keyword arguments of the config tables ``raw``;
    raises :class:`ConfigError` listing every problem."""
    r = Reader(file, text, base)
    for key in raw:
        if key not in SECTIONS:
            r.problem((key,), "unknown table", f"{_closest(key, SECTIONS)}tables: {', '.join(SECTIONS)}")
    cell_raw = raw.get("cell", {})
    # the membrane is checked (and reported) with the cell
    membrane = Reader(file, text, base).membrane(cell_raw) if isinstance(cell_raw, Mapping) else {}
    key = repr((raw.get("morphology"), membrane.get("Ri"), membrane.get("Cm")))
    if cache is not None and key in cache:
        morph = cache[key]
    else:
        morph = r.morphology(raw.get("morphology", {}), membrane)
        if cache is not None and morph is not None:
            cache[key] = morph
    cell = r.cell(cell_raw, morph)
    table = None if cell is None else cell.table
    synapses = r.synapses(raw.get("synapses", []), table)
    clamps = r.stimuli(raw.get("stimuli", []), table)
    run = r.run(raw.get("run", {}))
    if run is not None and run["record"] is not None and table is not None:
        _check_record(r, run["record"], table)
    if r.problems:
        raise ConfigError(r.problems)
    return {"cell": cell, "synapses": synapses, "clamps": clamps} | run


def _check_record(r: Reader, record: list[str], table) -> None:
    """Each ``[run] record`` entry readable and its site or region on the cell (its variable
    is checked by the simulation)."""
    from ..places import Location
    from ..simulation.recording import RecordingError, parse_request

    for k, text in enumerate(record):
        try:
            where = parse_request(text).where
            if isinstance(where, Location):
                where.resolve(table)
            elif not where.mask(table).any():
                raise ValueError(f"{where} selects no compartment of this cell")
        except (RecordingError, ValueError) as err:
            r.problem(("run", "record"), f"entry {k} ({text!r}): {str(err).splitlines()[0]}",
                      'write e.g. record = ["basal@200", "m_na@hillock"]')


def _axis_values(values: list):
    """An axis' TOML values as the sweep takes them: quantity strings of one dimension as one
    Quantity array (``["1 nS", "2 nS"]`` -> ``[1, 2] * nS``), anything else as a list."""
    import numpy as np
    from brian2 import Quantity

    try:
        qs = [read_quantity(v) for v in values]
    except ValueError:
        return list(values)
    if any(q.dim != qs[0].dim for q in qs):
        return list(values)
    return Quantity(np.array([float(q) for q in qs]), dim=qs[0].dim)


@dataclass
class SweepSpec:
    """The ``[sweep]`` table, validated: parameter names and their key paths, the grid ``axes``
    or the list of ``points`` (values as :func:`cablemodel.sweep` takes them) and the options."""

    paths: dict[str, tuple]
    axes: dict[str, object] | None
    points: list[dict] | None
    options: dict = field(default_factory=dict)


@dataclass
class RunConfig:
    """A validated config file: ``path``, its ``text`` and tables (``raw``), the measures by
    name, the sweep (``None`` without a ``[sweep]`` table) and the output folder and formats.
    :meth:`simulate_kwargs` gives the keyword arguments of :func:`cablemodel.simulate`;
    :meth:`setup` the picklable setup callable of :func:`cablemodel.sweep`.

    Example
    -------
    >>> from pathlib import Path
    >>> config = load_config(Path(__file__).parents[2] / "examples" / "psp.toml")
    >>> sorted(config.measures), config.formats
    (['hillock_peak', 'soma_peak'], ('netcdf', 'json', 'png'))
    """

    path: Path
    text: str
    raw: dict
    measures: dict[str, str]
    sweep: SweepSpec | None
    folder: Path
    formats: tuple[str, ...]
    #: morphologies built while validating, by morphology table (immutable: reused by setup())
    morphologies: dict = field(default_factory=dict, repr=False, compare=False)

    def simulate_kwargs(self, **point) -> dict:
        """The :func:`cablemodel.simulate` keyword arguments, with the values of ``point``
        (parameter name -> value, as in ``[sweep]``) applied."""
        return self.setup()(**point)

    def setup(self) -> ConfigSetup:
        """The setup callable of :func:`cablemodel.sweep` for this file."""
        return ConfigSetup(self.path, self.text, self.raw, self.sweep.paths if self.sweep else {},
                           self.morphologies)


class ConfigSetup:
    """A picklable setup callable for :func:`cablemodel.sweep`: holds a validated config file
    (its text and tables) and, called as ``setup(**point)``, returns the keyword arguments of
    :func:`cablemodel.simulate` for the config with the point's values set at their key paths
    (a name of ``[sweep] parameters`` or a key path such as ``"synapses.0.weight"``; values as
    quantities or as the file writes them). The morphology is built once per process and per
    morphology table.

    Example
    -------
    >>> import pickle
    >>> from pathlib import Path
    >>> from brian2 import nS
    >>> config = load_config(Path(__file__).parents[2] / "examples" / "sweep_sites.toml")
    >>> setup = pickle.loads(pickle.dumps(config.setup()))
    >>> kwargs = setup(weight=2 * nS, site="basal@300")
    >>> str(kwargs["synapses"][0].site), kwargs["synapses"][0].weight
    ('basal@300', 2. * nsiemens)
    """

    def __init__(self, path: Path, text: str, raw: dict, paths: Mapping[str, tuple],
                 morphologies: Mapping | None = None) -> None:
        self.path, self.text, self.raw, self.paths = Path(path), text, raw, dict(paths)
        self._cache: dict = dict(morphologies or {})

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _cache={})

    def __call__(self, **point) -> dict:
        values = {}
        for name, value in point.items():
            path = self.paths.get(name)
            if path is None:
                try:
                    path = _parse_path(name, self.raw)
                except ValueError as err:
                    raise ConfigError([Problem(self.path, None, "sweep", f"parameter {name!r}: {err}",
                                               f"parameters: {', '.join(self.paths)}")]) from None
            values[path] = value
        raw = _with_values(self.raw, values)
        return _build(raw, self.path, self.text, self.path.parent, self._cache)


def _read_sweep(r: Reader, raw, config_raw: dict) -> SweepSpec | None:
    path = ("sweep",)
    raw = r.table(raw, path, SWEEP_KEYS)
    names = raw.get("parameters", {})
    paths: dict[str, tuple] = {}
    if not isinstance(names, Mapping):
        r.problem((*path, "parameters"), "must be a table of names and key paths",
                  f"write parameters = {SWEEP_KEYS['parameters']}")
        names = {}
    for name, text in names.items():
        try:
            if not isinstance(text, str):
                raise ValueError(f"must be a key path string, got {text!r}")
            paths[name] = _parse_path(text, config_raw)
        except ValueError as err:
            r.problem((*path, "parameters", name), str(err), 'e.g. "synapses.0.weight"')
    if ("axes" in raw) == ("points" in raw):
        r.problem(path, "needs exactly one of 'axes' (a grid) or 'points' (a list)",
                  f"e.g. axes = {SWEEP_KEYS['axes']}")
        return None
    kind = "axes" if "axes" in raw else "points"
    table = raw[kind]
    if kind == "axes":
        ok = isinstance(table, Mapping) and table and all(isinstance(v, list) and v for v in table.values())
    else:
        ok = isinstance(table, list) and table and all(isinstance(p, Mapping) for p in table)
    if not ok:
        what = "a table of non-empty lists" if kind == "axes" else "a list of tables"
        r.problem((*path, kind), f"must be {what}",
                  f"write {kind} = {SWEEP_KEYS[kind]}")
        return None
    used = list(table) if kind == "axes" else list(dict.fromkeys(k for p in table for k in p))
    for name in used:
        if name in paths:
            continue
        try:
            paths[name] = _parse_path(name, config_raw)
        except ValueError as err:
            r.problem((*path, kind, name), f"{err}",
                      "give a key path such as \"synapses.0.weight\", or name it in parameters")
    options = {"backend": r.choice(raw, path, "backend", BACKENDS, "serial"),
               "workers": r.number(raw, path, "workers", "2", integer=True, low=1),
               "scheduler": r.string(raw, path, "scheduler", SWEEP_KEYS["scheduler"]),
               "store": r.string(raw, path, "store", SWEEP_KEYS["store"]),
               "resume": r.boolean(raw, path, "resume", True),
               "progress": r.boolean(raw, path, "progress", True),
               "traces": r.strings(raw, path, "traces", SWEEP_KEYS["traces"])}
    for k, label in enumerate(options["traces"] or ()):
        from ..simulation.recording import RecordingError, parse_request

        try:
            parse_request(label)
        except (RecordingError, ValueError) as err:
            r.problem((*path, "traces"), f"entry {k} ({label!r}): {str(err).splitlines()[0]}",
                      f"write e.g. traces = {SWEEP_KEYS['traces']}")
    if kind == "axes":
        return SweepSpec(paths, {name: _axis_values(v) for name, v in table.items()}, None, options)
    points = [{k: _axis_values([v])[0] for k, v in p.items()} for p in table]
    return SweepSpec(paths, None, points, options)


def _check_sweep_values(r: Reader, spec: SweepSpec, config: RunConfig) -> None:
    """Build the cell of every axis value (grid) or point, so a bad value is reported now."""
    setup = config.setup()
    if spec.axes is not None:
        trials = [(("sweep", "axes", name), f"with {name} = {value!r}", {name: value})
                  for name, values in spec.axes.items() for value in values]
    else:
        trials = [(("sweep", "points", k), f"point {k}", point) for k, point in enumerate(spec.points)]
    for where, what, point in trials:
        try:
            setup(**point)
        except ConfigError as err:
            for p in err.problems:
                r.problem(where, f"{what}: {p.key}: {p.problem}", p.fix)


def load_config(path) -> RunConfig:
    """Read and validate the TOML config file ``path`` (schema: this module's documentation).

    Raises :class:`~cablemodel.io.config_values.ConfigError` listing every problem, one line
    each: ``FILE:LINE: KEY: problem; fix``.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bad.toml"
    >>> _ = p.write_text('[[synapses]]\\nreceptor = "ampa"\\nsite = "soma"\\nwieght = "1 nS"\\n'
    ...                  'times = ["5 ms"]\\n')
    >>> load_config(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cablemodel.io.config_values.ConfigError: .../bad.toml:4: synapses[0].wieght: unknown key; ...
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError([Problem(path, None, "file", f"cannot read it ({err.strerror})",
                                   "give the path of a TOML config file")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"at line (\d+)", str(err))
        line = int(found.group(1)) if found else None
        raise ConfigError([Problem(path, line, "TOML", f"not valid TOML: {err}",
                                   "see https://toml.io for the syntax")]) from None
    r = Reader(path, text, path.parent)
    morphologies: dict = {}
    try:
        _build({k: v for k, v in raw.items() if k not in ("measures", "sweep", "output")},
               path, text, path.parent, morphologies)
    except ConfigError as err:
        r.problems.extend(err.problems)
    measures = _read_measures(r, raw.get("measures", {}))
    output = r.table(raw.get("output", {}), ("output",), OUTPUT_KEYS)
    folder = r.string(output, ("output",), "folder", '"out"', "out")
    formats = r.strings(output, ("output",), "formats", OUTPUT_KEYS["formats"], FORMATS)
    for k, f in enumerate(formats or ()):
        if f not in FORMATS:
            r.problem(("output", "formats"), f"entry {k}: unknown format {f!r}",
                      f"{_closest(f, FORMATS)}formats: {', '.join(FORMATS)}")
    sweep = _read_sweep(r, raw["sweep"], raw) if "sweep" in raw else None
    taken = ("error", "time", "point", *(sweep.paths if sweep else ()))
    for name in measures:
        if not name.isidentifier() or name.startswith("trace_") or name in taken:
            r.problem(("measures", name), "cannot name a measure (a sweep's Dataset needs an"
                      " identifier not starting with 'trace_', other than error, time, point and"
                      " the sweep's parameters)", "rename it, e.g. soma_peak")
    if r.problems:
        raise ConfigError(r.problems)
    config = RunConfig(path, text, raw, measures, sweep, path.parent / folder, tuple(formats),
                       morphologies)
    if sweep is not None:
        _check_sweep_values(r, sweep, config)
        if r.problems:
            raise ConfigError(r.problems)
    return config


def _read_measures(r: Reader, raw) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        r.problem(("measures",), "must be a table of names and measure strings",
                  'write [measures] soma_peak = "peak@soma"')
        return {}
    for name, text in raw.items():
        from ..sweeps import parse_measure

        try:
            parse_measure(text)
        except ValueError as err:
            r.problem(("measures", name), str(err), 'e.g. soma_peak = "peak@soma"')
    return dict(raw)
