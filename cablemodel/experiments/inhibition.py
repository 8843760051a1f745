"""Inhibition experiments: shunting vs hyperpolarising inhibition on and off the path of an
EPSP to the soma, and excitation meeting inhibition (linear vs measured sum).

Each runs all its trials in one simulation (:func:`cablemodel.sweeps.run_trials`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, nS

from ..cell import Cell
from ..mechanisms.synapses import AMPA, GABA_A, Receptor, Synapse, spike_times
from ..places import Location, parse_site
from ..sweeps import Trial, TrialSet, run_trials
from .placement import inhibition_sites

__all__ = ["shunting_receptor", "shunting_inhibition", "ShuntingResult", "ei_cancellation",
           "EIResult"]

ONSET = 5 * ms


def shunting_receptor(cell: Cell, like: Receptor = GABA_A) -> Receptor:
    """A copy of ``like`` (its time course) whose reversal is the cell's resting potential:
    it opens a conductance but drives no current at rest (a pure shunt).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> cell = Cell(ball_and_stick())
    >>> bool(shunting_receptor(cell).reversal == cell.v_rest)
    True
    """
    return Receptor(f"{like.name}_shunt", cell.v_rest, like.tau_rise, like.tau_decay)


@dataclass(frozen=True)
class ShuntingResult:
    """Soma peaks (signed deviations from rest, mV) of the EPSP alone, the IPSP alone and both
    together with the inhibitory synapse on the path (between the EPSP and the soma) or off it;
    ``veto_on_path`` / ``veto_off_path`` = 1 - together / EPSP alone; the sites and their path
    distances from the soma (um); the trials."""

    reversal_mV: float
    excitatory: str
    on_path: str
    off_path: str
    distances_um: tuple[float, float, float]
    epsp_mV: float
    ipsp_mV: float
    on_path_mV: float
    off_path_mV: float
    trials: TrialSet

    @property
    def veto_on_path(self) -> float:
        return 1 - self.on_path_mV / self.epsp_mV

    @property
    def veto_off_path(self) -> float:
        return 1 - self.off_path_mV / self.epsp_mV

    def plot(self, ax=None):
        """Soma voltage of the four trials against time (labelled axes); returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 3.5), layout="constrained")[1]
        for k, trial in enumerate(self.trials.trials):
            t, v = self.trials.trace(k, "soma")
            ax.plot(t / ms, v / mV, label=trial.label)
        ax.set_xlabel("time in trial (ms)")
        ax.set_ylabel("soma V (mV)")
        ax.set_title(f"inhibition reversing at {self.reversal_mV:.1f} mV:"
                     f" veto {self.veto_on_path:.0%} on path, {self.veto_off_path:.0%} off path")
        ax.legend(fontsize=8)
        return ax


def shunting_inhibition(cell: Cell, receptor: Receptor | None = None,
                        excitatory: str | Location | None = None,
                        on_path: str | Location | None = None,
                        off_path: str | Location | None = None, weight: Quantity = 2 * nS,
                        inhibitory_weight: Quantity = 20 * nS, lead: Quantity = 1 * ms,
                        period: Quantity = 80 * ms, **simulate_args) -> ShuntingResult:
    """One AMPA EPSP at ``excitatory`` alone, one inhibitory event alone (at ``on_path``), and
    both with the inhibition (starting ``lead`` earlier) at ``on_path`` or at ``off_path``.

    ``receptor`` is the inhibitory receptor (default :func:`shunting_receptor`, reversal at
    rest: no visible IPSP, yet it divides the EPSP); pass ``GABA_A`` (-75 mV) for
    hyperpolarising inhibition. Weights are peak conductances (siemens). Sites not given are
    chosen by :func:`~cablemodel.experiments.inhibition_sites` (on the ball-and-stick
    ``basal@300``, ``basal@100`` and ``basal@500``; on a branched cell the off-path site is on
    another dendrite, at the on-path site's distance).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> out = shunting_inhibition(Cell(ball_and_stick()), engine="numpy")
    >>> abs(out.ipsp_mV) < 0.05, out.veto_on_path > out.veto_off_path
    (True, True)
    """
    rec = receptor if receptor is not None else shunting_receptor(cell)
    excitatory, on_path, off_path = _sites(cell, excitatory, on_path, off_path)
    epsp = Synapse(AMPA, excitatory, weight, spike_times([(ONSET + lead) / ms] * ms))

    def ipsp(site: str) -> Synapse:
        return Synapse(rec, site, inhibitory_weight, spike_times([ONSET / ms] * ms))

    trials = [Trial([epsp], "EPSP alone"), Trial([ipsp(on_path)], "IPSP alone"),
              Trial([epsp, ipsp(on_path)], f"EPSP + IPSP on path ({on_path})"),
              Trial([epsp, ipsp(off_path)], f"EPSP + IPSP off path ({off_path})")]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    peaks = [float(ts.peak(k, "soma") / mV) for k in range(len(trials))]
    dist = tuple(float(cell.table.distance[parse_site(s).resolve(cell.table)])
                 for s in (excitatory, on_path, off_path))
    return ShuntingResult(float(rec.reversal / mV), str(excitatory), str(on_path), str(off_path),
                          dist, *peaks, trials=ts)


