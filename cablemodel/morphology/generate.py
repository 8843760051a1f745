"""Generated morphologies: ball-and-stick, Y-neuron and a stylized pyramidal cell.

Each generator takes Brian2 quantities and returns a :class:`~cablemodel.morphology.model.Morphology`
discretized with at most ``max_compartment_length`` per compartment (odd counts). The SWC copies in
the project's ``morphologies/`` folder are written by ``cablemodel morphologies --out morphologies``.
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, um

from .model import Morphology, MorphologyError, Section

__all__ = ["ball_and_stick", "y_neuron", "pyramidal", "GENERATORS"]


def _um(value, name: str) -> float:
    """A positive length given as a Brian2 quantity, as a float in um."""
    from brian2.units.fundamentalunits import fail_for_dimension_mismatch

    fail_for_dimension_mismatch(
        value, um, f"{name} must be a length (e.g. 20*um), got {value!r}"
    )
    v = float(Quantity(value) / um)
    if not v > 0:
        raise MorphologyError(f"{name} must be > 0 um, got {v:g} um")
    return v


def _line(start, direction, length: float, d0: float, d1: float | None = None) -> np.ndarray:
    """Straight section from ``start`` along unit ``direction``: rows x, y, z, diameter (um)."""
    start = np.asarray(start, dtype=float)
    u = np.asarray(direction, dtype=float)
    u = u / np.linalg.norm(u)
    end = start + length * u
    return np.array([[*start, d0], [*end, d0 if d1 is None else d1]])


def _unit(angle_deg: float) -> np.ndarray:
    """Unit vector in the x-y plane; 90 degrees points up (+y, towards the pia)."""
    a = np.deg2rad(angle_deg)
    return np.round([np.cos(a), np.sin(a), 0.0], 15) + 0.0  # exact 0 and 1 on the axes


def _axon_parts(soma_r: float, hillock_length: float, hillock_d: tuple[float, float],
                ais_length: float | None, axon_length: float, axon_d: float) -> list[Section]:
    """Hillock (tapered), optional initial segment, and axon, pointing down (-y)."""
    down = _unit(-90)
    parts = [Section("hillock", "hillock", "soma",
                     _line(soma_r * down, down, hillock_length, *hillock_d))]
    tip = parts[-1].points[-1, :3]
    parent = "hillock"
    if ais_length:
        parts.append(Section("ais", "ais", "hillock", _line(tip, down, ais_length, axon_d)))
        tip, parent = parts[-1].points[-1, :3], "ais"
    if axon_length:
        parts.append(Section("axon", "axon", parent, _line(tip, down, axon_length, axon_d)))
    return parts


def ball_and_stick(
    soma_diameter=20 * um,
    dendrite_length=1500 * um,
    dendrite_diameter=1 * um,
    hillock_length=30 * um,
    hillock_diameter=2 * um,
    axon_length=200 * um,
    axon_diameter=1 * um,
    max_compartment_length=10 * um,
) -> Morphology:
    """Soma with one straight dendrite (region ``basal``), a tapered hillock and an axon.

    The default dendrite (1500 x 1 um) is about five length constants long with the default
    passive parameters, so it behaves almost like an infinite cable.
    The hillock tapers from ``hillock_diameter`` to the axon diameter over ``hillock_length``;
    with :func:`cablemodel.standard_cell` it carries the highest Na+ density, so spikes start
    there (its far half crosses threshold ~50 us before the soma).

    Example
    -------
    >>> from brian2 import um
    >>> m = ball_and_stick(dendrite_length=500 * um)
    >>> round(m["dend"].length, 9)
    500.0
    """
    r = _um(soma_diameter, "soma_diameter") / 2
    L, d = _um(dendrite_length, "dendrite_length"), _um(dendrite_diameter, "dendrite_diameter")
    ad = _um(axon_diameter, "axon_diameter")
    sections = [
        Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 2 * r]])),
        *_axon_parts(r, _um(hillock_length, "hillock_length"),
                     (_um(hillock_diameter, "hillock_diameter"), ad), None,
                     _um(axon_length, "axon_length"), ad),
        Section("dend", "basal", "soma", _line([0, r, 0], _unit(90), L, d)),
    ]
    return Morphology(tuple(sections), name="ball_and_stick").with_compartments(
        _um(max_compartment_length, "max_compartment_length"))


def y_neuron(
    soma_diameter=20 * um,
    trunk_length=200 * um,
    trunk_diameter=2 * um,
    daughter_length=300 * um,
    daughter_diameter=None,
    hillock_length=30 * um,
    hillock_diameter=2 * um,
    axon_length=200 * um,
    axon_diameter=1 * um,
    max_compartment_length=10 * um,
) -> Morphology:
    """Soma, an apical trunk bifurcating into two daughters, a tapered hillock and an axon.

    By default the daughters obey Rall's 3/2 rule, ``2 * d_daughter**1.5 == d_trunk**1.5``, so the
    tree is equivalent to a single cylinder of the trunk's diameter.

    Example
    -------
    >>> m = y_neuron()
    >>> round(2 * m["left"].diameter**1.5, 6) == round(m["trunk"].diameter**1.5, 6)
    True
    """
    r = _um(soma_diameter, "soma_diameter") / 2
    dt = _um(trunk_diameter, "trunk_diameter")
    dd = dt / 2 ** (2 / 3) if daughter_diameter is None else _um(daughter_diameter,
                                                                 "daughter_diameter")
    Lt, Ld = _um(trunk_length, "trunk_length"), _um(daughter_length, "daughter_length")
    ad = _um(axon_diameter, "axon_diameter")
    trunk = Section("trunk", "apical", "soma", _line([0, r, 0], _unit(90), Lt, dt))
    tip = trunk.points[-1, :3]
    sections = [
        Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 2 * r]])),
        *_axon_parts(r, _um(hillock_length, "hillock_length"),
                     (_um(hillock_diameter, "hillock_diameter"), ad), None,
                     _um(axon_length, "axon_length"), ad),
        trunk,
        Section("left", "apical", "trunk", _line(tip, _unit(120), Ld, dd)),
        Section("right", "apical", "trunk", _line(tip, _unit(60), Ld, dd)),
    ]
    return Morphology(tuple(sections), name="y_neuron").with_compartments(
        _um(max_compartment_length, "max_compartment_length"))


def pyramidal(
    n_basal: int = 4,
    soma_diameter=20 * um,
    trunk_length=600 * um,
    max_compartment_length=10 * um,
) -> Morphology:
    """Stylized pyramidal cell: tapering apical trunk with 3 oblique branches and a 3-branch tuft,
    ``n_basal`` (3-5) bifurcating basal dendrites, a tapered hillock, an initial segment (ais) and
    an axon.

    Example
    -------
    >>> m = pyramidal()
    >>> sorted(m.summary()["regions"])
    ['ais', 'apical', 'axon', 'basal', 'hillock', 'soma']
    """
    if not 3 <= int(n_basal) <= 5:
        raise MorphologyError(f"n_basal must be 3, 4 or 5, got {n_basal}")
    r = _um(soma_diameter, "soma_diameter") / 2
    Lt = _um(trunk_length, "trunk_length")
    sections = [Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 2 * r]])),
                *_axon_parts(r, 30.0, (2.0, 1.2), 30.0, 400.0, 1.0)]
    # apical trunk in 4 pieces with obliques at 1/6, 5/12 and 2/3 of its length, tapering 4 -> 2 um
    cuts = np.array([0.0, 1 / 6, 5 / 12, 2 / 3, 1.0]) * Lt
    diam = np.interp(cuts, [0, Lt], [4.0, 2.0])
    parent, tip = "soma", np.array([0.0, r, 0.0])
    for k in range(4):
        name = f"trunk{k}"
        sections.append(Section(name, "apical", parent,
                                _line(tip, _unit(90), cuts[k + 1] - cuts[k], diam[k], diam[k + 1])))
        tip, parent = sections[-1].points[-1, :3], name
        if k < 3:
            side = 30 if k % 2 == 0 else 150
            sections.append(Section(f"oblique{k}", "apical", name,
                                    _line(tip, _unit(side), 150.0, 1.0)))
    for k, angle in enumerate((60, 90, 120)):
        sections.append(Section(f"tuft{k}", "apical", "trunk3", _line(tip, _unit(angle), 250.0, 1.0)))
    for k in range(int(n_basal)):
        angle = -90 + (k - (n_basal - 1) / 2) * (160 / max(n_basal - 1, 1))
        start = r * _unit(angle) if abs(angle + 90) > 20 else r * _unit(angle + 40)
        name = f"basal{k}"
        sections.append(Section(name, "basal", "soma", _line(start, _unit(angle), 60.0, 1.5)))
        stip = sections[-1].points[-1, :3]
        for j, da in enumerate((-20, 20)):
            sections.append(Section(f"{name}_{j}", "basal", name,
                                    _line(stip, _unit(angle + da), 140.0, 1.0)))
    return Morphology(tuple(sections), name="pyramidal").with_compartments(
        _um(max_compartment_length, "max_compartment_length"))


#: Name -> generator, for the CLI and the SWC export.
GENERATORS = {"ball_and_stick": ball_and_stick, "y_neuron": y_neuron, "pyramidal": pyramidal}
#: The generated morphology used where none is named (``cablemodel demo``).
DEFAULT_GENERATOR = "ball_and_stick"
