"""mammalian_cell (cablemodel.presets): Hay et al. 2011's values per region, the Ih rise with
distance, the optional calcium hot zone, refusals; and that the cell fires realistic action
potentials at 34 degC."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, ohm, siemens, uF, um

from cablemodel import CurrentClamp, ball_and_stick, mammalian_cell, relabel
from cablemodel.presets import HAY_2011_CALCIUM, HAY_2011_DENSITIES, HAY_2011_MEMBRANE, IH_LENGTH

S_CM2 = 1e4  # S/m^2 per S/cm^2


@pytest.fixture(scope="module")
def l5_cell():
    from arbor_l5 import l5_morphology

    morph = l5_morphology()
    if morph is None:
        pytest.skip("shared test morphologies not found")
    return mammalian_cell(morph)


def test_densities_per_region_are_hay_2011s(l5_cell):
    table, dens = l5_cell.table, l5_cell.densities()
    for group, regions in (("soma", "soma"), ("basal", "basal"), ("apical", "apical")):
        mask = table.region == regions
        for name, g in HAY_2011_DENSITIES[group].items():
            if group == "apical" and name == "ih":
                continue
            np.testing.assert_allclose(dens[name][mask], g * S_CM2, rtol=1e-12, err_msg=name)
    axon = table.region == "axon"
    assert all(not d[axon].any() for d in dens.values())  # Hay's model 3: a passive axon
    assert {ch.name for ch in l5_cell.channels} == set(HAY_2011_DENSITIES["soma"]) | {"im"}


def test_apical_ih_rises_exponentially_with_distance(l5_cell):
    table, ih = l5_cell.table, l5_cell.densities()["ih"]
    apical = np.flatnonzero(table.region == "apical")
    d = table.distance[apical]
    expected = 2e-4 * (-0.8696 + 2.087 * np.exp(d / float(IH_LENGTH / um))) * S_CM2
    np.testing.assert_allclose(ih[apical], expected, rtol=1e-12)
    far = apical[np.argmax(d)]  # 670 um: 2e-4 * (-0.87 + 2.087 e^(670/323)) = 3.1e-3 S/cm^2
    assert ih[far] / S_CM2 == pytest.approx(3.14e-3, rel=0.01)
    assert ih[far] / ih[0] > 15  # the soma: 2e-4 S/cm^2


def test_membrane_per_region(l5_cell):
    m, table = l5_cell.membrane(), l5_cell.table
    for reg in ("soma", "axon", "basal", "apical"):
        mask = table.region == reg
        np.testing.assert_allclose(np.asarray(m.Cm[mask] / (uF / cm**2)),
                                   HAY_2011_MEMBRANE[reg]["Cm"], rtol=1e-12)
        np.testing.assert_allclose(np.asarray(m.g_leak[mask] / (siemens / cm**2)),
                                   HAY_2011_MEMBRANE[reg]["g_leak"], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(m.e_leak / mV), -90.0)
    np.testing.assert_allclose(np.asarray(m.Ri / (ohm * cm)), 100.0)
    assert l5_cell.celsius == 34.0


def test_calcium_dynamics_per_region(l5_cell):
    p, table = l5_cell.calcium_parameters(), l5_cell.table
    for reg in ("soma", "apical"):
        mask = table.region == reg
        np.testing.assert_allclose(p["gamma_cai"][mask], HAY_2011_CALCIUM[reg]["gamma"])
        np.testing.assert_allclose(p["decay_cai"][mask], HAY_2011_CALCIUM[reg]["decay_ms"] * 1e-3)
    assert not p["painted"][np.isin(table.region, ("basal", "axon"))].any()


def test_options_ih_and_hot_zone():
    morph = ball_and_stick()
    assert "ih" not in {ch.name for ch in mammalian_cell(morph, ih=False).channels}
    apical = relabel(morph, {"apical": "dend"})
    hot = mammalian_cell(apical, ca_hot_zone=(100 * um, 200 * um), celsius=37.0)
    table, dens = hot.table, hot.densities()
    inside = (table.region == "apical") & (table.distance > 100) & (table.distance < 200)
    outside = (table.region == "apical") & ~inside
    assert inside.any() and outside.any() and hot.celsius == 37.0
    np.testing.assert_allclose(dens["ca_lvast"][inside], 0.0187 * S_CM2)
    np.testing.assert_allclose(dens["ca_lvast"][outside], 0.0187 * 0.01 * S_CM2)
    np.testing.assert_allclose(dens["ca_hva"][inside], 0.000555 * S_CM2)
    np.testing.assert_allclose(dens["ca_hva"][outside], 0.000555 * 0.1 * S_CM2)


def test_custom_regions_are_refused():
    morph = relabel(ball_and_stick(), {"oblique": "dend"})
    with pytest.raises(ValueError, match=r"no Hay et al. 2011 values for region\(s\) \['oblique'\]"):
        mammalian_cell(morph)


def test_fires_realistic_action_potentials_at_34_degC_in_arbor(l5_cell):
    """The same discrete cell in Arbor: a rest near -78 mV, repetitive firing under 0.5 nA
    with overshooting, narrow spikes and adaptation (a regular-spiking pyramidal cell)."""
    arbor_io = pytest.importorskip("cablemodel.io.arbor")
    pytest.importorskip("arbor")
    out = arbor_io.run_arbor(l5_cell, [CurrentClamp("soma", 0.5 * nA, 100 * ms, 400 * ms)],
                             duration=400 * ms)
    t, v, spikes = out["t_ms"], out["v_mV"]["soma"], out["spikes_ms"]
    assert -82 < v[t < 100][-1] < -74  # rest: e_pas -90 mV, Ih depolarizes
    assert 4 <= len(spikes) <= 12 and spikes[0] > 100  # tonic, no spike at rest
    isi = np.diff(spikes)
    assert isi[-1] > 2 * isi[0]  # spike-frequency adaptation (SK, Im)
    first = (t > spikes[0] - 2) & (t < spikes[0] + 5)
    assert v[first].max() > 10  # overshoot
    above = t[first][v[first] > 0.5 * (v[first].max() + v[t < spikes[0]][-40])]
    assert above[-1] - above[0] < 1.5  # half-width under 1.5 ms
