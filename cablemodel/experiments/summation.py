"""Summation at the spike site: spatial (simultaneous EPSPs spread along a dendrite), temporal
(a train at one site, one trial per interval) and an IPSP vetoing the spike; on any cell.

Each experiment runs all its trials in one simulation (:func:`cablemodel.sweeps.run_trials`) and
returns a frozen result with its numbers, the trials and a ``.plot()`` whose title is computed
from those numbers.

Why the subthreshold traces at an HH spike site dip below rest after each EPSP: the membrane
is a resonator (K+ activation and Na+ inactivation lag the voltage by milliseconds at 6.3 degC
and leave a net outward current as V returns); on ``standard_cell(ball_and_stick())`` the 2.7 mV
hillock EPSP of a synapse at 25 um undershoots rest by 0.80 mV 9 ms after the event, and the
linearized hillock impedance peaks at about 70 Hz (99.9 against 43 Mohm at 1 Hz). See the
README's "Why?" section.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, nS, um

from ..cell import Cell
from ..mechanisms.synapses import AMPA, GABA_A, Receptor, Synapse, spike_times
from ..places import Location
from ..sweeps import Trial, TrialSet, run_trials
from .graded import path_sites
from .placement import dendrite_region, longest_path, path_start

__all__ = ["volley", "SpatialSummationResult", "spatial_summation", "TemporalSummationResult",
           "temporal_summation", "IPSPVetoResult", "ipsp_veto"]

ONSET = 5 * ms


def _span(cell: Cell, region: str | None, near: Quantity | None,
          far: Quantity | None) -> tuple[str, Quantity, Quantity]:
    """The region (default :func:`dendrite_region`) and the ends of a volley: ``near`` 50 um
    (or 5 um beyond :func:`path_start` when the path leaves the soma later), ``far`` 300 um (or
    half the longest path of the region when shorter)."""
    region = region or dendrite_region(cell)
    d0 = float(path_start(cell, region) / um)
    if near is None:
        near = max(50.0, round(d0 + 5)) * um
    if far is None:
        reach = float(cell.table.end[longest_path(cell, region)[-1]])
        far = max(min(300.0, round(0.5 * reach)), float(near / um)) * um
    return region, near, far


def volley(cell: Cell, n: int, near: Quantity | None = None, far: Quantity | None = None,
           region: str | None = None, weight: Quantity = 1 * nS, onset: Quantity = ONSET,
           receptor: Receptor = AMPA) -> list[Synapse]:
    """``n`` synapses (``receptor``, peak conductance ``weight``) spread evenly over path
    distances ``[near, far]`` along the longest path of ``region`` (:func:`path_sites`; default
    region :func:`dendrite_region`, near 50 um, far 300 um or half that path), all activated at
    ``onset``.
    One synapse sits at ``near``.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> [str(s.site) for s in volley(Cell(ball_and_stick()), 3, far=250 * um)]
    ['basal@50[dend]', 'basal@150[dend]', 'basal@250[dend]']
    """
    if n < 1:
        raise ValueError(f"a volley needs n >= 1 synapses, got {n}")
    region, near, far = _span(cell, region, near, far)
    lo, hi = float(near / um), float(far / um)
    ds = np.array([lo]) if n == 1 else np.linspace(lo, hi, n)
    sites = path_sites(cell, np.round(ds, 3) * um, region)
    return [Synapse(receptor, s, weight, spike_times([onset / ms] * ms)) for s in sites]


@dataclass(frozen=True)
class SpatialSummationResult:
    """Volleys of ``n = 1 .. len(spikes)`` simultaneous EPSPs over ``near_um``-``far_um`` of
    ``region``: spike count and peak at ``spike_site`` (mV from rest) per n; ``n_to_fire`` is
    the smallest n that fires (``None`` if none does)."""

    region: str
    near_um: float
    far_um: float
    weight_nS: float
    spike_site: str
    spikes: tuple[int, ...]
    peaks_mV: tuple[float, ...]
    trials: TrialSet

    @property
    def n_to_fire(self) -> int | None:
        return next((k + 1 for k, s in enumerate(self.spikes) if s > 0), None)

    def sentence(self) -> str:
        """What the numbers say, in words."""
        span = f"{self.near_um:g}-{self.far_um:g} um of the {self.region} dendrite"
        n = self.n_to_fire
        if n is None:
            return (f"up to {len(self.spikes)} simultaneous {self.weight_nS:g} nS EPSPs over {span}"
                    f" do not fire the {self.spike_site}")
        if n == 1:
            return f"one {self.weight_nS:g} nS EPSP at {self.near_um:g} um already fires the" \
                   f" {self.spike_site}"
        return (f"{n} simultaneous {self.weight_nS:g} nS EPSPs over {span} fire the"
                f" {self.spike_site} (peak {self.peaks_mV[n - 1]:.0f} mV above rest); {n - 1}"
                f" reach {self.peaks_mV[n - 2]:.1f} mV")

    def plot(self, ax=None):
        """Spike-site voltage of the volleys just below and at threshold (or the largest ones
        when none fires) against time; returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 3.5), layout="constrained")[1]
        n = self.n_to_fire or len(self.spikes)
        for k in range(max(n - 2, 0), n):
            t, v = self.trials.trace(k, self.spike_site)
            ax.plot(t / ms, v / mV, lw=1.2, label=f"{k + 1} EPSPs")
        ax.set_xlabel("time in trial (ms)")
        ax.set_ylabel(f"V at {self.spike_site} (mV)")
        ax.set_title(self.sentence(), fontsize=8, wrap=True)
        ax.legend(fontsize=8)
        return ax


