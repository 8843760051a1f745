"""Moving whole sections to other region names (e.g. the apical tree of a file that types every
dendrite as basal), with the change written into the morphology's notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from ..morphology.model import Morphology
from .regions import LocationError, Region
from .select import Where, region

__all__ = ["relabel", "RESERVED_REGION_NAMES"]

#: Names that cannot be given to sections: the soma is structural (the root and soma sections),
#: ``"dendrite"`` and ``"all"`` are aliases of :meth:`CompartmentTable.in_region`.
RESERVED_REGION_NAMES = ("soma", "dendrite", "all")


def relabel(morphology: Morphology, regions: Mapping[str, Where]) -> Morphology:
    """A copy of ``morphology`` with whole sections moved to new region names; geometry, section
    names, compartments and SWC ids are unchanged (bit for bit).

    ``regions`` maps each new region name to the sections it takes: a section name (that section
    only), a list of section names, or anything else :func:`~cablemodel.places.region` takes
    (e.g. ``subtree("basal_35")``), which must cover whole sections. The new name is a standard
    region (``"apical"``, ``"basal"``, ``"axon"``, ...) or a custom one (an identifier). Each
    change is added to the morphology's ``notes`` (which sections, their total length, from which
    regions), also when a section already had that region (reported as unchanged).

    Raises :class:`LocationError` for an unknown section, a region that cuts a section, a section
    claimed by two names, the soma, or a reserved or invalid name (:data:`RESERVED_REGION_NAMES`).

    Example
    -------
    >>> from cablemodel import pyramidal, subtree
    >>> m = pyramidal()
    >>> tufted = relabel(m, {"tuft": ["tuft0", "tuft1", "tuft2"], "oblique": subtree("oblique1")})
    >>> tufted["tuft1"].region, m["tuft1"].region, tufted["oblique1"].region
    ('tuft', 'apical', 'oblique')
    >>> tufted.notes[-2]
    'relabel: 3 section(s), 750.0 um, apical -> tuft: tuft0, tuft1, tuft2'
    >>> bool((tufted.compartments().area == m.compartments().area).all())
    True
    """
    if not isinstance(regions, Mapping) or not regions:
        raise LocationError("relabel: give a mapping {new region name: sections}, e.g."
                            " {'apical': subtree('basal_3')}")
    by_name = {sec.name: sec for sec in morphology.sections}
    table = None
    claimed: dict[str, str] = {}
    notes = []
    for new, where in regions.items():
        if not isinstance(new, str) or not new.isidentifier() or new in RESERVED_REGION_NAMES:
            raise LocationError(f"relabel: {new!r} cannot be a region name; use an identifier other"
                                f" than {', '.join(RESERVED_REGION_NAMES)}")
        if isinstance(where, str) and where.strip().isidentifier():
            names = [where.strip()]
        elif isinstance(where, list | tuple) and all(isinstance(w, str) for w in where):
            names = [w.strip() for w in where]
        else:
            if table is None:
                table = morphology.compartments()
            names = _whole_sections(table, region(where), new)
        for name in names:
            if name not in by_name:
                raise LocationError(f"relabel {new!r}: no section {name!r}; sections are"
                                    f" {list(by_name)} (for a subtree use subtree({name!r}))")
            if by_name[name].region == "soma":
                raise LocationError(f"relabel {new!r}: section {name!r} is part of the soma, which"
                                    " keeps its region; leave it out (e.g. subtract region('soma'))")
            if claimed.get(name, new) != new:
                raise LocationError(f"relabel: section {name!r} is given to both"
                                    f" {claimed[name]!r} and {new!r}; give each section one name")
            claimed[name] = new
        notes.append(_note(new, [by_name[n] for n in dict.fromkeys(names)]))
    sections = tuple(replace(sec, region=claimed[sec.name]) if claimed.get(sec.name, sec.region)
                     != sec.region else sec for sec in morphology.sections)
    return replace(morphology, sections=sections, notes=(*morphology.notes, *notes))


def _whole_sections(table, reg: Region, new: str) -> list[str]:
    """Names of the sections ``reg`` selects, each of which it must cover entirely."""
    mask = reg.mask(table)
    if not mask.any():
        raise LocationError(f"relabel {new!r}: {reg} selects no compartment of this cell")
    names = list(dict.fromkeys(table.section[mask].tolist()))
    for name in names:
        rows = table.section == name
        if not mask[rows].all():
            raise LocationError(f"relabel {new!r}: {reg} covers {int(mask[rows].sum())} of the"
                                f" {int(rows.sum())} compartments of section {name!r}; regions"
                                " are whole sections: select whole sections (e.g. subtree(...))")
    return names


def _note(new: str, sections: list) -> str:
    moved = [s for s in sections if s.region != new]
    kept = len(sections) - len(moved)
    olds = sorted({s.region for s in moved})
    names = [s.name for s in moved]
    shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
    length = float(np.sum([s.length for s in moved]))
    text = (f"relabel: {len(moved)} section(s), {length:.1f} um, {', '.join(olds) or '-'} ->"
            f" {new}" + (f": {shown}" if moved else ""))
    return text + (f"; {kept} section(s) already {new}, unchanged" if kept else "")
