"""Per-compartment passive membrane: Cm, g_leak, e_leak and Ri per region or as a function of
path distance, and the spine factor.

A membrane parameter of :class:`cablemodel.Cell` (``Cm``, ``g_leak``, ``e_leak``, ``Ri``) is one of

* one value (a quantity): the whole cell;
* a function of path distance (quantity array in um -> quantity array), e.g.
  ``lambda d: 1*uF/cm**2 * (1 + d/(500*um))``;
* a mapping ``{where: value or function}``. ``where`` is anything :func:`~cablemodel.places.region`
  takes (a region name, a :class:`~cablemodel.places.Region`, a site such as ``"basal@200"``) or
  the key ``"default"``, which is applied first wherever it stands; the other keys are applied in
  order, a later one overriding an earlier one where they overlap (as
  :meth:`~cablemodel.Cell.paint` does). Without ``"default"`` the keys must cover every
  compartment, else a ``ValueError`` lists the compartments left out: no compartment ever gets a
  value nobody gave. A standard region name (``"hillock"``, ...) the morphology lacks is skipped,
  any other key selecting no compartment is an error.

:class:`Spines` multiplies Cm and g_leak by a factor on spiny dendrites beyond a path distance
(spine membrane folded into the shaft's, e.g. Hay et al. 2011: factor 2 beyond 100 um on the
apical and basal dendrites). Channel densities are not scaled: they stay per shaft membrane area
(paint a density function to place channels on spines).

:func:`resolve_membrane` computes the per-compartment :class:`Membrane` (SI quantities) that
every consumer uses: the simulation (Brian2 ``SpatialNeuron``: ``Cm`` per compartment; its one
shared ``Ri`` is the soma's and every half compartment's own Ri is folded into its
``r_length``, see :func:`brian2_geometry`), the impedance, the NEURON exports and the metadata.

Axial resistance at a boundary: the resistance between two neighbouring compartment centres is
the sum of the two half-compartment resistances, each ``Ri * integral 4/(pi d^2)`` with *its own
compartment's* Ri. This is NEURON's rule (each half segment has its section's ``Ra``), so a
section boundary or branch point where two Ri meet is modelled identically by both.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, cm, farad, meter, mV, ohm, siemens, uF, um, volt

from .morphology.model import STANDARD_REGIONS, CompartmentTable
from .places import Region, region
from .units import bounded, quantity

__all__ = ["Membrane", "Spines", "RANGES", "resolve_membrane", "per_compartment", "brian2_geometry"]

DENSITY = siemens / cm**2
#: Checked range of each membrane parameter: ``(unit, low, high, unit name, usual values)``; a
#: value outside holds for no neuron (a typo or a wrong unit).
RANGES = {
    "Ri": (ohm * cm, 1, 1e5, "ohm*cm", "cytoplasm: about 35-300 ohm*cm"),
    "Cm": (uF / cm**2, 1e-4, 100, "uF/cm^2", "membranes: about 1 uF/cm^2, myelin 0.001-0.05"),
    "g_leak": (DENSITY, 0, 1, "S/cm^2", "membranes: about 1e-5 to 1e-3 S/cm^2, > 0"),
    "e_leak": (mV, -200, 200, "mV", ""),
}
_SI = {"Ri": ohm * meter, "Cm": farad / meter**2, "g_leak": siemens / meter**2, "e_leak": volt}

Spec = Quantity | Mapping | Callable[[Quantity], Quantity]


@dataclass(frozen=True)
class Spines:
    """Spine compensation: Cm and g_leak multiplied by ``factor`` on the compartments of
    ``where`` (anything :func:`~cablemodel.places.region` takes; the dendrites by default) whose
    midpoint lies at a path distance >= ``beyond``.

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel import ball_and_stick
    >>> t = ball_and_stick().compartments()
    >>> s = Spines(2.0, beyond=100 * um)
    >>> int(s.mask(t).sum()), bool((t.distance[s.mask(t)] >= 100).all())
    (141, True)
    """

    factor: float
    beyond: Quantity = field(default_factory=lambda: 0 * um)
    where: object = "dendrite"

    def __post_init__(self) -> None:
        f = self.factor
        if isinstance(f, bool) or not isinstance(f, numbers.Real) or not (
                math.isfinite(f) and 0.1 <= f <= 20):
            raise ValueError(f"Spines factor must be a number between 0.1 and 20 (spine membrane"
                             f" per shaft membrane, about 1.5-3), got {f!r}")
        b = quantity(self.beyond, um, "Spines beyond", scalar=True)
        if not float(b) >= 0:
            raise ValueError(f"Spines beyond must be a path distance >= 0 um, got {self.beyond}")

    def mask(self, table: CompartmentTable) -> np.ndarray:
        """Compartments whose Cm and g_leak are scaled (boolean mask, Brian2's order).

        Example
        -------
        >>> from brian2 import um
        >>> from cablemodel import ball_and_stick
        >>> bool(Spines(2.0, 10_000 * um).mask(ball_and_stick().compartments()).any())
        False
        """
        return region(self.where).mask(table) & (table.distance >= float(self.beyond / um))


@dataclass(frozen=True)
class Membrane:
    """Per-compartment passive membrane (Brian2's compartment order, SI quantities): ``Cm``
    (F/m^2), ``g_leak`` (S/m^2), ``e_leak`` (V; ``None``: the leak reversal is computed so that
    the cell rests at ``v_rest``, see :meth:`cablemodel.Cell.leak_reversal`) and ``Ri`` (ohm*m).

    Example
    -------
    >>> from brian2 import uF, cm
    >>> from cablemodel import Cell, ball_and_stick
    >>> m = Cell(ball_and_stick(), Cm={"default": 1 * uF / cm**2, "soma": 2 * uF / cm**2}).membrane()
    >>> [round(float(c / (uF / cm**2)), 3) for c in m.Cm[:2]], m.e_leak is None
    ([2.0, 1.0], True)
    """

    Cm: Quantity
    g_leak: Quantity
    e_leak: Quantity | None
    Ri: Quantity


def per_compartment(spec, table: CompartmentTable, name: str) -> np.ndarray:
    """The value of membrane parameter ``name`` (``"Cm"``, ``"g_leak"``, ``"e_leak"``, ``"Ri"``)
    in every compartment of ``table``, in SI units (plain floats: F/m^2, S/m^2, V, ohm*m), from
    one value, a function of path distance or a mapping (see the module docstring); every value
    checked against :data:`RANGES`.

    Example
    -------
    >>> from brian2 import ohm, cm, um
    >>> from cablemodel import ball_and_stick
    >>> t = ball_and_stick().compartments()
    >>> ri = per_compartment({"default": 100 * ohm * cm, "axon": 50 * ohm * cm}, t, "Ri")
    >>> sorted(set(ri.round(6).tolist()))  # ohm*m
    [0.5, 1.0]
    >>> per_compartment({"soma": 100 * ohm * cm}, t, "Ri")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Ri mapping leaves 175 compartments without a value (regions hillock, axon, basal); ...
    """
    n = len(table)
    if isinstance(spec, Mapping):
        out = np.full(n, np.nan)
        keys = sorted(spec, key=lambda k: not (isinstance(k, str) and k == "default"))
        for key in keys:
            if isinstance(key, str) and key == "default":
                mask = np.ones(n, dtype=bool)
            else:
                if not isinstance(key, str | Region) and not hasattr(key, "resolve"):
                    raise TypeError(f"{name} mapping: a key must be a region name, a Region, a site"
                                    f" or 'default', got {key!r}")
                mask = region(key).mask(table)
                if not mask.any():
                    if isinstance(key, str) and key in STANDARD_REGIONS:
                        continue  # a standard region this morphology lacks
                    raise ValueError(f"{name} mapping: {key!r} selects no compartment of this"
                                     f" morphology (regions: {', '.join(table.regions)})")
            out[mask] = _values(spec[key], table, mask, name, f"{name}[{key!r}]")
        missing = np.isnan(out)
        if missing.any():
            regions = ", ".join(dict.fromkeys(table.region[missing].tolist()))
            raise ValueError(f"{name} mapping leaves {int(missing.sum())} compartments without a"
                             f" value (regions {regions}); add a 'default' key or those regions")
        return out
    return _values(spec, table, np.ones(n, dtype=bool), name, name)


def _values(spec, table: CompartmentTable, mask: np.ndarray, name: str, what: str) -> np.ndarray:
    """SI values of one value or function ``spec`` on the compartments of ``mask``."""
    unit, low, high, unit_name, note = RANGES[name]
    if callable(spec) and not isinstance(spec, Quantity):
        q = spec(table.distance[mask] * um)
        quantity(q, unit, f"{what} (a function of distance)")
        x = np.broadcast_to(np.asarray(q / unit, dtype=float), (int(mask.sum()),))
        bad = ~(np.isfinite(x) & (x >= low) & (x <= high)) | ((x <= 0) if name == "g_leak" else False)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{what} (a function of distance) gives {x[i]:g} {unit_name} at"
                             f" {float(table.distance[mask][i]):g} um, outside {low:g} to {high:g}"
                             f" {unit_name}{f' ({note})' if note else ''}")
        return x * float(unit / _SI[name])
    q = bounded(spec, unit, what, low, high, unit_name, note)
    if name == "g_leak" and not float(q) > 0:
        raise ValueError(f"{what} must be > 0 S/cm^2, got {spec}")
    return np.full(int(mask.sum()), float(q / _SI[name]))


def resolve_membrane(table: CompartmentTable, *, Cm: Spec, g_leak: Spec, e_leak: Spec | None,
                     Ri: Spec, spines: Spines | None = None) -> Membrane:
    """Per-compartment :class:`Membrane` of a cell's parameters (see the module docstring); the
    spine factor multiplies Cm and g_leak where :meth:`Spines.mask` selects. What
    :meth:`cablemodel.Cell.membrane` returns.

    Example
    -------
    >>> from brian2 import uF, cm, siemens, um
    >>> from cablemodel import ball_and_stick
    >>> t = ball_and_stick().compartments()
    >>> m = resolve_membrane(t, Cm=1 * uF / cm**2, g_leak=1e-4 * siemens / cm**2, e_leak=None,
    ...                      Ri=100 * ohm * cm, spines=Spines(2.0, beyond=100 * um))
    >>> sorted(set(np.round(np.asarray(m.Cm / (uF / cm**2)), 6).tolist()))
    [1.0, 2.0]
    """
    if spines is not None and not isinstance(spines, Spines):
        raise TypeError(f"spines must be a Spines(factor, beyond, where), got {spines!r}")
    cm_ = per_compartment(Cm, table, "Cm")
    gl = per_compartment(g_leak, table, "g_leak")
    if spines is not None:
        mask = spines.mask(table)
        cm_[mask] *= spines.factor
        gl[mask] *= spines.factor
    el = None if e_leak is None else per_compartment(e_leak, table, "e_leak") * volt
    return Membrane(Cm=cm_ * _SI["Cm"], g_leak=gl * _SI["g_leak"], e_leak=el,
                    Ri=per_compartment(Ri, table, "Ri") * _SI["Ri"])


def brian2_geometry(table: CompartmentTable, Ri: Quantity) -> tuple[dict[str, np.ndarray], Quantity]:
    """The values to set on a Brian2 ``SpatialNeuron`` (see
    :meth:`~cablemodel.morphology.model.CompartmentTable.brian2_values`) for per-compartment
    ``Ri`` (ohm*m), and the one shared ``Ri`` to construct it with (the soma's). Brian2 divides
    each half compartment's ``r_length`` by the shared Ri; here each is multiplied by
    ``Ri_shared / Ri_i`` so that the half's resistance is ``Ri_i * integral 4/(pi d^2)``, its own
    compartment's (NEURON's rule at section boundaries and branch points). The soma keeps its
    ``r_length`` of 1 m (no axial resistance).

    Example
    -------
    >>> from brian2 import ohm, cm
    >>> from cablemodel import ball_and_stick
    >>> t = ball_and_stick().compartments()
    >>> ri = per_compartment({"default": 100 * ohm * cm, "axon": 200 * ohm * cm}, t, "Ri")
    >>> values, shared = brian2_geometry(t, ri * ohm * meter)
    >>> axon = int(np.flatnonzero(t.region == "axon")[0])
    >>> plain = t.brian2_values()["r_length_1_"][axon]
    >>> float(shared / (ohm * cm)), round(float(values["r_length_1_"][axon] / plain), 6)
    (100.0, 0.5)
    """
    values = table.brian2_values()
    ri = np.asarray(Ri / (ohm * meter), dtype=float)
    shared = float(ri[0])
    root = table.parent == -1 if table.parent is not None else table.region == "soma"
    scale = np.where(root, 1.0, shared / ri)
    values["r_length_1_"] = values["r_length_1_"] * scale
    values["r_length_2_"] = values["r_length_2_"] * scale
    return values, shared * ohm * meter
