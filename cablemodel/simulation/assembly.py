"""Brian2 objects for a circuit of cells (device-independent); used by :mod:`cablemodel.simulation.engine`.

One :class:`CellSpec` per cell holds what its SpatialNeuron needs: equations, channel blocks,
external synapses, clamps, and the conductances that connections and gap junctions sum into it.
:class:`CircuitSpec` creates the objects on the active Brian2 device, with fixed names so that
generated code is reused between runs.

Trials (:func:`cablemodel.sweeps.run_trials`): within :func:`trial_period`, every simulation
puts each cell and every external synapse back into its initial state at the start of each
period, so that each period is an independent run.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cached_property

import numpy as np
from brian2 import Quantity, amp, meter, mM, ms, mV, second, siemens, volt

from ..cell import Cell
from ..mechanisms.concentrations import CALCIUM_PARAMETERS, calcium_update
from ..mechanisms.electrical import GapJunction
from ..mechanisms.stimuli import VoltageClamp, WaveformClamp
from ..mechanisms.synapses import Connection, CurrentClamp, Synapse
from ..membrane import brian2_geometry
from .recording import Coupling, Selection, extra_equations, monitor_groups, updates

__all__ = ["CellSpec", "CircuitSpec", "value_key", "trial_period", "connection_couplings",
           "gap_couplings", "connection_delay_steps"]

#: Brian2 unit of each unit name in :data:`CALCIUM_PARAMETERS`.
_UNITS = {"1": 1.0, "second": second, "meter": meter, "mmolar": mM}
#: Trial period (ms) of the simulations built within :func:`trial_period`; ``None`` outside.
_TRIAL_PERIOD: ContextVar[float | None] = ContextVar("cablemodel_trial_period", default=None)


@contextmanager
def trial_period(period_ms: float) -> Iterator[None]:
    """Within this block, every circuit built resets its cells (potential, channel gates) and
    its external synapses (all per-synapse states: conductances, cleft, presynaptic release) to
    their initial values every ``period_ms`` (ms, a whole number of time steps), before anything
    else happens in that time step. Used by :func:`cablemodel.sweeps.run_trials`.

    Example
    -------
    >>> with trial_period(20.0):
    ...     CircuitSpec({}, [], []).trial_period_ms
    20.0
    >>> CircuitSpec({}, [], []).trial_period_ms is None
    True
    """
    token = _TRIAL_PERIOD.set(float(period_ms))
    try:
        yield
    finally:
        _TRIAL_PERIOD.reset(token)


_MORPHOLOGY_KEYS: dict[int, tuple] = {}


def morphology_key(morph) -> tuple:
    """:func:`value_key` of a :class:`~cablemodel.morphology.Morphology`, computed once per
    morphology object (it is immutable: frozen sections with read-only points), e.g. once for
    all the points of a sweep on one cell.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> m = ball_and_stick()
    >>> morphology_key(m) is morphology_key(m), morphology_key(m) == value_key(ball_and_stick())
    (True, True)
    """
    key = _MORPHOLOGY_KEYS.get(id(morph))
    if key is None:
        key = _MORPHOLOGY_KEYS[id(morph)] = value_key(morph)
        weakref.finalize(morph, _MORPHOLOGY_KEYS.pop, id(morph), None)
    return key


def value_key(value):
    """A hashable key equal for two values exactly when they are equal to the last bit:
    dataclasses by type and fields, quantities by their values and dimensions, mappings by
    sorted items (``repr`` would round a quantity to 8 digits).

    Example
    -------
    >>> from brian2 import ms, mV
    >>> from cablemodel import Receptor
    >>> a = Receptor("x", -70 * mV, 0 * ms, 2 * ms)
    >>> b = Receptor("x", (-70 - 1e-9) * mV, 0 * ms, 2 * ms)
    >>> repr(a) == repr(b), value_key(a) == value_key(b), value_key(a) == value_key(
    ...     Receptor("x", -70 * mV, 0 * ms, 2 * ms))
    (True, False, True)
    """
    if is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__,
                tuple((f.name, value_key(getattr(value, f.name))) for f in fields(value)))
    if isinstance(value, Quantity):
        arr = np.asarray(value, dtype=float)
        return ("quantity", str(value.dim), arr.shape, arr.tobytes())
    if isinstance(value, Mapping):
        return ("mapping", tuple(sorted((str(k), value_key(v)) for k, v in value.items())))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(value_key(v) for v in value))
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.tobytes())
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value


def _unique_receptors(receptors) -> list:
    by_name: dict = {}
    for rec in receptors:
        other = by_name.setdefault(rec.name, rec)
        if other is not rec and value_key(other) != value_key(rec):
            raise ValueError(f"two different receptors are named {rec.name!r};"
                             " give each receptor type its own name")
    return list(by_name.values())


@dataclass
class CellSpec:
    """One cell of a circuit and everything placed on it (compartment indices resolved)."""

    name: str
    cell: Cell
    synapses: list[Synapse]
    syn_idx: list[int]
    clamps: list[CurrentClamp]
    clamp_idx: list[int]
    record: dict[str, int]
    everywhere: bool = False
    incoming: list = field(default_factory=list)      # receptors of connections onto this cell
    gap_partners: list[str] = field(default_factory=list)
    #: variables other than v to record (see :mod:`cablemodel.simulation.recording`)
    recordings: dict[str, Selection] = field(default_factory=dict)
    waves: list[WaveformClamp] = field(default_factory=list)   # sampled into one TimedArray
    wave_idx: list[int] = field(default_factory=list)
    vclamps: list[VoltageClamp] = field(default_factory=list)  # one per compartment
    vclamp_idx: list[int] = field(default_factory=list)
    n_steps: int = 1                                  # time steps of the run (waveform samples)
    outgoing: bool = False                            # the cell drives connections
    #: the synapses of the connections onto this cell and the gap-junction ends on it (recordable)
    connection_synapses: list[Coupling] = field(default_factory=list)
    gap_ends: list[Coupling] = field(default_factory=list)

    def __post_init__(self) -> None:
        cell = self.cell
        self.channels = cell.channels
        self.receptors = _unique_receptors([s.receptor for s in self.synapses])
        #: per-compartment calcium-dynamics parameters (None: no dynamics painted)
        self.calcium = cell.calcium_parameters()
        #: resting concentrations (mM per compartment) if anything reads or changes them
        self.concentrations = (cell.resting_concentrations() if self.calcium is not None or any(
            ch.concentrations for ch in self.channels) else None)
        #: initial gate values (steady states at rest; a gate is refused here if it has none)
        self.initial_gates = {k: x for ch in self.channels for k, x in ch.initial_values(
            cell.v_rest, cell.celsius, self.concentrations).items()}

    def equations(self) -> str:
        if self.everywhere or not self.channels:  # the textbook form, every term everywhere
            currents = ["g_L*(E_L - v)"] + [_everywhere_term(ch) for ch in self.channels]
            lines = [f"Im = {' + '.join(currents)} : amp/meter**2"]
        else:  # sum_c g_c P_c (E_c - v) = i_ch - g_ch*v, both set where channels are
            lines = ["Im = g_L*(E_L - v) + i_ch - g_ch*v : amp/meter**2",
                     "g_ch : siemens/meter**2", "i_ch : amp/meter**2"]
        lines += ["g_L : siemens/meter**2", "E_L : volt"]
        if self.concentrations is not None:
            lines += ["cai : mmolar", "cao : mmolar (constant)"]
        if self.calcium is not None:
            lines += [f"{k} : {unit} (constant)" for k, unit in CALCIUM_PARAMETERS.items()]
            lines.append("cai_rest : mmolar (constant)")
        lines += [ch.equations(self.everywhere) for ch in self.channels]
        lines += [rec.neuron_equations() for rec in _unique_receptors(self.receptors
                                                                      + self.incoming)]
        for p in self.gap_partners:  # sum_k g_k (v_k - v) = gj_i - gj_g*v: implicit in v
            lines += [f"I_{p}_gj = {p}_gj_i - {p}_gj_g*v : amp (point current)",
                      f"{p}_gj_g : siemens", f"{p}_gj_i : amp"]
        if self.clamps:
            lines += ["I_inj = I_amp*int(t >= I_start)*int(t < I_stop) : amp (point current)",
                      "I_amp : amp", "I_start : second", "I_stop : second"]
        if self.waves:  # the summed waveforms of each clamped site: one column per site
            lines += [f"I_wave = {self.name}_iwave(t, I_col) : amp (point current)",
                      "I_col : integer (constant)"]
        if self.vclamps:  # (V_cmd - v)/R_s: linear in v, so implicit in the cable solver
            lines += [f"I_vclamp = vc_G*({self.name}_vcmd(t, vc_col) - v) : amp (point current)",
                      "vc_G : siemens", "vc_col : integer (constant)"]
        if self.cell.spike_overshoot is not None:  # lastspike of the last action potential
            lines.append("ap_done : second")
        lines += extra_equations(self.recordings, "neuron")
        return "\n".join(lines)

    def events(self, dt) -> dict[str, str]:
        """Brian2 events besides the threshold crossing ``spike`` (the criterion: *Action
        potentials* in :mod:`cablemodel.simulation.engine`): ``ap``, in the step whose end
        first reaches ``spike_overshoot`` within the window after a crossing still above
        threshold, and ``ap_out`` (cells that drive connections), ``window_steps`` steps after
        the crossing step of an action potential. Empty when every crossing counts."""
        cell = self.cell
        if cell.spike_overshoot is None:
            return {}
        site, n_w = cell.spike_compartment, cell.window_steps(dt)
        over = float(cell.spike_overshoot / mV)
        out = {"ap": f"i == {site} and not not_refractory and v >= {over!r}*mV"
                     f" and timestep(t - lastspike, dt) < {n_w} and ap_done != lastspike"}
        if self.outgoing:
            out["ap_out"] = f"i == {site} and timestep(t - ap_done, dt) == {n_w}"
        return out

    def timed_array_values(self, dt) -> dict[str, Quantity]:
        """The values of the waveform and voltage clamps' ``TimedArray`` objects, by their name
        in the equations: rows are the run's time steps, column 0 is zero (unclamped
        compartments), column ``j`` the summed waveform (amp) or the command potential (volt)
        of site ``j``."""
        out = {}
        if self.waves:
            sites = sorted(set(self.wave_idx))
            values = np.zeros((self.n_steps, 1 + len(sites)))
            for c, i in zip(self.waves, self.wave_idx, strict=True):
                values[:, 1 + sites.index(i)] += np.asarray(c.waveform.sample(dt, self.n_steps))
            out[f"{self.name}_iwave"] = values * amp
        if self.vclamps:
            values = np.zeros((self.n_steps, 1 + len(self.vclamps)))
            for j, c in enumerate(self.vclamps):
                values[:, 1 + j] = np.asarray(c.command_potential(dt, self.n_steps))
            out[f"{self.name}_vcmd"] = values * volt
        return out

    def timed_arrays(self, dt) -> dict:
        """The ``TimedArray`` objects of :meth:`timed_array_values`."""
        from brian2 import TimedArray

        return {name: TimedArray(values, dt=dt, name=name)
                for name, values in self.timed_array_values(dt).items()}

    def gate_blocks(self) -> list[tuple[int, int]]:
        """Contiguous [start, stop) blocks of the compartments carrying channels, where the
        fast formulation sums their conductances and currents (none in the reference one)."""
        if self.everywhere or not self.channels:
            return []
        dens = self.cell.densities()
        return _blocks(np.flatnonzero(np.any([dens[ch.name] > 0 for ch in self.channels], axis=0)))

    def mechanism_blocks(self) -> dict[str, list[tuple[int, int]]]:
        """Contiguous [start, stop) blocks of each mechanism's compartments (channels by name,
        ``"cai"`` for the calcium dynamics), where the fast formulation advances its states."""
        if self.everywhere:
            return {}
        dens = self.cell.densities()
        out = {ch.name: _blocks(np.flatnonzero(dens[ch.name] > 0)) for ch in self.channels}
        if self.calcium is not None:
            out["cai"] = _blocks(np.flatnonzero(self.calcium["painted"]))
        return out

    def calcium_current(self) -> str:
        """Brian2 text of ``i_ca`` (amp/meter**2, positive inward): the summed current of the
        channels carrying Ca2+."""
        terms = [ch.current() for ch in self.channels if ch.ion == "ca"]
        return " + ".join(terms) if terms else "0*amp/meter**2"

    def key(self) -> str:
        targets = sorted({t for sel in self.recordings.values() for t in sel.entry.target})
        return "|".join([self.name, self.equations(), str(self.gate_blocks()),
                         str(self.mechanism_blocks()),
                         str(len(self.cell.table)), str(len(self.synapses)), str(len(self.record)),
                         str(monitor_groups(self.recordings)),
                         str([extra_equations(self.recordings, t) for t in targets])])

    # -- objects --------------------------------------------------------------------------------
    @cached_property
    def geometry(self) -> tuple[dict[str, np.ndarray], Quantity]:
        """Brian2's integrated geometry with each half compartment's own Ri folded into
        ``r_length`` (see :func:`~cablemodel.membrane.brian2_geometry`), and the shared ``Ri``."""
        return brian2_geometry(self.cell.table, self.cell.membrane().Ri)

    def neuron_values(self) -> list[tuple[str, object]]:
        """The values the cell's SpatialNeuron is given once created, in order: ``(variable,
        value)``, each variable assigned whole (a quantity, scalar or one value per compartment).
        They are data of a compiled program (see :mod:`cablemodel.simulation.replay`).

        Example
        -------
        >>> from cablemodel import ball_and_stick, standard_cell
        >>> spec = CellSpec("cell", standard_cell(ball_and_stick()), [], [], [], [], {"soma": 0})
        >>> [name for name, _ in spec.neuron_values()][:8]
        ['ap_done', 'area_', 'r_length_1_', 'r_length_2_', 'length_', 'distance_', 'Cm', 'v']
        """
        cell = self.cell
        membrane = cell.membrane()
        out: list[tuple[str, object]] = []
        if cell.spike_overshoot is not None:
            out.append(("ap_done", -1e4 * second))  # Brian2's initial lastspike: no AP yet
        out += list(self.geometry[0].items())
        out += [("Cm", membrane.Cm), ("v", cell.v_rest), ("g_L", membrane.g_leak),
                ("E_L", cell.leak_reversal())]
        if self.concentrations is not None:
            out += [("cai", self.concentrations["cai"] * mM), ("cao", self.concentrations["cao"] * mM)]
        if self.calcium is not None:
            out += [(k, self.calcium[k] * (_UNITS[unit])) for k, unit in CALCIUM_PARAMETERS.items()]
            out.append(("cai_rest", self.concentrations["cai"] * mM))
        dens = cell.densities()
        for ch in self.channels:
            unit = meter / second if ch.current_kind == "ghk" else siemens / meter**2
            out.append((f"g_{ch.name}", dens[ch.name] * unit))
            out += list(ch.shared_values(cell.celsius).items())
        out += list(self.initial_gates.items())
        for rec in _unique_receptors(self.receptors + self.incoming):
            out += list(rec.neuron_values().items())
        n = len(cell.table)
        if self.clamps:  # one step clamp per compartment at most (more are waveforms)
            values = np.zeros((3, n))
            for c, i in zip(self.clamps, self.clamp_idx, strict=True):
                values[:, i] = [float(np.asarray(x)) for x in (c.amplitude, c.start, c.stop)]
            out += [("I_amp", values[0] * amp), ("I_start", values[1] * second),
                    ("I_stop", values[2] * second)]
        if self.waves:
            sites = sorted(set(self.wave_idx))
            col = np.zeros(n, dtype=int)
            col[sites] = np.arange(1, 1 + len(sites))
            out.append(("I_col", col))
        if self.vclamps:
            conductance, col = np.zeros(n), np.zeros(n, dtype=int)
            for j, (c, i) in enumerate(zip(self.vclamps, self.vclamp_idx, strict=True)):
                conductance[i] = float(np.asarray(1 / c.series_resistance))
                col[i] = 1 + j
            out += [("vc_G", conductance * siemens), ("vc_col", col)]
        return out

    def neuron_statements(self) -> list[str]:
        """``name = expression`` lines run once at the start: GHK linearizations, then (fast
        formulation) the channel sums, so that ``Im`` is right from the first sample on."""
        statements = [ch.drive_update() for ch in self.channels if ch.drive_update()]
        if self.channels and not self.everywhere:
            statements += self._channel_sums()
        return "\n".join(statements).splitlines()

    def neuron_arguments(self, dt) -> dict:
        """What the SpatialNeuron is created with besides its morphology (see :meth:`neuron`)."""
        cell = self.cell
        thr = float(cell.spike_threshold / mV)
        return {"model": self.equations(), "Cm": cell.membrane().Cm[0], "Ri": self.geometry[1],
                "method": "exponential_euler", "threshold": f"v > {thr}*mV",
                "threshold_location": cell.spike_compartment, "refractory": f"v > {thr}*mV",
                "events": self.events(dt) or None, "dt": dt, "name": self.name}

    def neuron(self, dt):
        from brian2 import SpatialNeuron

        from ..morphology.brian2_tree import nesting_headroom

        cell = self.cell
        with nesting_headroom(cell.morphology.nesting_depth):  # Brian2 flattens it recursively
            neuron = SpatialNeuron(morphology=cell.morphology.to_brian2(),
                                   namespace=self.timed_arrays(dt), **self.neuron_arguments(dt))
        if cell.spike_overshoot is not None:  # after the crossing's thresholder: sees lastspike
            for k, event in enumerate(("ap", "ap_out")):
                if event in neuron.thresholder:
                    neuron.thresholder[event].order = neuron.order + 1 + k
            neuron.run_on_event("ap", "ap_done = lastspike", when="resets")
        for name, value in self.neuron_values():
            setattr(neuron, name, value)
        for statement in self.neuron_statements():
            name, expr = statement.split(" = ", 1)
            setattr(neuron, name, expr)
        return neuron

    def _channel_sums(self) -> list[str]:
        """Statements setting ``g_ch`` and ``i_ch`` from the gates (the fast formulation)."""
        terms = [ch.membrane_terms() for ch in self.channels]
        return [f"g_ch = {' + '.join(g for g, _ in terms)}",
                f"i_ch = {' + '.join(i for _, i in terms)}"]

    def gating(self, neuron) -> list:
        """``run_regularly`` objects advancing the states at the start of each step (see
        :meth:`gating_plan`)."""
        return [(neuron if block is None else neuron[block[0]:block[1]]).run_regularly(
                    code, when="before_groups", order=order, name=name)
                for block, code, order, name in self.gating_plan()]

    def gating_plan(self) -> list[tuple[tuple[int, int] | None, str, int, str]]:
        """``(block, code, order, name)`` of each state update run at the start of each step,
        ``block`` the ``[start, stop)`` compartments (``None``: the whole neuron), in this
        order: ``cai`` (calcium dynamics, from the gates and concentrations of the previous
        step), the gates and GHK linearizations of each channel (reading the new ``cai``), then
        (fast formulation) the sums ``g_ch``, ``i_ch``. In the fast formulation each mechanism
        runs on its own compartment blocks (channels painted on the same blocks share one
        object, the sums too when they cover the same blocks); in the reference formulation
        ``cai`` and the GHK linearizations run on the whole neuron and the gates are integrated
        by Brian2."""
        out = []
        cai = calcium_update(self.calcium_current()) if self.calcium is not None else None
        if self.everywhere:
            if cai is not None:
                out.append((None, cai, -3, f"{self.name}_cai"))
            drive = "\n".join(ch.drive_update() for ch in self.channels if ch.drive_update())
            if drive:
                out.append((None, drive, -2, f"{self.name}_ghk"))
            return out
        blocks = self.mechanism_blocks()
        out += [(block, cai, -3, f"{self.name}_cai_{k}")
                for k, block in enumerate(blocks.get("cai", []))]
        groups: dict[tuple, list] = {}
        for ch in self.channels:
            groups.setdefault(tuple(blocks[ch.name]), []).append(ch)
        sums = "\n".join(self._channel_sums()) if self.channels else ""
        union = tuple(self.gate_blocks())
        if list(groups) == [union] and cai is None:  # one object per block does it all
            update = "\n".join([_advance(ch) for ch in self.channels] + [sums])
            return [(block, update, 0, f"{self.name}_gates_{k}") for k, block in enumerate(union)]
        for g, (group_blocks, chans) in enumerate(groups.items()):
            update = "\n".join(_advance(ch) for ch in chans)
            out += [(block, update, -2, f"{self.name}_gates_{g}_{k}")
                    for k, block in enumerate(group_blocks)]
        out += [(block, sums, -1, f"{self.name}_sums_{k}") for k, block in enumerate(union)]
        return out

    def spike_input(self, dt) -> tuple[np.ndarray, Quantity]:
        """Source index (synapse number) and time (second) of every external spike, each time
        moved to the step nearest to it (NEURON's rule, see :mod:`cablemodel.simulation.engine`:
        the generator and the on_pre statements run before the cable update of that step)."""
        idx = np.concatenate([np.full(len(s.spikes), k) for k, s in enumerate(self.synapses)])
        times = np.concatenate([np.asarray(s.spikes / ms) for s in self.synapses])
        steps = np.ceil(times / float(dt / ms) - 0.5)
        return idx.astype(int), steps * dt

    def receptor_synapses(self) -> list[tuple[object, list[int]]]:
        """Each receptor of the external synapses with the numbers of its synapses."""
        return [(rec, [k for k, s in enumerate(self.synapses) if s.receptor.name == rec.name])
                for rec in self.receptors]

    def inputs(self, neuron, dt) -> list:
        """Spike generator and one Synapses object per receptor for the external synapses."""
        from brian2 import SpikeGeneratorGroup

        if not self.synapses:
            return []
        idx, times = self.spike_input(dt)
        source = SpikeGeneratorGroup(len(self.synapses), idx, times, dt=dt,
                                     when="before_groups", order=0, name=f"{self.name}_inputs")
        out = [source]
        for rec, mine in self.receptor_synapses():
            syn = _synapses(source, neuron, rec, mine, [self.syn_idx[k] for k in mine],
                            [self.synapses[k] for k in mine], dt, f"{self.name}_syn_{rec.name}",
                            extra=extra_equations(self.recordings, f"synapses:{rec.name}"))
            syn.pre.when, syn.pre.order = "before_groups", 1
            out.append(syn)
        return out

    def trial_resets(self, neuron, inputs: list, period_ms: float) -> list:
        """``run_regularly`` objects that restore the initial state every ``period_ms``, as the
        objects were built: in the neuron the potential, the channel gates and any other state
        (0); in each receptor's ``Synapses`` of ``inputs`` every per-synapse state (0; not the
        constants, shared values and per-synapse parameters). They run ``before_start``, so the
        monitors of that step see the restored state."""
        from brian2 import volt
        from brian2.equations.equations import DIFFERENTIAL_EQUATION, PARAMETER

        cell = self.cell
        gates = self.initial_gates
        lines = [f"v = {float(cell.v_rest / volt)!r}*volt"]
        if self.calcium is not None:
            lines.append("cai = cai_rest")
        lines += [f"{k} = {x!r}" if np.ndim(x) == 0 else f"{k} = {_steady_text(k, self.channels)}"
                  for k, x in gates.items()]  # per-compartment values: from the reset cai
        lines += [_zero(eq) for eq in neuron.equations.ordered
                  if eq.type == DIFFERENTIAL_EQUATION and eq.varname not in gates]
        lines += [ch.drive_update() for ch in self.channels if ch.drive_update()]
        if self.channels and not self.everywhere:
            lines += self._channel_sums()
        period = period_ms * ms
        out = [neuron.run_regularly("\n".join(lines), dt=period, when="before_start",
                                    name=f"{self.name}_trial_reset")]
        by_name = {obj.name: obj for obj in inputs}
        for rec in self.receptors:
            syn = by_name[f"{self.name}_syn_{rec.name}"]
            equations = list(syn.equations.ordered)
            equations += list(syn.event_driven.ordered) if syn.event_driven is not None else []
            states = [eq for eq in equations if eq.varname not in rec.synapse_defaults() and (
                eq.type == DIFFERENTIAL_EQUATION
                or (eq.type == PARAMETER and not {"constant", "shared"} & set(eq.flags)))]
            if states:
                out.append(syn.run_regularly("\n".join(_zero(eq) for eq in states), dt=period,
                                             when="before_start", name=f"{syn.name}_trial_reset"))
        return out


def _blocks(idx: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous [start, stop) blocks of the sorted compartment indices ``idx``."""
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    stops = np.concatenate([idx[breaks] + 1, [idx[-1] + 1]])
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _everywhere_term(ch) -> str:
    """A channel's term of ``Im`` in the reference formulation (GHK: linearized per step)."""
    if ch.current_kind == "ghk":
        g, i = ch.membrane_terms()
        return f"({i} - {g}*v)"
    return ch.current()


