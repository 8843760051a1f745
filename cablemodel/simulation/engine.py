"""Simulation: turn a cell, synapses and clamps into a Brian2 network, run it, return a Result.

Speed by design
---------------
* Gating variables and concentrations are *parameters* of the SpatialNeuron, each mechanism's
  advanced by an exponential-Euler ``run_regularly`` only on the compartments where that
  mechanism is painted (one per contiguous block, scheduled ``before_groups``, i.e. with v(t),
  exactly as Brian2's own state updater would; ``cai`` first, then the gates, which read the new
  ``cai``). Then, on the blocks carrying channels, the channels are summed into ``g_ch`` and
  ``i_ch`` (``sum_c g_c P_c (E_c - v) = i_ch - g_ch*v``; a GHK current enters linearized at
  v(t), as Brian2 linearizes ``Im``), so ``Im`` costs the same in every compartment and passive
  compartments cost only the cable solve. ``integrate_gates_everywhere=True`` builds the
  reference formulation (gates as ODEs in every compartment, ``cai`` and the GHK linearizations
  updated in every compartment) for comparison: the traces agree to round-off.
* Brian2 object names are fixed, so the generated code is identical from run to run and the
  Cython cache (``~/.cython/brian_extensions``) or the standalone build directory is reused.

Timing of events (NEURON's fixed-step rule)
-------------------------------------------
Step ``k`` takes the cell from ``t_k = k*dt`` to ``t_{k+1}``. Within it, in Brian2's schedule
(start, groups, thresholds, synapses, resets, end, each slot with its ``before_``/``after_``):

* ``start``: the monitors sample ``v(t_k)``.
* ``before_groups``: the concentrations and gates are advanced with ``v(t_k)``; the external spike generator
  emits the spikes of step ``k`` and their ``on_pre`` statements run (``when="before_groups"``
  for the generator, order 0, and for each receptor's ``Synapses.pre``, order 1). An external
  spike at ``t`` thus acts on the membrane in the step that starts at ``t``, as NEURON delivers
  a ``NetCon`` event at the start of a step. A time between steps goes to the nearest step
  (NEURON delivers an event in the step that starts within ``dt/2`` of it).
* ``groups``: the synaptic conductances are summed from the synapses' states at ``t_k`` (the
  events just delivered included), those states are advanced, and the cable equation gives
  ``v(t_{k+1})``.
* ``thresholds``: a spike is detected when ``v(t_{k+1})`` at the spike site exceeds the
  threshold (once per crossing: the cell stays refractory while ``v`` is above it). NEURON
  detects it at ``t_{k+1}`` (what ``NetCon.record`` reports); :attr:`Result.spikes
  <cablemodel.Result.spikes>` is the crossing interpolated linearly between ``v(t_k)`` and
  ``v(t_{k+1})``, a time in ``(t_k, t_{k+1}]``.
* ``synapses``: the ``on_pre`` of :class:`~cablemodel.Connection` synapses (Brian2's default
  slot). A spike detected in step ``k`` with delay ``d`` is delivered at the end of step
  ``k + d/dt`` (``d/dt`` rounded to the nearest integer), so it acts from the step that starts
  at ``t_{k+1} + d``: NEURON's detection time plus the delay, as a ``NetCon`` delivers it. With
  ``d = 0`` (only with ``spike_overshoot=None``, see below) it acts from ``t_{k+1}``.

Action potentials
-----------------
A spike (:attr:`Result.spikes <cablemodel.Result.spikes>`, and an event of a
:class:`~cablemodel.Connection`) is an action potential at the cell's spike site: a
regenerative, overshooting event, told apart from a failed spike or a passive depolarisation
that only crosses the threshold. In the discrete time of the run, with ``v_j = v(t_j)`` there:

1. *Threshold crossing*: step ``c`` ends above ``spike_threshold`` (default -20 mV, the level of
   NEURON's ``APCount``, eFEL's and Arbor's detectors) with the cell not already above it since
   the previous crossing (``v`` fell back to the threshold or below at the start of a step).
2. *Overshoot*: ``v_j >= spike_overshoot`` (default 0 mV: an action potential overshoots
   0 mV, a failure does not) for some ``j`` in ``c+1, ..., c+n`` (``n = spike_window/dt``,
   rounded, at least 1; default window 0.5 ms) with ``v_{c+1}, ..., v_{j-1}`` all above the
   threshold: the overshoot comes before any repolarisation below threshold.
3. *Repolarisation*: a further action potential needs a new crossing, i.e. ``v`` below threshold
   in between: one action potential per excursion above the threshold, however long.

Its time is the threshold crossing, interpolated linearly within step ``c`` (unchanged by the
criterion). For the standard cell (:func:`~cablemodel.standard_cell`, 0-37 degC, 0.3-10 nA at the
soma) the overshoot comes 0.05-0.28 ms after the crossing step starts; a failure at 37 degC
(hillock peak -14.6 mV) never reaches 0 mV. The criterion is a level and a time, not a
mechanism: a depolarisation forced through 0 mV within the window (a large current into the
spike site) counts too, a slower one does not. ``spike_overshoot=None`` on the :class:`Cell`
counts every crossing (no overshoot, no window).

Connections use the same criterion in the run: the presynaptic cell sends an action
potential's event in step ``c + n``, once the criterion is decided, and the
connection's delay is shortened by ``n`` steps, so the event acts from ``t_{c+1} + d`` as
above; a threshold crossing that is not an action potential sends nothing. The delay must
therefore be at least the spike window (else a ``ValueError``); with ``spike_overshoot=None``
the crossing is sent at once and any delay >= 0 works. Two action potentials within one window
(the second decided before the first's event left; not possible for real action potentials)
raise a :class:`SimulationError` in a cell with outgoing connections.

Engines: ``"numpy"`` (no compilation; fine for small cells and short runs), ``"cython"``
(compiled once per model structure, then cached), ``"cpp_standalone"`` (whole run compiled to
C++; ~10 s build, fastest for long runs). ``"auto"`` picks by the amount of work.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms, mV, second
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from ..cell import Cell
from ..mechanisms.electrical import GapJunction
from ..mechanisms.stimuli import Step, VoltageClamp, WaveformClamp
from ..mechanisms.synapses import Connection, CurrentClamp, Synapse, check_seed
from ..places import Location, LocationError, Region
from . import replay
from .assembly import CellSpec, CircuitSpec, connection_couplings, connection_delay_steps, gap_couplings
from .build_cache import BuildCache, BuildError, cache_root, code_hash, hoist_values, run_binary
from .memory import MemoryLimitError, check_memory
from .recording import Coupling, Request, assemble, parse_request, resolve_requests, site_label
from .results import Result, Trace
from .results_io import cell_metadata

__all__ = ["simulate", "simulate_circuit", "SimulationError", "MemoryLimitError", "ENGINES"]

ENGINES = ("auto", "numpy", "cython", "cpp_standalone")
#: Largest time step accepted when voltage-gated channels are present (HH kinetics need it).
MAX_ACTIVE_DT = 0.1 * ms
MAX_PASSIVE_DT = 1.0 * ms


class SimulationError(RuntimeError):
    """A run failed or produced non-finite values; the message names compartment and time.

    Example
    -------
    >>> issubclass(SimulationError, RuntimeError)
    True
    """


def _check_time(value, name: str) -> float:
    fail_for_dimension_mismatch(value, second, f"{name} must be a time (e.g. 50*ms), got {value!r}")
    v = float(Quantity(value) / ms)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be > 0 ms, got {value}")
    return v


def simulate(
    cell: Cell,
    synapses: Sequence[Synapse] = (),
    duration=50 * ms,
    dt=25 * 1e-3 * ms,
    clamps: Sequence[CurrentClamp | WaveformClamp | VoltageClamp] = (),
    record: Iterable[Location | str] | str | None = None,
    record_dt=None,
    engine: str = "auto",
    integrate_gates_everywhere: bool = False,
    seed: int | None = None,
    gap_junctions: Sequence[GapJunction] = (),
    memory_limit: int | float | str | None = None,
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
    clamps : sequence of CurrentClamp, WaveformClamp or VoltageClamp
        Current clamps at one site add up; one voltage clamp per compartment (see
        :mod:`cablemodel.mechanisms.stimuli`).
    record : iterable of requests, or one request, optional
        What to record besides the potential at the soma, the spike site and every synapse,
        clamp and gap junction site (always recorded). A request is a site (``"basal@200"``,
        ``"swc:12"``, ``"#50"``, a Location: ``v`` there), a region (``"apical"``, a Region:
        ``v`` in every compartment of it, rows labelled ``#INDEX`` unless named), ``"all"``
        (``v`` everywhere, one row per compartment in compartment order), or ``"VAR@WHERE"`` /
        ``(VAR, WHERE)`` for any variable: gates (``"m_na@hillock"``), ``Im``, channel currents
        (``"i_na@soma"``), synapses (``"g_syn@all"``, ``"i_syn@basal@100"``), clamp currents
        (``"i_clamp@soma"``, ``"i_vclamp@soma"``), gap junctions (``"i_gap@all"``) and, in
        :func:`simulate_circuit`, the connections onto a cell (``"g_conn@all"``,
        ``"i_conn@basal@50"``); see :mod:`cablemodel.simulation.recording`
        for the list, units and signs. Read them with :meth:`Result.trace <cablemodel.Result.trace>`.
    record_dt : Quantity, optional
        Sampling interval (default: ``dt``).
    engine : str
        ``"auto"``, ``"numpy"``, ``"cython"`` or ``"cpp_standalone"``.
    integrate_gates_everywhere : bool
        Reference formulation (gates integrated in every compartment), for checks and benchmarks.
    seed : int, optional
        Seed of Brian2's random numbers (stochastic mechanisms, e.g. quantal release).
    gap_junctions : sequence of GapJunction
        Electrical synapses between two compartments of this cell.
    memory_limit : int, float or str, optional
        Largest memory the recorded traces may need (bytes, or a text such as ``"8GB"``); by
        default ``$CABLEMODEL_MEMORY_LIMIT``, else 80 % of the memory available at the start.

    Raises
    ------
    SimulationError
        If the potential becomes NaN/inf; the message names the compartment and the time.
    MemoryLimitError
        Before anything is built, if the traces would need more than ``memory_limit`` (see
        :mod:`cablemodel.simulation.memory`); the message suggests a ``record_dt`` that fits.
    KeyboardInterrupt
        If the run is interrupted (Ctrl-C): no partial result is returned.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import ball_and_stick, standard_cell, Synapse, AMPA, spike_times
    >>> cell = standard_cell(ball_and_stick())
    >>> r = simulate(cell, [Synapse(AMPA, "basal@100", 1*nS, spike_times([2]*ms))],
    ...              duration=20*ms, engine="numpy")
    >>> bool(r.peak("hillock") > 0*mV)
    True
    """
    return simulate_circuit({"cell": cell}, {"cell": synapses}, (), gap_junctions, duration=duration,
                            dt=dt, clamps={"cell": clamps}, record={"cell": record},
                            record_dt=record_dt, engine=engine, seed=seed,
                            integrate_gates_everywhere=integrate_gates_everywhere,
                            memory_limit=memory_limit)["cell"]


