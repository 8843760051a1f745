"""Tests of the SWC reader (cablemodel.io.swc): real files, defective files, round
trips through write_swc, topological sorting, and property-based corruption tests."""

from __future__ import annotations

import json
import math
import random
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablemodel.io.swc import REPAIRS, LoadReport, SWCError, read_swc, write_swc
from cablemodel.morphology.generate import ball_and_stick, pyramidal, y_neuron
from cablemodel.morphology.model import Morphology, MorphologyError, Section

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"
REGION = {0: "undefined", 1: "soma", 2: "axon", 3: "basal", 4: "apical"}
C91662 = "ca1pyr_rat_c91662.swc"


# -- independent helpers (do not use the reader) ----------------------------------------------------
def samples(path: Path) -> list[dict]:
    """Data lines of a clean SWC file, with their physical line numbers."""
    out = []
    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    for lineno, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        c = s.split()
        out.append({"line": lineno, "id": int(c[0]), "type": int(c[1]),
                    "xyz": np.array([float(v) for v in c[2:5]]), "r": float(c[5]),
                    "parent": int(c[6])})
    return out


def lengths_by_region(rows: list[dict]) -> dict[str, float]:
    """Sum of segment lengths by the distal sample's region; soma children have no segment."""
    by_id = {s["id"]: s for s in rows}
    out: dict[str, float] = {}
    for s in rows:
        p = by_id.get(s["parent"])
        if p is None or s["type"] == 1 or p["type"] == 1:
            continue
        region = REGION[s["type"]]
        out[region] = out.get(region, 0.0) + float(np.linalg.norm(s["xyz"] - p["xyz"]))
    return out


def reference_soma_area(rows: list[dict]) -> float:
    """Soma area the file's own geometry gives: sphere for 1 or 3 samples, else frustums."""
    soma = [s for s in rows if s["type"] == 1]
    if len(soma) in (1, 3):
        return 4 * math.pi * soma[0]["r"] ** 2
    by_id = {s["id"]: s for s in soma}
    area = 0.0
    for s in soma:
        p = by_id.get(s["parent"])
        if p is not None:
            h = np.linalg.norm(s["xyz"] - p["xyz"])
            area += math.pi * (s["r"] + p["r"]) * math.hypot(h, s["r"] - p["r"])
    return area


def line_of(path: Path, sid: int, occurrence: int = 0) -> int:
    return [s["line"] for s in samples(path) if s["id"] == sid][occurrence]


def assert_clean(morph: Morphology, report: LoadReport) -> None:
    """No NaN anywhere, sane numbers, and the report agrees with the morphology."""
    for sec in morph.sections:
        assert np.all(np.isfinite(sec.points)), sec.name
        assert np.all(sec.points[:, 3] > 0), sec.name
    d = report.to_dict()
    json.dumps(d)
    for key in ("soma_area_um2", "soma_diameter_um", "max_path_distance_um"):
        assert math.isfinite(d[key]) and d[key] >= 0
    assert report.soma_area_um2 > 0
    assert math.isclose(morph.soma.points[0, 3], math.sqrt(report.soma_area_um2 / math.pi))
    assert report.sections == len(morph.sections)
    assert report.compartments == morph.n_compartments
    for region, length in report.total_length_um.items():
        assert math.isfinite(length)
        mine = sum(s.length for s in morph.sections if s.region == region)
        assert math.isclose(length, mine, rel_tol=1e-12)
    names = morph.section_names
    for sec in morph.sections[1:]:
        assert names.index(sec.parent) < names.index(sec.name)
        parent = morph[sec.parent]
        if parent.region != "soma":  # a child starts at its parent's last point
            assert sec.swc_ids[0] == parent.swc_ids[-1]
            np.testing.assert_array_equal(sec.points[0, :3], parent.points[-1, :3])


def accounted_ids(morph: Morphology, report: LoadReport) -> set[int]:
    ids = {i for sec in morph.sections for i in sec.swc_ids if i >= 0}
    for r in report.repairs:
        if r["repair"] in ("merged_zero_length", "dropped_lone_point"):
            ids |= set(r["ids"])
    return ids


def write(tmp: Path, text: str, name: str = "cell.swc") -> Path:
    p = tmp / name
    p.write_text(text)
    return p


def swc_text(rows) -> str:
    return "\n".join(" ".join(str(v) for v in row) for row in rows) + "\n"


# -- real files -------------------------------------------------------------------------------------
REAL = {
    C91662: "three-point",
    "dg_granule_rat_mp_ma_40984_gc2.CNG.swc": "single-point",
    "l23pyr_rat_ssctx_C010398B-P2.CNG.swc": "three-point",
    "l5pyr_rat_pfc_acker_antic2008.swc": "single-point",
    "purkinje_mouse_dusart_P43-6.swc": "single-point",
    "tc_relay_rat_tc200.CNG.swc": "scattered",
    "ca1pyr_rat_c91662_variant_contour_soma.swc": "contour",
}


