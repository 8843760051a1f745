# %% [markdown]
# # Lab 4: Hyperpolarizing versus shunting inhibition
#
# An inhibitory synapse opens channels (GABA_A: Cl-) whose reversal potential is near rest. If
# the reversal is below rest the synapse hyperpolarizes the cell (a visible IPSP). If it equals
# rest, opening the channels changes nothing at rest, yet it still inhibits: the open
# conductance **shunts** the current of any EPSP that arrives at the same time.
#
# **Learning goals**
#
# 1. Predict the IPSP of a synapse from its reversal potential and the resting potential.
# 2. Show that shunting inhibition vetoes an EPSP without a visible IPSP, and that it works best
#    *on the path* between the EPSP and the soma.
# 3. Show that excitation and inhibition do not add linearly.
#
# **How to work.** Predict first, then measure and replace `None` by your answer.

# %%
from brian2 import ms, mV, nS, um

from cablemodel import GABA_A, Cell, ball_and_stick
from cablemodel.experiments import shunting_inhibition, shunting_receptor
from cablemodel.labs import Lab

# SOLUTION
lab = Lab("Lab 4: inhibition", strict=True)  # instructor version: every check must pass
# STUDENT
# lab = Lab("Lab 4: inhibition")
# END SOLUTION
ENGINE = dict(engine="numpy", dt=0.1 * ms)  # a passive cell: short runs, no compiler needed
cell = Cell(ball_and_stick(max_compartment_length=20 * um))
shunt = shunting_receptor(cell)
print(f"rest {cell.v_rest / mV:.0f} mV; shunting receptor reverses at {shunt.reversal / mV:.0f} mV,"
      f" GABA_A at {GABA_A.reversal / mV:.0f} mV")

# %% [markdown]
# The experiment: an EPSP (AMPA, 2 nS) at 300 um; an inhibitory synapse (20 nS, starting 1 ms
# earlier) either **on the path** (100 um, between the EPSP and the soma) or **off the path**
# (500 um, beyond the EPSP). Four trials: EPSP alone, IPSP alone, both on path, both off path;
# all peaks are measured at the soma, from rest.
#
# ## Question 1: the IPSP of a shunting synapse
#
# **Predict** the somatic IPSP (in mV from rest) of the inhibitory synapse alone when its
# reversal equals the resting potential.

# %%
# SOLUTION
ipsp_answer = 0 * mV
# STUDENT
# ipsp_answer = None  # in mV from rest
# END SOLUTION
shunting = shunting_inhibition(cell, shunt, period=40 * ms, **ENGINE)
print(f"EPSP alone {shunting.epsp_mV:.3f} mV, IPSP alone {shunting.ipsp_mV:.4f} mV")
lab.check("shunting IPSP alone", ipsp_answer, shunting.ipsp_mV * mV, unit=mV, atol=0.05,
          hint="the driving force of a synapse is V - E_rev; what is it at rest?")

# %% [markdown]
# ## Question 2: on the path or off it?
#
# **Predict** where the shunt vetoes the EPSP more: `"on path"` or `"off path"`?

# %%
# SOLUTION
where_answer = "on path"
# STUDENT
# where_answer = None  # "on path" or "off path"
# END SOLUTION
print(f"veto: {shunting.veto_on_path:.0%} on path, {shunting.veto_off_path:.0%} off path")
lab.check("where shunting works best", where_answer,
          "on path" if shunting.veto_on_path > shunting.veto_off_path else "off path",
          hint="the shunt drains current that flows past it on the way to the soma")
shunting.plot();

# %% [markdown]
# A shunt is a hole in the cable: current from the EPSP that flows past it leaks out before it
# reaches the soma. Off the path, beyond the EPSP, little of the EPSP's current passes it, so it
# vetoes less. This is why inhibitory synapses that must veto distal excitation sit on the
# proximal dendrite and the soma.
#
# ## Question 3: hyperpolarizing inhibition
#
# Now the same synapse with GABA_A's reversal (-75 mV, below rest). **Predict** the sign of its
# IPSP alone at the soma: `"negative"` or `"positive"`?

# %%
# SOLUTION
sign_answer = "negative"
# STUDENT
# sign_answer = None  # "negative" or "positive"
# END SOLUTION
hyper = shunting_inhibition(cell, GABA_A, period=60 * ms, **ENGINE)  # a slower decay
print(f"GABA_A IPSP alone {hyper.ipsp_mV:.3f} mV; EPSP alone {hyper.epsp_mV:.3f} mV; together"
      f" {hyper.on_path_mV:.3f} mV on path, {hyper.off_path_mV:.3f} mV off path (peaks from rest)")
lab.check("sign of the GABA_A IPSP", sign_answer,
          "negative" if hyper.ipsp_mV < 0 else "positive",
          hint="current flows so as to bring V towards the reversal potential")

# %% [markdown]
# ## Question 4: excitation and inhibition do not simply add
#
# If potentials added linearly, the EPSP with the shunt on the path would peak at *EPSP alone +
# IPSP alone* (which is just the EPSP alone, since the shunt's IPSP is 0). **Predict**: is the
# measured peak smaller than this linear sum? (`True` or `False`.)

# %%
linear_sum = shunting.epsp_mV + shunting.ipsp_mV
# SOLUTION
sublinear_answer = bool(shunting.on_path_mV < linear_sum)
# STUDENT
# sublinear_answer = None  # True or False
# END SOLUTION
print(f"measured {shunting.on_path_mV:.3f} mV, linear sum {linear_sum:.3f} mV"
      f" ({shunting.on_path_mV / linear_sum:.0%} of it)")
lab.check("E + I is sublinear", sublinear_answer, bool(shunting.on_path_mV < linear_sum),
          hint="compare shunting.on_path_mV with linear_sum")

# %% [markdown]
# A synapse is a conductance, not a current source: its current $g\,(V - E_{rev})$ depends on the
# potential, and an open conductance lowers the input resistance for every other input. So
# inhibition **divides** excitation rather than subtracting from it: the shunt's effect is
# invisible alone yet large on the EPSP. The hyperpolarizing synapse both subtracts (its IPSP)
# and divides (its conductance).

# %% [markdown]
# ## Further tasks (no self-check)
#
# 1. Move the inhibitory synapse to the soma (`on_path="soma"`): does the veto grow?
# 2. Make the inhibition arrive 3 ms *after* the EPSP (`lead=-3 * ms`): does the shunt still
#    veto? A shunt only acts while its conductance is open.

# %%
lab.summary();