def simulate_circuit(
    cells: Mapping[str, Cell],
    inputs: Mapping[str, Sequence[Synapse]] | None = None,
    connections: Sequence[Connection] = (),
    gap_junctions: Sequence[GapJunction] = (),
    duration=50 * ms,
    dt=25 * 1e-3 * ms,
    clamps: Mapping[str, Sequence[CurrentClamp | WaveformClamp | VoltageClamp]] | None = None,
    record: Mapping[str, Iterable[Location | str] | str | None] | None = None,
    record_dt=None,
    engine: str = "auto",
    seed: int | None = None,
    integrate_gates_everywhere: bool = False,
    memory_limit: int | float | str | None = None,
) -> dict[str, Result]:
    """Run several cells in one simulation: external ``inputs`` per cell, chemical
    ``connections`` (driven by a presynaptic cell's spikes) and ``gap_junctions``.

    ``cells`` maps names (identifiers) to cells; ``inputs``, ``clamps`` and ``record`` map the
    same names to what :func:`simulate` takes for one cell. Returns one :class:`Result` per cell;
    the sites of clamps, connections and gap junctions are recorded too. ``memory_limit`` bounds
    the memory of all cells' traces together, as in :func:`simulate`.

    Example
    -------
    >>> from brian2 import ms, nS, nA
    >>> from cablemodel import ball_and_stick, standard_cell, Connection, AMPA, CurrentClamp
    >>> cells = {"pre": standard_cell(ball_and_stick()), "post": standard_cell(ball_and_stick())}
    >>> out = simulate_circuit(cells, connections=[Connection("pre", "post", AMPA, "basal@50",
    ...                        5 * nS, 1 * ms)], clamps={"pre": [CurrentClamp("soma", 1 * nA,
    ...                        1 * ms, 3 * ms)]}, duration=15 * ms, engine="numpy")
    >>> len(out["pre"].spikes), bool(out["post"].peak("basal@50") > 1 * mV)
    (1, True)
    """
    t_start = time.perf_counter()
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if seed is not None:
        check_seed(seed)
    T = _check_time(duration, "duration")
    dt_ms = _check_time(dt, "dt")
    rec_dt_ms = dt_ms if record_dt is None else _check_time(record_dt, "record_dt")
    if rec_dt_ms < dt_ms - 1e-12:
        raise ValueError(f"record_dt ({rec_dt_ms:g} ms) must be >= dt ({dt_ms:g} ms)")
    inputs, clamps, record = inputs or {}, clamps or {}, record or {}
    for what, mapping in (("inputs", inputs), ("clamps", clamps), ("record", record)):
        unknown = set(mapping) - set(cells)
        if unknown:
            raise ValueError(f"{what} name unknown cell(s) {sorted(unknown)}; cells are {list(cells)}")
    for c in connections:
        for name in (c.pre, c.post):
            if name not in cells:
                raise ValueError(f"connection {c.pre} -> {c.post}: no cell named {name!r};"
                                 f" cells are {list(cells)}")
        _check_delay(c, cells[c.pre], dt_ms)
    for g in gap_junctions:
        for name in (g.cell_a, g.cell_b):
            if name not in cells:
                raise ValueError(f"gap junction {g.cell_a} ~ {g.cell_b}: no cell named {name!r};"
                                 f" cells are {list(cells)}")
    specs = {}
    for name, cell in cells.items():
        if not name.isidentifier():
            raise ValueError(f"cell names must be identifiers, got {name!r}")
        placed = ([c.site for c in clamps.get(name, ())]
                  + [c.site for c in connections if c.post == name]
                  + [g.a for g in gap_junctions if g.cell_a == name]
                  + [g.b for g in gap_junctions if g.cell_b == name])
        specs[name] = _cell_spec(name, cell, list(inputs.get(name, ())), list(clamps.get(name, ())),
                                 record.get(name), dt_ms, integrate_gates_everywhere, placed,
                                 int(np.ceil(T / dt_ms - 1e-9)) + 1,
                                 connection_couplings(connections, name, cell.table),
                                 gap_couplings(gap_junctions, name, cell.table))
    circuit = CircuitSpec(specs, list(connections), list(gap_junctions), seed)
    if engine == "auto":
        engine = _auto_engine(sum(len(c.table) for c in cells.values()), T / dt_ms)
    n_samples = int(np.ceil(T / rec_dt_ms - 1e-9))
    n_rows = sum(len(spec.record) + sum(len(sel.rows) for sel in spec.recordings.values())
                 for spec in specs.values())
    check_memory(n_rows, n_samples, rec_dt_ms, engine,
                 memory_limit, _existing(cache_root()) if engine == "cpp_standalone" else None)
    runner = _run_standalone if engine == "cpp_standalone" else _run_runtime
    traces, info = runner(circuit, engine, T, dt_ms, rec_dt_ms)
    info.update(engine=engine, dt_ms=dt_ms, record_dt_ms=rec_dt_ms, duration_ms=T)
    results = {}
    for name, spec in specs.items():
        t_ms, v_mV, spikes_ms, recorded = traces[name]
        table = spec.cell.table
        bad = [(int(np.argmin(np.isfinite(v))), row) for row, v in enumerate(v_mV)
               if not np.isfinite(v).all()]  # row by row, without a mask as large as v_mV
        if bad:
            col, row = min(bad)
            comp = list(spec.record.values())[row]
            raise SimulationError(_nonfinite_message(
                table, comp, t_ms[col], dt_ms, f"membrane potential became {v_mV[row, col]}"))
        gated = len(table) if integrate_gates_everywhere else spec.cell.active_compartments.size
        results[name] = Result(list(spec.record), np.array(list(spec.record.values())), t_ms,
                               v_mV, spikes_ms, float(spec.cell.v_rest / mV), table,
                               dict(info, compartments=len(table), gated_compartments=int(gated),
                                    cell=cell_metadata(spec.cell)),
                               recorded)
    _add_python_time(info["timing"], time.perf_counter() - t_start)
    return results


