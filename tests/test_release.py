"""Presynaptic terminal: Ca2+ dependence, Tsodyks-Markram short-term plasticity, quantal release,
plasticity hooks."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import mM, ms, mV, nS, um

from cablemodel import (
    AMPA,
    Cell,
    Morphology,
    Section,
    Synapse,
    ball_and_stick,
    regular_train,
    simulate,
    spike_times,
)
from cablemodel.mechanisms.receptors import GLUTAMATE, ampa, gaba_b
from cablemodel.mechanisms.release import Terminal, release_probability, tsodyks_markram


def soma_cell() -> Cell:
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 20.0]]))
    return Cell(Morphology((soma,)), spike_site="soma")


@pytest.fixture(scope="module")
def stick():
    return Cell(ball_and_stick(dendrite_length=300 * um))


# ---------------------------------------------------------------------------- numbers


def test_tsodyks_markram_recursion_by_hand():
    # depressing: u = U always; x recovers from 1 - U with tau_rec
    U, trec = 0.5, 800.0
    x2 = 1 - U * np.exp(-50 / trec)
    assert np.allclose(tsodyks_markram([0, 50] * ms, U, trec * ms, 0 * ms), [U, U * x2], rtol=1e-14)
    # facilitating, no depression: u2 = U + U e^{-dt/tau_f} (1 - U)
    U, tf = 0.1, 500.0
    u2 = U * np.exp(-20 / tf) + U * (1 - U * np.exp(-20 / tf))
    assert np.allclose(tsodyks_markram([0, 20] * ms, U, 0 * ms, tf * ms), [U, u2], rtol=1e-14)
    # both: third spike by hand
    U, trec, tf, dt = 0.3, 200.0, 300.0, 25.0
    u, y, rel = 0.0, 0.0, []
    for k in range(3):
        if k:
            u, y = u * np.exp(-dt / tf), y * np.exp(-dt / trec)
        u = u + U * (1 - u)
        rel.append(u * (1 - y))
        y += rel[-1]
    assert np.allclose(tsodyks_markram([0, 25, 50] * ms, U, trec * ms, tf * ms), rel, rtol=1e-14)
    # no plasticity at all: every spike releases U
    assert np.allclose(tsodyks_markram(regular_train(0 * ms, 5 * ms, 6), 0.4, 0 * ms, 0 * ms), 0.4)


def test_steady_state_of_a_depressing_train():
    """Long regular train: the release converges to the fixed point
    U (1 - E) / (1 - (1 - U) E), E = exp(-T/tau_rec)."""
    U, trec, T = 0.6, 500.0, 20.0
    rel = tsodyks_markram(regular_train(0 * ms, T * ms, 200), U, trec * ms, 0 * ms)
    E = np.exp(-T / trec)
    assert rel[-1] == pytest.approx(U * (1 - E) / (1 - (1 - U) * E), rel=1e-9)


def test_release_probability_is_cooperative_in_calcium():
    assert float(release_probability(0 * mM)) == 0.0
    p = float(release_probability(2 * mM, p_max=0.6, k_ca=1.5 * mM, n_ca=4))
    assert p == pytest.approx(0.6 * 16 / (16 + 1.5**4), rel=1e-12)
    assert float(release_probability(1.5 * mM, p_max=0.6)) == pytest.approx(0.3, rel=1e-12)
    # Dodge-Rahamimoff: at low [Ca2+]o, release ~ [Ca2+]o^4 (log-log slope ~ 4)
    lo, hi = (float(release_probability(c * mM)) for c in (0.1, 0.2))
    assert np.log(hi / lo) / np.log(2) == pytest.approx(4.0, abs=0.02)
    t = Terminal(AMPA, p_max=0.6, ca_out=2 * mM)
    assert t.U == pytest.approx(p, rel=1e-12)


# ---------------------------------------------------------------------------- simulations


def first_peaks(result, starts, window=50 * ms) -> list[float]:
    return [float(result.peak("soma", s, s + window) / mV) for s in starts]


@pytest.mark.parametrize("rec", [AMPA, ampa(cleft=GLUTAMATE)], ids=["ampa", "ampa_cleft"])
def test_no_extracellular_calcium_no_release(stick, rec):
    spikes = spike_times([2, 12, 22] * ms)
    zero = simulate(stick, [Synapse(Terminal(rec, ca_out=0 * mM), "basal@50", 5 * nS, spikes)],
                    duration=40 * ms, engine="numpy")
    silent = simulate(stick, [], duration=40 * ms, record=["basal@50"], engine="numpy")
    assert zero.labels == silent.labels
    assert np.array_equal(zero.v_mV, silent.v_mV)  # bit for bit the run without any synapse
    assert np.abs(zero.v_mV + 65.0).max() < 1e-5   # (the solver's round-off at rest)
    normal = simulate(stick, [Synapse(Terminal(rec, ca_out=2 * mM), "basal@50", 5 * nS, spikes)],
                      duration=40 * ms, engine="numpy")
    assert float(normal.peak("soma") / mV) > 0.5


@pytest.fixture(scope="module")
def paired(stick):
    """Two spikes 50 ms apart through a depressing and a facilitating terminal (small weights: the
    passive cell answers nearly linearly); also the depressing one at half release probability."""
    spikes = spike_times([5, 55] * ms)
    terms = {"depressing": Terminal(AMPA, p_max=0.8, tau_rec=800 * ms, tau_facil=0 * ms),
             "facilitating": Terminal(AMPA, p_max=0.12, tau_rec=50 * ms, tau_facil=500 * ms)}
    out = {}
    for key, term in terms.items():
        r = simulate(stick, [Synapse(term, "soma", 0.1 * nS, spikes)], duration=105 * ms,
                     engine="numpy")
        out[key] = (term, first_peaks(r, spikes))
    half = Synapse(terms["depressing"], "soma", 0.1 * nS, spikes, params={"p_scale": 0.5})
    out["half"] = (terms["depressing"], first_peaks(simulate(stick, [half], duration=105 * ms,
                                                             engine="numpy"), spikes))
    return out


@pytest.mark.parametrize("kind, expected_ppr", [("depressing", 0.43), ("facilitating", 1.76)])
def test_paired_pulse_ratio_matches_the_tsodyks_markram_recursion(paired, kind, expected_ppr):
    term, peaks = paired[kind]
    rel = term.mean_release([5, 55] * ms)
    assert rel[1] / rel[0] == pytest.approx(expected_ppr, abs=0.01)
    assert peaks[1] / peaks[0] == pytest.approx(rel[1] / rel[0], rel=0.05)
    assert (peaks[1] < peaks[0]) if kind == "depressing" else (peaks[1] > peaks[0])


def test_first_psps_scale_with_release_probability(paired):
    """Linear regime: first-PSP peaks are in the ratio of the U's (weight = whole-pool release)."""
    (dep, p_dep), (fac, p_fac) = paired["depressing"], paired["facilitating"]
    assert p_dep[0] / p_fac[0] == pytest.approx(dep.U / fac.U, rel=0.01)


