"""The BBP channel library (cablemodel.mechanisms.bbp) against the NMODL files of Arbor's ``bbp``
catalogue: (a) every gate's steady state and time constant equal the files' formulas (written
out again below from the .mod files, in their own form) at many potentials and calcium
concentrations, to 1e-12; (b) with Arbor installed, each channel's current in one compartment
under voltage-clamp steps within 1 % of Arbor's compiled mechanism, and the calcium set
(Ca_HVA, Ca_LVAst, CaDynamics_E2, SK_E2) likewise; (c) the spike times of one compartment with
every channel under a current step within 0.1 ms of Arbor's. See tests/bbp_comparison.py for
how the runs are aligned."""

import numpy as np
import pytest
from brian2 import ms, mV

import cablemodel
from cablemodel.mechanisms import bbp

QT = 2.3 ** ((34 - 21) / 10)  # the files' hard-coded temperature factor
V = np.concatenate([np.linspace(-150.0, 100.0, 2501),
                    [-38.0, -66.0, -32.0, -60.0, -17.0, -64.4, -27.0, -154.9, -60.0 - 1e-9,
                     -38.0 + 1e-10]])
CAI = np.concatenate([np.logspace(-9, -1, 801), [1e-7, 1e-7 * (1 - 1e-12), 0.00043]])


def exprelr(x):
    """NMODL's exprelr: x/(exp(x) - 1), 1 at x = 0."""
    x = np.asarray(x, dtype=float)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, safe / np.expm1(safe))


def _rates(alpha, beta, qt=1.0):
    return alpha / (alpha + beta), 1 / (alpha + beta) / qt


def _na_transient(v, m_shift, h_shift):
    m = _rates(0.182 * 6 * exprelr(-(v + m_shift) / 6), 0.124 * 6 * exprelr((v + m_shift) / 6), QT)
    h = _rates(0.015 * 6 * exprelr((v + h_shift) / 6), 0.015 * 6 * exprelr(-(v + h_shift) / 6), QT)
    return [m, h]


def _nap(v, cai):
    m_rho = 0.182 * 6 * exprelr(-(v + 38) / 6) + 0.124 * 6 * exprelr((v + 38) / 6)
    h_rho = 2.88e-6 * 4.63 * exprelr((v + 17.0) / 4.63) + 6.94e-6 * 2.63 * exprelr(-(v + 64.4) / 2.63)
    return [(1.0 / (1 + np.exp(-(v + 52.6) / 4.6)), 6.0 / m_rho / QT),
            (1.0 / (1 + np.exp((v + 48.8) / 10)), 1.0 / h_rho / QT)]


def _k_pst(v, cai):
    m_tau = np.where(v < -60, 1.25 + 175.03 * np.exp((v + 10) * 0.026),
                     1.25 + 13.00 * np.exp(-(v + 10) * 0.026))
    h_tau = 360 + (1010 + 24 * (v + 65)) * np.exp(-((v + 85) / 48) ** 2)
    return [(1 / (1 + np.exp(-(v + 11) / 12)), m_tau / QT), (1 / (1 + np.exp((v + 64) / 11)), h_tau / QT)]


def _k_tst(v, cai):
    return [(1 / (1 + np.exp(-(v + 10) / 19)), (0.34 + 0.92 * np.exp(-((v + 81) / 59) ** 2)) / QT),
            (1 / (1 + np.exp(-(v + 76) / -10)), (8 + 49 * np.exp(-((v + 83) / 23) ** 2)) / QT)]


def _skv3_1(v, cai):
    return [(1 / (1 + np.exp((18.7 - v) / 9.7)), 1 / (0.25 * (1 + np.exp((v + 46.56) / (-44.140)))))]


def _sk_e2(v, cai):
    with np.errstate(divide="ignore"):
        z_inf = np.where(cai < 1e-7, 0.0, 1 / (1 + (0.00043 / cai) ** 4.8))
    return [(z_inf, np.ones_like(z_inf))]


def _im(v, cai):
    return [_rates(3.3e-3 * np.exp(2.5 * 0.04 * (v + 35)), 3.3e-3 * np.exp(-2.5 * 0.04 * (v + 35)), QT)]


def _ih(v, cai):
    return [_rates(0.001 * 6.43 * 11.9 * exprelr((v + 154.9) / 11.9), 0.001 * 193 * np.exp(v / 33.1))]


