"""One place for checking Brian2 quantities at the public API."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity
from brian2.units.fundamentalunits import fail_for_dimension_mismatch, have_same_dimensions

__all__ = ["quantity", "bounded"]


def quantity(value, unit, what: str, *, scalar: bool = False) -> Quantity:
    """``value`` as a Quantity after checking it has the dimensions of ``unit``; with
    ``scalar=True`` it must also be one finite value. Errors name ``what``.

    Example
    -------
    >>> from brian2 import mV, ms
    >>> quantity(5 * ms, ms, "tau")
    5. * msecond
    >>> quantity(5 * mV, ms, "tau")
    Traceback (most recent call last):
    ...
    brian2.units.fundamentalunits.DimensionMismatchError: tau must be in units of ...
    """
    if not have_same_dimensions(value, unit):  # the message (two reprs) only when it fails
        fail_for_dimension_mismatch(value, unit,
                                    f"{what} must be in units of {unit!r}, got {value!r}")
    q = Quantity(value)
    if scalar and (np.ndim(q) != 0 or not np.isfinite(float(q))):
        raise ValueError(f"{what} must be one finite value, got {value!r}")
    return q


def bounded(value, unit, what: str, low: float, high: float, unit_name: str, note: str = ""
            ) -> Quantity:
    """``value`` as one finite Quantity with ``unit``'s dimensions, between ``low`` and ``high``
    (in ``unit``, called ``unit_name`` in the message): a range outside of which no neuron lies,
    so a value outside it is a typo or a wrong unit; ``note`` gives the usual values.

    Example
    -------
    >>> from brian2 import ohm, cm
    >>> float(bounded(150 * ohm * cm, ohm * cm, "Ri", 1, 1e5, "ohm*cm") / (ohm * cm))
    150.0
    >>> bounded(1e-9 * ohm * cm, ohm * cm, "Ri", 1, 1e5, "ohm*cm", "cytoplasm: ~100")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Ri = 1e-09 ohm*cm is outside 1 to 100000 ohm*cm (cytoplasm: ~100); check the ...
    """
    q = quantity(value, unit, what, scalar=True)
    x = float(q / unit)
    if not low <= x <= high:
        raise ValueError(f"{what} = {x:g} {unit_name} is outside {low:g} to {high:g} {unit_name}"
                         f"{f' ({note})' if note else ''}; check the value and its unit")
    return q
