"""Writing a morphology as an SWC file (standard columns: id type x y z radius parent).

Region -> SWC type: soma 1, axon 2, basal 3, apical 4; the hillock (10), initial segment (11) and
custom regions (12, 13, ...) get types above the standard ones, declared in the header as
``# REGION <type> <name>`` lines so that a reader can restore the region names.
"""

from __future__ import annotations

from pathlib import Path

from ...morphology.model import Morphology

SWC_TYPES = {"soma": 1, "axon": 2, "basal": 3, "apical": 4, "hillock": 10, "ais": 11}

__all__ = ["write_swc", "SWC_TYPES"]


def write_swc(morphology: Morphology, path: str | Path, comment: str = "") -> Path:
    """Write ``morphology`` to ``path`` as SWC (single-point soma, lengths in um).

    Each section's first point is its parent's last point, so it is written once. Children of the
    soma start with their own sample, whose parent is the soma sample (the usual single-point soma
    convention).

    Example
    -------
    >>> import tempfile, pathlib
    >>> from cablemodel import ball_and_stick
    >>> p = write_swc(ball_and_stick(), pathlib.Path(tempfile.mkdtemp()) / "bs.swc")
    >>> p.read_text().splitlines()[-1].split()[1]
    '3'
    """
    types = dict(SWC_TYPES)
    for sec in morphology.sections:
        types.setdefault(sec.region, max(types.values()) + 1)
    used = {sec.region for sec in morphology.sections}
    lines = [f"# {morphology.name}, written by cablemodel"]
    lines += [f"# {c}" for c in comment.splitlines() if c]
    lines += [f"# REGION {types[r]} {r}" for r in types if r in used]
    lines.append("# id type x y z radius parent")
    last_id: dict[str, int] = {}
    next_id = 1
    for sec in morphology.sections:
        pts = sec.points
        if sec.region == "soma":
            rows, parent = pts, -1
        elif sec.parent == morphology.soma.name:
            rows, parent = pts, last_id[sec.parent]
        else:
            rows, parent = pts[1:], last_id[sec.parent]
        for x, y, z, d in rows:
            lines.append(f"{next_id} {types[sec.region]} {x:.4f} {y:.4f} {z:.4f} {d / 2:.4f} {parent}")
            parent = next_id
            next_id += 1
        last_id[sec.name] = parent
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
