"""Warm standalone runs without Brian2: values written as input files of a compiled program.

A ``cpp_standalone`` program reads every value it was generated with from its input files
(``static_arrays/``; the literals of ``main.cpp`` are moved there by
:func:`~cablemodel.simulation.build_cache.hoist_values`). Once a structure has been generated
and compiled, a run that differs from it only in values needs nothing but new input files: no
Brian2 objects, no code generation, no compilation.

The *claims* of a run (:func:`claims`) are the values cablemodel gives Brian2, computed the way
Brian2 is given them (:meth:`CellSpec.neuron_values <cablemodel.simulation.assembly.CellSpec.neuron_values>`,
:func:`~cablemodel.simulation.assembly.synapse_values`, the spike generator's sorted spikes,
the recorded compartments), in SI units. Everything else Brian2 is given (equations,
statements, thresholds and events, the morphology, the step, the recorded variables) enters the
run's *signature* (:func:`signature`) together with the name, shape and type of every claim: two
runs with one signature differ only in the values of their claims.

When a structure is generated (the cold path of :mod:`cablemodel.simulation.engine`),
:func:`make_recipe` records where each claim went: which input array or value slot each of
Brian2's assignments to a claimed variable wrote, the other inputs as they were, the compiled
program's code hash and the files its monitors write. The recipe is checked at once: replaying
the run's own claims must give Brian2's input files to the last bit, or no recipe is kept. A
warm run with the same signature (:func:`replay_inputs`) copies those inputs, writes its claims
into them and checks, per claimed variable, that Brian2's assignments replayed in order leave
exactly the claimed values; any difference (say a clamp moved to a compartment that Brian2 had
written as a literal index) sends the run back to the generating path. Circuits (several cells,
chemical connections, gap junctions) are replayed alike: their connections' weights, delays,
sites and gap conductances are claims too.

Example
-------
>>> from brian2 import ms, nS
>>> from cablemodel import AMPA, Synapse, ball_and_stick, spike_times, standard_cell
>>> from cablemodel.simulation.engine import _cell_spec
>>> from cablemodel.simulation.assembly import CircuitSpec
>>> cell = standard_cell(ball_and_stick())
>>> syn = Synapse(AMPA, "basal@100", 1 * nS, spike_times([2] * ms))
>>> circuit = CircuitSpec({"cell": _cell_spec("cell", cell, [syn], [], None, 0.025, False, [])}, [], [])
>>> values = claims(circuit, 0.025)
>>> values["cell_syn_ampa.w"], values["cell_inputs.spike_time"]
(array([1.e-09]), array([0.002]))
>>> from dataclasses import replace
>>> heavier = CircuitSpec({"cell": _cell_spec("cell", cell, [replace(syn, weight=2 * nS)], [],
...                                           None, 0.025, False, [])}, [], [])
>>> signature(circuit, 0.025, 0.025, "hines") == signature(heavier, 0.025, 0.025, "hines")
True
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .assembly import CircuitSpec, morphology_key, synapse_values
from .build_cache import VALUES_ARRAY
from .recording import extra_equations, monitor_groups, updates

__all__ = ["Recipe", "StoredMonitor", "claims", "load_recipe",
           "make_recipe", "replay_inputs", "save_recipe", "signature",
           "stored_monitors", "write_inputs"]

#: Recipes kept per build cache folder (the least recently used beyond are removed).
KEEP_RECIPES = 64
#: Source files whose code decides what a recipe means (their text enters every signature).
_SOURCES = ("assembly.py", "build_cache.py", "engine.py", "hines.py", "recording.py", "replay.py")


def _si(value) -> np.ndarray:
    """A value as Brian2 stores it: SI floats (quantities), integers or booleans."""
    arr = np.asarray(value)
    return arr if arr.dtype.kind in "biu" else np.asarray(arr, dtype=float)


def claims(circuit: CircuitSpec, dt_ms: float) -> dict[str, np.ndarray]:
    """The values of ``circuit`` as Brian2 is given them, by ``OWNER.VARIABLE`` (the Brian2
    object and variable; SI units), in the order they are assigned.

    Example
    -------
    See the module's example.
    """
    from brian2 import ms

    dt = dt_ms * ms
    out: dict[str, np.ndarray] = {}
    for name, spec in circuit.cells.items():
        out.update(_cell_claims(name, spec, dt))
    for c in circuit.connection_plan(dt):
        out[f"{c['name']}.sources"] = np.asarray(c["sources"], dtype=np.int32)
        out[f"{c['name']}.targets"] = np.asarray(c["targets"], dtype=np.int32)
        for var, value in synapse_values(c["receptor"], c["connections"], c["delays"]):
            out[f"{c['name']}.{var}"] = _si(value)
    for g in circuit.gap_plan():
        out[f"{g['name']}.sources"] = np.asarray(g["sources"], dtype=np.int32)
        out[f"{g['name']}.targets"] = np.asarray(g["targets"], dtype=np.int32)
        for var, value in g["values"]:
            out[f"{g['name']}.{var}"] = _si(value)
    return out


def _cell_claims(name: str, spec, dt) -> dict[str, np.ndarray]:
    """The claims of one cell: its neuron, external inputs and monitors."""
    out: dict[str, np.ndarray] = {}
    for var, value in spec.neuron_values():
        out[f"{name}.{var.rstrip('_')}"] = _si(value)
    out[f"{name}.Ri"] = _si(spec.geometry[1])
    for function, values in spec.timed_array_values(dt).items():  # one row per time step
        out[f"{function}.values"] = _si(values).ravel()
    if spec.synapses:
        idx, times = spec.spike_input(dt)
        times = np.asarray(times, dtype=float)
        order = np.lexsort((idx, times))  # Brian2's order: by time, then by index
        idx, times = idx[order], times[order]
        dt_s = float(np.asarray(dt))
        bins = np.asarray((times + 1e-3 * dt_s) / dt_s, dtype=np.int32)
        src = f"{name}_inputs"
        out.update({f"{src}.neuron_index": idx.astype(np.int32), f"{src}.spike_time": times,
                    f"{src}.spike_number": np.arange(len(idx), dtype=np.int32),
                    f"{src}._timebins": bins, f"{src}._lastindex": np.zeros((), np.int32),
                    f"{src}.period": np.zeros(()), f"{src}._period_bins": np.zeros(())})
        for rec, mine in spec.receptor_synapses():
            owner = f"{name}_syn_{rec.name}"
            out[f"{owner}.sources"] = np.asarray(mine, dtype=np.int32)
            out[f"{owner}.targets"] = np.asarray([spec.syn_idx[k] for k in mine], dtype=np.int32)
            for var, value in synapse_values(rec, [spec.synapses[k] for k in mine]):
                out[f"{owner}.{var}"] = _si(value)
    out[f"{name}_vmon._indices"] = np.asarray(list(spec.record.values()), dtype=np.int32)
    for k, (_, elements, _) in enumerate(monitor_groups(spec.recordings)):
        out[f"{name}_mon_{k}._indices"] = np.asarray(elements, dtype=np.int32)
    return out


@cache
def _sources_hash() -> str:
    digest = hashlib.sha256()
    folder = Path(__file__).parent
    for name in _SOURCES:
        digest.update((folder / name).read_bytes())
    for path in sorted((folder / "templates").rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def signature(circuit: CircuitSpec, dt_ms: float, rec_dt_ms: float, solver: str,
              values: dict[str, np.ndarray] | None = None) -> str:
    """Hash of everything that decides a run's generated program: what Brian2 is given
    besides the claimed values, and the name, shape and type of each claim (``values``: the
    circuit's :func:`claims`, computed when not given).

    Example
    -------
    See the module's example.
    """
    import brian2
    from brian2 import ms, prefs

    dt = dt_ms * ms
    parts = [circuit.key(), repr(dt_ms), repr(rec_dt_ms), solver, brian2.__version__,
             repr(prefs.devices.cpp_standalone.openmp_threads),
             repr(prefs.codegen.cpp.extra_compile_args_gcc), repr(prefs.codegen.cpp.extra_link_args),
             repr(circuit.seed is None), _sources_hash()]
    connections = circuit.connection_plan(dt)
    gaps = circuit.gap_plan()
    for name, spec in circuit.cells.items():
        args = spec.neuron_arguments(dt)
        del args["Cm"], args["Ri"]  # claimed
        args["dt"] = dt_ms
        parts += [name, repr(sorted(args.items())), repr(morphology_key(spec.cell.morphology)),
                  repr(spec.neuron_statements()), repr(spec.gating_plan()),
                  repr(spec.cell.spike_overshoot is not None)]
        for rec, _ in spec.receptor_synapses():
            parts += [rec.name, rec.synapse_model(), rec.on_pre(), rec.method,
                      repr(extra_equations(spec.recordings, f"synapses:{rec.name}"))]
        targets = ({"neuron"} | {f"synapses:{rec.name}" for rec in spec.receptors}
                   | {f"connection:{c['name']}" for c in connections}
                   | {f"gap:{g['name']}" for g in gaps})
        parts += [repr((t, updates(spec.recordings, t))) for t in sorted(targets)]
        parts += [repr(monitor_groups(spec.recordings))]
        if circuit.trial_period_ms is not None:  # the reset statements hold these as literals
            parts.append(repr((circuit.trial_period_ms, float(np.asarray(spec.cell.v_rest)),
                               [(k, float(x) if np.ndim(x) == 0 else "per compartment")
                                for k, x in spec.initial_gates.items()])))
    for c in connections:
        rec = c["receptor"]
        parts += [c["name"], c["pre"], c["post"], rec.synapse_model(), rec.on_pre(), rec.method,
                  c["event"], repr(c["extra"])]
    parts += [repr((g["name"], g["pre"], g["post"], g["model"])) for g in gaps]
    values = claims(circuit, dt_ms) if values is None else values
    parts += [f"{k}:{v.shape}:{v.dtype.kind}" for k, v in values.items()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


@dataclass
class Recipe:
    """Where a structure's values go: see the module docstring.

    ``inputs`` are the input files of the generated run (name -> array), ``writes`` Brian2's
    assignments to claimed variables in order (dicts: ``claim``, ``kind`` (``array``:
    a whole input array, ``indexed``: an input array of values at the indices of another,
    ``slot``: an element of :data:`VALUES_ARRAY`, ``constant`` a slot filling the whole variable,
    ``single`` a slot at one ``index``), ``target`` the input array or slot), ``run_slots``
    and ``seed_slots`` the slots of the duration (second) and seed, ``code`` the program's code
    hash and ``files`` the result files of each monitor variable (``MONITOR.VARIABLE`` ->
    file name, dimension exponents).
    """

    inputs: dict[str, np.ndarray]
    writes: list[dict]
    run_slots: list[int]
    seed_slots: list[int]
    code: str
    files: dict[str, tuple[str, tuple]]


def _array_names(claim: str) -> tuple[str, str]:
    owner, var = claim.split(".", 1)
    return f"_array_{owner}_{var}", f"_dynamic_array_{owner}_{var}"


def make_recipe(device, slots: list[tuple], values: dict[str, np.ndarray], run: Path,
                code: str, monitors) -> Recipe | str:
    """The recipe of the run generated on the standalone ``device`` into ``run`` (after
    :func:`~cablemodel.simulation.build_cache.hoist_values`, whose slot list is ``slots``, and
    the build), with claims ``values`` and compiled ``code``; or why there is none.

    ``monitors`` are the engine's monitors of each cell: ``(vmon, smon, apmon, mons)``.
    The recipe is checked: replaying ``values`` must give the run's own input files.
    """
    folder = run / "static_arrays"
    inputs = {}
    for name, arr in device.static_arrays.items():
        inputs[name] = np.fromfile(folder / name, dtype=arr.dtype)
    by_array = {}
    for claim in values:
        for array in _array_names(claim):
            by_array[array] = claim
    writes = []
    slot_of: dict[int, list[tuple]] = {}
    for k, (position, kind, array, index) in enumerate(slots):
        slot_of.setdefault(position, []).append((k, kind, array, index))
    for position, (func, args) in enumerate(device.main_queue):
        if position in slot_of:
            for k, kind, array, index in slot_of[position]:
                if array not in by_array:
                    continue
                if kind == "single" and index is None:
                    return f"{array} is written at an index that is not a number"
                writes.append({"claim": by_array[array], "kind": kind, "target": k,
                               "index": index})
            continue
        if func == "set_by_array" and args[0] in by_array:
            writes.append({"claim": by_array[args[0]], "kind": "array", "target": args[1]})
        elif func == "set_array_by_array" and args[0] in by_array:
            writes.append({"claim": by_array[args[0]], "kind": "indexed", "target": args[2],
                           "index": args[1]})
        elif func in ("set_by_single_value", "set_by_constant") and args[0] in by_array:
            return f"{args[0]} is written as a literal that is not a plain number"
    for claim in values:  # the values of TimedArray functions: written with the code
        owner, var = claim.split(".", 1)
        if var == "values" and f"{owner}_values" in inputs:
            writes.append({"claim": claim, "kind": "array", "target": f"{owner}_values"})
    missing = sorted(set(values) - {w["claim"] for w in writes})
    if missing:
        return f"Brian2 did not assign {', '.join(missing[:3])}"
    files = {}
    named = []
    for vmon, smon, apmon, mons in monitors.values():
        named += [(vmon, ["t", "v"]), (smon, ["t", "v", "Ic"])]
        named += [(apmon, ["t", "lastspike"])] if apmon is not None else []
        named += [(mon, ["t", *variables]) for mon, _, _, variables in mons]
    for mon, variables in named:
        for var in variables:
            files[f"{mon.name}.{var}"] = (device.get_array_filename(mon.variables[var]),
                                          tuple(float(x) for x in mon.variables[var].dim._dims))
    recipe = Recipe(inputs, writes, [k for k, (_, kind, _, _) in enumerate(slots) if kind == "run"],
                    [k for k, (_, kind, _, _) in enumerate(slots) if kind == "seed"], code, files)
    duration = float(inputs[VALUES_ARRAY][recipe.run_slots[0]]) if recipe.run_slots else None
    seed = int(inputs[VALUES_ARRAY][recipe.seed_slots[0]]) if recipe.seed_slots else None
    replayed = replay_inputs(recipe, values, duration, seed)
    if replayed is None or replayed.keys() != inputs.keys() or any(
            replayed[k].dtype != inputs[k].dtype or replayed[k].tobytes() != inputs[k].tobytes()
            for k in inputs):
        return "replaying the run's own values did not give its input files"
    return recipe


def replay_inputs(recipe: Recipe, values: dict[str, np.ndarray], duration: float | None,
                  seed: int | None) -> dict[str, np.ndarray] | None:
    """The input files of a run of the recipe's structure with claims ``values``, duration
    (second) and seed; ``None`` if Brian2's assignments would not leave those values (the run
    must then be generated).
    """
    inputs = {name: arr.copy() for name, arr in recipe.inputs.items()}
    slots = inputs.get(VALUES_ARRAY)
    by_claim: dict[str, list[dict]] = {}
    for write in recipe.writes:
        by_claim.setdefault(write["claim"], []).append(write)
    for claim, writes in by_claim.items():
        final = values[claim].ravel()
        whole = [k for k, w in enumerate(writes)
                 if w["kind"] == "constant" or (w["kind"] == "array"
                                                 and inputs[w["target"]].size == final.size)]
        start = whole[-1] if whole else 0
        state = np.zeros(final.size, dtype=final.dtype)  # Brian2 starts from zeros
        for w in writes[start:]:
            target = w["target"]
            if w["kind"] == "array":
                if inputs[target].size != final.size:
                    return None
                inputs[target] = final.astype(inputs[target].dtype)
                state = final.copy()
            elif w["kind"] == "indexed":
                index = inputs[w["index"]]
                if index.size and index.max() >= final.size:
                    return None
                inputs[target] = final[index].astype(inputs[target].dtype)
                state[index] = final[index]
            elif w["kind"] == "constant":
                slots[target] = final[0] if final.size else 0.0
                state[:] = final[0] if final.size else 0
            else:  # a single element
                if w["index"] >= final.size:
                    return None
                slots[target] = final[w["index"]]
                state[w["index"]] = final[w["index"]]
        if not np.array_equal(state, final):
            return None
    for k in recipe.run_slots:
        if duration is None:
            return None
        slots[k] = duration
    for k in recipe.seed_slots:
        if seed is None:
            return None
        slots[k] = float(seed)
    return inputs


def _recipe_path(folder: Path, sig: str) -> Path:
    return folder / "recipes" / f"{sig}.npz"


def save_recipe(folder: Path, sig: str, recipe: Recipe) -> None:
    """Store ``recipe`` under signature ``sig`` in the build cache ``folder`` (atomically)."""
    target = _recipe_path(folder, sig)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    meta = {"writes": recipe.writes, "run_slots": recipe.run_slots,
            "seed_slots": recipe.seed_slots, "code": recipe.code, "files": recipe.files}
    fd, tmp = tempfile.mkstemp(prefix=".recipe-", suffix=".npz", dir=target.parent)
    with os.fdopen(fd, "wb") as f:
        np.savez(f, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                 **{f"in:{k}": v for k, v in recipe.inputs.items()})
    os.replace(tmp, target)
    kept = sorted(target.parent.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP_RECIPES:]:
        old.unlink(missing_ok=True)


_LOADED: dict[tuple, Recipe] = {}  # recipes read in this process, by (path, inode, size)
_KEEP_LOADED = 8


def load_recipe(folder: Path, sig: str) -> Recipe | None:
    """The recipe stored under ``sig`` in the build cache ``folder``, or ``None``. A recipe
    file read before in this process is not read again (a recipe is replaced atomically, as a
    new file: a new inode); its input arrays are read-only (:func:`replay_inputs` copies)."""
    path = _recipe_path(folder, sig)
    try:
        st = os.stat(path)
        os.utime(path)  # most recently used: kept by save_recipe
    except OSError:
        return None
    key = (str(path), st.st_ino, st.st_size)
    if key in _LOADED:
        return _LOADED[key]
    try:
        with np.load(path) as data:
            meta = json.loads(data["__meta__"].tobytes())
            inputs = {k[3:]: data[k] for k in data.files if k.startswith("in:")}
    except (OSError, ValueError, KeyError):
        return None
    for arr in inputs.values():
        arr.flags.writeable = False
    recipe = Recipe(inputs, meta["writes"], meta["run_slots"], meta["seed_slots"], meta["code"],
                    {k: (v[0], tuple(v[1])) for k, v in meta["files"].items()})
    while len(_LOADED) >= _KEEP_LOADED:
        _LOADED.pop(next(iter(_LOADED)))
    _LOADED[key] = recipe
    return recipe


def write_inputs(run: Path, inputs: dict[str, np.ndarray]) -> None:
    """Write the input files of a run into ``run/static_arrays``."""
    folder = run / "static_arrays"
    folder.mkdir(mode=0o700, exist_ok=True)
    for name, arr in inputs.items():
        arr.tofile(folder / name)


class StoredMonitor:
    """A monitor of a replayed run: its recorded ``record`` elements and its variables as
    quantities read from the run's result files (what the engine's ``_collect`` reads)."""

    def __init__(self, recipe: Recipe, name: str, record, results: Path):
        self.name, self.record = name, list(record)
        self._files, self._results = recipe.files, results

    def path(self, var: str) -> Path:
        """The result file of variable ``var``."""
        return self._results / self._files[f"{self.name}.{var}"][0]

    def __getattr__(self, var: str):
        from brian2 import Quantity
        from brian2.units.fundamentalunits import get_or_create_dimension

        try:
            filename, dims = self._files[f"{self.name}.{var}"]
        except KeyError:
            raise AttributeError(f"monitor {self.name!r} recorded no {var!r}") from None
        return Quantity(np.fromfile(self._results / filename), dim=get_or_create_dimension(dims))


def stored_monitors(recipe: Recipe, spec, results: Path, name: str) -> tuple:
    """The engine's ``(vmon, smon, apmon, mons)`` of cell ``name`` (its :class:`CellSpec
    <cablemodel.simulation.assembly.CellSpec>` ``spec``) read from ``results``."""
    vmon = StoredMonitor(recipe, f"{name}_vmon", spec.record.values(), results)
    smon = StoredMonitor(recipe, f"{name}_spikes", (), results)
    apmon = (StoredMonitor(recipe, f"{name}_aps", (), results)
             if spec.cell.spike_overshoot is not None else None)
    mons = [(StoredMonitor(recipe, f"{name}_mon_{k}", elements, results), target, elements,
             variables)
            for k, (target, elements, variables) in enumerate(monitor_groups(spec.recordings))]
    return vmon, smon, apmon, mons
