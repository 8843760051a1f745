"""The Blue Brain Project channel library: the mammalian channels of the Hay et al. (2011) layer-5
pyramidal cell models, with the kinetics of the NMODL files of Arbor's ``bbp`` catalogue
(``mechanisms/bbp/*.mod`` in the Arbor repository, adapted from the BBP files of Hay et al.,
ModelDB 139653).

Each factory returns a :class:`~cablemodel.mechanisms.channels.Channel` (or, for
:func:`CaDynamics_E2`, a :class:`~cablemodel.mechanisms.concentrations.CalciumDynamics`) to paint
on a cell with a density in S/cm^2. Channel names are lower-case NMODL suffixes (``"nata_t"``:
density ``g_nata_t``, gates ``m_nata_t``, ``h_nata_t``, current ``i_nata_t``).

Temperature
-----------
The BBP files hard-code their temperature correction: the rates of NaTa_t, NaTs2_t, Nap_Et2,
K_Pst, K_Tst, Im and Ca_LVAst are multiplied by ``qt = 2.3**((34 - 21)/10)`` whatever NEURON's
or Arbor's ``celsius``; SKv3_1, SK_E2, Ih and Ca_HVA have no correction. Here the first group
has ``q10 = 2.3`` and ``reference_celsius = 21``, so a cell at ``celsius = 34`` (the BBP and Hay
temperature, :data:`BBP_CELSIUS`) has exactly the BBP rates, and another temperature scales them
as a Q10 of 2.3 would (the BBP/Arbor files would not); the second group has ``q10 = 1``
(temperature-independent, as in the files). The calcium reversal (``"nernst"``) does follow the
cell's temperature, as Arbor's ``nernst`` does.

Conventions
-----------
Potentials in mV, rates in 1/ms, time constants in ms, concentrations in mM. The singular points
of ``x/(1 - exp(-x))``-type rates are written with ``exprel`` (NMODL's ``exprelr(x) = x/(exp(x) -
1) = 1/exprel(x)``), so they are finite at every potential; the NMODL ``if`` branches are
comparison expressions. Default reversals are the BBP values: E_Na = +50 mV, E_K = -85 mV,
E_h = -45 mV; calcium channels use the Nernst potential of the inside and outside calcium.
The default density of every BBP file is 1e-5 S/cm^2 (SK_E2: 1e-6); :data:`HAY_SOMA` lists the
somatic densities of Hay et al. (2011).

References
----------
Hay E, Hill S, Schuermann F, Markram H, Segev I (2011) Models of neocortical layer 5b pyramidal
cells capturing a wide range of dendritic and perisomatic active properties. PLoS Comput Biol
7:e1002107. The reference of each channel is in its factory's documentation.

Example
-------
>>> from brian2 import mV
>>> sorted(BBP_CHANNELS)[:3]
['ca_hva', 'ca_lvast', 'ih']
>>> ch = NaTa_t()
>>> ch.name, ch.state_names(), float(ch.reversal / mV)
('nata_t', ['m_nata_t', 'h_nata_t'], 50.0)
"""

from __future__ import annotations

from collections.abc import Callable

from brian2 import Quantity, cm, mM, ms, mV, siemens, um

from ..units import quantity
from .channels import Channel, Gate
from .concentrations import CalciumDynamics

__all__ = ["NaTa_t", "NaTs2_t", "Nap_Et2", "K_Pst", "K_Tst", "SKv3_1", "SK_E2", "Im", "Ih", "Ca_HVA",
           "Ca_LVAst", "CaDynamics_E2", "BBP_CHANNELS", "BBP_Q10", "BBP_REFERENCE_CELSIUS",
           "BBP_CELSIUS", "HAY_SOMA", "HAY_SOMA_CALCIUM"]

#: Q10 and reference temperature (degC) of the BBP rate corrections ``qt = 2.3**((34 - 21)/10)``.
BBP_Q10 = 2.3
BBP_REFERENCE_CELSIUS = 21.0
#: The temperature (degC) the BBP files are written for: at it, the rates are the files' rates.
BBP_CELSIUS = 34.0

