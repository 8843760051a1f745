"""Writing a morphology as an SWC file (standard columns: id type x y z radius parent).

Region -> SWC type: soma 1, axon 2, basal 3, apical 4; the hillock (10), initial segment (11) and
custom regions (12, 13, ...) get types above the standard ones, declared in the header as
``# REGION <type> <name>`` lines so that a reader can restore the region names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...morphology.model import Morphology, MorphologyError, Section, _b2_name

SWC_TYPES = {"soma": 1, "axon": 2, "basal": 3, "apical": 4, "hillock": 10, "ais": 11}

__all__ = ["write_swc", "SWC_TYPES"]


def write_swc(morphology: Morphology, path: str | Path, comment: str = "") -> Path:
    """Write ``morphology`` to ``path`` as SWC (single-point soma, lengths in um), so that
    :func:`~cablemodel.io.swc.read_swc` gives back the same cell.

    * Children of the soma start with their own first point, whose parent is the soma sample
      (the single-point soma convention; NEURON's Import3d joins them to the soma by a wire).
    * A section's first point is its parent's last point, so it is written once; where the
      section starts with another diameter (a step at a branch point, e.g. Rall's 3/2 rule), its
      first point is written as a sample at the same position with its own radius.
    * ``# SECTION <name> <compartments> <last sample id>`` lines keep section names and
      compartment counts, which ``read_swc`` uses by default; ``# REGION`` lines name the types
      of the hillock (10), initial segment (11) and custom regions.
    * Coordinates and radii are written with every digit (``repr``), so areas, axial
      resistances and distances come back to ~1e-15 relative.

    Raises :class:`~cablemodel.morphology.model.MorphologyError` for what a single-point SWC
    cannot hold: soma sections, sections on the soma that start away from it
    (``origin_distance``), or a section that does not start at its parent's end.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from cablemodel import ball_and_stick, read_swc
    >>> cell = ball_and_stick()
    >>> p = write_swc(cell, pathlib.Path(tempfile.mkdtemp()) / "bs.swc")
    >>> back, report = read_swc(p)
    >>> back.section_names == cell.section_names, report.discretization["method"]
    (True, 'file')
    """
    types = dict(SWC_TYPES)
    for sec in morphology.sections:
        types.setdefault(sec.region, max(types.values()) + 1)
    used = {sec.region for sec in morphology.sections}
    by_name = {sec.name: sec for sec in morphology.sections}
    soma = morphology.soma.name
    for sec in morphology.sections[1:]:
        _check_writable(sec, by_name, soma)
    rows: list[str] = []
    sections: list[str] = []
    last_id: dict[str, int] = {}
    next_id = 1
    for sec in morphology.sections:
        pts = sec.points
        if sec.parent is None:
            out, parent = pts, -1
        elif sec.parent == soma:
            out, parent = pts, last_id[soma]
        else:
            step = pts[0, 3] != by_name[sec.parent].points[-1, 3]
            out, parent = (pts if step else pts[1:]), last_id[sec.parent]
        for x, y, z, d in out:
            rows.append(f"{next_id} {types[sec.region]} {_num(x)} {_num(y)} {_num(z)} {_num(d / 2)}"
                        f" {parent}")
            parent = next_id
            next_id += 1
        last_id[sec.name] = parent
        if sec.parent is not None:
            sections.append(f"# SECTION {_b2_name(sec.name)} {sec.n_compartments} {parent}")
    lines = [f"# {morphology.name}, written by cablemodel"]
    lines += [f"# {c}" for c in comment.splitlines() if c]
    lines += [f"# REGION {types[r]} {r}" for r in types if r in used]
    lines += sections
    lines.append("# id type x y z radius parent")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines + rows) + "\n")
    return path


def _num(value: float) -> str:
    """Shortest text that reads back as the same float (``-0`` as ``0``)."""
    v = float(value)
    return repr(v + 0.0) if v != 0 else "0"


def _check_writable(sec: Section, by_name: dict[str, Section], soma: str) -> None:
    if sec.region == "soma":
        raise MorphologyError(f"section {sec.name!r} is a soma section: write_swc writes a"
                              " single-point soma and cannot keep it")
    if sec.origin_distance:
        raise MorphologyError(f"section {sec.name!r} starts {sec.origin_distance:g} um from the"
                              " distance origin: a single-point SWC soma cannot keep that")
    if sec.parent != soma and not np.array_equal(sec.points[0, :3], by_name[sec.parent].points[-1, :3]):
        raise MorphologyError(f"section {sec.name!r} does not start at the end of its parent"
                              f" {sec.parent!r}; SWC would add a segment between them")