def _sites(cell: Cell, *given):
    """The given sites, the missing ones from :func:`inhibition_sites`."""
    if all(g is not None for g in given):
        return given
    auto = inhibition_sites(cell)
    return tuple(g if g is not None else a
                 for g, a in zip(given, (auto.excitatory, auto.on_path, auto.off_path), strict=True))


@dataclass(frozen=True)
class EIResult:
    """Excitation meeting inhibition, at ``label``: the EPSP peak (mV) alone and under
    inhibition (the joint response minus the lone inhibitory one). A linear sum predicts them
    equal; ``ratio`` = under inhibition / alone (< 1: sublinear, the conductance divides)."""

    label: str
    epsp_alone_mV: float
    epsp_under_inhibition_mV: float
    trials: TrialSet

    @property
    def ratio(self) -> float:
        return self.epsp_under_inhibition_mV / self.epsp_alone_mV

    def plot(self, ax=None):
        """Lone, linear-sum and measured traces at ``label``; returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 3.5), layout="constrained")[1]
        rest = float(self.trials.result.v_rest_mV)
        (t, ve), (_, vi), (_, vb) = (self.trials.trace(k, self.label) for k in range(3))
        for v, name in ((ve, "E alone"), (vi, "I alone"), (vb, "E + I measured")):
            ax.plot(t / ms, v / mV - rest, label=name)
        ax.plot(t / ms, ve / mV + vi / mV - 2 * rest, "k--", label="E + I linear sum")
        ax.set_xlabel("time in trial (ms)")
        ax.set_ylabel(f"V at {self.label} (mV from rest)")
        ax.set_title(f"E/I: the EPSP under inhibition is {self.ratio:.0%} of the linear sum's")
        ax.legend(fontsize=8)
        return ax


def ei_cancellation(cell: Cell, receptor: Receptor = GABA_A,
                    excitatory: str | Location | None = None,
                    inhibitory: str | Location | None = None, weight: Quantity = 2 * nS,
                    inhibitory_weight: Quantity = 20 * nS, lead: Quantity = 1 * ms,
                    label: str = "soma", period: Quantity = 80 * ms,
                    **simulate_args) -> EIResult:
    """An AMPA EPSP at ``excitatory`` alone, an inhibitory event (``receptor``, ``lead``
    earlier) at ``inhibitory`` alone, and both: the linear sum of the lone responses at
    ``label`` against the measured joint one. Weights are peak conductances (siemens). Sites not
    given are the excitatory and on-path sites of
    :func:`~cablemodel.experiments.inhibition_sites`.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> from cablemodel.experiments import shunting_receptor
    >>> cell = Cell(ball_and_stick())
    >>> out = ei_cancellation(cell, shunting_receptor(cell), engine="numpy")
    >>> out.ratio < 0.5
    True
    """
    excitatory, inhibitory, _ = _sites(cell, excitatory, inhibitory, "soma")
    epsp = Synapse(AMPA, excitatory, weight, spike_times([(ONSET + lead) / ms] * ms))
    ipsp = Synapse(receptor, inhibitory, inhibitory_weight, spike_times([ONSET / ms] * ms))
    trials = [Trial([epsp], "E alone"), Trial([ipsp], "I alone"), Trial([epsp, ipsp], "E + I")]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    rest = float(ts.result.v_rest_mV)
    dv = [np.asarray(ts.trace(k, label)[1] / mV) - rest for k in range(3)]
    return EIResult(label, float(np.max(dv[0])), float(np.max(dv[2] - dv[1])), ts)