E_NA = 50 * mV
E_K = -85 * mV
E_H = -45 * mV
_S_CM2 = siemens / cm**2


def _temperature(corrected: bool) -> dict:
    return ({"q10": BBP_Q10, "reference_celsius": BBP_REFERENCE_CELSIUS} if corrected
            else {"q10": 1.0, "reference_celsius": BBP_REFERENCE_CELSIUS})


def _transient_na(name: str, m_shift: float, h_shift: float, reversal: Quantity) -> Channel:
    """m**3 h Na+ channel of Colbert & Pan (2002), ``m`` at ``V + m_shift``, ``h`` at ``V + h_shift``."""
    m, h = f"(V + {m_shift!r})", f"(V + {h_shift!r})"
    return Channel(name, reversal, (
        Gate("m", 3, f"0.182*6/exprel(-{m}/6)", f"0.124*6/exprel({m}/6)"),
        Gate("h", 1, f"0.015*6/exprel({h}/6)", f"0.015*6/exprel(-{h}/6)"),
    ), ion="na", **_temperature(True))


def NaTa_t(reversal: Quantity = E_NA) -> Channel:
    """Fast inactivating (transient) Na+ current ``g m**3 h (E_Na - v)`` (BBP ``NaTa_t``).

    Kinetics (1/ms, before the temperature factor): ``alpha_m = 0.182 (V + 38)/(1 - exp(-(V +
    38)/6))``, ``beta_m = 0.124 (-(V + 38))/(1 - exp((V + 38)/6))``, ``alpha_h = 0.015 (-(V +
    66))/(1 - exp((V + 66)/6))``, ``beta_h = 0.015 (V + 66)/(1 - exp(-(V + 66)/6))``; Q10 2.3
    from 21 degC. ``reversal``: E_Na (volt), BBP +50 mV. Default density 1e-5 S/cm^2 (Hay soma
    2.04 S/cm^2). Reference: Colbert CM, Pan E (2002) Ion channel properties underlying axonal
    action potential initiation in pyramidal neurons. Nat Neurosci 5:533-538.

    Example
    -------
    >>> ch = NaTa_t()
    >>> ch.state_names(), round(ch.phi(34.0), 4)
    (['m_nata_t', 'h_nata_t'], 2.9529)
    """
    return _transient_na("nata_t", 38.0, 66.0, reversal)


def NaTs2_t(reversal: Quantity = E_NA) -> Channel:
    """Transient Na+ current of NaTa_t with both gates shifted by +6 mV (BBP ``NaTs2_t``, the
    somatic Na+ channel of later BBP models): the rates of :func:`NaTa_t` at ``V + 32`` for
    ``m`` and ``V + 60`` for ``h``. ``reversal``: E_Na (volt), BBP +50 mV; default density 1e-5
    S/cm^2. Reference: Colbert & Pan (2002), shifted (BBP comment: "took the NaTa and shifted
    both activation/inactivation by 6 mv").

    Example
    -------
    >>> from brian2 import mV
    >>> a, b = NaTs2_t().gates, NaTa_t().gates
    >>> bool(abs(float(a[0].steady_state(-32.0)) - float(b[0].steady_state(-38.0))) < 1e-15)
    True
    """
    return _transient_na("nats2_t", 32.0, 60.0, reversal)


