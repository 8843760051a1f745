"""Shared fixtures: cells and protocol results reused across tests (each simulation runs once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from brian2 import um

from cablemodel import ball_and_stick, standard_cell
from cablemodel.experiments import spatial_summation

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"


@pytest.fixture
def shared() -> Path:
    """../shared/morphologies beside the project; tests using it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared test morphologies not found at {SHARED} (not part of an installed copy)")
    return SHARED


@pytest.fixture(scope="session")
def active_cell():
    """Ball-and-stick with the default HH densities (spikes start at the hillock)."""
    return standard_cell(ball_and_stick())


@pytest.fixture(scope="session")
def spatial(active_cell):
    """Spatial summation, n = 1..8 simultaneous 1 nS EPSPs over 50-300 um (one simulation)."""
    return spatial_summation(active_cell, n_max=8, far=300 * um, record=["axon@50"])


@pytest.fixture(scope="session")
def n_to_fire(spatial):
    n = spatial.n_to_fire
    assert n is not None and n > 1, f"volleys of 1..8 EPSPs should include sub- and suprathreshold, got {n}"
    return n


@pytest.fixture(scope="session")
def granule_morphology():
    """The shared rat dentate granule cell (basal dendrites only, 301 um longest path) with the
    hillock :func:`add_hillock` adds at the soma; skips when ../shared is absent."""
    path = SHARED / "real" / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc"
    if not path.is_file():
        pytest.skip(f"shared test morphology not found at {path} (not part of an installed copy)")
    from cablemodel import add_hillock, read_swc

    return add_hillock(read_swc(path)[0])
