"""Synapse experiments: chemical vs electrical transmission (delay, sign, direction), blocking
transmitter clearance, and dopamine on D1 vs D2 receptors.

All use the public API (:func:`cablemodel.simulate_circuit`, :func:`cablemodel.sweeps.run_trials`,
the receptor kit of :mod:`cablemodel.mechanisms.receptors`) and work on any cell, generated or
read from SWC. Potentials are reported as deviations from the cell's resting potential.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from brian2 import Quantity, ms, mV, nA, nS

from ..cell import Cell
from ..mechanisms.electrical import GapJunction
from ..mechanisms.receptors import GLUTAMATE, Cleft, Ionotropic, Metabotropic, ampa, d1, d2, gaba_a
from ..mechanisms.synapses import Connection, CurrentClamp, Receptor, Synapse, spike_times
from ..simulation.engine import simulate_circuit
from ..simulation.results import Result
from ..sweeps import Trial, run_trials

__all__ = ["chemical_vs_electrical", "SynapseComparisonResult", "clearance_blockade",
           "ClearanceResult", "d1_vs_d2", "DopamineResult", "ONSET_FRACTION"]

#: A postsynaptic response starts when it first reaches this fraction of its (signed) peak.
ONSET_FRACTION = 0.1
#: Cells of :func:`chemical_vs_electrical`; the windows stimulate them in this order.
_PAIR_CELLS = ("pre", "chem", "inhib", "gap", "rect")
_STIMULATED = ("chem", "rect", "gap", "pre")  # backward (chemical, rectifying, gap), then forward


def _signed_peak(dv: np.ndarray) -> float:
    return float(dv[np.argmax(np.abs(dv))]) if dv.size else 0.0


def _onset(t_ms: np.ndarray, dv: np.ndarray) -> float | None:
    """First time (ms) at which ``dv`` reaches ``ONSET_FRACTION`` of its signed peak."""
    peak = _signed_peak(dv)
    if peak == 0.0:
        return None
    hit = np.flatnonzero(dv * np.sign(peak) >= ONSET_FRACTION * abs(peak))
    return float(t_ms[hit[0]])


def _first_excursion(dv: np.ndarray) -> np.ndarray:
    """Mask of the first run of samples with ``dv > 0`` (the stimulated cell's depolarisation)."""
    up = dv > 0
    mask = np.zeros_like(up)
    if up.any():
        start = int(np.argmax(up))
        down = np.flatnonzero(~up[start:])
        mask[start:start + (int(down[0]) if down.size else up.size)] = True
    return mask


@dataclass(frozen=True, eq=False)
class SynapseComparisonResult:
    """Two cells coupled by a chemical synapse (excitatory, and separately inhibitory) or by a
    gap junction (plain, and separately rectifying from pre to post).

    Forward (the presynaptic cell fires one action potential, threshold crossing at
    ``pre_spike_ms``): signed peaks (mV from rest) at the postsynaptic site of the excitatory
    (``chemical_mV``) and inhibitory (``inhibitory_mV``) chemical synapse and of the gap junction
    (``electrical_mV``, ``rectifying_forward_mV``); delays (ms) from the presynaptic threshold
    crossing to the onset of the postsynaptic response (first reaching :data:`ONSET_FRACTION` of
    its peak; negative when the response starts before the crossing: the gap junction passes
    the depolarisation that leads to the spike); ``electrical_trough_mV``: the most negative
    postsynaptic deviation through the gap junction, when the presynaptic cell was at
    ``pre_at_trough_mV`` (its afterhyperpolarisation).

    Backward (the postsynaptic cell is stimulated): the largest depolarisation of the
    presynaptic soma (mV) while the stimulated postsynaptic soma is in its first excursion above
    rest, through the chemical synapse, the gap junction and the rectifying one (afterwards a
    rectifying junction does pull the presynaptic cell down during a postsynaptic
    afterhyperpolarisation: current from pre to post).

    Arrays (forward window, ``t_ms`` from its start): ``pre_mV`` at the presynaptic soma and the
    postsynaptic deviations ``chemical_trace_mV``, ``inhibitory_trace_mV``, ``electrical_trace_mV``.
    ``post_spikes``: action potentials of each postsynaptic cell (``"chem"``, ``"inhib"``,
    ``"gap"``, ``"rect"``) in the forward window; when an excitable postsynaptic cell fires, its
    onset and peak are those of its own spike (use a passive copy or weaker coupling to see the
    synaptic potentials).
    """

    site: str
    delay_ms: float
    pre_spike_ms: float
    chemical_mV: float
    inhibitory_mV: float
    electrical_mV: float
    rectifying_forward_mV: float
    chemical_delay_ms: float
    inhibitory_delay_ms: float
    electrical_delay_ms: float
    electrical_trough_mV: float
    pre_at_trough_mV: float
    chemical_backward_mV: float
    electrical_backward_mV: float
    rectifying_backward_mV: float
    t_ms: np.ndarray
    pre_mV: np.ndarray
    chemical_trace_mV: np.ndarray
    inhibitory_trace_mV: np.ndarray
    electrical_trace_mV: np.ndarray
    post_spikes: dict[str, int]
    results: dict[str, Result]

    def plot(self, ax=None):
        """Postsynaptic deviations (left axis) and the presynaptic potential (right axis)
        against time in the forward window; the title gives delays and backward responses."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 4), layout="constrained")[1]
        for trace, peak, name in (
                (self.chemical_trace_mV, self.chemical_mV, "chemical, excitatory"),
                (self.inhibitory_trace_mV, self.inhibitory_mV, "chemical, inhibitory"),
                (self.electrical_trace_mV, self.electrical_mV, "gap junction")):
            ax.plot(self.t_ms, trace, label=f"{name} ({peak:+.2f} mV)")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.axvline(self.pre_spike_ms, ls=":", color="k", label="presynaptic threshold crossing")
        ax.set_xlabel("time in forward window (ms)")
        ax.set_ylabel(f"postsynaptic V at {self.site} (mV from rest)")
        ax.legend(fontsize=7, loc="upper right")
        pre = ax.twinx()
        pre.plot(self.t_ms, self.pre_mV, color="0.5", lw=0.8)
        pre.set_ylabel("presynaptic soma V (mV from rest), grey")
        ax.set_title(f"delay: chemical {self.chemical_delay_ms:.2f} ms, gap junction"
                     f" {self.electrical_delay_ms:.2f} ms; backward: chemical"
                     f" {self.chemical_backward_mV:.2f} mV, gap {self.electrical_backward_mV:.2f} mV,"
                     f" rectifying {self.rectifying_backward_mV:.2f} mV", fontsize=8)
        return ax


def chemical_vs_electrical(pre_cell: Cell, post_cell: Cell, site: str = "soma",
                           excitatory: Receptor | None = None, inhibitory: Receptor | None = None,
                           weight: Quantity = 5 * nS,
                           inhibitory_weight: Quantity = 20 * nS, delay: Quantity = 1 * ms,
                           gap_conductance: Quantity = 2 * nS, stimulus: Quantity = 2 * nA,
                           pulse: Quantity = 0.5 * ms, window: Quantity = 30 * ms,
                           rest_tolerance: Quantity = 0.5 * mV, **simulate_args) -> SynapseComparisonResult:
    """One presynaptic cell (``pre_cell``) coupled to four copies of ``post_cell`` at ``site``:
    a :class:`~cablemodel.Connection` with ``excitatory`` (default :func:`ampa`, peak
    ``weight``), one with ``inhibitory`` (default :func:`gaba_a`, ``inhibitory_weight``), both
    after ``delay`` (ms, from the presynaptic threshold crossing), a
    :class:`~cablemodel.GapJunction` of ``gap_conductance`` from the presynaptic soma, and a
    rectifying one (current only from pre to post). One simulation of four windows of
    ``window``: a current pulse (``stimulus``, amp, for ``pulse``, 1 ms into the window) at the
    soma of the chemical, the rectifying and the gap postsynaptic cell (backward), then of the
    presynaptic cell (forward).

    Raises ``ValueError`` when the presynaptic cell does not fire (raise ``stimulus``), when a
    cell is further than ``rest_tolerance`` from rest at the end of a window (a response spilled
    into the next one: lengthen ``window`` or weaken the coupling) or when a postsynaptic cell
    shows no response.

    Example
    -------
    >>> from brian2 import ms, um
    >>> from cablemodel import Cell, standard_cell, ball_and_stick
    >>> small = ball_and_stick(dendrite_length=300 * um, axon_length=100 * um,
    ...                        max_compartment_length=50 * um)
    >>> out = chemical_vs_electrical(standard_cell(small), Cell(small), engine="numpy",
    ...                              dt=0.1 * ms)
    >>> out.chemical_mV > 0 > out.inhibitory_mV, out.chemical_delay_ms > 1 > out.electrical_delay_ms
    (True, True)
    >>> out.chemical_backward_mV == out.rectifying_backward_mV == 0 < out.electrical_backward_mV
    True
    """
    exc = excitatory if excitatory is not None else ampa()
    inh = inhibitory if inhibitory is not None else gaba_a()
    if exc.name == inh.name:
        raise ValueError(f"excitatory and inhibitory receptors share the name {exc.name!r};"
                         " give one another name (e.g. gaba_a(name='gaba_a_inh'))")
    W = float(window / ms)
    t_stim, width = 1.0, float(pulse / ms)
    if W < t_stim + width + 5:
        raise ValueError(f"window ({W:g} ms) must be at least {t_stim + width + 5:g} ms")
    cells = {"pre": pre_cell, **{name: post_cell for name in _PAIR_CELLS[1:]}}
    connections = [Connection("pre", "chem", exc, site, weight, delay),
                   Connection("pre", "inhib", inh, site, inhibitory_weight, delay)]
    gaps = [GapJunction("soma", site, gap_conductance, "pre", "gap"),
            GapJunction("soma", site, gap_conductance, "pre", "rect", rectifying=True)]
    clamps = {name: [CurrentClamp("soma", stimulus, (k * W + t_stim) * ms,
                                  (k * W + t_stim + width) * ms)]
              for k, name in enumerate(_STIMULATED)}
    out = simulate_circuit(cells, connections=connections, gap_junctions=gaps, clamps=clamps,
                           record={name: [site] for name in _PAIR_CELLS[1:]},
                           duration=len(_STIMULATED) * W * ms, **simulate_args)

    def dv(name: str, k: int, where: str) -> tuple[np.ndarray, np.ndarray]:
        r = out[name]
        m = (r.t_ms >= k * W) & (r.t_ms < (k + 1) * W)
        return r.t_ms[m] - k * W, np.asarray(r.trace(where) / mV)[m] - r.v_rest_mV

    for name in out:
        for k in range(len(_STIMULATED) - 1):  # the windows followed by a measured one
            last = float(np.abs(dv(name, k, "soma")[1][-1]))
            if last > float(rest_tolerance / mV):
                raise ValueError(f"cell {name!r} is {last:.2f} mV from rest at the end of window {k}"
                                 f" (stimulated: {_STIMULATED[k]!r}); lengthen `window` (now {W:g}"
                                 " ms) or weaken the coupling so that no postsynaptic cell fires")
    fwd = len(_STIMULATED) - 1
    spikes = out["pre"].spikes_ms
    fired = spikes[(spikes >= fwd * W) & (spikes < (fwd + 1) * W)]
    if fired.size == 0:
        raise ValueError(f"the presynaptic cell did not fire to a {stimulus} pulse of {pulse};"
                         " raise `stimulus` or `pulse`")
    t_ap = float(fired[0] - fwd * W)
    t, pre = dv("pre", fwd, "soma")
    post = {name: dv(name, fwd, site)[1] for name in ("chem", "inhib", "gap", "rect")}
    after = t >= t_stim

    def delay_of(name: str) -> float:
        onset = _onset(t[after], post[name][after])
        if onset is None:
            raise ValueError(f"no postsynaptic response through {name!r}; raise its weight")
        return onset - t_ap

    trough = int(np.argmin(post["gap"]))
    back = {}
    for k, name in enumerate(_STIMULATED[:fwd]):
        back[name] = float(np.max(dv("pre", k, "soma")[1][_first_excursion(dv(name, k, "soma")[1])],
                                  initial=0.0))
    return SynapseComparisonResult(
        str(site), float(delay / ms), t_ap, _signed_peak(post["chem"]), _signed_peak(post["inhib"]),
        _signed_peak(post["gap"]), _signed_peak(post["rect"]), delay_of("chem"), delay_of("inhib"),
        delay_of("gap"), float(post["gap"][trough]), float(pre[trough]), back["chem"], back["gap"],
        back["rect"], t, pre,
        post["chem"], post["inhib"], post["gap"],
        {name: out[name].spike_count(fwd * W * ms, (fwd + 1) * W * ms) for name in post}, out)


def _shape(t_ms: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """Signed peak, its time (ms), half-width (ms, between the half-peak crossings) and area
    (integral over ``t_ms``) of a response ``y`` that starts and ends at 0."""
    peak = _signed_peak(y)
    i = int(np.argmax(np.abs(y)))
    above = np.flatnonzero(y * np.sign(peak) >= abs(peak) / 2) if peak else np.array([i])
    half = float(t_ms[above[-1]] - t_ms[above[0]]) if above.size > 1 else 0.0
    return peak, float(t_ms[i]), half, float(np.trapezoid(y, t_ms))


def _tail_tau(t_ms: np.ndarray, g: np.ndarray, hi: float, lo: float) -> float:
    """Decay time constant (ms) of ``g`` from a straight-line fit of ``ln g`` against time over
    the samples after the peak where ``lo <= g/peak <= hi``."""
    i = int(np.argmax(g))
    rel = g[i:] / g[i]
    m = (rel <= hi) & (rel >= lo)
    if m.sum() < 5:
        raise ValueError(f"the conductance does not fall from {hi:g} to {lo:g} of its peak within"
                         " the trial; lengthen `period`")
    slope = np.polyfit(t_ms[i:][m], np.log(rel[m]), 1)[0]
    return float(-1 / slope)


@dataclass(frozen=True, eq=False)
class ClearanceResult:
    """One release with normal clearance and with the ``block`` pathway of the cleft scaled by
    ``factor`` (0: blocked). Per condition (``*_normal``, ``*_blocked``): the cleft's total
    clearance rate ``k_total_*`` (1/ms); ``g_*`` = (peak (nS), half-width (ms), area (nS ms),
    tail decay time constant (ms, fitted where g falls from ``tail_window[0]`` to
    ``tail_window[1]`` of its peak)) of the conductance at the synapse; ``v_*`` = (peak (mV
    from rest), half-width (ms), area (mV ms)) of the potential at ``site``.

    Prediction: once the cleft is cleared, binding ``dr/dt = alpha [T] (1 - r) - beta r`` is
    linear, so ``g`` decays as the sum of ``exp(-k_total t)`` and ``exp(-beta t)``: its tail
    time constant is ``1/min(k_total, beta)`` (``predicted_tau_*``). Blocking clearance prolongs
    the tail only while ``k_total`` stays below the unbinding rate ``beta``.

    Arrays: ``t_ms`` (from the trial start; release at ``release_ms``), ``g_*_nS``, ``v_*_mV``.
    """

    receptor: str
    block: str
    factor: float
    site: str
    release_ms: float
    beta_per_ms: float
    k_total_normal: float
    k_total_blocked: float
    tail_window: tuple[float, float]
    g_normal: tuple[float, float, float, float]
    g_blocked: tuple[float, float, float, float]
    v_normal: tuple[float, float, float]
    v_blocked: tuple[float, float, float]
    t_ms: np.ndarray
    g_normal_nS: np.ndarray
    g_blocked_nS: np.ndarray
    v_normal_mV: np.ndarray
    v_blocked_mV: np.ndarray

    @property
    def predicted_tau_normal(self) -> float:
        return 1 / min(self.k_total_normal, self.beta_per_ms)

    @property
    def predicted_tau_blocked(self) -> float:
        return 1 / min(self.k_total_blocked, self.beta_per_ms)

    @property
    def tau_normal(self) -> float:
        return self.g_normal[3]

    @property
    def tau_blocked(self) -> float:
        return self.g_blocked[3]

    @property
    def prolongation(self) -> float:
        """Measured tail time constant, blocked / normal."""
        return self.tau_blocked / self.tau_normal

    @property
    def predicted_prolongation(self) -> float:
        return self.predicted_tau_blocked / self.predicted_tau_normal

    def plot(self, ax=None):
        """Conductance (left) and potential at ``site`` (right, dashed) of both conditions
        against time; the title compares the measured and predicted prolongation."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 4), layout="constrained")[1]
        what = f"{self.block} x{self.factor:g}" if self.factor else f"{self.block} blocked"
        ax.plot(self.t_ms, self.g_normal_nS, color="C0", label="g, normal clearance")
        ax.plot(self.t_ms, self.g_blocked_nS, color="C3", label=f"g, {what}")
        ax.set_xlabel("time in trial (ms)")
        ax.set_ylabel(f"{self.receptor} conductance (nS)")
        ax.legend(fontsize=8, loc="upper right")
        v = ax.twinx()
        v.plot(self.t_ms, self.v_normal_mV, "--", color="C0")
        v.plot(self.t_ms, self.v_blocked_mV, "--", color="C3")
        v.set_ylabel(f"V at {self.site} (mV from rest), dashed")
        ax.set_title(f"{what}: g tail {self.tau_normal:.2f} -> {self.tau_blocked:.2f} ms"
                     f" (x{self.prolongation:.2f}; 1/min(k_total, beta) predicts"
                     f" x{self.predicted_prolongation:.2f})", fontsize=9)
        return ax


def _scaled_cleft(cleft: Cleft, block: str, factor: float) -> Cleft:
    rate = cleft.rates().get(block)
    if rate is None:
        raise ValueError(f"block must be one of 'reuptake', 'enzyme', 'diffusion', got {block!r}")
    if float(rate * ms) == 0:
        raise ValueError(f"the {cleft.transmitter} cleft has no {block} pathway (k_{block} = 0):"
                         f" nothing to block; its rates are {cleft.rates()}")
    if not 0 <= factor < 1:
        raise ValueError(f"factor (the fraction of the {block} rate left) must be in [0, 1), got {factor}")
    if factor == 0:
        return cleft.blocked(block)
    return replace(cleft, **{f"k_{block}": rate * factor})


def clearance_blockade(cell: Cell, receptor: Ionotropic | None = None, block: str = "reuptake",
                       factor: float = 0.0, site: str = "soma", weight: Quantity = 1 * nS,
                       period: Quantity = 60 * ms, tail_window: tuple[float, float] = (1e-2, 1e-4),
                       **simulate_args) -> ClearanceResult:
    """One release at ``site`` onto ``receptor`` (an ionotropic kit receptor with a cleft;
    default ``ampa(cleft=GLUTAMATE)``), with normal clearance and with the ``block`` pathway
    (``"reuptake"``, ``"enzyme"``; ``"diffusion"`` only scaled) scaled by ``factor`` (0 =
    blocked). The same receptor number in both trials: ``weight`` (siemens) is the peak
    conductance with normal clearance. Two trials of one simulation
    (:func:`~cablemodel.sweeps.run_trials`), release 1 ms into each.

    Example
    -------
    >>> from brian2 import ms, um
    >>> from cablemodel import Cell, ball_and_stick
    >>> cell = Cell(ball_and_stick(dendrite_length=300 * um, max_compartment_length=50 * um))
    >>> out = clearance_blockade(cell, engine="numpy", dt=0.1 * ms)
    >>> round(out.predicted_prolongation, 3), abs(out.prolongation / out.predicted_prolongation - 1) < 0.02
    (1.667, True)
    """
    rec = receptor if receptor is not None else ampa(cleft=GLUTAMATE)
    if not isinstance(rec, Ionotropic) or rec.cleft is None:
        raise ValueError(f"receptor must be an ionotropic kit receptor with a cleft (e.g."
                         f" ampa(cleft=GLUTAMATE)), got {rec!r}")
    blocked = replace(rec, cleft=_scaled_cleft(rec.cleft, block, float(factor)))
    # g = w f r with f normalised on the (scaled) cleft: keep w*f, the receptor number, equal
    w_blocked = weight * rec.normalization / blocked.normalization
    release = 1.0
    trials = [Trial([Synapse(rec, site, weight, spike_times([release] * ms))], "normal"),
              Trial([Synapse(blocked, site, w_blocked, spike_times([release] * ms))], "blocked")]
    ts = run_trials(cell, trials, period=period, record=[f"g_syn@{site}"], **simulate_args)
    g_all = np.asarray(ts.result.trace(f"g_syn@{site}") / nS)
    g_sum = g_all.sum(axis=0) if g_all.ndim == 2 else g_all
    rest = float(ts.result.v_rest_mV)
    t, g, v = None, [], []
    for k in range(2):
        lo, hi = (float(x / ms) for x in ts.window(k))
        m = (ts.result.t_ms >= lo) & (ts.result.t_ms < hi)
        t = ts.result.t_ms[m] - lo
        g.append(g_sum[m])
        v.append(np.asarray(ts.trace(k, str(site))[1] / mV) - rest)
    shapes = [(p, hw, a, _tail_tau(t, gk, *tail_window))
              for gk, (p, _, hw, a) in zip(g, (_shape(t, gk) for gk in g), strict=True)]
    vshapes = [(p, hw, a) for p, _, hw, a in (_shape(t, vk) for vk in v)]
    return ClearanceResult(rec.name, block, float(factor), str(site), release,
                           float(rec.beta * ms), float(rec.cleft.k_total * ms),
                           float(blocked.cleft.k_total * ms), tuple(tail_window), *shapes,
                           *vshapes, t, g[0], g[1], v[0], v[1])


@dataclass(frozen=True, eq=False)
class DopamineResult:
    """One dopamine release at ``site`` onto D1 and, in a second copy of the cell, onto D2
    receptors (the same cleft, cascade and ``weight``), and an AMPA event of the same peak
    conductance in a third copy as the fast reference. Per receptor: the reversal of the
    coupled channel (mV), the signed peak of the potential at ``site`` (mV from rest), its time
    after the release (ms) and its half-width (ms).

    In this kit D1 is coupled to a non-selective cation channel (reversal near 0 mV:
    depolarising, a stand-in for D1's Gs/PKA-mediated excitation) and D2 to GIRK K+ channels
    (reversal E_K: hyperpolarising, Gi/o); both through the same G-protein cascade
    (:func:`cablemodel.mechanisms.receptors.metabotropic`), so they differ only in sign.

    Arrays: ``t_ms`` (release at ``release_ms``), ``d1_mV``, ``d2_mV``, ``ampa_mV``.
    """

    site: str
    weight_nS: float
    release_ms: float
    reversal_mV: dict[str, float]
    peak_mV: dict[str, float]
    time_to_peak_ms: dict[str, float]
    half_width_ms: dict[str, float]
    t_ms: np.ndarray
    d1_mV: np.ndarray
    d2_mV: np.ndarray
    ampa_mV: np.ndarray
    results: dict[str, Result]

    @property
    def slowing(self) -> float:
        """Time to peak of the D1 and D2 responses (their mean) / that of the AMPA EPSP."""
        return (self.time_to_peak_ms["d1"] + self.time_to_peak_ms["d2"]) / 2 / self.time_to_peak_ms["ampa"]

    def plot(self, ax=None):
        """Potential at ``site`` after the release, D1, D2 and AMPA, against time; returns the
        axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 4), layout="constrained")[1]
        for name, trace in (("d1", self.d1_mV), ("d2", self.d2_mV), ("ampa", self.ampa_mV)):
            ax.plot(self.t_ms, trace, label=f"{name}: {self.peak_mV[name]:+.2f} mV at"
                    f" {self.time_to_peak_ms[name]:.1f} ms (E = {self.reversal_mV[name]:.1f} mV)")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel(f"V at {self.site} (mV from rest)")
        ax.set_title(f"one release, {self.weight_nS:g} nS: D1 {self.peak_mV['d1']:+.2f} mV, D2"
                     f" {self.peak_mV['d2']:+.2f} mV; they peak {self.slowing:.0f}x later than AMPA",
                     fontsize=9)
        ax.legend(fontsize=8)
        return ax


def d1_vs_d2(cell: Cell, site: str = "soma", weight: Quantity = 1 * nS,
             duration: Quantity = 800 * ms, d1_receptor: Metabotropic | None = None,
             d2_receptor: Metabotropic | None = None, **simulate_args) -> DopamineResult:
    """One dopamine release (1 ms into the run) at ``site`` onto ``d1_receptor`` (default
    :func:`~cablemodel.mechanisms.receptors.d1`), the same onto ``d2_receptor`` (default
    :func:`~cablemodel.mechanisms.receptors.d2`) and an AMPA event, all of peak conductance
    ``weight`` (siemens), each in its own copy of ``cell`` (one simulation of ``duration``).

    Example
    -------
    >>> from brian2 import ms, um
    >>> from cablemodel import Cell, ball_and_stick
    >>> cell = Cell(ball_and_stick(dendrite_length=300 * um, max_compartment_length=50 * um))
    >>> out = d1_vs_d2(cell, duration=500 * ms, engine="numpy", dt=0.5 * ms)
    >>> out.peak_mV["d1"] > 0 > out.peak_mV["d2"], out.slowing > 20
    (True, True)
    """
    recs = {"d1": d1_receptor if d1_receptor is not None else d1(),
            "d2": d2_receptor if d2_receptor is not None else d2(), "ampa": ampa()}
    names = [r.name for r in recs.values()]
    if len(set(names)) != 3:
        raise ValueError(f"the D1, D2 and AMPA receptors need distinct names, got {names}")
    release = 1.0
    inputs = {k: [Synapse(r, site, weight, spike_times([release] * ms))] for k, r in recs.items()}
    out = simulate_circuit(dict.fromkeys(recs, cell), inputs, duration=duration, **simulate_args)
    traces, peak, tpeak, half = {}, {}, {}, {}
    for k, r in out.items():
        t = r.t_ms
        traces[k] = np.asarray(r.trace(site) / mV) - r.v_rest_mV
        p, tp, hw, _ = _shape(t, traces[k])
        if traces[k][-1] * np.sign(p) > abs(p) / 2:
            raise ValueError(f"the {k} response has not fallen below half its peak by the end of"
                             f" the run; lengthen `duration` (now {duration})")
        peak[k], tpeak[k], half[k] = p, tp - release, hw
    return DopamineResult(str(site), float(weight / nS), release,
                          {k: float(r.reversal / mV) for k, r in recs.items()}, peak, tpeak, half,
                          out["d1"].t_ms, traces["d1"], traces["d2"], traces["ampa"], out)
