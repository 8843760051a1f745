"""Electrotonic analysis without simulation: input and transfer impedance, voltage attenuation and
log-attenuation of every compartment, at DC and any frequency.

The network is the one the simulation integrates
------------------------------------------------
Brian2's ``SpatialNeuron`` couples, inside a section, neighbouring compartments ``p`` and ``i``
by ``1 / (Ri (1/r_length_2[p] + 1/r_length_1[i]))``; a section's first compartment is coupled to
its parent's end node by ``r_length_1 / Ri`` and a section's last compartment to its own end node
by ``r_length_2 / Ri`` (the end nodes carry no membrane; the soma's end node, where the soma's
children start, hangs on the soma by ``r_length_2 / Ri`` with Brian2's ``r_length`` of 1 m for
the soma). :func:`impedance` builds exactly this network from
:meth:`~cablemodel.morphology.model.CompartmentTable.brian2_values`, each compartment's membrane
admittance being ``area * (g_leak + j omega Cm + channels)``. It is the same cable NEURON builds
from :func:`~cablemodel.io.neuron.to_neuron` (there the soma's children start at ``soma(0.5)``;
Brian2's extra soma link is ``Ri / 1 m``, about 1 ohm). Per-region membrane
(:meth:`cablemodel.Cell.membrane`) enters as in the simulation: ``Cm`` and ``g_leak`` per
compartment, and each half compartment's own ``Ri`` folded into its ``r_length``
(:func:`~cablemodel.membrane.brian2_geometry`; ``Ri`` above is then the soma's).

Channels
--------
``channels="linearized"`` (the default) adds, where channels are painted, the small-signal
admittance of each channel current ``g * prod(x_k ** p_k) * (E - V)`` at rest, gates included
(NEURON's extended impedance, ``Impedance.compute(f, 1)``)::

    y_ch = g * (P + (V - E) * sum_k dP/dx_k * (dx_k,inf/dV) / (1 + j omega tau_k))

with ``P`` the open probability at rest and ``tau_k = 1 / (phi (alpha_k + beta_k))`` (``tau /
phi`` for an ``inf``/``tau`` gate); ``dx_inf/dV`` is a central difference (0.001 mV). A GHK
current or a Nernst reversal uses the same formula with ``g P`` replaced by minus the slope of
the current at fixed gates (a central difference of
:meth:`~cablemodel.mechanisms.channels.Channel.current_density`) and ``g (V - E)`` by minus the
current with the gates open. Gates reading a concentration and calcium dynamics are refused
here (the concentration would be one more state to linearize): use ``"frozen"``. (It agrees
with NEURON's simulation of the same cell, a small step and a 100 Hz sine, to 0.3 %; NEURON
9.0.2's own ``compute(f, 1)`` does not: see tests/test_impedance_neuron.py.) ``"frozen"`` keeps
the gates (and concentrations) at their resting values (``y_ch = g P``: NEURON's
``compute(f, 0)``), ``"removed"`` leaves the channels out (the passive cell).

Solves
------
Per frequency, one complex sparse solve of the tree-structured system ``Y V = I`` in the tree's
own order (Hines' method, as NEURON solves its cable): O(n) for the diagonal of ``Z = Y^-1`` (the
input impedances) and for the column of the reference (the transfer impedances; ``Z`` is
symmetric, so ``Z_ir = Z_ri``: the voltage at the reference per unit current at i equals the
voltage at i per unit current at the reference). A general sparse LU of ``Y`` gives the same
numbers to about 1e-8 only: it forms ``A_ii - g^2 / d``, which cancels where a link conducts far
better than the membrane behind it; the tree form never subtracts such terms (1e-15).
"""

from __future__ import annotations

import math

import numpy as np
from brian2 import Hz, Quantity, farad, meter, mV, ohm, siemens

from ..membrane import brian2_geometry
from ..morphology.model import CompartmentTable
from ..places import parse_site
from ..units import quantity

__all__ = ["impedance", "ImpedanceResult", "CHANNEL_MODES"]

#: How :func:`impedance` treats painted channels (see the module documentation).
CHANNEL_MODES = ("linearized", "frozen", "removed")
#: Step (mV) of the central difference of the gates' steady states.
_DV_MV = 1e-3