def _add_python_time(timing: dict, total: float) -> None:
    """Complete a run's ``timing`` (seconds of generation, compile and run) with the total and
    the rest of it, ``python``: building the specs, bookkeeping, reading the results.

    Example
    -------
    >>> timing = {"generation": 1.0, "compile": None, "run": 0.5}
    >>> _add_python_time(timing, 2.0)
    >>> timing["python"], timing["total"]
    (0.5, 2.0)
    """
    timing["python"] = total - sum(timing[k] or 0.0 for k in ("generation", "compile", "run"))
    timing["total"] = total


def _check_delay(conn: Connection, pre: Cell, dt_ms: float) -> None:
    """Refuse a connection whose delay is shorter than its presynaptic cell's spike window: its
    event would have to act before the action-potential criterion is decided."""
    if pre.spike_overshoot is None:
        return
    n_w = pre.window_steps(dt_ms * ms)
    if connection_delay_steps(conn, dt_ms * ms) < n_w:
        raise ValueError(
            f"connection {conn.pre} -> {conn.post}: delay {float(conn.delay / ms):g} ms is shorter than the"
            f" spike_window of cell {conn.pre!r} ({n_w * dt_ms:g} ms): an event is sent only for"
            " an action potential, decided spike_window after the threshold crossing; use a delay"
            f" >= {n_w * dt_ms:g} ms, a shorter spike_window, or spike_overshoot=None on"
            f" {conn.pre!r} (every threshold crossing is sent at once, as NEURON's NetCon)")


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (where its files would go)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _cell_spec(name: str, cell: Cell, synapses: list[Synapse], clamps: list, record,
               dt_ms: float, everywhere: bool, placed: list[Location], n_steps: int = 1,
               connection_synapses: Sequence[Coupling] = (), gap_ends: Sequence[Coupling] = ()
               ) -> CellSpec:
    """Validate what is placed on one cell and resolve its sites; ``clamps`` are
    :class:`CurrentClamp`, :class:`WaveformClamp` and :class:`VoltageClamp` objects, the
    waveforms sampled on ``n_steps`` time steps; ``connection_synapses`` and ``gap_ends`` the
    incoming connections and gap-junction ends (recordable)."""
    active = cell.active_compartments
    limit = MAX_ACTIVE_DT if active.size else MAX_PASSIVE_DT
    if dt_ms > float(limit / ms) + 1e-12:
        raise ValueError(
            f"dt = {dt_ms:g} ms is too large for cell {name!r}: the run would be inaccurate or"
            f" unstable ({'voltage-gated channels present' if active.size else 'passive cell'});"
            f" use dt <= {float(limit / ms):g} ms (25 us is the default)")
    table = cell.table
    syn_idx = [s.site.resolve(table) for s in synapses]
    steps, waves, vclamps, clamp_idx, wave_idx, vclamp_idx = [], [], [], [], [], []
    for c in clamps:  # a second CurrentClamp at a compartment is summed as a waveform
        i = c.site.resolve(table)
        if isinstance(c, CurrentClamp) and i not in clamp_idx:
            steps.append(c)
            clamp_idx.append(i)
        elif isinstance(c, (CurrentClamp, WaveformClamp)):
            waves.append(c if isinstance(c, WaveformClamp)
                         else WaveformClamp(c.site, Step(c.amplitude, c.start, c.stop)))
            wave_idx.append(i)
        elif isinstance(c, VoltageClamp):
            if i in vclamp_idx:
                raise ValueError(f"cell {name!r}: two voltage clamps at compartment {i}"
                                 f" ({c.site}); use one clamp per compartment")
            vclamps.append(c)
            vclamp_idx.append(i)
        else:
            raise TypeError(f"cell {name!r}: clamps must be CurrentClamp, WaveformClamp or"
                            f" VoltageClamp objects, got {c!r}")
    for k, s in enumerate(synapses):
        gaps = np.diff(np.asarray(s.spikes / ms))
        if gaps.size and gaps.min() < dt_ms:
            raise ValueError(f"synapse {k} at {s.site}: two spikes closer than dt ({dt_ms:g} ms)")
    # recorded sites: soma, spike site, synapse sites, extras (labels unique)
    sites: dict[str, int] = {"soma": 0, cell.spike_site: cell.spike_compartment}
    for s, i in zip(synapses, syn_idx, strict=True):
        sites.setdefault(site_label(s.site), i)
    for loc in placed:  # sites of connections and gap junctions
        sites.setdefault(site_label(loc), loc.resolve(table))
    requests = _requests(record)
    for req in requests:
        if req.var != "v":
            continue
        if req.is_site:
            sites.setdefault(site_label(req.where), req.where.resolve(table))
            continue
        mask = req.where.mask(table)
        if not mask.any():
            raise LocationError(f"region {req.where} has no compartments on this cell (regions:"
                                f" {table.regions}); to record a variable of that name everywhere"
                                f" write '{req.where}@all'")
        names = {i: label for label, i in reversed(sites.items())}
        for i in np.flatnonzero(mask).tolist():
            sites.setdefault(names.get(i, f"#{i}"), i)
    if len(set(sites.values())) == len(table):  # "all": one row per compartment, in order
        names = {i: label for label, i in reversed(sites.items())}
        sites = {names[i]: i for i in range(len(table))}
    spec = CellSpec(name, cell, synapses, syn_idx, steps, clamp_idx, sites, everywhere,
                    waves=waves, wave_idx=wave_idx, vclamps=vclamps, vclamp_idx=vclamp_idx,
                    n_steps=n_steps, connection_synapses=list(connection_synapses),
                    gap_ends=list(gap_ends))
    spec.recordings = resolve_requests([r for r in requests if r.var != "v"], spec)
    return spec