def _advance(ch) -> str:
    """Statements advancing one channel by a step: its gates, then its GHK linearization."""
    return "\n".join(part for part in (ch.gate_update(), ch.drive_update()) if part)


def _steady_text(state: str, channels) -> str:
    """Brian2 text of gate ``state``'s steady state at the present ``v`` and concentrations."""
    for ch in channels:
        for g, s in zip(ch.gates, ch.state_names(), strict=True):
            if s == state:
                return f"inf_{s}" if not g.uses_rates else f"alpha_{s}/(alpha_{s} + beta_{s})"
    raise KeyError(state)


def _zero(eq) -> str:
    """Brian2 statement setting the variable of equation ``eq`` to zero (in its unit)."""
    from brian2.units.fundamentalunits import get_unit

    if eq.dim.is_dimensionless:
        return f"{eq.varname} = 0"
    return f"{eq.varname} = 0*{get_unit(eq.dim)!r}"


def _synapses(source, target, rec, i, j, items, dt, name, delays=None, extra=(), event="spike"):
    """A Synapses object of receptor ``rec`` from ``source[i]`` to compartments ``j``, driven by
    ``source``'s ``event``; ``extra`` lines (recorded subexpressions) are added to its model."""
    from brian2 import Synapses

    syn = Synapses(source, target, model="\n".join([rec.synapse_model(), *extra]), on_pre=rec.on_pre(),
                   method=rec.method, dt=dt, name=name, namespace={}, on_event={"pre": event})
    syn.connect(i=np.asarray(i, dtype=int), j=np.asarray(j, dtype=int))
    for key, value in synapse_values(rec, items, delays):
        setattr(syn, key, value)
    return syn