def test_every_real_file_is_listed(shared):
    assert sorted(p.name for p in (shared / "real").glob("*.swc")) == sorted(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_file_loads(shared, name):
    """The file's own geometry: neurites on the soma sphere (attachment="sphere"); the NEURON
    attachment is tested in tests/test_import3d.py."""
    path = shared / "real" / name
    rows = samples(path)
    morph, report = read_swc(path, attachment="sphere")
    assert report.soma_convention == REAL[name]
    reference = 990.0 if REAL[name] == "contour" else reference_soma_area(rows)
    assert report.soma_area_um2 == pytest.approx(reference, rel=0.10)
    assert report.points == len(rows)
    assert report.repairs == []
    assert_clean(morph, report)
    # every sample is in the morphology; lengths per region agree with the file's own segments
    assert accounted_ids(morph, report) == {s["id"] for s in rows}
    expected = lengths_by_region(rows)
    assert report.total_length_um.keys() == expected.keys()
    for region, length in expected.items():
        assert report.total_length_um[region] == pytest.approx(length, rel=1e-9)
    assert report.max_path_distance_um > 100
    # discretization (default: d_lambda 0.1 at 100 Hz): odd counts, the reported total
    assert report.discretization["method"] == "d_lambda"
    for sec in morph.sections[1:]:
        assert sec.n_compartments % 2 == 1
    assert sum(s.n_compartments for s in morph.sections) == report.compartments


def test_exact_soma_areas(shared):
    """The conventions' areas, exactly: 3-point = 4 pi r^2, contour = body of revolution."""
    r = 8.8677
    _, three = read_swc(shared / "real" / C91662)
    assert three.soma_area_um2 == pytest.approx(4 * math.pi * r**2, rel=1e-12)
    _, contour = read_swc(shared / "real" / "ca1pyr_rat_c91662_variant_contour_soma.swc")
    # a regular 16-gon of circumradius r turned about an axis: slightly less than the sphere
    assert 0.95 * 4 * math.pi * r**2 < contour.soma_area_um2 < 4 * math.pi * r**2


def test_contour_variant_is_the_same_cell(shared):
    """On the sphere the neurites are the same; NEURON's attachment adds the pieces from the
    outline samples (tests/test_import3d.py)."""
    m1, r1 = read_swc(shared / "real" / C91662, attachment="sphere")
    m2, r2 = read_swc(shared / "real" / "ca1pyr_rat_c91662_variant_contour_soma.swc",
                      attachment="sphere")
    assert len(m1.sections) == len(m2.sections)
    for region, length in r1.total_length_um.items():
        assert r2.total_length_um[region] == pytest.approx(length, rel=1e-12)
    np.testing.assert_allclose(m2.soma.points[0, :3], [0, 0, 0], atol=1e-9)
    assert m2.soma.swc_ids == tuple(range(1, 18))


def test_soma_children_start_at_their_own_first_sample(shared):
    path = shared / "real" / C91662
    by_id = {s["id"]: s for s in samples(path)}
    morph, _ = read_swc(path)
    soma_kids = morph.children("soma")
    assert len(soma_kids) > 2
    for sec in soma_kids:
        first = by_id[sec.swc_ids[0]]
        assert first["type"] != 1
        np.testing.assert_array_equal(sec.points[0, :3], first["xyz"])
        assert sec.points[0, 3] == pytest.approx(2 * first["r"])
    assert morph.soma.swc_ids == (1, 2, 3)


def test_l5pyr_has_no_apical_region(shared):
    """Every dendrite of this file is typed 3: the reader must not invent an apical region."""
    _, report = read_swc(shared / "real" / "l5pyr_rat_pfc_acker_antic2008.swc")
    assert set(report.total_length_um) == {"axon", "basal"}
    assert report.regions == {"1": "soma", "2": "axon", "3": "basal"}


def test_no_compartment_limit_gives_one_compartment_per_segment(shared):
    morph, report = read_swc(shared / "real" / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc",
                             max_compartment_length_um=None)
    for sec in morph.sections[1:]:
        assert sec.n_compartments == len(sec.points) - 1
    assert report.compartments == 1 + sum(len(s.points) - 1 for s in morph.sections[1:])


def test_brian2_morphology_has_the_same_compartments(shared):
    morph, report = read_swc(shared / "real" / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc")
    assert morph.to_brian2().total_compartments == report.compartments == morph.n_compartments


# -- defective files --------------------------------------------------------------------------------
LOADS = {  # valid data: loads without repair, same cell as the original
    "ca1pyr_rat_c91662_defect_8_columns_tabs.swc": "column",
    "ca1pyr_rat_c91662_defect_forward_parent.swc": "listed before their parent",
    "ca1pyr_rat_c91662_defect_utf8_bom_crlf.swc": "CRLF",
    "ca1pyr_rat_c91662_defect_inexact_3pt_soma.swc": None,
}
# name -> (error kind, offending ids named in the message, id whose line is reported,
#          repair listed with repair=True, its count)
BROKEN = {
    "ca1pyr_rat_c91662_defect_duplicate_id.swc": ("duplicate_id", [601], (601, 1),
                                                  "duplicate_id", 1),
    "ca1pyr_rat_c91662_defect_missing_parent.swc": ("missing_parent", [701], (701, 0),
                                                    "missing_parent", 1),
    "ca1pyr_rat_c91662_defect_negative_radius.swc": ("radius", [101, 105, 201, 203], (101, 0),
                                                     "radius", 8),
    "fly_CT12T2_no_soma.CNG.swc": ("no_soma", [1], (1, 0), "no_soma", 1),
    "pv_interneuron_mouse_allen_485184849_84roots.swc": ("extra_roots", [4595, 4618], (4595, 0),
                                                         "extra_roots", 83),
    "rgc_mouse_20161028_1_zero_radius.swc": ("radius", [1, 2, 3], (1, 0), "radius", 7213),
}
NM_FILE = "fly_t4_flywire_720575940626407426_nm.swc"


def test_every_defect_file_is_listed(shared):
    assert sorted(p.name for p in (shared / "defects").glob("*.swc")) == sorted(
        [*LOADS, *BROKEN, NM_FILE])


@pytest.mark.parametrize("name", sorted(LOADS))
def test_valid_defect_files_load_as_the_original(shared, name):
    original_morph, original = read_swc(shared / "real" / C91662)
    morph, report = read_swc(shared / "defects" / name)
    assert_clean(morph, report)
    assert report.repairs == []
    assert report.soma_convention == "three-point"
    assert report.soma_area_um2 == pytest.approx(original.soma_area_um2, rel=0.01)
    assert report.sections == original.sections
    for region, length in original.total_length_um.items():
        assert report.total_length_um[region] == pytest.approx(length, rel=1e-12)
    if LOADS[name]:
        assert any(LOADS[name] in s for s in report.warnings + report.conventions)


def test_eight_columns_warns(shared):
    _, report = read_swc(shared / "defects" / "ca1pyr_rat_c91662_defect_8_columns_tabs.swc")
    assert any("1510 data lines have more than 7 columns" in w for w in report.warnings)
    assert "tab-separated columns" in report.conventions


def test_bom_file_reports_its_conventions(shared):
    _, report = read_swc(shared / "defects" / "ca1pyr_rat_c91662_defect_utf8_bom_crlf.swc")
    assert any("byte-order mark" in c for c in report.conventions)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_error_then_repair(shared, name):
    kind, named, (line_id, occurrence), repair_name, count = BROKEN[name]
    path = shared / "defects" / name
    with pytest.raises(SWCError) as info:
        read_swc(path)
    err = info.value
    first = str(err).splitlines()[0]
    m = re.match(rf"^{re.escape(str(path))}:(\d+): (.+); (.+)$", first)
    assert m, first
    assert int(m.group(1)) == err.line == line_of(path, line_id, occurrence)
    assert err.kind == kind
    for sid in named:
        assert re.search(rf"\b{sid}\b", m.group(2)), (sid, first)
        assert sid in err.ids
    assert f"repair={{'{kind}'}}" in m.group(3)
    # an unrelated repair does not help
    other = next(r for r in REPAIRS if r != kind)
    with pytest.raises(SWCError):
        read_swc(path, repair={other})
    morph, report = read_swc(path, repair={kind})
    assert_clean(morph, report)
    listed = {r["repair"]: r for r in report.repairs}
    assert listed[repair_name]["count"] == count == len(listed[repair_name]["ids"])
    assert set(named) <= set(listed[repair_name]["ids"])
    morph_all, report_all = read_swc(path, repair=True)
    assert report_all.repairs == report.repairs


def test_duplicate_id_repair_renumbers_second_copy(shared):
    path = shared / "defects" / "ca1pyr_rat_c91662_defect_duplicate_id.swc"
    rows = samples(path)
    morph, report = read_swc(path, repair=["duplicate_id"])
    entry = report.repairs[0]
    new_id = max(s["id"] for s in rows) + 1
    assert f"601 (line {line_of(path, 601, 1)}) -> {new_id}" in entry["detail"]
    (sec,) = [s for s in morph.sections if new_id in s.swc_ids]
    assert sec.swc_ids[-1] == new_id and len(sec.points) == 2  # a one-segment branch
    np.testing.assert_allclose(sec.points[-1, :3], rows[line_of(path, 601, 1) - 14]["xyz"])


def test_missing_parent_repair_attaches_to_nearest_sample(shared):
    path = shared / "defects" / "ca1pyr_rat_c91662_defect_missing_parent.swc"
    rows = samples(path)
    orphan = next(s for s in rows if s["id"] == 701)
    nearest = min((s for s in rows if s["id"] not in _subtree(rows, 701)),
                  key=lambda s: np.linalg.norm(s["xyz"] - orphan["xyz"]))
    gap = float(np.linalg.norm(nearest["xyz"] - orphan["xyz"]))
    morph, report = read_swc(path, repair=True)
    assert f"701 -> {nearest['id']}" in report.repairs[0]["detail"]
    total = sum(report.total_length_um.values())
    assert total == pytest.approx(sum(lengths_by_region(rows).values()) + gap, rel=1e-12)


def _subtree(rows, top):
    kids: dict[int, list[int]] = {}
    for s in rows:
        kids.setdefault(s["parent"], []).append(s["id"])
    out, stack = set(), [top]
    while stack:
        k = stack.pop()
        out.add(k)
        stack.extend(kids.get(k, []))
    return out


def test_negative_radius_repair_uses_nearest_valid_radius(shared):
    path = shared / "defects" / "ca1pyr_rat_c91662_defect_negative_radius.swc"
    by_id = {s["id"]: s for s in samples(path)}
    morph, report = read_swc(path, repair={"radius"})
    assert "5 negative and 3 zero radii" in report.repairs[0]["detail"]
    diam = {i: d for s in morph.sections[1:]
            for i, d in zip(s.swc_ids, s.points[:, 3], strict=True)}
    # 101..105 is a run: each takes the radius of 100 or 106, whichever is nearer along the tree
    valid = {100: by_id[100], 106: by_id[106]}
    for sid in range(101, 106):
        assert by_id[sid]["parent"] == sid - 1
        near = min(valid, key=lambda v: _path(by_id, sid, v))
        assert diam[sid] == pytest.approx(2 * valid[near]["r"])


def _path(by_id, a, b):
    lo, hi = sorted((a, b))
    return sum(np.linalg.norm(by_id[k]["xyz"] - by_id[k - 1]["xyz"]) for k in range(lo + 1, hi + 1))


def test_no_soma_repair_makes_soma_at_root(shared):
    path = shared / "defects" / "fly_CT12T2_no_soma.CNG.swc"
    rows = samples(path)
    morph, report = read_swc(path, repair={"no_soma"})
    assert report.soma_convention == "made-from-root"
    assert morph.soma.points[0, 3] == pytest.approx(2 * 1.11)
    np.testing.assert_allclose(morph.soma.points[0, :3], rows[0]["xyz"])
    # the root stays the first point of its neurites: no length is lost
    assert sum(report.total_length_um.values()) == pytest.approx(
        sum(np.linalg.norm(s["xyz"] - rows[s["parent"] - 1]["xyz"]) for s in rows[1:]), rel=1e-9)
    assert [s.swc_ids[0] for s in morph.children("soma")] == [1, 1]


def test_nanometre_file(shared):
    path = shared / "defects" / NM_FILE
    for repair in (False, True):
        with pytest.raises(SWCError, match=r"scale=0\.001") as info:
            read_swc(path, repair=repair)
        assert info.value.kind == "units"
        assert str(info.value).startswith(f"{path}:{samples(path)[0]['line']}: ")
    with pytest.raises(SWCError) as info:  # in um now, but 29 radii are 0
        read_swc(path, scale=0.001)
    assert info.value.kind == "radius" and len(info.value.ids) == 29
    morph, report = read_swc(path, scale=0.001, repair=True)
    assert_clean(morph, report)
    assert report.scale == 0.001
    assert report.soma_area_um2 == pytest.approx(4 * math.pi * 1.533**2)
    assert {"undefined", "custom5", "custom6"} <= set(report.total_length_um)
    assert sum("not a standard SWC region" in w for w in report.warnings) == 3
    assert [r["repair"] for r in report.repairs] == ["radius"]
    assert report.repairs[0]["count"] == 29
    assert any("1455 samples are listed before their parent" in c for c in report.conventions)
    assert 100 < report.max_path_distance_um < 1000  # a fly neuron, in um


def test_zero_radius_file_merges_zero_length_segments(shared):
    path = shared / "defects" / "rgc_mouse_20161028_1_zero_radius.swc"
    rows = samples(path)
    by_id = {s["id"]: s for s in rows}
    zero = [s["id"] for s in rows if s["parent"] in by_id and by_id[s["parent"]]["type"] != 1
            and np.array_equal(s["xyz"], by_id[s["parent"]]["xyz"])]
    morph, report = read_swc(path, repair=True)
    listed = {r["repair"]: r for r in report.repairs}
    assert sorted(listed["merged_zero_length"]["ids"]) == sorted(zero)
    assert listed["merged_zero_length"]["count"] == len(zero) == 75
    assert "fallback 0.5 um" in listed["radius"]["detail"]
    assert report.soma_area_um2 == pytest.approx(4 * math.pi * 5.0**2)
    assert accounted_ids(morph, report) == set(by_id)
    assert sum(report.total_length_um.values()) == pytest.approx(
        sum(lengths_by_region(rows).values()), rel=1e-9)


def test_extra_roots_attach_every_fragment(shared):
    path = shared / "defects" / "pv_interneuron_mouse_allen_485184849_84roots.swc"
    rows = samples(path)
    roots = [s["id"] for s in rows if s["parent"] == -1]
    morph, report = read_swc(path, repair={"extra_roots"})
    entry = report.repairs[0]
    assert sorted(entry["ids"]) == sorted(roots[1:])
    gap = float(re.search(r"added gap length ([\d.]+) um", entry["detail"]).group(1))
    total = sum(report.total_length_um.values())
    assert total == pytest.approx(sum(lengths_by_region(rows).values()) + gap, rel=1e-3)
    assert accounted_ids(morph, report) == {s["id"] for s in rows}


# -- round trip and sorting -------------------------------------------------------------------------
@pytest.mark.parametrize("make", [ball_and_stick, y_neuron, pyramidal])
def test_round_trip_through_write_swc(tmp_path, make):
    """read_swc(write_swc(cell)) is the same cell: sections, names, compartment counts, and every
    compartment's area, axial resistance and distance to 1e-9 (measured: exact)."""
    original = make()
    path = write_swc(original, tmp_path / "cell.swc")
    morph, report = read_swc(path)
    assert report.soma_convention == "single-point"
    assert report.warnings == [] and report.repairs == []
    assert report.discretization["method"] == "file"
    assert morph.section_names == original.section_names
    assert [s.n_compartments for s in morph.sections] == [s.n_compartments for s in original.sections]
    assert [s.region for s in morph.sections] == [s.region for s in original.sections]
    a, b = original.compartments(), morph.compartments()
    for column in ("area", "axial_1", "axial_2", "distance", "length", "x", "y", "z"):
        np.testing.assert_allclose(getattr(b, column), getattr(a, column), rtol=1e-9, atol=1e-12,
                                   err_msg=column)
    # with d_lambda instead of the file's counts the geometry is still the same cell
    again, rep = read_swc(path, discretization="d_lambda")
    assert rep.discretization["method"] == "d_lambda"
    assert sum(again.compartments().area) == pytest.approx(sum(a.area), rel=1e-12)


@pytest.mark.parametrize("make, site", [(ball_and_stick, "basal@300"), (y_neuron, "apical@350"),
                                        (pyramidal, "apical@500")])
def test_round_trip_gives_the_same_psps(tmp_path, make, site):
    """The same EPSP at the synapse and the soma to 1e-6 mV (passive, numpy engine)."""
    from brian2 import ms, mV, nS

    from cablemodel import AMPA, Cell, Synapse, simulate, spike_times

    original = make()
    morph, _ = read_swc(write_swc(original, tmp_path / "cell.swc"))
    runs = [simulate(Cell(m), [Synapse(AMPA, site, 2 * nS, spike_times([1] * ms))],
                     duration=15 * ms, engine="numpy") for m in (original, morph)]
    for label in (site, "soma"):
        assert abs(float((runs[0].peak(label) - runs[1].peak(label)) / mV)) < 1e-6
    np.testing.assert_allclose(runs[1].v_mV, runs[0].v_mV, rtol=0, atol=1e-6)


def test_diameter_step_at_a_branch_point_survives(tmp_path):
    """y_neuron's daughters obey Rall's 3/2 rule: 2 um trunk, 1.26 um daughters from the branch
    point on (issue 7: the file used to make them taper 2.0 -> 1.26 um)."""
    morph, report = read_swc(write_swc(y_neuron(), tmp_path / "y.swc"))
    for name in ("left", "right"):
        np.testing.assert_allclose(morph[name].points[:, 3], 2 / 2 ** (2 / 3), rtol=1e-15)
        assert morph[name].swc_ids[0] != morph["trunk"].swc_ids[-1]  # its own step sample
    assert "merged_zero_length" not in {r["repair"] for r in report.repairs}


def test_write_refuses_what_swc_cannot_hold(shared, tmp_path):
    morph, _ = read_swc(shared / "real" / "tc_relay_rat_tc200.CNG.swc")
    with pytest.raises(MorphologyError, match="soma section"):
        write_swc(morph, tmp_path / "tc.swc")
    sphere, _ = read_swc(shared / "real" / "tc_relay_rat_tc200.CNG.swc", attachment="sphere")
    write_swc(sphere, tmp_path / "tc.swc")


def test_round_trip_keeps_custom_regions(tmp_path):
    soma = Section("soma", "soma", None, np.array([[0.0, 0, 0, 10]]))
    spine = Section("neck", "spine", "soma", np.array([[0.0, 5, 0, 1], [0, 6, 0, 0.5]]))
    path = write_swc(Morphology((soma, spine)), tmp_path / "spine.swc")
    morph, report = read_swc(path)
    assert [s.region for s in morph.sections] == ["soma", "spine"]
    assert report.regions == {"1": "soma", "12": "spine"}
    assert report.warnings == []


def test_shuffled_file_gives_the_same_morphology(shared, tmp_path):
    path = shared / "real" / "l23pyr_rat_ssctx_C010398B-P2.CNG.swc"
    lines = path.read_text().splitlines()
    header = [x for x in lines if x.lstrip().startswith("#")]
    data = [x for x in lines if x.strip() and not x.lstrip().startswith("#")]
    random.Random(1).shuffle(data)
    shuffled = write(tmp_path, "\n".join(header + data) + "\n", "shuffled.swc")
    m1, r1 = read_swc(path)
    m2, r2 = read_swc(shuffled)
    assert any("listed before their parent" in c for c in r2.conventions)
    assert r2.sections == r1.sections and r2.compartments == r1.compartments
    assert r2.soma_area_um2 == r1.soma_area_um2
    assert r2.total_length_um == pytest.approx(r1.total_length_um, rel=1e-12)
    # children are ordered by id, so even the names and points agree
    assert m2.section_names == m1.section_names
    for a, b in zip(m1.sections, m2.sections, strict=True):
        np.testing.assert_array_equal(a.points, b.points)


# -- conventions on small hand-made files -----------------------------------------------------------
def test_parsing_is_robust(tmp_path):
    raw = (b"\xef\xbb\xbf# caf\xc3\xa9 \xff\xfe bad bytes\r\n\r\n"
           b"  1\t1 0 0 0 5 -1   # inline comment\r\n"
           b"\t2 3 0 5 0 1 1\r\n"
           b"3 3.0 0 15 0 1 2 extra\r\n")
    path = tmp_path / "messy.swc"
    path.write_bytes(raw)
    morph, report = read_swc(path)
    assert report.points == 3
    assert report.total_length_um == {"basal": pytest.approx(10.0)}
    assert "CRLF line ends" in report.conventions
    assert "tab-separated columns" in report.conventions
    assert any("byte-order mark" in c for c in report.conventions)
    assert any("not valid UTF-8" in w for w in report.warnings)
    assert any("1 data lines have more than 7 columns (first at line 5)" in w
               for w in report.warnings)


def test_sparse_zero_based_ids_and_types(tmp_path):
    text = ("# REGION 12 spine\n"
            "0 1 0 0 0 5 -1\n10 3 0 5 0 1 0\n20 3 0 15 0 1 10\n"
            "30 0 0 25 0 1 20\n40 7 0 35 0 1 30\n50 12 0 45 0 1 40\n")
    morph, report = read_swc(write(tmp_path, text))
    assert [s.region for s in morph.sections] == ["soma", "basal", "undefined", "custom7", "spine"]
    assert [s.name for s in morph.sections[1:]] == ["basal_0", "undefined_0", "custom7_0",
                                                    "spine_0"]
    assert morph["custom7_0"].swc_ids == (30, 40)
    assert "ids start at 0" in report.conventions
    warned = " ".join(report.warnings)
    assert "'undefined'" in warned and "'custom7'" in warned and "spine" not in warned


def test_sections_split_at_branches(tmp_path):
    text = swc_text([(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 1), (3, 3, 0, 15, 0, 1, 2),
                     (4, 3, 10, 25, 0, 0.5, 3), (5, 3, -10, 25, 0, 0.5, 3),
                     (6, 3, -10, 35, 0, 0.5, 5)])
    morph, _ = read_swc(write(tmp_path, text))
    assert morph.section_names == ["soma", "basal_0", "basal_1", "basal_2"]
    assert [s.swc_ids for s in morph.sections[1:]] == [(2, 3), (3, 4), (3, 5, 6)]
    assert [s.parent for s in morph.sections[1:]] == ["soma", "basal_0", "basal_0"]
    assert morph["basal_1"].points[0, 3] == 2.0  # starts with the parent's sample and radius


def test_soma_child_that_branches_at_once(tmp_path):
    """A neurite whose first sample branches: both branches start at it and attach to the soma."""
    text = swc_text([(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 1),
                     (3, 3, 5, 10, 0, 1, 2), (4, 3, -5, 10, 0, 1, 2)])
    morph, report = read_swc(write(tmp_path, text), attachment="sphere")
    assert [(s.parent, s.swc_ids) for s in morph.sections[1:]] == [("soma", (2, 3)),
                                                                   ("soma", (2, 4))]
    assert report.total_length_um["basal"] == pytest.approx(2 * math.hypot(5, 5))
    # NEURON's Import3d makes sample 2 a one-sample section, so it is joined to the soma centre
    # by a real piece (no wire), and the branches attach at its end
    morph, report = read_swc(write(tmp_path, text))
    assert [(s.parent, s.swc_ids) for s in morph.sections[1:]] == [
        ("soma", (-1, 2)), ("basal_0", (2, 3)), ("basal_0", (2, 4))]
    np.testing.assert_allclose(morph["basal_0"].points, [[0, 0, 0, 2], [0, 5, 0, 2]])
    assert report.total_length_um["basal"] == pytest.approx(5 + 2 * math.hypot(5, 5))


def test_three_point_tolerance(tmp_path):
    def soma(dy, r2):
        return swc_text([(1, 1, 0, 0, 0, 10, -1), (2, 1, 0, dy, 0, r2, 1),
                         (3, 1, 0, -10, 0, 10, 1), (4, 3, 0, 20, 0, 1, 2), (5, 3, 0, 30, 0, 1, 4)])
    _, ok = read_swc(write(tmp_path, soma(10.4, 10.4)))
    assert ok.soma_convention == "three-point"
    assert ok.soma_area_um2 == pytest.approx(4 * math.pi * 100)
    _, off = read_swc(write(tmp_path, soma(12.0, 10.0)))  # offset 2 um > tolerance 0.5 um
    assert off.soma_convention == "multi-point"
    frustums = 2 * math.pi * 10 * 10 + 2 * math.pi * 10 * 12
    assert off.soma_area_um2 == pytest.approx(frustums)


def test_three_point_absolute_tolerance_for_small_somata(tmp_path):
    """For r = 2 um, 5 % is 0.1 um: the 0.5 um floor decides."""
    def soma(dy):
        return swc_text([(1, 1, 0, 0, 0, 2, -1), (2, 1, 0, dy, 0, 2, 1), (3, 1, 0, -2, 0, 2, 1),
                         (4, 3, 0, 5, 0, 1, 2), (5, 3, 0, 15, 0, 1, 4)])
    assert read_swc(write(tmp_path, soma(2.45)))[1].soma_convention == "three-point"
    assert read_swc(write(tmp_path, soma(2.55)))[1].soma_convention == "multi-point"


def test_multi_point_soma(tmp_path):
    rows = [(1, 1, 0, 0, 0, 3, -1), (2, 1, 4, 0, 0, 6, 1), (3, 1, 8, 0, 0, 6, 2),
            (4, 1, 12, 0, 0, 3, 3), (5, 3, 16, 0, 0, 1, 4), (6, 3, 26, 0, 0, 1, 5)]
    morph, report = read_swc(write(tmp_path, swc_text(rows)))
    assert report.soma_convention == "multi-point"
    expect = 2 * math.pi * 9 * math.hypot(4, 3) + 2 * math.pi * 6 * 4
    assert report.soma_area_um2 == pytest.approx(expect)
    np.testing.assert_allclose(morph.soma.points[0, :3], [6, 0, 0], atol=1e-9)
    assert morph.soma.swc_ids == (1, 2, 3, 4)


def test_contour_soma_of_an_ellipse_is_a_prolate_spheroid(tmp_path):
    a, b, n = 12.0, 6.0, 64
    t = np.linspace(0, 2 * np.pi, n + 1)
    rows = [(k + 1, 1, round(a * math.cos(v), 6), round(b * math.sin(v), 6), 3.0, 0.1,
             k if k else -1) for k, v in enumerate(t)]
    rows += [(n + 2, 3, 0, 7, 3, 1, 1), (n + 3, 3, 0, 20, 3, 1, n + 2)]
    morph, report = read_swc(write(tmp_path, swc_text(rows)))
    assert report.soma_convention == "contour"
    e = math.sqrt(1 - b**2 / a**2)
    spheroid = 2 * math.pi * b**2 * (1 + a / (b * e) * math.asin(e))
    assert report.soma_area_um2 == pytest.approx(spheroid, rel=0.01)
    np.testing.assert_allclose(morph.soma.points[0, :3], [0, 0, 3], atol=1e-6)


def test_zero_length_and_lone_points_are_reported(tmp_path):
    rows = [(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 1), (3, 3, 0, 5, 0, 2, 2),
            (4, 3, 0, 15, 0, 1, 3), (5, 2, 0, -6, 0, 1, 1)]
    morph, report = read_swc(write(tmp_path, swc_text(rows)), attachment="sphere")
    listed = {r["repair"]: r for r in report.repairs}
    assert listed["merged_zero_length"]["ids"] == [3]
    assert listed["dropped_lone_point"]["ids"] == [5]
    assert morph.section_names == ["soma", "basal_0"]
    assert morph["basal_0"].swc_ids == (2, 4)
    assert accounted_ids(morph, report) == {1, 2, 3, 4, 5}
    # Import3d keeps the lone axon sample, joined to the soma centre by a piece
    morph, report = read_swc(write(tmp_path, swc_text(rows)))
    assert morph.section_names == ["soma", "basal_0", "axon_0"]
    assert morph["axon_0"].swc_ids == (-1, 5)
    assert "dropped_lone_point" not in {r["repair"] for r in report.repairs}


def test_root_that_is_not_the_soma_is_rerooted(tmp_path):
    rows = [(1, 3, 0, 30, 0, 1, -1), (2, 3, 0, 20, 0, 1, 1), (3, 1, 0, 0, 0, 5, 2),
            (4, 2, 0, -10, 0, 1, 3), (5, 2, 0, -30, 0, 1, 4)]
    morph, report = read_swc(write(tmp_path, swc_text(rows)), attachment="sphere")
    assert any("re-rooted" in w for w in report.warnings)
    assert morph.soma.swc_ids == (3,)
    assert report.total_length_um == {"basal": pytest.approx(10.0), "axon": pytest.approx(20.0)}


def test_extra_root_and_missing_parent_attach_to_nearest(tmp_path):
    rows = [(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 1), (3, 3, 0, 50, 0, 1, 2),
            (10, 3, 3, 49, 0, 1, -1), (11, 3, 3, 60, 0, 1, 10),
            (20, 3, 0, 6, 1, 1, 99), (21, 3, 0, 6, 20, 1, 20)]
    path = write(tmp_path, swc_text(rows))
    with pytest.raises(SWCError) as info:
        read_swc(path)
    assert [p["kind"] for p in info.value.problems] == ["missing_parent", "extra_roots"]
    assert re.search(r":6: sample\(s\) 20 name parent\(s\) 99", str(info.value))
    morph, report = read_swc(path, repair=True, attachment="sphere")
    listed = {r["repair"]: r for r in report.repairs}
    assert "10 -> 3 (3.16 um)" in listed["extra_roots"]["detail"]
    assert "20 -> 2 (1.41 um)" in listed["missing_parent"]["detail"]
    assert report.total_length_um["basal"] == pytest.approx(45 + math.sqrt(10) + 11 + math.sqrt(2) + 19)


def test_pieces_are_attached_closest_first(tmp_path):
    """B is far from the main tree but 2 um from A's tip: A goes first, then B onto A."""
    rows = [(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 1), (3, 3, 0, 50, 0, 1, 2),
            (20, 2, 0, 102, 0, 1, -1), (21, 2, 0, 130, 0, 1, 20),
            (10, 2, 0, 60, 0, 1, -1), (11, 2, 0, 100, 0, 1, 10)]
    _, report = read_swc(write(tmp_path, swc_text(rows)), repair={"extra_roots"})
    detail = report.repairs[0]["detail"]
    assert detail.endswith("10 -> 3 (10 um), 20 -> 11 (2 um)")
    assert report.total_length_um["axon"] == pytest.approx(10 + 40 + 2 + 28)


def test_radius_repair_takes_nearest_along_the_tree(tmp_path):
    rows = [(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 1), (3, 3, 0, 6, 0, 0, 2),
            (4, 3, 0, 11, 0, 2, 3), (5, 3, 0, 30, 0, -1, 4), (6, 1, 0, -5, 0, 0, 1)]
    morph, report = read_swc(write(tmp_path, swc_text(rows)), repair={"radius"},
                             attachment="sphere")
    d = dict(zip(morph["basal_0"].swc_ids, morph["basal_0"].points[:, 3], strict=True))
    assert d == {2: 2.0, 3: 2.0, 4: 4.0, 5: 4.0}
    assert report.repairs[0]["ids"] == [3, 5, 6]  # the soma sample takes the soma's radius
    assert report.soma_convention == "scattered"
    assert report.soma_area_um2 == pytest.approx(2 * math.pi * 5 * 5)
    # Import3d: the root sample starts no soma chain (its next sample is a dendrite), so it is a
    # sphere of its own, added to the frustum 1 -> 6
    _, report = read_swc(write(tmp_path, swc_text(rows)), repair={"radius"})
    assert report.soma_area_um2 == pytest.approx(2 * math.pi * 5 * 5 + math.pi * 10**2)


def test_errors_always_raised(tmp_path):
    cases = {
        "cycles": [(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 3), (3, 3, 0, 9, 0, 1, 2)],
        "detached_soma": [(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 9, 0, 1, 1), (3, 1, 0, 19, 0, 5, 2)],
    }
    for kind, rows in cases.items():
        path = write(tmp_path, swc_text(rows), f"{kind}.swc")
        with pytest.raises(SWCError) as info:
            read_swc(path, repair=True)
        assert info.value.kind == kind
    assert info.value.ids == [3] and info.value.line == 3
    self_parent = write(tmp_path, swc_text([(1, 1, 0, 0, 0, 5, -1), (2, 3, 0, 5, 0, 1, 2)]))
    with pytest.raises(SWCError, match=r"cell\.swc:2: samples 2 form a cycle"):
        read_swc(self_parent, repair=True)


@pytest.mark.parametrize("line, why", [
    ("hello world", "2 columns"),
    ("2 3 0 5 0 1", "6 columns"),
    ("2 3 0 nan 0 1 1", "not a finite number"),
    ("2.5 3 0 5 0 1 1", "not an integer"),
    ("-2 3 0 5 0 1 1", "negative"),
])
def test_unreadable_lines(tmp_path, line, why):
    path = write(tmp_path, f"1 1 0 0 0 5 -1\n{line}\n3 3 0 9 0 1 1\n")
    with pytest.raises(SWCError, match=rf"cell\.swc:2: .*{why}") as info:
        read_swc(path, repair=True)
    assert info.value.kind == "parse"


def test_bad_arguments_and_missing_file(tmp_path):
    path = write(tmp_path, "1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 9 0 1 2\n")
    with pytest.raises(SWCError, match="unknown repair"):
        read_swc(path, repair={"radius", "everything"})
    with pytest.raises(SWCError, match="scale"):
        read_swc(path, scale=-1)
    with pytest.raises(SWCError, match="max_compartment_length_um"):
        read_swc(path, max_compartment_length_um=0)
    with pytest.raises(SWCError, match="cannot read the file") as info:
        read_swc(tmp_path / "absent.swc")
    assert isinstance(info.value, MorphologyError)
    with pytest.raises(SWCError, match="no samples"):
        read_swc(write(tmp_path, "# only a comment\n\n", "empty.swc"))
    assert read_swc(path, repair="radius")[1].repairs == []  # a single name is accepted


def test_nanometre_heuristic_and_scale(tmp_path):
    rows = [(1, 1, 0, 0, 0, 5000, -1), (2, 3, 0, 5000, 0, 1000, 1), (3, 3, 0, 305000, 0, 800, 2)]
    path = write(tmp_path, swc_text(rows))
    with pytest.raises(SWCError, match=r"cell\.swc:1: coordinates look like nanometres"):
        read_swc(path)
    morph, report = read_swc(path, scale=0.001)
    assert report.total_length_um == {"basal": pytest.approx(300.0)}
    assert report.soma_area_um2 == pytest.approx(4 * math.pi * 25)
    assert morph["basal_0"].points[-1, 3] == pytest.approx(1.6)


def test_report_formats(shared):
    _, report = read_swc(shared / "real" / C91662)
    text = report.format()
    assert "soma: three-point, area 988.2 um^2" in text
    assert "repairs: none" in text
    assert len(text.splitlines()) >= 8
    d = json.loads(json.dumps(report.to_dict()))
    assert d["points"] == 1510 and d["soma_convention"] == "three-point"
    assert set(d) >= {"file", "points", "sections", "compartments", "soma_convention",
                      "soma_area_um2", "total_length_um", "surface_um2", "max_path_distance_um",
                      "conventions", "warnings", "repairs"}
    assert d["surface_um2"]["soma"] == pytest.approx(d["soma_area_um2"])


# -- property-based tests ---------------------------------------------------------------------------
@st.composite
def trees(draw):
    """A random valid tree: rows (id, type, x, y, z, r, parent) with sparse ids, in random order."""
    n = draw(st.integers(2, 30))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    rows = [(ids[0], 1, 0.0, 0.0, 0.0, draw(st.floats(2, 10)), -1)]
    pos = {ids[0]: np.zeros(3)}
    for k in range(1, n):
        parent = ids[draw(st.integers(0, k - 1))]
        step = np.array(draw(st.tuples(*[st.floats(-20, 20)] * 3)))
        if np.linalg.norm(step) < 0.5:
            step = np.array([0.0, 1.0, 0.0])
        pos[ids[k]] = np.round(pos[parent] + step, 4)
        rows.append((ids[k], draw(st.sampled_from([2, 3, 4, 7])), *pos[ids[k]].tolist(),
                     draw(st.floats(0.1, 3)), parent))
    order = draw(st.permutations(range(n)))
    return [rows[k] for k in order]


def _load_or_error(text: str, **kwargs):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.swc"
        path.write_text(text)
        try:
            return read_swc(path, **kwargs)
        except SWCError as err:
            assert str(err).startswith(str(path))
            return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_random_valid_trees_load(rows):
    assert _load_or_error(swc_text(rows)) is not None  # NEURON's attachment
    result = _load_or_error(swc_text(rows), attachment="sphere")
    assert result is not None
    morph, report = result
    assert report.points == len(rows)
    assert_clean(morph, report)
    assert accounted_ids(morph, report) == {row[0] for row in rows}
    by_id = {row[0]: row for row in rows}
    want = 0.0
    for row in rows:
        parent = by_id.get(row[6])
        if parent is not None and parent[1] != 1:
            want += math.dist(row[2:5], parent[2:5])
    assert sum(report.total_length_um.values()) == pytest.approx(want, rel=1e-9, abs=1e-9)


corruption = st.tuples(st.sampled_from(["delete", "duplicate", "radius0", "radius-",
                                         "missing", "self", "garbage"]),
                       st.integers(0, 1000),
                       st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.lists(corruption, min_size=1, max_size=3))
def test_random_corruptions_never_crash(rows, corruptions):
    lines = [" ".join(str(v) for v in row) for row in rows]
    for what, where, junk in corruptions:
        k = where % len(lines)
        cols = lines[k].split()
        if what == "delete" and len(lines) > 1:
            del lines[k]
        elif what == "duplicate":
            lines.insert(where % (len(lines) + 1), lines[k])
        elif what in ("radius0", "radius-") and len(cols) == 7:
            cols[5] = "0" if what == "radius0" else "-1.5"
            lines[k] = " ".join(cols)
        elif what == "missing" and len(cols) == 7:
            cols[6] = "99999"
            lines[k] = " ".join(cols)
        elif what == "self" and len(cols) == 7:
            cols[6] = cols[0]
            lines[k] = " ".join(cols)
        elif what == "garbage":
            lines.insert(k, junk.replace("\n", " ").replace("\r", " ") or "x")
    text = "\n".join(lines) + "\n"
    for repair in (False, True):
        result = _load_or_error(text, repair=repair)
        if result is not None:
            assert_clean(*result)
