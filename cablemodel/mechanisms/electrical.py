"""Electrical synapses: gap junctions between two compartments, of one cell or of two cells."""

from __future__ import annotations

from dataclasses import dataclass

from brian2 import Quantity, nS

from ..places import Location, parse_site
from ..units import quantity

__all__ = ["GapJunction"]


@dataclass(frozen=True)
class GapJunction:
    """A gap junction of ``conductance`` (siemens) between site ``a`` of cell ``cell_a`` and site
    ``b`` of cell ``cell_b`` (cell names as given to :func:`cablemodel.simulate_circuit`; the
    default ``"cell"`` is the single cell of :func:`cablemodel.simulate`).

    Current flows directly, in both directions: ``I_b = g (v_a - v_b)`` into ``b`` and the
    opposite into ``a``; it can only pull the two potentials together (it cannot turn
    excitation into inhibition). With ``rectifying=True`` current flows only from ``a`` to ``b``
    (when ``v_a > v_b``), as in rectifying electrical synapses.

    Example
    -------
    >>> from brian2 import nS
    >>> GapJunction("soma", "soma", 1 * nS, cell_a="pre", cell_b="post").conductance
    1. * nsiemens
    """

    a: Location | str
    b: Location | str
    conductance: Quantity
    cell_a: str = "cell"
    cell_b: str = "cell"
    rectifying: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", parse_site(self.a))
        object.__setattr__(self, "b", parse_site(self.b))
        quantity(self.conductance, nS, "gap junction conductance", scalar=True)
        if not self.conductance >= 0 * nS:
            raise ValueError(f"gap junction conductance must be >= 0 nS, got {self.conductance}")