def synapse_values(rec, items, delays=None) -> list[tuple[str, object]]:
    """``(variable, value)`` of a Synapses object of receptor ``rec`` holding the synapses
    ``items`` (with ``weight`` and ``params``), in order: weights, delays (ms, if given), the
    receptor's shared values, then its per-synapse parameters.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Synapse, spike_times
    >>> [k for k, _ in synapse_values(AMPA, [Synapse(AMPA, "soma", 1 * nS, spike_times([1] * ms))])]
    ['w', 'tau_decay', 'tau_rise', 'f_norm']
    """
    out: list[tuple[str, object]] = [("w", np.array([float(x.weight / siemens) for x in items])
                                      * siemens)]
    if delays is not None:
        out.append(("delay", np.asarray(delays) * ms))
    out += list(rec.synapse_values().items())
    for key, default in rec.synapse_defaults().items():
        values = [x.params.get(key, default) for x in items]
        out.append((key, values if not isinstance(default, Quantity)
                    else Quantity(values, dim=default.dim)))
    return out


def connection_delay_steps(conn: Connection, dt) -> int:
    """A connection's delay in time steps of ``dt`` (second), rounded to the nearest step.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Connection
    >>> connection_delay_steps(Connection("a", "b", AMPA, "soma", 1 * nS, 1.01 * ms), 0.025 * ms)
    40
    """
    return int(np.rint(float(conn.delay / dt)))


