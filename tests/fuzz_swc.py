"""A seeded fuzz harness for :func:`cablemodel.read_swc`: random valid trees, corrupted in ways
found in real files and in hostile ones, each read with and without ``repair=True``.

Every case is made from its seed alone (``random.Random(seed)``), so a failure is reproduced by
its seed: ``python tests/fuzz_swc.py --seed 1234 --files 1 --show``. The generator knows the
samples it wrote (its ground truth), and :func:`check_case` classifies each call to
``read_swc``:

``crash``
    an exception other than :class:`SWCError`.
``unclear_error``
    an :class:`SWCError` whose first line is not ``"<file>:<line>: <problem>; <how to fix>"`` with
    a line of the file.
``hang``
    the call took longer than the time limit, in CPU seconds (it is interrupted).
``non_finite``
    a load whose geometry is not finite and positive: a point or a report number that is NaN or
    infinite, or a compartment with an area or an axial factor (``axial_1``, ``axial_2``) that is
    not > 0 and finite, or more compartments than ``read_swc``'s default limit.
``silent_change``
    a load that differs from the file without a reported repair. The file's samples are the
    generator's ground truth (the samples of every data line, two for a line that holds two);
    the load is a silent change when (1) ``report.points`` is not the number of samples written,
    (2) a file sample is neither in a section nor listed by a repair (merged, dropped, renumbered),
    (3) a point's position is not its sample's (times ``scale``) or its diameter not twice its
    sample's radius, unless a ``radius`` repair lists that sample with the new radius, (4) two
    consecutive points of a section (or a section's first point and its parent's last) are not
    joined in the file (by a parent link, through merged samples, or by a reported attachment),
    (5) a repair entry's ``count``, ``ids`` and ``changes`` disagree, or a change is not what its
    repair says it does (an attachment to a sample in the attached piece itself, a radius
    repair of a valid radius or to an invalid one, a merge of samples at different positions), or
    (6) the file holds a token that is not a valid SWC number (the loaded value was invented).
``false_error``
    an :class:`SWCError` for a file that the generator did not corrupt (it must load).

Example
-------
>>> counts = run(range(3), limit_s=20)
>>> sorted(counts)[:3], counts["calls"]
(['calls', 'crash', 'errors'], 6)
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Outcome categories counted by :func:`run` (besides ``calls``, ``loads`` and ``errors``).
FAILURES = ("crash", "unclear_error", "hang", "non_finite", "silent_change", "false_error")

_INT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FLOAT = _INT


# -- the harness's own reading of the tokens it wrote ----------------------------------------------
def _int_value(token: str) -> int | None:
    """The integer a column token means, or None if it is not a valid SWC integer."""
    if not _INT.fullmatch(token):
        return None
    value = float(token)
    if not (math.isfinite(value) and value.is_integer() and abs(value) < 2.0**53):
        return None
    return int(value)


def _float_value(token: str) -> float | None:
    """The number a column token means, or None if it is not a finite SWC number."""
    if not _FLOAT.fullmatch(token):
        return None
    value = float(token)
    return value if math.isfinite(value) else None


@dataclass
class Sample:
    """One sample as written: its 7 tokens (id type x y z radius parent)."""

    tokens: list[str]

    def values(self) -> tuple | None:
        """(id, type, xyz, r, parent) as the file gives them, or None if a token is invalid."""
        t = self.tokens
        if len(t) != 7:
            return None
        ints = [_int_value(t[k]) for k in (0, 1, 6)]
        floats = [_float_value(t[k]) for k in (2, 3, 4, 5)]
        if any(v is None for v in ints + floats) or ints[0] < 0:
            return None
        return ints[0], ints[1], np.array(floats[:3]), floats[3], ints[2]


@dataclass
class Line:
    """A line of the file: samples (one, or two when joined) or other text."""

    samples: list[Sample] = field(default_factory=list)
    text: str = ""
    joiner: str = " "
    extra: list[str] = field(default_factory=list)

    def render(self, sep: str) -> str:
        if not self.samples:
            return self.text
        return self.joiner.join(sep.join(s.tokens + self.extra) for s in self.samples) + self.text


@dataclass
class Case:
    """A generated file: its lines, how it is written, and the arguments of ``read_swc``."""

    seed: int
    lines: list[Line]
    corruptions: list[str]
    sep: str = " "
    newline: str = "\n"
    bom: bool = False
    encoding: str = "utf-8"
    raw: bytes | None = None        # whole-file replacement (binary junk)
    kwargs: dict = field(default_factory=dict)

    def render(self) -> bytes:
        if self.raw is not None:
            return self.raw
        text = self.newline.join(line.render(self.sep) for line in self.lines) + self.newline
        data = text.encode(self.encoding, errors="surrogatepass")
        if self.bom and self.encoding == "utf-8":
            data = b"\xef\xbb\xbf" + data
        return data

    def samples(self) -> list[tuple[int, Sample]]:
        """(line number as the reader counts it, sample) for every sample written."""
        step = self.newline.replace("\r\n", "\n").replace("\r", "\n").count("\n")
        return [(k * step + 1, s) for k, line in enumerate(self.lines) for s in line.samples]


# -- generation ------------------------------------------------------------------------------------
def _fmt(rng: random.Random, v: float) -> str:
    style = rng.random()
    if style < 0.6:
        return f"{v:.3f}"
    if style < 0.8:
        return f"{v:g}"
    if style < 0.9:
        return f"{v:.6e}"
    return repr(float(v))


def _tree(rng: random.Random, n: int) -> tuple[list[list], str]:
    """A tree: rows [id, type, x, y, z, r, parent] (ids 1..n, parents first), and its soma style
    (``"none"``: no soma, which the reader refuses unless repaired; the others are valid)."""
    soma_style = rng.choice(["single", "single", "three", "chain", "contour", "scattered",
                             "none"])
    origin = np.array([rng.uniform(-5000, 5000) for _ in range(3)]) if rng.random() < 0.3 \
        else np.zeros(3)
    rows: list[list] = []
    rs = rng.uniform(2, 12)
    if soma_style == "single" or soma_style == "scattered":
        rows.append([1, 1, *origin, rs, -1])
    elif soma_style == "three":
        rows.append([1, 1, *origin, rs, -1])
        rows.append([2, 1, *(origin + [0, -rs, 0]), rs, 1])
        rows.append([3, 1, *(origin + [0, rs, 0]), rs, 1])
    elif soma_style == "chain":
        for k in range(rng.randint(2, 6)):
            rows.append([k + 1, 1, *(origin + [0, 3.0 * k, 0]), rng.uniform(2, 8), k if k else -1])
    elif soma_style == "contour":
        m = rng.randint(4, 16)
        for k in range(m + 1):
            a = 2 * math.pi * k / m
            rows.append([k + 1, 1, *(origin + [rs * math.cos(a), 1.3 * rs * math.sin(a), 0]),
                         0.3, k if k else -1])
    else:  # no soma: an axon root
        rows.append([1, 2, *origin, rng.uniform(0.3, 2), -1])
    n_soma = len(rows)
    types = {}
    while len(rows) < max(n, n_soma + 1):
        i = len(rows) + 1
        if rng.random() < 0.85 and rows[-1][1] != 1:
            p = i - 1
        else:
            p = rng.randint(1, i - 1)
        prow = rows[p - 1]
        if prow[1] == 1 or p not in types:
            t = rng.choice([2, 3, 3, 4, 4, 7]) if prow[1] == 1 else prow[1]
        else:
            t = types[p] if rng.random() > 0.02 else rng.choice([2, 3, 4, 10])
        if soma_style == "scattered" and rng.random() < 0.02 and prow[1] == 1:
            t = 1
        types[i] = t
        step = np.array([rng.gauss(0, 1) for _ in range(3)])
        step *= rng.expovariate(1 / 4.0) / (np.linalg.norm(step) or 1.0)
        if rng.random() < 0.02:
            step[:] = 0.0  # a zero-length segment (merged, or a diameter step)
        r = max(0.05, prow[5] * rng.uniform(0.85, 1.02)) if prow[1] != 1 else rng.uniform(0.3, 2.5)
        if t == 1:
            r = rng.uniform(2, 6)
        rows.append([i, t, *(np.array(prow[2:5], dtype=float) + step), r, p])
    return rows, soma_style


def _sample(rng: random.Random, row: list) -> Sample:
    return Sample([str(row[0]), str(row[1]), *(_fmt(rng, v) for v in row[2:6]), str(row[6])])


_BAD_RADII = ["0", "-1", "-0", "1e-320", "1e-9", "1e-5", "1e200", "1e20", "5e4", "nan", "inf",
              "-inf", "1e400", "0.004"]
_BAD_COORDS = ["1e20", "1e300", "-1e308", "1.7e308", "nan", "inf", "1e400", "1e8", "-3e7",
               "1e-320", "9.9e6"]
_BAD_INTS = ["1.5", "-4", "1e30", str(2**70), "0x1f", "\uff11\uff12", "1_0", "", "-", "1e5",
             "3.0", "nan"]
_JOINERS = [" ", "\t", "\f", "\v", "  ", "\x1c", "\u2028", "\x85", " \f "]
_GARBAGE = ["x", "hello world", "1 2 3 four 5 6 7", "\x00\x00", "1 1 0 0 0", "<html>",
            "\ufffd\ufffd", "1,1,0,0,0,1,-1", "NaN NaN NaN NaN NaN NaN NaN", "END", "%%%%"]


def _whole(lines: list[Line]) -> list[Sample]:
    """The samples of ``lines`` that still have their 7 columns."""
    return [smp for line in lines for smp in line.samples if len(smp.tokens) == 7]


def _corrupt(rng: random.Random, case: Case, what: str) -> None:
    lines = case.lines
    data = [k for k, line in enumerate(lines) if line.samples and len(line.samples[0].tokens) == 7]
    if not data:
        return
    k = rng.choice(data)
    s = lines[k].samples[0]
    ids = [smp.tokens[0] for line in lines for smp in line.samples]
    if what == "delete":
        del lines[k]
    elif what == "duplicate":
        lines.insert(rng.randint(0, len(lines)), Line([Sample(list(s.tokens))]))
    elif what == "radius":
        s.tokens[5] = rng.choice(_BAD_RADII)
    elif what == "all_radii":
        value = rng.choice(["0", "1e-9", "1e200", "1e-320"])
        for smp in _whole(lines):
            smp.tokens[5] = value
    elif what == "coord":
        s.tokens[rng.randint(2, 4)] = rng.choice(_BAD_COORDS)
    elif what == "all_coords":
        factor = rng.choice([1e6, 1e15, 1e-9, 1000.0])
        for smp in _whole(lines):
            for c in (2, 3, 4, 5):
                v = _float_value(smp.tokens[c])
                if v is not None:
                    smp.tokens[c] = repr(v * factor)
    elif what == "collapse":
        for smp in _whole(lines):
            smp.tokens[2:5] = ["1.0", "2.0", "3.0"]
    elif what == "parent_missing":
        s.tokens[6] = rng.choice(["99999999", "123456", "-2"])
    elif what == "parent_self":
        s.tokens[6] = s.tokens[0]
    elif what == "parent_other":
        s.tokens[6] = rng.choice(ids)
    elif what == "root":
        s.tokens[6] = rng.choice(["-1", "-7"])
    elif what == "many_roots":
        fraction = rng.choice([0.1, 0.5, 1.0])
        for smp in _whole(lines):
            if rng.random() < fraction:
                smp.tokens[6] = "-1"
    elif what == "type":
        s.tokens[1] = rng.choice(["1", "0", "5", "6", "-3", "999", str(2**40)])
    elif what == "int_token":
        s.tokens[rng.choice([0, 1, 6])] = rng.choice(_BAD_INTS)
    elif what == "float_token":
        s.tokens[rng.randint(2, 5)] = rng.choice(["1,5", "abc", "1e", "--1", ".", "1.2.3",
                                                  "\u0661\u0662", "0x10", "infinity"])
    elif what == "join" and k + 1 < len(lines) and lines[k + 1].samples:
        lines[k].samples += lines[k + 1].samples
        lines[k].joiner = rng.choice(_JOINERS)
        del lines[k + 1]
    elif what == "truncate":
        s.tokens = s.tokens[:rng.randint(0, 6)]
        lines[k].extra = []
        if not s.tokens:
            lines[k] = Line(text="x")
    elif what == "extra_cols":
        lines[k].extra = rng.choice([["0"], ["abc"], ["1.5", "2.5"], ["7", "7", "7"]])
    elif what == "garbage":
        lines.insert(rng.randint(0, len(lines)), Line(text=rng.choice(_GARBAGE)))
    elif what == "comment_mid":
        lines[k].text = " # " + rng.choice(["note", "1 2 3"])
        cut = rng.randint(1, 6)
        lines[k].extra = []
        s.tokens = s.tokens[:cut]
    elif what == "blank_noise":
        for _ in range(rng.randint(1, 5)):
            lines.insert(rng.randint(0, len(lines)), Line(text=rng.choice(["", "   ", "\t", "\f",
                                                                            "#", "# x"])))
    elif what == "shuffle":
        rng.shuffle(lines)
    elif what == "encoding":
        choice = rng.choice(["utf-16", "utf-16-le", "latin", "bom"])
        if choice == "latin":
            lines.insert(0, Line(text="# caf\udce9 cr\udce8me"))
        elif choice == "bom":
            case.bom = True
        else:
            case.encoding = choice
    elif what == "line_ends":
        case.newline = rng.choice(["\r\n", "\r", "\n\n", "\r\r\n"])
    elif what == "binary":
        case.raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
    elif what == "empty":
        case.raw = rng.choice([b"", b"\n\n", b"# nothing\n", b"\xef\xbb\xbf", b"\x00" * 10])
    elif what == "soma_radius":
        for smp in _whole(lines):
            if smp.tokens[1] == "1":
                smp.tokens[5] = rng.choice(["0", "1e-9", "1e200"])
    elif what == "scale_arg":
        case.kwargs["scale"] = rng.choice([1e-300, 1e300, 1e-3, 1000.0, 1e-6])
    elif what == "discretization_arg":
        from brian2 import um
        case.kwargs["discretization"] = rng.choice(["swc", 1e-6 * um, 10 * um,
                                                    {"d_lambda": 1e-7}, "d_lambda"])


CORRUPTIONS = ("delete", "duplicate", "radius", "all_radii", "coord", "all_coords", "collapse",
               "parent_missing", "parent_self", "parent_other", "root", "many_roots", "type",
               "int_token", "float_token", "join", "truncate", "extra_cols", "garbage",
               "comment_mid", "blank_noise", "shuffle", "encoding", "line_ends", "binary", "empty",
               "soma_radius", "scale_arg", "discretization_arg")


def make_case(seed: int) -> Case:
    """The file of ``seed``: a random tree (2 to 20,000 samples), formatted in one of the ways
    real files are, then 0 to 4 corruptions (none for about one file in eight).

    Example
    -------
    >>> case = make_case(7)
    >>> len(case.samples()) > 0, case.render() == make_case(7).render()
    (True, True)
    """
    rng = random.Random(seed)
    size = rng.random()
    n = rng.randint(2, 60) if size < 0.6 else rng.randint(60, 600) if size < 0.97 else \
        rng.randint(2000, 20000)
    rows, soma_style = _tree(rng, n)
    if rng.random() < 0.3:  # sparse, shifted or 0-based ids
        offset, step = rng.choice([(0, 1), (-1, 1), (100, 3), (5, 7)])
        new = {row[0]: offset + step * row[0] for row in rows}
        for row in rows:
            row[0] = new[row[0]]
            row[6] = new.get(row[6], -1)
    if rng.random() < 0.15:
        rng.shuffle(rows)  # children before parents
    lines = [Line(text="# generated by tests/fuzz_swc.py")]
    if rng.random() < 0.1:
        lines.append(Line(text="# REGION 7 custom_dend"))
    lines += [Line([_sample(rng, row)]) for row in rows]
    case = Case(seed, lines, ["no_soma"] if soma_style == "none" else [],
                sep=rng.choice([" ", " ", "\t", "  "]))
    if rng.random() < 0.1:
        for line in lines:
            if line.samples:
                line.extra = ["0"]  # an 8th column on every line (eSWC)
    if rng.random() < 0.1:
        case.newline = "\r\n"
    if rng.random() < 0.875:
        for what in rng.choices(CORRUPTIONS, k=rng.randint(1, 4)):
            case.corruptions.append(what)
            _corrupt(rng, case, what)
    return case


# -- checking --------------------------------------------------------------------------------------
class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float):
    """Interrupt the block after ``seconds`` of this process's CPU time (not wall time: a loaded
    machine must not turn a slow read into a hang)."""
    def _alarm(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def _changes(report, name: str) -> list[dict]:
    return [c for r in report.repairs if r["repair"] == name for c in r.get("changes", [])]


def _silent_change(case: Case, morph, report, scale: float) -> str | None:
    """Why the load differs from the file without a reported repair, or None (see the module
    documentation, points 1 to 6). A report without ``changes`` (older versions of the reader)
    is checked leniently: samples its repairs list are not checked."""
    written = case.samples()
    if case.raw is not None:
        return "a file of junk bytes loaded"
    values = [(line, s.values()) for line, s in written]
    if any(v is None for _, v in values):
        return "a sample with an invalid token loaded"
    if report.points != len(written):
        return f"report.points {report.points} != {len(written)} samples written"
    lenient = any("changes" not in entry for entry in report.repairs)
    listed = {int(i) for entry in report.repairs for i in entry["ids"]}
    for entry in report.repairs:
        changes = entry.get("changes")
        if changes is None:
            continue
        if not (entry["count"] == len(entry["ids"]) == len(changes)):
            return f"repair {entry['repair']}: count, ids and changes disagree"
        if [c["id"] for c in changes] != list(entry["ids"]):
            return f"repair {entry['repair']}: ids are not those of its changes"
    # the samples by id (a renumbered duplicate by its new id, from the line it was on)
    renumbered = {c["line"]: c["new_id"] for c in _changes(report, "duplicate_id")}
    by_id: dict[int, tuple] = {}
    first_row: dict[int, int] = {}
    for line, (sid, stype, xyz, r, parent) in values:
        key = sid
        if sid in first_row:
            if line not in renumbered:
                if lenient and sid in listed:
                    continue
                return f"duplicate id {sid} (line {line}) loaded without a duplicate_id repair"
            key = renumbered[line]
        by_id[key] = (stype, xyz * scale, r * scale, parent, line)
        first_row.setdefault(sid, key)
    # links of the file (undirected), then the reported attachments and merges
    edges: set[frozenset] = set()
    for key, (_, _, _, parent, _) in by_id.items():
        if parent in first_row:
            edges.add(frozenset((key, first_row[parent])))
    kids = _children(by_id, first_row)
    for name in ("missing_parent", "extra_roots"):
        for c in _changes(report, name):
            if c.get("attached_to") is not None:
                if c["attached_to"] in _piece(kids, c["id"]):
                    return f"{name}: {c['id']} attached inside its own piece ({c['attached_to']})"
                edges.add(frozenset((c["id"], c["attached_to"])))
    merges = [(c["id"], c["into"]) for name in ("merged_zero_length", "dropped_soma_section")
              for c in _changes(report, name)]
    if lenient:  # older reports: a merged sample went into its parent
        merges = [(m, first_row.get(by_id[m][3], m)) for entry in report.repairs
                  if entry["repair"] == "merged_zero_length" for m in entry["ids"]]
    went = {}  # merged sample -> the sample it went into
    for m, into in merges:
        if np.linalg.norm(by_id[m][1] - by_id[into][1]) > 1e-9:
            return f"merged {m} into {into}, which is elsewhere"
        went[m] = into

    def final(v: int) -> int:
        seen_here = set()
        while v in went and v not in seen_here:
            seen_here.add(v)
            v = went[v]
        return v

    edges = {frozenset(final(v) for v in e) for e in edges}
    edges = {e for e in edges if len(e) == 2}
    radius = {}
    for c in _changes(report, "radius"):
        if not c["new_um"] > 0:
            return f"radius repair of {c['id']} to {c['new_um']}"
        radius[c["id"]] = c["new_um"]
    accounted = {c["id"] for r in report.repairs for c in r.get("changes", [])
                 if r["repair"] in ("merged_zero_length", "dropped_soma_section",
                                    "dropped_lone_point")}
    unchecked = listed if lenient else set()
    soma_ids = {k for k, v in by_id.items() if v[0] == 1}
    seen: set[int] = set(morph.soma.swc_ids or ())
    names = {sec.name: sec for sec in morph.sections}

    def linked(a: int, b: int) -> bool:  # (a merged sample is the one it went into)
        return (frozenset((final(a), final(b))) in edges or a in unchecked
                or b in unchecked)

    for sec in morph.sections[1:]:
        ids = list(sec.swc_ids)
        for k, sid in enumerate(ids):
            if sid < 0 or sid in unchecked:
                continue
            if sid not in by_id:
                return f"section {sec.name}: sample {sid} is not in the file"
            seen.add(sid)
            _, xyz, r, _, _ = by_id[sid]
            if not np.array_equal(sec.points[k, :3], xyz):
                return f"sample {sid} moved"
            if sec.points[k, 3] != 2 * radius.get(sid, r):
                return f"sample {sid}: diameter {sec.points[k, 3]} != {2 * radius.get(sid, r)}"
        for k in range(1, len(ids)):
            a, b = ids[k - 1], ids[k]
            if b >= 0 and a >= 0 and not linked(a, b):
                return f"section {sec.name}: {a} -> {b} is not a link of the file"
            if b >= 0 and a < 0 and not any(linked(b, s) for s in soma_ids):
                return f"section {sec.name}: {b} starts at a soma sample it is not linked to"
        parent = names[sec.parent]
        if parent.parent is not None and parent.region != "soma" and ids[0] != parent.swc_ids[-1]:
            if not linked(ids[0], parent.swc_ids[-1]):
                return f"section {sec.name} does not start where {parent.name} ends"
    missing = set(by_id) - seen - accounted - unchecked
    if missing:
        return f"samples {sorted(missing)[:5]} dropped without a repair"
    return None


def _children(by_id, first_row) -> dict[int, list[int]]:
    """Sample -> its children by the file's parent links."""
    kids: dict[int, list[int]] = {}
    for key, (_, _, _, parent, _) in by_id.items():
        if parent in first_row and first_row[parent] != key:
            kids.setdefault(first_row[parent], []).append(key)
    return kids


