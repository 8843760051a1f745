"""SWC text -> samples: decoding, line parsing and type codes (no checks of the tree)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import _Problem

#: Type code -> region for the codes every SWC file shares.
SWC_REGIONS = {0: "undefined", 1: "soma", 2: "axon", 3: "basal", 4: "apical"}

_REGION_RE = re.compile(r"^#\s*REGION\s+([+-]?\d+)\s+([A-Za-z_][A-Za-z0-9_]*)\s*$")
#: ``# SECTION <name> <compartments> <last sample id>`` (written by write_swc)
_SECTION_RE = re.compile(r"^#\s*SECTION\s+([A-Za-z_][A-Za-z0-9_]*)\s+(\d+)\s+(\d+)\s*$")


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




def _to_int(token: str) -> int:
    try:
        return int(token)
    except ValueError:
        value = float(token)
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"{token!r} is not an integer") from None
        return int(value)


def _to_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"{token!r} is not a finite number")
    return value




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


def _parse(text: str) -> _Parsed:
    out = _Parsed([], [], [], [], [], [], {}, {}, [], [], [])
    extra_cols: list[int] = []
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
        data = stripped.split("#", 1)[0]
        cols = data.split()
        tabs = tabs or "\t" in data
        leading = leading or raw_line[:1] in (" ", "\t")
        shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
        if len(cols) < 7:
            out.problems.append(_Problem(
                "parse", lineno, [], f"cannot read a sample from {shown!r}: {len(cols)} columns,"
                " expected 7 (id type x y z radius parent)"))
            continue
        if len(cols) > 7:
            extra_cols.append(lineno)
        try:
            sid, stype, parent = _to_int(cols[0]), _to_int(cols[1]), _to_int(cols[6])
            x, y, z, r = (_to_float(c) for c in cols[2:6])
        except ValueError as exc:
            out.problems.append(_Problem("parse", lineno, [], f"cannot read a sample from"
                                         f" {shown!r}: {exc}"))
            continue
        if sid < 0:
            out.problems.append(_Problem("parse", lineno, [sid], f"sample id {sid} is negative;"
                                         " ids must be >= 0"))
            continue
        out.lines.append(lineno)
        out.ids.append(sid)
        out.types.append(stype)
        out.xyz.append((x, y, z))
        out.radius.append(r)
        out.parents.append(parent)
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


