"""Simulation: turn a cell, synapses and clamps into a Brian2 network, run it, return a Result.

Speed by design
---------------
* Gating variables are *parameters* of the SpatialNeuron, advanced by an exponential-Euler
  ``run_regularly`` only on the compartments that carry a channel (one per contiguous block,
  scheduled ``before_groups``, i.e. with v(t), exactly as Brian2's own state updater would).
  The same code sums the channels into ``g_ch`` and ``i_ch`` (``sum_c g_c P_c (E_c - v) =
  i_ch - g_ch*v``), so ``Im`` costs the same in every compartment and passive compartments cost
  only the cable solve. ``integrate_gates_everywhere=True`` builds the
  reference formulation (gates as ODEs in every compartment) for comparison.
* Brian2 object names are fixed, so the generated code is identical from run to run and the
  Cython cache (``~/.cython/brian_extensions``) or the standalone build directory is reused.

Engines: ``"numpy"`` (no compilation; fine for small cells and short runs), ``"cython"``
(compiled once per model structure, then cached), ``"cpp_standalone"`` (whole run compiled to
C++; ~10 s build, fastest for long runs). ``"auto"`` picks by the amount of work.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from brian2 import Quantity, meter, ms, mV, second, siemens
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from .cell import Cell
from .locations import Location, parse_site
from .mechanisms.synapses import CurrentClamp, Synapse
from .results import Result

__all__ = ["simulate", "SimulationError", "ENGINES"]

ENGINES = ("auto", "numpy", "cython", "cpp_standalone")
#: Largest time step accepted when voltage-gated channels are present (HH kinetics need it).
MAX_ACTIVE_DT = 0.1 * ms
MAX_PASSIVE_DT = 1.0 * ms


class SimulationError(RuntimeError):
    """A run failed or produced non-finite values; the message names compartment and time."""


def _check_time(value, name: str) -> float:
    fail_for_dimension_mismatch(value, second, f"{name} must be a time (e.g. 50*ms), got {value!r}")
    v = float(Quantity(value) / ms)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be > 0 ms, got {value}")
    return v


def _label(loc: Location, table) -> str:
    if loc.kind == "distance" and loc.distance_um == 0.0 and loc.region in table.regions:
        return loc.region
    return str(loc)


def simulate(
    cell: Cell,
    synapses: Sequence[Synapse] = (),
    duration=50 * ms,
    dt=25 * 1e-3 * ms,
    clamps: Sequence[CurrentClamp] = (),
    record: Iterable[Location | str] | None = None,
    record_dt=None,
    engine: str = "auto",
    integrate_gates_everywhere: bool = False,
    seed: int | None = None,
) -> Result:
    """Run ``cell`` with ``synapses`` and ``clamps`` for ``duration``; return a :class:`Result`.

    Parameters
    ----------
    cell : Cell
    synapses : sequence of Synapse
        Each keeps its own conductance state, even when several share a compartment.
    duration, dt : Quantity
        Simulated time and integration step (second). ``dt`` must be <= 0.1 ms when channels are
        present (<= 1 ms for a passive cell).
    clamps : sequence of CurrentClamp
    record : iterable of locations or site strings, optional
        Extra sites to record. The soma, the spike site and every synapse site are always
        recorded; ``record="all"`` records every compartment, one row per compartment in
        compartment order (named sites keep their label, the others are ``#INDEX``).
    record_dt : Quantity, optional
        Sampling interval (default: ``dt``).
    engine : str
        ``"auto"``, ``"numpy"``, ``"cython"`` or ``"cpp_standalone"``.
    integrate_gates_everywhere : bool
        Reference formulation (gates integrated in every compartment), for checks and benchmarks.
    seed : int, optional
        Seed of Brian2's random numbers (stochastic mechanisms, e.g. quantal release).

    Raises
    ------
    SimulationError
        If the potential becomes NaN/inf; the message names the compartment and the time.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import ball_and_stick, standard_cell, Synapse, AMPA, spike_times
    >>> cell = standard_cell(ball_and_stick())
    >>> r = simulate(cell, [Synapse(AMPA, "basal@100", 1*nS, spike_times([2]*ms))],
    ...              duration=20*ms, engine="numpy")
    >>> r.peak("hillock") > 0*mV
    True
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    T = _check_time(duration, "duration")
    dt_ms = _check_time(dt, "dt")
    active = cell.active_compartments
    limit = MAX_ACTIVE_DT if active.size else MAX_PASSIVE_DT
    if dt_ms > float(limit / ms) + 1e-12:
        raise ValueError(
            f"dt = {dt_ms:g} ms is too large for this cell: the run would be inaccurate or"
            f" unstable ({'voltage-gated channels present' if active.size else 'passive cell'});"
            f" use dt <= {float(limit / ms):g} ms (25 us is the default)")
    rec_dt_ms = dt_ms if record_dt is None else _check_time(record_dt, "record_dt")
    if rec_dt_ms < dt_ms - 1e-12:
        raise ValueError(f"record_dt ({rec_dt_ms:g} ms) must be >= dt ({dt_ms:g} ms)")

    table = cell.table
    synapses = list(synapses)
    clamps = list(clamps)
    syn_idx = [s.site.resolve(table) for s in synapses]
    clamp_idx = [c.site.resolve(table) for c in clamps]
    if len(set(clamp_idx)) != len(clamp_idx):
        raise ValueError("two current clamps share a compartment; merge them into one")
    for k, s in enumerate(synapses):
        gaps = np.diff(np.asarray(s.spikes / ms))
        if gaps.size and gaps.min() < dt_ms:
            raise ValueError(f"synapse {k} at {s.site}: two spikes closer than dt ({dt_ms:g} ms)")

    # recorded sites: soma, spike site, synapse sites, extras (labels unique)
    sites: dict[str, int] = {"soma": 0, cell.spike_site: cell.spike_compartment}
    for s, i in zip(synapses, syn_idx, strict=True):
        sites.setdefault(_label(s.site, table), i)
    if record == "all":  # one row per compartment, in compartment order
        names = {i: label for label, i in reversed(sites.items())}
        sites = {names.get(i, f"#{i}"): i for i in range(len(table))}
    else:
        for r in record or ():
            loc = parse_site(r)
            sites.setdefault(_label(loc, table), loc.resolve(table))

    for ch in cell.channels:  # a channel without a resting state is refused before building
        ch.initial_values(cell.v_rest, cell.celsius)
    if engine == "auto":
        engine = _auto_engine(len(table), T / dt_ms)
    spec = _ModelSpec(cell, synapses, syn_idx, clamps, clamp_idx, integrate_gates_everywhere,
                      seed)
    runner = _run_standalone if engine == "cpp_standalone" else _run_runtime
    t_ms, v_mV, spikes_ms, info = runner(spec, engine, T, dt_ms, rec_dt_ms,
                                         np.array(list(sites.values()), dtype=int))
    info.update(engine=engine, dt_ms=dt_ms, duration_ms=T, compartments=len(table),
                gated_compartments=int(len(table) if integrate_gates_everywhere else active.size))
    bad = ~np.isfinite(v_mV)
    if bad.any():
        row, col = np.argwhere(bad)[np.argmin(np.argwhere(bad)[:, 1])]
        comp = list(sites.values())[row]
        raise SimulationError(_nonfinite_message(table, comp, t_ms[col], dt_ms,
                                                 f"membrane potential became {v_mV[row, col]}"))
    return Result(list(sites), np.array(list(sites.values())), t_ms, v_mV, spikes_ms,
                  float(cell.v_rest / mV), table, info)


def _nonfinite_message(table, comp: int, t_ms: float, dt_ms: float, what: str) -> str:
    return (f"{what} at compartment {comp} ({table.section[comp]}, {table.distance[comp]:.1f} um"
            f" from the soma) at t = {t_ms:.3f} ms; reduce dt (now {dt_ms:g} ms) or check the"
            " cell's parameters (channel rates, conductances, diameters)")


def _auto_engine(n_compartments: int, n_steps: float) -> str:
    """numpy for small jobs; compiled code when the run is long enough to pay for compilation."""
    work = n_compartments * n_steps
    if n_steps < 4000 and work < 2e6:
        return "numpy"
    return "cpp_standalone"


class _ModelSpec:
    """Everything needed to build the Brian2 objects, independent of the device."""

    def __init__(self, cell: Cell, synapses, syn_idx, clamps, clamp_idx, everywhere: bool,
                 seed: int | None = None):
        self.cell, self.synapses, self.syn_idx = cell, synapses, syn_idx
        self.clamps, self.clamp_idx, self.everywhere = clamps, clamp_idx, everywhere
        self.seed = seed
        self.channels = cell.channels
        by_name: dict = {}
        for s in synapses:
            other = by_name.setdefault(s.receptor.name, s.receptor)
            if other is not s.receptor and repr(other) != repr(s.receptor):
                raise ValueError(f"two different receptors are named {s.receptor.name!r};"
                                 " give each receptor type its own name")
        self.receptors = list(by_name.values())

    def equations(self) -> str:
        if self.everywhere or not self.channels:  # the textbook form, every term everywhere
            currents = ["g_L*(E_L - v)"] + [ch.current() for ch in self.channels]
            lines = [f"Im = {' + '.join(currents)} : amp/meter**2"]
        else:  # sum_c g_c P_c (E_c - v) = i_ch - g_ch*v, both set where channels are
            lines = ["Im = g_L*(E_L - v) + i_ch - g_ch*v : amp/meter**2",
                     "g_ch : siemens/meter**2", "i_ch : amp/meter**2"]
        lines += ["g_L : siemens/meter**2", "E_L : volt"]
        lines += [ch.equations(self.everywhere) for ch in self.channels]
        for rec in self.receptors:
            lines.append(rec.neuron_equations())
        if self.clamps:
            lines += ["I_inj = I_amp*int(t >= I_start)*int(t < I_stop) : amp (point current)",
                      "I_amp : amp", "I_start : second", "I_stop : second"]
        return "\n".join(lines)

    def gate_blocks(self) -> list[tuple[int, int]]:
        """Contiguous [start, stop) blocks of compartments whose gates must be advanced."""
        idx = self.cell.active_compartments
        if self.everywhere or idx.size == 0:
            return []
        breaks = np.flatnonzero(np.diff(idx) > 1)
        starts = np.concatenate([[idx[0]], idx[breaks + 1]])
        stops = np.concatenate([idx[breaks] + 1, [idx[-1] + 1]])
        return list(zip(starts.tolist(), stops.tolist(), strict=True))

    def key(self) -> str:
        """Hash of the model's structure (for a reusable standalone build directory)."""
        parts = [self.equations(), str(self.gate_blocks()), str(len(self.cell.table)),
                 str(len(self.synapses))]
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]

    def build(self, dt_ms: float, rec_dt_ms: float, record_idx: np.ndarray):
        """Create the Brian2 objects on the current device; returns (objects, monitors)."""
        from brian2 import (
            Network,
            SpatialNeuron,
            SpikeGeneratorGroup,
            SpikeMonitor,
            StateMonitor,
            Synapses,
        )

        cell, dt = self.cell, dt_ms * ms
        thr = float(cell.spike_threshold / mV)
        neuron = SpatialNeuron(
            morphology=cell.morphology.to_brian2(), model=self.equations(), Cm=cell.Cm,
            Ri=cell.Ri, method="exponential_euler", threshold=f"v > {thr}*mV",
            threshold_location=cell.spike_compartment, refractory=f"v > {thr}*mV",
            dt=dt, name="cell")
        v_rest = cell.v_rest
        neuron.v = v_rest
        neuron.g_L = cell.g_leak
        neuron.E_L = cell.leak_reversal()
        dens = cell.densities()
        for ch in self.channels:
            setattr(neuron, f"g_{ch.name}", dens[ch.name] * siemens / meter**2)
            setattr(neuron, f"E_{ch.name}", ch.reversal)
            setattr(neuron, f"phi_{ch.name}", ch.phi(cell.celsius))
            for state, val in ch.initial_values(v_rest, cell.celsius).items():
                setattr(neuron, state, val)
        objects = [neuron]
        update = "\n".join([ch.gate_update() for ch in self.channels] + [
            f"g_ch = {' + '.join(ch.conductance() for ch in self.channels)}",
            f"i_ch = {' + '.join(f'{ch.conductance()}*E_{ch.name}' for ch in self.channels)}"])
        for k, (a, b) in enumerate(self.gate_blocks()):
            objects.append(neuron[a:b].run_regularly(update, when="before_groups",
                                                     name=f"cell_gates_{k}"))
        if self.synapses:
            idx = np.concatenate([np.full(len(s.spikes), k) for k, s in enumerate(self.synapses)])
            times = np.concatenate([np.asarray(s.spikes / ms) for s in self.synapses])
            source = SpikeGeneratorGroup(len(self.synapses), idx.astype(int), times * ms, dt=dt,
                                         name="presynaptic")
            objects.append(source)
            for rec in self.receptors:
                mine = [k for k, s in enumerate(self.synapses) if s.receptor.name == rec.name]
                for name, value in rec.neuron_values().items():
                    setattr(neuron, name, value)
                objects.append(self._synapses(Synapses, source, neuron, rec, mine, dt))
        if self.clamps:
            for c, i in zip(self.clamps, self.clamp_idx, strict=True):
                neuron.I_amp[i] = c.amplitude
                neuron.I_start[i] = c.start
                neuron.I_stop[i] = c.stop
        if self.seed is not None:
            from brian2 import seed as brian_seed

            brian_seed(self.seed)
        vmon = StateMonitor(neuron, "v", record=record_idx, dt=rec_dt_ms * ms, name="vmon")
        smon = SpikeMonitor(neuron, name="spikes")
        objects += [vmon, smon]
        return Network(*objects), vmon, smon

    def _synapses(self, Synapses, source, neuron, rec, mine: list[int], dt):
        syn = Synapses(source, neuron, model=rec.synapse_model(), on_pre=rec.on_pre(),
                       method=rec.method, dt=dt, name=f"syn_{rec.name}")
        syn.connect(i=np.array(mine, dtype=int),
                    j=np.array([self.syn_idx[k] for k in mine], dtype=int))
        syn.w = np.array([float(self.synapses[k].weight / siemens) for k in mine]) * siemens
        for name, value in rec.synapse_values().items():
            setattr(syn, name, value)
        for name, default in rec.synapse_defaults().items():
            values = [self.synapses[k].params.get(name, default) for k in mine]
            setattr(syn, name, values if not isinstance(default, Quantity)
                    else Quantity(values, dim=default.dim))
        return syn


