"""Inhibition experiments: shunting vs hyperpolarising inhibition on and off the path of an
EPSP to the soma, and excitation meeting inhibition (linear vs measured sum).

Each runs all its trials in one simulation (:func:`cablemodel.sweeps.run_trials`).
"""

from __future__ import annotations

from dataclasses import dataclass

from brian2 import Quantity, ms, mV, nS

from ..cell import Cell
from ..mechanisms.synapses import AMPA, GABA_A, Receptor, Synapse, spike_times
from ..sweeps import Trial, TrialSet, run_trials

__all__ = ["shunting_receptor", "shunting_inhibition", "ShuntingResult"]

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
    ``veto_on_path`` / ``veto_off_path`` = 1 - together / EPSP alone; the trials."""

    reversal_mV: float
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

        ax = ax or plt.subplots(figsize=(6, 3.5))[1]
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
                        excitatory: str = "basal@300", on_path: str = "basal@100",
                        off_path: str = "basal@500", weight: Quantity = 2 * nS,
                        inhibitory_weight: Quantity = 20 * nS, lead: Quantity = 1 * ms,
                        period: Quantity = 80 * ms, **simulate_args) -> ShuntingResult:
    """One AMPA EPSP at ``excitatory`` alone, one inhibitory event alone (at ``on_path``), and
    both with the inhibition (starting ``lead`` earlier) at ``on_path`` or at ``off_path``.

    ``receptor`` is the inhibitory receptor (default :func:`shunting_receptor`, reversal at
    rest: no visible IPSP, yet it divides the EPSP); pass ``GABA_A`` (-75 mV) for
    hyperpolarising inhibition. Weights are peak conductances (siemens).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> out = shunting_inhibition(Cell(ball_and_stick()), engine="numpy")
    >>> abs(out.ipsp_mV) < 0.05, out.veto_on_path > out.veto_off_path
    (True, True)
    """
    rec = receptor if receptor is not None else shunting_receptor(cell)
    epsp = Synapse(AMPA, excitatory, weight, spike_times([(ONSET + lead) / ms] * ms))

    def ipsp(site: str) -> Synapse:
        return Synapse(rec, site, inhibitory_weight, spike_times([ONSET / ms] * ms))

    trials = [Trial([epsp], "EPSP alone"), Trial([ipsp(on_path)], "IPSP alone"),
              Trial([epsp, ipsp(on_path)], f"EPSP + IPSP on path ({on_path})"),
              Trial([epsp, ipsp(off_path)], f"EPSP + IPSP off path ({off_path})")]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    peaks = [float(ts.peak(k, "soma") / mV) for k in range(len(trials))]
    return ShuntingResult(float(rec.reversal / mV), *peaks, trials=ts)