def _requests(record) -> list[Request]:
    """The requests of a ``record=`` argument (one request or an iterable of them)."""
    if record is None:
        return []
    if isinstance(record, (str, Location, Region)):
        record = [record]
    return [parse_request(item) for item in record]


def _nonfinite_message(table, comp: int, t_ms: float, dt_ms: float, what: str) -> str:
    return (f"{what} at #{comp} ({table.section[comp]}, {table.distance[comp]:.1f} um"
            f" from the soma) at t = {t_ms:.3f} ms; reduce dt (now {dt_ms:g} ms) or check the"
            " cell's parameters (channel rates, conductances, diameters)")


def _auto_engine(n_compartments: int, n_steps: float) -> str:
    """numpy for small jobs; compiled code when the run is long enough to pay for compilation."""
    work = n_compartments * n_steps
    if n_steps < 4000 and work < 2e6:
        return "numpy"
    return "cpp_standalone"


def _collect(monitors, circuit: CircuitSpec, dt_ms: float, traces) -> dict[str, tuple]:
    """Per cell: sample times (ms), potentials (mV), spike times (ms, threshold crossings) and
    the other recorded variables (name -> :class:`Trace`).

    ``traces(monitor, variable, scale)`` gives a state monitor's sample times (ms) and the
    values of one variable divided by ``scale`` (one row per recorded element): the only copy
    of them that the :class:`Result` keeps.
    """
    out = {}
    for name, (vmon, smon, apmon, mons) in monitors.items():
        spec = circuit.cells[name]
        cell = spec.cell
        after = np.asarray(smon.v / mV)  # at the end of the detecting step; Ic = Cm (v - v_before)/dt
        cm_spike = cell.membrane().Cm[cell.spike_compartment]
        before = after - np.asarray(smon.Ic * (dt_ms * ms) / cm_spike / mV)
        crossed = np.asarray(smon.t / ms)
        spikes_ms = _crossing_times(crossed, before, after, float(cell.spike_threshold / mV), dt_ms)
        if apmon is not None:  # the crossings that became action potentials
            ap_crossings = np.rint(np.asarray(apmon.lastspike / ms) / dt_ms).astype(int)
            if spec.outgoing:
                _check_lost_events(name, ap_crossings, np.rint(np.asarray(apmon.t / ms) / dt_ms)
                                   .astype(int), cell.window_steps(dt_ms * ms), dt_ms)
            spikes_ms = spikes_ms[np.isin(np.rint(crossed / dt_ms).astype(int), ap_crossings)]
        t_ms, v_mV = traces(vmon, "v", float(mV))
        data = {(target, var): (elements, traces(mon, var, 1.0)[1])
                for mon, target, elements, variables in mons for var in variables}
        recorded = {var: Trace(var, sel.entry.unit, assemble(sel, data), sel.compartments,
                               list(sel.labels), sel.entry.description)
                    for var, sel in spec.recordings.items()}
        out[name] = (t_ms, v_mV, spikes_ms, recorded)
    return out