def _run_runtime(spec: _ModelSpec, engine: str, T: float, dt_ms: float, rec_dt_ms: float,
                 record_idx: np.ndarray):
    from brian2 import get_device, prefs, set_device

    if get_device().__class__.__name__ != "RuntimeDevice":
        set_device("runtime")
    old = prefs.codegen.target
    prefs.codegen.target = engine
    gc.collect()  # drop objects of an earlier run so that the fixed names are free
    try:
        t0 = time.perf_counter()
        net, vmon, smon = spec.build(dt_ms, rec_dt_ms, record_idx)
        t1 = time.perf_counter()
        try:
            net.run(T * ms)
        except Exception as err:  # numpy's banded solver refuses NaN: say where it came from
            comp = _first_nonfinite(net["cell"])
            if comp is None:
                raise
            raise SimulationError(_nonfinite_message(
                spec.cell.table, comp, float(net.t / ms), dt_ms,
                "membrane potential or a channel state became nan")) from err
        t2 = time.perf_counter()
        out = (np.asarray(vmon.t / ms), np.asarray(vmon.v / mV), np.asarray(smon.t / ms))
    finally:
        prefs.codegen.target = old
    del net, vmon, smon
    gc.collect()
    return (*out, {"build_seconds": t1 - t0, "run_seconds": t2 - t1})


