"""Ion concentration dynamics per compartment: intracellular calcium in a submembrane shell.

:class:`CalciumDynamics` is BBP's ``CaDynamics_E2`` (and, with ``gamma = 1``, NEURON's ``cad``
shell without buffering): the Ca2+ current entering the compartment fills a shell of ``depth``
below the membrane, of which a fraction ``gamma`` stays free (the rest is buffered), and the free
concentration decays to ``minimum`` with time constant ``decay``::

    d cai/dt = gamma * i_ca / (2 F depth) - (cai - minimum) / decay

with ``i_ca`` the summed current density of the Ca2+ channels (``Channel(ion="ca")``), positive
*into* the cell (NEURON writes ``-ica``, its ``ica`` being outward positive). Per time step the
current is held at its value at the start of the step and the equation, linear in ``cai``, is
solved exactly (:func:`calcium_update`).

Painted with ``cell.paint(CalciumDynamics(...), where)`` (no density); different parameters on
different regions are per-compartment data. Where no dynamics are painted ``cai`` stays at its
resting value (:data:`~cablemodel.mechanisms.channels.RESTING_CONCENTRATIONS`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, mM, ms, um

from ..units import quantity
from .ions import FARADAY

__all__ = ["CalciumDynamics", "CALCIUM_PARAMETERS", "steady_calcium", "calcium_update"]

#: Brian2 names of the per-compartment parameters of the calcium dynamics and their units.
CALCIUM_PARAMETERS = {"gamma_cai": "1", "decay_cai": "second", "depth_cai": "meter",
                      "minimum_cai": "mmolar"}


@dataclass(frozen=True)
class CalciumDynamics:
    """Intracellular Ca2+ in a submembrane shell (BBP's ``CaDynamics_E2``).

    Parameters
    ----------
    name : str
        A label (metadata; the concentration is always ``cai``).
    gamma : float
        Fraction of the entering calcium that stays free (0..1; 1 - gamma is buffered).
    decay : Quantity
        Time constant of the decay to ``minimum`` (ms), > 0.
    depth : Quantity
        Depth of the shell below the membrane (um), > 0.
    minimum : Quantity
        Resting free concentration the decay tends to (mM), > 0.
    outside : Quantity
        Extracellular concentration ``cao`` (mM), > 0.

    Example
    -------
    >>> from brian2 import ms
    >>> cad = CalciumDynamics(gamma=0.05, decay=80 * ms)
    >>> cad.values()["decay_cai"], round(cad.influx_factor(), 4)  # s; mM/s per A/m^2
    (0.08, 2.5911)
    """

    name: str = "CaDynamics_E2"
    gamma: float = 0.05
    decay: Quantity = field(default_factory=lambda: 80 * ms)
    depth: Quantity = field(default_factory=lambda: 0.1 * um)
    minimum: Quantity = field(default_factory=lambda: 1e-4 * mM)
    outside: Quantity = field(default_factory=lambda: 2.0 * mM)

    def __post_init__(self) -> None:
        where = f"calcium dynamics {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"calcium dynamics name must be a non-empty string, got {self.name!r}")
        if isinstance(self.gamma, bool) or not isinstance(self.gamma, numbers.Real) or not (
                math.isfinite(self.gamma) and 0 <= self.gamma <= 1):
            raise ValueError(f"{where}: gamma (free fraction) must be a number in [0, 1], got"
                             f" {self.gamma!r}")
        for what, unit in (("decay", ms), ("depth", um), ("minimum", mM), ("outside", mM)):
            value = quantity(getattr(self, what), unit, f"{where}: {what}", scalar=True)
            if not float(value) > 0:
                raise ValueError(f"{where}: {what} must be > 0, got {value}")

    def values(self) -> dict[str, float]:
        """The Brian2 parameters (:data:`CALCIUM_PARAMETERS`) in SI units (plain floats; mmolar
        is mol/m^3, so mM values are unchanged), plus ``cao`` (mM).

        Example
        -------
        >>> CalciumDynamics().values()["depth_cai"]  # m
        1e-07
        """
        return {"gamma_cai": float(self.gamma), "decay_cai": float(self.decay),
                "depth_cai": float(self.depth), "minimum_cai": float(self.minimum / mM),
                "cao": float(self.outside / mM)}

    def influx_factor(self) -> float:
        """``gamma / (2 F depth)``: the rate of rise of ``cai`` per unit inward current density
        (mM/s per A/m^2).

        Example
        -------
        >>> round(CalciumDynamics(gamma=1.0).influx_factor(), 3)
        51.821
        """
        return float(self.gamma) / (2 * FARADAY * float(self.depth))


def steady_calcium(minimum, factor, decay, inward: Callable[[np.ndarray], np.ndarray],
                   where: str = "") -> np.ndarray:
    """The resting ``cai`` (mM) of each compartment: the positive root of
    ``cai = minimum + decay * factor * inward(cai)`` (arrays: ``minimum`` mM, ``factor`` mM/s per
    A/m^2 as :meth:`CalciumDynamics.influx_factor`, ``decay`` s; ``inward(cai)`` the Ca2+ current
    density, A/m^2 positive inward, at each compartment's ``cai``). Found by bisection on
    ``log(cai)`` between 1e-12 mM and 1e3 mM (to the last bit: 100 halvings); no root
    there is a ``ValueError`` naming the compartments (``where`` describes them).

    Example
    -------
    >>> import numpy as np
    >>> c = steady_calcium(np.array([1e-4]), np.array([100.0]), np.array([0.08]),
    ...                    lambda cai: 1e-3 * np.ones_like(cai))  # 1 mA/m^2 inward
    >>> round(float(c[0]), 10)  # 1e-4 + 0.08 * 100 * 1e-3
    0.0081
    """
    minimum, factor, decay = (np.asarray(a, dtype=float) for a in (minimum, factor, decay))

    def residual(c):
        return c - minimum - decay * factor * inward(c)

    lo = np.full(minimum.shape, -12.0 * math.log(10))
    hi = np.full(minimum.shape, 3.0 * math.log(10))
    r_lo, r_hi = residual(np.exp(lo)), residual(np.exp(hi))
    bad = ~((r_lo <= 0) & (r_hi >= 0))
    if np.any(bad):
        raise ValueError(
            f"calcium dynamics{where}: no resting cai between 1e-12 and 1e3 mM in"
            f" {int(bad.sum())} compartment(s) (the calcium current at v_rest drives cai out of"
            " range: an outward Ca2+ current, or an influx the decay cannot balance); lower the"
            " Ca2+ channel densities, raise the decay rate or change v_rest")
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        up = residual(np.exp(mid)) >= 0
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    c_lo, c_hi = np.exp(lo), np.exp(hi)
    best = np.where(np.abs(residual(c_lo)) <= np.abs(residual(c_hi)), c_lo, c_hi)
    return np.where(residual(minimum) == 0, minimum, best)  # no current: exactly the minimum


def calcium_update(inward: str) -> str:
    """Brian2 statement advancing ``cai`` by one step ``dt`` exactly, the inward Ca2+ current
    density ``inward`` (Brian2 text, amp/meter**2) held at its start-of-step value.

    Example
    -------
    >>> calcium_update("i").endswith("*exp(-dt/decay_cai)")
    True
    """
    target = f"(minimum_cai + decay_cai*gamma_cai*({inward})/(2*{FARADAY!r}*coulomb/mole*depth_cai))"
    return f"cai = {target} + (cai - {target})*exp(-dt/decay_cai)"