def _piece(kids: dict[int, list[int]], anchor: int) -> set[int]:
    """Samples below ``anchor`` by the file's parent links (the piece it heads)."""
    out, stack = set(), [anchor]
    while stack:
        k = stack.pop()
        if k in out:
            continue
        out.add(k)
        stack.extend(kids.get(k, []))
    return out


def _non_finite(morph, report) -> str | None:
    from cablemodel.io.swc import reader

    for sec in morph.sections:
        if not (np.all(np.isfinite(sec.points)) and np.all(sec.points[:, 3] > 0)):
            return f"section {sec.name}: points not finite and positive"
    if morph.n_compartments > getattr(reader, "DEFAULT_MAX_COMPARTMENTS", 100_000):
        return f"{morph.n_compartments} compartments"
    t = morph.compartments()
    root = t.parent == -1
    if not (np.all(np.isfinite(t.area)) and np.all(t.area > 0)):
        return "compartment area not finite and > 0"
    for col in (t.axial_1, t.axial_2):
        if not (np.all(np.isfinite(col[~root])) and np.all(col[~root] > 0)):
            return "axial factor not finite and > 0"
    if not all(np.isfinite(v) for v in (t.distance.max(), t.length.max())):
        return "distances not finite"
    d = json.dumps(report.to_dict())
    if "NaN" in d or "Infinity" in d:
        return "report holds NaN or inf"
    return None


