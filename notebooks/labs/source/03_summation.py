# %% [markdown]
# # Lab 3: Summation at the axon hillock
#
# One EPSP rarely fires a neuron. The hillock (where the axon starts, with the highest density
# of Na+ channels) fires when EPSPs add up: many synapses at once (**spatial summation**) or one
# synapse several times in quick succession (**temporal summation**).
#
# **Learning goals**
#
# 1. Measure how many simultaneous EPSPs it takes to fire the cell, and how far above rest the
#    hillock must be pushed.
# 2. Relate the longest interval that still sums to threshold to the membrane time constant.
# 3. Explain the small undershoot after a subthreshold EPSP at the hillock.
#
# **How to work.** Predict first (write it down), then measure and replace `None` by your answer.

# %%
import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, mV, nS, um

from cablemodel import ball_and_stick, standard_cell
from cablemodel.experiments import spatial_summation, temporal_summation
from cablemodel.labs import Lab, slider

# SOLUTION
lab = Lab("Lab 3: summation at the hillock", strict=True)  # instructor version: every check must pass
# STUDENT
# lab = Lab("Lab 3: summation at the hillock")
# END SOLUTION
ENGINE = dict(engine="numpy", dt=0.05 * ms)  # short runs: no compiler needed
# Ball-and-stick with Hodgkin-Huxley Na+/K+ on soma, hillock and axon; a passive dendrite.
cell = standard_cell(ball_and_stick(max_compartment_length=20 * um))
tau_m = cell.membrane().Cm[0] / cell.membrane().g_leak[0]
print(f"spikes are counted at the {cell.spike_site}; membrane time constant {tau_m / ms:.2f} ms")

# %% [markdown]
# ## Spatial summation
#
# Trial *n* activates *n* synapses (1 nS each) at once, spread evenly from 50 to 300 um along the
# dendrite. **Predict** how many it takes to fire the cell; then run the cell.

# %%
spatial = spatial_summation(cell, n_max=5, near=50 * um, far=300 * um, period=40 * ms, **ENGINE)
volleys = spatial.trials
hillock = [float(volleys.peak(k, cell.spike_site) / mV) for k in range(len(volleys))]
for k, (peak, n_spikes) in enumerate(zip(hillock, spatial.spikes)):
    print(f"{k + 1} EPSPs: hillock peak {peak:6.2f} mV above rest, {n_spikes} spike(s)")

# %% [markdown]
# ### Question 1
# How many simultaneous EPSPs does it take to fire the cell?

# %%
# SOLUTION
n_answer = spatial.n_to_fire
# STUDENT
# n_answer = None  # the smallest number of EPSPs that fires
# END SOLUTION
lab.check("EPSPs needed to fire", n_answer, spatial.n_to_fire, rtol=0,
          hint="the first volley with a spike; the list above counts from 1 EPSP")

# %% [markdown]
# ### Question 2
# The hillock's threshold lies between the largest peak that did *not* fire and the first that
# did. Give the largest subthreshold hillock peak (in mV above rest).

# %%
# SOLUTION
subthreshold_answer = hillock[spatial.n_to_fire - 2] * mV
# STUDENT
# subthreshold_answer = None  # in mV above rest, e.g. 4.2 * mV
# END SOLUTION
lab.check("largest subthreshold depolarization", subthreshold_answer,
          volleys.peak(spatial.n_to_fire - 2, cell.spike_site), unit=mV, rtol=0.03,
          hint="the peak of the volley with one EPSP fewer than the one that fired")

# %% [markdown]
# Threshold is a few millivolts above rest: there Na+ channels open faster than K+ channels can
# oppose them, and the depolarization runs away into a spike. Once it fires, the spike's peak no
# longer depends on how many EPSPs triggered it (look at the list): Lab 5.
#
# ## Temporal summation
#
# Now one synapse (2 nS, 100 um out) receives a train of five presynaptic spikes; each trial uses
# another interval between them. **Predict** the longest interval that still fires the cell,
# compared with the membrane time constant printed above.