def _check_lost_events(name: str, crossing_steps: np.ndarray, ap_steps: np.ndarray, n_w: int,
                       dt_ms: float) -> None:
    """Raise if an action potential was decided before the event of the previous one left
    (its crossing step + ``n_w``): that event was never sent to the connections."""
    lost = np.flatnonzero(ap_steps[1:] < crossing_steps[:-1] + n_w)
    if lost.size:
        k = int(lost[0])
        raise SimulationError(
            f"cell {name!r}: two action potentials (crossings at {crossing_steps[k] * dt_ms:g} and"
            f" {crossing_steps[k + 1] * dt_ms:g} ms) within its spike_window ({n_w * dt_ms:g} ms);"
            " the first one's event to the connections was not sent. Use a shorter spike_window")


def _runtime_traces(mon, variable: str, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A runtime monitor's samples of ``variable`` divided by ``scale``, copied once (elements
    x samples) out of Brian2's buffer, and the sample times (ms)."""
    t_ms = np.asarray(mon.t / ms)
    values = mon.variables[variable].get_value()  # samples x elements, a view of Brian2's buffer
    out = np.empty(values.shape[::-1])
    np.divide(values.T, scale, out=out)
    return t_ms, out


def _crossing_times(t_ms: np.ndarray, before: np.ndarray, after: np.ndarray, threshold: float,
                    dt_ms: float) -> np.ndarray:
    """Times (ms) at which the potential crossed ``threshold`` (mV), linearly interpolated within
    the steps ``[t, t + dt]`` that went from ``before`` (<= threshold) to ``after`` (> threshold).

    Example
    -------
    >>> _crossing_times(np.array([1.0]), np.array([-30.0]), np.array([-10.0]), -20.0, 0.025)
    array([1.0125])
    """
    rise = after - before
    frac = np.divide(threshold - before, rise, out=np.ones_like(rise), where=rise > 0)
    return t_ms + dt_ms * np.clip(frac, 0.0, 1.0)


