# %% [markdown]
# # Lab 7: The chemical synapse from calcium to clearance, and electrical synapses
#
# At a chemical synapse a presynaptic spike opens Ca2+ channels; the Ca2+ that enters triggers
# vesicle release with a steep, cooperative dependence on the extracellular [Ca2+]; the
# transmitter binds receptors until it is cleared from the cleft (reuptake, enzymes, diffusion).
# An electrical synapse (gap junction) instead lets current flow directly between two cells.
#
# **Learning goals**
#
# 1. Predict how release, and so the EPSP, scales with extracellular [Ca2+].
# 2. Relate the time course of an EPSP to the clearance of transmitter from the cleft.
# 3. Compare a chemical and an electrical synapse: delay and sign.
#
# **How to work.** Predict first, then measure and replace `None` by your answer.

# %%
import matplotlib.pyplot as plt
from brian2 import mM, ms, mV, nA, nS, um

from cablemodel import (CLEFTS, AMPA, Cell, Connection, CurrentClamp, GapJunction, Synapse,
                        Terminal, ampa, ball_and_stick, release_probability, simulate_circuit,
                        spike_times, standard_cell)
from cablemodel.analysis import psp_measures
from cablemodel.labs import Lab
from cablemodel.sweeps import Trial, run_trials

# SOLUTION
lab = Lab("Lab 7: synapses", strict=True)  # instructor version: every check must pass
# STUDENT
# lab = Lab("Lab 7: synapses")
# END SOLUTION
small = ball_and_stick(dendrite_length=300 * um, max_compartment_length=30 * um)
cell = Cell(small)  # passive: the EPSPs alone
glutamate = CLEFTS["glutamate"]
site = "basal@100"


def event(receptor):
    return Trial([Synapse(receptor, site, 1 * nS, spike_times([5] * ms))], receptor.name)


receptors = [Terminal(ampa(), ca_out=2 * mM, name="ampa_ca2"),
             Terminal(ampa(), ca_out=1 * mM, name="ampa_ca1"),
             ampa(cleft=glutamate, name="ampa_cleft"),
             ampa(cleft=glutamate.blocked("reuptake"), name="ampa_no_reuptake")]
trials = run_trials(cell, [event(r) for r in receptors], period=40 * ms, engine="numpy",
                    dt=0.1 * ms)
peaks = {t.label: float(trials.peak(k, site) / mV) for k, t in enumerate(trials.trials)}
print({name: round(p, 3) for name, p in peaks.items()}, "(mV from rest, at the synapse)")

# %% [markdown]
# ## Question 1: calcium and release
#
# The release probability of a rested terminal is $U = p_{max}\,[Ca]^n / ([Ca]^n + K^n)$ with
# cooperativity $n = 4$ (`release_probability`). **Predict** with it the ratio of the EPSP at
# 1 mM to that at 2 mM extracellular Ca2+ (the EPSP is small, so it is nearly proportional to
# the release).

# %%
# SOLUTION
ca_answer = float(release_probability(1 * mM) / release_probability(2 * mM))
# STUDENT
# ca_answer = None  # EPSP(1 mM) / EPSP(2 mM), from release_probability
# END SOLUTION
measured = peaks["ampa_ca1"] / peaks["ampa_ca2"]
print(f"measured EPSP ratio {measured:.3f}")
lab.check("EPSP ratio at half the calcium", ca_answer, measured, rtol=0.05,
          hint="release_probability(1 * mM) / release_probability(2 * mM): with n = 4 halving"
               " [Ca2+] cuts release by far more than half")

# %% [markdown]
# Four Ca2+ ions must bind the release machinery, so release rises with about the fourth power of
# [Ca2+] at low concentrations (Dodge and Rahamimoff). That is why lowering extracellular Ca2+
# (or adding Mg2+, which blocks Ca2+ channels) silences synapses.
#
# ## Question 2: clearance
#
# Glutamate leaves the cleft by reuptake, enzymes and diffusion, each with a rate (1/ms); the
# concentration decays with time constant $1/(k_{reuptake} + k_{enzyme} + k_{diffusion})$.
# **Predict** the time constant when transporters are blocked.

# %%
print({name: rate * ms for name, rate in glutamate.rates().items()}, "per ms")
# SOLUTION
tau_answer = 1 / (glutamate.k_enzyme + glutamate.k_diffusion)
# STUDENT
# tau_answer = None  # in ms, e.g. 2 * ms
# END SOLUTION
lab.check("cleft time constant, reuptake blocked", tau_answer,
          glutamate.blocked("reuptake").time_constant, unit=ms, rtol=0.01,
          hint="drop the reuptake rate from the sum of the rates")

