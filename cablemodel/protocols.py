"""Voltage-clamp protocols: current-voltage (I-V) curves from a step protocol.

:func:`iv_curve` runs every sweep of a :class:`~cablemodel.mechanisms.stimuli.VoltageSteps`
protocol in one simulation (one build), each sweep from the cell's initial state (the trial
resets of :func:`cablemodel.simulation.assembly.trial_period`), and measures the clamp current
(positive into the cell, i.e. the membrane current it balances: inward currents are negative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Mohm, Quantity, amp, ms, us, volt

from .cell import Cell
from .mechanisms.stimuli import VoltageSteps
from .places import Location

__all__ = ["IVCurve", "iv_curve"]


@dataclass(frozen=True)
class IVCurve:
    """Currents of a step protocol, one value per level.

    Attributes
    ----------
    levels : Quantity
        Step potentials (volt).
    peak : Quantity
        Peak inward current of each step (amp): the most negative clamp current after the
        capacitive transient; where nothing flows inward, the least outward current.
    steady : Quantity
        Mean clamp current over the end of each step (amp).
    t : Quantity
        Time within a sweep of each sample of :attr:`currents` (second).
    currents : Quantity
        Clamp current of every sweep (amp, sweeps x samples).

    Example
    -------
    >>> from brian2 import mV, nA, ms
    >>> iv = IVCurve([-70, -60] * mV, [-2, 1] * nA, [0, 3] * nA, [0] * ms, [[0], [0]] * nA)
    >>> iv.reversal()
    -63.33333333 * mvolt
    """

    levels: Quantity
    peak: Quantity
    steady: Quantity
    t: Quantity
    currents: Quantity

    def reversal(self, which: str = "peak") -> Quantity | None:
        """The most depolarized level (volt) at which the ``"peak"`` or ``"steady"`` current
        changes from inward (< 0) to outward (>= 0), interpolated linearly between levels;
        ``None`` if it does not.

        Example
        -------
        >>> from brian2 import mV, nA, ms
        >>> IVCurve([0, 10] * mV, [-1, -1] * nA, [1, 2] * nA, [0] * ms, [[0], [0]] * nA
        ...         ).reversal() is None
        True
        """
        if which not in ("peak", "steady"):
            raise ValueError(f"which must be 'peak' or 'steady', got {which!r}")
        v = np.asarray(self.levels / volt)
        i = np.asarray(getattr(self, which) / amp)
        order = np.argsort(v)
        v, i = v[order], i[order]
        up = np.flatnonzero((i[:-1] < 0) & (i[1:] >= 0))
        if up.size == 0:
            return None
        k = up[-1]
        return float(v[k] + (v[k + 1] - v[k]) * -i[k] / (i[k + 1] - i[k])) * volt


def iv_curve(cell: Cell, protocol: VoltageSteps, site: Location | str = "soma",
             series_resistance: Quantity = 0.1 * Mohm, *, skip: Quantity = 0.1 * ms,
             steady_window: Quantity = 1 * ms, dt: Quantity = 25 * us, engine: str = "auto"
             ) -> IVCurve:
    """Run ``protocol`` with a voltage clamp at ``site`` and return its :class:`IVCurve`.

    Each sweep starts from the cell's initial state and holds ``protocol.holding`` for
    ``protocol.pre`` before its step. The peak current is taken from ``skip`` (second) after the
    step starts, past the capacitive transient (time constant ``series_resistance`` x the
    compartment's capacitance), to its end; the steady current is the mean over the last
    ``steady_window`` (second) of the step. ``protocol.period`` must be a whole number of
    ``dt``; ``engine`` as in :func:`cablemodel.simulate`. Only the clamped compartment is
    clamped: for an I-V curve of a soma's channels, use a compact cell (space clamp).

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import mV, ms, nA, us, siemens, cm
    >>> from cablemodel import Cell, Morphology, Section, HHSodium, HHPotassium
    >>> soma = Morphology((Section("soma", "soma", None, np.array([[0, 0, 0, 20.0]])),))
    >>> cell = Cell(soma, spike_site="soma").paint(HHSodium(), "soma", 0.12 * siemens / cm**2
    ...     ).paint(HHPotassium(), "soma", 0.036 * siemens / cm**2)
    >>> steps = VoltageSteps(-65 * mV, [-40, 0] * mV, pre=1 * ms, step=4 * ms, post=0 * ms)
    >>> iv = iv_curve(cell, steps, dt=50 * us, engine="numpy")
    >>> bool(iv.peak[1] < iv.peak[0] < 0 * nA < iv.steady[1])  # Na+ in, then K+ out
    True
    """
    from .simulation.assembly import trial_period
    from .simulation.engine import simulate

    if not isinstance(protocol, VoltageSteps):
        raise TypeError(f"protocol must be a VoltageSteps, got {protocol!r}")
    dt_ms = float(dt / ms)
    period_ms = float(protocol.period / ms)
    n = int(round(period_ms / dt_ms))
    if abs(n * dt_ms - period_ms) > 1e-9 * period_ms:
        raise ValueError(f"the protocol's period ({period_ms:g} ms) must be a whole number of"
                         f" dt ({dt_ms:g} ms)")
    first = int(np.ceil(float(protocol.pre / ms) / dt_ms - 1e-6))
    last = int(np.ceil(float((protocol.pre + protocol.step) / ms) / dt_ms - 1e-6))
    skip_n = int(np.ceil(float(skip / ms) / dt_ms - 1e-6))
    window = max(1, int(round(float(steady_window / ms) / dt_ms)))
    if not 0 <= skip_n < last - first or window > last - first:
        raise ValueError(f"skip ({skip}) and steady_window ({steady_window}) must lie within the"
                         f" step ({protocol.step})")
    clamp = protocol.all_sweeps(site, series_resistance)
    with trial_period(period_ms):
        result = simulate(cell, [], duration=len(protocol.levels) * protocol.period, dt=dt,
                          clamps=[clamp], engine=engine, record=[("i_vclamp", clamp.site)])
    current = np.asarray(result.trace(("i_vclamp", clamp.site)) / amp)[: n * len(protocol.levels)]
    sweeps = current.reshape(len(protocol.levels), n)
    step = sweeps[:, first:last]
    return IVCurve(protocol.levels, step[:, skip_n:].min(axis=1) * amp,
                   step[:, -window:].mean(axis=1) * amp, np.arange(n) * dt_ms * ms,
                   sweeps * amp)
