# %% [markdown]
# # Lab 5: The action potential: threshold, all-or-none, refractory periods
#
# The stimulus is one synaptic event at the soma whose strength (peak conductance, nS) we vary.
# The cell is the ball-and-stick with Hodgkin and Huxley's squid-axon Na+ and K+ channels.
#
# **Learning goals**
#
# 1. Find the threshold stimulus and show that the spike is all-or-none.
# 2. Measure the absolute refractory period (no second spike at any strength) and the relative one
#    (a second spike needs a stronger stimulus).
# 3. Explain why these channels are simulated at 6.3 degC.
#
# **How to work.** Predict first, then measure and replace `None` by your answer.

# %%
from brian2 import ms, nS, um

from cablemodel import ball_and_stick, standard_cell
from cablemodel.experiments import all_or_none, refractory_periods
from cablemodel.labs import Lab

# SOLUTION
lab = Lab("Lab 5: the action potential", strict=True)  # instructor version: every check must pass
# STUDENT
# lab = Lab("Lab 5: the action potential")
# END SOLUTION
# short runs: no compiler needed; at 6.3 degC a 0.1 ms step gives the spike peak within 1 %
# of a 0.05 ms step, and the same thresholds
ENGINE = dict(engine="numpy", dt=0.1 * ms)
cell = standard_cell(ball_and_stick(max_compartment_length=20 * um))
print(f"temperature {cell.celsius} degC; spikes counted at the {cell.spike_site}")

# %% [markdown]
# ## All-or-none
#
# Four stimulus strengths, one trial each; the model records the peak at the hillock.

# %%
aon = all_or_none(cell, [1, 2, 4, 8] * nS, site="soma", period=40 * ms, **ENGINE)
for w, peak, n in zip(aon.weights_nS, aon.peaks_mV, aon.spikes):
    print(f"{w:4g} nS: peak {peak:6.1f} mV above rest, {n} spike(s)")
aon.plot();

# %% [markdown]
# ### Question 1
# What is the weakest of these stimuli that fires a spike (in nS)?

# %%
# SOLUTION
threshold_answer = aon.threshold_nS * nS
# STUDENT
# threshold_answer = None  # e.g. 3 * nS
# END SOLUTION
lab.check("threshold stimulus", threshold_answer, aon.threshold_nS * nS, unit=nS, rtol=0,
          hint="the first weight with 1 spike in the list")

# %% [markdown]
# ### Question 2
# **Predict**: the strongest stimulus (8 nS) is several times the threshold one. How many times
# larger is its spike? Compute the ratio of their peaks from `aon.peaks_mV`.

# %%
# SOLUTION
ratio_answer = aon.peaks_mV[-1] / aon.peaks_mV[aon.weights_nS.index(aon.threshold_nS)]
# STUDENT
# ratio_answer = None  # peak at 8 nS / peak at the threshold stimulus
# END SOLUTION
k_thr = aon.weights_nS.index(aon.threshold_nS)
lab.check("spike size, 8 nS vs threshold", ratio_answer,
          aon.peaks_mV[-1] / aon.peaks_mV[k_thr], rtol=0.02,
          hint="all-or-none: once the Na+ channels run away, the stimulus no longer sets the peak")

# %% [markdown]
# Below threshold the response grows with the stimulus (a graded potential); above it the spike's
# peak is set by the Na+ reversal potential and the channels' kinetics, not by the stimulus: the
# spike is **all-or-none**. A stronger stimulus makes it start *earlier*, not larger.
#
# ## Refractory periods
#
# A first, strong event (20 nS) fires a spike; a second event follows 3, 8 or 16 ms later. For each
# interval the model finds the weakest second stimulus (of 2 and 20 nS) that fires a second spike.
# **Predict** the pattern before you run it.

# %%
refr = refractory_periods(cell, [3, 8, 16] * ms, [2, 20] * nS, site="soma", **ENGINE)
print(f"threshold at rest: {refr.rest_threshold_nS} nS")
for i, thr in zip(refr.intervals_ms, refr.thresholds_nS):
    print(f"interval {i:4g} ms: second-spike threshold"
          f" {'none up to ' + str(refr.weights_nS[-1]) if thr is None else thr} nS")
refr.plot();

# %% [markdown]
# ### Question 3
# At the 3 ms interval, can any stimulus up to 20 nS fire a second spike? (`True` or `False`)

# %%
# SOLUTION
second_at_3ms = refr.thresholds_nS[0] is not None
# STUDENT
# second_at_3ms = None  # True or False
# END SOLUTION
lab.check("second spike 3 ms after the first", second_at_3ms, refr.thresholds_nS[0] is not None,
          hint="look at the first line of the list above")

# %% [markdown]
# ### Question 4
# What is the shortest of the three intervals at which a second spike is possible but needs a
# *stronger* stimulus than a cell at rest (the relative refractory period)? Give it in ms.

# %%
# SOLUTION
relative_answer = refr.relative_ms[0] * ms
# STUDENT
# relative_answer = None  # e.g. 5 * ms
# END SOLUTION
lab.check("relative refractory interval", relative_answer,
          refr.relative_ms[0] * ms, unit=ms, rtol=0,
          hint="a threshold above the resting threshold, but not 'none'")

# %% [markdown]
# **Why refractory?** During and after a spike the Na+ channels are inactivated (gate *h* closed)
# and K+ channels are open (gate *n*). Until *h* recovers no stimulus can open enough Na+
# channels: the **absolute** refractory period. While *h* recovers and *n* closes, a stronger
# stimulus is needed: the **relative** refractory period. Refractoriness is what keeps an action
# potential travelling in one direction (Lab 6).
#
# **Why 6.3 degC?** Hodgkin and Huxley measured these kinetics on the squid giant axon at 6.3
# degC; their rate constants are valid at that temperature. Warmer, every rate speeds up by
# $Q_{10} = 3$ per 10 degC (about 15 times at 37 degC): Na+ then inactivates almost as fast as it
# activates and the squid spike fails. Mammalian neurons have other channels, fast at 37 degC
# (see `cablemodel.mammalian_cell`).

# %% [markdown]
# ## Further tasks (no self-check)
#
# 1. Refine the threshold: run `all_or_none` with weights between the last subthreshold and the
#    first suprathreshold one.
# 2. Map the relative refractory period finely: intervals 4 to 20 ms, and more weights.

# %%
lab.summary();
