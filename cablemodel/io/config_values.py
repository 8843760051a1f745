"""Values of config files: quantities written as text (``"1 nS"``, ``"0.12 S/cm^2"``,
``"100 ohm*cm"``), read by a small parser (a number and a unit, no ``eval``), and
:class:`ConfigError`, whose message names the file, the line, the key, the problem and a fix.

The rule of config files: every value that has a physical dimension is a string holding a
number and a unit; plain TOML numbers are dimensionless values only (``celsius`` in degC,
counts, seeds, ``d_lambda``, ``phase`` in radians).
"""

from __future__ import annotations

import re

from brian2 import Quantity, Unit
from brian2 import units as brian2_units
from brian2.units import allunits
from brian2.units.fundamentalunits import get_dimensions

__all__ = ["ConfigError", "Problem", "parse_quantity", "read_quantity", "unit_name", "find_line"]

#: unit symbols Brian2 spells differently (Brian2 names: ``siemens``, ``farad``, ...)
_ALIASES = {"S": "siemens", "F": "farad", "s": "second", "A": "amp", "V": "volt", "m": "metre",
            "M": "molar", "Ohm": "ohm", "sec": "second"}
_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")
_FACTOR = re.compile(r"([A-Za-z]+)\s*(?:(?:\^|\*\*)\s*([+-]?\d+))?$")