def _first_nonfinite(neuron) -> int | None:
    """First compartment with a non-finite potential or channel state (runtime devices)."""
    names = ["v"] + [n for n, var in neuron.variables.items()
                     if getattr(var, "size", 0) == neuron.N and not n.startswith("_")
                     and var.dtype == np.float64 and not getattr(var, "read_only", False)]
    for name in names:
        values = np.asarray(neuron.variables[name].get_value())
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            return int(bad[0])
    return None


def standalone_directory(key: str) -> Path:
    """Build directory reused for the same model structure (so rebuilds are incremental)."""
    root = Path(os.environ.get("CABLEMODEL_CACHE", Path.home() / ".cache" / "cablemodel"))
    return root / "standalone" / key


def _run_standalone(spec: _ModelSpec, engine: str, T: float, dt_ms: float, rec_dt_ms: float,
                    record_idx: np.ndarray):
    from brian2 import device, prefs, set_device

    directory = standalone_directory(spec.key())
    gc.collect()
    set_device("cpp_standalone", directory=str(directory), build_on_run=False)
    prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
    try:
        t0 = time.perf_counter()
        net, vmon, smon = spec.build(dt_ms, rec_dt_ms, record_idx)
        net.run(T * ms)
        device.build(directory=str(directory), compile=True, run=True, with_output=False)
        t1 = time.perf_counter()
        out = (np.asarray(vmon.t / ms), np.asarray(vmon.v / mV), np.asarray(smon.t / ms))
        run_s = float(device._last_run_time)
    except Exception as err:  # compilation problems are reported with the directory
        raise SimulationError(f"cpp_standalone build/run failed in {directory}: {err}") from err
    finally:
        device.reinit()
        device.activate()
        set_device("runtime")
    del net, vmon, smon
    gc.collect()
    return (*out, {"build_seconds": t1 - t0 - run_s, "run_seconds": run_s,
                   "directory": str(directory)})