def check_case(case: Case, folder: Path, limit_s: float = 10.0) -> list[tuple[str, str]]:
    """Read ``case`` with ``repair=False`` and ``repair=True`` (attachment ``"neuron"`` for even
    seeds, ``"sphere"`` for odd ones); return ``(outcome, detail)`` per call, the outcome being
    ``"load"``, ``"error"`` or one of :data:`FAILURES`.

    Example
    -------
    >>> import tempfile, pathlib
    >>> [o for o, _ in check_case(make_case(0), pathlib.Path(tempfile.mkdtemp()))]
    ['load', 'load']
    """
    from cablemodel.io.swc import SWCError, read_swc

    path = folder / f"fuzz_{case.seed}.swc"
    data = case.render()
    path.write_bytes(data)
    n_lines = data.count(b"\n") + data.count(b"\r") + 1
    out = []
    attachment = "neuron" if case.seed % 2 == 0 else "sphere"
    for repair in (False, True):
        kwargs = dict(case.kwargs, repair=repair, attachment=attachment)
        t0 = time.perf_counter()
        try:
            with _time_limit(limit_s):
                morph, report = read_swc(path, **kwargs)
                bad = _non_finite(morph, report)
        except _Timeout:
            out.append(("hang", f"> {limit_s} s"))
            continue
        except SWCError as err:
            first = str(err).splitlines()[0]
            m = re.match(rf"^{re.escape(str(path))}:(\d+): (.+); (.+)$", first)
            if m is None or not 1 <= int(m.group(1)) <= n_lines:
                out.append(("unclear_error", first[:300]))
            elif not case.corruptions and not repair:
                out.append(("false_error", first[:300]))
            else:
                out.append(("error", first[:120]))
            continue
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            out.append(("crash", f"{type(exc).__name__}: {str(exc)[:300]}"))
            continue
        if bad is not None:
            out.append(("non_finite", bad))
            continue
        scale = float(case.kwargs.get("scale") or 1.0)
        why = _silent_change(case, morph, report, scale)
        out.append(("silent_change", why) if why else ("load", f"{time.perf_counter() - t0:.2f} s"))
    return out


