"""Finding the apical tree of a pyramidal cell whose file types every dendrite 3 (basal), for
``read_swc(..., detect_apical=True)``.

Rule
----
A *stem* is a dendritic tree leaving the soma: the basal sections attached to the soma (or to a
soma section) that start from the same SWC sample (NEURON's Import3d may split one neurite into
several such sections), with everything attached beyond them. For each stem: its total basal
length and its reach (the largest path distance of its tips). The apical tree is the stem with
the largest total length, if

* its total length is at least :data:`DOMINANCE` times that of every other stem, and
* no other stem reaches farther from the soma.

Then its basal sections become ``"apical"`` (axon or custom sections inside it keep their region)
and every neurite section is renamed ``<region>_<k>`` as the reader names them, so the cell reads
as if the file had typed that tree 4. Nothing is done (and the reason is reported) when the file
already has apical (type 4) samples, has fewer than two dendritic stems, or no stem dominates.
The rule does not check that the cell is a pyramidal cell: ask for it only for one. A second,
small apical stem (a thin dendrite the file would type 4) stays basal.
"""

from __future__ import annotations

from dataclasses import replace

from ...morphology.model import Morphology, Section
from ...places.relabel import relabel

__all__ = ["DOMINANCE", "detect_apical", "renamed_report"]

#: How many times longer (total dendritic length) than any other stem the apical stem must be.
DOMINANCE = 2.0


def detect_apical(sections: list[Section]) -> tuple[list[Section], dict, list[str]]:
    """Sections with the apical tree relabelled (see the module rule), the report dict for
    ``LoadReport.apical``, and notes for the morphology. ``sections`` is the reader's list (the
    soma first, neurites depth first, named ``<region>_<k>``).

    Report: ``detected`` (bool), ``reason`` (str), ``section`` (first apical section's name after
    renaming) and ``swc_id`` (the stem's first sample), ``relabelled_sections``,
    ``relabelled_length_um``, and ``stems``: per stem ``swc_id``, ``sections`` (attached to the
    soma, names as loaded), ``length_um``, ``reach_um``, longest first.
    """
    morph = Morphology(tuple(sections))
    report: dict = {"detected": False, "section": None, "swc_id": None, "relabelled_sections": 0,
                    "relabelled_length_um": 0.0, "stems": []}
    n_apical = sum(1 for s in sections if s.region == "apical")
    if n_apical:
        report["reason"] = (f"the file has apical (type 4) samples ({n_apical} apical sections):"
                            " nothing changed")
        return sections, report, []
    stems = _stems(morph)
    report["stems"] = [{k: v for k, v in stem.items() if k != "tree"} for stem in stems]
    if len(stems) < 2:
        report["reason"] = (f"{len(stems)} dendritic stem(s) leave the soma: an apical tree cannot be"
                            " told from basal ones; nothing changed")
        return sections, report, []
    first, second = stems[0], stems[1]
    farthest = max(stems, key=lambda s: s["reach_um"])
    failed = []
    if first["length_um"] < DOMINANCE * second["length_um"]:
        failed.append(f"has only {first['length_um'] / second['length_um']:.2f}x the dendrite of the"
                      f" next stem (sample {second['swc_id']}, {second['length_um']:.1f} um), not"
                      f" {DOMINANCE:g}x")
    if farthest is not first:
        failed.append(f"does not reach farthest ({first['reach_um']:.1f} um; the stem from sample"
                      f" {farthest['swc_id']} reaches {farthest['reach_um']:.1f} um)")
    if failed:
        report["reason"] = (f"no stem dominates: the longest (sample {first['swc_id']},"
                            f" {first['length_um']:.1f} um of dendrite) {' and '.join(failed)};"
                            " nothing changed")
        return sections, report, []
    moved = [n for n in first["tree"] if morph[n].region == "basal"]
    relabelled = relabel(morph, {"apical": moved})
    renamed = _reader_names(list(relabelled.sections))
    names = {old.name: new.name for old, new in zip(sections, renamed, strict=True)}
    for stem in report["stems"]:
        stem["sections"] = [names[n] for n in stem["sections"]]
    length = sum(morph[n].length for n in moved)
    report.update(
        detected=True, section=names[first["sections"][0]], swc_id=first["swc_id"],
        relabelled_sections=len(moved), relabelled_length_um=float(length),
        reason=(f"no type-4 samples; the dendritic stem from sample {first['swc_id']} has"
                f" {first['length_um']:.1f} um of dendrite, {first['length_um'] / second['length_um']:.1f}x"
                f" the next stem (sample {second['swc_id']}, {second['length_um']:.1f} um), and"
                f" reaches farthest ({first['reach_um']:.1f} um): its {len(moved)} sections"
                f" ({length:.1f} um) are apical"))
    note = (f"apical detected (read_swc detect_apical=True): the tree from SWC sample"
            f" {first['swc_id']}, {len(moved)} sections typed 3 in the file, relabelled apical")
    return renamed, report, [note]


def _stems(morph: Morphology) -> list[dict]:
    """Dendritic stems, longest first (ties: by first sample id)."""
    start = morph.start_distance()
    groups: dict[int, list[str]] = {}
    for sec in morph.sections[1:]:
        if sec.region == "basal" and morph[sec.parent].region == "soma":
            groups.setdefault(_first_sample(sec), []).append(sec.name)
    stems = []
    for sample, roots in groups.items():
        tree = []
        stack = list(reversed(roots))
        while stack:
            name = stack.pop()
            tree.append(name)
            stack.extend(reversed([c.name for c in morph.children(name)]))
        stems.append({
            "swc_id": sample, "sections": roots, "tree": tree,
            "length_um": float(sum(morph[n].length for n in tree if morph[n].region == "basal")),
            "reach_um": float(max(start[n] + morph[n].length for n in tree)),
        })
    return sorted(stems, key=lambda s: (-s["length_um"], s["swc_id"]))


def _first_sample(sec: Section) -> int:
    """The first SWC sample of a section (a neurite wired to its soma sample starts with -1)."""
    return next((i for i in sec.swc_ids or () if i >= 0), -1)


def _reader_names(sections: list[Section]) -> list[Section]:
    """Neurite sections renamed ``<region>_<k>`` in list order, as the reader names them (the
    soma and soma sections keep their names)."""
    counters: dict[str, int] = {}
    names: dict[str, str] = {}
    for sec in sections:
        if sec.region == "soma":
            names[sec.name] = sec.name
            continue
        names[sec.name] = f"{sec.region}_{counters.get(sec.region, 0)}"
        counters[sec.region] = counters.get(sec.region, 0) + 1
    return [replace(sec, name=names[sec.name],
                    parent=None if sec.parent is None else names[sec.parent]) for sec in sections]


def renamed_report(report: dict, names: dict[str, str]) -> dict:
    """``report`` with its section names replaced by ``names`` (old -> new), for a file whose
    ``# SECTION`` lines name the sections."""
    out = dict(report, stems=[dict(stem, sections=[names[n] for n in stem["sections"]])
                              for stem in report["stems"]])
    if out["section"] is not None:
        out["section"] = names[out["section"]]
    return out