def test_release_probability_scale_is_a_per_synapse_plasticity_hook(paired):
    term, full = paired["depressing"]
    _, half = paired["half"]
    assert half[0] / full[0] == pytest.approx(0.5, rel=0.01)
    rel = term.mean_release([5, 55] * ms, p_scale=0.5)   # less depletion: larger PPR
    assert half[1] / half[0] == pytest.approx(rel[1] / rel[0], rel=0.05)
    assert half[1] / half[0] > full[1] / full[0]


@pytest.fixture(scope="module")
def quantal_runs():
    """20 spikes through a quantal terminal (5 sites, no depression/facilitation), three seeds,
    and the response to one quantum (weight / 5 of the bare receptor)."""
    cell = soma_cell()
    spikes = regular_train(5 * ms, 25 * ms, 20)
    term = Terminal(AMPA, p_max=0.6, tau_rec=0 * ms, n_sites=5, quantal=True)
    syn = Synapse(term, "soma", 0.25 * nS, spikes)
    runs = {seed: simulate(cell, [syn], duration=505 * ms, dt=0.1 * ms, engine="numpy", seed=s)
            for seed, s in (("a", 11), ("a_again", 11), ("b", 12))}
    one = simulate(cell, [Synapse(AMPA, "soma", 0.05 * nS, spike_times([5] * ms))], duration=25 * ms,
                   dt=0.1 * ms, engine="numpy")
    return term, spikes, runs, float(one.peak("soma") / mV)