def connection_name(conn: Connection) -> str:
    """Name of the Synapses object holding ``conn`` (one per presynaptic cell, postsynaptic cell
    and receptor).

    Example
    -------
    >>> from brian2 import nS
    >>> from cablemodel import AMPA, Connection
    >>> connection_name(Connection("a", "b", AMPA, "soma", 1 * nS))
    'a_to_b_a_ampa'
    """
    return f"{conn.pre}_to_{conn.post}_{connection_receptor(conn).name}"


def connection_couplings(connections, post: str, table) -> list[Coupling]:
    """The synapses of ``connections`` onto cell ``post`` (its compartment ``table``), in order:
    row label ``conn{k}:{pre}`` (``k`` the index in ``connections``), Synapses object and index
    in it, as :meth:`CircuitSpec._connections` builds them.

    Example
    -------
    >>> from brian2 import nS
    >>> from cablemodel import AMPA, Connection, ball_and_stick
    >>> conns = [Connection("a", "b", AMPA, "soma", 1 * nS), Connection("a", "b", AMPA, "#3", 1 * nS)]
    >>> [(c.label, c.target, c.element, c.compartment)
    ...  for c in connection_couplings(conns, "b", ball_and_stick().compartments())]
    [('conn0:a', 'connection:a_to_b_a_ampa', 0, 0), ('conn1:a', 'connection:a_to_b_a_ampa', 1, 3)]
    """
    count: dict[str, int] = {}
    out = []
    for k, conn in enumerate(connections):
        name = connection_name(conn)
        element = count[name] = count.get(name, -1) + 1
        if conn.post == post:
            out.append(Coupling(f"conn{k}:{conn.pre}", f"connection:{name}", element,
                                conn.site.resolve(table), connection_receptor(conn)))
    return out