def spatial_summation(cell: Cell, n_max: int = 40, near: Quantity | None = None,
                      far: Quantity | None = None, region: str | None = None,
                      weight: Quantity = 1 * nS, period: Quantity = 80 * ms,
                      **simulate_args) -> SpatialSummationResult:
    """Trials with n = 1..n_max simultaneous EPSPs (:func:`volley`) over ``[near, far]``.

    Example
    -------
    >>> from cablemodel import standard_cell, ball_and_stick
    >>> out = spatial_summation(standard_cell(ball_and_stick()), n_max=3, engine="numpy",
    ...                         dt=0.1 * ms)
    >>> out.spikes[0], out.far_um
    (0, 300.0)
    """
    region, near, far = _span(cell, region, near, far)
    trials = [Trial(volley(cell, n, near, far, region, weight), f"{n} EPSPs")
              for n in range(1, n_max + 1)]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    spike = cell.spike_site
    return SpatialSummationResult(
        region, float(near / um), float(far / um), float(weight / nS), spike,
        tuple(ts.spikes(k) for k in range(len(ts))),
        tuple(float(ts.peak(k, spike) / mV) for k in range(len(ts))), ts)


@dataclass(frozen=True)
class TemporalSummationResult:
    """Trains of ``n_spikes`` EPSPs at ``site``, one trial per interval (ms): spike count and peak
    at ``spike_site`` (mV from rest) per interval."""

    site: str
    spike_site: str
    weight_nS: float
    n_spikes: int
    onset_ms: float
    intervals_ms: tuple[float, ...]
    spikes: tuple[int, ...]
    peaks_mV: tuple[float, ...]
    trials: TrialSet

    @property
    def fires(self) -> tuple[bool, ...]:
        return tuple(s > 0 for s in self.spikes)

    @property
    def max_interval_ms(self) -> float | None:
        """The longest interval that fires (``None`` if none does)."""
        ok = [i for i, f in zip(self.intervals_ms, self.fires, strict=True) if f]
        return max(ok) if ok else None

    @property
    def min_interval_ms(self) -> float | None:
        ok = [i for i, f in zip(self.intervals_ms, self.fires, strict=True) if f]
        return min(ok) if ok else None

    def sentence(self) -> str:
        """What the numbers say, in words."""
        head = f"{self.n_spikes} EPSPs of {self.weight_nS:g} nS at {self.site}"
        lo, hi = self.min_interval_ms, self.max_interval_ms
        if hi is None:
            return f"{head}: no spike at any interval tested ({min(self.intervals_ms):g}-" \
                   f"{max(self.intervals_ms):g} ms)"
        firing = [i for i, f in zip(self.intervals_ms, self.fires, strict=True) if f]
        if lo == hi:
            text = f"{head}: fire the {self.spike_site} at interval {lo:g} ms only"
        elif firing == [i for i in self.intervals_ms if lo <= i <= hi]:
            text = f"{head}: fire the {self.spike_site} at intervals {lo:g}-{hi:g} ms"
        else:
            text = f"{head}: fire the {self.spike_site} at intervals " + \
                   ", ".join(f"{i:g}" for i in firing) + " ms"
        longer = [i for i in self.intervals_ms if i > hi]
        return text + (f", not at {min(longer):g} ms or longer" if longer else "")

    def window_ms(self) -> float:
        """The time axis of :meth:`plot`: the train at the first interval that no longer fires
        (the longest one otherwise) and 25 ms of decay."""
        hi = self.max_interval_ms
        longer = [i for i in self.intervals_ms if hi is None or i > hi]
        shown = min(longer) if longer else max(self.intervals_ms)
        return min(self.onset_ms + (self.n_spikes - 1) * shown + 25.0, self.trials.period_ms)

    def plot(self, ax=None):
        """Spike-site voltage per interval from the trial start, coloured in order of the interval
        (viridis; legend titled ``interval (ms)``), the time axis cut at :meth:`window_ms` so
        that the spikes stay readable (longer trains run on beyond it); returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6.5, 4), layout="constrained")[1]
        order = np.argsort(self.intervals_ms)
        colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.92, len(order)))
        for c, k in zip(colours, order, strict=True):
            t, v = self.trials.trace(int(k), self.spike_site)
            ax.plot(t / ms, v / mV, lw=1, color=c, label=f"{self.intervals_ms[k]:g}"
                    + (" (spike)" if self.fires[k] else ""))
        w = self.window_ms()
        ax.set_xlim(0, w)
        ax.set_xlabel(f"time in trial (ms; axis cut at {w:g} ms)")
        ax.set_ylabel(f"V at {self.spike_site} (mV)")
        ax.set_title(self.sentence(), fontsize=8, wrap=True)
        ax.legend(title="interval (ms)", fontsize=7, title_fontsize=8, ncol=2, loc="upper right")
        return ax


def temporal_summation(cell: Cell, site: str | Location | None = None, weight: Quantity = 1 * nS,
                       n_spikes: int = 10,
                       intervals: Quantity = (0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20) * ms,
                       period: Quantity | None = None,
                       **simulate_args) -> TemporalSummationResult:
    """A train of ``n_spikes`` AMPA events at ``site`` (default 100 um along the longest path of
    :func:`dendrite_region`, at least 5 um beyond :func:`path_start`), one trial per interval:
    which intervals fire the spike site.

    Example
    -------
    >>> from cablemodel import standard_cell, ball_and_stick
    >>> out = temporal_summation(standard_cell(ball_and_stick()), n_spikes=2,
    ...                          intervals=[20] * ms, engine="numpy", dt=0.1 * ms)
    >>> out.site, out.fires
    ('basal@100[dend]', (False,))
    """
    if site is None:
        region = dendrite_region(cell)
        reach = float(cell.table.end[longest_path(cell, region)[-1]])
        d0 = float(path_start(cell, region) / um)
        site = path_sites(cell, [max(min(100.0, round(0.5 * reach)), round(d0 + 5))] * um,
                          region)[0]
    iv = np.asarray(Quantity(intervals) / ms, dtype=float)
    t0 = float(ONSET / ms)
    # default: the train and 60 ms to decay, in whole ms (run_trials needs whole time steps)
    P = period if period is not None else np.ceil(t0 + n_spikes * iv.max() + 60) * ms
    trials = [Trial([Synapse(AMPA, site, weight, (t0 + np.arange(n_spikes) * i) * ms)],
                    f"{i:g} ms") for i in iv]
    ts = run_trials(cell, trials, period=P, **simulate_args)
    spike = cell.spike_site
    return TemporalSummationResult(
        str(site), spike, float(weight / nS), n_spikes, t0, tuple(iv.tolist()),
        tuple(ts.spikes(k) for k in range(len(ts))),
        tuple(float(ts.peak(k, spike) / mV) for k in range(len(ts))), ts)


@dataclass(frozen=True)
class IPSPVetoResult:
    """A volley of ``n_excitatory`` EPSPs alone and with one inhibitory event (``receptor``,
    reversal ``reversal_mV``) at ``ipsp_site`` ``ipsp_lead_ms`` earlier: spike counts and peaks
    at ``spike_site`` (mV from rest) of the two trials."""

    n_excitatory: int
    receptor: str
    reversal_mV: float
    ipsp_site: str
    ipsp_weight_nS: float
    ipsp_lead_ms: float
    spike_site: str
    spikes: tuple[int, int]
    peaks_mV: tuple[float, float]
    trials: TrialSet

    @property
    def fires_without_ipsp(self) -> bool:
        return self.spikes[0] > 0

    @property
    def fires_with_ipsp(self) -> bool:
        return self.spikes[1] > 0

    @property
    def vetoes(self) -> bool:
        """The volley fires alone but not with the inhibition."""
        return self.fires_without_ipsp and not self.fires_with_ipsp

    def sentence(self) -> str:
        """What the numbers say, in words."""
        alone = "fire" if self.fires_without_ipsp else "do not fire"
        with_i = "still fire" if self.fires_with_ipsp else (
            "no longer fire" if self.fires_without_ipsp else "do not fire either")
        return (f"{self.n_excitatory} EPSPs {alone} the {self.spike_site}"
                f" (peak {self.peaks_mV[0]:.1f} mV above rest); with one"
                f" {self.ipsp_weight_nS:g} nS {self.receptor} event (reversal"
                f" {self.reversal_mV:g} mV) at {self.ipsp_site} they {with_i}"
                f" ({self.peaks_mV[1]:.1f} mV)")

    def plot(self, ax=None):
        """Spike-site voltage of the two trials against time; returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 3.5), layout="constrained")[1]
        for k, trial in enumerate(self.trials.trials):
            t, v = self.trials.trace(k, self.spike_site)
            ax.plot(t / ms, v / mV, lw=1.2, label=trial.label)
        ax.set_xlabel("time in trial (ms)")
        ax.set_ylabel(f"V at {self.spike_site} (mV)")
        ax.set_title(self.sentence(), fontsize=8, wrap=True)
        ax.legend(fontsize=8)
        return ax


