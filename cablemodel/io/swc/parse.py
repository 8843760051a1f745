"""SWC text -> samples: decoding, line parsing and type codes (no checks of the tree)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import _Problem

#: Type code -> region for the codes every SWC file shares.
SWC_REGIONS = {0: "undefined", 1: "soma", 2: "axon", 3: "basal", 4: "apical"}

_REGION_RE = re.compile(r"^#\s*REGION\s+([+-]?\d{1,15})\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", re.ASCII)
#: ``# SECTION <name> <compartments> <last sample id>`` (written by write_swc)
_SECTION_RE = re.compile(r"^#\s*SECTION\s+([A-Za-z_][A-Za-z0-9_]*)\s+(\d{1,15})\s+(\d{1,15})\s*$",
                         re.ASCII)


@dataclass
class _Parsed:
    lines: list[int]
    ids: list[int]
    types: list[int]
    xyz: list[tuple[float, float, float]]
    radius: list[float]
    parents: list[int]
    declared: dict[int, str]
    sections: dict[int, tuple[str, int]]  # last sample id -> (section name, compartments)
    conventions: list[str]
    warnings: list[str]
    problems: list[_Problem]




#: A number as SWC files write it (ASCII digits, optional sign, point and exponent).
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: Ids, types and parents must be integers below this magnitude (exact as floats).
MAX_INTEGER = 2**53
#: Characters that split a line into columns but that editors may show as a line break.
_VERTICAL = {"\f": "a form feed", "\v": "a vertical tab", "\x1c": "a file separator",
             "\x1d": "a group separator", "\x1e": "a record separator",
             "\x85": "a next-line character", "\u2028": "a line separator",
             "\u2029": "a paragraph separator"}


def _to_float(token: str) -> float:
    """A real column: a finite decimal number in ASCII digits (``nan``, ``inf``, ``1e400``,
    ``1_0`` are refused)."""
    try:
        value = float(token)
    except ValueError:
        raise ValueError(f"{token!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{token!r} is not a finite number")
    if not _NUMBER_RE.fullmatch(token):
        raise ValueError(f"{token!r} is not a number written in ASCII digits")
    return value


def _to_int(token: str) -> int:
    """An integer column: ``12``, or an integer-valued number such as ``12.0`` or ``1e3``."""
    try:
        value = _to_float(token)
    except ValueError:
        raise ValueError(f"{token!r} is not an integer") from None
    if not value.is_integer():
        raise ValueError(f"{token!r} is not an integer")
    if abs(value) >= MAX_INTEGER:
        raise ValueError(f"{token!r} is too large (ids, types and parents must be below 2**53)")
    return int(value)


_INT_RE = r"([+-]?\d{1,15})"
_NUM_RE = r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?)"
#: A data line that starts with 7 plain columns (integer ids, types and parents); group 8 holds
#: the further columns, if any.
_PLAIN_RE = re.compile(r"\s+".join([_INT_RE, _INT_RE, _NUM_RE, _NUM_RE, _NUM_RE, _NUM_RE, _INT_RE])
                       + r"(?:\s+(\S.*))?", re.ASCII | re.DOTALL)


def _plain_sample(data: str) -> tuple[tuple, bool] | None:
    """``(values, more)``: ``data``'s first 7 columns as (id, type, x, y, z, radius, parent) when
    they are plain numbers, and whether further columns follow; else None (then the columns are
    read one by one, which says what is wrong)."""
    m = _PLAIN_RE.fullmatch(data)
    if m is None:
        return None
    sid, stype, x, y, z, r, parent, more = m.groups()
    x, y, z, r = float(x), float(y), float(z), float(r)
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z) and math.isfinite(r)):
        return None
    return (int(sid), int(stype), x, y, z, r, int(parent)), more is not None


def _shown(line: str) -> str:
    return line if len(line) <= 60 else line[:57] + "..."


def _is_sample(cols: list[str]) -> bool:
    """Whether the 7 columns ``cols`` read as a sample."""
    try:
        _to_int(cols[0]), _to_int(cols[1]), _to_int(cols[6])
        for c in cols[2:6]:
            _to_float(c)
    except ValueError:
        return False
    return True


def _samples_on_line(cols: list[str], width: int) -> int:
    """How many samples a data line of more than 7 columns holds: 1, or k > 1 when its columns
    split into k groups of equal width, each starting with a sample (lines joined into one);
    the widths tried are 7, the file's usual number of columns, then 8 and more."""
    n = len(cols)
    for w in dict.fromkeys([7, width, *range(8, n // 2 + 1)]):
        if n >= 2 * w and n % w == 0 and all(
                _is_sample(cols[k:k + 7]) for k in range(0, n, w)):
            return n // w
    return 1


def _decode(raw: bytes) -> tuple[str, list[str], list[str]]:
    conventions: list[str] = []
    warnings: list[str] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", errors="replace")
        conventions.append("UTF-16 text")
    else:
        text = raw.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
        conventions.append("byte-order mark at the start of the file (ignored)")
    if "\ufffd" in text:
        warnings.append("bytes that are not valid UTF-8 were replaced by U+FFFD (comments only"
                        " are affected, or the data line is reported as unreadable)")
    if "\r\n" in text:
        conventions.append("CRLF line ends")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, conventions, warnings


def _add(out: _Parsed, lineno: int, values: tuple) -> None:
    """Append the sample ``values`` (id, type, x, y, z, radius, parent) read on ``lineno``."""
    sid, stype, x, y, z, r, parent = values
    if sid < 0:
        out.problems.append(_Problem("parse", lineno, [sid], f"sample id {sid} is negative;"
                                     " ids must be >= 0"))
        return
    out.lines.append(lineno)
    out.ids.append(sid)
    out.types.append(stype)
    out.xyz.append((x, y, z))
    out.radius.append(r)
    out.parents.append(parent)


def _parse(text: str) -> _Parsed:
    out = _Parsed([], [], [], [], [], [], {}, {}, [], [], [])
    wide: list[tuple[int, list[str], str]] = []  # lines of more than 7 columns
    widths: Counter[int] = Counter()
    tabs = leading = False
    for lineno, raw_line in enumerate(text.split("\n"), start=1):
        stripped = raw_line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _REGION_RE.match(stripped)
            if m:
                code, name = int(m.group(1)), m.group(2)
                if (code == 1) != (name == "soma"):
                    out.warnings.append(f"line {lineno}: '# REGION {code} {name}' ignored (type 1"
                                        " is the soma, and only type 1)")
                else:
                    out.declared[code] = name
            m = _SECTION_RE.match(stripped)
            if m and int(m.group(2)) >= 1:
                out.sections[int(m.group(3))] = (m.group(1), int(m.group(2)))
            continue
        data = stripped.split("#", 1)[0].rstrip() if "#" in stripped else stripped
        tabs = tabs or "\t" in data
        leading = leading or raw_line[:1] in (" ", "\t")
        plain = _plain_sample(data)
        if plain is not None and not plain[1]:
            widths[7] += 1
            _add(out, lineno, plain[0])
            continue
        cols = data.split()
        if plain is not None and len(cols) > 7:  # 7 plain columns, then more
            widths[len(cols)] += 1
            wide.append((lineno, cols, data))
            _add(out, lineno, plain[0])
            continue
        if len(cols) < 7:
            out.problems.append(_Problem(
                "parse", lineno, [], f"cannot read a sample from {_shown(stripped)!r}:"
                f" {len(cols)} columns, expected 7 (id type x y z radius parent)"))
            continue
        widths[len(cols)] += 1
        if len(cols) > 7:
            wide.append((lineno, cols, data))
        try:
            values = (_to_int(cols[0]), _to_int(cols[1]), *(_to_float(c) for c in cols[2:6]),
                      _to_int(cols[6]))
        except ValueError as exc:
            out.problems.append(_Problem("parse", lineno, [], f"cannot read a sample from"
                                         f" {_shown(stripped)!r}: {exc}"))
            continue
        _add(out, lineno, values)
    width = max(widths, key=lambda w: (widths[w], -w)) if widths else 7
    extra_cols = []
    for lineno, cols, data in wide:
        k = _samples_on_line(cols, width)
        joined = [name for char, name in _VERTICAL.items() if char in data]
        if k == 1 and (len(cols) >= width + 7 or joined):  # room for, or a break before, more
            out.problems.append(_Problem(
                "parse", lineno, [], f"the line has {len(cols)} columns where the file's lines"
                f" have {width}: it may hold a second sample that cannot be read"
                + (f" (after {' and '.join(joined)}, which some editors show as a line break)"
                   if joined else ""),
                fix="put each sample on a line of its own, or remove the extra columns"))
            continue
        if k == 1:
            extra_cols.append(lineno)
            continue
        ids = [cols[j] for j in range(0, len(cols), len(cols) // k)]
        out.problems.append(_Problem(
            "parse", lineno, [], f"the line holds {k} samples (ids {', '.join(ids)})"
            + (f", joined by {' and '.join(joined)} that some editors show as a line break"
               if joined else "") + "; only one sample per line is read",
            fix="put each sample on a line of its own"))
    if extra_cols:
        out.warnings.append(f"{len(extra_cols)} data lines have more than 7 columns (first at line"
                            f" {extra_cols[0]}); the extra columns were ignored")
    if tabs:
        out.conventions.append("tab-separated columns")
    if leading:
        out.conventions.append("leading white space on data lines")
    return out


def _region_map(types: Iterable[int], declared: dict[int, str]) -> tuple[dict[int, str], list[str]]:
    regions: dict[int, str] = {}
    warnings: list[str] = []
    for t in sorted(set(types)):
        if t in declared:
            regions[t] = declared[t]
        elif t in SWC_REGIONS:
            regions[t] = SWC_REGIONS[t]
        else:
            regions[t] = f"custom{t}" if t >= 0 else f"custom_minus{-t}"
        if t == 0 or (t not in declared and t not in SWC_REGIONS):
            hint = {5: " (a 'fork point' label in the original SWC specification)",
                    6: " (an 'end point' label in the original SWC specification)"}.get(t, "")
            warnings.append(f"type {t} is not a standard SWC region{hint}: its samples form the"
                            f" region {regions[t]!r}")
    return regions, warnings