def _ca_hva(v, cai):
    return [_rates(0.055 * 3.8 * exprelr(-(27 + v) / 3.8), 0.94 * np.exp(-(v + 75) / 17)),
            _rates(0.000457 * np.exp(-(v + 13) / 50), 0.0065 / (np.exp(-(v + 15) / 28) + 1))]


def _ca_lvast(v, cai):
    return [(1 / (1 + np.exp(-(v + 40) / 6.0)), (5 + 20 / (1 + np.exp((v + 35) / 5))) / QT),
            (1 / (1 + np.exp((v + 90) / 6.4)), (20 + 50 / (1 + np.exp((v + 50) / 7))) / QT)]


#: Each channel's gates as in its .mod file, at 34 degC: [(inf, tau ms), ...] in gate order.
MOD = {"nata_t": lambda v, cai: _na_transient(v, 38, 66),
       "nats2_t": lambda v, cai: _na_transient(v, 32, 60),
       "nap_et2": _nap, "k_pst": _k_pst, "k_tst": _k_tst, "skv3_1": _skv3_1, "sk_e2": _sk_e2,
       "im": _im, "ih": _ih, "ca_hva": _ca_hva, "ca_lvast": _ca_lvast}
TEMPERATURE_CORRECTED = {"nata_t", "nats2_t", "nap_et2", "k_pst", "k_tst", "im", "ca_lvast"}
IONS = {"nata_t": "na", "nats2_t": "na", "nap_et2": "na", "k_pst": "k", "k_tst": "k", "skv3_1": "k",
        "sk_e2": "k", "im": "k", "ih": None, "ca_hva": "ca", "ca_lvast": "ca"}


