"""Cable theory: length constants, their fit, sealed-cable profiles, input resistance.

All public functions take and return Brian2 quantities.
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, cm, ohm, siemens, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch, get_dimensions

__all__ = ["length_constant", "fit_length_constant", "sealed_cable_profile",
           "input_resistance_ball_and_stick", "cable_input_conductance"]


def _q(value, unit, what: str) -> float:
    fail_for_dimension_mismatch(value, unit, f"{what} must be in units of {unit!r}, got {value!r}")
    return np.asarray(Quantity(value) / unit, dtype=float)



def length_constant(diameter: Quantity, Rm: Quantity, Ri: Quantity) -> Quantity:
    """Cable length constant ``lambda = sqrt((d/4) * Rm / Ri)``.

    ``Rm`` is the specific membrane resistance (ohm*cm^2 = 1/g_leak), ``Ri`` the axial
    resistivity (ohm*cm).

    Example
    -------
    >>> from brian2 import um, ohm, cm
    >>> round(float(length_constant(2*um, 10000*ohm*cm**2, 100*ohm*cm) / um), 1)
    707.1
    """
    d = _q(diameter, um, "diameter") * 1e-4  # cm
    rm = _q(Rm, ohm * cm**2, "Rm")
    ri = _q(Ri, ohm * cm, "Ri")
    if np.any(d <= 0) or np.any(rm <= 0) or np.any(ri <= 0):
        raise ValueError("diameter, Rm and Ri must be > 0")
    return np.sqrt(d / 4 * rm / ri) * 1e4 * um


def fit_length_constant(distances: Quantity, amplitudes: Quantity) -> dict[str, Quantity]:
    """Fit ``A(x) = A0 * exp(-x / lambda)`` (least squares on log A) to positive amplitudes.

    Returns ``lambda``, ``A0`` and ``r2`` (coefficient of determination of the log fit).

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import um, mV
    >>> x = np.array([0, 100, 200, 400]) * um
    >>> fit = fit_length_constant(x, 5 * np.exp(-x / (250*um)) * mV)
    >>> round(float(fit["lambda"] / um), 6)
    250.0
    """
    x = _q(distances, um, "distances")
    a = np.asarray(Quantity(amplitudes), dtype=float)
    if x.size < 2 or x.shape != a.shape:
        raise ValueError("need >= 2 distances and as many amplitudes")
    if np.any(a <= 0):
        raise ValueError("amplitudes must all be > 0 to fit an exponential decay"
                         f" (got {a.min():g}); use depolarizing PSPs or |amplitude|")
    slope, intercept = np.polyfit(x, np.log(a), 1)
    if slope >= 0:
        raise ValueError("amplitudes do not decay with distance; no length constant to fit")
    pred = intercept + slope * x
    ss_res = float(np.sum((np.log(a) - pred) ** 2))
    ss_tot = float(np.sum((np.log(a) - np.log(a).mean()) ** 2))
    return {"lambda": -1.0 / slope * um,
            "A0": Quantity(float(np.exp(intercept)), dim=get_dimensions(amplitudes)),
            "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0}


def sealed_cable_profile(x: Quantity, length: Quantity, lam: Quantity) -> np.ndarray:
    """Steady-state V(x)/V(0) in a finite cable with a sealed end, driven at x = 0:
    ``cosh((L - x)/lambda) / cosh(L/lambda)``.

    Example
    -------
    >>> from brian2 import um
    >>> float(sealed_cable_profile(0*um, 500*um, 300*um))
    1.0
    """
    xx, L, lm = _q(x, um, "x"), float(_q(length, um, "length")), float(_q(lam, um, "lambda"))
    return np.cosh((L - xx) / lm) / np.cosh(L / lm)


def cable_input_conductance(diameter: Quantity, length: Quantity, Rm: Quantity, Ri: Quantity
                            ) -> Quantity:
    """Input conductance of a sealed-end cylinder seen from its start:
    ``G = tanh(L/lambda) / (lambda * r_a)`` with ``r_a = 4 Ri / (pi d^2)``.

    Example
    -------
    >>> from brian2 import um, ohm, cm, nS
    >>> g = cable_input_conductance(2*um, 1000*um, 10000*ohm*cm**2, 100*ohm*cm)
    >>> 0 < float(g / nS) < 100
    True
    """
    lam = float(length_constant(diameter, Rm, Ri) / um) * 1e-4  # cm
    d = float(_q(diameter, um, "diameter")) * 1e-4
    L = float(_q(length, um, "length")) * 1e-4
    ra = 4 * float(_q(Ri, ohm * cm, "Ri")) / (np.pi * d**2)  # ohm / cm
    return np.tanh(L / lam) / (lam * ra) * siemens


def input_resistance_ball_and_stick(soma_diameter: Quantity, dendrite_diameter: Quantity,
                                    dendrite_length: Quantity, Rm: Quantity, Ri: Quantity
                                    ) -> Quantity:
    """Input resistance at the soma of a passive ball-and-stick (Rall):
    ``1 / (G_soma + G_dendrite)`` with ``G_soma = area / Rm`` and the sealed-cable dendrite.

    Example
    -------
    >>> from brian2 import um, ohm, cm, Mohm
    >>> r = input_resistance_ball_and_stick(20*um, 2*um, 1000*um, 10000*ohm*cm**2, 100*ohm*cm)
    >>> 50 < float(r / Mohm) < 500
    True
    """
    ds = float(_q(soma_diameter, um, "soma_diameter")) * 1e-4
    g_soma = np.pi * ds**2 / float(_q(Rm, ohm * cm**2, "Rm"))
    g_dend = float(cable_input_conductance(dendrite_diameter, dendrite_length, Rm, Ri) / siemens)
    return 1.0 / (g_soma + g_dend) * ohm