@contextmanager
def _interruptible():
    """While active, Ctrl-C (SIGINT) raises KeyboardInterrupt in a run: Brian2 would otherwise
    stop the run early and return what was simulated so far as if it were complete."""
    from brian2 import Network, prefs

    old = prefs.core.stop_on_keyboard_interrupt
    prefs.core.stop_on_keyboard_interrupt = False
    try:
        yield
    finally:
        prefs.core.stop_on_keyboard_interrupt = old
        Network._globally_running = False  # Brian2 leaves it set when a run is interrupted


def _run_runtime(circuit: CircuitSpec, engine: str, T: float, dt_ms: float, rec_dt_ms: float):
    from brian2 import get_device, prefs, set_device

    if get_device().__class__.__name__ != "RuntimeDevice":
        set_device("runtime")
    old = prefs.codegen.target
    prefs.codegen.target = engine
    gc.collect()  # drop objects of an earlier run so that the fixed names are free
    net = monitors = interrupted = None
    try:
        t0 = time.perf_counter()
        net, monitors = circuit.build(dt_ms, rec_dt_ms)
        t1 = time.perf_counter()
        extensions = _cython_modules() if engine == "cython" else 0
        try:
            with _interruptible():
                net.run(T * ms)
        except Exception as err:  # numpy's banded solver refuses NaN: say where it came from
            for name, spec in circuit.cells.items():
                comp = _first_nonfinite(net[name])
                if comp is not None:
                    raise SimulationError(_nonfinite_message(
                        spec.cell.table, comp, float(net.t / ms), dt_ms,
                        "membrane potential or a channel state became nan")) from err
            raise
        t2 = time.perf_counter()
        loop = float(get_device()._last_run_time)  # net.run without its code generation
        compiled = engine == "cython" and _cython_modules() > extensions
        traces = _collect(monitors, circuit, dt_ms, _runtime_traces)
    except KeyboardInterrupt:  # re-raised below: this traceback would keep the objects alive
        interrupted = "" if net is None else f" at t = {float(net.t / ms):g} ms of {T:g} ms"
    finally:
        prefs.codegen.target = old
        net = monitors = None
        gc.collect()
    if interrupted is not None:  # raised with the network gone, so that the next run can build
        raise KeyboardInterrupt(f"the simulation was interrupted{interrupted}; no result")
    timing = {"generation": t2 - t0 - loop, "compile": None if engine == "cython" else 0.0,
              "run": loop}
    return traces, {"build_seconds": t1 - t0, "run_seconds": t2 - t1, "timing": timing,
                    "compiled": compiled, "generated": True}


