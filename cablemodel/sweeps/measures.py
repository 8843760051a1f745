"""What a sweep keeps of each run: measures (numbers) and traces, read from a :class:`Result`.

Measure strings (:func:`parse_measure`)
---------------------------------------
``"peak@SITE"``
    Signed peak deviation from rest at SITE (mV): :meth:`Result.peak <cablemodel.Result.peak>`.
``"max@SITE"``, ``"min@SITE"``
    Largest / smallest membrane potential at SITE (mV).
``"rest@SITE"``
    Membrane potential at SITE at the first sample, t = 0 (mV): where the run started.
``"spikes"``
    Number of action potentials at the cell's spike site (:meth:`Result.spike_count
    <cablemodel.Result.spike_count>`).
``"first_spike"``
    Time of the first action potential (ms); :data:`NO_SPIKE` (``inf``: never) when there is none.

SITE is what ``simulate(record=...)`` takes or a row label of the result (``"soma"``,
``"hillock"``, ``"basal@200"``, ``"swc:12"``, ``"#50"``); a sweep records it. A callable measure
gets the :class:`Result` and returns a number or a Quantity (stored in the unit of
:func:`display_unit`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from brian2 import (
    Mohm,
    Quantity,
    amp,
    get_unit,
    metre,
    mM,
    mmolar,
    ms,
    mV,
    nA,
    nS,
    ohm,
    second,
    siemens,
    um,
    volt,
)

from ..simulation.recording import RecordingError, parse_request
from ..simulation.results import Result

__all__ = ["Measure", "parse_measure", "evaluate", "display_unit", "trace_values", "NO_SPIKE",
           "FORMS"]

#: The measure strings :func:`parse_measure` accepts.
FORMS = ("peak@SITE", "max@SITE", "min@SITE", "rest@SITE", "spikes", "first_spike")
#: ``first_spike`` of a run without an action potential (ms): never.
NO_SPIKE = math.inf
_AT_SITE = ("peak", "max", "min", "rest")
_WHOLE = ("spikes", "first_spike")
#: The unit each dimension is stored in (a Quantity of another dimension: its SI unit).
_DISPLAY = [(volt, mV), (second, ms), (amp, nA), (siemens, nS), (ohm, Mohm), (metre, um),
            (mmolar, mM)]


@dataclass(frozen=True)
class Measure:
    """One parsed measure string (see the module docstring); call it on a :class:`Result`.

    Example
    -------
    >>> m = parse_measure("peak@hillock")
    >>> m.kind, m.site, m.unit, m(Result.example())
    ('peak', 'hillock', 'mV', 65.0)
    """

    kind: str
    site: str | None = None

    @property
    def unit(self) -> str:
        """The unit of the value: ``"mV"``, ``"ms"`` (``first_spike``) or ``"1"`` (``spikes``)."""
        return {"spikes": "1", "first_spike": "ms"}.get(self.kind, "mV")

    @property
    def text(self) -> str:
        """The measure string."""
        return self.kind if self.site is None else f"{self.kind}@{self.site}"

    def __call__(self, result: Result) -> float:
        """The value in :attr:`unit` (a plain float)."""
        if self.kind == "spikes":
            return float(result.spike_count())
        if self.kind == "first_spike":
            return float(result.spikes_ms[0]) if result.spikes_ms.size else NO_SPIKE
        v = trace_values(result, self.site)[0]
        if self.kind == "peak":
            dv = v - result.v_rest_mV
            return float(dv[np.argmax(np.abs(dv))]) if dv.size else 0.0
        return float({"max": np.max, "min": np.min, "rest": lambda a: a[0]}[self.kind](v))


def parse_measure(text: str) -> Measure:
    """Validate a measure string and return it parsed (forms: :data:`FORMS`).

    Raises ``ValueError`` naming the problem and listing the forms. Whether SITE exists on the
    cell is checked when the measure is read from a result.

    Example
    -------
    >>> parse_measure("max@basal@200").site
    'basal@200'
    >>> parse_measure("spikes").unit
    '1'
    >>> parse_measure("peak")
    Traceback (most recent call last):
    ...
    ValueError: measure 'peak': 'peak' needs a site, e.g. 'peak@soma'; the forms are peak@SITE, ...
    """
    forms = ", ".join(FORMS)
    if not isinstance(text, str):
        raise ValueError(f"measure {text!r}: expected a string (or a callable of the Result);"
                         f" the forms are {forms}")
    kind, at, site = (part.strip() for part in text.strip().partition("@"))
    if kind in _WHOLE:
        if at:
            raise ValueError(f"measure {text!r}: {kind!r} takes no site (it is read at the"
                             f" cell's spike site); write {kind!r}; the forms are {forms}")
        return Measure(kind)
    if kind not in _AT_SITE:
        raise ValueError(f"measure {text!r}: unknown kind {kind!r}; the forms are {forms}")
    if not site:
        raise ValueError(f"measure {text!r}: {kind!r} needs a site, e.g. '{kind}@soma'; the forms"
                         f" are {forms}")
    try:
        request = parse_request(site)
    except (RecordingError, ValueError) as err:
        raise ValueError(f"measure {text!r}: site {site!r} is not valid ({err}); the forms are"
                         f" {forms}") from None
    if request.var != "v":
        raise ValueError(f"measure {text!r}: {kind!r} reads the membrane potential; {site!r} asks"
                         f" for {request.var!r}: give a site such as 'basal@200' (a callable"
                         f" measure reads any recorded variable); the forms are {forms}")
    return Measure(kind, site)


def display_unit(q) -> tuple[Quantity | float, str]:
    """The unit a sweep stores a Quantity of this dimension in, and its name: mV, ms, nA, nS,
    Mohm, um, mM, else the SI unit; ``(1.0, "1")`` for a plain number.

    Example
    -------
    >>> from brian2 import nS, uS
    >>> display_unit(3 * uS)[1], display_unit(2.5)[1]
    ('nS', '1')
    """
    if not isinstance(q, Quantity) or q.is_dimensionless:
        return 1.0, "1"
    for dim, unit in _DISPLAY:
        if q.dim == dim.dim:
            return unit, str(unit)
    unit = get_unit(q.dim)
    return unit, str(unit)


def evaluate(measure: Measure | Callable, result: Result) -> tuple[float, str]:
    """The value (a float) and its unit of a parsed measure or a callable one on ``result``.

    Example
    -------
    >>> r = Result.example()
    >>> evaluate(parse_measure("first_spike"), r), evaluate(lambda res: res.peak("soma"), r)
    ((5.5, 'ms'), (55.0, 'mV'))
    """
    if isinstance(measure, Measure):
        return measure(result), measure.unit
    value = measure(result)
    if np.ndim(value) != 0 or not isinstance(value, (Quantity, numbers.Real)):
        raise ValueError(f"measure {_name(measure)} returned {value!r}: a measure must return one"
                         " number or one Quantity")
    unit, name = display_unit(value)
    return float(value / unit), name


def trace_values(result: Result, label: str) -> tuple[np.ndarray, str]:
    """One recorded row of ``result`` as plain floats and their unit: a row label of ``v``
    (``"soma"``, ``"basal@200"``), else any :meth:`Result.trace <cablemodel.Result.trace>`
    request of one row (``"m_na@hillock"``).

    Example
    -------
    >>> trace_values(Result.example(), "hillock")[0][:3], trace_values(Result.example(), "soma")[1]
    (array([-65., -60., -62.]), 'mV')
    """
    if label in result.labels:
        return result.v_mV[result.labels.index(label)], "mV"
    values = result.trace(label)
    if np.ndim(values) != 1:
        raise ValueError(f"{label!r} covers {np.shape(values)[0]} recorded rows; a sweep keeps one"
                         " row per measure or trace: give one site (e.g. 'basal@200')")
    unit, name = display_unit(values)
    return np.asarray(values / unit, dtype=float), name


def _name(measure) -> str:
    return getattr(measure, "__qualname__", None) or repr(measure)
