# %% [markdown]
# # Lab 6: Propagation and myelin
#
# An action potential travels along the axon without getting smaller, while a subthreshold
# potential fades like any signal on a passive cable. Myelin makes the spike travel faster by
# letting it jump from node to node.
#
# Three fibres, 1 um thick: an unmyelinated Hodgkin-Huxley axon given a strong current pulse at
# its start (it fires), the same axon given a weak pulse (it does not; both run in one
# simulation), and a myelinated axon (nodes of Ranvier every 101 um) given a strong pulse. Squid kinetics at 18.5
# degC, the temperature of Hodgkin and Huxley's propagated action potential.
#
# **Learning goals**
#
# 1. Show that the action potential keeps its amplitude along the axon while a subthreshold
#    potential decays.
# 2. Measure the conduction velocity and compare it with Hodgkin and Huxley's.
# 3. Measure how much faster the myelinated axon conducts.
#
# **How to work.** Predict first, then measure and replace `None` by your answer.

# %%
import matplotlib.pyplot as plt
import numpy as np
from brian2 import meter, ms, mV, nA, second, um, us

from cablemodel import (CurrentClamp, axon_fibre, conduction_velocity, lamellae, myelinate,
                        myelinated_cell, simulate, simulate_circuit, unmyelinated_cell)
from cablemodel.labs import Lab

# SOLUTION
lab = Lab("Lab 6: propagation and myelin", strict=True)  # instructor version: every check must pass
# STUDENT
# lab = Lab("Lab 6: propagation and myelin")
# END SOLUTION
DIAMETER = 1 * um
plain = unmyelinated_cell(axon_fibre(DIAMETER, 1200 * um))
myelinated = myelinated_cell(myelinate(axon_fibre(DIAMETER, 20 * 101 * um)), lamellae(DIAMETER))
sites = [f"axon@{x}" for x in (200, 400, 600, 800, 1000)]
nodes = [f"node@{101 * k + 0.5}" for k in (5, 10, 15)]  # nodes 5, 10 and 15

runs = simulate_circuit(
    {"strong": plain, "weak": plain},
    clamps={"strong": [CurrentClamp("soma", 2 * nA, 0.2 * ms, 0.4 * ms)],
            "weak": [CurrentClamp("soma", 0.05 * nA, 0.2 * ms, 0.4 * ms)]},
    record={"strong": sites, "weak": sites}, duration=2.2 * ms, dt=20 * us, engine="numpy")
strong, weak = runs["strong"], runs["weak"]
x = [float(strong.distance(s) / um) for s in sites]
ap = [float(strong.peak(s) / mV) for s in sites]
sub = [float(weak.peak(s) / mV) for s in sites]
for xi, a, b in zip(x, ap, sub):
    print(f"{xi:6.0f} um: spike {a:6.1f} mV, weak pulse {b:7.4f} mV above rest")

fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
ax.semilogy(x, np.array(ap) / ap[0], "o-", label="action potential")
ax.semilogy(x, np.array(sub) / sub[0], "s-", label="subthreshold potential")
ax.set_xlabel("distance along the axon (um)")
ax.set_ylabel("amplitude / amplitude at 200 um")
ax.legend(fontsize=8);

# %% [markdown]
# ## Question 1: does the spike shrink?
#
# **Predict** the ratio of the spike's amplitude at 1000 um to that at 200 um.

# %%
# SOLUTION
ap_ratio_answer = 1.0
# STUDENT
# ap_ratio_answer = None  # amplitude at 1000 um / amplitude at 200 um
# END SOLUTION
lab.check("spike amplitude ratio 1000 um / 200 um", ap_ratio_answer, ap[-1] / ap[0], rtol=0.05,
          hint="each patch of axon regenerates the spike with its own Na+ channels")

# %% [markdown]
# ## Question 2: the subthreshold potential
#
# **Predict**: over the same 800 um, does the subthreshold potential fall by more or less than a
# factor 10? Answer `"more"` or `"less"`.

# %%
# SOLUTION
sub_answer = "more"
# STUDENT
# sub_answer = None  # "more" or "less"
# END SOLUTION
lab.check("subthreshold decay over 800 um", sub_answer, "more" if sub[-1] / sub[0] < 0.1 else "less",
          hint="a brief passive signal fades over well under a length constant (Lab 1);"
               " for a 1 um axon lambda is a few hundred um")

# %% [markdown]
# The action potential is regenerated: wherever it arrives it depolarizes the next patch beyond
# threshold, and that patch's Na+ channels make a full-size spike again. A subthreshold potential
# has no such source and fades as on a passive cable. (Behind the spike the membrane is
# refractory, Lab 5, so the spike cannot turn back: it travels one way.)
#
# ## Question 3: conduction velocity
#
# Hodgkin and Huxley computed 18.8 m/s for their 476 um squid axon, and the velocity of an
# unmyelinated axon grows as $\sqrt{d}$. **Predict** the velocity (m/s) of this 1 um axon.

# %%
# SOLUTION
velocity_answer = 18.8 * np.sqrt(1 / 476) * meter / second
# STUDENT
# velocity_answer = None  # in m/s, e.g. 2 * meter / second
# END SOLUTION
v_plain = conduction_velocity(strong, sites[1:])
print(f"measured: {v_plain / (meter / second):.2f} m/s")
lab.check("unmyelinated conduction velocity", velocity_answer, v_plain, unit=meter / second,
          rtol=0.1, hint="scale 18.8 m/s by sqrt(1 um / 476 um)")

# %% [markdown]
# ## Question 4: myelin
#
# **Predict** how many times faster the myelinated axon of the same diameter conducts; then
# compute `v_myelinated / v_plain`.

# %%
fast = simulate(myelinated, clamps=[CurrentClamp("soma", 0.5 * nA, 0.2 * ms, 0.3 * ms)],
                record=nodes, duration=0.8 * ms, dt=5 * us, engine="numpy")  # short internode steps
v_myelinated = conduction_velocity(fast, nodes)
print(f"myelinated: {v_myelinated / (meter / second):.2f} m/s")
# SOLUTION
speedup_answer = v_myelinated / v_plain
# STUDENT
# speedup_answer = None  # v_myelinated / v_plain
# END SOLUTION
lab.check("speed-up by myelin", speedup_answer, float(v_myelinated / v_plain), rtol=0.02,
          hint="divide the two velocities")

# %% [markdown]
# Myelin (many wraps of membrane) divides the internode's capacitance and leak by twice the
# number of wraps: little charge is lost on the way, so the current from one node charges the next
# node almost at once, and the spike is regenerated only at the nodes (**saltatory conduction**).
# Mammalian myelinated axons of 1 um conduct at several m/s at 37 degC; an unmyelinated one of
# the same size needs ~100 times the diameter to match.

# %% [markdown]
# ## Further tasks (no self-check)
#
# 1. Quadruple the unmyelinated axon's diameter: does the velocity double, as $\sqrt{d}$ predicts?
# 2. Stimulate the middle of the axon (`CurrentClamp("axon@600", ...)`): the spike runs both
#    ways. Two spikes started at both ends annihilate where they meet: why?

# %%
lab.summary();