def ipsp_veto(cell: Cell, n_excitatory: int, near: Quantity | None = None,
              far: Quantity | None = None, region: str | None = None, weight: Quantity = 1 * nS,
              receptor: Receptor = GABA_A, ipsp_site: str | Location = "soma",
              ipsp_weight: Quantity = 5 * nS, ipsp_lead: Quantity = 1 * ms,
              period: Quantity = 80 * ms, **simulate_args) -> IPSPVetoResult:
    """The :func:`volley` of ``n_excitatory`` EPSPs alone, then with one inhibitory event
    (``receptor``, default GABA_A at -75 mV; e.g. :func:`shunting_receptor` for a shunt) at
    ``ipsp_site`` starting ``ipsp_lead`` earlier.

    Example
    -------
    >>> from cablemodel import standard_cell, ball_and_stick
    >>> out = ipsp_veto(standard_cell(ball_and_stick()), 1, engine="numpy", dt=0.1 * ms)
    >>> out.fires_without_ipsp, out.fires_with_ipsp, out.reversal_mV
    (False, False, -75.0)
    """
    syn = volley(cell, n_excitatory, near, far, region, weight, onset=ONSET + ipsp_lead)
    ipsp = Synapse(receptor, ipsp_site, ipsp_weight, spike_times([ONSET / ms] * ms))
    trials = [Trial(syn, "EPSPs"), Trial([*syn, ipsp], f"EPSPs + {receptor.name} at {ipsp_site}")]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    spike = cell.spike_site
    return IPSPVetoResult(n_excitatory, receptor.name, float(receptor.reversal / mV),
                          str(ipsp_site), float(ipsp_weight / nS), float(ipsp_lead / ms), spike,
                          (ts.spikes(0), ts.spikes(1)),
                          (float(ts.peak(0, spike) / mV), float(ts.peak(1, spike) / mV)), ts)