# -- (a) kinetics, numpy only --------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(MOD))
def test_kinetics_equal_the_mod_files(name):
    """Steady states and time constants at 34 degC (the files' temperature) equal the files'
    formulas to 1e-12 at 2511 potentials (the singular points of the exprelr rates and the
    K_Pst branch point included) and, for SK_E2, 804 calcium concentrations (its 1e-7 mM
    cut-off included)."""
    ch = bbp.BBP_CHANNELS[name]()
    phi = ch.phi(34.0)
    v, cai = (np.full(CAI.shape, -65.0), CAI) if name == "sk_e2" else (V, np.full(V.shape, 1e-4))
    expected = MOD[name](v, cai)
    assert len(expected) == len(ch.gates)
    for gate, (inf, tau) in zip(ch.gates, expected, strict=True):
        conc = {"cai": cai}
        np.testing.assert_allclose(gate.steady_state(v, phi, conc), inf, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(gate.time_constant(v, phi, conc), tau, rtol=1e-12)
        assert np.all(np.isfinite(gate.time_constant(v, phi, conc)))
    if name == "sk_e2":
        assert ch.gates[0].concentrations == ("cai",)
        z = ch.gates[0].steady_state(-65.0, 1.0, {"cai": np.array([0.99e-7, 1e-7])})
        assert z[0] == 0.0 and z[1] > 0.0


@pytest.mark.parametrize("name", sorted(MOD))
def test_temperature_ion_and_reversal(name):
    """The files' qt = 2.3**1.3 is q10 = 2.3 from 21 degC (1 at 21 degC, qt at 34 degC); the
    uncorrected files are temperature-independent; ions and BBP reversals."""
    ch = bbp.BBP_CHANNELS[name]()
    assert ch.name == name
    if name in TEMPERATURE_CORRECTED:
        assert ch.phi(34.0) == pytest.approx(QT, rel=1e-14)
        assert ch.phi(21.0) == 1.0
        assert ch.phi(31.0) == pytest.approx(2.3, rel=1e-14)
    else:
        assert ch.phi(6.3) == ch.phi(34.0) == ch.phi(37.0) == 1.0
    assert ch.ion == IONS[name]
    expected = {"na": 50.0, "k": -85.0, None: -45.0}
    if IONS[name] == "ca":
        assert ch.reversal == "nernst"
    else:
        assert float(ch.reversal / mV) == expected[IONS[name]]


def test_library_is_complete_and_exported():
    assert sorted(bbp.BBP_CHANNELS) == sorted(MOD)
    for public in [*bbp.__all__]:
        assert getattr(cablemodel.mechanisms, public) is getattr(bbp, public)
        assert getattr(cablemodel, public) is getattr(bbp, public)
    ca = bbp.CaDynamics_E2(gamma=0.000501, decay=460 * ms)
    assert ca.gamma == 0.000501 and float(ca.decay / ms) == pytest.approx(460.0)
    assert set(bbp.HAY_SOMA) <= set(bbp.BBP_CHANNELS)
    with pytest.raises(ValueError, match="tau must be > 0"):
        bbp.SK_E2(tau=0 * ms)


# -- (b), (c) against Arbor ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def comparison():
    pytest.importorskip("arbor")
    import bbp_comparison

    return bbp_comparison


def _check_channel_clamp(result):
    assert sorted(result.errors) == sorted(f"i_{name}" for name in MOD if name != "sk_e2")
    for key, err in result.errors.items():
        assert err < 0.01, (key, err)
        assert result.compared(key) > 0.25, key  # most samples count (Na+: 0.32, Ih: all)
    # the step did change the currents: not a comparison of two resting traces
    assert np.ptp(result.arbor["i_nata_t"]) > 100 * np.abs(result.arbor["i_nata_t"][:, 0]).max()


def test_channel_currents_under_voltage_clamp_match_arbor(comparison):
    """Each channel (SK_E2 below) stepped from -80 mV to -100, -40, 0 and +20 mV for 15 ms
    (cablemodel at 0.1 ms: exact under an ideal clamp, see bbp_comparison): every
    non-negligible sample of its current within 1 % of Arbor's."""
    _check_channel_clamp(comparison.channel_clamp(comparison.QUICK_LEVELS_MV, comparison.QUICK_DT_MS))


@pytest.mark.slow
def test_channel_currents_under_voltage_clamp_match_arbor_all_steps(comparison):
    """As above at every step of -120..+20 mV, cablemodel at 50 us (7 x 300 samples)."""
    _check_channel_clamp(comparison.channel_clamp())


def _check_calcium_clamp(result):
    for key, err in result.errors.items():
        assert err < 0.01, (key, err)
        assert result.compared(key) > 0.5, key
    assert result.arbor["cai"].max() > 2 * result.arbor["cai"][0, 0]  # calcium did rise
    assert np.ptp(result.arbor["i_sk_e2"]) > np.abs(result.arbor["i_sk_e2"][:, 1]).max()


def test_calcium_set_under_voltage_clamp_matches_arbor(comparison):
    """Ca_HVA + Ca_LVAst filling CaDynamics_E2 (Hay's somatic gamma and decay), which drives
    SK_E2, stepped to -40 and 0 mV: the summed Ca2+ current, cai and the SK current within 1 %
    of Arbor's at every non-negligible sample."""
    _check_calcium_clamp(comparison.calcium_clamp(comparison.QUICK_CALCIUM_LEVELS_MV))


@pytest.mark.slow
def test_calcium_set_under_voltage_clamp_matches_arbor_all_steps(comparison):
    """As above, stepped to -60, -40, -20, 0 and +20 mV."""
    _check_calcium_clamp(comparison.calcium_clamp())


def test_full_set_spike_times_match_arbor(comparison):
    """One compartment with every channel and CaDynamics_E2 (Hay somatic densities) under a
    0.5 nA step: the same number of spikes, each within 0.1 ms of Arbor's (both at 25 us). Both
    start in the same steady state (cablemodel's leak reversal and resting cai given to Arbor:
    its potential stays at rest to 1e-5 mV until the step) and the interspike potential agrees
    to 0.2 mV."""
    result = comparison.full_set_spikes()
    assert result.arbor.size >= 3
    assert result.ours.size == result.arbor.size
    assert result.max_error_ms < 0.1, (result.ours, result.arbor)
    t = np.arange(result.v_ours.size) * comparison.DT_MS
    rest = t < comparison.SPIKE_STEP[0]
    np.testing.assert_allclose(result.v_ours[rest], comparison.SPIKE_V_REST_MV, atol=1e-6)
    np.testing.assert_allclose(result.v_arbor[rest], comparison.SPIKE_V_REST_MV, atol=1e-5)
    between = (t > result.arbor[0] + 3) & (t < result.arbor[1] - 0.5)
    assert between.sum() > 100
    np.testing.assert_allclose(result.v_ours[between], result.v_arbor[between], atol=0.2)
