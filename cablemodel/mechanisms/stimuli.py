"""Stimuli: waveforms of current or command potential, current and voltage clamps.

A :class:`Waveform` is a time course of one physical quantity (current for a
:class:`WaveformClamp`, potential for a :class:`VoltageClamp`): :class:`Step` (one pulse),
:class:`Train` (several pulses), :class:`Ramp`, :class:`Sine`, :class:`Noise` (reproducible by
its seed), :class:`Sampled` (any array with its own ``dt``) and sums of them (``a + b``). The
engine samples each waveform on the simulation's time grid ``t_k = k*dt``: the value applied
during the step ``[t_k, t_k + dt)`` is the waveform at ``t_k``; a switching time that falls
between grid points acts from the next one (times within 1e-6 dt of a grid point are on it).

The sampled values are data, not code: all the waveform clamps of a cell share one Brian2
``TimedArray`` (time x site), so a new amplitude or waveform reuses the compiled standalone
binary (a new duration, ``dt`` or number of clamped sites compiles another one).

Sign conventions: a current clamp's current is positive into the cell (depolarizing). A voltage
clamp injects ``(V_cmd - v)/R_s`` at its site, positive into the cell as NEURON's ``SEClamp.i``:
at steady state it equals the membrane current it balances (outward positive), so an inward
synaptic or Na+ current is recorded as a negative clamp current, as an amplifier reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, Mohm, Quantity, amp, ms, mV, ohm, second, volt
from brian2.units.fundamentalunits import get_dimensions

from ..places import Location, parse_site
from ..units import quantity
from .synapses import check_seed

__all__ = ["Waveform", "Step", "Train", "Ramp", "Sine", "Noise", "Sampled", "Sum",
           "WaveformClamp", "VoltageClamp", "VoltageSteps"]

#: A time within this fraction of a step of a grid point is on it (rounding of ``start/dt``).
_ON_GRID = 1e-6


def _time(value, what: str, *, allow_none: bool = False) -> float | None:
    """A time (second) as a float >= 0, or ``None`` when allowed."""
    if value is None and allow_none:
        return None
    t = float(quantity(value, second, what, scalar=True) / second)
    if t < 0:
        raise ValueError(f"{what} must be >= 0 ms, got {value}")
    return t


def _window(start, stop, what: str) -> tuple[float, float | None]:
    a = _time(start, f"{what} start")
    b = _time(stop, f"{what} stop (None: until the end of the run)", allow_none=True)
    if b is not None and not b > a:
        raise ValueError(f"{what}: stop ({stop}) must be after start ({start})")
    return a, b


def _index(t_s: float, dt_s: float) -> int:
    """First grid step ``k`` with ``k*dt >= t_s`` (to rounding)."""
    return int(np.ceil(t_s / dt_s - _ON_GRID))


def _span(start_s: float, stop_s: float | None, dt_s: float, n: int) -> tuple[int, int]:
    """Grid steps ``[a, b)`` of the window ``[start, stop)`` within ``0 .. n``."""
    a = min(_index(start_s, dt_s), n)
    b = n if stop_s is None else min(_index(stop_s, dt_s), n)
    return a, max(a, b)


class Waveform:
    """A time course of one physical quantity (current or potential), sampled on a time grid.

    Subclasses give :meth:`_samples`; ``a + b`` sums two waveforms of the same dimension.

    Example
    -------
    >>> from brian2 import nA, ms
    >>> w = Step(1 * nA, 1 * ms, 2 * ms) + Step(0.5 * nA, 1.5 * ms, 3 * ms)
    >>> w.sample(0.5 * ms, 7)
    array([0. , 0. , 1. , 1.5, 0.5, 0.5, 0. ]) * namp
    """

    @property
    def dim(self):
        """Physical dimension of the values (Brian2 dimension object)."""
        raise NotImplementedError

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        """Values (SI units) at ``t_k = k*dt_s``, ``k = 0 .. n-1``."""
        raise NotImplementedError

    def sample(self, dt: Quantity, n: int) -> Quantity:
        """Values at ``t_k = k*dt`` for ``k = 0 .. n-1`` (a quantity of :attr:`dim`); ``dt`` in
        second, ``n`` >= 1 samples.

        Example
        -------
        >>> from brian2 import nA, ms
        >>> Ramp(0 * nA, 1 * nA, 0 * ms, 4 * ms).sample(1 * ms, 6)
        array([0.  , 0.25, 0.5 , 0.75, 0.  , 0.  ]) * namp
        """
        dt_s = _time(dt, "sampling dt")
        if not dt_s > 0:
            raise ValueError(f"sampling dt must be > 0 ms, got {dt}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"need an integer number of samples >= 1, got {n!r}")
        return Quantity(self._samples(dt_s, int(n)), dim=self.dim)

    def __add__(self, other: Waveform) -> Sum:
        if not isinstance(other, Waveform):
            return NotImplemented
        return Sum(tuple(_terms(self)) + tuple(_terms(other)))


def _terms(w: Waveform) -> list[Waveform]:
    return list(w.terms) if isinstance(w, Sum) else [w]


def _value(value, what: str) -> Quantity:
    """A finite scalar quantity of a current or a potential."""
    if get_dimensions(value) not in (amp.dim, volt.dim):
        raise ValueError(f"{what} must be a current (amp) or a potential (volt), got {value!r}")
    q = Quantity(value)
    if np.ndim(q) != 0 or not np.isfinite(float(q)):
        raise ValueError(f"{what} must be one finite value, got {value!r}")
    return q


def _same_dim(what: str, *values) -> Quantity:
    first = _value(values[0], what)
    for v in values[1:]:
        if get_dimensions(_value(v, what)) != get_dimensions(first):
            raise ValueError(f"{what}: the values must have one dimension, got {values!r}")
    return first


@dataclass(frozen=True)
class Step(Waveform):
    """``amplitude`` (amp or volt) from ``start`` to ``stop`` (second; ``None``: to the end of
    the run), zero elsewhere: one rectangular pulse.

    Example
    -------
    >>> from brian2 import nA, ms
    >>> Step(2 * nA, 1 * ms, 3 * ms).sample(1 * ms, 5)
    array([0., 2., 2., 0., 0.]) * namp
    """

    amplitude: Quantity
    start: Quantity
    stop: Quantity | None = None

    def __post_init__(self) -> None:
        _value(self.amplitude, "step amplitude")
        _window(self.start, self.stop, "step")

    @property
    def dim(self):
        return get_dimensions(self.amplitude)

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        out = np.zeros(n)
        a, b = _span(*_window(self.start, self.stop, "step"), dt_s, n)
        out[a:b] = float(self.amplitude)
        return out


@dataclass(frozen=True)
class Train(Waveform):
    """``count`` rectangular pulses of ``amplitude`` (amp or volt) and ``width``, the first at
    ``start``, one every ``interval`` (second; ``interval >= width``).

    Example
    -------
    >>> from brian2 import nA, ms
    >>> Train(1 * nA, 1 * ms, 1 * ms, 2 * ms, 3).sample(1 * ms, 8)
    array([0., 1., 0., 1., 0., 1., 0., 0.]) * namp
    """

    amplitude: Quantity
    start: Quantity
    width: Quantity
    interval: Quantity
    count: int

    def __post_init__(self) -> None:
        _value(self.amplitude, "train amplitude")
        _time(self.start, "train start")
        width, interval = _time(self.width, "pulse width"), _time(self.interval, "interval")
        if not 0 < width <= interval:
            raise ValueError(f"need 0 < width <= interval, got width={self.width},"
                             f" interval={self.interval}")
        if isinstance(self.count, bool) or not isinstance(self.count, (int, np.integer)) \
                or self.count < 1:
            raise ValueError(f"train count must be an integer >= 1, got {self.count!r}")

    @property
    def dim(self):
        return get_dimensions(self.amplitude)

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        out = np.zeros(n)
        t0, w, p = (float(x / second) for x in (self.start, self.width, self.interval))
        for k in range(int(self.count)):
            a, b = _span(t0 + k * p, t0 + k * p + w, dt_s, n)
            out[a:b] = float(self.amplitude)
        return out


@dataclass(frozen=True)
class Ramp(Waveform):
    """A linear ramp from ``start_value`` at ``start`` to ``stop_value`` at ``stop`` (amp or
    volt; second), zero outside ``[start, stop)``: slope ``(stop_value - start_value) /
    (stop - start)``.

    Example
    -------
    >>> from brian2 import mV, ms
    >>> Ramp(-10 * mV, 10 * mV, 1 * ms, 3 * ms).sample(0.5 * ms, 7)
    array([  0.,   0., -10.,  -5.,   0.,   5.,   0.]) * mvolt
    """

    start_value: Quantity
    stop_value: Quantity
    start: Quantity
    stop: Quantity

    def __post_init__(self) -> None:
        _same_dim("ramp values", self.start_value, self.stop_value)
        if self.stop is None:
            raise ValueError("a ramp needs a stop time")
        _window(self.start, self.stop, "ramp")

    @property
    def dim(self):
        return get_dimensions(self.start_value)

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        out = np.zeros(n)
        t0, t1 = float(self.start / second), float(self.stop / second)
        a, b = _span(t0, t1, dt_s, n)
        v0, v1 = float(self.start_value), float(self.stop_value)
        out[a:b] = v0 + (v1 - v0) * (np.arange(a, b) * dt_s - t0) / (t1 - t0)
        return out


@dataclass(frozen=True)
class Sine(Waveform):
    """``offset + amplitude*sin(2*pi*frequency*(t - start) + phase)`` from ``start`` to
    ``stop`` (``None``: to the end of the run), zero elsewhere; amplitude and offset in amp or
    volt, frequency in Hz, phase in radians.

    Example
    -------
    >>> from brian2 import nA, ms, Hz
    >>> (Sine(1 * nA, 250 * Hz, 0 * ms).sample(1 * ms, 5) / nA).round(9)
    array([ 0.,  1.,  0., -1., -0.])
    """

    amplitude: Quantity
    frequency: Quantity
    start: Quantity
    stop: Quantity | None = None
    phase: float = 0.0
    offset: Quantity | None = None

    def __post_init__(self) -> None:
        _same_dim("sine amplitude and offset", self.amplitude,
                  *(() if self.offset is None else (self.offset,)))
        f = float(quantity(self.frequency, Hz, "sine frequency", scalar=True) / Hz)
        if not f > 0:
            raise ValueError(f"sine frequency must be > 0 Hz, got {self.frequency}")
        if not np.isfinite(self.phase):
            raise ValueError(f"sine phase must be finite (radians), got {self.phase!r}")
        _window(self.start, self.stop, "sine")

    @property
    def dim(self):
        return get_dimensions(self.amplitude)

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        out = np.zeros(n)
        t0, t1 = _window(self.start, self.stop, "sine")
        a, b = _span(t0, t1, dt_s, n)
        arg = 2 * np.pi * float(self.frequency / Hz) * (np.arange(a, b) * dt_s - t0) + self.phase
        offset = 0.0 if self.offset is None else float(self.offset)
        out[a:b] = offset + float(self.amplitude) * np.sin(arg)
        return out


@dataclass(frozen=True)
class Noise(Waveform):
    """Gaussian noise of ``mean`` and standard deviation ``std`` (amp or volt) from ``start`` to
    ``stop`` (``None``: to the end of the run), reproducible by ``seed``: the same seed and
    ``dt`` give the same samples, whatever the run's duration.

    With ``tau = None`` each time step draws an independent value (white noise whose spectrum
    depends on ``dt``); with a correlation time ``tau`` (second) it is an Ornstein-Uhlenbeck
    process, started in its stationary distribution and discretised exactly, whose statistics
    do not depend on ``dt``.

    Example
    -------
    >>> from brian2 import pA, ms
    >>> x = Noise(10 * pA, 2 * pA, 0 * ms, seed=1).sample(0.1 * ms, 20000) / pA
    >>> round(float(x.mean()), 1), round(float(x.std()), 1)
    (10.0, 2.0)
    """

    mean: Quantity
    std: Quantity
    start: Quantity
    stop: Quantity | None = None
    seed: int = 0
    tau: Quantity | None = None

    def __post_init__(self) -> None:
        _same_dim("noise mean and std", self.mean, self.std)
        if not float(self.std) >= 0:
            raise ValueError(f"noise std must be >= 0, got {self.std}")
        check_seed(self.seed, "noise seed")
        if self.tau is not None and not _time(self.tau, "noise tau") > 0:
            raise ValueError(f"noise tau must be > 0 ms (or None for white noise), got {self.tau}")
        _window(self.start, self.stop, "noise")

    @property
    def dim(self):
        return get_dimensions(self.mean)

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        from scipy.signal import lfilter

        out = np.zeros(n)
        a, b = _span(*_window(self.start, self.stop, "noise"), dt_s, n)
        rng = np.random.default_rng(self.seed)
        xi = rng.standard_normal(b - a)
        if self.tau is not None and xi.size:  # x_k = c x_{k-1} + sqrt(1 - c^2) xi_k, x_0 = xi_0
            c = np.exp(-dt_s / float(self.tau / second))
            xi[1:] *= np.sqrt(1 - c * c)
            xi = lfilter([1.0], [1.0, -c], xi)
        out[a:b] = float(self.mean) + float(self.std) * xi
        return out


@dataclass(frozen=True)
class Sampled(Waveform):
    """Any sampled time course: ``values[k]`` (amp or volt) holds from ``start + k*dt`` to
    ``start + (k+1)*dt`` (as NEURON's ``Vector.play`` without interpolation), zero outside.
    With the simulation's ``dt`` and ``start = 0`` the samples are applied unchanged.

    Example
    -------
    >>> from brian2 import nA, ms
    >>> Sampled([1, 2, 3] * nA, 1 * ms, start=1 * ms).sample(0.5 * ms, 9)
    array([0., 0., 1., 1., 2., 2., 3., 3., 0.]) * namp
    """

    values: Quantity
    dt: Quantity
    start: Quantity = field(default_factory=lambda: 0 * ms)

    def __post_init__(self) -> None:
        v = Quantity(self.values)
        if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(np.asarray(v))):
            raise ValueError(f"sampled values must be a non-empty 1-D array of finite values,"
                             f" got shape {v.shape}")
        _value(v[0], "sampled values")
        object.__setattr__(self, "values", v)
        if not _time(self.dt, "sampled dt") > 0:
            raise ValueError(f"sampled dt must be > 0 ms, got {self.dt}")
        _time(self.start, "sampled start")

    @property
    def dim(self):
        return get_dimensions(self.values)

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        t0, step = float(self.start / second), float(self.dt / second)
        j = np.floor((np.arange(n) * dt_s - t0) / step + _ON_GRID).astype(np.int64)
        inside = (j >= 0) & (j < self.values.size)
        out = np.zeros(n)
        out[inside] = np.asarray(self.values)[j[inside]]
        return out


@dataclass(frozen=True)
class Sum(Waveform):
    """The sum of waveforms of one dimension (what ``a + b`` makes).

    Example
    -------
    >>> from brian2 import nA, ms
    >>> s = Step(1 * nA, 0 * ms) + Step(1 * nA, 1 * ms, 2 * ms)
    >>> len(s.terms), s.sample(1 * ms, 3)
    (2, array([1., 2., 1.]) * namp)
    """

    terms: tuple[Waveform, ...]

    def __post_init__(self) -> None:
        terms = tuple(self.terms)
        if not terms or not all(isinstance(w, Waveform) for w in terms):
            raise ValueError(f"a Sum needs one or more waveforms, got {self.terms!r}")
        if len({w.dim for w in terms}) > 1:
            raise ValueError("a sum of waveforms needs one dimension (all currents or all"
                             f" potentials), got {[str(w.dim) for w in terms]}")
        object.__setattr__(self, "terms", terms)

    @property
    def dim(self):
        return self.terms[0].dim

    def _samples(self, dt_s: float, n: int) -> np.ndarray:
        return np.sum([w._samples(dt_s, n) for w in self.terms], axis=0)


def _waveform(w, dim, what: str) -> Waveform:
    if not isinstance(w, Waveform):
        raise TypeError(f"{what} must be a Waveform (Step, Train, Ramp, Sine, Noise, Sampled or"
                        f" a sum), got {w!r}")
    if w.dim != dim:
        raise ValueError(f"{what} must be in units of {'amp' if dim == amp.dim else 'volt'},"
                         f" got a waveform in {w.dim}")
    return w


@dataclass(frozen=True)
class WaveformClamp:
    """A current clamp at ``site`` injecting ``waveform`` (a current :class:`Waveform`, positive
    into the cell). Several clamps at one site add up (with :class:`CurrentClamp
    <cablemodel.CurrentClamp>` too).

    Example
    -------
    >>> from brian2 import nA, ms, Hz
    >>> c = WaveformClamp("soma", Sine(0.1 * nA, 10 * Hz, 0 * ms) + Step(0.2 * nA, 5 * ms))
    >>> str(c.site), len(c.waveform.terms)
    ('soma', 2)
    """

    site: Location | str
    waveform: Waveform

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", parse_site(self.site))
        _waveform(self.waveform, amp.dim, "a current clamp's waveform")


@dataclass(frozen=True)
class VoltageClamp:
    """A single-electrode voltage clamp at ``site``: the command potential ``holding +
    command(t)`` (``command`` a potential :class:`Waveform` of the deviations from ``holding``,
    e.g. steps) drives ``(V_cmd - v)/series_resistance`` into the compartment for the whole run
    (positive into the cell). The current is implicit in ``v`` in the cable solver, so a small
    series resistance is stable. The clamped compartment follows the command with time constant
    ``series_resistance * C`` (its capacitance) and sits ``I*series_resistance`` off it. Record
    the current with ``simulate(..., record=["i_vclamp@SITE"])`` (nA): the sample at ``t + dt``
    is the current that held the cell through the step from ``t``, so it balances the membrane
    current of that step (its conductances at ``t``).

    Example
    -------
    >>> from brian2 import mV, ms, Mohm
    >>> vc = VoltageClamp("soma", -70 * mV, Step(60 * mV, 10 * ms, 20 * ms), 0.1 * Mohm)
    >>> vc.command_potential(5 * ms, 4)
    array([-70., -70., -10., -10.]) * mvolt
    """

    site: Location | str
    holding: Quantity
    command: Waveform | None = None
    series_resistance: Quantity = field(default_factory=lambda: 1 * Mohm)

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", parse_site(self.site))
        quantity(self.holding, mV, "holding potential", scalar=True)
        if self.command is not None:
            _waveform(self.command, volt.dim, "a voltage clamp's command")
        r = float(quantity(self.series_resistance, ohm, "series resistance", scalar=True) / ohm)
        if not r > 0:
            raise ValueError(f"series resistance must be > 0 ohm, got {self.series_resistance}")

    def command_potential(self, dt: Quantity, n: int) -> Quantity:
        """The command potential (volt) at ``t_k = k*dt``, ``k = 0 .. n-1``.

        Example
        -------
        >>> from brian2 import mV, ms
        >>> VoltageClamp("soma", -65 * mV).command_potential(1 * ms, 2)
        array([-65., -65.]) * mvolt
        """
        base = Step(self.holding, 0 * ms).sample(dt, n)
        return base if self.command is None else base + self.command.sample(dt, n)


@dataclass(frozen=True)
class VoltageSteps:
    """A step protocol (for I-V curves): for each of ``levels`` (volt) a sweep of ``period`` =
    ``pre + step + post`` at ``holding``, stepped to the level during ``step`` (second). Every
    sweep starts from the cell's initial state when run by :func:`cablemodel.protocols.iv_curve`.

    Example
    -------
    >>> from brian2 import mV, ms
    >>> p = VoltageSteps(-70 * mV, [-50, 0] * mV, pre=5 * ms, step=10 * ms, post=5 * ms)
    >>> p.period, len(p.levels)
    (20. * msecond, 2)
    >>> p.clamp("soma", 1).command_potential(5 * ms, 4)
    array([-70.,   0.,   0., -70.]) * mvolt
    """

    holding: Quantity
    levels: Quantity
    pre: Quantity = field(default_factory=lambda: 10 * ms)
    step: Quantity = field(default_factory=lambda: 20 * ms)
    post: Quantity = field(default_factory=lambda: 5 * ms)

    def __post_init__(self) -> None:
        quantity(self.holding, mV, "holding potential", scalar=True)
        levels = quantity(self.levels, mV, "step levels")
        arr = np.atleast_1d(np.asarray(levels, dtype=float))
        if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"step levels must be one or more finite potentials, got {levels!r}")
        object.__setattr__(self, "levels", Quantity(arr, dim=volt.dim))
        if not _time(self.step, "step duration") > 0:
            raise ValueError(f"step duration must be > 0 ms, got {self.step}")
        _time(self.pre, "time before the step")
        _time(self.post, "time after the step")

    @property
    def period(self) -> Quantity:
        """Length of one sweep (second)."""
        return self.pre + self.step + self.post

    def command(self, k: int, offset: Quantity = 0 * ms) -> Step:
        """Command deviation of sweep ``k`` from holding (volt), its sweep starting at ``offset``.

        Example
        -------
        >>> from brian2 import mV, ms
        >>> VoltageSteps(-70 * mV, [-10] * mV).command(0).amplitude
        60. * mvolt
        """
        start = offset + self.pre
        return Step(self.levels[k] - self.holding, start, start + self.step)

    def clamp(self, site: Location | str, k: int, series_resistance: Quantity = 1 * Mohm
              ) -> VoltageClamp:
        """The voltage clamp at ``site`` of sweep ``k`` alone (its sweep starting at 0).

        Example
        -------
        >>> from brian2 import mV
        >>> VoltageSteps(-70 * mV, [-10] * mV).clamp("soma", 0).holding
        -70. * mvolt
        """
        return VoltageClamp(site, self.holding, self.command(k), series_resistance)

    def all_sweeps(self, site: Location | str, series_resistance: Quantity = 1 * Mohm,
                   levels: Sequence[int] | None = None) -> VoltageClamp:
        """One voltage clamp running the sweeps ``levels`` (indices, default all) back to back,
        one ``period`` each.

        Example
        -------
        >>> from brian2 import mV, ms
        >>> p = VoltageSteps(-70 * mV, [-60, -50] * mV, pre=1 * ms, step=1 * ms, post=0 * ms)
        >>> p.all_sweeps("soma").command_potential(1 * ms, 4)
        array([-70., -60., -70., -50.]) * mvolt
        """
        ks = range(len(self.levels)) if levels is None else levels
        steps = [self.command(k, j * self.period) for j, k in enumerate(ks)]
        if not steps:
            raise ValueError("no sweeps selected")
        return VoltageClamp(site, self.holding, Sum(tuple(steps)), series_resistance)
