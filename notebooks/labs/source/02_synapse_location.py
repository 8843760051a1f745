# %% [markdown]
# # Lab 2: Where the synapse sits
#
# The same synapse gives a very different signal depending on where it sits on the dendrite.
# Here one AMPA synapse (1 nS) is placed, one trial at a time, at increasing distances from the
# soma of a passive ball-and-stick cell; the model records the EPSP at the synapse itself and at
# the soma.
#
# **Learning goals**
#
# 1. Explain why a distal EPSP is *larger* where it is made yet *smaller* at the soma.
# 2. Measure the attenuation of an EPSP from its site to the soma.
# 3. See that a distal EPSP arrives later and broader at the soma (cable filtering).
#
# **How to work.** Predict first (write it down), then run the measurement and replace `None` by
# your answer; `lab.check(...)` compares it with the model and gives a hint.

# %%
import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, mV, nS, um

from cablemodel import AMPA, Cell, Synapse, ball_and_stick, simulate, spike_times
from cablemodel.experiments import attenuation
from cablemodel.labs import Lab, slider

# SOLUTION
lab = Lab("Lab 2: where the synapse sits", strict=True)  # instructor version: every check must pass
# STUDENT
# lab = Lab("Lab 2: where the synapse sits")
# END SOLUTION
ENGINE = dict(engine="numpy", dt=0.1 * ms)  # a passive cell: short runs, no compiler needed
cell = Cell(ball_and_stick(max_compartment_length=20 * um))

distances = [50, 300, 600, 900] * um
rows, trials = attenuation(cell, distances, weight=1 * nS, period=40 * ms, **ENGINE)
print(" distance   at the synapse   at the soma")
for r in rows:
    print(f"{r['distance_um']:6.0f} um   {r['local_peak_mV']:8.2f} mV     {r['soma_peak_mV']:7.3f} mV")

# %% [markdown]
# ## Question 1: the local EPSP
#
# **Predict**: compared with the synapse at 50 um, is the EPSP *at the synapse* at 900 um
# `"larger"` or `"smaller"`? Then look at the table.

# %%
# SOLUTION
local_answer = "larger"
# STUDENT
# local_answer = None  # "larger" or "smaller"
# END SOLUTION
lab.check("local EPSP far vs near", local_answer,
          "larger" if rows[-1]["local_peak_mV"] > rows[0]["local_peak_mV"] else "smaller",
          hint="the same synaptic current flows into a thin, distant cable far from the soma's"
               " large membrane: what is the input resistance there?")

# %% [markdown]
# Near the soma, the synaptic current leaks into the soma's large membrane and into the dendrite
# on both sides; far out, the thin dendrite is the only path, so the **input resistance** (and the
# local EPSP) is larger. Near a sealed tip it rises further: the current cannot leave at the end.
#
# ## Question 2: attenuation to the soma
#
# The **attenuation factor** is the local EPSP peak divided by the somatic EPSP peak. Compute it
# for the synapse at 600 um from `rows` (the third row).

# %%
# SOLUTION
attenuation_answer = rows[2]["local_peak_mV"] / rows[2]["soma_peak_mV"]
# STUDENT
# attenuation_answer = None  # local peak / soma peak for the synapse at 600 um
# END SOLUTION
k = 2
local_peak = trials.peak(k, str(trials.trials[k].synapses[0].site))
lab.check("attenuation factor at 600 um", attenuation_answer,
          float(local_peak / trials.peak(k, "soma")), rtol=0.02,
          hint="rows[2]['local_peak_mV'] / rows[2]['soma_peak_mV']")

# %% [markdown]
# The factor is far larger than $e^{x/\lambda}$ of the steady state (Lab 1): a brief EPSP fades
# faster than a steady voltage, and the local peak is larger as well.
#
# ## Question 3: timing at the soma
#
# **Predict**: does the somatic EPSP of the synapse at 900 um peak `"earlier"` or `"later"`
# (from the presynaptic spike) than that of the synapse at 50 um? Measure both times to peak
# with `trials.trace(k, "soma")`, which gives the time and voltage of trial `k` at the soma.

# %%
def soma_time_to_peak(k):
    t, v = trials.trace(k, "soma")
    return t[np.argmax(v)]


# SOLUTION
timing_answer = "later" if soma_time_to_peak(3) > soma_time_to_peak(0) else "earlier"
# STUDENT
# timing_answer = None  # "earlier" or "later"
# END SOLUTION
t_near, t_far = soma_time_to_peak(0), soma_time_to_peak(3)
print(f"soma time to peak: {t_near / ms:.1f} ms (50 um), {t_far / ms:.1f} ms (900 um),"
      " counted from the trial start (the spike arrives at 5 ms)")
lab.check("somatic EPSP timing", timing_answer, "later" if t_far > t_near else "earlier",
          hint="charge must spread along the cable, charging its capacitance on the way")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for k, d in enumerate(distances):
    t, v = trials.trace(k, "soma")
    ax.plot(t / ms, v / mV, label=f"synapse at {d / um:g} um")
ax.set_xlabel("time in trial (ms)")
ax.set_ylabel("soma V (mV)")
ax.legend(fontsize=8);

# %% [markdown]
# The cable is a low-pass filter: a distal EPSP reaches the soma smaller, later and broader. The
# broad somatic EPSPs of distal synapses last longer, which helps them to add up in time (Lab 3).
#
# ## Explore (interactive only)
#
# Move the synapse along the dendrite and watch both traces.

# %%
def show_site(distance_um=300):
    site = f"basal@{distance_um}"
    r = simulate(cell, [Synapse(AMPA, site, 1 * nS, spike_times([5] * ms))], duration=40 * ms,
                 **ENGINE)
    plt.figure(figsize=(5, 3))
    plt.plot(r.t / ms, r.v(site) / mV, label="at the synapse")
    plt.plot(r.t / ms, r.v("soma") / mV, label="at the soma")
    plt.xlabel("time (ms)")
    plt.ylabel("V (mV)")
    plt.legend()
    plt.show()


slider(show_site, distance_um=(50, 1400, 50, 300))

# %% [markdown]
# ## Further tasks (no self-check)
#
# 1. How large must the weight of the synapse at 600 um be for its somatic EPSP to match the one
#    at 50 um? Try the attenuation factor as a first guess; why is it not quite enough?
# 2. Repeat on a thicker dendrite (`ball_and_stick(dendrite_diameter=2 * um)`).

# %%
lab.summary();
