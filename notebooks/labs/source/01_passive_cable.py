# %% [markdown]
# # Lab 1: The passive cable and its length constant
#
# A dendrite is a leaky cable: current injected at one point leaks out through the membrane as it
# spreads along the core. How far a voltage spreads is set by the **length constant**
# $\lambda = \sqrt{\dfrac{d}{4}\,\dfrac{R_m}{R_i}}$ ($d$ diameter, $R_m = 1/g_{leak}$ specific
# membrane resistance, $R_i$ axial resistivity); how fast it changes by the **membrane time
# constant** $\tau_m = R_m C_m$.
#
# **Learning goals**
#
# 1. Compute $\tau_m$ and $\lambda$ from a cell's membrane parameters.
# 2. Measure $\lambda$ from the steady-state voltage along a dendrite and compare it with theory.
# 3. Explain why a brief EPSP fades over a *shorter* distance than a steady voltage.
#
# **How to work.** Each question asks you to *predict* (write your answer in place of `None`),
# then *measure* with the model. A `lab.check(...)` line compares your answer with what the model
# computes and gives a hint when it differs. `lab.summary()` at the end lists what is left.

# %%
import matplotlib.pyplot as plt
import numpy as np
from brian2 import cm, ms, mV, ohm, uF, um

from cablemodel import Cell, ball_and_stick
from cablemodel.experiments import (attenuation, steady_state_attenuation, summarize_fit,
                                    theory_length_constant)
from cablemodel.labs import Lab, slider

# SOLUTION
lab = Lab("Lab 1: passive cable", strict=True)  # instructor version: every check must pass
# STUDENT
# lab = Lab("Lab 1: passive cable")
# END SOLUTION
ENGINE = dict(engine="numpy", dt=0.1 * ms)  # a passive cell: short runs, no compiler needed

# A soma with one long, thin, passive dendrite (1500 um x 1 um, region "basal").
cell = Cell(ball_and_stick(max_compartment_length=20 * um))
membrane = cell.membrane()
dend = cell.table.region == "basal"
Cm = membrane.Cm[dend][0]
g_leak = membrane.g_leak[dend][0]
Ri = membrane.Ri[dend][0]
diameter = cell.table.diameter[dend][0] * um
print(f"Cm = {Cm / (uF / cm**2):.2f} uF/cm^2, g_leak = {g_leak * cm**2 * 1e3:.3f} mS/cm^2,"
      f" Ri = {Ri / (ohm * cm):.0f} ohm*cm, d = {diameter / um:g} um")

# %% [markdown]
# ## Question 1: the membrane time constant
#
# **Predict** $\tau_m = C_m / g_{leak}$ of this membrane (in ms). Brian2 converts units for you:
# `Cm / g_leak` is a time.

# %%
# SOLUTION
tau_answer = Cm / g_leak
# STUDENT
# tau_answer = None  # your answer, e.g. 12 * ms
# END SOLUTION
lab.check("membrane time constant", tau_answer, Cm / g_leak, unit=ms,
          hint="tau_m = R_m C_m = C_m / g_leak (e.g. 1 uF/cm^2 / (0.1 mS/cm^2) = 10 ms)")

# %% [markdown]
# $\tau_m$ is how long the membrane takes to charge to 63 % of a step: it sets how long an EPSP
# lasts and so how much time two EPSPs have to add up (Lab 3).
#
# ## Question 2: the length constant from theory
#
# **Predict** $\lambda$ (in um) from `diameter`, `g_leak` and `Ri`. Remember $R_m = 1/g_{leak}$.

# %%
# SOLUTION
lambda_answer = np.sqrt(diameter / 4 / g_leak / Ri)
# STUDENT
# lambda_answer = None  # your answer (um)
# END SOLUTION
lambda_theory = theory_length_constant(cell, "basal")
lab.check("length constant (theory)", lambda_answer, lambda_theory, unit=um, rtol=0.02,
          hint="lambda = sqrt((d/4) * R_m / R_i) with R_m = 1/g_leak; keep the units in Brian2")

# %% [markdown]
# ## Question 3: measure the steady-state decay
#
# A small constant current at the soma sets up a steady voltage along the dendrite. On an
# infinitely long cable it falls as $V(x) = V(0)\,e^{-x/\lambda}$.
#
# **Predict** the ratio $V(x + \lambda) / V(x)$ of the steady deflections one length constant
# apart. Then run the cell below, which measures it at $x$ = 100 um (this dendrite is five length
# constants long: nearly infinite).

