"""Cell assembly: a morphology with passive membrane properties and channels painted on regions.

What is placed where (Arbor's idea): channels are *painted* on regions with a density that may
depend on path distance; synapses and clamps are *placed* at locations when simulating.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from brian2 import Quantity, cm, meter, mM, ms, mV, ohm, second, siemens, uF, um

from .mechanisms.channels import RESTING_CONCENTRATIONS, Channel, HHPotassium, HHSodium
from .mechanisms.concentrations import CalciumDynamics, steady_calcium
from .mechanisms.ions import FARADAY
from .membrane import RANGES, Membrane, Spines, resolve_membrane
from .morphology.model import STANDARD_REGIONS, CompartmentTable, Morphology
from .places import Location, Region, parse_site, region
from .units import bounded, quantity

__all__ = ["Cell", "standard_cell", "Painted", "DEFAULT_DENSITIES", "membrane_parameters"]

DENSITY = siemens / cm**2
#: Default Na+/K+ densities (S/cm^2) per region in :func:`standard_cell`. The hillock carries the
#: most Na+ (10x the axon's), so spikes start there; the soma has less Na+ than the HH squid
#: axon (as in mammalian neurons) and the dendrites are passive. Hillock Na+ and K+ are balanced
#: so that their resting currents nearly cancel.
DEFAULT_DENSITIES = {
    "soma": {"na": 0.05, "k": 0.036},
    "hillock": {"na": 1.2, "k": 0.12},
    "ais": {"na": 0.5, "k": 0.1},
    "axon": {"na": 0.12, "k": 0.036},
}


def membrane_parameters(Ri=100 * ohm * cm, Cm=1 * uF / cm**2, g_leak=3e-4 * siemens / cm**2,
                        v_rest=-65 * mV, spike_threshold=-20 * mV, celsius: float = 6.3,
                        spike_overshoot: Quantity | None = 0 * mV,
                        spike_window=0.5 * ms) -> dict:
    """The passive and spike-detection parameters of a :class:`Cell` (its defaults), checked:
    one finite value each, within a range that holds for any neuron (a value outside is a typo
    or a wrong unit), else a ``ValueError`` naming the parameter. Ranges
    (:data:`cablemodel.membrane.RANGES`): ``Ri`` 1-1e5 ohm*cm, ``Cm`` 1e-4-100 uF/cm^2 (myelin
    included), ``g_leak`` > 0 and at most 1 S/cm^2, ``v_rest`` and ``spike_threshold`` -200 to
    +200 mV with the threshold above rest, ``celsius`` 0-50 degC, ``spike_overshoot`` ``None`` or
    above ``spike_threshold`` (at most +200 mV), ``spike_window`` 0.001-10 ms. Returns them by
    name (quantities; celsius a float).

    Example
    -------
    >>> from brian2 import ohm, cm, uF
    >>> float(membrane_parameters(Ri=150 * ohm * cm)["Ri"] / (ohm * cm))
    150.0
    >>> membrane_parameters(Cm=float("inf") * uF / cm**2)
    Traceback (most recent call last):
    ...
    ValueError: Cm must be one finite value, got inf * ufarad / (cmetre ** 2)
    >>> membrane_parameters(spike_overshoot=-30 * mV)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: spike_overshoot (-30. mV) must be above spike_threshold (-20. mV): ...
    """
    out = {key: bounded(value, RANGES[key][0], key, *RANGES[key][1:])
           for key, value in (("Ri", Ri), ("Cm", Cm), ("g_leak", g_leak))}
    out |= {"v_rest": bounded(v_rest, mV, "v_rest", -200, 200, "mV"),
            "spike_threshold": bounded(spike_threshold, mV, "spike_threshold", -200, 200, "mV")}
    if not float(out["g_leak"]) > 0:
        raise ValueError(f"g_leak must be > 0 S/cm^2, got {g_leak}")
    if not out["spike_threshold"] > out["v_rest"]:
        raise ValueError(f"spike_threshold ({spike_threshold}) must be above v_rest ({v_rest}):"
                         " a cell above its threshold at rest counts no spikes")
    if spike_overshoot is not None:
        over = bounded(spike_overshoot, mV, "spike_overshoot", -200, 200, "mV",
                       "the peak an action potential must reach, usually 0 mV")
        if not over > out["spike_threshold"]:
            raise ValueError(f"spike_overshoot ({spike_overshoot}) must be above spike_threshold"
                             f" ({out['spike_threshold']}): it is the level an action potential"
                             " reaches after crossing the threshold; pass spike_overshoot=None"
                             " to count every threshold crossing")
        spike_overshoot = over
    out["spike_overshoot"] = spike_overshoot
    out["spike_window"] = bounded(spike_window, ms, "spike_window", 1e-3, 10, "ms",
                                  "the rise from threshold to overshoot: about 0.1-0.3 ms")
    if isinstance(celsius, bool) or not isinstance(celsius, numbers.Real) or not (
            math.isfinite(celsius) and 0 <= celsius <= 50):
        raise ValueError(f"celsius must be a temperature in degC between 0 and 50, got {celsius!r}")
    out["celsius"] = float(celsius)
    return out


@dataclass(frozen=True)
class Painted:
    """A channel painted on a region with a density (S/cm^2, or cm/s for a GHK channel: a
    quantity, or a function of path distance returning one), or calcium dynamics (density
    ``None``); :meth:`Cell.paint` makes them.

    Example
    -------
    >>> from brian2 import siemens, cm
    >>> from cablemodel import ball_and_stick, HHSodium
    >>> p = Cell(ball_and_stick()).paint(HHSodium(), "soma", 0.05 * siemens / cm**2).painted[0]
    >>> p.channel.name, str(p.where), float(p.density / (siemens / cm**2))
    ('na', 'soma', 0.05)
    """

    channel: Channel | CalciumDynamics
    where: Region
    density: Quantity | Callable[[Quantity], Quantity] | None


class Cell:
    """A neuron: morphology, passive membrane and painted channels.

    Parameters
    ----------
    morphology : Morphology
    Ri : Quantity, mapping or function
        Axial (cytoplasmic) resistivity, ohm*cm.
    Cm : Quantity, mapping or function
        Specific membrane capacitance, uF/cm^2.
    g_leak : Quantity, mapping or function
        Leak conductance density, S/cm^2 (membrane resistance Rm = 1/g_leak).

        ``Ri``, ``Cm``, ``g_leak`` and ``e_leak`` are each one value, a function of path distance
        or a ``{region or site or "default": value}`` mapping (later keys override earlier ones;
        see :mod:`cablemodel.membrane`); :meth:`membrane` gives the per-compartment values.
    v_rest : Quantity
        Resting potential. With ``e_leak=None`` (the default), the leak reverses here in passive
        membrane and, where channels are painted, the leak reversal is set per compartment so
        that the membrane rests exactly at ``v_rest`` (see :meth:`leak_reversal`): every
        simulation starts in a true steady state.
    celsius : float
        Temperature (deg C) for the channels' Q10 correction (6.3 = Hodgkin-Huxley's squid).
    spike_site : str
        Region whose middle compartment detects spikes (the axon hillock by default).
    spike_threshold : Quantity
        Voltage whose upward crossing at the spike site starts a candidate spike; a new
        candidate starts only after the potential has fallen back below it. Spike times are the
        crossings interpolated linearly within the time step. Must be above ``v_rest``.
    spike_overshoot : Quantity or None
        Level (default 0 mV) the potential at the spike site must reach, after crossing
        ``spike_threshold`` and before falling back below it, within ``spike_window``, for the
        crossing to count as an action potential (the criterion: *Action potentials* in
        :mod:`cablemodel.simulation.engine`). ``None`` counts every threshold crossing (NEURON's
        ``APCount``/``NetCon``, Arbor's threshold detector).
    spike_window : Quantity
        Time (default 0.5 ms) after the threshold crossing within which the overshoot must be
        reached; a :class:`~cablemodel.Connection` from this cell needs a delay at least this
        long (its event leaves once the criterion is decided).
    e_leak : None, Quantity, mapping or function
        The leak reversal (mV), given explicitly. The simulation then starts as NEURON's and
        Arbor's ``finitialize`` do: ``v = v_rest`` everywhere and every gate at its steady state
        at ``v_rest``; this is a steady state only if the values make it one (e.g. passive
        membrane with ``e_leak = v_rest``).
    spines : Spines or None
        Spine compensation (:class:`~cablemodel.membrane.Spines`): Cm and g_leak multiplied by a
        factor on spiny dendrites beyond a distance (channel densities unchanged).

    Every value must be finite and within a range that holds for any neuron, else a
    ``ValueError`` names it (see :func:`membrane_parameters`).

    Example
    -------
    >>> from brian2 import siemens, cm
    >>> from cablemodel import ball_and_stick, HHSodium
    >>> cell = Cell(ball_and_stick()).paint(HHSodium(), "hillock", 0.5 * siemens / cm**2)
    >>> float(cell.densities()["na"].max())  # S/m^2
    5000.0
    """

    def __init__(self, morphology: Morphology, Ri=100 * ohm * cm, Cm=1 * uF / cm**2,
                 g_leak=3e-4 * siemens / cm**2, v_rest=-65 * mV, celsius: float = 6.3,
                 spike_site: str = "hillock", spike_threshold=-20 * mV,
                 spike_overshoot: Quantity | None = 0 * mV, spike_window=0.5 * ms, *,
                 e_leak=None, spines: Spines | None = None) -> None:
        if not isinstance(morphology, Morphology):
            raise TypeError(f"morphology must be a cablemodel Morphology, got {type(morphology)}")
        self.morphology = morphology
        checked = membrane_parameters(v_rest=v_rest, spike_threshold=spike_threshold,
                                      celsius=celsius, spike_overshoot=spike_overshoot,
                                      spike_window=spike_window)
        self.Ri, self.Cm, self.g_leak, self.e_leak, self.spines = Ri, Cm, g_leak, e_leak, spines
        self._membrane = resolve_membrane(self.table, Cm=Cm, g_leak=g_leak, e_leak=e_leak, Ri=Ri,
                                          spines=spines)
        self.v_rest, self.spike_threshold = checked["v_rest"], checked["spike_threshold"]
        self.spike_overshoot: Quantity | None = checked["spike_overshoot"]
        self.spike_window: Quantity = checked["spike_window"]
        self.celsius = checked["celsius"]
        self.spike_site = spike_site
        self.painted: list[Painted] = []
        if not region(spike_site).mask(self.table).any():
            raise ValueError(f"spike_site {spike_site!r} is not a region of this morphology"
                             f" (regions: {self.table.regions}); add a hillock or pass"
                             " spike_site='soma'")

    @cached_property
    def table(self) -> CompartmentTable:
        """Per-compartment geometry (see :class:`CompartmentTable`; lengths in um).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> table = Cell(ball_and_stick()).table
        >>> len(table), str(table.region[0]), float(table.diameter[0])
        (176, 'soma', 20.0)
        """
        return self.morphology.compartments()

    @property
    def spike_compartment(self) -> int:
        """Index of the compartment that detects spikes (middle of the spike-site region).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> cell = Cell(ball_and_stick())
        >>> i = cell.spike_compartment
        >>> i, str(cell.table.region[i]), float(cell.table.distance[i])  # distance in um
        (2, 'hillock', 15.0)
        """
        return parse_site(self.spike_site).resolve(self.table)

    def window_steps(self, dt) -> int:
        """``spike_window`` in time steps of ``dt`` (second), rounded to the nearest step, at
        least 1: the action-potential criterion looks at the potential at the ends of this many
        steps after the crossing step (the crossing step's own end included).

        Example
        -------
        >>> from brian2 import ms
        >>> from cablemodel import ball_and_stick
        >>> Cell(ball_and_stick()).window_steps(0.025 * ms), Cell(ball_and_stick()).window_steps(1 * ms)
        (20, 1)
        """
        return max(1, int(np.rint(float(self.spike_window / dt))))

    def paint(self, channel: Channel | CalciumDynamics, where, density=None) -> Cell:
        """Put ``channel`` on ``where`` at ``density`` (S/cm^2 quantity, cm/s for a GHK channel,
        or a function of path distance quantity -> density, e.g.
        ``lambda d: 0.1*siemens/cm**2*exp(-d/(300*um))``), or calcium dynamics
        (:class:`~cablemodel.mechanisms.concentrations.CalciumDynamics`, no density) on
        ``where``.

        ``where`` is anything :func:`~cablemodel.places.region` takes: a region name, a
        :class:`~cablemodel.places.Region` (e.g. ``subtree("apical_0")``, ``region("apical") &
        within(0*um, 300*um)``), a site (``swc_sample(120)``, ``"basal@200"``, ``"#50"``) or a list
        of sites (``random_sites(...)``): the channel goes on exactly those compartments. A later
        paint of the same channel (or of any calcium dynamics) overrides an earlier one where they
        overlap. Returns the cell, so calls can be chained.

        Example
        -------
        >>> import numpy as np
        >>> from brian2 import siemens, cm, um
        >>> from cablemodel import ball_and_stick, HHSodium, random_sites
        >>> cell = Cell(ball_and_stick()).paint(
        ...     HHSodium(), "basal", lambda d: 0.01 * siemens / cm**2 * np.exp(-d / (300 * um)))
        >>> bool(cell.densities()["na"].max() < 100)  # S/m^2
        True
        >>> hot = Cell(ball_and_stick()).paint(HHSodium(), random_sites("basal", 3, seed=2),
        ...                                    0.1 * siemens / cm**2)
        >>> na = hot.densities()["na"]  # 0.1 S/cm^2 = 1000 S/m^2 on the 3 drawn compartments only
        >>> np.flatnonzero(na).tolist(), sorted(set(na.tolist()))
        ([64, 70, 147], [0.0, 1000.0])
        """
        where = region(where)
        if not isinstance(channel, (Channel, CalciumDynamics)):
            raise TypeError(f"paint takes a Channel or CalciumDynamics, got {type(channel).__name__}")
        if not where.mask(self.table).any():
            raise ValueError(f"cannot paint {channel.name!r} on {where}: no compartments there"
                             f" (regions: {self.table.regions})")
        dynamics = isinstance(channel, CalciumDynamics) or any(
            isinstance(p.channel, CalciumDynamics) for p in self.painted)
        named_ca = channel.name == "ca" if isinstance(channel, Channel) else any(
            p.channel.name == "ca" for p in self.painted if isinstance(p.channel, Channel))
        if dynamics and named_ca:
            raise ValueError("a channel named 'ca' and calcium dynamics on one cell would both"
                             " record as 'i_ca' (the dynamics' summed Ca2+ current); rename the"
                             " channel, e.g. 'cal'")
        if isinstance(channel, CalciumDynamics):
            if density is not None:
                raise ValueError(f"calcium dynamics {channel.name!r} take no density; paint them"
                                 " with cell.paint(CalciumDynamics(...), where)")
            self.painted.append(Painted(channel, where, None))
            return self
        if density is None:
            raise ValueError(f"painting channel {channel.name!r} needs a density"
                             f" ({channel.density_unit}, or a function of path distance)")
        if not callable(density):
            quantity(density, channel.density_unit, f"density of {channel.name!r}", scalar=True)
            if not float(density) >= 0:
                raise ValueError(f"density of {channel.name!r} must be >= 0, got {density}")
        for p in self.painted:
            if p.channel.name == channel.name and p.channel != channel:
                raise ValueError(f"a different channel named {channel.name!r} is already painted")
        self.painted.append(Painted(channel, where, density))
        return self

    @property
    def channels(self) -> list[Channel]:
        """Channels with a non-zero density somewhere, in painting order.

        Example
        -------
        >>> from brian2 import siemens, cm
        >>> from cablemodel import ball_and_stick, HHSodium, HHPotassium
        >>> cell = Cell(ball_and_stick()).paint(HHSodium(), "soma", 0.05 * siemens / cm**2)
        >>> cell = cell.paint(HHPotassium(), "soma", 0 * siemens / cm**2)
        >>> [ch.name for ch in cell.channels]  # K+ has zero density everywhere
        ['na']
        """
        dens = self.densities()
        out: dict[str, Channel] = {}
        for p in self.painted:
            if isinstance(p.channel, Channel) and dens[p.channel.name].any():
                out.setdefault(p.channel.name, p.channel)
        return list(out.values())

    def densities(self) -> dict[str, np.ndarray]:
        """Per-compartment density of each painted channel, in S/m^2 (m/s for a GHK channel;
        floats, Brian2 order).

        Example
        -------
        >>> from brian2 import siemens, cm
        >>> from cablemodel import ball_and_stick, HHSodium
        >>> cell = Cell(ball_and_stick()).paint(HHSodium(), "soma", 0.05 * siemens / cm**2)
        >>> na = cell.densities()["na"]  # 0.05 S/cm^2 = 500 S/m^2
        >>> float(na[0]), float(na[1]), len(na) == len(cell.table)
        (500.0, 0.0, True)
        """
        out: dict[str, np.ndarray] = {}
        dist = self.table.distance * um
        for p in self.painted:
            if not isinstance(p.channel, Channel):
                continue
            arr = out.setdefault(p.channel.name, np.zeros(len(self.table)))
            mask = p.where.mask(self.table)
            unit, scale = ((cm / second, 1e-2) if p.channel.current_kind == "ghk"
                           else (siemens / cm**2, 1e4))
            if callable(p.density):
                vals = p.density(dist[mask])
                quantity(vals, unit, f"density function of {p.channel.name!r}")
                vals = np.broadcast_to(np.asarray(vals / unit * scale, float),
                                       (int(mask.sum()),))
                if np.any(~np.isfinite(vals)) or np.any(vals < 0):
                    raise ValueError(f"density function of {p.channel.name!r} returned negative"
                                     " or non-finite values")
            else:
                vals = float(p.density / unit) * scale
            arr[mask] = vals
        return out

    def calcium_parameters(self) -> dict[str, np.ndarray] | None:
        """Per-compartment parameters of the painted calcium dynamics (``None`` if there are
        none): the Brian2 parameters of
        :data:`~cablemodel.mechanisms.concentrations.CALCIUM_PARAMETERS` in SI units, ``cao``
        (mM) and ``painted`` (bool). Unpainted compartments get ``gamma = 0`` and ``minimum`` =
        the resting ``cai``, so that the same update leaves their ``cai`` unchanged.

        Example
        -------
        >>> from brian2 import ms
        >>> from cablemodel import ball_and_stick, CalciumDynamics
        >>> cell = Cell(ball_and_stick()).paint(CalciumDynamics(decay=20 * ms), "soma")
        >>> p = cell.calcium_parameters()
        >>> p["decay_cai"][:2].tolist(), p["painted"][:2].tolist()
        ([0.02, 0.08], [True, False])
        """
        mine = [p for p in self.painted if isinstance(p.channel, CalciumDynamics)]
        if not mine:
            return None
        n = len(self.table)
        rest = CalciumDynamics(minimum=RESTING_CONCENTRATIONS["cai"] * mM,
                               outside=RESTING_CONCENTRATIONS["cao"] * mM).values()
        out = {k: np.full(n, x) for k, x in rest.items()}
        out["gamma_cai"][:] = 0.0
        out["painted"] = np.zeros(n, dtype=bool)
        for p in mine:
            mask = p.where.mask(self.table)
            for k, x in p.channel.values().items():
                out[k][mask] = x
            out["painted"][mask] = True
        return out

    def resting_concentrations(self) -> dict[str, np.ndarray]:
        """Per-compartment concentrations (mM, plain floats) ``cai`` and ``cao`` at rest: where
        calcium dynamics are painted, the steady state at ``v_rest`` with every channel's gates
        at their steady state (the calcium current at rest balancing the decay; see
        :func:`~cablemodel.mechanisms.concentrations.steady_calcium`), elsewhere the resting
        values :data:`~cablemodel.mechanisms.channels.RESTING_CONCENTRATIONS`.

        Example
        -------
        >>> from cablemodel import ball_and_stick, CalciumDynamics
        >>> cell = Cell(ball_and_stick()).paint(CalciumDynamics(), "soma")
        >>> float(cell.resting_concentrations()["cai"][0])  # no Ca2+ channel: the minimum, mM
        0.0001
        """
        n = len(self.table)
        conc = {k: np.full(n, x) for k, x in RESTING_CONCENTRATIONS.items()}
        params = self.calcium_parameters()
        if params is None:
            return conc
        conc["cao"] = params["cao"]
        on = np.flatnonzero(params["painted"])
        v = float(self.v_rest / mV)
        dens = self.densities()
        ca = [ch for ch in self.channels if ch.ion == "ca"]

        def inward(cai):
            here = {"cai": cai, "cao": conc["cao"][on]}
            return sum((ch.current_density(v, self.celsius, conc=here, density=dens[ch.name][on])
                        for ch in ca), np.zeros(on.size))

        factor = params["gamma_cai"][on] / (2 * FARADAY * params["depth_cai"][on])
        conc["cai"][on] = steady_calcium(params["minimum_cai"][on], factor, params["decay_cai"][on],
                                         inward, f" at v_rest = {v:g} mV")
        return conc

    @property
    def active_compartments(self) -> np.ndarray:
        """Indices of compartments carrying at least one channel or calcium dynamics (where
        states are integrated).

        Example
        -------
        >>> from brian2 import siemens, cm
        >>> from cablemodel import ball_and_stick, HHSodium
        >>> cell = Cell(ball_and_stick()).paint(HHSodium(), "hillock", 1.2 * siemens / cm**2)
        >>> cell.active_compartments.tolist()
        [1, 2, 3]
        """
        masks = [d > 0 for d in self.densities().values()]
        params = self.calcium_parameters()
        if params is not None:
            masks.append(params["painted"])
        if not masks:
            return np.array([], dtype=int)
        return np.flatnonzero(np.any(masks, axis=0))

    def membrane(self) -> Membrane:
        """Per-compartment passive membrane (:class:`~cablemodel.membrane.Membrane`: ``Cm``
        F/m^2, ``g_leak`` S/m^2, ``e_leak`` V or ``None``, ``Ri`` ohm*m; Brian2's order), spine
        factor included: what the simulation, the impedance and the exports use.

        Example
        -------
        >>> from brian2 import uF, cm, um
        >>> from cablemodel import ball_and_stick
        >>> cell = Cell(ball_and_stick(), Cm=lambda d: (1 + d / (100 * um)) * uF / cm**2)
        >>> m = cell.membrane()
        >>> i = parse_site("basal@200").resolve(cell.table)  # its midpoint at 203.6 um
        >>> round(float(m.Cm[i] / (uF / cm**2)), 3), round(float(m.Cm[0] / (uF / cm**2)), 3)
        (3.036, 1.0)
        """
        return self._membrane

    def leak_reversal(self) -> Quantity:
        """Leak reversal per compartment (volt) that the simulation uses: ``e_leak`` where it was
        given, else the one that makes every compartment rest at ``v_rest``:
        ``E_L = v_rest - sum_c I_c(v_rest) / g_leak`` (``g_leak`` the compartment's), ``I_c`` each
        channel's current density (positive inward) with its gates at their steady state and the
        concentrations at rest (:meth:`resting_concentrations`); for an ohmic channel
        ``I_c = g_c P_c (E_c - v_rest)``. Equal to ``v_rest`` in passive compartments.

        Example
        -------
        >>> from brian2 import mV, siemens, cm
        >>> from cablemodel import ball_and_stick, HHSodium, HHPotassium
        >>> cell = Cell(ball_and_stick()).paint(HHSodium(), "soma", 0.12 * siemens / cm**2)
        >>> cell = cell.paint(HHPotassium(), "soma", 0.036 * siemens / cm**2)
        >>> round(float(cell.leak_reversal()[0] / mV), 1)  # squid HH: NEURON's hh uses -54.3 mV
        -54.4
        >>> float(Cell(ball_and_stick(), e_leak=-70 * mV).leak_reversal()[0] / mV)
        -70.0
        """
        membrane = self.membrane()
        if membrane.e_leak is not None:
            return membrane.e_leak
        v = float(self.v_rest / mV)
        gl = np.asarray(membrane.g_leak / (siemens / meter**2), dtype=float)
        dens = self.densities()
        channels = self.channels
        conc = self.resting_concentrations() if any(ch.concentrations for ch in channels) else None
        offset = np.zeros(len(self.table))
        for ch in channels:
            if ch.concentrations or ch.current_kind != "ohmic":
                offset -= ch.current_density(v, self.celsius, conc=conc, density=dens[ch.name]
                                             ) * 1e3 / gl
            else:  # the HH form, bit for bit
                p = float(ch.open_probability(v, self.celsius))
                offset += dens[ch.name] * p * (v - float(ch.reversal_potential(self.celsius))) / gl
        return (v + offset) * mV


def standard_cell(morphology: Morphology, densities: Mapping | None = None, **passive) -> Cell:
    """A :class:`Cell` with Hodgkin-Huxley Na+/K+ painted per region (:data:`DEFAULT_DENSITIES`,
    S/cm^2, overridable per region) and passive dendrites. ``passive`` goes to :class:`Cell`.

    The channels are Hodgkin and Huxley's squid-axon kinetics, measured at 6.3 degC: the default
    ``celsius=6.3`` is their temperature. Another ``celsius`` speeds them up by Q10 = 3 per
    10 degC (x 29 at 37 degC: 3^((37 - 6.3)/10)): Na+ then inactivates nearly as fast as it activates and the
    spike fails or shrinks (with 1 nA for 2 ms at the soma the hillock peaks at -14.6 mV at
    37 degC, +44.5 mV at 6.3 degC). Such a failure is not an action potential and is not
    counted (see ``spike_overshoot`` of :class:`Cell`). For a mammalian cell at 34-37 degC use
    the BBP channel library, e.g. :func:`cablemodel.presets.mammalian_cell`.

    ``densities`` maps regions (standard names, ``"dendrite"``, ``"all"`` or this morphology's
    custom regions; a standard region the morphology lacks is skipped) to ``{"na": ..., "k":
    ...}`` in S/cm^2 (numbers >= 0). A key may also be a :class:`~cablemodel.places.Region`
    (e.g. ``subtree("apical_0")``), a site or a site string (``swc_sample(120)``,
    ``"basal@200"``), which must select compartments of this cell. Anything else, e.g. a
    misspelt region or channel, is a ``ValueError`` listing the valid names.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> [c.name for c in standard_cell(ball_and_stick()).channels]
    ['na', 'k']
    >>> standard_cell(ball_and_stick(), {"hilock": {"na": 1.2}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: standard_cell densities: unknown region 'hilock'; valid regions: soma, hillock, ...
    """
    cell = Cell(morphology, **passive)
    table = cell.table
    channels = {ch.name: ch for ch in (HHSodium(), HHPotassium())}
    for reg, dens in _checked_densities(densities, table, list(channels)):
        if isinstance(reg, str) and reg.isidentifier() and not table.in_region(reg).any():
            continue  # a standard region this morphology lacks
        for name, value in dens.items():
            cell.paint(channels[name], reg, value * siemens / cm**2)
    return cell


def _checked_densities(densities, table: CompartmentTable, channels: list[str]) -> list:
    """``(region, {channel: S/cm^2})`` pairs of ``densities`` (default :data:`DEFAULT_DENSITIES`),
    every name and value checked."""
    if densities is None:
        densities = DEFAULT_DENSITIES
    if not isinstance(densities, Mapping):
        raise TypeError(f"standard_cell densities must map regions to {{channel: S/cm^2}}, e.g."
                        f" {{'soma': {{'na': 0.05}}}}; got {type(densities).__name__}")
    known = list(dict.fromkeys([*STANDARD_REGIONS, "dendrite", "all", *table.regions]))
    out = []
    for reg, dens in densities.items():
        if isinstance(reg, str) and reg.isidentifier():
            if reg not in known:
                raise ValueError(f"standard_cell densities: unknown region {reg!r}; valid regions:"
                                 f" {', '.join(map(str, known))} (or a Region or site)")
        elif isinstance(reg, str) and reg not in known:
            parse_site(reg)  # a site string: unreadable text raises LocationError here
        elif not isinstance(reg, Region | Location):
            raise TypeError(f"standard_cell densities: a key must be a region name, a Region or a"
                            f" site, got {reg!r}")
        if not isinstance(dens, Mapping):
            raise TypeError(f"standard_cell densities[{reg!r}] must map channels {channels} to"
                            f" densities in S/cm^2, got {dens!r}")
        for name, value in dens.items():
            if name not in channels:
                raise ValueError(f"standard_cell densities[{reg!r}]: unknown channel {name!r};"
                                 f" valid channels: {', '.join(channels)}")
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
                    math.isfinite(value) and value >= 0):
                raise ValueError(f"standard_cell densities[{reg!r}][{name!r}] must be a finite"
                                 f" number >= 0 (S/cm^2), got {value!r}")
        out.append((reg, dict(dens)))
    return out
