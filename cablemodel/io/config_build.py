"""From the tables of a config file to the objects of a simulation: the morphology, the cell,
the synapses, the stimuli and the run settings, every value checked. A problem is recorded with
its key path and the build goes on, so that one pass reports every problem of the file.

The schema is documented in :mod:`cablemodel.io.config` (and the README's *Config files*).
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from brian2 import Hz, Mohm, Quantity, amp, cm, mM, ms, mV, nS, ohm, second, siemens, uF, um, volt

from ..cell import Cell, standard_cell
from ..mechanisms.bbp import BBP_CHANNELS
from ..mechanisms.channels import HHPotassium, HHSodium
from ..mechanisms.receptors import RECEPTORS, receptor
from ..mechanisms.stimuli import Ramp, Sine, Step, Train, VoltageClamp, WaveformClamp
from ..mechanisms.synapses import Synapse, poisson_train, regular_train, spike_times
from ..places import LocationError, parse_site, region
from .config_values import Problem, find_line, parse_quantity

__all__ = ["Reader", "SECTIONS", "key_text"]

#: top-level tables of a config file and what each holds
SECTIONS = {"morphology": "the morphology: file or generator", "cell": "passive membrane, channels",
            "synapses": "[[synapses]]: receptor, site, weight, spikes",
            "stimuli": "[[stimuli]]: current clamps and voltage clamps",
            "run": "duration, dt, engine, record, record_dt, seed",
            "measures": "name = measure string", "sweep": "axes or points, backend",
            "output": "folder, formats"}
MORPHOLOGY_KEYS = {"file": '"cell.swc"', "generator": '"ball_and_stick"',
                   "parameters": '{ dendrite_length = "1000 um" }', "repair": "true",
                   "scale": "0.001", "detect_apical": "true", "add_hillock": "true",
                   "d_lambda": "0.1"}
MEMBRANE = {"Ri": (ohm * cm, '"100 ohm*cm"'), "Cm": (uF / cm**2, '"1 uF/cm^2"'),
            "g_leak": (siemens / cm**2, '"3e-4 S/cm^2"'), "e_leak": (mV, '"-65 mV"')}
CELL_KEYS = {"preset": '"standard"', "celsius": "6.3", "v_rest": '"-65 mV"',
             "spike_site": '"hillock"', "spike_threshold": '"-20 mV"',
             "channels": '{ na = { soma = "0.05 S/cm^2" } }',
             "calcium": '{ soma = { gamma = 0.0005, decay = "460 ms" } }',
             **{k: e for k, (_, e) in MEMBRANE.items()}}
CALCIUM_KEYS = {"gamma": "0.05", "decay": '"80 ms"', "depth": '"0.1 um"', "minimum": '"1e-4 mM"',
                "outside": '"2 mM"'}
PRESETS = ("passive", "standard", "mammalian")
SYNAPSE_KEYS = {"receptor": '"ampa"', "site": '"basal@200"', "weight": '"1 nS"',
                "times": '["5 ms", "25 ms"]', "train": '{ start = "5 ms", interval = "10 ms", count = 5 }',
                "poisson": '{ rate = "20 Hz", duration = "200 ms", seed = 1 }', "mg": '"1 mM"',
                "tau_rise": '"0.2 ms"', "tau_decay": '"2 ms"', "reversal": '"0 mV"'}
#: stimulus types and their keys (besides ``type`` and ``site``): key -> (unit, example)
STIMULI = {
    "step": {"amplitude": (amp, '"0.5 nA"'), "start": (second, '"5 ms"'), "stop": (second, '"105 ms"')},
    "train": {"amplitude": (amp, '"1 nA"'), "start": (second, '"5 ms"'), "width": (second, '"2 ms"'),
              "interval": (second, '"20 ms"'), "count": (None, "5")},
    "ramp": {"start_value": (amp, '"0 nA"'), "stop_value": (amp, '"1 nA"'), "start": (second, '"5 ms"'),
             "stop": (second, '"105 ms"')},
    "sine": {"amplitude": (amp, '"0.1 nA"'), "frequency": (Hz, '"10 Hz"'), "start": (second, '"0 ms"'),
             "stop": (second, '"500 ms"'), "phase": (None, "0.0"), "offset": (amp, '"0 nA"')},
    "vclamp": {"holding": (volt, '"-65 mV"'), "series_resistance": (ohm, '"1 Mohm"'),
               "command": (None, '{ type = "step", amplitude = "60 mV", start = "10 ms", stop = "20 ms" }')},
}
_OPTIONAL = {"stop", "phase", "offset", "series_resistance", "command"}
RUN_KEYS = {"duration": '"50 ms"', "dt": '"0.025 ms"', "engine": '"numpy"',
            "record": '["basal@200", "m_na@hillock"]', "record_dt": '"0.1 ms"', "seed": "1"}


def key_text(path: tuple) -> str:
    """A key path as written in messages: ``("synapses", 1, "weight")`` -> ``synapses[1].weight``.

    Example
    -------
    >>> key_text(("cell", "channels", "na", "soma")), key_text(("stimuli", 0))
    ('cell.channels.na.soma', 'stimuli[0]')
    """
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _closest(name: str, valid) -> str:
    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _channel(name: str):
    """The channel ``name`` paints: HH ``na``/``k`` or a BBP channel (case-insensitive)."""
    key = name.lower()
    if key == "na":
        return HHSodium()
    if key == "k":
        return HHPotassium()
    return BBP_CHANNELS[key]()


CHANNEL_NAMES = ("na", "k", *BBP_CHANNELS)


class Reader:
    """Reads the tables of one config file (``file`` and its ``text`` for line numbers),
    collecting :class:`~cablemodel.io.config_values.Problem` s in ``problems``; paths in the
    file are relative to ``base`` (the file's folder).

    Example
    -------
    >>> r = Reader("a.toml", "[run]\\ndt = 1\\n", Path("."))
    >>> r.quantity({"dt": 1}, ("run",), "dt", ms, '"0.025 ms"') is None, str(r.problems[0])
    (True, 'a.toml:2: run.dt: 1 has no unit; write it as text with its unit, e.g. "0.025 ms"')
    """

    def __init__(self, file, text: str, base: Path) -> None:
        self.file, self.text, self.base = str(file), text, base
        self.problems: list[Problem] = []

    def problem(self, path: tuple, what: str, fix: str = "") -> None:
        self.problems.append(Problem(self.file, find_line(self.text, path), key_text(path), what, fix))

    def table(self, raw, path: tuple, keys: Mapping[str, str], required=()) -> dict:
        """``raw`` as a table whose keys are among ``keys`` (key -> example), ``required`` present;
        unknown keys are problems naming the closest valid one."""
        if not isinstance(raw, Mapping):
            self.problem(path, f"must be a table, got {raw!r}",
                         f"write it as [{key_text(path)}] with keys {', '.join(keys)}")
            return {}
        for key in raw:
            if key not in keys:
                self.problem((*path, key), "unknown key",
                             f"{_closest(key, keys)}valid keys: {', '.join(keys)}")
        for key in required:
            if key not in raw:
                self.problem(path, f"missing required key {key!r}", f"add {key} = {keys[key]}")
        return {k: v for k, v in raw.items() if k in keys}

    def quantity(self, raw: Mapping, path: tuple, key: str, unit, example: str, default=None):
        if key not in raw:
            return default
        try:
            return parse_quantity(raw[key], unit, example)
        except ValueError as err:
            self.problem((*path, key), str(err).split(": write", 1)[0],
                         "write" + str(err).split(": write", 1)[1] if ": write" in str(err) else "")
            return None

    def number(self, raw: Mapping, path: tuple, key: str, example: str, default=None, *,
               integer: bool = False, low: float | None = None):
        if key not in raw:
            return default
        x = raw[key]
        kind = "an integer" if integer else "a number"
        ok = not isinstance(x, bool) and isinstance(x, numbers.Integral if integer else numbers.Real)
        if ok and math.isfinite(x) and (low is None or x >= low):
            return x
        if isinstance(x, str) and not integer:
            fix = f"a dimensionless value is a plain TOML number: write {key} = {example}"
        else:
            fix = f"write {key} = {example}"
        bound = f" >= {low:g}" if low is not None else ""
        self.problem((*path, key), f"must be {kind}{bound}, got {x!r}", fix)
        return None

    def boolean(self, raw: Mapping, path: tuple, key: str, default: bool = False):
        x = raw.get(key, default)
        if not isinstance(x, bool):
            self.problem((*path, key), f"must be true or false, got {x!r}", f"write {key} = true")
            return None
        return x

    def choice(self, raw: Mapping, path: tuple, key: str, choices, default=None):
        if key not in raw:
            return default
        x = raw[key]
        if not isinstance(x, str) or x not in choices:
            self.problem((*path, key), f"unknown {key} {x!r}",
                         f"{_closest(x, choices)}valid choices: {', '.join(choices)}")
            return None
        return x

    def string(self, raw: Mapping, path: tuple, key: str, example: str, default=None):
        if key not in raw:
            return default
        if not isinstance(raw[key], str):
            self.problem((*path, key), f"must be a string, got {raw[key]!r}", f"write {key} = {example}")
            return None
        return raw[key]

    def strings(self, raw: Mapping, path: tuple, key: str, example: str, default=()):
        if key not in raw:
            return default
        x = raw[key]
        x = [x] if isinstance(x, str) else x
        if not isinstance(x, list) or not all(isinstance(s, str) for s in x):
            self.problem((*path, key), f"must be a list of strings, got {raw[key]!r}",
                         f"write {key} = {example}")
            return None
        return list(x)

    def site(self, raw: Mapping, path: tuple, key: str, table, example='"basal@200"'):
        """A site that exists on the cell of ``table`` (``None`` table: the syntax only)."""
        text = self.string(raw, path, key, example)
        if text is None:
            return None
        try:
            site = parse_site(text)
            if table is not None:
                site.resolve(table)
        except LocationError as err:
            self.problem((*path, key), str(err).splitlines()[0],
                         f"use a site of this cell, e.g. {key} = {example}")
            return None
        return text

    # -- the sections --------------------------------------------------------------------

    def morphology(self, raw, membrane: Mapping):
        """The morphology of ``[morphology]`` (default: the ball-and-stick), or ``None``."""
        from ..io.swc import SWCError, read_swc
        from ..morphology import GENERATORS, MorphologyError
        from ..morphology.discretize import discretize
        from ..morphology.hillock import add_hillock

        path = ("morphology",)
        raw = self.table(raw, path, MORPHOLOGY_KEYS)
        given = [k for k in ("file", "generator") if k in raw]
        if len(given) == 2:
            self.problem(path, "gives both 'file' and 'generator'", "keep one of them")
            return None
        file_only = [k for k in ("repair", "scale", "detect_apical") if k in raw]
        if "file" in raw:
            if "parameters" in raw:
                self.problem((*path, "parameters"), "applies to a generator, not to a file",
                             "remove it, or use generator = \"...\"")
            name = self.string(raw, path, "file", '"../morphologies/y_neuron.swc"')
            repair, detect = self.boolean(raw, path, "repair"), self.boolean(raw, path, "detect_apical")
            scale = self.number(raw, path, "scale", "0.001", low=0)
            if None in (name, repair, detect) or ("scale" in raw and scale is None):
                return None
            file = self.base / name
            if not file.is_file():
                self.problem((*path, "file"), f"no file {str(file)!r}",
                             "paths are relative to the config file's folder")
                return None
            try:
                morph, _ = read_swc(file, repair=repair, scale=scale, detect_apical=detect)
            except SWCError as err:
                self.problem((*path, "file"), str(err).splitlines()[0],
                             "fix the file, or set repair = true (repairs are reported)")
                return None
        else:
            for key in file_only:
                self.problem((*path, key), "applies to a file, not to a generator",
                             "remove it, or use file = \"...\"")
            gen = self.choice(raw, path, "generator", list(GENERATORS), "ball_and_stick")
            params = raw.get("parameters", {})
            if gen is None or not isinstance(params, Mapping):
                if not isinstance(params, Mapping):
                    self.problem((*path, "parameters"), "must be a table",
                                 'write parameters = { dendrite_length = "1000 um" }')
                return None
            import inspect

            valid = list(inspect.signature(GENERATORS[gen]).parameters)
            kwargs = {}
            for key in params:
                if key not in valid:
                    self.problem((*path, "parameters", key), f"{gen} has no parameter {key!r}",
                                 f"{_closest(key, valid)}its parameters: {', '.join(valid)}")
                elif key == "n_basal":
                    kwargs[key] = self.number(params, (*path, "parameters"), key, "4", integer=True)
                else:
                    kwargs[key] = self.quantity(params, (*path, "parameters"), key, um, '"200 um"')
            if any(v is None for v in kwargs.values()) or len(kwargs) < len(params):
                return None
            try:
                morph = GENERATORS[gen](**kwargs)
            except (MorphologyError, ValueError) as err:
                self.problem((*path, "parameters"), str(err).splitlines()[0])
                return None
        add = self.boolean(raw, path, "add_hillock")
        d_lambda = self.number(raw, path, "d_lambda", "0.1", low=0)
        if add:
            morph = add_hillock(morph)
        if d_lambda is not None:
            single = {k: v for k in ("Ri", "Cm") if isinstance(v := membrane.get(k), Quantity)}
            morph, _ = discretize(morph, d_lambda=d_lambda, frequency=100 * Hz, **single)
        return morph

    def membrane(self, raw: Mapping) -> dict:
        """The passive parameters of ``[cell]``: one value, or a table ``{where: value}``."""
        out = {}
        for key, (unit, example) in MEMBRANE.items():
            if key not in raw:
                continue
            value = raw[key]
            if isinstance(value, Mapping):
                out[key] = {w: self.quantity(value, ("cell", key), w, unit, example) for w in value}
                if any(v is None for v in out[key].values()):
                    out[key] = None
            else:
                out[key] = self.quantity(raw, ("cell",), key, unit, example)
        return out

    def cell(self, raw, morph) -> Cell | None:
        path = ("cell",)
        raw = self.table(raw, path, CELL_KEYS)
        preset = self.choice(raw, path, "preset", PRESETS, "passive")
        membrane = self.membrane(raw)
        celsius = self.number(raw, path, "celsius", "34", default=None)
        values = {"v_rest": self.quantity(raw, path, "v_rest", mV, '"-65 mV"'),
                  "spike_threshold": self.quantity(raw, path, "spike_threshold", mV, '"-20 mV"'),
                  "spike_site": self.string(raw, path, "spike_site", '"soma"')}
        kwargs = {k: v for k, v in values.items() if v is not None}
        if celsius is not None:
            kwargs["celsius"] = celsius
        if morph is None or preset is None or None in membrane.values() or \
                len(kwargs) < len([k for k in (*values, "celsius") if k in raw]):
            return None
        if "spike_site" not in raw and not region("hillock").mask(morph.compartments()).any():
            kwargs["spike_site"] = "soma"
        try:
            if preset == "mammalian":
                refused = [k for k in (*MEMBRANE, "spike_site") if k in raw]
                for key in refused:
                    self.problem((*path, key), "preset 'mammalian' sets it (Hay et al. 2011)",
                                 "remove it, or use preset = \"passive\" and paint the channels")
                if refused:
                    return None
                from ..presets import mammalian_cell

                kwargs.pop("spike_site", None)
                cell = mammalian_cell(morph, **kwargs)
            else:
                kwargs |= membrane
                cell = (standard_cell if preset == "standard" else Cell)(morph, **kwargs)
        except (ValueError, TypeError) as err:
            key = next((k for k in (*MEMBRANE, "v_rest", "spike_threshold", "spike_site", "celsius")
                        if str(err).startswith(k)), "preset")
            self.problem((*path, key), str(err).splitlines()[0])
            return None
        self.channels(raw.get("channels", {}), cell)
        self.calcium(raw.get("calcium", {}), cell)
        return cell

    def calcium(self, raw, cell: Cell) -> None:
        """``[cell.calcium]``: ``REGION = { gamma, decay, depth, minimum, outside }`` paints the
        BBP calcium dynamics (CaDynamics_E2; its defaults for the keys not given)."""
        from ..mechanisms.bbp import CaDynamics_E2

        path = ("cell", "calcium")
        if not isinstance(raw, Mapping):
            self.problem(path, "must be a table of regions", f"write calcium = {CELL_KEYS['calcium']}")
            return
        for where, values in raw.items():
            p = (*path, where)
            values = self.table(values, p, CALCIUM_KEYS)
            kwargs = {k: self.quantity(values, p, k, unit, CALCIUM_KEYS[k])
                      for k, unit in (("decay", ms), ("depth", um), ("minimum", mM), ("outside", mM))
                      if k in values}
            if "gamma" in values:
                kwargs["gamma"] = self.number(values, p, "gamma", "0.05", low=0)
            if None in kwargs.values():
                continue
            try:
                if not region(where).mask(cell.table).any():
                    raise LocationError(f"{where!r} selects no compartment of this cell"
                                        f" (regions: {', '.join(cell.table.regions)})")
                cell.paint(CaDynamics_E2(**kwargs), where)
            except (ValueError, TypeError) as err:
                self.problem(p, str(err).splitlines()[0])

    def channels(self, raw, cell: Cell) -> None:
        path = ("cell", "channels")
        if not isinstance(raw, Mapping):
            self.problem(path, "must be a table of channels", 'write [cell.channels.na] soma = "0.05 S/cm^2"')
            return
        for name, wheres in raw.items():
            if name.lower() not in CHANNEL_NAMES:
                self.problem((*path, name), "unknown channel",
                             f"{_closest(name.lower(), CHANNEL_NAMES)}channels: {', '.join(CHANNEL_NAMES)}")
                continue
            if not isinstance(wheres, Mapping) or not wheres:
                self.problem((*path, name), "must map regions or sites to densities",
                             f'write [cell.channels.{name}] soma = "0.05 S/cm^2"')
                continue
            channel = _channel(name)
            for where in wheres:
                density = self.quantity(wheres, (*path, name), where, channel.density_unit,
                                        '"0.05 S/cm^2"')
                if density is None:
                    continue
                try:
                    if not region(where).mask(cell.table).any():
                        raise LocationError(f"{where!r} selects no compartment of this cell"
                                            f" (regions: {', '.join(cell.table.regions)})")
                    cell.paint(channel, where, density)
                except (ValueError, TypeError) as err:
                    self.problem((*path, name, where), str(err).splitlines()[0],
                                 "use a region name (soma, basal, all, dendrite, ...) or a site")

    def synapses(self, raw, table) -> list[Synapse] | None:
        if not isinstance(raw, list):
            self.problem(("synapses",), "must be an array of tables", "write [[synapses]] headers")
            return None
        out = []
        for k, item in enumerate(raw):
            path = ("synapses", k)
            item = self.table(item, path, SYNAPSE_KEYS, ("receptor", "site", "weight"))
            out.append(self._synapse(item, path, table))
        return None if None in out else out

    def _synapse(self, item: Mapping, path: tuple, table) -> Synapse | None:
        name = self.choice(item, path, "receptor", sorted(RECEPTORS))
        site = self.site(item, path, "site", table)
        weight = self.quantity(item, path, "weight", nS, '"1 nS"')
        spikes = self._spikes(item, path)
        extra = {"mg": self.quantity(item, path, "mg", mM, '"1 mM"')}
        taus = {k: self.quantity(item, path, k, ms, SYNAPSE_KEYS[k]) for k in ("tau_rise", "tau_decay")}
        reversal = self.quantity(item, path, "reversal", mV, '"0 mV"')
        if None in (name, site, weight, spikes) or any(v is None and k in item
                                                       for k, v in (*extra.items(), *taus.items(),
                                                                    ("reversal", reversal))):
            return None
        try:
            if "mg" in item and name != "nmda":
                raise ValueError("mg applies to receptor = \"nmda\" only")
            rec = receptor(name, **({"mg": extra["mg"]} if "mg" in item else {}))
            taus = {k: v for k, v in taus.items() if v is not None}
            if taus:
                if not hasattr(rec, "tau_decay"):
                    raise ValueError(f"tau_rise/tau_decay apply to ionotropic receptors, not {name}")
                rec = replace(rec, **taus)
            if reversal is not None:
                rec = replace(rec, reversal=reversal)
            return Synapse(rec, site, weight, spikes)
        except (ValueError, TypeError) as err:
            self.problem(path, str(err).splitlines()[0])
            return None

    def _spikes(self, item: Mapping, path: tuple) -> Quantity | None:
        given = [k for k in ("times", "train", "poisson") if k in item]
        if len(given) != 1:
            self.problem(path, "needs exactly one of 'times', 'train' or 'poisson'" +
                         (f", got {', '.join(given)}" if given else ""),
                         f"e.g. times = {SYNAPSE_KEYS['times']}")
            return None
        kind = given[0]
        if kind == "times":
            times = item["times"]
            times = [times] if isinstance(times, str) else times
            if not isinstance(times, list) or not times:
                self.problem((*path, "times"), "must be a list of times",
                             f"write times = {SYNAPSE_KEYS['times']}")
                return None
            values = [self.quantity({"times": t}, path, "times", ms, '["5 ms"]') for t in times]
            if None in values:
                return None
            return spike_times([float(v / ms) for v in values] * ms)
        keys = ({"start": '"5 ms"', "interval": '"10 ms"', "count": "5"} if kind == "train" else
                {"rate": '"20 Hz"', "duration": '"200 ms"', "seed": "1", "start": '"0 ms"'})
        required = [k for k in keys if k != "start" or kind == "train"]
        sub = self.table(item[kind], (*path, kind), keys, required)
        p = (*path, kind)
        try:
            if kind == "train":
                start, interval = (self.quantity(sub, p, k, ms, keys[k]) for k in ("start", "interval"))
                count = self.number(sub, p, "count", "5", integer=True, low=1)
                if None in (start, interval, count):
                    return None
                return regular_train(start, interval, count)
            rate = self.quantity(sub, p, "rate", Hz, keys["rate"])
            duration = self.quantity(sub, p, "duration", ms, keys["duration"])
            start = self.quantity(sub, p, "start", ms, keys["start"], default=0 * ms)
            seed = self.number(sub, p, "seed", "1", integer=True, low=0)
            if None in (rate, duration, start, seed):
                return None
            return poisson_train(rate, duration, seed, start)
        except ValueError as err:
            self.problem(p, str(err).splitlines()[0])
            return None

    def stimuli(self, raw, table) -> list | None:
        if not isinstance(raw, list):
            self.problem(("stimuli",), "must be an array of tables", "write [[stimuli]] headers")
            return None
        out = [self._stimulus(item, ("stimuli", k), table) for k, item in enumerate(raw)]
        return None if None in out else out

    def _waveform(self, item: Mapping, path: tuple, kind: str, dim_unit):
        keys = STIMULI[kind]
        values = {}
        for key, (unit, example) in keys.items():
            if key == "count":
                values[key] = self.number(item, path, key, example, integer=True, low=1)
            elif key == "phase":
                values[key] = self.number(item, path, key, example, default=0.0)
            elif unit is not None:
                u = dim_unit if unit is amp else unit
                ex = example.replace("nA", "mV") if dim_unit is volt and unit is amp else example
                values[key] = self.quantity(item, path, key, u, ex)
            if values.get(key) is None and key not in _OPTIONAL:
                if key not in item:
                    self.problem(path, f"missing required key {key!r} of a {kind}",
                                 f"add {key} = {example}")
                return None
        values = {k: v for k, v in values.items() if v is not None or k in ("stop",)}
        try:
            return {"step": Step, "train": Train, "ramp": Ramp, "sine": Sine}[kind](**values)
        except (ValueError, TypeError) as err:
            self.problem(path, str(err).splitlines()[0])
            return None

    def _stimulus(self, item, path: tuple, table):
        if not isinstance(item, Mapping):
            self.problem(path, "must be a table", "write [[stimuli]] with type, site, ...")
            return None
        kind = self.choice(item, path, "type", list(STIMULI))
        if "type" not in item:
            self.problem(path, "missing required key 'type'", f"add type = \"step\" ({', '.join(STIMULI)})")
        if kind is None:
            return None
        item = self.table(item, path, {"type": '"step"', "site": '"soma"'} |
                          {k: e for k, (_, e) in STIMULI[kind].items()}, ("site",))
        site = self.site(item, path, "site", table, '"soma"')
        if kind != "vclamp":
            wave = self._waveform(item, path, kind, amp)
            return None if None in (site, wave) else WaveformClamp(site, wave)
        holding = self.quantity(item, path, "holding", volt, '"-65 mV"')
        if "holding" not in item:
            self.problem(path, "missing required key 'holding' of a vclamp", 'add holding = "-65 mV"')
        rs = self.quantity(item, path, "series_resistance", ohm, '"1 Mohm"', default=1 * Mohm)
        command = None
        if "command" in item:
            cmd, p = item["command"], (*path, "command")
            kinds = [k for k in STIMULI if k != "vclamp"]
            ctype = self.choice(cmd, p, "type", kinds) if isinstance(cmd, Mapping) else None
            if ctype is None:
                if not isinstance(cmd, Mapping) or "type" not in cmd:
                    self.problem(p, "must be a table with a type",
                                 f"write command = {STIMULI['vclamp']['command'][1]}")
                return None
            cmd = self.table(cmd, p, {"type": '"step"'} | {k: e for k, (_, e) in STIMULI[ctype].items()})
            command = self._waveform(cmd, p, ctype, volt)
            if command is None:
                return None
        if None in (site, holding, rs):
            return None
        try:
            return VoltageClamp(site, holding, command, rs)
        except ValueError as err:
            self.problem(path, str(err).splitlines()[0])
            return None

    def run(self, raw) -> dict | None:
        from ..simulation.engine import ENGINES

        path = ("run",)
        raw = self.table(raw, path, RUN_KEYS)
        out = {"duration": self.quantity(raw, path, "duration", ms, RUN_KEYS["duration"], 50 * ms),
               "dt": self.quantity(raw, path, "dt", ms, RUN_KEYS["dt"], 0.025 * ms),
               "engine": self.choice(raw, path, "engine", ENGINES, "auto"),
               "record": self.strings(raw, path, "record", RUN_KEYS["record"], None),
               "record_dt": self.quantity(raw, path, "record_dt", ms, RUN_KEYS["record_dt"]),
               "seed": self.number(raw, path, "seed", "1", integer=True, low=0)}
        if any(out[k] is None for k in ("duration", "dt", "engine")) or \
                any(out[k] is None and k in raw for k in ("record", "record_dt", "seed")):
            return None
        return out
