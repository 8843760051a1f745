"""One place for checking Brian2 quantities at the public API."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

__all__ = ["quantity"]


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
    fail_for_dimension_mismatch(value, unit, f"{what} must be in units of {unit!r}, got {value!r}")
    q = Quantity(value)
    if scalar and (np.ndim(q) != 0 or not np.isfinite(float(q))):
        raise ValueError(f"{what} must be one finite value, got {value!r}")
    return q
