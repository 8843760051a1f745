"""Ions, concentrations and reversal potentials (Nernst and Goldman-Hodgkin-Katz).

Default concentrations are textbook mammalian values (mM, inside / outside): Na+ 12 / 145,
K+ 140 / 5, Cl- 7 / 110, Ca2+ 1e-4 / 2 (100 nM free Ca2+ at rest). The default temperature is
37 degC (body temperature). Note that this is the temperature of the *ions* (RT/F); the Q10 of
the voltage-gated channels is set separately by ``Cell(celsius=...)`` (6.3 degC by default, the
Hodgkin-Huxley squid reference). At 37 degC the defaults give E_Na = +66.6 mV, E_K = -89.1 mV,
E_Cl = -73.6 mV and E_Ca = +132.3 mV.

A channel permeable to several ions reverses where the Goldman-Hodgkin-Katz currents cancel
(:func:`ghk_reversal`); for monovalent ions only this is the GHK voltage equation, with Ca2+ the
zero of the summed GHK current equations is found numerically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, mM, volt
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

__all__ = ["Ions", "DEFAULT_IONS", "VALENCE", "nernst", "ghk_reversal", "ion_key",
           "AMPA_PERMEABILITY", "NMDA_PERMEABILITY", "CATION_PERMEABILITY"]

#: Valence of each ion (the keys are the names accepted everywhere: "na", "k", "cl", "ca").
VALENCE: dict[str, int] = {"na": 1, "k": 1, "cl": -1, "ca": 2}

#: Gas constant (J/(mol K)) and Faraday constant (C/mol), CODATA 2018.
GAS_CONSTANT = 8.314462618
FARADAY = 96485.33212
ZERO_CELSIUS = 273.15

#: Relative permeabilities of an AMPA receptor channel (Na+ : K+ : Ca2+ = 1 : 1 : 0.1, a mostly
#: Ca2+-impermeable GluA2-containing channel); reversal -0.3 mV with the default ions.
AMPA_PERMEABILITY: dict[str, float] = {"na": 1.0, "k": 1.0, "ca": 0.1}
#: NMDA receptor channel: Na+ : K+ : Ca2+ = 1 : 1 : 3.6 (Ca2+-permeable); reversal +2.0 mV.
NMDA_PERMEABILITY: dict[str, float] = {"na": 1.0, "k": 1.0, "ca": 3.6}
#: A non-selective cation channel (Na+ : K+ = 1 : 1, e.g. TRPC); reversal -0.4 mV.
CATION_PERMEABILITY: dict[str, float] = {"na": 1.0, "k": 1.0}


def ion_key(ion: str) -> str:
    """Canonical name of an ion: ``"K+"``, ``"k"``, ``"Ca2+"``, ``"Cl-"`` -> ``"k"``, ``"ca"``, ...

    Raises ``ValueError`` listing the known ions for anything else.

    Example
    -------
    >>> ion_key("Ca2+"), ion_key("Cl-"), ion_key("Na")
    ('ca', 'cl', 'na')
    """
    if not isinstance(ion, str):
        raise ValueError(f"ion must be one of {sorted(VALENCE)}, got {ion!r}")
    key = ion.strip().lower().rstrip("+-").rstrip("2")
    if key not in VALENCE:
        raise ValueError(f"unknown ion {ion!r}; valid choices: {sorted(VALENCE)}"
                         " (also written 'Na+', 'K+', 'Cl-', 'Ca2+')")
    return key


def _concentration(value, what: str) -> Quantity:
    fail_for_dimension_mismatch(value, mM, f"{what} must be a concentration (e.g. 5*mM), got {value!r}")
    c = np.asarray(Quantity(value) / mM, dtype=float)
    if not np.all(np.isfinite(c)) or np.any(c <= 0):
        raise ValueError(f"{what} must be > 0 mM (a concentration of zero has no reversal"
                         f" potential), got {value}")
    return Quantity(value)


def _celsius(celsius: float) -> float:
    c = float(celsius)
    if not np.isfinite(c) or c <= -ZERO_CELSIUS:
        raise ValueError(f"celsius must be above absolute zero (-273.15), got {celsius}")
    return c


def _rt_over_f(celsius: float) -> float:
    """RT/F in volt."""
    return GAS_CONSTANT * (_celsius(celsius) + ZERO_CELSIUS) / FARADAY


def nernst(ion: str, c_in: Quantity, c_out: Quantity, celsius: float = 37.0) -> Quantity:
    """Nernst (equilibrium) potential ``RT/(zF) ln(c_out/c_in)`` of ``ion`` (volt).

    Parameters
    ----------
    ion : str
        ``"na"``, ``"k"``, ``"cl"`` or ``"ca"`` (or ``"K+"``, ``"Cl-"``, ``"Ca2+"``...).
    c_in, c_out : Quantity
        Intra- and extracellular concentrations (mM), > 0.
    celsius : float
        Temperature (degC).

    Example
    -------
    >>> from brian2 import mM, mV
    >>> round(float(nernst("k", 140 * mM, 5 * mM) / mV), 2)
    -89.06
    """
    z = VALENCE[ion_key(ion)]
    ci = np.asarray(_concentration(c_in, f"[{ion}]i") / mM, dtype=float)
    co = np.asarray(_concentration(c_out, f"[{ion}]o") / mM, dtype=float)
    return _rt_over_f(celsius) / z * np.log(co / ci) * volt


@dataclass(frozen=True)
class Ions:
    """Intra- and extracellular concentrations of Na+, K+, Cl-, Ca2+ and the temperature.

    All concentrations are Brian2 quantities (mM) and must be > 0; ``celsius`` is in degC.
    Change a value with :meth:`replace` (e.g. raised extracellular K+ or intracellular Cl-).

    Example
    -------
    >>> from brian2 import mM, mV
    >>> round(float(Ions().E("k") / mV), 1), round(float(Ions(k_out=20 * mM).E("K+") / mV), 1)
    (-89.1, -52.0)
    """

    na_in: Quantity = field(default_factory=lambda: 12.0 * mM)
    na_out: Quantity = field(default_factory=lambda: 145.0 * mM)
    k_in: Quantity = field(default_factory=lambda: 140.0 * mM)
    k_out: Quantity = field(default_factory=lambda: 5.0 * mM)
    cl_in: Quantity = field(default_factory=lambda: 7.0 * mM)
    cl_out: Quantity = field(default_factory=lambda: 110.0 * mM)
    ca_in: Quantity = field(default_factory=lambda: 1e-4 * mM)
    ca_out: Quantity = field(default_factory=lambda: 2.0 * mM)
    celsius: float = 37.0

    def __post_init__(self) -> None:
        for ion in VALENCE:
            for side in ("in", "out"):
                name = f"{ion}_{side}"
                c = _concentration(getattr(self, name), name)
                if np.ndim(c) != 0:
                    raise ValueError(f"{name} must be a single concentration, got {c}")
        object.__setattr__(self, "celsius", _celsius(self.celsius))

    def inside(self, ion: str) -> Quantity:
        """Intracellular concentration of ``ion`` (mM).

        Example
        -------
        >>> Ions().inside("K+"), Ions().inside("ca")
        (140. * mmolar, 100. * nmolar)
        """
        return getattr(self, f"{ion_key(ion)}_in")

    def outside(self, ion: str) -> Quantity:
        """Extracellular concentration of ``ion`` (mM).

        Example
        -------
        >>> from brian2 import mM
        >>> Ions().outside("na"), Ions(k_out=20 * mM).outside("k")
        (145. * mmolar, 20. * mmolar)
        """
        return getattr(self, f"{ion_key(ion)}_out")

    def E(self, ion: str) -> Quantity:
        """Nernst potential of ``ion`` (volt) at these concentrations and temperature.

        Example
        -------
        >>> from brian2 import mV
        >>> round(float(Ions().E("cl") / mV), 1)
        -73.6
        """
        return nernst(ion, self.inside(ion), self.outside(ion), self.celsius)

    def replace(self, **changes) -> Ions:
        """A copy with some values changed (validated), e.g. ``ions.replace(cl_in=30*mM)``.

        Example
        -------
        >>> from brian2 import mM, mV
        >>> round(float(Ions().replace(cl_in=30 * mM).E("cl") / mV), 1)
        -34.7
        """
        from dataclasses import replace

        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise ValueError(f"Ions has no field(s) {sorted(unknown)};"
                             f" valid: {sorted(self.__dataclass_fields__)}")
        return replace(self, **changes)


#: The default ions (37 degC, textbook mammalian concentrations).
DEFAULT_IONS = Ions()


def _ghk_current(u: float, perm: Mapping[str, float], ions: Ions) -> float:
    """Summed GHK current (arbitrary units, outward positive) at ``u = V F / (R T)``."""
    total = 0.0
    for ion, p in perm.items():
        z = VALENCE[ion]
        ci = float(ions.inside(ion) / mM)
        co = float(ions.outside(ion) / mM)
        x = z * u
        g = 1.0 if abs(x) < 1e-12 else x / -np.expm1(-x)  # x / (1 - exp(-x)), -> 1 at x = 0
        total += p * z * (ci - co * np.exp(-x)) * g
    return total


def ghk_reversal(permeabilities: Mapping[str, float], ions: Ions = DEFAULT_IONS) -> Quantity:
    """Reversal potential (volt) of a channel permeable to several ions (Goldman-Hodgkin-Katz).

    Parameters
    ----------
    permeabilities : mapping ion -> float
        Relative permeabilities (dimensionless, >= 0, at least one > 0), e.g.
        ``{"na": 1, "k": 1, "ca": 0.1}``.
    ions : Ions
        Concentrations and temperature.

    With monovalent ions only, this is the GHK voltage equation
    ``RT/F ln((sum P_cat [cat]o + sum P_an [an]i) / (sum P_cat [cat]i + sum P_an [an]o))``; with
    Ca2+ the zero of the summed GHK current equations (unique: each current grows with V).
    A single ion gives its Nernst potential.

    Example
    -------
    >>> from brian2 import mV
    >>> round(float(ghk_reversal({"na": 1, "k": 1}) / mV), 2)
    -0.35
    >>> round(float(ghk_reversal(AMPA_PERMEABILITY) / mV), 2)
    -0.28
    """
    if not isinstance(ions, Ions):
        raise TypeError(f"ions must be a cablemodel Ions, got {type(ions)}")
    if not isinstance(permeabilities, Mapping) or not permeabilities:
        raise ValueError("permeabilities must be a non-empty mapping ion -> relative permeability"
                         f" (ions: {sorted(VALENCE)})")
    perm: dict[str, float] = {}
    for ion, p in permeabilities.items():
        key = ion_key(ion)
        fail_for_dimension_mismatch(p, 1, f"permeability of {ion} must be dimensionless (relative)")
        p = float(p)
        if not np.isfinite(p) or p < 0:
            raise ValueError(f"permeability of {ion} must be >= 0, got {p}")
        perm[key] = perm.get(key, 0.0) + p
    perm = {k: p for k, p in perm.items() if p > 0}
    if not perm:
        raise ValueError("at least one permeability must be > 0")
    rtf = _rt_over_f(ions.celsius)
    if all(abs(VALENCE[k]) == 1 for k in perm):
        num = sum(p * float((ions.outside(k) if VALENCE[k] > 0 else ions.inside(k)) / mM)
                  for k, p in perm.items())
        den = sum(p * float((ions.inside(k) if VALENCE[k] > 0 else ions.outside(k)) / mM)
                  for k, p in perm.items())
        return rtf * np.log(num / den) * volt
    # bracket: every Nernst potential lies in it, and the summed current changes sign there;
    # the current grows with V, so bisection converges to the last bit (no scipy import)
    es = [float(ions.E(k) / volt) / rtf for k in perm]
    lo, hi = min(es) - 1.0, max(es) + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if _ghk_current(mid, perm, ions) > 0:
            hi = mid
        else:
            lo = mid
    return rtf * 0.5 * (lo + hi) * volt