# %%
# SOLUTION
ratio_answer = np.exp(-1)
# STUDENT
# ratio_answer = None  # your prediction (a number between 0 and 1)
# END SOLUTION
x0 = 100 * um
steady = steady_state_attenuation(cell, [x0, x0 + lambda_theory, 200 * um, 400 * um, 600 * um],
                                  **ENGINE)
measured_ratio = steady["dv_mV"][1] / steady["dv_mV"][0]
print(f"fitted lambda {steady['lambda_um']:.0f} um (theory {lambda_theory / um:.0f} um);"
      f" V(x + lambda) / V(x) = {measured_ratio:.3f}")
lab.check("steady-state ratio one lambda apart", ratio_answer, measured_ratio, rtol=0.08,
          hint="over one length constant an exponential falls by a factor e")

# %% [markdown]
# The fit agrees with theory because this dendrite is uniform and long: $\lambda$ is a property of
# the cable, not of where you measure. (Near a sealed end the voltage falls *less*, because the
# current has nowhere to go.)
#
# ## Question 4: a brief EPSP fades faster than a steady voltage
#
# Now one AMPA synapse at a time, at several distances, each giving one brief EPSP; the model
# records the EPSP's peak at the soma. **Predict**: is the length constant of the *somatic EPSP
# peak* against distance shorter than $\lambda$? (`True` or `False`)

# %%
# SOLUTION
shorter_answer = True
# STUDENT
# shorter_answer = None  # True or False
# END SOLUTION
distances = [50, 150, 250, 350] * um
rows, trials = attenuation(cell, distances, period=40 * ms, **ENGINE)
lambda_epsp = summarize_fit(rows, "soma_peak_mV")
print(f"somatic EPSP peak falls with length constant {lambda_epsp:.0f} um"
      f" (steady state: {lambda_theory / um:.0f} um)")
lab.check("EPSP length constant is shorter", shorter_answer,
          bool(lambda_epsp < lambda_theory / um),
          hint="a brief EPSP is made of fast components; the membrane capacitance shunts them")

fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
x = np.array([r["distance_um"] for r in rows])
ax.semilogy(steady["distance_um"], np.array(steady["dv_mV"]) / steady["dv_mV"][0], "o",
            label="steady state (relative)")
ax.semilogy(x, np.array([r["soma_peak_mV"] for r in rows]) / rows[0]["soma_peak_mV"], "s",
            label="EPSP peak at the soma (relative)")
ax.set_xlabel("distance from the soma (um)")
ax.set_ylabel("relative amplitude")
ax.legend(fontsize=8);

# %% [markdown]
# **Why shorter?** The membrane is a resistor *and* a capacitor in parallel. For a sinusoid of
# frequency $f$ the capacitor conducts too, so the effective membrane resistance drops and the
# **AC length constant** $\lambda_f = \lambda\,\sqrt{2/(1 + \sqrt{1 + (2\pi f\tau_m)^2})}$ shrinks
# with frequency. A brief EPSP (rise under a millisecond) is made mostly of high frequencies, so it
# fades faster than a steady voltage; the slow tail of the EPSP spreads farther than its peak.
#
# ## Explore (interactive only)
#
# Move the slider to change the dendrite's diameter: $\lambda$ grows as $\sqrt{d}$. (When the lab
# runs headless the slider does nothing.)

# %%
def show_lambda(diameter_um=1.0):
    lam = theory_length_constant(Cell(ball_and_stick(dendrite_diameter=diameter_um * um)))
    xs = np.linspace(0, 1500, 200)
    plt.figure(figsize=(5, 3))
    plt.plot(xs, np.exp(-xs / float(lam / um)))
    plt.title(f"d = {diameter_um:g} um: lambda = {lam / um:.0f} um")
    plt.xlabel("distance (um)")
    plt.ylabel("V(x) / V(0)")
    plt.show()


slider(show_lambda, diameter_um=(0.25, 4.0, 0.25, 1.0))

# %% [markdown]
# ## Further tasks (no self-check)
#
# 1. Double the dendrite's diameter (`ball_and_stick(dendrite_diameter=2 * um)`): by how much
#    should $\lambda$ grow? Measure it with `steady_state_attenuation`.
# 2. Halve `g_leak` (`Cell(..., g_leak=...)`): what happens to $\tau_m$ and to $\lambda$?
# 3. Shorten the dendrite to 300 um (about one $\lambda$) and measure the steady-state profile
#    again: why does the voltage fall less near the sealed end?

# %%
lab.summary();
