"""The main job: `cablemodel demo` writes figures and a summary whose numbers are physics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cablemodel.cli import main


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    for name in ("summary.json", "attenuation.png", "summation.png", "temporal.png",
                 "morphology.png"):
        assert (out / name).stat().st_size > 1000
    return json.loads((out / "summary.json").read_text())


def test_summary_lambdas(summary):
    theory = summary["lambda_theory_um"]
    assert theory == pytest.approx(np.sqrt(1e-4 / 4 * (1 / 3e-4) / 100) * 1e4, rel=1e-9)
    assert summary["lambda_fit_steady_um"] == pytest.approx(theory, rel=0.02)
    assert summary["lambda_fit_epsp_um"] < 0.9 * summary["lambda_fit_steady_um"]


def test_summary_attenuation(summary):
    rows = summary["attenuation"]
    assert len(rows) >= 8
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