def Nap_Et2(reversal: Quantity = E_NA) -> Channel:
    """Persistent Na+ current ``g m**3 h (E_Na - v)`` (BBP ``Nap_Et2``).

    ``m_inf = 1/(1 + exp(-(V + 52.6)/4.6))``, ``tau_m = 6/(alpha_m + beta_m)`` ms with the
    NaTa_t ``m`` rates; ``h_inf = 1/(1 + exp((V + 48.8)/10))``, ``tau_h = 1/(alpha_h + beta_h)``
    ms with ``alpha_h = 2.88e-6 (V + 17)/(exp((V + 17)/4.63) - 1)`` (written ``2.88e-6*4.63*
    exprelr((V + 17)/4.63)`` in the file), ``beta_h = 6.94e-6 (V + 64.4)/(1 - exp(-(V +
    64.4)/2.63))``; Q10 2.3 from 21 degC. ``reversal``: E_Na (volt), BBP +50 mV. Default density
    1e-5 S/cm^2 (Hay soma 0.00172 S/cm^2). Reference: Magistretti J, Alonso A (1999) Biophysical
    properties and slow voltage-dependent inactivation of a sustained sodium current in
    entorhinal cortex layer-II principal neurons. J Gen Physiol 114:491-509.

    Example
    -------
    >>> round(float(Nap_Et2().gates[0].steady_state(-52.6)), 6)
    0.5
    """
    m_rate = "(0.182*6/exprel(-(V + 38)/6) + 0.124*6/exprel((V + 38)/6))"
    h_rate = "(2.88e-6*4.63/exprel((V + 17)/4.63) + 6.94e-6*2.63/exprel(-(V + 64.4)/2.63))"
    return Channel("nap_et2", reversal, (
        Gate("m", 3, inf="1/(1 + exp(-(V + 52.6)/4.6))", tau=f"6/{m_rate}"),
        Gate("h", 1, inf="1/(1 + exp((V + 48.8)/10))", tau=f"1/{h_rate}"),
    ), ion="na", **_temperature(True))


def K_Pst(reversal: Quantity = E_K) -> Channel:
    """Persistent K+ current ``g m**2 h (E_K - v)`` (BBP ``K_Pst``).

    ``m_inf = 1/(1 + exp(-(V + 11)/12))``, ``tau_m = 1.25 + 175.03 exp(0.026 (V + 10))`` ms below
    -60 mV and ``1.25 + 13 exp(-0.026 (V + 10))`` from -60 mV up (the file's ``if``);
    ``h_inf = 1/(1 + exp((V + 64)/11))``, ``tau_h = 360 + (1010 + 24 (V + 65)) exp(-((V +
    85)/48)**2)`` ms; Q10 2.3 from 21 degC. Shifted -10 mV for the junction potential.
    ``reversal``: E_K (volt), BBP -85 mV. Default density 1e-5 S/cm^2 (Hay soma 0.00223 S/cm^2).
    Reference: Korngreen A, Sakmann B (2000) Voltage-gated K+ channels in layer 5 neocortical
    pyramidal neurones from young rats: subtypes and gradients. J Physiol 525:621-639.

    Example
    -------
    >>> m = K_Pst().gates[0]
    >>> [round(float(m.time_constant(v)), 4) for v in (-60.0001, -60.0)]  # ms: both branches meet
    [48.9511, 48.9509]
    """
    return Channel("k_pst", reversal, (
        Gate("m", 2, inf="1/(1 + exp(-(V + 11)/12))",
             tau="(V < -60)*(1.25 + 175.03*exp((V + 10)*0.026))"
                 " + (V >= -60)*(1.25 + 13*exp(-(V + 10)*0.026))"),
        Gate("h", 1, inf="1/(1 + exp((V + 64)/11))",
             tau="360 + (1010 + 24*(V + 65))*exp(-((V + 85)/48)**2)"),
    ), ion="k", **_temperature(True))


def K_Tst(reversal: Quantity = E_K) -> Channel:
    """Transient (A-type) K+ current ``g m**4 h (E_K - v)`` (BBP ``K_Tst``).

    ``m_inf = 1/(1 + exp(-(V + 10)/19))``, ``tau_m = 0.34 + 0.92 exp(-((V + 81)/59)**2)`` ms;
    ``h_inf = 1/(1 + exp((V + 76)/10))``, ``tau_h = 8 + 49 exp(-((V + 83)/23)**2)`` ms; Q10 2.3
    from 21 degC. Shifted -10 mV for the junction potential. ``reversal``: E_K (volt), BBP -85
    mV. Default density 1e-5 S/cm^2 (Hay soma 0.0812 S/cm^2). Reference: Korngreen & Sakmann
    (2000), see :func:`K_Pst`.

    Example
    -------
    >>> round(float(K_Tst().gates[1].steady_state(-76.0)), 6)
    0.5
    """
    return Channel("k_tst", reversal, (
        Gate("m", 4, inf="1/(1 + exp(-(V + 10)/19))", tau="0.34 + 0.92*exp(-((V + 81)/59)**2)"),
        Gate("h", 1, inf="1/(1 + exp((V + 76)/10))", tau="8 + 49*exp(-((V + 83)/23)**2)"),
    ), ion="k", **_temperature(True))