# %% [markdown]
# ## Question 3: what clearance does to the EPSP
#
# **Predict**: with reuptake blocked, is the EPSP's half-width longer? (`True` or `False`.) The
# cell below measures both half-widths.

# %%
def half_width(label):
    k = [t.label for t in trials.trials].index(label)
    t, v = trials.trace(k, site)
    return psp_measures(t, v, cell.v_rest)["half_width"]


# SOLUTION
longer_answer = True
# STUDENT
# longer_answer = None  # True or False
# END SOLUTION
hw, hw_blocked = half_width("ampa_cleft"), half_width("ampa_no_reuptake")
print(f"half-width {hw / ms:.2f} ms, with reuptake blocked {hw_blocked / ms:.2f} ms")
lab.check("blocking reuptake prolongs the EPSP", longer_answer, bool(hw_blocked > hw),
          hint="transmitter that stays longer keeps the receptors open longer")

# %% [markdown]
# ## Chemical versus electrical synapse
#
# One presynaptic cell (Hodgkin-Huxley, stimulated at its soma) drives two passive cells (so that
# we see only what the synapse passes on): one through a chemical synapse (AMPA on the dendrite,
# 1 ms synaptic delay), one through a gap junction (5 nS, soma to soma). All three run in one
# simulation.

# %%
cells = {"pre": standard_cell(small), "chemical": Cell(small), "electrical": Cell(small)}
out = simulate_circuit(
    cells,
    connections=[Connection("pre", "chemical", AMPA, "basal@50", 3 * nS, 1 * ms)],
    gap_junctions=[GapJunction("soma", "soma", 5 * nS, "pre", "electrical")],
    clamps={"pre": [CurrentClamp("soma", 1 * nA, 2 * ms, 4 * ms)]},
    duration=20 * ms, dt=0.05 * ms, engine="numpy")
rest = cells["pre"].v_rest


def onset(name, rise=0.2 * mV):
    """First time the soma of `name` is `rise` above rest."""
    r = out[name]
    above = r.v("soma") > rest + rise
    return r.t[above.argmax()] if above.any() else None


for name in out:
    print(f"{name:10s}: soma leaves rest at {onset(name) / ms:.2f} ms,"
          f" lowest {(out[name].v('soma').min() - rest) / mV:+.2f} mV from rest")
plt.figure(figsize=(7, 3.5))
for name in out:
    plt.plot(out[name].t / ms, out[name].v("soma") / mV, label=name)
plt.ylim(-80, -50)
plt.xlabel("time (ms)")
plt.ylabel("soma V (mV)")
plt.legend();

# %% [markdown]
# ## Question 4: which synapse is faster?
#
# **Predict**: whose soma starts to depolarize first after the presynaptic cell is stimulated:
# `"electrical"` or `"chemical"`?

# %%
# SOLUTION
faster_answer = "electrical"
# STUDENT
# faster_answer = None  # "electrical" or "chemical"
# END SOLUTION
lab.check("the faster synapse", faster_answer,
          "electrical" if onset("electrical") < onset("chemical") else "chemical",
          hint="which one needs Ca2+ entry, vesicle fusion and diffusion across the cleft?")

# %% [markdown]
# ## Question 5: sign
#
# After its spike the presynaptic soma undershoots below rest. **Predict**: does the electrically
# coupled cell follow it below rest? (`True` or `False`.)

# %%
# SOLUTION
follows_answer = True
# STUDENT
# follows_answer = None  # True or False
# END SOLUTION
lab.check("gap junction passes the undershoot", follows_answer,
          bool(out["electrical"].v("soma").min() < rest - 0.05 * mV),
          hint="the current through a gap junction is g (V_pre - V_post), whatever its sign")

# %% [markdown]
# An electrical synapse passes any potential, depolarizing or hyperpolarizing, in both directions
# and without delay, but attenuated (only part of the current crosses the junction). A chemical
# synapse has a delay (Ca2+ entry, release, diffusion, binding), its sign is set by the receptor's
# reversal potential, it works in one direction and it can amplify: one spike releases enough
# transmitter to open many channels.

# %% [markdown]
# ## Further tasks (no self-check)
#
# 1. Plot the EPSP against [Ca2+]o from 0.5 to 4 mM: where does it saturate?
# 2. Stimulate the *electrically coupled* cell instead: does the presynaptic cell respond? Try the
#    same with the chemical synapse.

# %%
lab.summary();
