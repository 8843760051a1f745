"""SWC files are attached to the soma as NEURON's Import3d attaches them (the default), so that
geometry and path distances agree with NEURON; the sphere attachment stays available."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cablemodel import read_swc
from cablemodel.io.swc.import3d import neuron_soma

TC200 = "tc_relay_rat_tc200.CNG.swc"


def test_tc200_soma_as_import3d_builds_it(shared):
    """12 scattered soma samples: a one-sample root (a sphere, as Import3d makes it) and six
    soma sections of cable; 13 neurites start at their parent soma sample."""
    morph, report = read_swc(shared / "real" / TC200)
    assert report.attachment == "neuron" and report.soma_convention == "scattered"
    assert report.soma_sections == 6
    soma_secs = [s for s in morph.sections[1:] if s.region == "soma"]
    assert [s.name for s in soma_secs] == [f"soma_{k}" for k in range(1, 7)]
    assert [s.parent for s in soma_secs] == ["soma", "soma_1", "soma_2", "soma_3", "soma", "soma_5"]
    assert morph.soma.points[0, 3] == pytest.approx(2 * 14.43)  # the root sample's sphere
    # NEURON 9.0.2 Import3d: soma 5828.0 um^2, dendrites 22632.5 um^2 (tests/test_import3d.py
    # checks these against NEURON itself when it is installed)
    assert report.soma_area_um2 == pytest.approx(5828.0, abs=0.1)
    assert report.surface_um2["basal"] == pytest.approx(22632.5, abs=0.1)
    pieces = [s for s in morph.sections[1:] if s.region == "basal" and s.swc_ids[0] == -1]
    assert len(pieces) == 13
    # soma_1 hangs from the root's first point: NEURON's distance from the root's middle is r
    assert morph["soma_1"].origin_distance == pytest.approx(14.43)
    sphere, rep_sphere = read_swc(shared / "real" / TC200, attachment="sphere")
    assert [s.region for s in sphere.sections].count("soma") == 1
    assert rep_sphere.soma_area_um2 == pytest.approx(3211.3, abs=0.1)  # the frustums alone


def test_single_and_three_point_somas_are_the_same_either_way(shared):
    for name in ("ca1pyr_rat_c91662.swc", "l5pyr_rat_pfc_acker_antic2008.swc"):
        a, ra = read_swc(shared / "real" / name)
        b, rb = read_swc(shared / "real" / name, attachment="sphere")
        assert ra.surface_um2 == rb.surface_um2
        ta, tb = a.compartments(), b.compartments()
        np.testing.assert_array_equal(ta.distance, tb.distance)
        np.testing.assert_array_equal(ta.area, tb.area)


def test_contour_soma_keeps_its_sphere_but_neurites_start_on_the_outline(shared):
    """The documented divergence: Import3d makes the outline into thin frustums (34.8 um^2);
    cablemodel keeps the outline's area of revolution (969 um^2) but attaches the neurites
    as Import3d does, each with a piece from its outline sample."""
    morph, report = read_swc(shared / "real" / "ca1pyr_rat_c91662_variant_contour_soma.swc")
    assert report.soma_convention == "contour"
    assert report.soma_area_um2 == pytest.approx(968.9, abs=0.1)
    soma_children = [s for s in morph.sections[1:] if s.parent == "soma"]
    assert all(s.swc_ids[0] == -1 for s in soma_children)
    outline = {tuple(np.round(p, 3)) for p in _outline(shared)}
    assert all(tuple(np.round(s.points[0, :3], 3)) in outline for s in soma_children)


def _outline(shared) -> list[np.ndarray]:
    rows = [line.split() for line in (shared / "real" / "ca1pyr_rat_c91662_variant_contour_soma.swc")
            .read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [np.array([float(v) for v in r[2:5]]) for r in rows if r[1] == "1"]


def test_rules_on_small_trees():
    """Chain soma 1-2-3 (root starts it), dendrites on the root, inside, and at the end."""
    xyz = np.array([[0, 0, 0], [0, 4, 0], [0, 8, 0], [5, 0, 0], [9, 0, 0], [5, 4, 0], [9, 4, 0],
                    [0, 13, 0], [0, 20, 0]], dtype=float)
    r = np.array([3, 4, 3, 1, 1, 1, 1, 1, 1.0])
    types = [1, 1, 1, 3, 3, 3, 3, 3, 3]
    parent = np.array([-1, 0, 1, 0, 3, 1, 5, 2, 7])
    s = neuron_soma(list(range(1, 10)), types, xyz, r, parent)
    assert len(s.soma_sections) == 1 and s.root_sphere_area == 0
    assert s.root_area == pytest.approx(np.pi * 7 * math.hypot(4, 1) + np.pi * 7 * math.hypot(4, 1))
    # on the root's first sample: x = 0, joined by a piece; distance = half the root (4 um)
    assert (s.wire[3], s.origin_distance[3]) == (False, pytest.approx(4.0))
    # on the interior sample 2: x = 0.5 and a wire
    assert (s.wire[5], s.origin_distance[5]) == (True, pytest.approx(0.0))
    # on the last sample: x = 1 and a piece
    assert (s.wire[7], s.origin_distance[7]) == (False, pytest.approx(4.0))


def test_attachment_is_checked(tmp_path):
    from cablemodel import SWCError

    p = tmp_path / "c.swc"
    p.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 15 0 1 2\n")
    with pytest.raises(SWCError, match="attachment must be one of"):
        read_swc(p, attachment="surface")


# -- against NEURON itself ----------------------------------------------------------------------
def _import3d(path):
    neuron = pytest.importorskip("neuron")
    h = neuron.h
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))

    class Cell:
        pass

    cell = Cell()
    h.Import3d_GUI(reader, False).instantiate(cell)
    return h, cell


def test_areas_and_distances_equal_neurons(shared):
    """Every shared real file: area per region (NEURON's soma except for the contour soma, the
    documented divergence) and the path distance of every section end agree with NEURON."""
    names = {"soma": "soma", "dend": "basal", "apic": "apical", "axon": "axon"}
    for path in sorted((shared / "real").glob("*.swc")):
        h, cell = _import3d(path)
        try:
            area: dict[str, float] = {}
            ends = {}
            soma0 = list(cell.soma)[0]
            h.distance(0, soma0(0.5))
            for sec in cell.all:
                kind = names[sec.name().split(".")[-1].split("[")[0]]
                area[kind] = area.get(kind, 0.0) + sum(seg.area() for seg in sec)
                n = sec.n3d()
                ends[tuple(np.round([sec.x3d(n - 1), sec.y3d(n - 1), sec.z3d(n - 1)], 2))] = (
                    h.distance(sec(1)))
            morph, report = read_swc(path)
            for kind, value in area.items():
                if kind == "soma" and report.soma_convention == "contour":
                    continue
                assert report.surface_um2[kind] == pytest.approx(value, rel=2e-6), (path.name, kind)
            start = morph.start_distance()
            matched = 0
            for sec in morph.sections[1:]:
                key = tuple(np.round(sec.points[-1, :3], 2))
                if key in ends:
                    matched += 1
                    assert start[sec.name] + sec.length == pytest.approx(ends[key], abs=2e-3), (
                        path.name, sec.name)
            assert matched >= len(morph.sections) - 2
        finally:
            for sec in list(cell.all):
                h.delete_section(sec=sec)