def SKv3_1(reversal: Quantity = E_K) -> Channel:
    """Fast non-inactivating Kv3.1 K+ current ``g m (E_K - v)`` (BBP ``SKv3_1``).

    ``m_inf = 1/(1 + exp((18.7 - V)/9.7))``, ``tau_m = 4/(1 + exp(-(V + 46.56)/44.14))`` ms;
    temperature-independent (the file has no correction: ``q10 = 1``). ``reversal``: E_K (volt),
    BBP -85 mV. Default density 1e-5 S/cm^2 (Hay soma 0.693 S/cm^2). Reference: Rettig J, Wunder
    F, Stocker M, et al. (1992) Characterization of a Shaw-related potassium channel family in rat
    brain. EMBO J 11:2473-2486.

    Example
    -------
    >>> ch = SKv3_1()
    >>> ch.phi(6.3), ch.phi(34.0), round(float(ch.gates[0].steady_state(18.7)), 6)
    (1.0, 1.0, 0.5)
    """
    return Channel("skv3_1", reversal, (
        Gate("m", 1, inf="1/(1 + exp((18.7 - V)/9.7))",
             tau="1/(0.25*(1 + exp((V + 46.56)/(-44.14))))"),
    ), ion="k", **_temperature(False))


def SK_E2(reversal: Quantity = E_K, tau: Quantity = 1 * ms) -> Channel:
    """Small-conductance Ca2+-activated K+ current ``g z (E_K - v)`` (BBP ``SK_E2``).

    ``z_inf = 1/(1 + (0.00043/cai)**4.8)`` (cai in mM; 0 below 1e-7 mM, the file's ``if``),
    ``tau_z = tau`` (the file's ``zTau``, 1 ms); no voltage dependence, temperature-independent
    (``q10 = 1``). Needs the inside calcium: paint :func:`CaDynamics_E2` where it is (elsewhere
    cai is the cell's resting concentration). ``reversal``: E_K (volt), BBP -85 mV. Default
    density 1e-6 S/cm^2 (Hay soma 0.0441 S/cm^2). Reference: Kohler M, Hirschberg B, Bond CT, et
    al. (1996) Small-conductance, calcium-activated potassium channels from mammalian brain.
    Science 273:1709-1714.

    Example
    -------
    >>> z = SK_E2().gates[0]
    >>> z.concentrations, round(float(z.steady_state(-65.0, conc={"cai": 0.00043})), 6)
    (('cai',), 0.5)
    """
    t = float(quantity(tau, ms, "SK_E2 tau", scalar=True) / ms)
    if not t > 0:
        raise ValueError(f"SK_E2: tau must be > 0 ms, got {tau}")
    return Channel("sk_e2", reversal, (
        Gate("z", 1, inf="(cai >= 1e-7)/(1 + (0.00043/cai)**4.8)", tau=repr(t)),
    ), ion="k", **_temperature(False))


def Im(reversal: Quantity = E_K) -> Channel:
    """Muscarinic (M-type) K+ current ``g m (E_K - v)`` (BBP ``Im``).

    ``alpha_m = 0.0033 exp(0.1 (V + 35))``, ``beta_m = 0.0033 exp(-0.1 (V + 35))`` (1/ms); Q10 2.3
    from 21 degC. ``reversal``: E_K (volt), BBP -85 mV. Default density 1e-5 S/cm^2 (Hay apical
    6.75e-5 S/cm^2). Reference: Adams PR, Brown DA, Constanti A (1982) M-currents and other
    potassium currents in bullfrog sympathetic neurones. J Physiol 330:537-572.

    Example
    -------
    >>> round(float(Im().gates[0].steady_state(-35.0)), 6)
    0.5
    """
    return Channel("im", reversal, (
        Gate("m", 1, "3.3e-3*exp(2.5*0.04*(V + 35))", "3.3e-3*exp(-2.5*0.04*(V + 35))"),
    ), ion="k", **_temperature(True))