# %%
intervals = [1, 2, 4] * ms
temporal = temporal_summation(cell, site="basal@100", weight=2 * nS, n_spikes=5,
                              intervals=intervals, period=60 * ms, **ENGINE)
print("fires:", dict(zip(temporal.intervals_ms, temporal.fires)))

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
colours = plt.cm.viridis(np.linspace(0, 0.9, len(intervals)))
for k, colour in enumerate(colours):
    t, v = temporal.trials.trace(k, cell.spike_site)
    ax.plot(t / ms, v / mV, color=colour, label=f"{temporal.intervals_ms[k]:g}")
ax.set_xlim(0, 50)
ax.set_xlabel("time in trial (ms)")
ax.set_ylabel(f"{cell.spike_site} V (mV)")
ax.legend(title="interval (ms)", fontsize=8);

# %% [markdown]
# ### Question 3
# What is the longest of these intervals at which the train still fires the cell (in ms)?

# %%
# SOLUTION
interval_answer = temporal.max_interval_ms * ms
# STUDENT
# interval_answer = None  # e.g. 3 * ms
# END SOLUTION
lab.check("longest interval that fires", interval_answer, temporal.max_interval_ms * ms,
          unit=ms, rtol=0, hint="look at the `fires` list: the largest interval marked True")

# %% [markdown]
# Each EPSP decays with about the membrane time constant; if the next one comes much later, the
# previous one has gone and nothing adds up. Temporal summation works for intervals up to about
# $\tau_m$ (here a few ms; dendritic EPSPs at the soma last longer than $\tau_m$, Lab 2).
#
# ## Question 4: the undershoot after a subthreshold EPSP
#
# Look at the hillock after the single EPSP (trial 1 of the spatial summation). **Predict**: does
# it dip *below* rest after the EPSP? (`True` or `False`.) Then compute the minimum of
# `volleys.trace(0, cell.spike_site)` and compare it with `cell.v_rest`.

# %%
t1, v1 = volleys.trace(0, cell.spike_site)
# SOLUTION
undershoot_answer = bool(v1.min() < cell.v_rest)
# STUDENT
# undershoot_answer = None  # True or False
# END SOLUTION
print(f"minimum after the EPSP: {(v1.min() - cell.v_rest) / mV:+.2f} mV from rest")
lab.check("undershoot below rest", undershoot_answer, bool(v1.min() < cell.v_rest),
          hint="compare v1.min() with cell.v_rest")

# %% [markdown]
# **Why an undershoot?** The Hodgkin-Huxley membrane is not a plain RC circuit: a depolarization
# slowly opens K+ channels (gate *n*) and closes Na+ channels (gate *h*). When the EPSP has passed
# those gates are still shifted, so for a few ms less inward and more outward current flows than at
# rest and the potential dips below it before recovering. This **resonance** makes the HH membrane
# respond best to inputs at a preferred frequency. It is a property of the channels, not of the
# synapse: a passive cell (Lab 1) shows no undershoot.
#
# ## Explore (interactive only)
#
# Change the interval and the weight of the train and see when the cell fires.

# %%
def show_train(interval_ms=3.0, weight_nS=2.0):
    out = temporal_summation(cell, site="basal@100", weight=weight_nS * nS, n_spikes=5,
                             intervals=[interval_ms] * ms, period=100 * ms, **ENGINE)
    t, v = out.trials.trace(0, cell.spike_site)
    plt.figure(figsize=(5, 3))
    plt.plot(t / ms, v / mV)
    plt.title(f"{'fires' if out.fires[0] else 'no spike'}")
    plt.xlabel("time (ms)")
    plt.ylabel(f"{cell.spike_site} V (mV)")
    plt.show()


slider(show_train, interval_ms=(0.5, 10.0, 0.5, 3.0), weight_nS=(0.5, 5.0, 0.5, 2.0))

# %% [markdown]
# ## Further tasks (no self-check)
#
# 1. Put all the synapses of the volley close to the soma (`far=100 * um`): do fewer suffice?
# 2. Temporal summation with ten spikes instead of five (`n_spikes=10`): does the longest firing
#    interval grow?

# %%
lab.summary();