class Problem:
    """One problem of a config file: where (file, line, key path), what and how to fix it.

    Example
    -------
    >>> str(Problem("run.toml", 3, "run.dt", "needs a unit", 'write dt = "0.025 ms"'))
    'run.toml:3: run.dt: needs a unit; write dt = "0.025 ms"'
    """

    def __init__(self, file, line: int | None, key: str, problem: str, fix: str = "") -> None:
        self.file, self.line, self.key, self.problem, self.fix = str(file), line, key, problem, fix

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.problem}" + (f"; {self.fix}" if self.fix else "")

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class ConfigError(ValueError):
    """An invalid config file: one line per :class:`Problem` found (``FILE:LINE: KEY: problem;
    fix``); ``problems`` lists them.

    Example
    -------
    >>> err = ConfigError([Problem("a.toml", 2, "run.engine", "unknown engine 'nmpy'",
    ...                            "did you mean 'numpy'?")])
    >>> print(err)
    a.toml:2: run.engine: unknown engine 'nmpy'; did you mean 'numpy'?
    >>> err.problems[0].key
    'run.engine'
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


def _unit(symbol: str) -> Unit:
    name = _ALIASES.get(symbol, symbol)
    unit = getattr(brian2_units, name, None)
    unit = unit if isinstance(unit, Unit) else getattr(allunits, name, None)
    if not isinstance(unit, Unit):
        raise ValueError(f"unknown unit {symbol!r}")
    return unit


def _unit_expression(text: str) -> Quantity:
    """``"S/cm^2"``, ``"ohm*cm"``, ``"ohm cm"``, ``"1/ms"``: factors joined by ``*``, ``/`` or
    spaces, each a Brian2 unit name (or S, F, s, A, V, m, M) with an optional integer power
    (``^2`` or ``**2``), read from left to right."""
    value: Quantity = Quantity(1.0)
    tokens = re.split(r"\s*([*/])\s*|\s+", re.sub(r"\s*\*\*\s*", "^", text.strip().replace("µ", "u")))
    op = "*"
    for tok in tokens:
        if tok is None or tok == "":
            continue
        if tok in "*/":
            op = tok
            continue
        if tok == "1" and op == "*" and float(value) == 1.0:
            continue  # "1/ms"
        m = _FACTOR.match(tok)
        if m is None:
            raise ValueError(f"cannot read {tok!r} as a unit")
        factor = _unit(m.group(1)) ** int(m.group(2) or 1)
        value = value * factor if op == "*" else value / factor
        op = "*"
    return value


def unit_name(unit) -> str:
    """How a unit is written in a config file.

    Example
    -------
    >>> from brian2 import siemens, cm, nS, ohm
    >>> unit_name(siemens / cm**2), unit_name(nS), unit_name(ohm * cm)
    ('S/cm^2', 'nS', 'ohm*cm')
    """
    text = str(unit) if isinstance(unit, Unit) else repr(unit)
    for long, short in (("siemens", "S"), ("farad", "F"), ("metre", "m"), ("second", "s"),
                        ("volt", "V"), ("amp", "A"), ("molar", "M"), ("hertz", "Hz")):
        text = text.replace(long, short)
    text = re.sub(r"\(([A-Za-z]+) \*\* (\d+)\)", r"\1^\2", text).replace(" ** ", "^")
    text = re.sub(r"\(([A-Za-z]+\^\d+)\)", r"\1", text)
    return text.replace(" / ", "/").replace(" * ", "*").replace(" ", "*")


def read_quantity(text) -> Quantity:
    """The quantity a string ``"NUMBER UNIT"`` holds, whatever its unit (a bare number is
    dimensionless); ``ValueError`` if it is not one.

    Example
    -------
    >>> from brian2 import siemens, cm
    >>> read_quantity("-65 mV"), read_quantity("1e-4 S/cm^2") / (siemens / cm**2)
    (-65. * mvolt, 0.0001)
    >>> read_quantity("basal@200")
    Traceback (most recent call last):
    ...
    ValueError: 'basal@200' is not a quantity
    """
    m = _NUMBER.match(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"{text!r} is not a quantity")
    number, unit_text = m.groups()
    try:
        return float(number) * (_unit_expression(unit_text) if unit_text else Quantity(1.0))
    except ValueError as err:
        raise ValueError(f"{text!r}: {err}") from None


def parse_quantity(value, unit, example: str) -> Quantity:
    """A config value as a Brian2 quantity with the dimensions of ``unit``: a string ``"NUMBER
    UNIT"`` (or a quantity, passed through after the check). A ``ValueError`` says what is
    wrong and shows ``example`` (how the value should be written).

    Example
    -------
    >>> from brian2 import siemens, cm, nS, ms
    >>> parse_quantity("0.12 S/cm^2", siemens / cm**2, '"0.12 S/cm^2"') / (siemens / cm**2)
    0.12
    >>> parse_quantity("1.5 nS", nS, '"1 nS"')
    1.5 * nsiemens
    >>> parse_quantity(1, nS, '"1 nS"')
    Traceback (most recent call last):
    ...
    ValueError: 1 has no unit: write it as text with its unit, e.g. "1 nS"
    >>> parse_quantity("1 mV", nS, '"1 nS"')
    Traceback (most recent call last):
    ...
    ValueError: "1 mV" is not a conductance (nS): write e.g. "1 nS"
    """
    if isinstance(value, Quantity):
        q = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r} has no unit: write it as text with its unit, e.g. {example}")
    else:
        try:
            q = read_quantity(value)
        except ValueError as err:
            raise ValueError(f"{err}; write a number and a Brian2 unit, e.g. {example}") from None
    if get_dimensions(q) != get_dimensions(unit):
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        raise ValueError(f"{shown} is not {_what(unit)} ({unit_name(unit)}): write e.g. {example}")
    return q


_KINDS = {"nS": "a conductance", "ms": "a time", "mV": "a potential", "um": "a length",
          "nA": "a current", "S/cm^2": "a conductance density", "uF/cm^2": "a capacitance density",
          "ohm*cm": "a resistivity", "mM": "a concentration", "Hz": "a frequency",
          "Mohm": "a resistance", "cm/s": "a permeability"}


def _what(unit) -> str:
    return _KINDS.get(unit_name(unit), "in units of")


def find_line(text: str, path: tuple) -> int | None:
    """Line number (1-based) of the key ``path`` (e.g. ``("synapses", 1, "weight")``) in the
    TOML ``text``, found by searching the key names in order (tomllib gives no line numbers);
    ``None`` if not found.

    Example
    -------
    >>> text = "[[synapses]]\\nweight = '1 nS'\\n[[synapses]]\\nsite = 'soma'\\nweight = 1\\n"
    >>> find_line(text, ("synapses", 1, "weight"))
    5
    """
    lines = text.splitlines()
    pos, found, prefix = 0, None, []
    for part in path:
        if isinstance(part, int):
            header = re.compile(r"\s*\[\[\s*" + r"\s*\.\s*".join(map(re.escape, prefix)) + r"\s*\]\]")
            hits = [i for i, ln in enumerate(lines) if header.match(ln)]
            if part < len(hits):
                pos = found = hits[part]
            continue
        prefix.append(str(part))
        key = re.compile(r"(^|[\s{,.\[\"'])" + re.escape(str(part)) + r"[\"']?\s*(=|\.|\]|$)")
        for i in range(pos, len(lines)):
            if key.search(lines[i].split("#", 1)[0]):
                pos = found = i
                break
        else:
            return found + 1 if found is not None else None
    return None if found is None else found + 1
