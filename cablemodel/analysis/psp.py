"""PSP measures: peak, time to peak and half-width of one postsynaptic potential."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, ms, mV

from .cable import _q

__all__ = ["psp_measures"]


def psp_measures(t: Quantity, v: Quantity, v_rest: Quantity) -> dict[str, Quantity]:
    """Peak amplitude above (or below) rest, time to peak and half-width of one PSP.

    The peak is the largest absolute deviation from ``v_rest`` (signed: negative for an IPSP);
    time to peak is measured from the start of ``t``; half-width is the time spent beyond half the
    peak (linear interpolation at both crossings; ``nan*ms`` never: if the trace has not come back
    to half the peak by its end, the width is measured to the end of the trace).

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import ms, mV
    >>> t = np.linspace(0, 50, 5001) * ms
    >>> v = (-65 + 10 * (np.exp(-t / (5*ms)) - np.exp(-t / (1*ms)))) * mV
    >>> m = psp_measures(t, v, -65 * mV)
    >>> round(float(m["time_to_peak"] / ms), 2)
    2.01
    """
    tt = _q(t, ms, "t")
    dv = _q(v, mV, "v") - float(_q(v_rest, mV, "v_rest"))
    if tt.shape != dv.shape or tt.size < 2:
        raise ValueError(f"t and v must be 1-D of equal length >= 2, got {tt.shape}, {dv.shape}")
    k = int(np.argmax(np.abs(dv)))
    peak = dv[k]
    if peak == 0:
        return {"peak": 0 * mV, "time_to_peak": 0 * ms, "half_width": 0 * ms}
    half = np.abs(dv) >= abs(peak) / 2
    lo = k
    while lo > 0 and half[lo - 1]:
        lo -= 1
    hi = k
    while hi < dv.size - 1 and half[hi + 1]:
        hi += 1

    def _cross(i0, i1):  # interpolate where |dv| = |peak|/2 between samples i0 and i1
        a, b = abs(dv[i0]), abs(dv[i1])
        if a == b:
            return tt[i1]
        return tt[i0] + (abs(peak) / 2 - a) / (b - a) * (tt[i1] - tt[i0])

    t_on = _cross(lo - 1, lo) if lo > 0 else tt[0]
    t_off = _cross(hi + 1, hi) if hi < dv.size - 1 else tt[-1]
    return {"peak": peak * mV, "time_to_peak": (tt[k] - tt[0]) * ms,
            "half_width": (t_off - t_on) * ms}