def test_quantal_release_is_in_whole_quanta_and_reproducible(quantal_runs):
    term, spikes, runs, quantum = quantal_runs
    counts = {k: np.array(first_peaks(r, spikes, 25 * ms)) / quantum for k, r in runs.items()}
    k = np.round(counts["a"])
    assert np.allclose(counts["a"], k, atol=0.05)           # whole numbers of quanta
    assert k.min() >= 0 and k.max() <= 5 and len(set(k)) > 2  # binomial(5, U) spread
    assert np.array_equal(runs["a"].v_mV, runs["a_again"].v_mV)   # same seed, same quanta
    assert not np.array_equal(runs["a"].v_mV, runs["b"].v_mV)
    both = np.concatenate([np.round(counts["a"]), np.round(counts["b"])])
    # mean 5 U = 2.28 quanta per spike; 40 spikes: standard error 0.17
    assert both.mean() == pytest.approx(5 * term.U, abs=0.6)


def test_terminal_wraps_a_metabotropic_receptor_and_can_be_renamed():
    """A renamed terminal and the bare receptor in one run; with no Ca2+ only the bare one acts."""
    cell = soma_cell()
    quiet = Terminal(gaba_b(), ca_out=0 * mM, name="gaba_b_term")
    syns = [Synapse(quiet, "soma", 1 * nS, spike_times([2] * ms))]
    r0 = simulate(cell, syns, duration=200 * ms, dt=0.25 * ms, engine="numpy")
    silent = simulate(cell, [], duration=200 * ms, dt=0.25 * ms, engine="numpy")
    assert np.array_equal(r0.v_mV, silent.v_mV)
    bare = Synapse(gaba_b(), "soma", 0.1 * nS, spike_times([2] * ms))
    r1 = simulate(cell, [*syns, bare], duration=200 * ms, dt=0.25 * ms, engine="numpy")
    r2 = simulate(cell, [bare], duration=200 * ms, dt=0.25 * ms, engine="numpy")
    assert np.allclose(r1.v_mV, r2.v_mV, rtol=0, atol=1e-9) and float(r2.peak("soma") / mV) < -0.3


def test_bad_terminal_input():
    from cablemodel import Receptor

    with pytest.raises(ValueError, match="p_max"):
        Terminal(AMPA, p_max=1.5)
    with pytest.raises(ValueError, match=">= 0 mM"):
        Terminal(AMPA, ca_out=-1 * mM)
    with pytest.raises(ValueError, match="_pre"):
        Terminal(AMPA, name="ampa_pre")
    with pytest.raises(ValueError, match="n_sites"):
        Terminal(AMPA, n_sites=0)
    with pytest.raises(ValueError, match="tau_rec"):
        Terminal(AMPA, tau_rec=-1 * ms)

    class Resetting(Receptor):
        def on_pre(self):
            return "B = 1"

    with pytest.raises(ValueError, match="increments"):
        Terminal(Resetting("odd", 0 * mV, 0 * ms, 2 * ms))
    with pytest.raises(ValueError, match="p_scale"):
        Synapse(Terminal(AMPA), "soma", 1 * nS, spike_times([1] * ms), params={"q_scale": 2})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        tsodyks_markram([0, 1] * ms, 1.2, 1 * ms, 1 * ms)
