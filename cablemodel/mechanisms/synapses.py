"""Synaptic receptors, presynaptic spike trains, and synapses placed at locations.

A receptor is a double-exponential conductance with a reversal potential. As NEURON's ``Exp2Syn``
does, the conductance is normalised so that one presynaptic spike gives a peak of exactly the
synapse's ``weight`` (siemens). With ``tau_rise = 0`` it is a single exponential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, mV, nS, second

from ..places import Location, parse_site
from ..units import quantity

__all__ = ["Receptor", "AMPA", "GABA_A", "Synapse", "Connection", "CurrentClamp", "spike_times",
           "regular_train", "poisson_train", "check_seed"]


@dataclass(frozen=True)
class Receptor:
    """A postsynaptic receptor: conductance time course and reversal potential.

    Parameters
    ----------
    name : str
        Identifier (used in Brian2 variable names, e.g. ``g_ampa``).
    reversal : Quantity
        Reversal potential (volt): above rest excites (cation channels), at or below rest
        inhibits (Cl-, K+ channels).
    tau_rise, tau_decay : Quantity
        Time constants (second); ``tau_rise = 0*ms`` gives a single exponential.

    Example
    -------
    >>> from brian2 import ms
    >>> round(float(AMPA.peak_time / ms), 3)
    0.512
    """

    name: str
    reversal: Quantity
    tau_rise: Quantity
    tau_decay: Quantity

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name.endswith(("_pre", "_post")):
            raise ValueError(f"receptor name must be an identifier not ending in _pre/_post"
                             f" (Brian2 reserves them), got {self.name!r}")
        quantity(self.reversal, mV, f"{self.name}: reversal", scalar=True)
        quantity(self.tau_rise, ms, f"{self.name}: tau_rise", scalar=True)
        quantity(self.tau_decay, ms, f"{self.name}: tau_decay", scalar=True)
        if not (self.tau_decay > 0 * ms and self.tau_rise >= 0 * ms
                and self.tau_rise < self.tau_decay):
            raise ValueError(f"{self.name}: need 0 <= tau_rise < tau_decay, got"
                             f" tau_rise={self.tau_rise}, tau_decay={self.tau_decay}")

    @property
    def peak_time(self) -> Quantity:
        """Time from a spike to the conductance peak (second); 0 for a single exponential.

        Example
        -------
        >>> from brian2 import ms, mV
        >>> round(float(GABA_A.peak_time / ms), 3)
        1.479
        >>> Receptor("slow", -80 * mV, 0 * ms, 10 * ms).peak_time
        0. * second
        """
        tr, td = float(self.tau_rise / ms), float(self.tau_decay / ms)
        if tr == 0:
            return 0 * ms
        return tr * td / (td - tr) * np.log(td / tr) * ms

    @property
    def normalization(self) -> float:
        """Factor (dimensionless) making the peak of ``exp(-t/tau_decay) - exp(-t/tau_rise)``
        equal to 1.

        Example
        -------
        >>> round(float(AMPA.normalization), 4)
        1.4351
        """
        tr, td = float(self.tau_rise / ms), float(self.tau_decay / ms)
        if tr == 0:
            return 1.0
        tp = float(self.peak_time / ms)
        return 1.0 / (np.exp(-tp / td) - np.exp(-tp / tr))

    # -- Brian2 text: what the engine puts in the neuron and in this receptor's Synapses ------
    #: integration method of the per-synapse states
    method = "exact"

    def neuron_equations(self) -> str:
        """Lines added to the cell's equations: the summed conductance (siemens) and its current
        (amp), as Brian2 text.

        Example
        -------
        >>> print(AMPA.neuron_equations())
        I_ampa = g_ampa*(E_ampa - v) : amp (point current)
        g_ampa : siemens
        E_ampa : volt (shared)
        """
        n = self.name
        return (f"I_{n} = g_{n}*(E_{n} - v) : amp (point current)\n"
                f"g_{n} : siemens\nE_{n} : volt (shared)")

    def neuron_values(self) -> dict[str, Quantity]:
        """Values of the cell-side parameters named in :meth:`neuron_equations` (the reversal
        potential, volt).

        Example
        -------
        >>> GABA_A.neuron_values()
        {'E_gaba_a': -75. * mvolt}
        """
        return {f"E_{self.name}": self.reversal}

    def synapse_model(self) -> str:
        """Per-synapse state (each synapse its own) and the summed conductance ``g_{name}_post``;
        ``w`` (siemens) is the synapse's weight.

        Example
        -------
        >>> from brian2 import ms, mV
        >>> print(Receptor("slow", -80 * mV, 0 * ms, 10 * ms).synapse_model())
        w : siemens (constant)
        dB/dt = -B/tau_decay : 1 (clock-driven)
        tau_decay : second (shared, constant)
        g_slow_post = w*B : siemens (summed)
        """
        lines = ["w : siemens (constant)", "dB/dt = -B/tau_decay : 1 (clock-driven)",
                 "tau_decay : second (shared, constant)"]
        if self.tau_rise > 0 * ms:
            lines += ["dA/dt = -A/tau_rise : 1 (clock-driven)",
                      "tau_rise : second (shared, constant)", "f_norm : 1 (shared, constant)",
                      f"g_{self.name}_post = w*f_norm*(B - A) : siemens (summed)"]
        else:
            lines.append(f"g_{self.name}_post = w*B : siemens (summed)")
        return "\n".join(lines)

    def on_pre(self) -> str:
        """What a presynaptic spike does to the synapse's state (Brian2 statements).

        Example
        -------
        >>> print(AMPA.on_pre())
        B += 1
        A += 1
        """
        return "B += 1\nA += 1" if self.tau_rise > 0 * ms else "B += 1"

    def synapse_defaults(self) -> dict[str, Quantity | float]:
        """Per-synapse parameters (declared in :meth:`synapse_model`, without ``(shared)``) and
        their defaults; a :class:`Synapse` may override them with ``params``.

        Example
        -------
        >>> from cablemodel import Terminal
        >>> AMPA.synapse_defaults(), Terminal(AMPA).synapse_defaults()
        ({}, {'p_scale': 1.0})
        """
        return {}

    def synapse_values(self) -> dict[str, Quantity | float]:
        """Values of the shared synapse-side parameters named in :meth:`synapse_model` (time
        constants in second, ``f_norm`` = :attr:`normalization`).

        Example
        -------
        >>> from brian2 import ms, mV
        >>> Receptor("slow", -80 * mV, 0 * ms, 10 * ms).synapse_values()
        {'tau_decay': 10. * msecond}
        >>> sorted(AMPA.synapse_values())
        ['f_norm', 'tau_decay', 'tau_rise']
        """
        out: dict[str, Quantity | float] = {"tau_decay": self.tau_decay}
        if self.tau_rise > 0 * ms:
            out.update(tau_rise=self.tau_rise, f_norm=self.normalization)
        return out

    def conductance(self, t: Quantity, weight: Quantity = 1 * nS) -> Quantity:
        """Conductance ``t`` after one spike (analytic), for a peak of ``weight``.

        Example
        -------
        >>> from brian2 import ms, nS
        >>> round(float(AMPA.conductance(AMPA.peak_time, 2 * nS) / nS), 9)
        2.0
        """
        t_ms = np.asarray(t / ms)
        tr, td = float(self.tau_rise / ms), float(self.tau_decay / ms)
        rise = np.exp(-t_ms / tr) if tr > 0 else 0.0
        shape = np.where(t_ms >= 0, self.normalization * (np.exp(-t_ms / td) - rise), 0.0)
        return shape * weight


#: Glutamate, AMPA-type: cation channel (Na+ in, K+ out), reverses near 0 mV.
AMPA = Receptor("ampa", 0 * mV, 0.2 * ms, 2.0 * ms)
#: GABA_A: Cl- channel, reverses at E_Cl (about -75 mV).
GABA_A = Receptor("gaba_a", -75 * mV, 0.5 * ms, 8.0 * ms)


@dataclass(frozen=True)
class Synapse:
    """A synapse of ``receptor`` at ``site`` with peak conductance ``weight``, driven by ``spikes``.

    ``params`` sets per-synapse parameters that the receptor declares (see
    :meth:`Receptor.synapse_defaults`), e.g. a release-probability scale for plasticity.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> s = Synapse(AMPA, "basal@100", 1 * nS, spike_times([5] * ms))
    >>> str(s.site)
    'basal@100'
    """

    receptor: Receptor
    site: Location | str
    weight: Quantity
    spikes: Quantity
    params: Mapping[str, float | Quantity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", parse_site(self.site))
        _check_params(self.params, self.receptor)
        quantity(self.weight, nS, "synapse weight (peak conductance)", scalar=True)
        if not self.weight >= 0 * nS:
            raise ValueError(f"synapse weight must be >= 0 nS, got {self.weight}; use an"
                             " inhibitory receptor (e.g. GABA_A) for inhibition")
        object.__setattr__(self, "spikes", _times(self.spikes, "spike times"))


@dataclass(frozen=True)
class Connection:
    """A chemical synapse from cell ``pre`` to ``site`` on cell ``post``, driven by the action
    potentials that ``pre`` fires at its spike site (the axon hillock) after ``delay`` (axonal
    conduction plus synaptic delay, counted from the threshold crossing; at least ``pre``'s
    ``spike_window`` unless it counts every crossing, see *Action potentials* in
    :mod:`cablemodel.simulation.engine`). Cell names as given to
    :func:`cablemodel.simulate_circuit`.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> Connection("pre", "post", AMPA, "basal@100", 2 * nS, 1 * ms).delay
    1. * msecond
    """

    pre: str
    post: str
    receptor: Receptor
    site: Location | str
    weight: Quantity
    delay: Quantity = field(default_factory=lambda: 1 * ms)
    params: Mapping[str, float | Quantity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", parse_site(self.site))
        _check_params(self.params, self.receptor)
        quantity(self.weight, nS, "connection weight (peak conductance)", scalar=True)
        quantity(self.delay, second, "connection delay", scalar=True)
        if not self.weight >= 0 * nS or not self.delay >= 0 * ms:
            raise ValueError(f"connection weight and delay must be >= 0, got {self.weight},"
                             f" {self.delay}")


@dataclass(frozen=True)
class CurrentClamp:
    """A constant current ``amplitude`` (amp, positive depolarizes) injected at ``site`` from
    ``start`` to ``stop``. Several clamps at one site add up; other waveforms (trains, ramps,
    sines, noise, sampled arrays) are :class:`~cablemodel.mechanisms.stimuli.WaveformClamp`.

    Example
    -------
    >>> from brian2 import nA, ms
    >>> CurrentClamp("soma", 0.1 * nA, 0 * ms, 100 * ms).site.region
    'soma'
    """

    site: Location | str
    amplitude: Quantity
    start: Quantity
    stop: Quantity

    def __post_init__(self) -> None:
        from brian2 import amp

        object.__setattr__(self, "site", parse_site(self.site))
        quantity(self.amplitude, amp, "clamp amplitude", scalar=True)
        quantity(self.start, second, "clamp start", scalar=True)
        quantity(self.stop, second, "clamp stop (use a time after the end of the run for"
                                    " 'until the end')", scalar=True)
        if not self.start >= 0 * second:
            raise ValueError(f"clamp start must be >= 0 ms, got {self.start}")
        if not self.stop > self.start:
            raise ValueError(f"clamp stop ({self.stop}) must be after start ({self.start})")


def _check_params(params, receptor) -> None:
    """Per-synapse parameters: names the receptor declares, values of the defaults' units."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must map parameter names to values, got {params!r}")
    defaults = receptor.synapse_defaults()
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValueError(f"receptor {receptor.name!r} has no per-synapse parameter(s)"
                         f" {sorted(unknown)}; it has {sorted(defaults)}")
    for key, value in params.items():
        quantity(value, defaults[key], f"synapse parameter {key!r} of {receptor.name!r}",
                 scalar=True)


