"""Tests of the d_lambda discretization (cablemodel.morphology.discretize) and of read_swc's default:
compartment counts equal NEURON's for every section of the shared CA1 cell (reference JSON made by
benchmarks/neuron_dlambda_reference.py), analytic counts for cylinders, the max_length cap, units."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from brian2 import DimensionMismatchError, Hz, cm, kHz, ms, ohm, uF, um

from cablemodel.io.swc import SWCError, read_swc
from cablemodel.morphology.discretize import (
    DiscretizationReport,
    d_lambda_count,
    discretize,
    lambda_f,
)
from cablemodel.morphology.generate import ball_and_stick
from cablemodel.morphology.model import Morphology, MorphologyError, Section

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"
REFERENCE = Path(__file__).resolve().parent / "data" / "neuron_dlambda_reference.json"
C91662 = "ca1pyr_rat_c91662.swc"


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


def lambda_cylinder_um(d_um: float, f_hz: float = 100.0, ri: float = 100.0, c: float = 1.0) -> float:
    """The textbook AC length constant, written out independently of the module."""
    return 1e5 * math.sqrt(d_um / (4 * math.pi * f_hz * ri * c))


def cell(*sections: Section, soma_d: float = 20.0) -> Morphology:
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, soma_d]]))
    return Morphology((soma, *sections))


def straight(name: str, length: float, d0: float, d1: float | None = None, parent: str = "soma",
             region: str = "basal") -> Section:
    return Section(name, region, parent,
                   np.array([[0.0, 10.0, 0.0, d0], [0.0, 10.0 + length, 0.0, d0 if d1 is None else d1]]))


# -- NEURON's own counts ----------------------------------------------------------------------------
def test_reference_provenance(shared, reference):
    """The JSON was made from this very file, by NEURON, with the rule we implement."""
    data = (shared / "real" / C91662).read_bytes()
    assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == reference["swc_git_blob_sha1"]
    assert int(reference["neuron_version"].split(".")[0]) >= 9
    assert "+ .9)/2)*2 + 1" in reference["rule_hoc"] and "lambda_f($2)" in reference["rule_hoc"]
    assert len(reference["cases"]) == 2


@pytest.mark.parametrize("case", [0, 1])
def test_counts_equal_neuron_for_every_section(shared, reference, case):
    ref = reference["cases"][case]
    p = ref["parameters"]
    morph, _ = read_swc(shared / "real" / C91662, discretization="swc")
    names = [s.name for s in morph.sections[1:]]
    assert names == reference["sections"]
    assert len(names) == 193
    kwargs = dict(frequency=p["frequency_hz"] * Hz, Ri=p["Ri_ohm_cm"] * ohm * cm,
                  Cm=p["Cm_uF_per_cm2"] * uF / cm**2)
    out, report = discretize(morph, d_lambda=p["d_lambda"], **kwargs)
    ours = {s.name: s.n_compartments for s in out.sections[1:]}
    differ = {n: (ours[n], ref["nseg"][n]) for n in names if ours[n] != ref["nseg"][n]}
    assert differ == {}
    assert sum(ours.values()) == ref["total_nseg"]
    assert report.compartments_after == 1 + ref["total_nseg"]
    # lambda_f itself agrees (NEURON keeps 3-D points in single precision: ~1e-7)
    for sec in morph.sections[1:]:
        assert float(lambda_f(sec, **kwargs) / um) == pytest.approx(ref["lambda_f_um"][sec.name],
                                                                    rel=2e-6)
        assert sec.length == pytest.approx(ref["L_um"][sec.name], rel=1e-5)


def test_default_counts_for_the_ca1_cell(shared, reference):
    """read_swc's default is the d_lambda rule at 100 Hz: NEURON's count, 1107 + the soma."""
    morph, report = read_swc(shared / "real" / C91662)
    ref = reference["cases"][0]
    assert ref["parameters"] == {"d_lambda": 0.1, "frequency_hz": 100.0, "Ri_ohm_cm": 100.0,
                                 "Cm_uF_per_cm2": 1.0}
    assert {s.name: s.n_compartments for s in morph.sections[1:]} == ref["nseg"]
    assert report.compartments == morph.n_compartments == 1108
    d = report.discretization
    assert d["method"] == "d_lambda" and d["d_lambda"] == 0.1 and d["frequency_hz"] == 100.0
    assert d["compartments_before"] == 1 + sum(len(s.points) - 1 for s in morph.sections[1:])
    assert d["compartments_after"] == 1108
    assert d["regions"]["soma"] == {"sections": 1, "before": 1, "after": 1}
    assert sum(r["after"] for r in d["regions"].values()) == 1108
    assert json.loads(json.dumps(report.to_dict()))["discretization"] == d
    assert "d_lambda 0.1 at 100 Hz" in report.format()
    assert morph.to_brian2().total_compartments == 1108


# -- analytic counts --------------------------------------------------------------------------------
def test_uniform_cylinder_gives_the_analytic_count():
    lam = lambda_cylinder_um(1.0)  # 282.095 um
    assert lam == pytest.approx(282.0948, abs=1e-4)
    for length, expected in ((10, 1), (50, 3), (100, 5), (500, 19), (1000, 37), (2000, 71)):
        x = length / (0.1 * lam)
        assert expected == int((x + 0.9) / 2) * 2 + 1  # the rule by hand
        m, _ = discretize(cell(straight("d", length, 1.0)))
        assert m["d"].n_compartments == expected, length
        assert d_lambda_count(length * um, lam * um) == expected
    sec = straight("d", 300, 2.0)
    assert float(lambda_f(sec) / um) == pytest.approx(lambda_cylinder_um(2.0), rel=1e-13)
    assert float(lambda_f(sec, frequency=1 * kHz, Ri=200 * ohm * cm, Cm=0.5 * uF / cm**2) / um) == \
        pytest.approx(lambda_cylinder_um(2.0, 1000, 200, 0.5), rel=1e-13)


def test_bent_cylinder_with_many_points_is_the_same_cylinder():
    """lambda_f sums over the 3-D points: a zig-zag of the same length and diameter is equal."""
    t = np.linspace(0, 1, 41)
    zig = np.column_stack([np.where(np.arange(41) % 2, 3.0, 0.0), 10 + 600 * t, 0 * t, np.ones(41)])
    sec = Section("zig", "basal", "soma", zig)
    assert float(lambda_f(sec) / um) == pytest.approx(lambda_cylinder_um(1.0), rel=1e-12)
    x = sec.length / (0.1 * lambda_cylinder_um(1.0))
    assert discretize(cell(sec))[0]["zig"].n_compartments == int((x + 0.9) / 2) * 2 + 1


def test_tapered_and_piecewise_sections():
    """NEURON's integration: a linear piece counts as a cylinder of its mean diameter, and the
    electrotonic lengths of pieces add up."""
    taper = straight("t", 400, 3.0, 1.0)
    assert float(lambda_f(taper) / um) == pytest.approx(lambda_cylinder_um(2.0), rel=1e-13)
    pts = np.array([[0, 10, 0, 4.0], [0, 110, 0, 4.0], [0, 110, 0, 0.5], [0, 410, 0, 0.5]])
    pieces = Section("p", "basal", "soma", pts)  # 100 um of d = 4, a step, 300 um of d = 0.5
    electrotonic = 100 / lambda_cylinder_um(4.0) + 300 / lambda_cylinder_um(0.5)
    assert float(lambda_f(pieces) / um) == pytest.approx(400 / electrotonic, rel=1e-13)
    n = discretize(cell(pieces))[0]["p"].n_compartments
    assert n == int((electrotonic / 0.1 + 0.9) / 2) * 2 + 1 == 17  # x = 16.81
    # the naive formula with the length-weighted mean diameter (1.375 um) would give fewer
    naive = 400 / (0.1 * lambda_cylinder_um(pieces.diameter))
    assert pieces.diameter == pytest.approx(1.375)
    assert int((naive + 0.9) / 2) * 2 + 1 == 13  # x = 12.09


def test_counts_are_odd_and_the_soma_keeps_one(shared):
    for path in sorted((shared / "real").glob("*.swc")):
        morph, report = read_swc(path, discretization="swc")
        out, rep = discretize(morph)
        assert out.soma.n_compartments == 1
        assert all(s.n_compartments % 2 == 1 for s in out.sections), path.name
        for a, b in zip(morph.sections, out.sections, strict=True):  # only the counts change
            assert a.name == b.name and a.region == b.region and a.parent == b.parent
            np.testing.assert_array_equal(a.points, b.points)
            assert a.swc_ids == b.swc_ids
        lams = [float(lambda_f(s) / um) for s in morph.sections[1:]]
        assert rep.lambda_f_min_um == pytest.approx(min(lams), rel=1e-12)
        assert rep.lambda_f_max_um == pytest.approx(max(lams), rel=1e-12)
        assert rep.compartments_before == morph.n_compartments
        assert rep.compartments_after == out.n_compartments
        assert rep.longest_compartment_um == pytest.approx(
            max(s.length / s.n_compartments for s in out.sections[1:]))
        # no compartment is longer than about d_lambda * lambda_f: (x + 0.9) rounds down by < 1.1
        for sec, lam in zip(out.sections[1:], lams, strict=True):
            assert sec.length / sec.n_compartments <= 0.1 * lam * (1 + 1.1 / sec.n_compartments)


def test_max_length_caps_the_compartment_length():
    m = cell(straight("thin", 1000, 1.0), straight("thick", 1000, 8.0), straight("short", 12, 1.0))
    plain, r0 = discretize(m)
    assert [plain[n].n_compartments for n in ("thin", "thick", "short")] == [37, 13, 1]
    capped, r1 = discretize(m, max_length=20 * um)
    # thin: 50 from the cap (-> 51) beats 37; thick: 50 -> 51; short: 12 um -> 1
    assert [capped[n].n_compartments for n in ("thin", "thick", "short")] == [51, 51, 1]
    assert r1.capped_sections == 2 and r0.capped_sections == 0
    assert r1.max_length_um == 20.0 and r1.longest_compartment_um == pytest.approx(1000 / 51)
    loose, _ = discretize(m, max_length=100 * um)  # 10 -> 11 beats 13 only for neither
    assert [loose[n].n_compartments for n in ("thin", "thick", "short")] == [37, 13, 1]
    for cap in (5, 7.5, 33):
        out, _ = discretize(m, max_length=cap * um)
        for sec in out.sections[1:]:
            assert sec.n_compartments % 2 == 1
            assert sec.length / sec.n_compartments <= cap + 1e-9
    exact, _ = discretize(cell(straight("d", 300, 50.0)), max_length=100 * um)
    assert exact["d"].n_compartments == 3  # 300 / 100 = 3 exactly: no extra compartment


def test_higher_frequency_gives_more_compartments(shared):
    m = cell(straight("d", 1000, 1.0))
    counts = [discretize(m, frequency=f * Hz)[0]["d"].n_compartments for f in (10, 100, 1000)]
    # lambda_f ~ 1/sqrt(f): x = 11.2, 35.4, 112.1
    assert counts == [13, 37, 113]
    ca1, _ = read_swc(shared / "real" / C91662, discretization="swc")
    low, r_low = discretize(ca1)
    high, r_high = discretize(ca1, frequency=1 * kHz)
    assert r_high.compartments_after > 2.5 * r_low.compartments_after
    assert all(b.n_compartments >= a.n_compartments
               for a, b in zip(low.sections, high.sections, strict=True))
    assert r_high.lambda_f_max_um == pytest.approx(r_low.lambda_f_max_um / math.sqrt(10), rel=1e-12)


def test_report_and_ball_and_stick():
    out, report = discretize(ball_and_stick())
    assert isinstance(report, DiscretizationReport)
    # dend 1500 x 1 um: x = 53.2 -> 55; axon 200 x 1 um: x = 7.1 -> 7; hillock 30 um, 2 -> 1: 1
    assert [(s.name, s.n_compartments) for s in out.sections] == [
        ("soma", 1), ("hillock", 1), ("axon", 7), ("dend", 55)]
    assert report.regions == {"soma": {"sections": 1, "before": 1, "after": 1},
                              "hillock": {"sections": 1, "before": 3, "after": 1},
                              "axon": {"sections": 1, "before": 21, "after": 7},
                              "basal": {"sections": 1, "before": 151, "after": 55}}
    assert (report.compartments_before, report.compartments_after) == (176, 64)
    d = json.loads(json.dumps(report.to_dict()))
    assert d["method"] == "d_lambda" and d["Ri_ohm_cm"] == 100.0 and d["max_length_um"] is None
    assert d["lambda_f_min_um"] == pytest.approx(lambda_cylinder_um(1.0))
    soma_only, r = discretize(Morphology((ball_and_stick().soma,)))
    assert soma_only.n_compartments == 1 and r.lambda_f_min_um is None
    assert "1 -> 1 compartments" in r.format()


# -- arguments ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, value", [
    ("frequency", 100), ("frequency", 100 * ms), ("Ri", 100 * ohm), ("Cm", 1 * uF),
    ("max_length", 10), ("max_length", 10 * Hz), ("d_lambda", 0.1 * um),
])
def test_bad_units_name_the_parameter(name, value):
    with pytest.raises(DimensionMismatchError, match=name):
        discretize(ball_and_stick(), **{name: value})


@pytest.mark.parametrize("name, value", [
    ("frequency", 0 * Hz), ("Ri", -1 * ohm * cm), ("Cm", 0 * uF / cm**2), ("max_length", 0 * um),
    ("d_lambda", 0), ("d_lambda", float("nan")), ("frequency", float("inf") * Hz),
])
def test_non_positive_values_are_refused(name, value):
    with pytest.raises(MorphologyError, match=name):
        discretize(ball_and_stick(), **{name: value})


def test_lambda_f_checks_units_and_discretize_checks_its_input():
    sec = straight("d", 100, 1.0)
    with pytest.raises(DimensionMismatchError, match="Ri"):
        lambda_f(sec, Ri=100)
    with pytest.raises(TypeError, match="Morphology"):
        discretize([sec])
    with pytest.raises(DimensionMismatchError, match="lambda_length"):
        d_lambda_count(100 * um, 300)


# -- read_swc's discretization keyword ----------------------------------------------------------------
def test_read_swc_discretization_options(shared):
    path = shared / "real" / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc"
    by_segment, r_seg = read_swc(path, discretization="swc")
    assert all(s.n_compartments == len(s.points) - 1 for s in by_segment.sections[1:])
    assert r_seg.discretization["method"] == "swc"
    assert r_seg.discretization["compartments_after"] == by_segment.n_compartments
    legacy_none, _ = read_swc(path, max_compartment_length_um=None)
    assert [s.n_compartments for s in legacy_none.sections] == \
        [s.n_compartments for s in by_segment.sections]

    default, r_def = read_swc(path)
    expected, _ = discretize(by_segment)
    assert [s.n_compartments for s in default.sections] == [s.n_compartments for s in expected.sections]
    assert r_def.discretization["compartments_before"] == by_segment.n_compartments

    ten, r_ten = read_swc(path, discretization=10 * um)
    legacy, r_legacy = read_swc(path, max_compartment_length_um=10)
    assert [s.n_compartments for s in ten.sections] == [s.n_compartments for s in legacy.sections]
    assert r_ten.discretization == r_legacy.discretization
    assert r_ten.discretization["method"] == "max_length"
    assert r_ten.discretization["longest_compartment_um"] <= 10 + 1e-9

    custom, r_custom = read_swc(path, discretization={"frequency": 1 * kHz, "Ri": 200 * ohm * cm})
    want, _ = discretize(by_segment, frequency=1 * kHz, Ri=200 * ohm * cm)
    assert [s.n_compartments for s in custom.sections] == [s.n_compartments for s in want.sections]
    assert custom.n_compartments > default.n_compartments
    assert r_custom.discretization["Ri_ohm_cm"] == 200.0
    assert "compartments: d_lambda 0.1 at 1000 Hz (Ri 200 ohm*cm" in r_custom.format()


def test_read_swc_discretization_errors(tmp_path):
    path = tmp_path / "cell.swc"
    path.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 105 0 1 2\n")
    with pytest.raises(SWCError, match="unknown discretization 'neuron'") as info:
        read_swc(path, discretization="neuron")
    assert info.value.kind == "argument"
    with pytest.raises(SWCError, match="not both"):
        read_swc(path, discretization="swc", max_compartment_length_um=10)
    with pytest.raises(SWCError, match=r"unknown discretization keyword\(s\) \['lambda'\]"):
        read_swc(path, discretization={"lambda": 0.1})
    with pytest.raises(DimensionMismatchError, match="frequency"):
        read_swc(path, discretization={"frequency": 100})
    with pytest.raises(SWCError, match="d_lambda must be > 0"):
        read_swc(path, discretization={"d_lambda": -0.1})
    with pytest.raises(DimensionMismatchError, match="must be a length"):
        read_swc(path, discretization=10)
    with pytest.raises(SWCError, match="must be > 0 um"):
        read_swc(path, discretization=0 * um)
    with pytest.raises(SWCError, match="discretization must be"):
        read_swc(path, discretization=[10])
    # the tiny cell: 100 um of a 2 um dendrite, lambda_f = 398.9 um: x = 2.5 -> 3
    assert read_swc(path)[0]["basal_0"].n_compartments == 3
