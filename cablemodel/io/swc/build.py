"""From a checked SWC tree to a :class:`~cablemodel.morphology.model.Morphology` and its
:class:`~cablemodel.io.swc.report.LoadReport`: the soma sphere, the neurite sections (attached as
NEURON's Import3d attaches them, or on the sphere) and the discretization."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...morphology.batch import piece_lengths, run_sums
from ...morphology.model import Morphology, MorphologyError, Section, make_sections
from .apical import detect_apical as _detect_apical
from .apical import renamed_report
from .errors import SWCError, _Problem, _raise
from .import3d import NeuronSoma, neuron_soma
from .repair import ZERO_LENGTH_UM, _Tree
from .report import LoadReport
from .soma import _frustum_area, _Soma, _soma_shape

__all__ = ["ATTACHMENTS", "build"]

#: How neurites are attached to the soma (``read_swc(..., attachment=...)``).
ATTACHMENTS = ("neuron", "sphere")


def build(file: str, tree: _Tree, n_points: int, discretizer: Callable, attachment: str,
          conventions: list[str], warnings: list[str],
          declared: dict[int, tuple[str, int]] | None = None,
          max_compartments: int | None = None,
          detect_apical: bool = False) -> tuple[Morphology, LoadReport]:
    """Soma, sections, discretization and the report, from a checked tree. ``declared``: the
    file's ``# SECTION`` lines (last sample id -> name, compartments), used when they describe
    every section; more than ``max_compartments`` compartments raise SWCError.
    ``detect_apical``: look for the apical tree of a file without type-4 samples
    (:mod:`cablemodel.io.swc.apical`)."""
    soma = _soma_shape(tree.soma_rows, tree.tree_parent, tree.xyz, tree.r, tree.seq)
    if tree.soma_from_root:
        soma.convention, soma.detail = "made-from-root", "no soma in the file (repair no_soma)"
    warnings += soma.warnings
    wire: dict[int, bool] = {}
    origin: dict[int, float] = {}
    proximal: frozenset[int] = frozenset()
    root_rows, centre, root_area = tree.soma_rows, soma.centre, soma.area
    soma_sections: list[Section] = []
    owner: dict[int, tuple[str, bool]] = {}  # soma row -> (its section's name, is its last sample)
    if attachment == "neuron":
        nrn = neuron_soma(tree.ids, tree.types, tree.xyz, tree.r, tree.tree_parent)
        wire, origin, proximal = nrn.wire, nrn.origin_distance, nrn.proximal
        if not nrn.id_order:
            warnings.append("samples are listed before their parents, which NEURON's Import3d"
                            " refuses: its attachment rules were applied in tree order")
        split = soma.convention in ("multi-point", "scattered") and len(nrn.soma_sections) > 1
        if split and not nrn.root_area > 0:
            split = False
            warnings.append("NEURON's first soma section (samples"
                            f" {[tree.ids[k] for k in nrn.soma_sections[0].rows]}) has no area"
                            " (its samples lie at one position with one radius): the soma is one"
                            " sphere of the soma's area, not Import3d's soma sections")
        if split:
            soma_sections, owner = _soma_sections(tree, nrn, warnings)
            root_rows = list(nrn.soma_sections[0].rows)
            centre, root_area = _root_centre(tree, root_rows), nrn.root_area
            soma.area = root_area + sum(_polyline_areas(soma_sections))
            soma.detail += (f"; as NEURON's Import3d: a root section of {root_area:.4g} um^2"
                            f"{' (its one sample as a sphere)' if nrn.root_sphere_area else ''}"
                            f" and {len(soma_sections)} soma section(s) of cable")
    soma_d = math.sqrt(root_area / math.pi)
    shape = (f"a root sphere of diameter {soma_d:.4g} um ({root_area:.4g} um^2) and"
             f" {len(soma_sections)} soma section(s)" if soma_sections
             else f"sphere of diameter {soma_d:.4g} um at the soma centroid")
    conventions.append(f"soma: {soma.convention} ({soma.detail}); area {soma.area:.4g} um^2 ->"
                       f" {shape}")
    conventions.append(_ATTACHMENT_NOTE[attachment])
    sections = [Section("soma", "soma", None, np.array([[*centre, soma_d]]), 1,
                        tuple(sorted({tree.ids[k] for k in root_rows})))]
    sections += soma_sections
    sections += _neurites(tree, wire, origin, proximal, owner, warnings)
    notes = [f"read from {file}", f"soma: {soma.convention}, area {soma.area:.4g} um^2",
             f"neurites attached as {attachment!r}"]
    notes += [f"repair {d['repair']}: {d['count']} sample(s)" for d in tree.done]
    apical: dict = {}
    if detect_apical:
        sections, apical, apical_notes = _detect_apical(sections)
        notes += apical_notes
    named = _declared_sections(sections, declared or {})
    if named is not None and apical:
        apical = renamed_report(apical, {a.name: b.name for a, b in zip(sections, named, strict=True)})
    try:
        if named is not None:
            morph = Morphology(tuple(named), name=Path(file).stem, notes=tuple(notes))
            discretization = _file_discretization(morph)
        else:
            morph = Morphology(tuple(sections), name=Path(file).stem, notes=tuple(notes))
            try:
                morph, discretization = discretizer(morph)
            except OverflowError:  # a count too large for a float: beyond any limit
                _too_many(file, tree, morph, None, max_compartments or 0)
    except MorphologyError as exc:  # should not happen: report it with the file name
        raise SWCError(f"{file}: the loaded geometry is invalid ({exc}); please report this file",
                       file=file, kind="internal") from exc
    if max_compartments is not None and morph.n_compartments > max_compartments:
        _too_many(file, tree, morph, morph.n_compartments, max_compartments)
    report = _report(file, morph, soma, root_area, soma_d, tree, n_points, attachment,
                     discretization, conventions, warnings)
    report.apical = apical
    return morph, report


def _too_many(file: str, tree: _Tree, morph: Morphology, total: int | None, limit: int) -> None:
    """Raise the compartment-count error, naming the section with the most compartments (or,
    if the counts could not be computed, the longest section) by the line of its last sample."""
    if total is None:
        worst = max(morph.sections[1:], key=lambda sec: sec.length)
        what = (f"the discretization asks for more compartments than can be counted (section"
                f" {worst.name}: {worst.length:.4g} um)")
    else:
        worst = max(morph.sections[1:], key=lambda sec: sec.n_compartments)
        what = (f"{total:,} compartments are more than the limit of {limit:,} (section"
                f" {worst.name}: {worst.n_compartments:,} compartments over {worst.length:.4g}"
                " um)")
    last = next((i for i in reversed(worst.swc_ids or ()) if i >= 0), None)
    line = next(int(tree.lines[k]) for k in range(tree.n) if tree.ids[k] == last)
    _raise(file, [_Problem("compartments", line, [last], what)])


_ATTACHMENT_NOTE = {
    "neuron": "neurites attached to the soma as NEURON's Import3d attaches them (a neurite starts at"
              " its parent soma sample with its own first diameter, or at its own first sample where"
              " Import3d joins it by a wire); path distances from the middle of NEURON's first soma"
              " section; a segment's region is the type of its distal sample",
    "sphere": "neurites start at their own first sample on the soma sphere (no segment from a soma"
              " sample); path distances from the soma (0 at each neurite's start); a segment's"
              " region is the type of its distal sample",
}


def _declared_sections(sections: list[Section],
                       declared: dict[int, tuple[str, int]]) -> list[Section] | None:
    """The sections renamed and counted as the file declares them, or ``None`` unless the
    declarations match every section (by its last sample) with unique names."""
    if not declared or len(declared) != len(sections) - 1:
        return None
    names = {"soma": "soma"}
    for sec in sections[1:]:
        entry = declared.get(sec.swc_ids[-1] if sec.swc_ids else -1)
        if entry is None:
            return None
        names[sec.name] = entry[0]
    if len(set(names.values())) != len(names):
        return None
    return [sections[0]] + [replace(sec, name=names[sec.name], parent=names[sec.parent],
                                    n_compartments=declared[sec.swc_ids[-1]][1])
                            for sec in sections[1:]]


def _file_discretization(morph: Morphology) -> dict:
    longest = max((s.length / s.n_compartments for s in morph.sections[1:]), default=0.0)
    return {"method": "file", "compartments_before": morph.n_compartments,
            "compartments_after": morph.n_compartments, "longest_compartment_um": longest}


def _soma_sections(tree: _Tree, nrn: NeuronSoma,
                   warnings: list[str]) -> tuple[list[Section], dict[int, tuple[str, bool]]]:
    """Import3d's soma sections other than the root, as cable sections of region ``"soma"``
    (each starts at its parent sample with that sample's diameter), and which section owns each
    soma sample."""
    names = ["soma"] + [f"soma_{k}" for k in range(1, len(nrn.soma_sections))]
    owner = {row: (names[k], row == sec.rows[-1])
             for k, sec in enumerate(nrn.soma_sections) for row in sec.rows}
    out = []
    dropped: list[tuple[int, int]] = []  # (row, the sample it went into)
    for k, sec in enumerate(nrn.soma_sections[1:], start=1):
        rows = [sec.start, *sec.rows]
        pts = np.column_stack([tree.xyz[rows], 2 * tree.r[rows]])
        parent, offset = names[sec.parent], sec.origin_distance if sec.parent == 0 else 0.0
        if np.linalg.norm(np.diff(pts[:, :3], axis=0), axis=1).sum() <= ZERO_LENGTH_UM:
            # no length (samples at one position): as NEURON's Import3d, drop it; what hangs
            # from it hangs from its parent sample
            names[k] = parent
            for row in sec.rows:
                owner[row] = owner.get(sec.start, (parent, True))
            dropped += [(row, sec.start) for row in sec.rows]
            continue
        if sec.parent != 0 and sec.parentx != 1.0:
            warnings.append(f"soma section {names[k]} (from sample {tree.ids[sec.start]}) is attached"
                            f" to the end of {parent}; NEURON attaches it at x = {sec.parentx:g}")
        out.append(Section(names[k], "soma", parent, pts, len(sec.rows),
                           tuple(tree.ids[j] for j in rows), origin_distance=offset))
    if dropped:
        tree.done.append({
            "repair": "dropped_soma_section", "count": len(dropped),
            "ids": [tree.ids[row] for row, _ in dropped],
            "detail": "soma samples at the position of the soma sample they hang from form soma"
                      " sections of no length: dropped, as NEURON's Import3d drops them (what hangs"
                      " from them hangs from that sample)",
            "changes": [{"id": tree.ids[row], "line": int(tree.lines[row]), "into": tree.ids[into]}
                        for row, into in dropped]})
    return out, owner


def _root_centre(tree: _Tree, rows: list[int]) -> np.ndarray:
    """Centre of the root section: its sample, or the area-weighted centroid of its frustums."""
    if len(rows) == 1:
        return tree.xyz[rows[0]].copy()
    pts, rr = tree.xyz[rows], tree.r[rows]
    pieces = _frustum_area(rr[:-1], rr[1:], np.linalg.norm(np.diff(pts, axis=0), axis=1))
    return (0.5 * (pts[1:] + pts[:-1]) * pieces[:, None]).sum(axis=0) / pieces.sum()


def _polyline_areas(sections: list[Section]) -> list[float]:
    """Lateral area (um^2) of the frustums along each section's polyline (each summed as
    ``_frustum_area(...).sum()`` of its own pieces)."""
    if not sections:
        return []
    stacked = np.concatenate([sec.points for sec in sections])
    pieces, count = piece_lengths(stacked, np.array([len(sec.points) for sec in sections]))
    inside = np.ones(len(stacked) - 1, dtype=bool)
    inside[(np.cumsum(count + 1) - 1)[:-1]] = False
    radius = stacked[:, 3] / 2
    area = _frustum_area(radius[:-1][inside], radius[1:][inside], pieces)
    return run_sums(area, count).tolist()


def _neurites(tree: _Tree, wire: dict[int, bool], origin: dict[int, float],
              proximal: frozenset[int], owner: dict[int, tuple[str, bool]],
              warnings: list[str]) -> list[Section]:
    """Sections of the neurites, depth first from the soma (children by id). With ``wire``
    empty (the ``"sphere"`` attachment) every neurite starts at its own first sample.

    A neurite that starts at its parent soma sample (a piece to its first sample) carries on
    through its first sample into its other children; branches that Import3d connects to the
    neurite's proximal end (``proximal``) become sections on the soma that start at that first
    sample, at the neurite's origin distance. ``owner`` maps the samples of soma sections (if
    the soma has some) to their section: a neurite on such a sample hangs from that section."""
    ids, regions, types, xyz, r = tree.ids, tree.regions, tree.types, tree.xyz, tree.r
    kids = list(tree.kids)
    in_soma = np.zeros(tree.n, dtype=bool)
    in_soma[tree.soma_rows] = True
    soma_roots = sorted((k for k in tree.order if tree.alive[k] and not in_soma[k]
                         and tree.tree_parent[k] >= 0 and in_soma[tree.new_parent[k]]),
                        key=lambda j: ids[j])
    # a stack entry: (start point: a row of `table`, its id, first row of the chain, parent,
    # origin); start points that are no sample's are added to the table after the samples
    stack: list[tuple[int, int, int, str, float]] = []
    extra: list[list[float]] = []
    lone = []
    for c in soma_roots:
        p = int(tree.new_parent[c])
        parent, at_end = owner.get(p, ("soma", True))
        if not at_end and parent != "soma":
            warnings.append(f"neurite from sample {ids[c]} is attached to the end of soma section"
                            f" {parent}; NEURON attaches it to that section's middle (its parent"
                            f" sample {ids[p]} is inside the section)")
        offset = origin.get(c, 0.0) if parent == "soma" else 0.0
        piece = (c in wire and not wire[c]
                 and float(np.linalg.norm(xyz[c] - xyz[p])) > ZERO_LENGTH_UM)
        if piece:  # from the parent soma sample, with the neurite's first diameter
            extra.append([*xyz[p].tolist(), float(2 * r[c])])
            stack.append((tree.n + len(extra) - 1, -1, c, parent, offset))
            stack += [(c, ids[c], k, parent, offset) for k in kids[c] if k in proximal]
            kids[c] = [k for k in kids[c] if k not in proximal]
        elif kids[c]:
            stack += [(c, ids[c], k, parent, offset) for k in kids[c]]
        else:
            lone.append(c)
    if lone:
        tree.done.append({"repair": "dropped_lone_point", "count": len(lone),
                          "ids": [ids[k] for k in lone],
                          "detail": "neurites made of a single sample attached to the soma have"
                                    " no length and were dropped",
                          "changes": [{"id": ids[k], "line": int(tree.lines[k])} for k in lone]})
    stack.reverse()
    counters: dict[str, int] = {}
    specs = []
    index: list[int] = []  # the table rows of every section's points, section after section
    region_of = [regions[t] for t in types.tolist()]
    position = xyz.tolist() + [e[:3] for e in extra]
    while stack:
        start, start_id, nxt, parent_name, offset = stack.pop()
        region = region_of[nxt]
        rows = [nxt]
        down = kids[nxt]
        while len(down) == 1 and region_of[down[0]] == region:
            rows.append(down[0])
            down = kids[down[0]]
        name = f"{region}_{counters.get(region, 0)}"
        counters[region] = counters.get(region, 0) + 1
        sample_ids = tuple([ids[k] for k in rows])
        if math.dist(position[start], position[nxt]) > ZERO_LENGTH_UM or len(rows) == 1:
            index.append(start)
            sample_ids = (start_id, *sample_ids)
        # (else the first sample is a diameter step at the parent's end: it starts the section)
        index += rows
        specs.append((name, region, parent_name, len(sample_ids), sample_ids, offset))
        end = rows[-1]
        stack.extend((end, ids[end], k, name, 0.0) for k in reversed(kids[end]))
    table = np.column_stack([xyz, 2 * r])  # each sample as a point: x, y, z, diameter
    points = np.concatenate([table, np.array(extra).reshape(-1, 4)])[index]
    ends = np.cumsum([spec[3] for spec in specs]).tolist()
    return make_sections([(name, region, parent, points[b - m:b], m - 1, sample_ids, offset)
                          for (name, region, parent, m, sample_ids, offset), b
                          in zip(specs, ends, strict=True)])


def _report(file: str, morph: Morphology, soma: _Soma, root_area: float, soma_d: float, tree: _Tree,
            n_points: int, attachment: str, discretization: dict, conventions: list[str],
            warnings: list[str]) -> LoadReport:
    lengths: dict[str, float] = {}
    surface: dict[str, float] = {"soma": float(root_area)}
    cables = morph.sections[1:]
    for sec, area in zip(cables, _polyline_areas(list(cables)), strict=True):
        if sec.region != "soma":
            lengths[sec.region] = lengths.get(sec.region, 0.0) + sec.length
        surface[sec.region] = surface.get(sec.region, 0.0) + area
    table = morph.compartments()
    simulated = {region: float(table.area[table.region == region].sum()) for region in surface}
    used = sorted({int(t) for k, t in enumerate(tree.types) if k < n_points})
    return LoadReport(
        file=file, points=n_points, sections=len(morph.sections),
        compartments=morph.n_compartments, soma_convention=soma.convention,
        soma_area_um2=float(soma.area), soma_diameter_um=soma_d, total_length_um=lengths,
        surface_um2=surface, simulated_surface_um2=simulated,
        max_path_distance_um=float(table.end.max()) if len(table) > 1 else 0.0,
        soma_sections=sum(1 for sec in morph.sections[1:] if sec.region == "soma"),
        attachment=attachment, scale=tree.factor,
        regions={str(t): tree.regions[t] for t in used}, conventions=conventions,
        warnings=warnings, repairs=tree.done, discretization=discretization)