def _cython_modules() -> int:
    """How many compiled modules Brian2's Cython cache holds (a new one: something compiled)."""
    from brian2.codegen.runtime.cython_rt.extension_manager import get_cython_cache_dir

    folder = Path(os.path.expanduser(get_cython_cache_dir() or ""))
    return sum(1 for _ in folder.glob("*.so")) if folder.is_dir() else 0


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


def _run_standalone(circuit: CircuitSpec, engine: str, T: float, dt_ms: float, rec_dt_ms: float,
                    solver: str | None = None):
    """Run the structure's compiled program from a recipe when one is stored (see
    :mod:`cablemodel.simulation.replay`: no Brian2 objects, no code generation); otherwise
    generate the project in a run folder of the structure's build cache, reuse or compile the
    binary (see :mod:`cablemodel.simulation.build_cache`), run it there, read its results and
    store the recipe of the structure."""
    from .hines import solver_choice

    # cable solver: "hines" (cablemodel's template) or "brian2"; default from $CABLEMODEL_SOLVER
    solver = solver_choice(solver)
    key = circuit.key()  # the solver is part of the build cache: never reuse the other's build
    cache = BuildCache(key if solver == "brian2" else f"{key}-{solver}")
    t0 = time.perf_counter()
    reason = "CABLEMODEL_REPLAY=0" if os.environ.get("CABLEMODEL_REPLAY", "1") == "0" else None
    plan = None
    if reason is None:
        values = replay.claims(circuit, dt_ms)
        plan = (replay.signature(circuit, dt_ms, rec_dt_ms, solver, values), values)
    if plan is not None:
        out = _run_replayed(cache, circuit, plan, T, dt_ms, t0)
        if out is not None:
            out[1]["solver"] = solver
            return out
    return _run_generated(cache, circuit, T, dt_ms, rec_dt_ms, solver, plan, reason)


