"""Self-checks for course labs: compare a student's answer with the value the model computed.

A check is *correct* (within tolerance), *wrong* (prints the hint, never the expected value) or
*unanswered* (the answer is ``None`` or ``...``). In strict mode (the instructor notebooks, or the
environment variable ``CABLEMODEL_LABS_STRICT=1``) a wrong or unanswered check raises
:class:`LabCheckError`, so that executing the notebook fails.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity
from brian2.units.fundamentalunits import get_dimensions, have_same_dimensions

__all__ = ["check", "CheckResult", "Lab", "LabCheckError", "STRICT_ENV"]

#: Environment variable that makes every check strict when set to ``1``.
STRICT_ENV = "CABLEMODEL_LABS_STRICT"

CORRECT, WRONG, UNANSWERED = "correct", "wrong", "unanswered"


class LabCheckError(AssertionError):
    """A strict check (instructor version) was wrong or unanswered."""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one :func:`check`: ``status`` is ``"correct"``, ``"wrong"`` or
    ``"unanswered"``; ``answer`` and ``expected`` are in ``unit`` (plain numbers), or the
    compared strings/booleans; ``message`` is what was printed."""

    name: str
    status: str
    answer: object
    expected: object
    unit: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    def _ipython_display_(self) -> None:
        """The message was printed already: a check at the end of a cell shows nothing more."""


def _strict(strict: bool | None) -> bool:
    return os.environ.get(STRICT_ENV, "") == "1" if strict is None else bool(strict)


def _unit_name(unit) -> str:
    return "" if unit is None else str(unit)


def _in_unit(value, unit, what: str) -> float:
    """``value`` as a float in ``unit``: a Quantity of the unit's dimensions or a plain number
    (taken to be in ``unit``; with ``unit=None`` only plain numbers). ``TypeError`` otherwise."""
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{what} {value!r} is True/False, not a number")
    if isinstance(value, Quantity) and not get_dimensions(value).is_dimensionless:
        if unit is None:
            raise TypeError(f"{what} {value!r} has units, but this question wants a plain number")
        if not have_same_dimensions(value, unit):
            raise TypeError(f"{what} {value!r} is not in units of {unit}")
        value = value / unit
    try:
        return float(value)  # numbers, numpy scalars and 0-d arrays
    except (TypeError, ValueError):
        raise TypeError(f"{what} {value!r} is not a number") from None


def check(name: str, answer, expected, *, rtol: float = 0.05, atol: float = 0.0, unit=None,
          hint: str = "", strict: bool | None = None) -> CheckResult:
    """Compare ``answer`` with ``expected`` (the model's value) and print the verdict.

    Numbers: correct when ``|answer - expected| <= atol + rtol * |expected|`` in ``unit`` (a
    Brian2 unit, e.g. ``mV``); the answer may be a Quantity of the unit's dimensions or a plain
    number in ``unit``. Strings are compared ignoring case and surrounding spaces, booleans
    exactly. ``answer`` ``None`` or ``...`` is unanswered. When wrong, ``hint`` is printed and
    the expected value is not. ``strict`` (default: environment variable
    ``CABLEMODEL_LABS_STRICT=1``) makes a wrong or unanswered check raise
    :class:`LabCheckError`. An answer of the wrong kind (units, type) is wrong, with the reason.

    Example
    -------
    >>> from brian2 import mV, volt
    >>> check("peak", 0.0101 * volt, 10 * mV, unit=mV, strict=False).status
    peak: correct (10.1 mV; the model gives 10 mV)
    'correct'
    >>> check("peak", 12, 10 * mV, unit=mV, hint="measure from rest", strict=False).status
    peak: not yet: your answer is larger than the model's. Hint: measure from rest
    'wrong'
    >>> check("peak", None, 10 * mV, unit=mV, strict=False).status
    peak: not answered yet
    'unanswered'
    """
    if not 0 <= rtol < 1 or not atol >= 0:
        raise ValueError(f"check {name!r}: need 0 <= rtol < 1 and atol >= 0, got {rtol}, {atol}")
    unit_name = _unit_name(unit)
    if answer is None or answer is Ellipsis:
        return _finish(CheckResult(name, UNANSWERED, None, expected, unit_name,
                                   f"{name}: not answered yet"), strict)
    if isinstance(expected, bool | np.bool_ | str):
        expected = bool(expected) if isinstance(expected, np.bool_) else expected
        return _finish(_compare_exact(name, answer, expected, hint), strict)
    try:
        exp = _in_unit(expected, unit, "the model's value")
    except TypeError as err:
        raise TypeError(f"check {name!r}: {err}; give unit=... to compare in") from None
    if not math.isfinite(exp):
        raise ValueError(f"check {name!r}: the model's value is {exp}; a lab must compute a"
                         " finite expected value")
    try:
        got = _in_unit(answer, unit, "your answer")
    except TypeError as err:
        msg = f"{name}: not yet: {err}."
        return _finish(CheckResult(name, WRONG, answer, exp, unit_name,
                                   f"{msg} Hint: {hint}" if hint else msg), strict)
    sp = f" {unit_name}" if unit_name else ""
    if math.isfinite(got) and abs(got - exp) <= atol + rtol * abs(exp):
        msg = f"{name}: correct ({got:.3g}{sp}; the model gives {exp:.3g}{sp})"
        return _finish(CheckResult(name, CORRECT, got, exp, unit_name, msg), strict)
    side = "larger" if got > exp else "smaller" if got < exp else "not a number"
    msg = f"{name}: not yet: your answer is {side} than the model's."
    return _finish(CheckResult(name, WRONG, got, exp, unit_name,
                               f"{msg} Hint: {hint}" if hint else msg), strict)


