"""Excitable fibres for conduction studies: a myelinated axon with Hodgkin-Huxley nodes of Ranvier
(:func:`myelinated_cell`) and the unmyelinated Hodgkin-Huxley fibre (:func:`unmyelinated_cell`).

Both use the squid-axon Hodgkin-Huxley channels (:func:`cablemodel.HHSodium`,
:func:`cablemodel.HHPotassium`) and membrane (Cm 1 uF/cm^2, leak 0.3 mS/cm^2; the leak reversal
keeps the rest at ``v_rest``, as in Hodgkin and Huxley 1952) at 18.5 degC, where Hodgkin and
Huxley computed 18.8 m/s for their 476 um axon with Ri 35.4 ohm*cm. The nodes carry ten times
the squid densities by default (about the Na+ channel density of mammalian nodes, ~1000 per
um^2, against ~100 in squid axon). See :mod:`cablemodel.morphology.myelin` for the myelin's
membrane and the references.
"""

from __future__ import annotations

from brian2 import Quantity, cm, mV, ohm, siemens, uF

from .cell import Cell
from .mechanisms.channels import HHPotassium, HHSodium
from .morphology.model import Morphology
from .morphology.myelin import myelin_membrane

__all__ = ["myelinated_cell", "unmyelinated_cell", "HH_CELSIUS"]

S_CM2 = siemens / cm**2
#: Temperature (degC) of Hodgkin and Huxley's (1952) computed propagated action potential.
HH_CELSIUS = 18.5


def unmyelinated_cell(morphology: Morphology, *, where: str = "axon", sodium: Quantity = 0.12 * S_CM2,
                      potassium: Quantity = 0.036 * S_CM2, Ri: Quantity = 35.4 * ohm * cm,
                      celsius: float = HH_CELSIUS, **cell) -> Cell:
    """The Hodgkin-Huxley fibre: ``sodium`` and ``potassium`` (S/cm^2) on region ``where``,
    Cm 1 uF/cm^2, leak 0.3 mS/cm^2, Ri 35.4 ohm*cm, 18.5 degC (Hodgkin and Huxley 1952); spikes
    counted in ``where``. ``cell`` goes to :class:`cablemodel.Cell`.

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel.morphology.myelin import axon_fibre
    >>> [c.name for c in unmyelinated_cell(axon_fibre(1 * um, 500 * um)).channels]
    ['na', 'k']
    """
    cell.setdefault("spike_site", where)
    out = Cell(morphology, Ri=Ri, Cm=cell.pop("Cm", 1 * uF / cm**2),
               g_leak=cell.pop("g_leak", 3e-4 * S_CM2), v_rest=cell.pop("v_rest", -65 * mV),
               celsius=celsius, **cell)
    return out.paint(HHSodium(), where, sodium).paint(HHPotassium(), where, potassium)


def myelinated_cell(morphology: Morphology, n_lamellae: float, *, sodium: Quantity = 1.2 * S_CM2,
                    potassium: Quantity = 0.36 * S_CM2, Cm: Quantity = 1 * uF / cm**2,
                    g_leak: Quantity = 3e-4 * S_CM2, Ri: Quantity = 35.4 * ohm * cm,
                    celsius: float = HH_CELSIUS, **cell) -> Cell:
    """A cell on a :func:`~cablemodel.morphology.myelin.myelinate`-d morphology: Hodgkin-Huxley
    ``sodium`` and ``potassium`` (S/cm^2) on the nodes (region ``"node"``), the internodes
    covered by ``n_lamellae`` lamellae of myelin (Cm and g_leak divided by ``2 n``:
    :func:`~cablemodel.morphology.myelin.myelin_membrane`), Ri 35.4 ohm*cm, 18.5 degC; spikes
    counted at the nodes. ``cell`` goes to :class:`cablemodel.Cell`.

    Example
    -------
    >>> from brian2 import um, uF, cm
    >>> from cablemodel.morphology.myelin import axon_fibre, myelinate
    >>> cell = myelinated_cell(myelinate(axon_fibre(1 * um, 500 * um)), 20)
    >>> t, m = cell.table, cell.membrane()
    >>> round(float(m.Cm[t.region == "internode"][0] / (uF / cm**2)), 6), cell.spike_site
    (0.025, 'node')
    """
    if not (morphology.compartments().region == "node").any():
        raise ValueError("the morphology has no nodes of Ranvier; myelinate(morphology) first")
    cell.setdefault("spike_site", "node")
    out = Cell(morphology, Ri=Ri, celsius=celsius, **myelin_membrane(n_lamellae, Cm, g_leak), **cell)
    return out.paint(HHSodium(), "node", sodium).paint(HHPotassium(), "node", potassium)
