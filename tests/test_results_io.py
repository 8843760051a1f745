"""Results out: Result.to_xarray / to_dataframe / save / load (netCDF), exact round trips."""

from dataclasses import fields

import numpy as np
import pytest
from brian2 import ms, mV, nA, nS, um

from cablemodel import (
    AMPA,
    CurrentClamp,
    Result,
    Synapse,
    ball_and_stick,
    read_swc,
    simulate,
    spike_times,
    standard_cell,
    write_swc,
)
from cablemodel.simulation.results_io import table_hash

xr = pytest.importorskip("xarray")

REQUESTS = ["hillock", "m_na@hillock", "i_na@soma", "g_syn@all", "i_syn@all", "i_clamp@soma"]


@pytest.fixture(scope="module")
def swc_cell(tmp_path_factory):
    """The default HH ball-and-stick, written to SWC and read back (sample ids, a source file)."""
    path = write_swc(ball_and_stick(), tmp_path_factory.mktemp("swc") / "stick.swc")
    morph, _ = read_swc(path)
    return standard_cell(morph), path


@pytest.fixture(scope="module")
def run(swc_cell):
    cell, _ = swc_cell
    syn = Synapse(AMPA, "basal@100", 3 * nS, spike_times([1.0] * ms))
    return simulate(cell, [syn], duration=8 * ms, record=REQUESTS, record_dt=0.05 * ms,
                    clamps=[CurrentClamp("soma", 1.5 * nA, 2 * ms, 5 * ms)], engine="numpy")


def _assert_same_array(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, what
    if a.dtype == object:
        assert a.tolist() == b.tolist(), what
    else:
        assert a.tobytes() == b.tobytes(), what  # bit for bit


def _assert_same_result(a: Result, b: Result):
    assert a.labels == b.labels and a.v_rest_mV == b.v_rest_mV and a.info == b.info
    for name in ("compartments", "t_ms", "v_mV", "spikes_ms"):
        _assert_same_array(getattr(a, name), getattr(b, name), name)
    for f in fields(a.table):
        x, y = getattr(a.table, f.name), getattr(b.table, f.name)
        assert (x is None) == (y is None), f.name
        if x is not None:
            _assert_same_array(x, y, f"table.{f.name}")
    assert list(a.recorded) == list(b.recorded)
    for name, tr in a.recorded.items():
        other = b.recorded[name]
        assert (tr.unit, tr.labels, tr.description) == (other.unit, other.labels, other.description)
        _assert_same_array(tr.values, other.values, name)
        _assert_same_array(tr.compartments, other.compartments, f"{name} compartments")


def test_save_load_round_trip_is_exact(run, tmp_path):
    assert run.spike_count() == 1 and sum(map(len, run.table.swc_ids)) == 6  # SWC ids
    back = Result.load(run.save(tmp_path / "run.nc"))
    _assert_same_result(run, back)
    assert back.peak("hillock") == run.peak("hillock") and back.spikes_ms.tolist() == run.spikes_ms.tolist()
    np.testing.assert_array_equal(back.trace("m_na@hillock"), run.trace("m_na@hillock"))
    assert back.distance("basal@100") == run.distance("basal@100")


def test_round_trip_of_the_hand_made_example(tmp_path):
    r = Result.example()
    _assert_same_result(r, Result.load(r.save(tmp_path / "example.nc")))


def test_dataset_layout_and_metadata(run, swc_cell):
    import brian2

    import cablemodel

    cell, path = swc_cell
    ds = run.to_xarray()
    assert ds["v"].dims == ("site", "time") and ds["v"].attrs["units"] == "mV"
    assert ds["m_na"].dims == ("site_m_na", "time") and ds["m_na"].attrs["units"] == "1"
    assert ds["i_syn"].attrs["units"] == "nA" and ds["i_syn_label"].values.tolist() == ["syn0"]
    np.testing.assert_array_equal(ds["m_na_distance"], cell.table.distance[[1, 2, 3]])
    assert ds["m_na_region"].values.tolist() == ["hillock"] * 3
    np.testing.assert_array_equal(ds["time"], run.t_ms)
    np.testing.assert_array_equal(ds["v"].sel(site="soma"), run.v_mV[0])
    np.testing.assert_array_equal(ds["m_na"].sel(site_m_na="hillock"), run.trace("m_na@#2"))
    attrs = ds.attrs
    assert (attrs["engine"], attrs["dt_ms"], attrs["record_dt_ms"]) == ("numpy", 0.025, 0.05)
    assert attrs["cablemodel_version"] == cablemodel.__version__
    assert attrs["brian2_version"] == brian2.__version__
    assert attrs["morphology_source"] == str(path) and attrs["morphology_name"] == "stick"
    assert attrs["morphology_sha256"] == table_hash(cell.table)
    params = run.info["cell"]
    assert (params["Ri_ohm_cm"], params["Cm_uF_cm2"], params["g_leak_S_cm2"]) == pytest.approx(
        (100.0, 1.0, 3e-4), rel=1e-12)
    assert params["channels"]["na"]["density_S_cm2"]["hillock"] == [1.2, 1.2]
    e_leak = np.asarray(cell.leak_reversal() / mV)
    assert params["E_L_mV"] == [e_leak.min(), e_leak.max()] and e_leak.min() < e_leak.max()


def test_table_hash_tells_geometries_apart():
    a, b = ball_and_stick().compartments(), ball_and_stick(dendrite_length=1000 * um).compartments()
    assert table_hash(a) != table_hash(b)


def test_tidy_dataframe(run):
    df = run.to_dataframe()
    rows = len(run.labels) + sum(len(tr.labels) for tr in run.recorded.values())
    assert len(df) == rows * run.t_ms.size
    m = df[(df.variable == "m_na") & (df.label == "hillock")].sort_values("time_ms")
    np.testing.assert_array_equal(m.value.to_numpy(), run.trace("m_na@#2"))
    assert set(m.unit) == {"1"} and set(m.region) == {"hillock"}
    wide = df[df.variable == "v"].pivot(index="label", columns="time_ms", values="value")
    np.testing.assert_array_equal(wide.loc[run.labels].to_numpy(), run.v_mV)


def test_loading_another_file_is_refused(tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"a": ("x", np.arange(3.0))}).to_netcdf(path, engine="scipy")
    with pytest.raises(ValueError, match="not a cablemodel result"):
        Result.load(path)
    with pytest.raises(FileNotFoundError, match="no result file"):
        Result.load(tmp_path / "missing.nc")