def _run_replayed(cache: BuildCache, circuit: CircuitSpec, plan, T: float, dt_ms: float,
                  t0: float):
    """Run from the stored recipe of ``plan`` = (signature, claims); ``None`` if there is none
    or it does not fit (the run is then generated)."""
    sig, values = plan
    recipe = replay.load_recipe(cache.folder, sig)
    if recipe is None:
        return None
    inputs = replay.replay_inputs(recipe, values, float(T * ms), circuit.seed)
    if inputs is None:
        return None
    with cache.run_folder() as run:
        replay.write_inputs(run, inputs)
        binary = run / "main"
        if not cache.link(recipe.code, binary):
            return None
        t1 = time.perf_counter()
        try:
            run_s = run_binary(binary, run)
            t2 = time.perf_counter()
            monitors = {name: replay.stored_monitors(recipe, spec, run / "results", name)
                        for name, spec in circuit.cells.items()}
            traces = _collect(monitors, circuit, dt_ms,
                              lambda mon, var, scale: _read_traces(mon.path("t"), mon.path(var),
                                                                   len(mon.record), scale))
        except BuildError as err:
            raise SimulationError(f"cpp_standalone run failed (build cache {cache.folder},"
                                  f" replayed): {err}") from err
    timing = {"generation": t1 - t0, "compile": 0.0, "run": t2 - t1}
    return traces, {"build_seconds": t1 - t0, "run_seconds": run_s, "compiled": False,
                    "generated": False, "replayed": True, "timing": timing,
                    "directory": str(cache.folder)}


def _run_generated(cache: BuildCache, circuit: CircuitSpec, T: float, dt_ms: float,
                   rec_dt_ms: float, solver: str, plan, reason: str | None):
    """The generating path of :func:`_run_standalone`; stores the recipe of ``plan``."""
    from brian2 import device, get_device, prefs, set_device

    from .hines import use_solver

    make = [prefs.devices.cpp_standalone.make_cmd_unix, f"-j{os.cpu_count() or 1}"]
    gc.collect()
    net = monitors = interrupted = None
    try:
        with cache.run_folder() as run, _interruptible():
            set_device("cpp_standalone", directory=str(run), build_on_run=False)
            standalone = get_device()
            t0 = time.perf_counter()
            with use_solver(solver):  # code is generated in net.run
                net, monitors = circuit.build(dt_ms, rec_dt_ms)
                net.run(T * ms)
            slots: list[tuple] = []
            hoist_values(standalone, slots)
            standalone.build(directory=str(run), compile=False, run=False, with_output=False)
            t_generated = time.perf_counter()
            binary, compiled = cache.binary(run, make)
            t1 = time.perf_counter()
            if plan is not None:
                recipe = replay.make_recipe(standalone, slots, plan[1], run, code_hash(run),
                                            monitors)
                if isinstance(recipe, replay.Recipe):
                    replay.save_recipe(cache.folder, plan[0], recipe)
                else:
                    reason = recipe
            t_recorded = time.perf_counter()
            run_s = run_binary(binary, run)
            t2 = time.perf_counter()
            standalone.has_been_run = True  # Brian2 reads the other monitors from run/results
            traces = _collect(monitors, circuit, dt_ms,
                              lambda mon, var, scale: _read_traces(
                                  run / "results" / standalone.get_array_filename(mon.variables["t"]),
                                  run / "results" / standalone.get_array_filename(mon.variables[var]),
                                  len(mon.record), scale))
    except KeyboardInterrupt as err:  # re-raised below: this traceback would keep the objects
        interrupted = str(err)
    except Exception as err:  # compilation problems are reported with the build cache
        raise SimulationError(f"cpp_standalone build/run failed (build cache {cache.folder}):"
                              f" {err}") from err
    finally:
        device.reinit()
        device.activate()
        set_device("runtime")
        net = monitors = None
        gc.collect()
    if interrupted is not None:  # the run folder is gone, the installed binaries stay valid
        raise KeyboardInterrupt(interrupted or "the simulation was interrupted; no result")
    # the code hash, the look-up of an installed binary and the recipe count as generation
    compile_s = t1 - t_generated if compiled else 0.0
    timing = {"generation": t_recorded - t0 - compile_s, "compile": compile_s, "run": t2 - t_recorded}
    return traces, {"build_seconds": t_recorded - t0, "run_seconds": run_s, "compiled": compiled,
                    "generated": True, "replayed": False, "replay": reason, "timing": timing,
                    "directory": str(cache.folder), "solver": solver}


def _read_traces(t_path: Path, path: Path, n_sites: int, scale: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A standalone monitor's samples of one variable divided by ``scale``, read from its result
    file ``path`` in blocks into one array (``n_sites`` elements x samples), and the sample
    times (ms, from ``t_path``)."""
    t_ms = np.fromfile(t_path) / float(ms)
    if path.stat().st_size != 8 * n_sites * t_ms.size:
        raise BuildError(f"{path} holds {path.stat().st_size} bytes, not {n_sites} sites x"
                         f" {t_ms.size} samples; the run did not complete")
    out = np.empty((n_sites, t_ms.size))
    block = max(1, (1 << 21) // max(n_sites, 1))  # ~16 MB per block
    with open(path, "rb") as f:
        for start in range(0, t_ms.size, block):
            rows = np.fromfile(f, dtype=np.float64, count=n_sites * min(block, t_ms.size - start))
            np.divide(rows.reshape(-1, n_sites).T, scale, out=out[:, start:start + block])
    return t_ms, out
