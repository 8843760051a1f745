"""Ready-made cells: :func:`mammalian_cell`, a cortical pyramidal neuron at 34 degC with the BBP
channel library (:mod:`cablemodel.mechanisms.bbp`) painted as in Hay et al. 2011.

Source of every value
---------------------
Hay E, Hill S, Schuermann F, Markram H, Segev I (2011) Models of neocortical layer 5b pyramidal
cells capturing a wide range of dendritic and perisomatic active properties. PLoS Comput Biol
7:e1002107 (ModelDB 139653), model ``L5PCbiophys3.hoc`` (fitted to BAC firing and to current
step firing), run at 34 degC:

* every region: ``Ra`` 100 ohm*cm, ``e_pas`` -90 mV, ``ena`` +50 mV, ``ek`` -85 mV;
  ``cm`` 1 uF/cm^2 in the soma and axon, 2 uF/cm^2 in the basal and apical dendrites (spines);
  ``g_pas`` (S/cm^2) soma 3.38e-5, axon 3.25e-5, basal 4.67e-5, apical 5.89e-5.
* channel densities (S/cm^2): :data:`HAY_2011_DENSITIES`; in the apical tree ``Ih`` rises
  exponentially with path distance ``d`` from the soma, ``g = 2e-4 * (-0.8696 + 2.087 exp(d /
  323 um))`` (Hay's ``distribute_channels("apic", "gIhbar_Ih", 2, -0.8696, 3.6161, 0, 2.087,
  2e-4)`` on his cell's normalised distance, 3.6161 per apical length, written per um as in
  the issue: 1 / 323 um), and ``Ca_LVAst`` / ``Ca_HVA`` have a hot zone (685-885 um in Hay's
  cell: 100x and 10x the density elsewhere), optional here because it depends on the cell.
* calcium dynamics (``CaDynamics_E2``): soma ``gamma`` 5.01e-4, ``decay`` 460 ms; apical
  ``gamma`` 5.09e-4, ``decay`` 122 ms (``depth`` 0.1 um, ``minCai`` 1e-4 mM: the mechanism's
  defaults).
* the axon is passive (Hay's model 3 starts its action potentials in the soma), so spikes are
  counted at the soma.

The BBP channels scale their rates with Q10 = 2.3 from 21 degC (their reference temperature),
so the cell's ``celsius`` matters: 34 degC as in Hay's simulations, 37 degC for body
temperature.
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, cm, ms, mV, ohm, siemens, uF, um

from .cell import Cell
from .mechanisms import bbp
from .morphology.model import Morphology

__all__ = ["mammalian_cell", "HAY_2011_DENSITIES", "HAY_2011_MEMBRANE", "HAY_2011_CALCIUM",
           "IH_LENGTH"]

#: Channel densities of Hay et al. 2011 (``L5PCbiophys3``), S/cm^2, per region group
#: (``"axon"`` stands for the hillock, AIS and axon). Apical ``ca_lvast`` and ``ca_hva`` are the
#: values outside the hot zone (Hay: 0.0187 x 0.01 and 5.55e-4 x 0.1); apical ``ih`` is the
#: density at the soma of the exponential rise (:data:`IH_LENGTH`).
HAY_2011_DENSITIES: dict[str, dict[str, float]] = {
    "soma": {"nata_t": 2.04, "nap_et2": 0.00172, "k_pst": 0.00223, "k_tst": 0.0812,
             "skv3_1": 0.693, "sk_e2": 0.0441, "ca_hva": 0.000992, "ca_lvast": 0.00343,
             "ih": 0.0002},
    "axon": {},
    "basal": {"ih": 0.0002},
    "apical": {"nata_t": 0.0213, "skv3_1": 0.000261, "sk_e2": 0.0012, "im": 0.0000675,
               "ca_hva": 0.000555 * 0.1, "ca_lvast": 0.0187 * 0.01, "ih": 0.0002},
}
#: Passive membrane of Hay et al. 2011 per region group: ``Cm`` (uF/cm^2), ``g_leak`` (S/cm^2).
HAY_2011_MEMBRANE: dict[str, dict[str, float]] = {
    "soma": {"Cm": 1.0, "g_leak": 3.38e-5},
    "axon": {"Cm": 1.0, "g_leak": 3.25e-5},
    "basal": {"Cm": 2.0, "g_leak": 4.67e-5},
    "apical": {"Cm": 2.0, "g_leak": 5.89e-5},
}
#: ``CaDynamics_E2`` parameters of Hay et al. 2011 where calcium channels are painted.
HAY_2011_CALCIUM: dict[str, dict[str, float]] = {
    "soma": {"gamma": 0.000501, "decay_ms": 460.0},
    "apical": {"gamma": 0.000509, "decay_ms": 122.0},
}
#: Length constant of the apical Ih rise, ``g = g0 * (-0.8696 + 2.087 exp(d / IH_LENGTH))``.
IH_LENGTH = 323 * um
#: Region groups: the regions of a morphology that take each group's values.
_GROUPS = {"soma": ("soma",), "axon": ("hillock", "ais", "axon"), "basal": ("basal",),
           "apical": ("apical",)}
DENSITY = siemens / cm**2


def _ih_rise(g0: float):
    def density(d: Quantity) -> Quantity:
        return g0 * (-0.8696 + 2.087 * np.exp(np.asarray(d / IH_LENGTH, float))) * DENSITY
    return density


def _hot_zone(base: float, inside: float, zone: tuple[Quantity, Quantity]):
    lo, hi = (float(z / um) for z in zone)

    def density(d: Quantity) -> Quantity:
        x = np.asarray(d / um, float)
        return np.where((x > lo) & (x < hi), inside, base) * DENSITY
    return density


def mammalian_cell(morphology: Morphology, celsius: float = 34.0, *, ih: bool = True,
                   ca_hot_zone: tuple[Quantity, Quantity] | None = None, v_rest=-75 * mV,
                   spike_threshold=-20 * mV) -> Cell:
    """A pyramidal neuron with the BBP channels painted per region as in Hay et al. 2011
    (values and sources: :mod:`cablemodel.presets`), at ``celsius`` (34 degC, Hay's; 37 for
    body temperature; Q10 2.3 from 21 degC).

    Parameters
    ----------
    morphology : Morphology
        Regions ``soma``, ``basal``, ``apical`` and ``hillock``/``ais``/``axon`` (any may be
        absent). A file whose dendrites are all typed basal needs its apical tree named first:
        ``read_swc(path, detect_apical=True)``. Custom regions are refused (relabel them).
    celsius : float
        Temperature, degC.
    ih : bool
        Paint ``Ih`` (soma and basal 2e-4 S/cm^2, apical rising with distance); ``False``
        leaves it out (as under ZD7288).
    ca_hot_zone : (Quantity, Quantity), optional
        Path-distance range (e.g. ``(685*um, 885*um)``, Hay's cell) where the apical
        ``Ca_LVAst`` and ``Ca_HVA`` are 100x and 10x their density elsewhere.
    v_rest, spike_threshold : Quantity
        Initial potential (the leak reverses at -90 mV, so the cell settles near its own rest,
        about -75 mV) and the spike-counting threshold at the soma.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> cell = mammalian_cell(ball_and_stick())
    >>> cell.celsius, sorted(ch.name for ch in cell.channels)[:4]
    (34.0, ['ca_hva', 'ca_lvast', 'ih', 'k_pst'])
    >>> round(float(cell.densities()["nata_t"][0]), 1)  # soma: 2.04 S/cm^2 = 20400 S/m^2
    20400.0
    """
    regions = morphology.compartments().regions
    known = {r for group in _GROUPS.values() for r in group}
    custom = [r for r in regions if r not in known]
    if custom:
        raise ValueError(f"mammalian_cell: no Hay et al. 2011 values for region(s) {custom};"
                         f" relabel them to one of {sorted(known)} (cablemodel.places.relabel)")
    group_of = {r: g for g, rs in _GROUPS.items() for r in rs}
    present = {g: [r for r in regions if group_of[r] == g] for g in _GROUPS}
    cell = Cell(morphology, Ri=100 * ohm * cm,
                Cm={r: HAY_2011_MEMBRANE[group_of[r]]["Cm"] * uF / cm**2 for r in regions},
                g_leak={r: HAY_2011_MEMBRANE[group_of[r]]["g_leak"] * DENSITY for r in regions},
                e_leak=-90 * mV, v_rest=v_rest, celsius=celsius, spike_site="soma",
                spike_threshold=spike_threshold)
    channels = {name: factory() for name, factory in bbp.BBP_CHANNELS.items()}
    for group, dens in HAY_2011_DENSITIES.items():
        for reg in present[group]:
            for name, g in dens.items():
                if name == "ih" and not ih:
                    continue
                if group == "apical" and name == "ih":
                    value = _ih_rise(g)
                elif group == "apical" and name in ("ca_lvast", "ca_hva") and ca_hot_zone:
                    value = _hot_zone(g, g * (100 if name == "ca_lvast" else 10), ca_hot_zone)
                else:
                    value = g * DENSITY
                cell.paint(channels[name], reg, value)
            if group in HAY_2011_CALCIUM:
                ca = HAY_2011_CALCIUM[group]
                cell.paint(bbp.CaDynamics_E2(gamma=ca["gamma"], decay=ca["decay_ms"] * ms), reg)
    return cell