def Ih(reversal: Quantity = E_H) -> Channel:
    """Hyperpolarization-activated cation current ``g m (E_h - v)`` (BBP ``Ih``, a nonspecific
    current: ``ion=None``).

    ``alpha_m = 0.00643 (V + 154.9)/(exp((V + 154.9)/11.9) - 1)``, ``beta_m = 0.193 exp(V/33.1)``
    (1/ms); temperature-independent (``q10 = 1``). ``reversal``: E_h (volt), BBP -45 mV (the
    file's ``ehcn``). Default density 1e-5 S/cm^2 (Hay soma and basal 2e-4 S/cm^2, growing
    exponentially along the apical dendrite). Reference: Kole MHP, Hallermann S, Stuart GJ (2006)
    Single Ih channels in pyramidal neuron dendrites: properties, distribution, and impact on
    action potential output. J Neurosci 26:1677-1687.

    Example
    -------
    >>> from brian2 import mV
    >>> ch = Ih()
    >>> ch.ion, float(ch.reversal / mV), round(float(ch.gates[0].steady_state(-80.0)), 4)
    (None, -45.0, 0.0492)
    """
    return Channel("ih", reversal, (
        Gate("m", 1, "0.001*6.43*11.9/exprel((V + 154.9)/11.9)", "0.001*193*exp(V/33.1)"),
    ), ion=None, **_temperature(False))


def Ca_HVA(reversal: Quantity | str = "nernst") -> Channel:
    """High-voltage-activated Ca2+ current ``g m**2 h (E_Ca - v)`` (BBP ``Ca_HVA``).

    ``alpha_m = 0.055 (-27 - V)/(exp((-27 - V)/3.8) - 1)``, ``beta_m = 0.94 exp(-(V + 75)/17)``,
    ``alpha_h = 0.000457 exp(-(V + 13)/50)``, ``beta_h = 0.0065/(exp(-(V + 15)/28) + 1)`` (1/ms);
    temperature-independent (``q10 = 1``). Carries calcium (``ion="ca"``: feeds
    :func:`CaDynamics_E2`); ``reversal`` ``"nernst"`` (from cai, cao and the cell's temperature)
    or a fixed potential. Default density 1e-5 S/cm^2 (Hay soma 0.000992 S/cm^2). Reference:
    Reuveni I, Friedman A, Amitai Y, Gutnick MJ (1993) Stepwise repolarization from Ca2+ plateaus
    in neocortical pyramidal cells: evidence for nonhomogeneous distribution of HVA Ca2+ channels
    in dendrites. J Neurosci 13:4609-4621.

    Example
    -------
    >>> ch = Ca_HVA()
    >>> ch.ion, ch.reversal, ch.state_names()
    ('ca', 'nernst', ['m_ca_hva', 'h_ca_hva'])
    """
    return Channel("ca_hva", reversal, (
        Gate("m", 2, "0.055*3.8/exprel(-(27 + V)/3.8)", "0.94*exp(-(V + 75)/17)"),
        Gate("h", 1, "0.000457*exp(-(V + 13)/50)", "0.0065/(exp(-(V + 15)/28) + 1)"),
    ), ion="ca", **_temperature(False))


