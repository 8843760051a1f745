"""Ion experiments: the reversal potential of an ion-selective synaptic current against the
ion's concentration, measured under voltage clamp and compared with the Nernst equation.

The measurement is the experimentalist's: the cell is voltage-clamped at ``site`` at several
holding potentials; a synaptic conductance selective for the ion opens at the same site; the
clamp current it adds (baseline subtracted) at the conductance peak changes sign where the
holding potential crosses the reversal potential, found from a straight-line fit of that
current against the clamped potential (the synaptic current is ohmic: ``g (E - v)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Mohm, Quantity, mM, ms, mV, nA, nS

from ..cell import Cell
from ..mechanisms.ions import DEFAULT_IONS, Ions, ion_key, nernst
from ..mechanisms.receptors import gaba_a
from ..mechanisms.stimuli import Step, VoltageClamp
from ..mechanisms.synapses import Receptor, Synapse, spike_times
from ..simulation.engine import simulate
from ..simulation.results import Result
from ..units import quantity

__all__ = ["reversal_vs_concentration", "ReversalResult", "DEFAULT_CONCENTRATIONS",
           "nernst_slope"]

#: Default concentrations (mM) and the side that is varied, per ion.
DEFAULT_CONCENTRATIONS = {"cl": ((3, 7, 15, 30, 60), "in"), "k": ((2.5, 5, 10, 20, 40), "out"),
                          "na": ((18, 36, 72, 145), "out")}
#: Baseline before each event used for the linear baseline of the clamp current (ms).
BASELINE = 3.0


def nernst_slope(ion: str, side: str, celsius: float = 37.0) -> float:
    """Slope of the Nernst potential against log10 of the ``side`` concentration (mV/decade):
    ``ln(10) RT/(zF)``, positive for the outside concentration of a cation.

    Example
    -------
    >>> round(nernst_slope("k", "out"), 2), round(nernst_slope("cl", "in", 20.0), 2)
    (61.54, 58.17)
    """
    e10 = float(nernst(ion, 1 * mM, 10 * mM, celsius) / mV)
    return e10 if side == "out" else -e10


@dataclass(frozen=True, eq=False)
class ReversalResult:
    """Reversal potential of an ``ion``-selective synaptic current against the ``side``
    (``"in"``/``"out"``) concentration ``concentrations_mM`` (the other side at ``other_mM``):
    ``nernst_mV`` (theory, at ``celsius``) and ``measured_mV`` (voltage clamp at
    ``holdings_mV``; ``current_nA`` is the clamp current of each event at its conductance
    peak, concentrations x holdings, positive into the cell; ``clamped_mV`` the potential the
    clamp held before it). ``slope`` and ``theory_slope``: mV per decade of concentration.
    """

    ion: str
    side: str
    celsius: float
    other_mM: float
    concentrations_mM: np.ndarray
    nernst_mV: np.ndarray
    measured_mV: np.ndarray
    holdings_mV: np.ndarray
    clamped_mV: np.ndarray
    current_nA: np.ndarray
    result: Result

    @property
    def error_mV(self) -> float:
        """Largest |measured - Nernst| (mV)."""
        return float(np.max(np.abs(self.measured_mV - self.nernst_mV)))

    @property
    def slope(self) -> float:
        """Measured reversal against log10(concentration), fitted slope (mV/decade)."""
        return float(np.polyfit(np.log10(self.concentrations_mM), self.measured_mV, 1)[0])

    @property
    def theory_slope(self) -> float:
        return nernst_slope(self.ion, self.side, self.celsius)

    def plot(self, ax=None):
        """Measured reversal (markers) and the Nernst equation (line) against the concentration
        (log axis); returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(5, 3.5), layout="constrained")[1]
        c = self.concentrations_mM
        dense = np.geomspace(c.min(), c.max(), 100)
        side = {"in": "inside", "out": "outside"}[self.side]
        ion = {"k": "K+", "na": "Na+", "cl": "Cl-", "ca": "Ca2+"}[self.ion]
        pairs = [(x, self.other_mM) if self.side == "in" else (self.other_mM, x) for x in dense]
        theory = [float(nernst(self.ion, ci * mM, co * mM, self.celsius) / mV) for ci, co in pairs]
        ax.plot(dense, theory, "-", color="0.5", label=f"Nernst ({self.theory_slope:.1f} mV/decade)")
        ax.plot(c, self.measured_mV, "o", label=f"voltage clamp ({self.slope:.1f} mV/decade)")
        ax.set_xscale("log")
        ax.set_xticks(c, [f"{x:g}" for x in c])
        ax.minorticks_off()
        ax.set_xlabel(f"[{ion}] {side} (mM)")
        ax.set_ylabel(f"reversal potential of the {ion} current (mV)")
        ax.set_title(f"measured vs Nernst at {self.celsius:g} degC: largest difference"
                     f" {self.error_mV:.3f} mV", fontsize=9)
        ax.legend(fontsize=8)
        return ax