def run(seeds: Iterable[int], limit_s: float = 10.0, verbose: bool = False) -> dict:
    """Generate and check the case of every seed; return the counts of each outcome,
    ``"slowest_case_cpu_s"`` and ``"slowest_seed"`` (the case whose two reads took the most CPU
    time) and ``"examples"`` (the first few seeds of each failure, with what happened).

    Example
    -------
    >>> run(range(2), limit_s=20)["calls"]
    4
    """
    counts = {"calls": 0, "loads": 0, "errors": 0, **{k: 0 for k in FAILURES},
              "slowest_case_cpu_s": 0.0}
    examples: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            case = make_case(seed)
            cpu = time.process_time()
            checked = check_case(case, Path(tmp), limit_s)
            cpu = time.process_time() - cpu
            if cpu > counts["slowest_case_cpu_s"]:
                counts["slowest_case_cpu_s"], counts["slowest_seed"] = round(cpu, 2), seed
            for outcome, detail in checked:
                counts["calls"] += 1
                key = {"load": "loads", "error": "errors"}.get(outcome, outcome)
                counts[key] += 1
                if outcome in FAILURES:
                    examples.setdefault(outcome, [])
                    if len(examples[outcome]) < 5:
                        examples[outcome].append((seed, case.corruptions, detail))
                    if verbose:
                        print(seed, outcome, case.corruptions, detail, file=sys.stderr)
    counts["examples"] = examples
    return counts