def _times(times, what: str) -> Quantity:
    t = quantity(times, second, what)
    arr = np.atleast_1d(np.asarray(t / second, dtype=float))
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{what} must be finite and >= 0 s")
    return np.sort(arr) * second


def spike_times(times: Quantity) -> Quantity:
    """Explicit presynaptic spike times (second), sorted.

    Example
    -------
    >>> from brian2 import ms
    >>> spike_times([3, 1] * ms)
    array([1., 3.]) * msecond
    """
    return _times(times, "spike times")


def regular_train(start: Quantity, interval: Quantity, n: int) -> Quantity:
    """``n`` spikes from ``start`` every ``interval`` (second).

    Example
    -------
    >>> from brian2 import ms
    >>> regular_train(10 * ms, 5 * ms, 3)
    array([10., 15., 20.]) * msecond
    """
    quantity(interval, second, "interval", scalar=True)
    if not interval > 0 * second or isinstance(n, bool) or not isinstance(n, (int, np.integer)) \
            or n < 1:
        raise ValueError(f"need interval > 0 and an integer n >= 1, got {interval}, {n!r}")
    return _times(quantity(start, second, "start", scalar=True) + np.arange(int(n)) * interval,
                  "train")


def check_seed(seed, what: str = "seed") -> int:
    """``seed`` as an int if it is one in ``0 .. 2**32 - 1`` (what numpy and Brian2 accept),
    else a ``ValueError`` naming ``what``.

    Example
    -------
    >>> check_seed(7)
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be an integer from 0 to 4294967295, got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not (
            0 <= seed <= 2**32 - 1):
        raise ValueError(f"{what} must be an integer from 0 to {2**32 - 1}, got {seed!r}")
    return int(seed)


def poisson_train(rate: Quantity, duration: Quantity, seed: int, start=0 * ms) -> Quantity:
    """Poisson spike times at ``rate`` (Hz) in ``[start, start + duration)``, reproducible by
    ``seed``.

    Example
    -------
    >>> from brian2 import Hz, second
    >>> len(poisson_train(50 * Hz, 1 * second, seed=1)) > 20
    True
    """
    from brian2 import Hz

    r = float(quantity(rate, Hz, "rate", scalar=True) / Hz)
    T = float(quantity(duration, second, "duration", scalar=True) / second)
    if r < 0 or T < 0:
        raise ValueError(f"rate and duration must be >= 0, got {rate}, {duration}")
    rng = np.random.default_rng(check_seed(seed))
    n = rng.poisson(r * T)
    return _times(np.sort(rng.uniform(0, T, n)) * second + start, "poisson train")