def _receptor(ion: str, ions: Ions, k: int) -> Receptor:
    if ion == "cl":
        return gaba_a(ions=ions, name=f"gaba_a_{k}")
    return Receptor(f"{ion}_selective_{k}", ions.E(ion), 0.5 * ms, 8.0 * ms)


def _baseline(t: np.ndarray, i: np.ndarray, at: float, previous: Receptor | None,
              t_previous: float) -> float:
    """Clamp current at ``at`` without the event: fitted to the baseline samples ``(t, i)`` as
    a constant plus the decaying tail of the ``previous`` event (at ``t_previous``; its decay is
    ``exp(-t/tau_decay)`` once the rise is over), or a straight line when there is none."""
    if previous is None:
        return float(np.polyval(np.polyfit(t, i, 1), at))
    tau = float(previous.tau_decay / ms)
    basis = np.stack([np.ones_like(t), np.exp(-(t - t_previous) / tau)], axis=1)
    coef = np.linalg.lstsq(basis, i, rcond=None)[0]
    return float(coef[0] + coef[1] * np.exp(-(at - t_previous) / tau))


def reversal_vs_concentration(cell: Cell, ion: str = "cl", concentrations: Quantity | None = None,
                              side: str | None = None, ions: Ions = DEFAULT_IONS,
                              holdings: Quantity = (-90, -60, -30) * mV, site: str = "soma",
                              weight: Quantity = 5 * nS, settle: Quantity = 20 * ms,
                              interval: Quantity = 15 * ms,
                              series_resistance: Quantity = 1 * Mohm,
                              **simulate_args) -> ReversalResult:
    """Reversal potential of an ``ion``-selective synaptic current at ``site`` of ``cell`` for
    each of ``concentrations`` (mM) of the ion on ``side`` (``"in"`` or ``"out"``; defaults
    :data:`DEFAULT_CONCENTRATIONS`), the other concentrations from ``ions``: Nernst theory and
    the voltage-clamp measurement. The channel is the kit's GABA_A receptor for Cl-, for K+ and
    Na+ an ideally selective ligand-gated channel (rise 0.5 ms, decay 8 ms); its reversal is the
    Nernst potential of the concentrations it was built with, so the measurement checks that the
    clamp finds the current's zero where theory puts it.

    One simulation: per holding potential (volt) a block in which the clamp
    (``series_resistance``) at ``site`` holds it, ``settle`` for the cell to reach steady state,
    then one event of peak ``weight`` (siemens) per concentration, ``interval`` apart; the
    event's clamp current at the receptor's conductance peak minus the baseline (fitted to the
    last 3 ms before the event: a line, or after an event a constant plus that event's
    exponential tail).

    Example
    -------
    >>> from brian2 import mM, um
    >>> from cablemodel import Cell, ball_and_stick
    >>> cell = Cell(ball_and_stick(dendrite_length=200 * um, max_compartment_length=50 * um))
    >>> out = reversal_vs_concentration(cell, "k", [5, 50] * mM, engine="numpy", dt=0.1 * ms)
    >>> out.error_mV < 0.1, round(out.theory_slope, 1), abs(out.slope - out.theory_slope) < 0.5
    (True, 61.5, True)
    """
    key = ion_key(ion)
    if key not in DEFAULT_CONCENTRATIONS:
        raise ValueError(f"ion must be one of {sorted(DEFAULT_CONCENTRATIONS)}, got {ion!r}"
                         " (a Ca2+ current is not ohmic at these concentrations)")
    default_c, default_side = DEFAULT_CONCENTRATIONS[key]
    side = default_side if side is None else side
    if side not in ("in", "out"):
        raise ValueError(f"side must be 'in' or 'out', got {side!r}")
    conc = (np.asarray(default_c, dtype=float) if concentrations is None else
            np.atleast_1d(np.asarray(quantity(concentrations, mM, "concentrations") / mM, dtype=float)))
    hold = np.atleast_1d(np.asarray(quantity(holdings, mV, "holdings") / mV, dtype=float))
    if conc.size < 2 or np.any(conc <= 0) or len(set(conc.tolist())) != conc.size:
        raise ValueError(f"concentrations must be at least two distinct values > 0 mM, got {conc} mM")
    if hold.size < 2 or len(set(hold.tolist())) != hold.size:
        raise ValueError(f"holdings must be at least two distinct potentials, got {hold} mV")
    s_ms, p_ms = float(settle / ms), float(interval / ms)
    if s_ms < 2 * BASELINE or p_ms < 2 * BASELINE:
        raise ValueError(f"settle and interval must be >= {2 * BASELINE:g} ms, got {settle},"
                         f" {interval}")
    variants = [ions.replace(**{f"{key}_{side}": c * mM}) for c in conc]
    n_c = conc.size
    block = s_ms + n_c * p_ms
    command = None
    for j in range(1, hold.size):
        step = Step((hold[j] - hold[0]) * mV, j * block * ms, (j + 1) * block * ms)
        command = step if command is None else command + step
    clamp = VoltageClamp(site, hold[0] * mV, command, series_resistance)
    receptors = [_receptor(key, ions_i, i) for i, ions_i in enumerate(variants)]
    events = [[j * block + s_ms + i * p_ms for j in range(hold.size)] for i in range(n_c)]
    synapses = [Synapse(rec, site, weight, spike_times(ev * ms))
                for rec, ev in zip(receptors, events, strict=True)]
    result = simulate(cell, synapses, duration=hold.size * block * ms, clamps=[clamp],
                      record=[f"i_vclamp@{site}"], **simulate_args)
    t = result.t_ms
    i_cl = np.asarray(result.trace(f"i_vclamp@{site}") / nA)
    v = np.asarray(result.trace(site) / mV)
    current = np.empty((n_c, hold.size))
    clamped = np.empty((n_c, hold.size))
    for i, rec in enumerate(receptors):
        for j, t_event in enumerate(events[i]):
            base = (t >= t_event - BASELINE) & (t < t_event)
            at = int(np.argmin(np.abs(t - (t_event + float(rec.peak_time / ms)))))
            current[i, j] = float(i_cl[at] - _baseline(t[base], i_cl[base], t[at],
                                                       receptors[i - 1] if i else None,
                                                       t_event - p_ms))
            clamped[i, j] = float(np.mean(v[base]))
    measured = np.array([-b / a for a, b in (np.polyfit(clamped[i], current[i], 1)
                                             for i in range(n_c))])
    theory = np.array([float(x.E(key) / mV) for x in variants])
    other = float((ions.outside(key) if side == "in" else ions.inside(key)) / mM)
    return ReversalResult(key, side, float(ions.celsius), other, conc, theory, measured, hold, clamped,
                          current, result)