def _compare_exact(name: str, answer, expected, hint: str) -> CheckResult:
    if isinstance(expected, bool):
        ok = isinstance(answer, bool | np.bool_) and bool(answer) == expected
        kind = "True or False"
    else:
        ok = isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()
        kind = "a word"
    if ok:
        return CheckResult(name, CORRECT, answer, expected, "", f"{name}: correct ({answer})")
    msg = f"{name}: not yet (the answer is {kind})."
    return CheckResult(name, WRONG, answer, expected, "", f"{msg} Hint: {hint}" if hint else msg)


def _finish(result: CheckResult, strict: bool | None) -> CheckResult:
    print(result.message)
    if _strict(strict) and not result.passed:
        raise LabCheckError(f"strict lab check {result.message}")
    return result


@dataclass
class Lab:
    """A lab's checks: :meth:`check` records each result, :meth:`summary` lists them.

    ``strict`` (default: environment variable ``CABLEMODEL_LABS_STRICT=1``): every wrong or
    unanswered check raises :class:`LabCheckError` (the instructor notebooks set it).

    Example
    -------
    >>> from brian2 import ms
    >>> lab = Lab("demo", strict=False)
    >>> _ = lab.check("tau", 20 * ms, 20 * ms, unit=ms)
    tau: correct (20 ms; the model gives 20 ms)
    >>> _ = lab.check("lambda", None, 300.0)
    lambda: not answered yet
    >>> lab.summary()["unanswered"]
    demo: 1 of 2 checks correct; not answered yet: lambda
    ['lambda']
    """

    title: str
    strict: bool | None = None
    results: dict[str, CheckResult] = field(default_factory=dict)

    def check(self, name: str, answer, expected, **options) -> CheckResult:
        """:func:`check` with this lab's strictness; the result is recorded under ``name``
        (a later check of the same name replaces it)."""
        options.setdefault("strict", self.strict)
        result = check(name, answer, expected, **options)
        self.results[name] = result
        return result

    def summary(self) -> dict[str, list[str]]:
        """Print and return the names of the ``correct``, ``wrong`` and ``unanswered`` checks;
        in strict mode raise :class:`LabCheckError` unless all are correct."""
        out = {s: [n for n, r in self.results.items() if r.status == s]
               for s in (CORRECT, WRONG, UNANSWERED)}
        parts = [f"{self.title}: {len(out[CORRECT])} of {len(self.results)} checks correct"]
        if out[WRONG]:
            parts.append("not yet right: " + ", ".join(out[WRONG]))
        if out[UNANSWERED]:
            parts.append("not answered yet: " + ", ".join(out[UNANSWERED]))
        print("; ".join(parts))
        if _strict(self.strict) and (out[WRONG] or out[UNANSWERED]):
            raise LabCheckError("; ".join(parts))
        return out