def gap_couplings(gaps, cell: str, table) -> list[Coupling]:
    """The ends of ``gaps`` on cell ``cell`` (its compartment ``table``), in order: row label
    ``gap{k}:a`` or ``gap{k}:b``, the Synapses object carrying the current into that end and the
    index in it, as :meth:`CircuitSpec._gaps` builds them.

    Example
    -------
    >>> from brian2 import nS
    >>> from cablemodel import GapJunction, ball_and_stick
    >>> gj = GapJunction("soma", "#3", 1 * nS)  # both ends on the default cell "cell"
    >>> [(c.label, c.target, c.element, c.compartment)
    ...  for c in gap_couplings([gj], "cell", ball_and_stick().compartments())]
    [('gap0:b', 'gap:gap_cell_to_cell', 0, 3), ('gap0:a', 'gap:gap_cell_to_cell', 1, 0)]
    """
    count: dict[str, int] = {}
    out = []
    for k, g in enumerate(gaps):
        for end, src, dst, site in (("b", g.cell_a, g.cell_b, g.b), ("a", g.cell_b, g.cell_a, g.a)):
            name = f"gap_{src}_to_{dst}"
            element = count[name] = count.get(name, -1) + 1
            if dst == cell:
                out.append(Coupling(f"gap{k}:{end}", f"gap:{name}", element, site.resolve(table)))
    return out


