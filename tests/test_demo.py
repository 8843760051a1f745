"""The main job: `cablemodel demo FILE.swc` writes PNG and SVG figures and a summary whose
numbers are physics and whose sentences follow from them. The file is the project's own
morphologies/ball_and_stick.swc, which reads back into the default generated cell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cablemodel import ball_and_stick, standard_cell
from cablemodel.cli import main
from cablemodel.demo import FIGURES, summary_sentences

SWC = Path(__file__).resolve().parents[1] / "morphologies" / "ball_and_stick.swc"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", str(SWC), "--out", str(out), "--quick"]) == 0
    return out, json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def summary(run):
    return run[1]


def test_figures_as_png_and_svg(run):
    out, _ = run
    for name in FIGURES:
        png, svg = (out / f"{name}.png").read_bytes(), (out / f"{name}.svg").read_text()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
        assert "<svg" in svg[:2000] and svg.count("<path") > 20


def test_the_file_is_the_default_cell(summary):
    assert summary["morphology"] == "ball_and_stick" and summary["notes"] == []
    assert summary["compartments"] == len(standard_cell(ball_and_stick()).table)
    assert summary["dendrite_region"] == "basal" and summary["longest_path_um"] == 1500


def test_summary_lambdas(summary):
    theory = summary["lambda_theory_um"]
    assert theory == pytest.approx(np.sqrt(1e-4 / 4 * (1 / 3e-4) / 100) * 1e4, rel=1e-9)
    assert summary["lambda_fit_steady_um"] == pytest.approx(theory, rel=0.02)
    assert summary["lambda_fit_epsp_um"] < 0.9 * summary["lambda_fit_steady_um"]


def test_summary_attenuation(summary):
    rows = summary["attenuation"]
    assert len(rows) >= 6
    hill = [r["hillock_peak_mV"] for r in rows]
    assert all(a > b > 0 for a, b in zip(hill, hill[1:], strict=False))
    assert all(r["local_peak_mV"] > r["hillock_peak_mV"] for r in rows)


def test_summary_summation_and_inhibition(summary):
    assert 1 < summary["spatial_n_to_fire"] <= 40
    assert summary["temporal_max_interval_ms"] is not None
    assert summary["temporal_fires"][0] is True and summary["temporal_fires"][-1] is False
    assert summary["fires_without_ipsp"] is True
    assert summary["fires_with_ipsp"] is False
    assert summary["first_spike_site"] == "hillock"
    assert summary["run_seconds"] > 0


def test_hh_undershoot_after_the_hillock_epsp(summary):
    # measured 0.80 mV below rest, 9 ms after the 2.7 mV EPSP of the synapse at 25 um (HH
    # resonance: |Z| at the hillock peaks near 70 Hz); a passive cell has none
    assert 0.3 < summary["undershoot_mV"] < 0.5 * summary["attenuation"][0]["hillock_peak_mV"]
    assert 10 < summary["undershoot_time_ms"] < 25


def test_sentences_follow_from_the_numbers(summary):
    s = summary["sentences"]
    assert s == summary_sentences(summary)
    n = summary["spatial_n_to_fire"]
    assert s[3].startswith(f"{n} simultaneous 1 nS EPSPs over 50-300 um fire the hillock;"
                           f" {n - 1} do not")
    shorter = 1 - summary["lambda_fit_epsp_um"] / summary["lambda_fit_steady_um"]
    assert f"{shorter:.0%} shorter than the steady-state" in s[1]
    assert f"{summary['temporal_max_interval_ms']:g} ms" in s[4]
    assert "no longer fires" in s[5] and s[6] == "the first site to cross threshold is the hillock"
    sh = summary["shunting"]
    assert s[7].startswith("a shunt (reversal -65 mV) is invisible alone")
    assert s[8] == (f"the shunt removes {sh['veto_on_path']:.0%} of the {sh['epsp_mV']:.2g} mV EPSP from"
                    " basal@300[dend] on its path (basal@100[dend]),"
                    f" {sh['veto_off_path']:.0%} off it (basal@500[dend])")
    assert sh["veto_on_path"] > 0.5 > 0.2 > sh["veto_off_path"]
    # the opposite numbers give the opposite words
    flipped = dict(summary, fires_with_ipsp=True, lambda_fit_epsp_um=1.2 * summary[
        "lambda_fit_steady_um"], spatial_n_to_fire=None, first_spike_site=None,
        shunting=dict(sh, ipsp_mV=-3.5, reversal_mV=-75.0))
    f = summary_sentences(flipped)
    assert "20% longer" in f[1] and "still fires" in f[5] and "do not fire" in f[3]
    assert f[7] == "a shunt (reversal -75 mV) is visible alone: -3.5 mV at the soma"
    assert f[6].startswith("no volley fired")
