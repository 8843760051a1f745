"""Stimuli: waveforms sampled on the time grid, summed current clamps, the passive step response,
the voltage clamp against a synapse's analytic conductance, and the I-V curve of an HH soma
against the analytic Hodgkin-Huxley currents under an ideal clamp."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, Mohm, cm, ms, mV, nA, nS, pA, siemens, uF, us

from cablemodel import (
    AMPA,
    Cell,
    CurrentClamp,
    HHPotassium,
    HHSodium,
    Morphology,
    Noise,
    Ramp,
    Sampled,
    Section,
    Sine,
    Step,
    Synapse,
    Train,
    VoltageClamp,
    VoltageSteps,
    WaveformClamp,
    iv_curve,
    simulate,
    spike_times,
)
from cablemodel.io.neuron import to_neuron

DT = 25 * us
D_SOMA = 20.0  # um: a spherical soma, area pi d^2
AREA_CM2 = np.pi * (D_SOMA * 1e-4) ** 2
GL = 1e-4 * siemens / cm**2


def _soma_cell(**kwargs) -> Cell:
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, D_SOMA]]))
    return Cell(Morphology((soma,), name="soma"), spike_site="soma", **kwargs)


@pytest.fixture(scope="module")
def passive():
    return _soma_cell(g_leak=GL, Cm=1 * uF / cm**2, v_rest=-65 * mV)


@pytest.fixture(scope="module")
def hh():
    return _soma_cell().paint(HHSodium(), "soma", 0.12 * siemens / cm**2).paint(
        HHPotassium(), "soma", 0.036 * siemens / cm**2)


# -- waveforms ----------------------------------------------------------------------------------
def test_pulse_and_train_area():
    dt = 0.1 * ms
    step = Step(0.3 * nA, 1.2 * ms, 4.7 * ms).sample(dt, 100)
    assert float(np.sum(step) * dt / (nA * ms)) == pytest.approx(0.3 * 3.5, rel=1e-12)
    assert np.flatnonzero(np.asarray(step))[[0, -1]].tolist() == [12, 46]
    train = Train(2 * nA, 1 * ms, 0.5 * ms, 2 * ms, 4).sample(dt, 200)
    assert float(np.sum(train) * dt / (nA * ms)) == pytest.approx(4 * 2 * 0.5, rel=1e-12)
    assert np.count_nonzero(np.diff((np.asarray(train) > 0).astype(int)) == 1) == 4  # 4 pulses


def test_ramp_slope_and_extent():
    x = np.asarray(Ramp(-1 * nA, 3 * nA, 2 * ms, 10 * ms).sample(DT, 800) / nA)
    slope = np.diff(x[80:400]) / float(DT / ms)  # samples 80 .. 399: 2 ms to 10 ms - dt
    np.testing.assert_allclose(slope, 0.5, rtol=1e-9)  # (3 - -1) nA / 8 ms
    assert x[80] == pytest.approx(-1.0) and x[399] == pytest.approx(3.0 - 0.5 * 0.025)
    assert not x[:80].any() and not x[400:].any()


def test_sine_frequency_and_phase():
    n, f = 40000, 37 * Hz  # 1 s at 25 us
    x = np.asarray(Sine(1 * nA, f, 0 * ms, phase=np.pi / 2, offset=0.5 * nA).sample(DT, n) / nA)
    spectrum = np.abs(np.fft.rfft(x - x.mean()))
    freqs = np.fft.rfftfreq(n, float(DT / ms) * 1e-3)
    assert freqs[np.argmax(spectrum)] == pytest.approx(37.0, abs=1.0)
    assert x[0] == pytest.approx(1.5) and x.mean() == pytest.approx(0.5, abs=1e-3)
    assert x.max() == pytest.approx(1.5) and x.min() == pytest.approx(-0.5, abs=1e-6)


def test_noise_statistics_and_seed():
    white = Noise(20 * pA, 5 * pA, 0 * ms, seed=3)
    x = np.asarray(white.sample(DT, 100000) / pA)
    assert x.mean() == pytest.approx(20.0, abs=4 * 5 / np.sqrt(x.size))
    assert x.std() == pytest.approx(5.0, rel=0.02)
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.02  # independent samples
    again = np.asarray(Noise(20 * pA, 5 * pA, 0 * ms, seed=3).sample(DT, 1000) / pA)
    np.testing.assert_array_equal(again, x[:1000])  # same seed, same values, any run length
    other = np.asarray(Noise(20 * pA, 5 * pA, 0 * ms, seed=4).sample(DT, 1000) / pA)
    assert not np.allclose(other, again)
    tau = 2 * ms  # Ornstein-Uhlenbeck: stationary std, autocorrelation exp(-lag/tau)
    ou = np.asarray(Noise(0 * pA, 5 * pA, 0 * ms, seed=5, tau=tau).sample(0.1 * ms, 400000) / pA)
    assert ou.std() == pytest.approx(5.0, rel=0.03)
    assert np.corrcoef(ou[:-20], ou[20:])[0, 1] == pytest.approx(np.exp(-1), abs=0.02)
    windowed = np.asarray(Noise(1 * pA, 1 * pA, 1 * ms, 2 * ms).sample(0.1 * ms, 30) / pA)
    assert np.flatnonzero(windowed).tolist() == list(range(10, 20))


def test_sampled_array():
    values = np.array([0.1, -0.2, 0.4, 0.0, 1.0]) * nA
    same = Sampled(values, DT).sample(DT, 8)
    np.testing.assert_array_equal(np.asarray(same[:5]), np.asarray(values))
    assert np.all(np.asarray(same[5:]) == 0)
    coarse = np.asarray(Sampled(values, 1 * ms, start=2 * ms).sample(0.25 * ms, 32) / nA)
    np.testing.assert_allclose(coarse[8:28], np.repeat(np.asarray(values / nA), 4))
    assert not coarse[:8].any() and not coarse[28:].any()


def test_refusals(passive):
    with pytest.raises(ValueError, match="one dimension"):
        Step(1 * nA, 0 * ms) + Step(1 * mV, 0 * ms)
    with pytest.raises(ValueError, match="units of amp"):
        WaveformClamp("soma", Step(1 * mV, 0 * ms))
    with pytest.raises(ValueError, match="units of volt"):
        VoltageClamp("soma", -70 * mV, Step(1 * nA, 0 * ms))
    with pytest.raises(ValueError, match="series resistance must be > 0"):
        VoltageClamp("soma", -70 * mV, series_resistance=0 * Mohm)
    with pytest.raises(ValueError, match="stop .* must be after start"):
        Step(1 * nA, 5 * ms, 5 * ms)
    with pytest.raises(ValueError, match="two voltage clamps"):
        simulate(passive, [], duration=1 * ms, engine="numpy",
                 clamps=[VoltageClamp("soma", -70 * mV), VoltageClamp("soma", -60 * mV)])
    with pytest.raises(ValueError, match="CurrentClamp objects only"):
        to_neuron(passive, clamps=[WaveformClamp("soma", Step(1 * nA, 0 * ms))])


# -- current clamps on a passive single compartment ---------------------------------------------
def test_step_response_matches_passive_theory(passive):
    amp_, start, T = 20 * pA, 1 * ms, 40 * ms
    r = simulate(passive, [], duration=T, dt=DT, engine="numpy",
                 clamps=[WaveformClamp("soma", Step(amp_, start))])
    r_in = 1 / (float(GL / (siemens / cm**2)) * AREA_CM2)  # ohm
    tau = 1.0 / float(GL / (siemens / cm**2)) * 1e-6 * 1e3  # Cm/g_L in ms = 10 ms
    t = r.t_ms - float(start / ms)
    expected = np.where(t > 0, float(amp_ / pA) * 1e-12 * r_in * 1e3 * (1 - np.exp(-t / tau)), 0)
    dv = np.asarray(r.v("soma") / mV) + 65.0
    assert np.max(np.abs(dv - expected)) < 0.01 * expected.max()
    assert dv[-1] == pytest.approx(expected[-1], rel=1e-3)


def test_clamps_at_one_site_sum(passive):
    kw = dict(duration=12 * ms, dt=DT, engine="numpy")
    parts = [CurrentClamp("soma", 10 * pA, 1 * ms, 8 * ms), CurrentClamp("soma", 5 * pA, 3 * ms, 6 * ms),
             WaveformClamp("soma", Ramp(0 * pA, 20 * pA, 2 * ms, 10 * ms)),
             WaveformClamp("soma", Sine(4 * pA, 500 * Hz, 0 * ms))]
    together = simulate(passive, [], clamps=parts, record=["i_clamp@soma@0"], **kw)
    one = WaveformClamp("soma", Step(10 * pA, 1 * ms, 8 * ms) + Step(5 * pA, 3 * ms, 6 * ms)
                        + Ramp(0 * pA, 20 * pA, 2 * ms, 10 * ms) + Sine(4 * pA, 500 * Hz, 0 * ms))
    summed = simulate(passive, [], clamps=[one], **kw)
    np.testing.assert_allclose(together.v_mV, summed.v_mV, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(together.trace("i_clamp@soma@0") / pA),
                               np.asarray(one.waveform.sample(DT, together.t_ms.size) / pA),
                               rtol=1e-12, atol=1e-12)  # the recorded sum of all four
    assert np.ptp(together.v_mV) > 0.5  # the clamps did act (mV)


# -- voltage clamp --------------------------------------------------------------------------------
def test_voltage_clamp_current_equals_synaptic_current(passive):
    """Clamped at rest (no leak current), the clamp balances the synapse: I = g(t) (V_hold - E)."""
    weight, t_spike, hold = 2 * nS, 2 * ms, -65 * mV
    vc = VoltageClamp("soma", hold, series_resistance=0.01 * Mohm)
    syn = Synapse(AMPA, "soma", weight, spike_times([t_spike]))
    r = simulate(passive, [syn], duration=15 * ms, dt=DT, engine="numpy", clamps=[vc],
                 record=["i_vclamp@soma@0", "g_syn@soma@0"])
    i = np.asarray(r.trace("i_vclamp@soma@0") / nA)
    # the sample at t_k + dt balances the conductance of the step from t_k
    g = np.asarray(AMPA.conductance(r.t[:-1] - t_spike, weight) / nS)
    np.testing.assert_allclose(np.asarray(r.trace("g_syn@soma@0") / nS)[:-1], g, atol=1e-9)
    expected = g * float((hold - AMPA.reversal) / mV) * 1e-3  # nS * mV = pA -> nA
    peak = np.abs(expected).max()
    assert peak == pytest.approx(2 * 0.065, rel=1e-3)  # 2 nS x 65 mV
    assert np.abs(i[1:] - expected).max() < 0.01 * peak
    near_peak = np.abs(expected) > 0.5 * peak
    np.testing.assert_allclose(i[1:][near_peak], expected[near_peak], rtol=0.01)
    v = np.asarray(r.v("soma") / mV)  # held within I*R_s; the current is (V_cmd - v)/R_s
    np.testing.assert_allclose(i, (-65 - v) / 0.01, rtol=1e-9, atol=1e-12)  # mV / Mohm = nA
    assert np.abs(v + 65).max() < 0.01


def _hh_clamp_current(cell: Cell, v_step: float, v_hold: float, t_ms: np.ndarray) -> np.ndarray:
    """Membrane current (nA, outward positive) of the HH soma under an ideal step clamp from
    ``v_hold`` to ``v_step`` (mV) at t = 0, gates relaxing exponentially from their steady state."""
    total = float(cell.g_leak / (siemens / cm**2)) * (v_step - float(cell.leak_reversal()[0] / mV))
    dens = cell.densities()
    for ch in cell.channels:
        phi = ch.phi(cell.celsius)
        p = 1.0
        for gate in ch.gates:
            a, b = (float(x) for x in gate.rates(np.array([v_step]), phi))
            x0 = float(gate.steady_state(np.array([v_hold]), phi))
            x = a / (a + b) + (x0 - a / (a + b)) * np.exp(-(a + b) * t_ms)
            p = p * x ** gate.power
        g = float(dens[ch.name][0]) * 1e-4  # S/cm^2
        total = total + g * p * (v_step - float(ch.reversal / mV))
    return total * AREA_CM2 * 1e6  # S/cm^2 x mV = mA/cm^2; x cm^2 = mA; x 1e6 = nA


@pytest.fixture(scope="module")
def hh_iv(hh):
    protocol = VoltageSteps(-65 * mV, np.arange(-70, 71, 10) * mV, pre=1 * ms, step=6 * ms,
                            post=0 * ms)
    return protocol, iv_curve(hh, protocol, "soma", 0.01 * Mohm, dt=DT, engine="numpy")


def test_hh_iv_curve_shape(hh_iv):
    protocol, iv = hh_iv
    levels = np.asarray(protocol.levels / mV)
    peak, steady = np.asarray(iv.peak / nA), np.asarray(iv.steady / nA)
    assert -20 <= levels[np.argmin(peak)] <= 0 and peak.min() < -5  # the Na+ peak, several nA
    assert np.all(np.diff(steady[levels >= -50]) > 0)  # the K+ current grows with V (the Na+
    # window current makes the steady I-V flat or falling just below, near -60 mV)
    assert steady[-1] > 10
    assert float(iv.reversal() / mV) == pytest.approx(50.0, abs=6)  # E_Na = 50 mV


def test_hh_clamp_currents_match_analytic_hh(hh, hh_iv):
    protocol, iv = hh_iv
    n0 = int(round(float(protocol.pre / DT)))
    t_ms = np.asarray(iv.t / ms)[n0 + 1:] - float(protocol.pre / ms) - float(DT / ms)
    worst = 0.0
    for k, level in enumerate(np.asarray(protocol.levels / mV)):
        expected = _hh_clamp_current(hh, level, -65.0, t_ms)
        got = np.asarray(iv.currents[k] / nA)[n0 + 1:]
        ok = t_ms >= 0.1  # past the capacitive transient
        scale = max(np.abs(expected[ok]).max(), 0.1)
        worst = max(worst, np.abs(got[ok] - expected[ok]).max() / scale)
    assert worst < 0.01


# -- standalone: waveforms are data -------------------------------------------------------------
def test_new_waveforms_reuse_the_standalone_binary(passive, tmp_path, monkeypatch):
    """Other amplitudes, waveform kinds and commands change only the TimedArray values: the
    second run reuses the first one's binary, and both equal the numpy engine."""
    monkeypatch.setenv("CABLEMODEL_CACHE", str(tmp_path))
    runs = [[WaveformClamp("soma", Step(20 * pA, 1 * ms, 5 * ms)),
             VoltageClamp("soma", -65 * mV, Step(5 * mV, 6 * ms, 8 * ms), 100 * Mohm)],
            [WaveformClamp("soma", Ramp(0 * pA, 30 * pA, 0 * ms, 9 * ms) + Noise(
                0 * pA, 5 * pA, 0 * ms, seed=2)),
             VoltageClamp("soma", -60 * mV, Sine(3 * mV, 200 * Hz, 2 * ms), 50 * Mohm)]]
    kw = dict(duration=10 * ms, dt=DT, record=["i_vclamp@soma@0"])
    compiled = []
    for clamps in runs:
        r = simulate(passive, [], clamps=clamps, engine="cpp_standalone", **kw)
        compiled.append(r.info["compiled"])
        ref = simulate(passive, [], clamps=clamps, engine="numpy", **kw)
        np.testing.assert_allclose(r.v_mV, ref.v_mV, atol=1e-6)
        np.testing.assert_allclose(np.asarray(r.trace("i_vclamp@soma@0") / pA),
                                   np.asarray(ref.trace("i_vclamp@soma@0") / pA), atol=1e-3)
    assert compiled == [True, False]