def connection_receptor(conn: Connection):
    """The receptor of a connection, renamed per presynaptic cell (``pre_ampa`` for cell ``pre``):
    a Brian2 summed variable takes one Synapses object, and external inputs use the plain name."""
    return replace(conn.receptor, name=f"{conn.pre}_{conn.receptor.name}")


@dataclass
class CircuitSpec:
    """Cells, chemical connections and gap junctions of one simulation."""

    cells: dict[str, CellSpec]
    connections: list[Connection]
    gaps: list[GapJunction]
    seed: int | None = None
    #: reset every cell and external synapse to its initial state every this many ms (see
    #: :func:`trial_period`); ``None``: never
    trial_period_ms: float | None = field(default_factory=_TRIAL_PERIOD.get)

    def __post_init__(self) -> None:
        for conn in self.connections:
            self.cells[conn.post].incoming.append(connection_receptor(conn))
            self.cells[conn.pre].outgoing = True
        for gap in self.gaps:
            for me, other in ((gap.cell_b, gap.cell_a), (gap.cell_a, gap.cell_b)):
                if other not in self.cells[me].gap_partners:
                    self.cells[me].gap_partners.append(other)

    def key(self) -> str:
        """Hash of the structure (a reusable standalone build directory)."""
        parts = [c.key() for c in self.cells.values()]
        parts += [f"{c.pre}>{c.post}:{c.receptor.name}" for c in self.connections]
        parts += [f"{g.cell_a}~{g.cell_b}" for g in self.gaps]
        if self.trial_period_ms is not None:
            parts.append("trial resets")
        return hashlib.sha1("||".join(parts).encode()).hexdigest()[:12]

    def build(self, dt_ms: float, rec_dt_ms: float):
        """Create every object on the current device: ``(network, {cell: (vmon, smon, apmon,
        mons)})`` with ``smon`` the threshold crossings, ``apmon`` the ``ap`` events (``None``
        when every crossing counts) and ``mons`` the monitors of the other recorded variables,
        ``[(monitor, target, elements, variables)]`` (see
        :func:`~cablemodel.simulation.recording.monitor_groups`)."""
        from brian2 import EventMonitor, Network, SpikeMonitor, StateMonitor

        dt = dt_ms * ms
        objects, neurons, inputs, monitors = [], {}, {}, {}
        for name, spec in self.cells.items():
            neuron = neurons[name] = spec.neuron(dt)
            inputs[name] = spec.inputs(neuron, dt)
            objects += [neuron, *spec.gating(neuron), *inputs[name]]
            if self.trial_period_ms is not None:
                objects += spec.trial_resets(neuron, inputs[name], self.trial_period_ms)
        by_kind = ({f"connection:{obj.name}": obj for obj in self._connections(neurons, dt)}
                   | {f"gap:{obj.name}": obj for obj in self._gaps(neurons, dt)})
        objects += list(by_kind.values())
        for name, spec in self.cells.items():
            neuron = neurons[name]
            vmon = StateMonitor(neuron, "v", record=np.array(list(spec.record.values())),
                                dt=rec_dt_ms * ms, name=f"{name}_vmon")
            # v and Ic at the spike site after each detection give v before it (crossing times)
            smon = SpikeMonitor(neuron, variables=["v", "Ic"], name=f"{name}_spikes")
            by_target = ({"neuron": neuron} | by_kind
                         | {f"synapses:{obj.name.removeprefix(f'{name}_syn_')}": obj
                            for obj in inputs[name][1:]})
            for target, statements in ((t, updates(spec.recordings, t)) for t in by_target):
                if statements:  # values set just before each sample (monitors: start, order 0)
                    objects.append(by_target[target].run_regularly(
                        "\n".join(statements), dt=rec_dt_ms * ms, when="start", order=-1,
                        name=f"{by_target[target].name}_record_update"))
            mons = [(StateMonitor(by_target[target], variables, record=np.array(elements),
                                  dt=rec_dt_ms * ms, name=f"{name}_mon_{k}"), target, elements,
                     variables)
                    for k, (target, elements, variables) in enumerate(monitor_groups(spec.recordings))]
            apmon = None
            if spec.cell.spike_overshoot is not None:  # the crossing (lastspike) of each AP
                apmon = EventMonitor(neuron, "ap", variables=["lastspike"], name=f"{name}_aps")
                objects.append(apmon)
            monitors[name] = (vmon, smon, apmon, mons)
            objects += [vmon, smon, *(m[0] for m in mons)]
        if self.seed is not None:
            from brian2 import seed as brian_seed

            brian_seed(self.seed)
        return Network(*objects), monitors

    def connection_plan(self, dt) -> list[dict]:
        """One entry per Synapses object of the chemical connections (one per presynaptic
        cell, postsynaptic cell and receptor): ``name``, ``pre``, ``post``, ``receptor``,
        ``connections``, ``sources`` (the presynaptic spike compartment), ``targets``,
        ``delays`` (ms), ``event`` and ``extra`` (recorded subexpressions)."""
        groups: dict[tuple, list[Connection]] = {}
        for conn in self.connections:
            groups.setdefault((conn.pre, conn.post, conn.receptor.name), []).append(conn)
        out = []
        for (pre, post, _), conns in groups.items():
            cell = self.cells[pre].cell
            # an action potential's event leaves window_steps after its crossing step: the
            # delay is shortened by as much, so it acts when a crossing's event did before
            wait = 0 if cell.spike_overshoot is None else cell.window_steps(dt)
            steps = [connection_delay_steps(c, dt) - wait for c in conns]
            name = connection_name(conns[0])
            out.append({"name": name, "pre": pre, "post": post,
                        "receptor": connection_receptor(conns[0]), "connections": conns,
                        "sources": [cell.spike_compartment] * len(conns),
                        "targets": [c.site.resolve(self.cells[post].cell.table) for c in conns],
                        "delays": [k * float(dt / ms) for k in steps],
                        "event": "spike" if wait == 0 else "ap_out",
                        "extra": extra_equations(self.cells[post].recordings, f"connection:{name}")})
        return out

    def _connections(self, neurons, dt) -> list:
        return [_synapses(neurons[c["pre"]], neurons[c["post"]], c["receptor"], c["sources"],
                          c["targets"], c["connections"], dt, c["name"], delays=c["delays"],
                          extra=c["extra"], event=c["event"])
                for c in self.connection_plan(dt)]

    def gap_plan(self) -> list[dict]:
        """Two Synapses objects per ordered cell pair (one per direction of current flow):
        ``name``, ``pre``, ``post``, ``model``, ``sources``, ``targets`` and the per-synapse
        ``values`` (``g_gap`` siemens, ``rect``, ``sense``)."""
        rows: dict[tuple[str, str], list[tuple[int, int, float, float, float]]] = {}
        for g in self.gaps:
            ia = g.a.resolve(self.cells[g.cell_a].cell.table)
            ib = g.b.resolve(self.cells[g.cell_b].cell.table)
            gs, r = float(g.conductance / siemens), float(g.rectifying)
            rows.setdefault((g.cell_a, g.cell_b), []).append((ia, ib, gs, r, 1.0))   # into b
            rows.setdefault((g.cell_b, g.cell_a), []).append((ib, ia, gs, r, -1.0))  # into a
        out = []
        for (src, dst), items in rows.items():
            model = ("g_gap : siemens (constant)\nrect : 1 (constant)\nsense : 1 (constant)\n"
                     "open = 1 - rect + rect*int(sense*(v_pre - v_post) > 0*mV) : 1\n"
                     f"{src}_gj_g_post = g_gap*open : siemens (summed)\n"
                     f"{src}_gj_i_post = g_gap*open*v_pre : amp (summed)")
            name = f"gap_{src}_to_{dst}"  # rows in the order of gap_couplings
            model = "\n".join([model, *extra_equations(self.cells[dst].recordings, f"gap:{name}")])
            i, j, gs, r, sense = (np.array(col) for col in zip(*items, strict=True))
            out.append({"name": name, "pre": src, "post": dst, "model": model,
                        "sources": i.astype(int), "targets": j.astype(int),
                        "values": [("g_gap", gs * siemens), ("rect", r), ("sense", sense)]})
        return out

    def _gaps(self, neurons, dt) -> list:
        from brian2 import Synapses

        out = []
        for g in self.gap_plan():
            syn = Synapses(neurons[g["pre"]], neurons[g["post"]], model=g["model"], dt=dt,
                           name=g["name"], namespace={})
            syn.connect(i=g["sources"], j=g["targets"])
            for key, value in g["values"]:
                setattr(syn, key, value)
            out.append(syn)
        return out