def Ca_LVAst(reversal: Quantity | str = "nernst") -> Channel:
    """Low-voltage-activated (T-type) Ca2+ current ``g m**2 h (E_Ca - v)`` (BBP ``Ca_LVAst``).

    ``m_inf = 1/(1 + exp(-(V + 40)/6))``, ``tau_m = 5 + 20/(1 + exp((V + 35)/5))`` ms;
    ``h_inf = 1/(1 + exp((V + 90)/6.4))``, ``tau_h = 20 + 50/(1 + exp((V + 50)/7))`` ms; Q10 2.3
    from 21 degC; shifted -10 mV for the junction potential. Carries calcium (``ion="ca"``);
    ``reversal`` ``"nernst"`` or a fixed potential. Default density 1e-5 S/cm^2 (Hay soma
    0.00343 S/cm^2). References: Avery RB, Johnston D (1996) Multiple channel types contribute
    to the low-voltage-activated calcium current in hippocampal CA3 pyramidal neurons. J
    Neurosci 16:5567-5582; time constants from Randall AD, Tsien RW (1997) Contrasting
    biophysical and pharmacological properties of T-type and R-type calcium channels.
    Neuropharmacology 36:879-893.

    Example
    -------
    >>> round(float(Ca_LVAst().gates[0].time_constant(-35.0)), 6)  # ms at 21 degC
    15.0
    """
    return Channel("ca_lvast", reversal, (
        Gate("m", 2, inf="1/(1 + exp(-(V + 40)/6))", tau="5 + 20/(1 + exp((V + 35)/5))"),
        Gate("h", 1, inf="1/(1 + exp((V + 90)/6.4))", tau="20 + 50/(1 + exp((V + 50)/7))"),
    ), ion="ca", **_temperature(True))


def CaDynamics_E2(gamma: float = 0.05, decay: Quantity = 80 * ms, depth: Quantity = 0.1 * um,
                  minimum: Quantity = 1e-4 * mM, outside: Quantity = 2 * mM) -> CalciumDynamics:
    """Inside calcium of a submembrane shell (BBP ``CaDynamics_E2``): ``d cai/dt = -gamma i_ca
    /(2 F depth) - (cai - minimum)/decay`` with ``i_ca`` the calcium current density (outward
    positive, NEURON's sign: an inward current raises cai).

    ``gamma``: free (unbuffered) fraction, dimensionless (0.05); ``decay``: removal time constant
    (second, 80 ms); ``depth``: shell depth (metre, 0.1 um); ``minimum``: resting floor (mM,
    1e-4); ``outside``: extracellular calcium cao (mM, 2, the NEURON and Arbor default). Hay et
    al. (2011) soma: gamma 0.000501, decay 460 ms (:data:`HAY_SOMA_CALCIUM`). The BBP file starts
    cai at ``initCai`` = 5e-5 mM; a cablemodel cell starts at the steady state at its resting
    potential instead (give Arbor or NEURON that value as initCai to compare). Reference: the
    file says "modified from Destexhe et al. 1994"; the shell model is that of Destexhe A,
    Babloyantz A, Sejnowski TJ (1993) Ionic mechanisms for intrinsic slow oscillations in
    thalamic relay neurons. Biophys J 65:1538-1552.

    Example
    -------
    >>> from brian2 import ms
    >>> ca = CaDynamics_E2(gamma=0.000501, decay=460 * ms)
    >>> float(ca.gamma), float(ca.decay / ms)
    (0.000501, 460.0)
    """
    return CalciumDynamics(gamma=gamma, decay=decay, depth=depth, minimum=minimum, outside=outside)


#: The channel factories by channel name (the lower-case NMODL suffix).
BBP_CHANNELS: dict[str, Callable[..., Channel]] = {
    "nata_t": NaTa_t, "nats2_t": NaTs2_t, "nap_et2": Nap_Et2, "k_pst": K_Pst, "k_tst": K_Tst,
    "skv3_1": SKv3_1, "sk_e2": SK_E2, "im": Im, "ih": Ih, "ca_hva": Ca_HVA, "ca_lvast": Ca_LVAst,
}

#: Somatic densities of Hay et al. (2011), model L5PCbiophys3 (S/cm^2), by channel name.
HAY_SOMA: dict[str, Quantity] = {
    "nata_t": 2.04 * _S_CM2, "nap_et2": 0.00172 * _S_CM2, "k_pst": 0.00223 * _S_CM2,
    "k_tst": 0.0812 * _S_CM2, "skv3_1": 0.693 * _S_CM2, "sk_e2": 0.0441 * _S_CM2,
    "ih": 0.0002 * _S_CM2, "ca_hva": 0.000992 * _S_CM2, "ca_lvast": 0.00343 * _S_CM2,
}
#: The somatic CaDynamics_E2 parameters of the same model (gamma, decay).
HAY_SOMA_CALCIUM: dict = {"gamma": 0.000501, "decay": 460 * ms}
