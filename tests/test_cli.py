"""Command line: `cablemodel info` and `cablemodel psp` (exit codes, JSON, numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms

from cablemodel import Cell, add_hillock, read_swc, simulate
from cablemodel.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "morphologies"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/morphologies is absent")


@needs_shared
def test_info_good_file_json(capsys):
    assert main(["info", str(SHARED / "real" / "ca1pyr_rat_c91662.swc"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["soma_convention"] == "three-point"
    assert report["soma_area_um2"] == pytest.approx(988.2, abs=0.1)


@needs_shared
def test_info_invalid_file_one_line_and_exit_2(capsys):
    f = SHARED / "defects" / "ca1pyr_rat_c91662_defect_missing_parent.swc"
    assert main(["info", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"{f}:713:") and "701" in err and "700" in err
    assert main(["info", str(f), "--repair", "--json"]) == 0
    repairs = json.loads(capsys.readouterr().out)["repairs"]
    assert [r["repair"] for r in repairs if r["repair"] == "missing_parent"] == ["missing_parent"]


@needs_shared
@pytest.mark.parametrize("path", sorted((SHARED / "real").glob("*.swc")) if SHARED.is_dir() else [],
                         ids=lambda p: p.name)
def test_real_files_run_5_ms_passive_without_nan(path):
    morph, _ = read_swc(path)
    r = simulate(Cell(add_hillock(morph)), duration=5 * ms, record="all", engine="numpy")
    assert np.all(np.isfinite(r.v_mV))
    assert np.abs(r.v_mV - r.v_rest_mV).max() < 1e-5   # mV: a passive cell at rest stays there


def test_psp_json_signs_and_attenuation(capsys):
    swc = str(ROOT / "morphologies" / "ball_and_stick.swc")
    assert main(["psp", swc, "--site", "basal@100", "--site", "basal@600", "--json",
                 "--passive"]) == 0
    near, far = json.loads(capsys.readouterr().out)
    assert near["local_peak_mV"] > near["soma_peak_mV"] > far["soma_peak_mV"] > 0
    assert near["path_distance_um"] == pytest.approx(100, abs=10)
    assert main(["psp", swc, "--site", "basal@100", "--json", "--receptor", "gaba_a"]) == 0
    (ipsp,) = json.loads(capsys.readouterr().out)
    assert ipsp["local_peak_mV"] < 0 and ipsp["hillock_peak_mV"] < 0
    assert ipsp["half_width_ms"] > near["half_width_ms"]       # GABA_A decays slower than AMPA


def test_psp_bad_site_exit_2(capsys):
    assert main(["psp", "ball_and_stick", "--site", "apical@100"]) == 2
    assert "region 'apical' has no compartments" in capsys.readouterr().err


def _psp(capsys, *options) -> dict:
    """``cablemodel psp`` at dendrite@100 of the shipped ball-and-stick, dt 0.1 ms (signs and
    time courses are the same as at the default 0.025 ms; the metabotropic runs last 600 ms)."""
    swc = str(ROOT / "morphologies" / "ball_and_stick.swc")
    assert main(["psp", swc, "--site", "dendrite@100", "--json", "--dt", "0.1", *options]) == 0
    return json.loads(capsys.readouterr().out)[0]


def test_psp_receptor_kit_signs_and_time_courses(capsys):
    rows = {r: _psp(capsys, "--receptor", r)
            for r in ("ampa", "d1", "nmda", "gaba_a", "glycine", "d2", "gaba_b")}
    for r in ("ampa", "d1", "nmda"):
        assert rows[r]["local_peak_mV"] > 0, r
    for r in ("gaba_a", "glycine", "d2"):
        assert rows[r]["local_peak_mV"] < 0, r
    assert rows["gaba_b"]["time_to_peak_ms"] >= 10 * rows["gaba_a"]["time_to_peak_ms"]
    assert rows["gaba_b"]["half_width_ms"] >= 10 * rows["gaba_a"]["half_width_ms"]


def test_psp_blockers_magnesium_and_chloride(capsys):
    plain = _psp(capsys, "--receptor", "ampa")
    blocked = _psp(capsys, "--receptor", "ampa", "--block", "reuptake")
    assert blocked["half_width_ms"] > 1.3 * plain["half_width_ms"]
    assert _psp(capsys, "--receptor", "nmda", "--mg", "0")["local_peak_mV"] > 5 * _psp(
        capsys, "--receptor", "nmda", "--mg", "1")["local_peak_mV"]
    assert _psp(capsys, "--receptor", "gaba_a", "--cl-in", "30")["local_peak_mV"] > 0


def test_psp_unknown_receptor_lists_choices(capsys):
    with pytest.raises(SystemExit):
        main(["psp", "ball_and_stick", "--site", "soma", "--receptor", "serotonin"])
    err = capsys.readouterr().err
    assert "invalid choice: 'serotonin'" in err and "gaba_b" in err


#: soma and a 200 um dendrite, no axon; with an axon (type 2) too
SWC_NO_AXON = "1 1 0 0 0 8 -1\n2 3 0 8 0 1 1\n3 3 0 208 0 1 2\n"
SWC_AXON = SWC_NO_AXON + "4 2 0 -8 0 0.75 1\n5 2 0 -108 0 0.5 4\n"


def _file_psp(capsys, path: Path, *options) -> tuple[dict, str]:
    assert main(["psp", str(path), "--site", "basal@100", "--json", *options]) == 0
    out = capsys.readouterr()
    (row,) = json.loads(out.out)
    return row, out.err


def _library_cell(path: Path) -> Cell:
    """The cell of ``cablemodel psp --passive`` built from the file with the library, untouched."""
    from brian2 import Hz, cm, ohm, uF

    from cablemodel.morphology.discretize import discretize

    morph, _ = read_swc(path)
    morph, _ = discretize(morph, d_lambda=0.1, frequency=100 * Hz, Ri=100 * ohm * cm, Cm=1 * uF / cm**2)
    return Cell(morph, spike_site="soma")


def test_psp_passive_simulates_the_file_unchanged(capsys, tmp_path):
    from cablemodel.experiments import psp_at_sites
    from cablemodel.mechanisms.receptors import ampa

    f = tmp_path / "no_axon.swc"
    f.write_text(SWC_NO_AXON)
    row, err = _file_psp(capsys, f, "--passive")
    assert err == "" and row["hillock_added"] is None and row["hillock_peak_mV"] is None
    (ref,) = psp_at_sites(_library_cell(f), ["basal@100"], receptor=ampa(), duration=50 * ms)
    assert row["soma_peak_mV"] == pytest.approx(ref["soma_peak_mV"], rel=1e-12)
    assert row["local_peak_mV"] == pytest.approx(ref["local_peak_mV"], rel=1e-12)


def test_psp_add_hillock_says_what_and_where(capsys, tmp_path):
    f = tmp_path / "no_axon.swc"
    f.write_text(SWC_NO_AXON)
    plain, _ = _file_psp(capsys, f, "--passive")
    row, err = _file_psp(capsys, f, "--passive", "--add-hillock")
    (line,) = err.splitlines()
    assert line.startswith(f"cablemodel psp: {f}: added hillock: 15 um") and "at the soma" in line
    assert row["hillock_added"] in line and "--add-hillock" in row["hillock_added"]
    assert row["hillock_peak_mV"] > 0
    assert row["soma_peak_mV"] < plain["soma_peak_mV"]  # the hillock's membrane is a load


def test_psp_active_cell_gets_the_hillock_it_needs_and_says_so(capsys, tmp_path):
    f = tmp_path / "axon.swc"
    f.write_text(SWC_AXON)
    row, err = _file_psp(capsys, f)
    (line,) = err.splitlines()
    assert "hillock from the axon" in line and "spike site" in line
    assert row["hillock_added"] in line and row["hillock_peak_mV"] > 0
    row, err = _file_psp(capsys, ROOT / "morphologies" / "ball_and_stick.swc")  # has a hillock
    assert err == "" and row["hillock_added"] is None


def test_psp_reversal_overrides_the_receptor_exactly(capsys, tmp_path):
    from brian2 import mV

    from cablemodel import Receptor
    from cablemodel.experiments import psp_at_sites

    f = tmp_path / "no_axon.swc"
    f.write_text(SWC_NO_AXON)
    default, _ = _file_psp(capsys, f, "--passive")               # AMPA reverses at -0.28 mV
    e0, _ = _file_psp(capsys, f, "--passive", "--reversal", "0")
    (ref,) = psp_at_sites(_library_cell(f), ["basal@100"], receptor=Receptor(
        "ampa", 0 * mV, 0.2 * ms, 2 * ms), duration=50 * ms)  # an Exp2Syn with e = 0 mV
    assert e0["local_peak_mV"] == pytest.approx(ref["local_peak_mV"], rel=1e-12)
    assert e0["local_peak_mV"] > default["local_peak_mV"]
    at_rest, _ = _file_psp(capsys, f, "--passive", "--reversal", "-65")
    assert abs(at_rest["local_peak_mV"]) < 1e-5   # mV (solver round-off): no driving force at rest
    assert main(["psp", str(f), "--site", "basal@100", "--receptor", "gaba_a", "--reversal", "-70",
                 "--cl-in", "30"]) == 2
    assert "--cl-in" in capsys.readouterr().err


def test_demo_list_names_generators_project_and_shared_files(capsys):
    assert main(["demo", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("ball_and_stick", "y_neuron", "pyramidal"):
        assert f"\n  {name}\n" in out
    for p in sorted((ROOT / "morphologies").glob("*.swc")):
        assert f"  {p}\n" in out
    shared = sorted((SHARED / "real").glob("*.swc")) if SHARED.is_dir() else []
    assert all(f"  {p}\n" in out for p in shared)
    assert ("shared real cells" in out) == bool(shared)
    assert "cablemodel demo PATH/TO/CELL.swc" in out


def test_demo_refuses_a_missing_file_or_two_morphologies_in_one_line(capsys, tmp_path):
    missing = tmp_path / "nope.swc"
    assert main(["demo", str(missing), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(missing) in err and "--list" in err
    assert main(["demo", "ball_and_stick", "--morphology", "pyramidal"]) == 2
    assert "give one" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()          # refused before anything was run or written
