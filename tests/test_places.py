"""Regions and places: subtrees, branches at a path distance, relabelling, the apical detector of
the SWC reader, painting on any region or set of sites, and the one compartment label ``#N``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, ms, siemens, um

from cablemodel import (
    Cell,
    HHPotassium,
    HHSodium,
    LocationError,
    Morphology,
    Section,
    SWCError,
    at,
    at_distance,
    ball_and_stick,
    compartment,
    parse_site,
    pyramidal,
    random_sites,
    read_swc,
    region,
    relabel,
    simulate,
    standard_cell,
    subtree,
    swc_sample,
    within,
    write_swc,
    y_neuron,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"
REAL = SHARED / "real"
L5 = REAL / "l5pyr_rat_pfc_acker_antic2008.swc"
DENSITY = siemens / cm**2


def _needs(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"shared test morphology {path} not found (not part of an installed copy)")
    return path


def _typed_3(src: Path, dst: Path) -> Path:
    """A copy of SWC file ``src`` with every type-4 (apical) sample typed 3 (basal)."""
    lines = []
    for line in src.read_bytes().decode("utf-8", "replace").splitlines():
        cols = line.split()
        if cols and not line.lstrip().startswith("#") and len(cols) >= 7 and cols[1] == "4":
            cols[1] = "3"
            line = " ".join(cols)
        lines.append(line)
    dst.write_text("\n".join(lines) + "\n")
    return dst


def _same_sections(a: Morphology, b: Morphology) -> bool:
    """Same sections: names, regions, parents, counts, SWC ids and points (bit for bit)."""
    key = lambda m: [(s.name, s.region, s.parent, s.n_compartments, s.swc_ids, s.origin_distance)  # noqa: E731
                     for s in m.sections]
    return key(a) == key(b) and all(np.array_equal(x.points, y.points)
                                    for x, y in zip(a.sections, b.sections, strict=True))


def _ancestors_reach(table, i: int, root: int) -> bool:
    """Whether the chain of parents from compartment ``i`` reaches ``root`` (``i`` included)."""
    while i >= 0:
        if i == root:
            return True
        i = int(table.parent[i])
    return False


@pytest.fixture(scope="module")
def l5():
    """The shared L5 cell read with the apical detector: (morphology, report)."""
    return read_swc(_needs(L5), detect_apical=True)


# -- subtree ------------------------------------------------------------------------------------
@pytest.mark.parametrize("section", ["trunk0", "trunk2", "oblique1", "basal2", "tuft1", "hillock"])
def test_subtree_of_a_section_is_every_compartment_distal_to_it(section):
    t = pyramidal().compartments()
    root = int(np.flatnonzero(t.section == section)[0])
    expected = np.array([_ancestors_reach(t, i, root) for i in range(len(t))])
    mask = subtree(section).mask(t)
    assert mask.tolist() == expected.tolist()
    assert set(t.section[mask].tolist()) >= {section}


def test_subtree_of_a_site_starts_at_its_compartment(l5):
    t = l5[0].compartments()
    for site in ("apical@300", "#40", "swc:600"):
        root = parse_site(site).resolve(t)
        mask = subtree(site).mask(t)
        expected = [_ancestors_reach(t, i, root) for i in range(len(t))]
        assert mask.tolist() == expected and mask[root]
    assert subtree("soma").mask(t).all()  # the whole cell
    with pytest.raises(LocationError, match=r"no section 'apical'.*'apical@200'"):
        subtree("apical").mask(t)  # a bare name is a section, and 'apical' is a region


# -- at_distance --------------------------------------------------------------------------------
def _branches_crossing(morph: Morphology, reg: str, d: float) -> set[str]:
    """Sections of region ``reg`` that the path distance ``d`` falls in, from the sections'
    geometry alone (start < d <= end; a section starting at d only if its parent is not in the
    region)."""
    start = morph.start_distance()
    out = set()
    for sec in morph.sections[1:]:
        if sec.region != reg:
            continue
        lo, hi = start[sec.name], start[sec.name] + sec.length
        if lo < d <= hi or (d == lo and morph[sec.parent].region != reg):
            out.add(sec.name)
    return out


@pytest.mark.parametrize("d", [10.0, 100.0, 150.0, 250.0, 400.0, 600.0, 700.0, 840.0])
def test_at_distance_gives_one_site_per_branch_crossing_the_distance(d):
    morph = pyramidal()
    t = morph.compartments()
    sites = at_distance("apical", d * um, morph)
    idx = [s.resolve(t) for s in sites]
    assert {str(t.section[i]) for i in idx} == _branches_crossing(morph, "apical", d)
    assert len(set(idx)) == len(idx) == len({s.section for s in sites})
    for i in idx:  # within half a compartment of d
        assert abs(t.distance[i] - d) <= t.length[i] / 2 + 1e-9
    assert idx[0] == at("apical", d * um).resolve(t) == parse_site(f"apical@{d:g}").resolve(t)
    assert idx == sorted(idx)
    assert [parse_site(str(s)).resolve(t) for s in sites] == idx  # labels read back


def test_at_distance_on_a_real_cell_and_at_forks(l5):
    morph = l5[0]
    t = morph.compartments()
    counts = []
    for d in (50.0, 150.0, 300.0, 450.0, 600.0):
        sites = at_distance("apical", d * um, morph)
        idx = [s.resolve(t) for s in sites]
        assert {str(t.section[i]) for i in idx} == _branches_crossing(morph, "apical", d)
        assert all(abs(t.distance[i] - d) <= t.length[i] / 2 + 1e-9 for i in idx)
        counts.append(len(sites))
    assert max(counts) > 5  # a branched tree, not one path
    # exactly at a fork: one site, on the parent (its last compartment)
    y = y_neuron()
    assert [str(s) for s in at_distance("apical", 200 * um, y)] == ["apical@200[trunk]"]
    assert [str(s) for s in at_distance("apical", 200.001 * um, y)] == [
        "apical@200.001[left]", "apical@200.001[right]"]
    # on a Region (a subtree), with a Cell
    cell = Cell(y)
    (site,) = at_distance(subtree("right"), 300 * um, cell)
    assert str(cell.table.section[site.resolve(cell.table)]) == "right"
    with pytest.raises(LocationError, match=r"no branch of region apical reaches 900 um.*0-500"):
        at_distance("apical", 900 * um, y)


def test_at_with_section_labels_are_unique_and_refuse_other_branches():
    t = y_neuron().compartments()
    assert str(at("apical", 300 * um, section="left")) != str(at("apical", 300 * um, section="right"))
    assert parse_site("apical@300[right]") == at("apical", 300 * um, section="right")
    with pytest.raises(LocationError, match=r"section 'axon' has no compartments in region 'apical'"):
        at("apical", 300 * um, section="axon").resolve(t)
    with pytest.raises(LocationError, match=r"outside region 'apical' on section 'left'.*200-500"):
        parse_site("apical@100[left]").resolve(t)
    gap = within(0 * um, 50 * um) | within(300 * um, 400 * um)
    with pytest.raises(LocationError, match="gap"):
        at(gap & region("apical"), 200 * um).resolve(t)


# -- relabel ------------------------------------------------------------------------------------
def test_relabel_changes_only_region_labels_and_says_so(l5):
    morph = read_swc(_needs(L5))[0]  # every dendrite basal
    stem = l5[1].apical["stems"][0]["swc_id"]
    root = next(s.name for s in morph.sections if s.swc_ids and stem in s.swc_ids[:2])
    new = relabel(morph, {"apical": subtree(root)})
    a, b = morph.compartments(), new.compartments()
    for col in ("area", "axial_1", "axial_2", "distance", "start", "end", "length", "diameter",
                "x", "y", "z", "parent", "n_children"):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert a.section.tolist() == b.section.tolist() and a.swc_ids.tolist() == b.swc_ids.tolist()
    changed = a.region != b.region
    assert changed.tolist() == subtree(root).mask(a).tolist()
    assert set(b.region[changed].tolist()) == {"apical"} and set(a.region[changed].tolist()) == {"basal"}
    assert new.notes[:-1] == morph.notes
    assert new.notes[-1].startswith("relabel: 45 section(s), 2838.9 um, basal -> apical: ")
    # the same tree as the detector's, and a cell built on it paints the apical region there
    assert np.array_equal(b.area[b.region == "apical"], l5[0].compartments().area[
        l5[0].compartments().region == "apical"])
    cell = Cell(new, spike_site="soma").paint(HHSodium(), "apical", 0.01 * DENSITY)
    assert np.flatnonzero(cell.densities()["na"]).tolist() == np.flatnonzero(changed).tolist()


def test_relabel_refuses_what_it_cannot_do_whole():
    m = pyramidal()
    t = m.compartments()
    part = within(450 * um, 500 * um) & subtree("trunk3")
    n = int(part.mask(t).sum())
    assert 0 < n < (t.section == "trunk3").sum() == 21
    with pytest.raises(LocationError, match=rf"covers {n} of the 21 compartments of section 'trunk3'"):
        relabel(m, {"tuft": part})
    with pytest.raises(LocationError, match="part of the soma"):
        relabel(m, {"x": subtree("soma")})
    with pytest.raises(LocationError, match="given to both 'a' and 'b'"):
        relabel(m, {"a": subtree("trunk2"), "b": "trunk3"})
    for bad in ("dendrite", "all", "soma", "two words", 3):
        with pytest.raises(LocationError, match="cannot be a region name"):
            relabel(m, {bad: "trunk0"})
    with pytest.raises(LocationError, match="no section 'trunk9'"):
        relabel(m, {"x": "trunk9"})
    same = relabel(m, {"apical": "trunk0"})
    assert _same_sections(same, m) and same.notes[-1].endswith("1 section(s) already apical, unchanged")
    assert len(t) == len(same.compartments())


# -- the apical detector ------------------------------------------------------------------------
def test_detector_finds_the_apical_tree_of_the_shared_l5_cell(l5):
    morph, report = l5
    plain, plain_report = read_swc(L5)
    a = report.apical
    assert a["detected"] and a["swc_id"] == 489 and a["section"] == "apical_0"
    assert "apical" not in plain.compartments().regions and plain_report.apical == {}
    # independent evidence that this is the apical trunk: the thickest stem by far, and the
    # tree whose tips go farthest from the soma in 3-D (the rule uses neither)
    stems = [s for s in morph.sections[1:] if s.parent == "soma" and s.region != "axon"]
    thickest = max(stems, key=lambda s: s.points[0, 3])
    assert thickest.name == "apical_0" and thickest.points[0, 3] > 2 * sorted(
        s.points[0, 3] for s in stems)[-2]
    t = morph.compartments()
    soma = np.array([t.x[0], t.y[0], t.z[0]])
    reach = {r: np.linalg.norm(np.column_stack([t.x, t.y, t.z])[t.region == r] - soma, axis=1).max()
             for r in ("apical", "basal")}
    assert reach["apical"] > 2 * reach["basal"]
    # geometry and totals untouched; the report's regions are the file's type codes
    assert np.array_equal(t.area, plain.compartments().area)
    assert report.total_length_um["apical"] == pytest.approx(a["relabelled_length_um"], rel=1e-12)
    assert report.total_length_um["apical"] + report.total_length_um["basal"] == pytest.approx(
        plain_report.total_length_um["basal"], rel=1e-12)
    assert report.regions == plain_report.regions == {"1": "soma", "2": "axon", "3": "basal"}
    assert json.loads(json.dumps(report.to_dict()))["apical"]["swc_id"] == 489
    assert "apical detection: apical tree found" in report.format()
    assert any("SWC sample 489" in n for n in morph.notes)


@pytest.mark.parametrize("n_basal,trunk", [(3, 600), (4, 300), (5, 450)])
def test_detector_finds_the_apical_tree_of_generated_cells_typed_3(tmp_path, n_basal, trunk):
    cell = pyramidal(n_basal=n_basal, trunk_length=trunk * um)
    path = _typed_3(write_swc(cell, tmp_path / "p.swc"), tmp_path / "p3.swc")
    assert " 4 " not in "".join(ln for ln in path.read_text().splitlines() if not ln.startswith("#"))
    plain = read_swc(path)[0]
    assert "apical" not in plain.compartments().regions
    back, report = read_swc(path, detect_apical=True)
    assert report.apical["detected"] and report.apical["section"] == "trunk0"
    assert [(s.name, s.region) for s in back.sections] == [(s.name, s.region) for s in cell.sections]
    assert np.array_equal(back.compartments().area, cell.compartments().area)


def test_detector_on_real_cells_whose_apical_type_was_removed(tmp_path):
    """The L2/3 cell has one apical stem: with its type-4 samples typed 3, the detector gives
    back the very cell the file describes. The CA1 cell has a second, thin type-4 stem (sample
    944, 0.4 um, 373 um of dendrite): only the main apical tree is found, that one stays basal."""
    l23 = _needs(REAL / "l23pyr_rat_ssctx_C010398B-P2.CNG.swc")
    original = read_swc(l23)[0]
    detected, report = read_swc(_typed_3(l23, tmp_path / "l23.swc"), detect_apical=True)
    assert report.apical["detected"]
    assert [(s.name, s.region, s.swc_ids) for s in detected.sections] == [
        (s.name, s.region, s.swc_ids) for s in original.sections]
    ca1 = REAL / "ca1pyr_rat_c91662.swc"
    original = read_swc(ca1)[0]
    detected, report = read_swc(_typed_3(ca1, tmp_path / "ca1.swc"), detect_apical=True)
    assert report.apical["detected"] and report.apical["swc_id"] == 4
    ids = lambda m, names: {i for n in names for i in m[n].swc_ids[1:]}  # noqa: E731
    tree = original.compartments()
    main = sorted(set(tree.section[subtree("apical_0").mask(tree)].tolist()))
    apical_now = [s.name for s in detected.sections if s.region == "apical"]
    assert ids(detected, apical_now) == ids(original, main)
    thin = sorted(set(tree.section[subtree("apical_129").mask(tree)].tolist()))
    assert all(original[n].region == "apical" for n in thin)
    assert report.apical["stems"][1]["length_um"] > 4 * [s for s in report.apical["stems"]
                                                         if s["swc_id"] == 944][0]["length_um"]


def test_detector_does_nothing_and_says_so(tmp_path):
    ca1 = _needs(REAL / "ca1pyr_rat_c91662.swc")
    cells = {"type 4 present": ca1, "no dominant stem": REAL / "tc_relay_rat_tc200.CNG.swc",
             "one stem": write_swc(ball_and_stick(), tmp_path / "bs.swc"),
             "generated, type 4": write_swc(pyramidal(), tmp_path / "p.swc")}
    reasons = {"type 4 present": "has apical (type 4) samples", "no dominant stem": "no stem dominates",
               "one stem": "1 dendritic stem(s)", "generated, type 4": "has apical (type 4) samples"}
    for what, path in cells.items():
        plain = read_swc(path)[0]
        detected, report = read_swc(path, detect_apical=True)
        assert not report.apical["detected"], what
        assert reasons[what] in report.apical["reason"] and "nothing changed" in report.apical["reason"]
        assert _same_sections(detected, plain) and detected.notes == plain.notes, what
        assert "apical detection: none" in report.format()
    with pytest.raises(SWCError, match="detect_apical must be True or False"):
        read_swc(ca1, detect_apical="yes")


# -- painting anywhere --------------------------------------------------------------------------
def test_painting_on_swc_samples_and_random_sites_puts_density_there_only(l5):
    cell = Cell(l5[0], spike_site="soma")
    t = cell.table
    samples = [swc_sample(i) for i in (489, 600, 900, 1100)]
    cell.paint(HHSodium(), samples, 0.2 * DENSITY)
    expected = sorted({t.swc_compartment[i] for i in (489, 600, 900, 1100)})
    na = cell.densities()["na"]
    assert np.flatnonzero(na).tolist() == expected and set(na[expected]) == {2000.0}  # S/m^2
    sites = random_sites(subtree("apical_0"), 25, seed=7)
    cell.paint(HHPotassium(), sites, 0.03 * DENSITY)
    k = cell.densities()["k"]
    drawn = sorted({s.resolve(t) for s in sites})
    assert np.flatnonzero(k).tolist() == drawn and set(k[drawn]) == {300.0}
    assert set(t.region[drawn]) == {"apical"}
    # one site, a site string, a subtree; a later paint overrides where it overlaps
    one = Cell(l5[0], spike_site="soma").paint(HHSodium(), "apical@300", 0.1 * DENSITY)
    assert np.flatnonzero(one.densities()["na"]).tolist() == [parse_site("apical@300").resolve(t)]
    sub = Cell(l5[0], spike_site="soma").paint(HHSodium(), subtree("apical@300"), 0.1 * DENSITY)
    sub.paint(HHSodium(), swc_sample(600), 0.0 * DENSITY)
    mask = subtree("apical@300").mask(t)
    mask[t.swc_compartment[600]] = False
    assert (sub.densities()["na"] > 0).tolist() == mask.tolist()
    with pytest.raises(LocationError, match="SWC sample 99999 is not in the file"):
        Cell(l5[0], spike_site="soma").paint(HHSodium(), [swc_sample(99999)], 0.1 * DENSITY)


def test_standard_cell_takes_regions_and_sites_as_density_keys():
    morph = pyramidal()
    t = morph.compartments()
    cell = standard_cell(morph, {"hillock": {"na": 1.2, "k": 0.12}, subtree("oblique1"): {"na": 0.02},
                                 "apical@500": {"k": 0.01}})
    na, k = cell.densities()["na"], cell.densities()["k"]
    assert np.flatnonzero(na == 200.0).tolist() == np.flatnonzero(subtree("oblique1").mask(t)).tolist()
    assert np.flatnonzero(k == 100.0).tolist() == [parse_site("apical@500").resolve(t)]
    assert np.flatnonzero(na).tolist() == sorted(np.flatnonzero(t.region == "hillock").tolist()
                                                 + np.flatnonzero(na == 200.0).tolist())
    with pytest.raises(ValueError, match="no compartments there"):
        standard_cell(morph, {region("apical") & within(5000 * um): {"na": 0.1}})
    with pytest.raises(LocationError, match="cannot read site"):
        standard_cell(morph, {"apical@far": {"na": 0.1}})
    with pytest.raises(ValueError, match=r"unknown region 'apicl'.*or a Region or site"):
        standard_cell(morph, {"apicl": {"na": 0.1}})
    with pytest.raises(TypeError, match="a key must be a region name, a Region or a site"):
        standard_cell(morph, {3: {"na": 0.1}})


# -- one label scheme ---------------------------------------------------------------------------
def test_a_compartment_is_labelled_hash_n_everywhere():
    assert str(compartment(50)) == "#50" and parse_site("#50") == compartment(50)
    assert str(parse_site(" #7 ")) == "#7"
    t = ball_and_stick().compartments()
    with pytest.raises(LocationError, match=r"compartment #500 does not exist.*\(#0\.\.#175\)"):
        compartment(500).resolve(t)
    assert str(region([compartment(3), "#9"])) == "sites(#3, #9)"
    cell = Cell(ball_and_stick())
    r = simulate(cell, duration=0.2 * ms, record=[compartment(3), "#9"], engine="numpy")
    assert r.labels[-2:] == ["#3", "#9"]
    everything = simulate(cell, duration=0.2 * ms, record="all", engine="numpy")
    assert everything.labels[3] == "#3" and everything.labels[9] == "#9"
    assert np.array_equal(everything.v("#9"), r.v("#9"))


def test_region_of_text_sites_and_odd_region_names():
    line = np.array([[0, 0, 0, 1], [100, 0, 0, 1]])
    m = Morphology((Section("soma", "soma", None, np.array([[0, 0, 0, 10]])),
                    Section("d", "my region", "soma", line, 5)))
    t = m.compartments()
    assert region("my region").mask(t).tolist() == [False] + [True] * 5  # a name, not a site
    assert region("#2").mask(t).tolist() == [False, False, True, False, False, False]
    assert not region("basal@far").mask(t).any()  # neither a site nor a region of this cell
    assert np.flatnonzero(region("all@50").mask(t)).tolist() == [3]


def test_cli_detect_apical_makes_apical_sites_of_the_l5_file(capsys):
    from cablemodel.cli import main

    path = str(_needs(L5))
    assert main(["psp", path, "--site", "apical@300", "--passive", "--duration", "20"]) == 2
    assert "region 'apical' has no compartments" in capsys.readouterr().err
    assert main(["psp", path, "--site", "apical@300", "--passive", "--duration", "20", "--json",
                 "--detect-apical"]) == 0
    out = capsys.readouterr()
    assert "apical detection: no type-4 samples; the dendritic stem from sample 489" in out.err
    (apical,) = json.loads(out.out)
    assert apical["apical"]["detected"] and apical["apical"]["swc_id"] == 489
    assert apical["path_distance_um"] == pytest.approx(300, abs=20)
    assert apical["local_peak_mV"] > 3 * apical["soma_peak_mV"] > 0  # shrinks on its way to the soma
    assert main(["info", path, "--detect-apical", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["apical"]["section"] == "apical_0"
    assert main(["psp", "pyramidal", "--site", "apical@300", "--detect-apical"]) == 2
    assert "--detect-apical applies to SWC files" in capsys.readouterr().err