class ImpedanceResult:
    """Impedances and attenuations of every compartment with respect to a reference compartment,
    made by :func:`impedance`.

    Per-compartment arrays have shape ``np.shape(frequency) + (n_compartments,)``: one row per
    frequency when several were asked for (in Brian2's compartment order, as ``table``).

    Attributes
    ----------
    table : CompartmentTable
        The cell's compartments.
    reference : int
        Index of the reference compartment.
    frequency : Quantity
        The frequency (Hz): one value, or a 1-D array.
    channels : str
        How channels were treated (:data:`CHANNEL_MODES`).

    Example
    -------
    >>> from brian2 import Hz, Mohm
    >>> from cablemodel import Cell, ball_and_stick
    >>> res = impedance(Cell(ball_and_stick()), frequency=[0, 100] * Hz)
    >>> res.input_impedance.shape, res.reference
    ((2, 176), 0)
    >>> one = res.select(100 * Hz)
    >>> round(float(one.input_impedance[one.reference] / Mohm), 2)
    59.49
    """

    def __init__(self, table: CompartmentTable, reference: int, frequency: Quantity, channels: str,
                 z_input: np.ndarray, z_transfer: np.ndarray) -> None:
        self.table, self.reference, self.frequency, self.channels = (table, reference, frequency,
                                                                     channels)
        self._z_in, self._z_tr = z_input, z_transfer  # complex, ohm

    @property
    def input_impedance(self) -> Quantity:
        """|Z_ii|: magnitude of each compartment's input impedance (ohm; the input resistance at
        DC).

        Example
        -------
        >>> from brian2 import Mohm
        >>> from cablemodel import Cell, ball_and_stick
        >>> res = impedance(Cell(ball_and_stick()))
        >>> round(float(res.input_impedance[0] / Mohm), 1)  # at the soma, DC
        117.8
        """
        return np.abs(self._z_in) * ohm

    @property
    def input_phase(self) -> np.ndarray:
        """Phase of each input impedance (radian, plain floats; 0 at DC, negative: the voltage
        lags the current).

        Example
        -------
        >>> from brian2 import Hz
        >>> from cablemodel import Cell, ball_and_stick
        >>> round(float(impedance(Cell(ball_and_stick()), frequency=100 * Hz).input_phase[0]), 3)
        -0.928
        """
        return np.angle(self._z_in)

    @property
    def transfer_impedance(self) -> Quantity:
        """|Z_ir|: magnitude of the transfer impedance between each compartment and the reference
        (ohm): the voltage at one per unit current at the other, either way.

        Example
        -------
        >>> from brian2 import Mohm
        >>> from cablemodel import Cell, ball_and_stick
        >>> res = impedance(Cell(ball_and_stick()))
        >>> bool(res.transfer_impedance[0] == res.input_impedance[0])  # at the reference itself
        True
        """
        return np.abs(self._z_tr) * ohm

    @property
    def transfer_phase(self) -> np.ndarray:
        """Phase of each transfer impedance (radian, plain floats).

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick
        >>> float(impedance(Cell(ball_and_stick())).transfer_phase.max())  # DC: no lag
        0.0
        """
        return np.angle(self._z_tr)

    @property
    def attenuation_in(self) -> np.ndarray:
        """|V_i / V_ref| for current injected at compartment i: how much a signal shrinks on its way
        from each compartment *in* to the reference, ``|Z_ii / Z_ir|`` (dimensionless, >= 1).
        ``1 / attenuation_in`` is NEURON's ``Impedance.ratio``.

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick
        >>> res = impedance(Cell(ball_and_stick()), reference="soma")
        >>> tip = len(res.table) - 1
        >>> round(float(res.attenuation_in[tip]), 2), float(res.attenuation_in[0])
        (276.78, 1.0)
        """
        return np.abs(self._z_in / self._z_tr)

    @property
    def attenuation_out(self) -> np.ndarray:
        """|V_ref / V_i| for current injected at the reference: how much a signal shrinks on its way
        *out* from the reference to each compartment, ``|Z_rr / Z_ir|`` (dimensionless, >= 1).

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick
        >>> res = impedance(Cell(ball_and_stick()))
        >>> round(float(res.attenuation_out[-1]), 3)  # soma -> the dendrite's tip, 1.5 mm away
        90.268
        """
        return np.abs(self._z_in[..., self.reference, None] / self._z_tr)

    @property
    def log_attenuation_in(self) -> np.ndarray:
        """Electrotonic distance from each compartment in to the reference, ``ln attenuation_in``
        (nepers; dimensionless). Along a path it adds up: the morphoelectrotonic transform.

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick
        >>> round(float(impedance(Cell(ball_and_stick())).log_attenuation_in[-1]), 3)
        5.623
        """
        return np.log(self.attenuation_in)

    @property
    def log_attenuation_out(self) -> np.ndarray:
        """Electrotonic distance from the reference out to each compartment, ``ln attenuation_out``
        (nepers; dimensionless).

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick
        >>> round(float(impedance(Cell(ball_and_stick())).log_attenuation_out[-1]), 3)
        4.503
        """
        return np.log(self.attenuation_out)

    def select(self, frequency: Quantity) -> ImpedanceResult:
        """The result at one of the computed frequencies (Hz), with 1-D arrays.

        Example
        -------
        >>> from brian2 import Hz
        >>> from cablemodel import Cell, ball_and_stick
        >>> res = impedance(Cell(ball_and_stick()), frequency=[0, 10, 100] * Hz).select(10 * Hz)
        >>> float(res.frequency / Hz), res.input_impedance.shape
        (10.0, (176,))
        """
        f = float(quantity(frequency, Hz, "frequency", scalar=True) / Hz)
        freqs = np.atleast_1d(np.asarray(self.frequency / Hz, dtype=float))
        hits = np.flatnonzero(np.isclose(freqs, f, rtol=1e-12, atol=0.0))
        if hits.size == 0:
            raise ValueError(f"frequency {f:g} Hz was not computed; this result has"
                             f" {freqs.tolist()} Hz (call impedance with it)")
        k = int(hits[0])
        z_in = np.atleast_2d(self._z_in)[k]
        z_tr = np.atleast_2d(self._z_tr)[k]
        return ImpedanceResult(self.table, self.reference, freqs[k] * Hz, self.channels, z_in, z_tr)

    def at(self, site) -> dict:
        """The numbers at one compartment (a site string, a Location or a compartment index):
        plain floats for one frequency, lists of floats (one per frequency) for several. Keys:
        ``compartment``, ``distance_um``, ``input_impedance_mohm``, ``input_phase_rad``,
        ``transfer_impedance_mohm``, ``transfer_phase_rad``, ``attenuation_in``,
        ``attenuation_out``, ``log_attenuation_in``, ``log_attenuation_out``.

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick
        >>> row = impedance(Cell(ball_and_stick())).at("basal@500")
        >>> row["compartment"], round(row["input_impedance_mohm"], 1), round(row["attenuation_in"], 3)
        (75, 181.9, 8.768)
        """
        i = _compartment(site, self.table, "site")
        values = {"input_impedance_mohm": self.input_impedance / ohm * 1e-6,
                  "input_phase_rad": self.input_phase,
                  "transfer_impedance_mohm": self.transfer_impedance / ohm * 1e-6,
                  "transfer_phase_rad": self.transfer_phase,
                  "attenuation_in": self.attenuation_in, "attenuation_out": self.attenuation_out,
                  "log_attenuation_in": self.log_attenuation_in,
                  "log_attenuation_out": self.log_attenuation_out}
        out: dict = {"compartment": i, "distance_um": float(self.table.distance[i])}
        for key, arr in values.items():
            out[key] = np.asarray(arr, dtype=float)[..., i].tolist()
        return out

    def to_dict(self) -> dict:
        """JSON-ready data: the reference, and per frequency the numbers at the reference and the
        per-compartment arrays (lists; keys as in :meth:`at`, units in the key names).

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick
        >>> d = impedance(Cell(ball_and_stick())).to_dict()
        >>> d["reference"]["compartment"], sorted(d["frequencies"][0])[:3]
        (0, ['arrays', 'frequency_hz', 'reference'])
        """
        freqs = np.atleast_1d(np.asarray(self.frequency / Hz, dtype=float))
        ref = self.reference
        rows = []
        for f in freqs:
            one = self.select(f * Hz)
            at_ref = one.at(ref)
            arrays = {key: [float(x) for x in np.asarray(arr, dtype=float)] for key, arr in (
                ("input_impedance_mohm", one.input_impedance / ohm * 1e-6),
                ("input_phase_rad", one.input_phase),
                ("transfer_impedance_mohm", one.transfer_impedance / ohm * 1e-6),
                ("transfer_phase_rad", one.transfer_phase),
                ("attenuation_in", one.attenuation_in), ("attenuation_out", one.attenuation_out),
                ("log_attenuation_in", one.log_attenuation_in),
                ("log_attenuation_out", one.log_attenuation_out))}
            rows.append({"frequency_hz": float(f),
                         "reference": {"input_impedance_mohm": at_ref["input_impedance_mohm"],
                                       "input_phase_rad": at_ref["input_phase_rad"]},
                         "arrays": arrays})
        t = self.table
        return {"reference": {"compartment": ref, "section": str(t.section[ref]),
                              "region": str(t.region[ref]), "distance_um": float(t.distance[ref])},
                "channels": self.channels,
                "compartments": {"section": [str(s) for s in t.section],
                                 "index": [int(k) for k in t.index],
                                 "region": [str(r) for r in t.region],
                                 "distance_um": [float(d) for d in t.distance]},
                "frequencies": rows}


