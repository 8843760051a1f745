"""Attenuation along one dendritic path: the EPSP at the synapse and at the spike site (hillock)
for one synapse at each distance, the steady-state attenuation of a constant current, and their
length constants against cable theory.

Cable theory (Rall; Koch 1999, *Biophysics of Computation*, ch. 2; Johnston and Wu 1995, ch. 4):
a uniform cable of diameter ``d`` with specific membrane resistance ``Rm = 1/g_leak``, axial
resistivity ``Ri`` and ``tau_m = Rm Cm`` obeys ``lambda^2 V'' = tau_m dV/dt + V``. At steady
state ``V(x) ~ exp(-x / lambda)`` with ``lambda = sqrt(d Rm / (4 Ri))``. For a sinusoid of
frequency ``f`` (``V ~ exp(i 2 pi f t)``) the cable equation becomes
``lambda^2 V'' = (1 + i w tau_m) V`` (``w = 2 pi f``), so ``V(x) ~ exp(-x sqrt(1 + i w tau_m) /
lambda)`` and the amplitude decays with the AC length constant::

    lambda_AC(f) = lambda / Re(sqrt(1 + i w tau_m))
                 = lambda * sqrt(2 / (1 + sqrt(1 + (w tau_m)^2)))

(since ``Re(sqrt(1 + i a)) = sqrt((1 + sqrt(1 + a^2)) / 2)``; :func:`ac_length_constant` checks
this numerically). Fast signals also charge the membrane capacitance, so they attenuate more:
the peak of a transient EPSP has a shorter length constant than the steady state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Quantity, ms, mV, nA, nS, um

from ..analysis import fit_length_constant
from ..cell import Cell
from ..mechanisms.synapses import AMPA, CurrentClamp, Receptor, Synapse, spike_times
from ..simulation.engine import simulate
from ..sweeps import Trial, run_trials
from .graded import _farthest_section, _path, path_sites, theory_length_constant

__all__ = ["attenuation_profile", "AttenuationResult", "ac_length_constant",
           "half_power_frequency", "membrane_time_constant", "distances_on_path", "site_distances"]

ONSET = 2 * ms
#: the largest frequency step (Hz) of the spectrum searched by half_power_frequency
STEP_HZ = 0.5


def ac_length_constant(lambda_dc: Quantity, tau_m: Quantity, frequency: Quantity) -> Quantity:
    """The length constant (metre) of a sinusoid of ``frequency`` (Hz) in a cable of steady-state
    length constant ``lambda_dc`` and membrane time constant ``tau_m`` (second):
    ``lambda_dc * sqrt(2 / (1 + sqrt(1 + (2 pi f tau_m)^2)))`` (module docstring).

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import Hz, ms, um
    >>> lam = ac_length_constant(300 * um, 10 * ms, 50 * Hz)
    >>> round(float(lam / um), 2)
    204.67
    >>> w_tau = 2 * np.pi * 50 * 10e-3  # the complex cable equation gives the same
    >>> round(float(300 / np.sqrt(1 + 1j * w_tau).real), 2)
    204.67
    """
    w_tau = 2 * np.pi * float(frequency / Hz) * float(tau_m / ms) * 1e-3
    return lambda_dc * np.sqrt(2 / (1 + np.sqrt(1 + w_tau**2)))


def half_power_frequency(t: Quantity, v: Quantity) -> Quantity:
    """The lowest frequency (Hz) at which the power spectrum ``|V(f)|^2`` of the transient ``v``
    (deviation from rest, volt, sampled at the uniform times ``t``; it must start and end near 0)
    falls to half its value at 0 Hz: the -3 dB corner of the signal. Searched on a grid of at
    most 0.5 Hz (zero-padded FFT) up to the Nyquist frequency, interpolated linearly; a
    ``ValueError`` if it never falls that far.

    For a single exponential decay ``exp(-t / tau)`` it is ``1 / (2 pi tau)``.

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import ms, mV
    >>> t = np.arange(0, 200, 0.01) * ms
    >>> round(float(half_power_frequency(t, np.exp(-t / (5 * ms)) * mV)), 1)  # 1/(2 pi 5 ms)
    31.8
    """
    ts = np.asarray(t / ms, dtype=float) * 1e-3
    y = np.asarray(v / mV, dtype=float)
    dt = ts[1] - ts[0]
    n = int(2 ** np.ceil(np.log2(max(y.size, 1 / (dt * STEP_HZ)))))  # zero-padded: fine grid
    power = np.abs(np.fft.rfft(y, n)) ** 2
    f = np.fft.rfftfreq(n, dt)
    below = np.flatnonzero(power <= power[0] / 2)
    if power[0] <= 0 or below.size == 0:
        raise ValueError("the signal's power spectrum does not fall to half of its 0 Hz value"
                         " below the Nyquist frequency: give a transient (one sign, decaying"
                         " to rest) sampled finely enough")
    k = below[0]
    frac = (power[k - 1] - power[0] / 2) / (power[k - 1] - power[k])
    return float(f[k - 1] + frac * (f[k] - f[k - 1])) * Hz


def membrane_time_constant(cell: Cell, region: str = "basal") -> Quantity:
    """``tau_m = Cm / g_leak`` (second) on the longest path of ``region`` (uniform along it, else
    a ``ValueError``).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> round(float(membrane_time_constant(Cell(ball_and_stick())) / ms), 3)  # 1 uF/cm2 / 0.3 mS/cm2
    3.333
    """
    t = cell.table
    on = np.isin(t.section, _path(cell, _farthest_section(cell, region))) & t.in_region(region)
    tau = np.asarray(cell.membrane().Cm[on] / cell.membrane().g_leak[on] / ms, dtype=float)
    if np.ptp(tau) > 1e-9 * tau.max():
        raise ValueError(f"Cm / g_leak varies along the {region} path ({tau.min():.3g}-"
                         f"{tau.max():.3g} ms): no single membrane time constant")
    return float(tau[0]) * ms


def distances_on_path(cell: Cell, distances: Quantity, region: str, tip: str | None = None,
                      minimum: int = 3) -> tuple[str, np.ndarray, tuple[float, ...]]:
    """``(tip, inside_um, beyond_um)``: the tip section of the path (default: the section of
    ``region`` reaching farthest), the ``distances`` (um) that lie on the path from the soma to
    its end and those beyond it. Fewer than ``minimum`` inside is a ``ValueError``.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> tip, inside, beyond = distances_on_path(Cell(ball_and_stick()), [100, 900, 2000] * um,
    ...                                         "basal", minimum=2)
    >>> tip, inside.tolist(), beyond
    ('dend', [100.0, 900.0], (2000.0,))
    """
    tip = tip or _farthest_section(cell, region)
    morph = cell.morphology
    length = float(morph.start_distance()[tip] + morph[tip].length)
    d = np.round(np.asarray(Quantity(distances) / um, dtype=float), 9)
    inside = d[d <= length + 1e-9]
    if inside.size < minimum:
        raise ValueError(f"only {inside.size} of the distances {d.tolist()} um lie on the"
                         f" {region} path to {tip!r} ({length:g} um long); this needs at least"
                         f" {minimum}: give shorter distances")
    return tip, inside, tuple(d[d > length + 1e-9].tolist())


def _with_requests(sites, simulate_args: dict) -> list:
    """``sites`` followed by the caller's own ``record`` requests in ``simulate_args``.

    Example
    -------
    >>> _with_requests(["basal@100"], {"record": "soma"})
    ['basal@100', 'soma']
    """
    extra = simulate_args.get("record")
    return [*sites, *([] if extra is None else [extra] if isinstance(extra, str) else extra)]


def site_distances(cell: Cell, sites) -> np.ndarray:
    """Path distances (um) of the compartments (their midpoints) holding ``sites``: where the
    potential is computed, within half a compartment of the sites' own distances.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> cell = Cell(ball_and_stick())
    >>> site_distances(cell, path_sites(cell, [100] * um, "basal")).round(2).tolist()
    [104.3]
    """
    from ..places import parse_site

    table = cell.table
    return np.array([float(table.distance[parse_site(s).resolve(table)]) for s in sites])


@dataclass(frozen=True)
class AttenuationResult:
    """One synapse at each distance along one path of ``region``, and a constant current.

    ``local_mV`` and ``hillock_mV`` are the EPSP peaks (mV from rest) at the synapse and at the
    cell's spike site ``spike_site``; ``steady_ratio`` is ``V(x) / V(soma)`` at steady state with
    a constant current at the soma. Length constants (um): ``lambda_dc_theory_um`` =
    ``sqrt(d Rm / 4 Ri)``; ``lambda_dc_fit_um`` fitted to ``steady_ratio``;
    ``lambda_transient_um`` fitted to ``hillock_mV`` (the transfer of the EPSP peak to the spike
    site); ``lambda_ac_um`` = :func:`ac_length_constant` at ``frequency_hz``, the half-power
    frequency of the spike-site EPSP from the synapse nearest the soma; ``tau_m_ms`` = Cm/g_leak.
    ``transient_A0_mV`` and ``steady_A0`` are the fits' values at 0 um. ``distances_um`` are
    those of the synapses' compartments (:func:`site_distances`); requested distances beyond the
    path are left out and listed in ``beyond_path_um``.
    """

    region: str
    spike_site: str
    distances_um: tuple[float, ...]
    local_mV: tuple[float, ...]
    hillock_mV: tuple[float, ...]
    steady_ratio: tuple[float, ...]
    lambda_dc_theory_um: float
    lambda_dc_fit_um: float
    lambda_transient_um: float
    lambda_ac_um: float
    frequency_hz: float
    tau_m_ms: float
    transient_A0_mV: float
    steady_A0: float
    beyond_path_um: tuple[float, ...] = ()

    def plot(self, ax=None):
        """Two panels: the EPSP peaks against distance with the transfer fit (log y), and the
        normalized steady and transient attenuation with the ``exp(-x / lambda)`` theory curves.
        ``ax``: two axes, or ``None`` for a new figure. Returns the two axes.

        Example
        -------
        >>> r = AttenuationResult("basal", "hillock", (0.0, 100.0, 200.0), (3.0, 4.0, 5.0),
        ...     (2.0, 1.3, 0.8), (1.0, 0.7, 0.5), 290.0, 292.0, 250.0, 270.0, 40.0, 3.3, 2.0, 1.0)
        >>> [a.get_ylabel() for a in r.plot()]
        ['EPSP peak (mV from rest)', 'V(x) / V(0)']
        """
        import matplotlib.pyplot as plt

        axes = ax if ax is not None else plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")[1]
        a, b = axes
        x = np.array(self.distances_um)
        xs = np.linspace(0, x.max(), 200)
        a.semilogy(x, self.local_mV, "o-", label="at the synapse")
        a.semilogy(x, self.hillock_mV, "s", label=f"at the {self.spike_site}")
        a.semilogy(xs, self.transient_A0_mV * np.exp(-xs / self.lambda_transient_um), "k--",
                   label=f"fit: lambda = {self.lambda_transient_um:.0f} um")
        a.set_xlabel(f"synapse distance along the {self.region} path (um)")
        a.set_ylabel("EPSP peak (mV from rest)")
        a.set_title(f"EPSP: {self.local_mV[-1] / self.hillock_mV[-1]:.0f}x smaller at the"
                    f" {self.spike_site} from {x[-1]:.0f} um")
        a.legend(fontsize=8)
        b.semilogy(x, self.steady_ratio, "o", label=f"steady (fit {self.lambda_dc_fit_um:.0f} um)")
        b.semilogy(x, np.array(self.hillock_mV) / self.transient_A0_mV, "s",
                   label=f"transient EPSP peak / fit at 0 um ({self.lambda_transient_um:.0f} um)")
        b.semilogy(xs, np.exp(-xs / self.lambda_dc_theory_um), "C0-",
                   label=f"theory DC: {self.lambda_dc_theory_um:.0f} um")
        b.semilogy(xs, np.exp(-xs / self.lambda_ac_um), "C1-",
                   label=f"theory AC at {self.frequency_hz:.0f} Hz: {self.lambda_ac_um:.0f} um")
        b.set_xlabel(f"distance along the {self.region} path (um)")
        b.set_ylabel("V(x) / V(0)")
        b.set_title(f"length constants (tau_m {self.tau_m_ms:.2f} ms)")
        b.legend(fontsize=8)
        return axes


def attenuation_profile(cell: Cell, distances: Quantity, region: str = "basal",
                        receptor: Receptor = AMPA, weight: Quantity = 1 * nS,
                        tip: str | None = None, period: Quantity = 30 * ms,
                        amplitude: Quantity = -0.02 * nA, settle: Quantity = 50 * ms,
                        settle_dt: Quantity = 0.1 * ms, **simulate_args) -> AttenuationResult:
    """Attenuation along the path from the soma to the tip of section ``tip`` (default: the
    section of ``region`` reaching farthest; see :func:`path_sites`).

    Synaptic part (one simulation, one trial of ``period`` per distance, :func:`run_trials`):
    one event of ``receptor`` with peak conductance ``weight`` at each distance; its peak at the
    synapse and at the spike site, and the exponential fit of the spike-site peaks against
    distance (the transfer to the hillock, the classic measurement): ``lambda_transient``.

    Steady part: a constant current ``amplitude`` (amp; small and hyperpolarizing, so that
    channels stay at rest) at the soma for ``settle`` (>= 10 tau_m; run at ``settle_dt``: a
    steady state does not depend on the step); ``V(x) / V(soma)`` along the path and its fit
    ``lambda_dc_fit``, against ``lambda_dc_theory`` (:func:`theory_length_constant`). A finite
    sealed cable bends the profile up near its end (``cosh((L - x) / lambda)``) and a soma
    loads it: expect the fit within a few % of theory on a long uniform dendrite. Channels open
    at rest add to the leak and shorten the measured constants below the leak-only theory.

    Theory for the transient: :func:`ac_length_constant` at the half-power frequency
    (:func:`half_power_frequency`) of the spike-site EPSP of the synapse nearest the soma: the
    EPSP's power lies mostly below that corner, so it is the signal's typical frequency, and it
    follows from the measured time course alone. The peak also carries the faster components
    above it, which attenuate more, so the transient shortens at least as much as
    ``lambda_AC(f) / lambda_dc`` says. Measured on the ball-and-stick (1500 um dendrite): transient
    252 um, AC at 40 Hz 269 um, DC 289 um. On a path only a few lambda long the sealed tips
    lengthen every fitted constant; compare the ratios there (L2/3 apical path: transient /
    steady fit 0.74 against lambda_AC / lambda_dc 0.93).

    ``simulate_args`` go to :func:`cablemodel.simulate` (``engine``, ``dt``, ...). Distances
    beyond the path are left out (listed in ``beyond_path_um``); fewer than 3 on the path is a
    ``ValueError``, as is a nonuniform passive membrane along it.

    Example
    -------
    >>> from brian2 import um, ms
    >>> from cablemodel import Cell, ball_and_stick
    >>> out = attenuation_profile(Cell(ball_and_stick()), [50, 300, 600] * um, period=20 * ms,
    ...                           settle=30 * ms, engine="numpy", dt=0.1 * ms)
    >>> out.lambda_transient_um < out.lambda_ac_um < out.lambda_dc_fit_um
    True
    """
    tip, inside, beyond = distances_on_path(cell, distances, region, tip)
    lam_theory = float(theory_length_constant(cell, region) / um)
    tau = membrane_time_constant(cell, region)
    sites = path_sites(cell, inside * um, region, tip)
    x = site_distances(cell, sites)
    trials = [Trial([Synapse(receptor, s, weight, spike_times([ONSET / ms] * ms))], str(s))
              for s in sites]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    spike = cell.spike_site
    fired = [str(s) for k, s in enumerate(sites) if ts.spikes(k) > 0]
    if fired:
        raise ValueError(f"the EPSP at {', '.join(fired)} fired the cell: its peak at the"
                         f" {spike} is a spike, not an attenuated EPSP; lower the weight"
                         f" ({float(weight / nS):g} nS) or use a passive cell")
    local = [float(ts.peak(k, str(s)) / mV) for k, s in enumerate(sites)]
    hillock = [float(ts.peak(k, spike) / mV) for k in range(len(sites))]
    transfer = fit_length_constant(x * um, np.array(hillock) * mV)
    t, v = ts.trace(int(np.argmin(x)), spike)
    freq = half_power_frequency(t, v - ts.result.v_rest_mV * mV)
    r = simulate(cell, [], duration=settle,
                 clamps=[CurrentClamp("soma", amplitude, 0 * ms, 2 * settle)],
                 **{**simulate_args, "dt": settle_dt, "record": _with_requests(sites, simulate_args)})
    v0 = float(r.v("soma")[-1] / mV) - r.v_rest_mV
    ratio = [(float(r.v(str(s))[-1] / mV) - r.v_rest_mV) / v0 for s in sites]
    steady = fit_length_constant(x * um, np.array(ratio) * mV)
    return AttenuationResult(
        region, spike, tuple(x.tolist()), tuple(local), tuple(hillock), tuple(ratio),
        lam_theory, float(steady["lambda"] / um), float(transfer["lambda"] / um),
        float(ac_length_constant(lam_theory * um, tau, freq) / um), float(freq / Hz),
        float(tau / ms), float(transfer["A0"] / mV), float(steady["A0"] / mV),
        beyond)