def main(argv: list[str] | None = None) -> int:
    """``python tests/fuzz_swc.py --files N [--seed S] [--limit SECONDS] [--show]``: check N
    cases from seed S and print the counts as JSON; exit 1 if any failure was found.

    Example
    -------
    >>> main(["--files", "1", "--seed", "0"])  # doctest: +ELLIPSIS
    {"calls": 2, "loads": 2, ...}
    0
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per read_swc call")
    parser.add_argument("--show", action="store_true", help="print the file of --seed and stop")
    parser.add_argument("--verbose", action="store_true", help="print every failure")
    parser.add_argument("--memory-gb", type=float, default=None,
                        help="address-space limit of this process (a MemoryError is a crash)")
    args = parser.parse_args(argv)
    if args.memory_gb:
        import resource

        limit = int(args.memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if args.show:
        case = make_case(args.seed)
        print(case.corruptions, case.kwargs)
        print(case.render().decode("utf-8", errors="replace"))
        return 0
    t0 = time.perf_counter()
    counts = run(range(args.seed, args.seed + args.files), args.limit, args.verbose)
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    examples = counts.pop("examples")
    print(json.dumps(counts))
    for outcome, cases in examples.items():
        for seed, corruptions, detail in cases:
            print(f"{outcome} seed {seed} {corruptions}: {detail}")
    return 1 if any(counts[k] for k in FAILURES) else 0


if __name__ == "__main__":
    sys.exit(main())
