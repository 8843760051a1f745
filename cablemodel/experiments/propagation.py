"""Propagation of the action potential: without decrement along an axon while a graded
potential decays (:func:`propagation`), one way and annihilated in collisions because the
membrane behind a spike is refractory (:func:`collision`), and faster, saltatory, along a
myelinated axon (:func:`conduction`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, meter, ms, mV, nA, nS, second, um

from ..analysis import fit_length_constant
from ..analysis.conduction import arrival_times, conduction_velocity
from ..cell import Cell
from ..fibre import HH_CELSIUS, myelinated_cell, unmyelinated_cell
from ..mechanisms.synapses import AMPA, CurrentClamp, Receptor, Synapse, spike_times
from ..morphology.myelin import axon_fibre, lamellae, myelinate
from ..places import at
from ..simulation.engine import SimulationError, simulate
from ..sweeps import Trial, TrialSet, run_trials
from .attenuation import _with_requests, distances_on_path, site_distances
from .graded import _farthest_section, _path, path_sites, theory_length_constant

__all__ = ["passive_copy", "propagation", "PropagationResult", "collision", "CollisionResult",
           "conduction", "ConductionResult"]

MS = meter / second


def passive_copy(cell: Cell) -> Cell:
    """The same morphology and passive membrane (Ri, Cm, g_leak, spines, temperature, spike
    site) without any channel, its leak reversing at ``v_rest``: the cell's linear, subthreshold
    cable.

    Example
    -------
    >>> from cablemodel import standard_cell, ball_and_stick
    >>> cell = standard_cell(ball_and_stick())
    >>> len(cell.channels), len(passive_copy(cell).channels)
    (2, 0)
    """
    return Cell(cell.morphology, Ri=cell.Ri, Cm=cell.Cm, g_leak=cell.g_leak, v_rest=cell.v_rest,
                celsius=cell.celsius, spike_site=cell.spike_site,
                spike_threshold=cell.spike_threshold, spines=cell.spines)


def _needs_region(cell: Cell, region: str, what: str) -> None:
    if not cell.table.in_region(region).any():
        raise ValueError(f"{what} needs the region {region!r}, which this cell lacks (its"
                         f" regions: {', '.join(map(str, cell.table.regions))}); pass region=..."
                         " or use a cell with an axon (e.g. cablemodel.fibre.unmyelinated_cell)")
    if not cell.channels:
        raise ValueError(f"{what}: the cell is passive, an action potential cannot propagate;"
                         " paint Na+ and K+ channels on the axon (standard_cell, fibre.*_cell)")


@dataclass(frozen=True)
class PropagationResult:
    """Amplitudes (peak - rest, mV) at ``distances_um`` (of the recorded compartments,
    :func:`site_distances`) along one path of ``region``: ``ap_mV`` of the action
    potential evoked at ``stimulus`` (``arrival_ms``: its threshold crossing there, ``None`` where
    it did not arrive) and ``epsp_mV`` of the steady subthreshold depolarization of a constant
    current at the same site on the :func:`passive_copy`. ``lambda_theory_um`` =
    ``sqrt(d Rm / 4 Ri)``; ``lambda_fit_um`` and ``epsp_A0_mV``: the exponential fit of
    ``epsp_mV``."""

    region: str
    stimulus: str
    distances_um: tuple[float, ...]
    ap_mV: tuple[float, ...]
    epsp_mV: tuple[float, ...]
    arrival_ms: tuple[float | None, ...]
    lambda_theory_um: float
    lambda_fit_um: float
    epsp_A0_mV: float
    beyond_path_um: tuple[float, ...] = ()

    @property
    def ap_change(self) -> float:
        """Largest relative difference of the AP amplitudes: (max - min) / max."""
        return (max(self.ap_mV) - min(self.ap_mV)) / max(self.ap_mV)

    @property
    def epsp_factor_per_lambda(self) -> float:
        """The factor by which the fitted graded potential falls over one theoretical length
        constant (e = 2.718 for an infinite uniform cable)."""
        return float(np.exp(self.lambda_theory_um / self.lambda_fit_um))

    def plot(self, ax=None):
        """Both amplitudes against distance (log y) with ``exp(-x / lambda)``; returns the axes.

        Example
        -------
        >>> r = PropagationResult("axon", "soma", (100.0, 600.0, 1100.0), (90.0, 89.0, 89.5),
        ...     (2.0, 0.7, 0.25), (1.0, 1.6, 2.2), 485.0, 480.0, 2.5)
        >>> r.plot().get_ylabel()
        'amplitude (mV from rest)'
        """
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 3.8), layout="constrained")[1]
        x = np.array(self.distances_um)
        xs = np.linspace(x.min(), x.max(), 200)
        ax.semilogy(x, self.ap_mV, "s-", label=f"action potential (changes {self.ap_change:.1%})")
        ax.semilogy(x, self.epsp_mV, "o", label="steady subthreshold potential (passive)")
        ax.semilogy(xs, self.epsp_A0_mV * np.exp(-xs / self.lambda_theory_um), "k--",
                    label=f"theory exp(-x / {self.lambda_theory_um:.0f} um), scaled to the fit")
        ax.set_xlabel(f"distance along the {self.region} path (um)")
        ax.set_ylabel("amplitude (mV from rest)")
        ax.set_title(f"AP amplitude changes {self.ap_change:.1%} along the path\nthe graded"
                     f" potential falls {self.epsp_factor_per_lambda:.2f}x per length constant",
                     fontsize=10)
        ax.legend(fontsize=8)
        return ax


def propagation(cell: Cell, distances: Quantity, region: str = "axon", stimulus: str = "soma",
                current: Quantity = 2 * nA, pulse: Quantity = 0.4 * ms,
                step: Quantity = 0.05 * nA, duration: Quantity = 8 * ms,
                settle: Quantity = 50 * ms, settle_dt: Quantity = 0.1 * ms, tip: str | None = None,
                **simulate_args) -> PropagationResult:
    """The action potential and a graded potential along the path from the soma to the tip of
    section ``tip`` (default: the section of ``region`` reaching farthest).

    The AP: a ``current`` pulse (amp, ``pulse`` long, from 0.2 ms) at ``stimulus``, recorded for
    ``duration``. The graded potential: a constant ``step`` (amp) at ``stimulus`` on the
    :func:`passive_copy` (no channels: the subthreshold cable, whose length constant is
    ``sqrt(d Rm / 4 Ri)`` with the leak alone; the resting conductance of the channels would
    shorten it), its steady state after ``settle`` (run at ``settle_dt``). A brief EPSP decays
    faster than this steady one (see :func:`attenuation_profile`). Distances beyond the path are
    left out (``beyond_path_um``), fewer than 3 is a ``ValueError``; so is a cell without
    ``region`` (the message names its regions) or without channels.

    Example
    -------
    >>> from brian2 import um, ms
    >>> from cablemodel.fibre import unmyelinated_cell
    >>> from cablemodel.morphology.myelin import axon_fibre
    >>> cell = unmyelinated_cell(axon_fibre(1 * um, 1500 * um))
    >>> out = propagation(cell, [300, 700, 1100] * um, duration=3 * ms, settle=30 * ms,
    ...                   engine="numpy", dt=0.05 * ms)
    >>> out.ap_change < 0.05, out.epsp_mV[0] > 2 * out.epsp_mV[-1]
    (True, True)
    """
    _needs_region(cell, region, "propagation")
    tip, inside, beyond = distances_on_path(cell, distances, region, tip)
    sites = path_sites(cell, inside * um, region, tip)
    x = site_distances(cell, sites)
    labels = [str(s) for s in sites]
    r = simulate(cell, [], duration=duration,
                 clamps=[CurrentClamp(stimulus, current, 0.2 * ms, 0.2 * ms + pulse)],
                 **{**simulate_args, "record": _with_requests(sites, simulate_args)})
    ap = [float(r.peak(label) / mV) for label in labels]
    arrival = [r.crossing_time(label, cell.spike_threshold) for label in labels]
    rp = simulate(passive_copy(cell), [], duration=settle,
                  clamps=[CurrentClamp(stimulus, step, 0 * ms, 2 * settle)],
                  **{**simulate_args, "dt": settle_dt,
                     "record": _with_requests(sites, simulate_args)})
    graded = [float(rp.v(label)[-1] / mV) - rp.v_rest_mV for label in labels]
    fit = fit_length_constant(x * um, np.array(graded) * mV)
    return PropagationResult(region, str(stimulus), tuple(x.tolist()), tuple(ap),
                             tuple(graded), tuple(None if a is None else float(a / ms)
                                                  for a in arrival),
                             float(theory_length_constant(cell, region) / um),
                             float(fit["lambda"] / um), float(fit["A0"] / mV), beyond)


def _crossings(v: np.ndarray, threshold: float) -> np.ndarray:
    """Indices of the samples just before each upward crossing of ``threshold``."""
    return np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))


#: the three stimulus conditions of :func:`collision`
CONDITIONS = ("middle", "one end", "both ends")


@dataclass(frozen=True)
class CollisionResult:
    """Spikes along one path of ``region`` (``distances_um``, the ends and the middle
    stimulated) in three trials, :data:`CONDITIONS`: ``spike_counts[c][i]`` upward threshold
    crossings at site ``i`` in condition ``c``, ``arrival_ms[c][i]`` the first one (ms from the
    stimulus; ``None``: no spike), ``stimulated_um[c]`` where the stimuli were, and
    ``collision_um`` where the two spikes met when both ends were stimulated (``None`` if no
    spike reached the inside)."""

    region: str
    distances_um: tuple[float, ...]
    spike_counts: tuple[tuple[int, ...], ...]
    arrival_ms: tuple[tuple[float | None, ...], ...]
    stimulated_um: tuple[tuple[float, ...], ...]
    collision_um: float | None
    trials: TrialSet

    def counts(self, condition: str) -> tuple[int, ...]:
        """Spike counts per site in ``condition`` (one of :data:`CONDITIONS`)."""
        return self.spike_counts[CONDITIONS.index(condition)]

    def plot(self, ax=None):
        """Arrival time against distance in each condition, stimuli and collision marked;
        returns the axes.

        Example
        -------
        >>> r = CollisionResult("axon", (0.0, 500.0, 1000.0), ((1, 1, 1), (1, 1, 1), (1, 1, 1)),
        ...     ((0.6, 0.1, 0.6), (0.1, 0.6, 1.2), (0.1, 0.6, 0.1)), ((500.0,), (0.0,),
        ...     (0.0, 1000.0)), 500.0, None)
        >>> r.plot().get_xlabel()
        'distance along the axon path (um)'
        """
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 3.8), layout="constrained")[1]
        x = np.array(self.distances_um)
        for k, name in enumerate(CONDITIONS):
            t = np.array([np.nan if a is None else a for a in self.arrival_ms[k]])
            n = sorted(set(self.spike_counts[k]))
            ax.plot(x, t, "o-", color=f"C{k}",
                    label=f"{name} stimulated: {'/'.join(map(str, n))} spike(s) per site")
            ax.plot(self.stimulated_um[k], [-0.04 * k] * len(self.stimulated_um[k]), "^",
                    color=f"C{k}", ms=9, clip_on=False,
                    label="stimulus sites (triangles)" if k == 0 else None)
        if self.collision_um is not None:
            ax.axvline(self.collision_um, ls=":", color="C2",
                       label=f"collision at {self.collision_um:.0f} um")
        ax.set_xlabel(f"distance along the {self.region} path (um)")
        ax.set_ylabel("arrival time after the stimulus (ms)")
        most = max(max(c) for c in self.spike_counts)
        met = ("" if self.collision_um is None
               else f"\nspikes from both ends met at {self.collision_um:.0f} um")
        ax.set_title(f"at most {most} spike(s) per site in any condition{met}", fontsize=10)
        ax.legend(fontsize=8)
        return ax


def collision(cell: Cell, region: str = "axon", n_sites: int = 9, receptor: Receptor = AMPA,
              weight: Quantity = 20 * nS, period: Quantity = 12 * ms, tip: str | None = None,
              **simulate_args) -> CollisionResult:
    """One-way propagation and collision along the ``region`` part of the path from the soma to
    the tip of section ``tip`` (default: the section of ``region`` reaching farthest):
    ``n_sites`` recorded sites evenly from its start to its end, three trials of ``period`` in
    one simulation (:func:`run_trials`), each a synaptic event (``receptor``, peak conductance
    ``weight``) at 1 ms: at the middle site, at the first site (one end), at both end sites at
    once. An action potential leaves the membrane behind it refractory, so each site fires once:
    from the middle the spike runs both ways, from one end it passes every site once, and two
    spikes meeting annihilate (the ends see only their own spike, not the other's).

    Every trial restarts from rest (:func:`run_trials` resets the cell), so a trial need only end
    below the spike threshold (``rest_tolerance``): a site still above it at the end of a trial
    is a ``SimulationError`` asking for a longer ``period``.

    Example
    -------
    >>> from brian2 import um, ms
    >>> from cablemodel.fibre import unmyelinated_cell
    >>> from cablemodel.morphology.myelin import axon_fibre
    >>> out = collision(unmyelinated_cell(axon_fibre(1 * um, 1000 * um)), n_sites=3,
    ...                 period=5 * ms, engine="numpy", dt=0.05 * ms)
    >>> out.counts("both ends"), out.counts("middle")
    ((1, 1, 1), (1, 1, 1))
    """
    _needs_region(cell, region, "collision")
    if n_sites < 3:
        raise ValueError(f"collision needs n_sites >= 3 (two ends and a middle), got {n_sites}")
    tip = tip or _farthest_section(cell, region)
    morph, start = cell.morphology, cell.morphology.start_distance()
    path = [n for n in _path(cell, tip) if morph[n].region == region]
    lo, hi = min(start[n] for n in path), start[tip] + morph[tip].length
    sites = path_sites(cell, np.linspace(lo, hi, n_sites) * um, region, tip)
    x = site_distances(cell, sites)
    mid = n_sites // 2
    onset = 1 * ms

    def event(i: int) -> Synapse:
        return Synapse(receptor, sites[i], weight, spike_times([onset / ms] * ms))

    stim = ((mid,), (0,), (0, n_sites - 1))
    trials = [Trial([event(i) for i in s], name) for s, name in zip(stim, CONDITIONS, strict=True)]
    threshold = float(cell.spike_threshold / mV)
    ts = run_trials(cell, trials, period=period,
                    rest_tolerance=cell.spike_threshold - cell.v_rest - 1e-3 * mV,
                    **{**simulate_args, "record": _with_requests(sites, simulate_args)})
    counts, arrivals = [], []
    for k in range(len(trials)):
        row_n, row_t = [], []
        for s in sites:
            t, v = ts.trace(k, str(s))
            tt, vv = np.asarray(t / ms), np.asarray(v / mV)
            up = _crossings(vv, threshold)
            if vv[-1] >= threshold:
                raise SimulationError(f"trial {CONDITIONS[k]!r}: {s} is still above threshold at"
                                      f" the end of the period ({float(period / ms):g} ms);"
                                      " lengthen period")
            row_n.append(int(up.size))
            if up.size:
                j = up[0]
                frac = (threshold - vv[j]) / (vv[j + 1] - vv[j])
                row_t.append(float(tt[j] + frac * (tt[j + 1] - tt[j]) - onset / ms))
            else:
                row_t.append(None)
        counts.append(tuple(row_n))
        arrivals.append(tuple(row_t))
    return CollisionResult(region, tuple(x.tolist()), tuple(counts), tuple(arrivals),
                           tuple(tuple(float(x[i]) for i in s) for s in stim),
                           _meeting_point(x, arrivals[2]), ts)


def _meeting_point(x: np.ndarray, arrival: tuple[float | None, ...]) -> float | None:
    """Where two spikes running towards each other met: the crossing of the lines fitted to the
    arrival times on either side of the latest arrival (that site itself if a side has fewer
    than two points)."""
    t = np.array([np.nan if a is None else a for a in arrival])
    inner = np.isfinite(t)
    if not inner[1:-1].any():
        return None
    k = int(np.nanargmax(t))
    left, right = slice(0, k + 1), slice(k, len(x))
    if inner[left].sum() < 2 or inner[right].sum() < 2:
        return float(x[k])
    (a1, b1), (a2, b2) = (np.polyfit(x[s][inner[s]], t[s][inner[s]], 1) for s in (left, right))
    if a1 <= 0 <= a2 or a1 == a2:
        return float(x[k])
    return float(np.clip((b2 - b1) / (a1 - a2), x[0], x[-1]))


@dataclass(frozen=True)
class ConductionResult:
    """Conduction along two Hodgkin-Huxley fibres of the same axon diameter and membrane, with
    and without myelin: velocities (m/s, fitted over the middle of each fibre, away from the
    stimulus and the sealed end), arrival times (ms) at every node (myelinated) or recorded site
    (unmyelinated) against path distance (um)."""

    diameter_um: float
    celsius: float
    n_lamellae: float
    internode_um: float
    myelinated_m_per_s: float
    unmyelinated_m_per_s: float
    myelinated_um: tuple[float, ...]
    myelinated_ms: tuple[float, ...]
    unmyelinated_um: tuple[float, ...]
    unmyelinated_ms: tuple[float, ...]

    @property
    def ratio(self) -> float:
        """How many times faster the myelinated fibre conducts."""
        return self.myelinated_m_per_s / self.unmyelinated_m_per_s

    def plot(self, ax=None):
        """Arrival time against distance for both fibres (node to node steps); returns the axes.

        Example
        -------
        >>> r = ConductionResult(1.0, 18.5, 13.4, 100.0, 4.7, 0.86, (0.0, 101.0, 202.0),
        ...     (0.1, 0.12, 0.14), (0.0, 200.0, 400.0), (0.1, 0.33, 0.56))
        >>> r.plot().get_ylabel()
        'arrival time (ms)'
        """
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 3.8), layout="constrained")[1]
        step_us = 1e3 * float(np.median(np.diff(self.myelinated_ms)))
        ax.plot(self.myelinated_um, self.myelinated_ms, "o-", drawstyle="steps-post",
                label=f"myelinated: {self.myelinated_m_per_s:.2f} m/s, nodes every"
                      f" {self.internode_um:g} um, {step_us:.0f} us node to node")
        ax.plot(self.unmyelinated_um, self.unmyelinated_ms, "s-",
                label=f"unmyelinated: {self.unmyelinated_m_per_s:.2f} m/s")
        ax.set_xlabel("distance from the soma (um)")
        ax.set_ylabel("arrival time (ms)")
        ax.set_title(f"{self.diameter_um:g} um axon, {self.celsius:g} degC: myelin conducts"
                     f" {self.ratio:.1f}x faster")
        ax.legend(fontsize=8)
        return ax


def conduction(diameter: Quantity = 1 * um, n_internodes: int = 28, g_ratio: float = 0.7,
               celsius: float = HH_CELSIUS, myelinated_dt: Quantity = 0.005 * ms,
               unmyelinated_dt: Quantity = 0.02 * ms, unmyelinated_length: Quantity | None = None,
               engine: str = "numpy") -> ConductionResult:
    """Conduction velocity with and without myelin at one axon ``diameter``: a
    :func:`~cablemodel.fibre.myelinated_cell` of ``n_internodes`` internodes of 100 diameters
    (1 um nodes, :func:`~cablemodel.morphology.myelin.lamellae` for ``g_ratio``) and an
    :func:`~cablemodel.fibre.unmyelinated_cell` of ``unmyelinated_length`` (default
    ``2 mm * sqrt(d / 1 um)``: the same number of its own length constants), both stimulated at
    the soma (0.5 nA * d for 0.3 ms; 2 nA * d^1.5 for 0.4 ms); velocities by
    :func:`~cablemodel.analysis.conduction.conduction_velocity` over the nodes 2/7 to 9/14 of the
    way (myelinated) and the sites 35-75 % of the way (unmyelinated): away from the stimulus and
    the sealed end. A fibre that does not conduct (e.g. the squid kinetics' heat block far above
    18.5 degC) is a ``ValueError`` naming the site that no spike reached.

    Example
    -------
    >>> from brian2 import um
    >>> out = conduction(1 * um, n_internodes=12, unmyelinated_length=800 * um)
    >>> out.ratio > 3
    True
    """
    d = float(diameter / um)
    m = myelinate(axon_fibre(d * um, n_internodes * 101 * d * um), internode_compartments=5)
    n = lamellae(d * um, g_ratio)
    nodes = [f"{s.name}(0.5)" for s in m.sections if s.region == "node"]
    rm = simulate(myelinated_cell(m, n, celsius=celsius), record=nodes, duration=0.8 * ms,
                  clamps=[CurrentClamp("soma", 0.5 * nA * d, 0.2 * ms, 0.5 * ms)],
                  dt=myelinated_dt, engine=engine, integrate_gates_everywhere=True)
    middle = nodes[len(nodes) * 2 // 7:len(nodes) * 9 // 14 + 1]
    length = (2000 * np.sqrt(d) if unmyelinated_length is None
              else float(unmyelinated_length / um))
    sites = [str(at("axon", x * um)) for x in np.linspace(0.05, 0.95, 19) * length]
    ru = simulate(unmyelinated_cell(axon_fibre(d * um, length * um), celsius=celsius),
                  record=sites, duration=3.2 * ms * max(1.0, length / (2000 * np.sqrt(d))),
                  dt=unmyelinated_dt, engine=engine,
                  clamps=[CurrentClamp("soma", 2 * nA * d**1.5, 0.2 * ms, 0.6 * ms)])
    return ConductionResult(
        d, float(celsius), float(n), 100 * d,
        float(conduction_velocity(rm, middle) / MS), float(conduction_velocity(ru, sites[6:15]) / MS),
        tuple(float(rm.distance(s) / um) for s in nodes),
        tuple(np.asarray(arrival_times(rm, nodes) / ms).tolist()),
        tuple(float(ru.distance(s) / um) for s in sites),
        tuple(np.asarray(arrival_times(ru, sites) / ms).tolist()))