def _compartment(site, table: CompartmentTable, what: str) -> int:
    """A compartment index from an index, a site string or a Location (LocationError if absent)."""
    if isinstance(site, (int, np.integer)) and not isinstance(site, bool):
        return parse_site(f"#{int(site)}").resolve(table)
    if isinstance(site, (float, bool)):
        raise TypeError(f"{what} must be a site string, a Location or a compartment index (int),"
                        f" got {site!r}")
    return parse_site(site).resolve(table)


def _frequencies(frequency) -> np.ndarray:
    """Frequencies in Hz (plain floats, scalar or 1-D), each finite and >= 0."""
    q = quantity(frequency, Hz, "frequency")
    f = np.asarray(q / Hz, dtype=float)
    if f.ndim > 1 or f.size == 0:
        raise ValueError(f"frequency must be one value or a 1-D array of values (Hz), got shape"
                         f" {f.shape}")
    if not np.all(np.isfinite(f)) or np.any(f < 0):
        raise ValueError(f"frequency must be finite and >= 0 Hz, got {f.tolist()} Hz")
    return f


def _network(cell, table: CompartmentTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cable as a tree of nodes (compartments and the sections' end nodes where child sections
    start), in an order where every parent comes before its children.

    Returns ``(parent, conductance, node)``: each node's parent node (-1 for the root), the axial
    conductance (siemens) of the link to it, and the node of each compartment."""
    n = len(table)
    parent = np.asarray(table.parent, dtype=int)
    values, shared = brian2_geometry(table, cell.membrane().Ri)  # each half with its own Ri
    r1, r2 = values["r_length_1_"], values["r_length_2_"]
    ri = float(shared / (ohm * meter))
    child = np.flatnonzero(parent >= 0)
    first = child[np.asarray(table.index)[child] == 0]  # first compartments of sections
    has_end_node = np.zeros(n, dtype=bool)
    has_end_node[parent[first]] = True
    node = np.arange(n) + np.concatenate([[0], np.cumsum(has_end_node)[:-1]])
    end_node = node + 1
    n_nodes = n + int(has_end_node.sum())
    up = np.full(n_nodes, -1)
    g = np.zeros(n_nodes)
    inner = np.setdiff1d(child, first)
    p = parent[inner]
    up[node[inner]] = node[p]
    g[node[inner]] = 1.0 / (ri * (1.0 / r2[p] + 1.0 / r1[inner]))
    up[node[first]] = end_node[parent[first]]
    g[node[first]] = r1[first] / ri
    owners = np.flatnonzero(has_end_node)
    up[end_node[owners]] = node[owners]
    g[end_node[owners]] = r2[owners] / ri
    return up, g, node


def _check_linearizable(cell) -> None:
    """Refuse ``channels="linearized"`` for what its formula leaves out: gates reading a
    concentration, and calcium dynamics (the concentration would be a state of its own)."""
    reading = [f"{ch.name} ({', '.join(ch.concentrations)})" for ch in cell.channels
               if any(g.concentrations for g in ch.gates)]
    if reading or cell.calcium_parameters() is not None:
        what = (f"channels with concentration-dependent gates: {', '.join(reading)}" if reading
                else "calcium dynamics (cai changes with the calcium current)")
        raise ValueError(f"impedance(channels='linearized') cannot linearize {what}: only gates of"
                         " V alone are linearized; use channels='frozen' (gates and"
                         " concentrations held at rest) or 'removed'")


def _channel_admittance(cell, omega: float, mode: str) -> np.ndarray:
    """Admittance per membrane area (S/m^2, complex) of the painted channels at rest."""
    n = len(cell.table)
    out = np.zeros(n, dtype=complex)
    if mode == "removed":
        return out
    v = float(cell.v_rest / mV)
    dens = cell.densities()  # S/m^2 (m/s for a GHK permeability)
    conc = (cell.resting_concentrations() if any(ch.concentrations for ch in cell.channels)
            else None)
    for ch in cell.channels:
        if ch.concentrations or ch.current_kind != "ohmic":
            out += _general_admittance(ch, v, cell.celsius, conc, dens[ch.name], omega, mode)
            continue
        phi = ch.phi(cell.celsius)
        x = [float(gate.steady_state(v, phi)) for gate in ch.gates]
        p_open = math.prod(xk**gate.power for xk, gate in zip(x, ch.gates, strict=True))
        y = complex(p_open)
        if mode == "linearized":
            drive = v - float(ch.reversal_potential(cell.celsius))  # mV
            for k, gate in enumerate(ch.gates):
                a, b = (float(r) for r in gate.rates(v, phi))
                tau = 1e-3 / (a + b)  # s
                slope = float(gate.steady_state(v + _DV_MV, phi)
                              - gate.steady_state(v - _DV_MV, phi)) / (2 * _DV_MV)  # 1/mV
                dp = gate.power * x[k] ** (gate.power - 1) * math.prod(
                    xj**other.power for j, (xj, other) in enumerate(zip(x, ch.gates, strict=True))
                    if j != k)
                y += drive * dp * slope / (1 + 1j * omega * tau)
        out += dens[ch.name] * y
    return out


def _general_admittance(ch, v: float, celsius: float, conc, density: np.ndarray, omega: float,
                        mode: str) -> np.ndarray:
    """Admittance (S/m^2) of a channel with a GHK current or a concentration-dependent
    reversal, per compartment, from :meth:`~cablemodel.Channel.current_density`: minus the
    slope of the current at fixed gates, plus (linearized) each V-only gate's response."""
    names = ch.state_names()
    phi = ch.phi(celsius)
    x = {s: g.steady_state(v, phi, conc) for g, s in zip(ch.gates, names, strict=True)}

    def current(volts, states):
        return ch.current_density(volts, celsius, states=states, conc=conc, density=density)

    y = -(current(v + _DV_MV, x) - current(v - _DV_MV, x)) / (2 * _DV_MV) * 1e3 + 0j  # S/m^2
    if mode == "linearized":
        full = current(v, dict.fromkeys(names, 1.0))  # A/m^2 with every gate open
        for g, s in zip(ch.gates, names, strict=True):
            dp = g.power * x[s] ** (g.power - 1) * math.prod(
                x[o] ** other.power for other, o in zip(ch.gates, names, strict=True) if o != s)
            dcurrent = dp * full  # A/m^2 per unit of the gate
            slope = (g.steady_state(v + _DV_MV, phi, conc)
                     - g.steady_state(v - _DV_MV, phi, conc)) / (2 * _DV_MV) * 1e3  # 1/V
            tau = 1e-3 * g.time_constant(v, phi, conc)  # s
            y = y - dcurrent * slope / (1 + 1j * omega * tau)
    return y


def _tree_solve(up: np.ndarray, g: np.ndarray, y: np.ndarray, ref: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(diag(Z), Z[:, ref])`` of ``Z = Y^-1`` for a tree of nodes (parents before children) with
    admittances ``y`` to ground and link conductances ``g`` to the parents ``up``.

    Gaussian elimination in the tree's own form (Hines): the admittance ``sub`` of each subtree
    (leaves to root), then ``total``, the admittance of the whole tree seen at each node (root to
    leaves). A link and what hangs on it combine as ``g s / (g + s)``, never as the difference
    ``A_ii - g^2 / d`` of a matrix elimination, which loses the digits of ``s`` when a link
    conducts much better than the membrane it feeds (Brian2's 1-ohm soma link, short
    compartments). The column: the potential at the reference is ``1 / total``; it passes to the
    parent of a node through ``g / (g + rest)`` (``rest``: the parent's admittance without that
    node's branch) and to a child through ``g / (g + sub)``."""
    up_l, g_l = up.tolist(), g.tolist()
    n = len(up_l)
    sub = y.tolist()
    branch = [0j] * n
    for i in range(n - 1, 0, -1):
        gi, si = g_l[i], sub[i]
        b = gi * si / (gi + si)
        branch[i] = b
        sub[up_l[i]] += b
    total = sub[:]
    rest = [0j] * n  # admittance at the parent of each node without the node's branch
    for i in range(1, n):
        r = total[up_l[i]] - branch[i]
        rest[i] = r
        gi = g_l[i]
        total[i] = sub[i] + gi * r / (gi + r)
    diag = [1.0 / t for t in total]
    v: list = [None] * n
    v[ref] = diag[ref]
    k = ref
    while up_l[k] >= 0:  # up to the root
        v[up_l[k]] = v[k] * g_l[k] / (g_l[k] + rest[k])
        k = up_l[k]
    for i in range(1, n):  # everything else hangs below a node already done
        if v[i] is None:
            v[i] = v[up_l[i]] * g_l[i] / (g_l[i] + sub[i])
    return np.asarray(diag, dtype=complex), np.asarray(v, dtype=complex)


def impedance(cell, reference="soma", frequency: Quantity = 0 * Hz,
              channels: str = "linearized") -> ImpedanceResult:
    """Input impedance, transfer impedance to ``reference`` and voltage attenuation both ways of
    every compartment of ``cell``, at ``frequency``, without simulating: sparse complex linear
    solves on the discretized cable the simulation integrates (see the module documentation).

    Parameters
    ----------
    cell : Cell
    reference : str, Location or int
        The reference compartment: a site (``"soma"``, ``"basal@200"``, ``"swc:ID"``, ...) or an
        index.
    frequency : Quantity
        Frequency (Hz): one value or a 1-D array (one solve each); >= 0 and finite.
    channels : str
        ``"linearized"`` (painted channels linearized at rest, gates included: NEURON's extended
        ``Impedance``), ``"frozen"`` (gates held at rest) or ``"removed"`` (leak and capacitance
        only). Irrelevant for a passive cell.

    Returns
    -------
    ImpedanceResult

    Raises
    ------
    ValueError
        A frequency or mode is invalid, or the linearized membrane makes the network singular or
        the result not finite (the message says which frequency).
    LocationError
        ``reference`` is not on the cell.

    Example
    -------
    >>> from brian2 import Hz, Mohm
    >>> from cablemodel import ball_and_stick, standard_cell
    >>> cell = standard_cell(ball_and_stick())
    >>> res = impedance(cell, "soma", [0, 100] * Hz)
    >>> [round(float(r / Mohm), 1) for r in res.input_impedance[:, 0]]  # soma: HH resonates
    [39.4, 73.0]
    >>> round(res.at("basal@1000")["log_attenuation_in"][0], 3)  # DC, in to the soma
    4.998
    """
    from ..cell import Cell

    if not isinstance(cell, Cell):
        raise TypeError(f"cell must be a cablemodel Cell, got {type(cell).__name__}")
    if channels not in CHANNEL_MODES:
        raise ValueError(f"channels must be one of {list(CHANNEL_MODES)}, got {channels!r}")
    freqs = _frequencies(frequency)
    if channels == "linearized":
        _check_linearizable(cell)
    table = cell.table
    ref = _compartment(reference, table, "reference")
    up, g, node = _network(cell, table)
    area = table.brian2_values()["area_"]  # m^2
    membrane = cell.membrane()
    gl = np.asarray(membrane.g_leak / (siemens / meter**2), dtype=float)
    cm_ = np.asarray(membrane.Cm / (farad / meter**2), dtype=float)
    z_in, z_tr = [], []
    for f in np.atleast_1d(freqs):
        omega = 2 * math.pi * float(f)
        y = np.zeros(len(up), dtype=complex)
        y[node] = area * (gl + 1j * omega * cm_ + _channel_admittance(cell, omega, channels))
        try:
            diag, col = _tree_solve(up, g, y, int(node[ref]))
        except ZeroDivisionError:
            diag = col = np.full(len(up), np.nan)
        diag, col = diag[node], col[node]
        if not (np.all(np.isfinite(col)) and np.all(np.isfinite(diag)) and np.all(col != 0)):
            raise ValueError(f"at {f:g} Hz the impedances are not finite: the linearized channels"
                             " cancel the membrane's conductance somewhere (a singular network), or"
                             " the signal vanishes numerically over the tree; use channels='frozen'"
                             " or 'removed', or another frequency")
        z_tr.append(col)
        z_in.append(diag)
    shape = freqs.shape + (len(table),)
    return ImpedanceResult(table, ref, freqs * Hz if freqs.ndim else float(freqs) * Hz, channels,
                           np.reshape(z_in, shape), np.reshape(z_tr, shape))
