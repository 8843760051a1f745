"""What can be recorded where, and record requests (``simulate(record=...)``).

Requests
--------
A request names a variable and where to record it:

* ``"VAR@WHERE"``, e.g. ``"m_na@hillock"``, ``"i_na@soma"``, ``"Im@all"``, ``"g_syn@basal@100"``;
* a site alone (``"basal@200"``, ``"swc:12"``, ``"#50"``, ``"soma"``, a
  :class:`~cablemodel.places.Location`) or a region (``"apical"``, a
  :class:`~cablemodel.places.Region`): the membrane potential ``v`` there;
* ``(VAR, WHERE)`` with ``WHERE`` a site or region text, a Location or a Region;
* ``"all"``: ``v`` everywhere.

``WHERE`` is a site (one compartment: ``"basal@200"``, ``"swc:12"``, ``"#50"``,
``"dend(0.5)"``), a region name (``"soma"``, ``"hillock"``, ``"apical"``, ``"dendrite"``: *every*
compartment of it) or ``"all"``. ``"REGION@NUMBER"`` is a site; anything else after the first
``@`` is a ``WHERE``. A variable recorded at a site must exist there (else a
:class:`RecordingError` lists what exists there and where the variable exists); at a region it
is recorded in the region's compartments where it exists (an error if there are none).

Variables (signs: positive = current into the cell, Brian2's convention; NEURON's membrane
currents are positive outward):

========================  ===========  =============================================================
name                      unit         where
========================  ===========  =============================================================
``v``                     mV           every compartment
``Im``                    mA/cm^2      every compartment: total membrane current density (leak,
                                       channels and the point currents of synapses and clamps
                                       divided by the compartment's area: Brian2's ``Im``)
``m_na``, ``h_na``, ...   1            gates of each channel (``{gate}_{channel}``, see
                                       :meth:`Channel.state_names`), where it is painted
``i_na``, ``i_k``, ...    mA/cm^2      channel current density (``g*P*(E - v)``, or the GHK
                                       current), where painted
``cai``                   mM           intracellular Ca2+, where calcium dynamics are painted
``i_ca``                  mA/cm^2      summed current density of the Ca2+ channels (``ion="ca"``),
                                       where calcium dynamics are painted
``g_syn``, ``i_syn``      nS, nA       each synapse given to ``simulate`` (one row per synapse,
                                       ``syn{k}``; not the synapses of a Connection)
``i_clamp``               nA           each current-clamped compartment (all its clamps summed)
``i_vclamp``              nA           each voltage clamp's compartment: ``(V_cmd - v)/R_s``
========================  ===========  =============================================================

The registry: adding a variable
-------------------------------
Every variable comes from a *provider*: a function of the cell's
:class:`~cablemodel.simulation.assembly.CellSpec` yielding :class:`Recordable` entries, registered
with the :func:`provider` decorator (the built-in ones below are registered the same way). To
make a new mechanism's variable recordable, register one provider, in this module or in any
module imported before :func:`cablemodel.simulate` runs. For example a voltage clamp whose point
current ``I_vc`` (amp, positive into the cell) is in the cell's equations at compartments
``spec.vclamp_idx``::

    @provider
    def _voltage_clamps(spec):
        if spec.vclamp_idx:  # yield nothing for a cell without the mechanism
            yield Recordable("i_vclamp", "nA", "I_vc", np.asarray(spec.vclamp_idx),
                             "voltage-clamp current, positive into the cell")

That is all: requests (``"i_vclamp@soma"``), the errors listing what exists, the monitors, the
standalone engine, the memory guard, :meth:`Result.trace <cablemodel.Result.trace>` and the
netCDF files pick it up. The current clamps' ``i_clamp`` (:func:`_current_clamps`) records the
``I_inj`` point current; a new clamp implementation edits that one entry.

``Recordable.variable`` is the name of the variable on the Brian2 object (the cell's
SpatialNeuron unless ``target`` names a receptor's Synapses object), ``compartments`` where it
exists (one per element), ``equation`` an optional Brian2 line added to that object's model only
when the variable is recorded (so an unrecorded variable costs nothing), and ``update`` an
optional statement setting it before each sample. Units are keys of :data:`UNITS` (add one if
needed). Only what is asked is monitored: one ``StateMonitor`` per (Brian2 object, set of
elements), holding the variables asked on exactly those elements, every ``record_dt``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, cm, mA, mM, mV, nA, nS

from ..places import Location, LocationError, Region, parse_site, region

__all__ = ["UNITS", "Recordable", "Request", "Selection", "RecordingError", "provider",
           "recordables", "parse_request", "resolve_requests", "site_label", "synapse_equation",
           "monitor_groups", "extra_equations", "updates", "assemble"]

#: Display units of recorded values (values are stored as plain floats in these units).
UNITS: dict[str, Quantity | float] = {"mV": mV, "1": 1.0, "mA/cm^2": mA / cm**2, "nA": nA,
                                      "nS": nS, "mM": mM}


class RecordingError(ValueError):
    """A record request names a variable that does not exist where it is asked; the message
    lists what does.

    Example
    -------
    >>> issubclass(RecordingError, ValueError)
    True
    """


@dataclass(frozen=True)
class Recordable:
    """One recordable variable of a cell: its name, unit (a key of :data:`UNITS`), the Brian2
    variable behind it and the compartment of each of its elements.

    ``target`` is ``"neuron"`` (the SpatialNeuron; elements are compartments) or
    ``"synapses:RECEPTOR"`` (that receptor's Synapses object; ``elements`` are synapse indices in
    it), or one of these per element. ``labels`` name the elements (default: ``#COMPARTMENT``).
    ``equation`` is a Brian2 line (``NAME = EXPRESSION : UNIT`` or a parameter ``NAME : UNIT``),
    or one per target, added to the target's model when the variable is recorded there;
    ``update`` an optional statement (or one per target) run on the target just before each
    sample (for a value Brian2 cannot monitor as a subexpression, e.g. one of a synapse's
    postsynaptic variables).

    Example
    -------
    >>> import numpy as np
    >>> r = Recordable("i_clamp", "nA", "I_inj", np.array([0]), "current-clamp current")
    >>> r.labels, r.elements.tolist(), r.target
    (('#0',), [0], ('neuron',))
    """

    name: str
    unit: str
    variable: str
    compartments: np.ndarray
    description: str
    target: str | tuple[str, ...] = "neuron"
    elements: np.ndarray | None = None
    labels: tuple[str, ...] | None = None
    equation: str | dict[str, str] | None = None
    update: str | dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"recordable {self.name!r}: unit {self.unit!r} is not one of {list(UNITS)}")
        comps = np.asarray(self.compartments, dtype=int)
        object.__setattr__(self, "compartments", comps)
        elements = comps if self.elements is None else np.asarray(self.elements, dtype=int)
        object.__setattr__(self, "elements", elements)
        if self.labels is None:
            object.__setattr__(self, "labels", tuple(f"#{i}" for i in comps))
        if isinstance(self.target, str):
            object.__setattr__(self, "target", (self.target,) * len(comps))
        if not len(elements) == len(comps) == len(self.labels) == len(self.target):
            raise ValueError(f"recordable {self.name!r}: compartments, elements, labels and"
                             " targets differ in length")

    def equation_for(self, target: str) -> str | None:
        """The line to add to ``target``'s model when this variable is recorded there."""
        return self.equation.get(target) if isinstance(self.equation, dict) else self.equation

    def update_for(self, target: str) -> str | None:
        """The statement that sets this variable on ``target`` before each sample, if any."""
        return self.update.get(target) if isinstance(self.update, dict) else self.update


Provider = Callable[[object], Iterable[Recordable]]
_PROVIDERS: list[Provider] = []


def provider(fn: Provider) -> Provider:
    """Register ``fn`` (a function of a CellSpec yielding :class:`Recordable` entries) as a source
    of recordable variables; returns ``fn`` (use it as a decorator). See the module docstring.

    Example
    -------
    >>> provider(_membrane) is _membrane
    True
    """
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


def recordables(spec) -> dict[str, Recordable]:
    """Every variable recordable on the cell of ``spec`` (a CellSpec), by name.

    Example
    -------
    >>> from cablemodel import ball_and_stick, standard_cell
    >>> from cablemodel.simulation.assembly import CellSpec
    >>> spec = CellSpec("cell", standard_cell(ball_and_stick()), [], [], [], [], {})
    >>> table = recordables(spec)
    >>> list(table)
    ['v', 'Im', 'm_na', 'h_na', 'i_na', 'n_k', 'i_k']
    >>> table["m_na"].compartments.size  # soma, hillock and axon
    25
    """
    out: dict[str, Recordable] = {}
    for fn in _PROVIDERS:
        for entry in fn(spec):
            if entry.name in out:
                raise ValueError(f"two recordable variables are named {entry.name!r}")
            out[entry.name] = entry
    return out


@provider
def _membrane(spec) -> Iterator[Recordable]:
    every = np.arange(len(spec.cell.table))
    yield Recordable("v", "mV", "v", every, "membrane potential")
    yield Recordable("Im", "mA/cm^2", "Im", every, "total membrane current density (leak,"
                     " channels and point currents / area), positive inward")


@provider
def _channels(spec) -> Iterator[Recordable]:
    dens = spec.cell.densities()
    for ch in spec.channels:
        where = np.flatnonzero(dens[ch.name] > 0)
        for state in ch.state_names():
            yield Recordable(state, "1", state, where, f"gate {state} of channel {ch.name!r}")
        yield Recordable(f"i_{ch.name}", "mA/cm^2", f"irec_{ch.name}", where,
                         f"current density of channel {ch.name!r}, positive inward",
                         equation=f"irec_{ch.name} = {ch.current()} : amp/meter**2")


@provider
def _calcium(spec) -> Iterator[Recordable]:
    """``cai`` and ``i_ca`` (the summed Ca2+ channel current feeding it) where calcium dynamics
    are painted."""
    if spec.calcium is None:
        return
    where = np.flatnonzero(spec.calcium["painted"])
    yield Recordable("cai", "mM", "cai", where, "intracellular free Ca2+ concentration")
    yield Recordable("i_ca", "mA/cm^2", "irec_ica", where,
                     "Ca2+ current density of the Ca2+ channels, positive inward",
                     equation=f"irec_ica = {spec.calcium_current()} : amp/meter**2")


@provider
def _synapses(spec) -> Iterator[Recordable]:
    if not spec.synapses:
        return
    by_name = {rec.name: rec for rec in spec.receptors}
    order = {name: [k for k, s in enumerate(spec.synapses) if s.receptor.name == name]
             for name in by_name}
    targets = tuple(f"synapses:{s.receptor.name}" for s in spec.synapses)
    elements = [order[s.receptor.name].index(k) for k, s in enumerate(spec.synapses)]
    labels = tuple(f"syn{k}" for k in range(len(spec.synapses)))
    for name, unit, var, what in (("g_syn", "nS", "grec", "conductance"),
                                  ("i_syn", "nA", "irec", "current, positive inward")):
        yield Recordable(name, unit, var, np.asarray(spec.syn_idx), f"each synapse's {what}",
                         target=targets, elements=np.asarray(elements), labels=labels,
                         equation={f"synapses:{n}": synapse_equation(rec, var) if var == "grec"
                                   else "irec : amp" for n, rec in by_name.items()},
                         update=None if var == "grec" else {
                             f"synapses:{n}": synapse_equation(rec, var).split(" : ")[0]
                             for n, rec in by_name.items()})


@provider
def _current_clamps(spec) -> Iterator[Recordable]:
    """``i_clamp``: the summed current of the current clamps (:class:`~cablemodel.CurrentClamp`
    ``I_inj``, waveform clamps ``I_wave``) at each clamped compartment."""
    parts = [name for name, idx in (("I_inj", spec.clamp_idx), ("I_wave", spec.wave_idx)) if idx]
    if len(parts) == 1:
        yield Recordable("i_clamp", "nA", parts[0], np.unique(spec.clamp_idx + spec.wave_idx),
                         "current-clamp current, positive into the cell")
    elif parts:
        yield Recordable("i_clamp", "nA", "irec_clamp", np.unique(spec.clamp_idx + spec.wave_idx),
                         "current-clamp current, positive into the cell",
                         equation="irec_clamp = I_inj + I_wave : amp")


@provider
def _voltage_clamps(spec) -> Iterator[Recordable]:
    """``i_vclamp``: each voltage clamp's current ``(V_cmd - v)/R_s`` (positive into the cell:
    at steady state the membrane current it balances, so inward currents are negative)."""
    if spec.vclamp_idx:
        yield Recordable("i_vclamp", "nA", "I_vclamp", np.asarray(spec.vclamp_idx),
                         "voltage-clamp current, positive into the cell")


def synapse_equation(rec, var: str) -> str:
    """Brian2 equation giving one synapse's conductance (``var="grec"``, siemens) or current
    (``"irec"``, amp, positive inward) in receptor ``rec``'s Synapses object, from its summed
    conductance and the cell-side current ``I_name = g_name*FACTOR``. (The current refers to
    postsynaptic variables, which Brian2 cannot monitor in a subexpression: it is a parameter
    set to this expression before each sample.)

    Example
    -------
    >>> from cablemodel import AMPA
    >>> synapse_equation(AMPA, "grec")
    'grec = w*f_norm*(B - A) : siemens'
    >>> synapse_equation(AMPA, "irec")
    'irec = (w*f_norm*(B - A))*(E_ampa_post - v_post) : amp'
    """
    n = rec.name
    summed = re.search(rf"^g_{n}_post = (.+?) : siemens \(summed\)$", rec.synapse_model(), re.M)
    current = re.search(rf"^I_{n} = g_{n}\*(.+?) : amp", rec.neuron_equations(), re.M)
    if summed is None or current is None:
        raise ValueError(f"receptor {n!r}: cannot find its summed conductance g_{n}_post or its"
                         f" current I_{n} = g_{n}*...; its synapses cannot be recorded")
    if var == "grec":
        return f"grec = {summed[1]} : siemens"
    cell_side = {"v"} | {line.split("=")[0].split(":")[0].strip()
                         for line in rec.neuron_equations().splitlines()}
    factor = re.sub(r"\b[A-Za-z_]\w*\b",
                    lambda m: f"{m[0]}_post" if m[0] in cell_side else m[0], current[1])
    return f"irec = ({summed[1]})*{factor} : amp"


# -- requests -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """A variable (``var``) and where to record it: a Location (one compartment) or a Region.

    Example
    -------
    >>> r = parse_request("m_na@hillock")
    >>> r.var, str(r.where)
    ('m_na', 'hillock')
    """

    var: str
    where: Location | Region

    @property
    def is_site(self) -> bool:
        """Whether ``where`` is one site (a Location) rather than a region."""
        return isinstance(self.where, Location)


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def site_label(loc: Location) -> str:
    """The row label of a recorded site: ``"soma"`` for the soma, ``"#INDEX"`` for a compartment,
    else the site as text.

    Example
    -------
    >>> [site_label(parse_site(s)) for s in ("soma@0", "basal@200", "#7")]
    ['soma', 'basal@200', '#7']
    """
    if loc.kind == "distance" and loc.distance_um == 0.0 and loc.region == "soma":
        return "soma"
    if loc.kind == "compartment":
        return f"#{loc.index}"
    return str(loc)


def _where(where) -> Location | Region:
    if isinstance(where, (Location, Region)):
        return where
    text = str(where).strip()
    if text.isidentifier():  # a region name (or "all"): every compartment of it
        return region(text)
    return parse_site(text)


def parse_request(item) -> Request:
    """A :class:`Request` from a ``record=`` item (see the module docstring).

    Example
    -------
    >>> [(r.var, str(r.where)) for r in map(parse_request, ["basal@200", "apical",
    ...  "i_na@basal@100", ("h_na", "#3"), "all"])]
    [('v', 'basal@200'), ('v', 'apical'), ('i_na', 'basal@100'), ('h_na', '#3'), ('v', 'all')]
    """
    if isinstance(item, (Location, Region)):
        return Request("v", item)
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[0], str):
            raise RecordingError(f"record item {item!r}: a tuple must be (VARIABLE, WHERE)")
        return Request(item[0].strip(), _where(item[1]))
    if not isinstance(item, str):
        raise RecordingError(f"record item {item!r}: give 'VAR@WHERE', a site, a region, a"
                             " Location, a Region or (VAR, WHERE)")
    head, at, tail = item.partition("@")
    if not at or _NUMBER.match(tail):
        return Request("v", _where(item))
    if not head.strip().isidentifier():
        raise RecordingError(f"record item {item!r}: {head!r} is not a variable name")
    return Request(head.strip(), _where(tail))


@dataclass
class Selection:
    """The elements of one recordable variable that a simulation records, with row labels."""

    entry: Recordable
    rows: list[int] = field(default_factory=list)    # positions in entry.elements
    labels: list[str] = field(default_factory=list)

    def add(self, positions: Iterable[int], labels: Iterable[str]) -> None:
        for p, lab in zip(positions, labels, strict=True):
            if p not in self.rows:
                self.rows.append(int(p))
                self.labels.append(lab)

    @property
    def elements(self) -> np.ndarray:
        return self.entry.elements[self.rows]

    @property
    def compartments(self) -> np.ndarray:
        return self.entry.compartments[self.rows]


def _exists_message(entry: Recordable, table) -> str:
    regions = sorted({str(table.region[i]) for i in entry.compartments})
    if not len(entry.compartments):
        return f"{entry.name} exists nowhere on this cell"
    return (f"{entry.name} exists in {len(set(entry.compartments.tolist()))} compartment(s) of"
            f" region(s) {', '.join(regions)}")


def resolve_requests(requests: Iterable[Request], spec) -> dict[str, Selection]:
    """The elements each request records (variables other than ``v``; ``v`` is resolved by
    the engine), checked against :func:`recordables`. Raises :class:`RecordingError` for a
    variable unknown on this cell or absent where it is asked, listing what exists.

    Example
    -------
    >>> from cablemodel import ball_and_stick, standard_cell
    >>> from cablemodel.simulation.assembly import CellSpec
    >>> spec = CellSpec("cell", standard_cell(ball_and_stick()), [], [], [], [], {})
    >>> sel = resolve_requests([parse_request("m_na@hillock")], spec)
    >>> sel["m_na"].compartments.tolist(), sel["m_na"].labels
    ([1, 2, 3], ['#1', '#2', '#3'])
    >>> spec.record = {"soma": 0, "hillock": 2}  # rows at named sites take their names
    >>> resolve_requests([parse_request("m_na@hillock")], spec)["m_na"].labels
    ['#1', 'hillock', '#3']
    >>> resolve_requests([parse_request("m_na@basal@100")], spec)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cablemodel.simulation.recording.RecordingError: m_na does not exist at basal@100 (#35, region basal): ...
    """
    table = spec.cell.table
    known = recordables(spec)
    names = {i: label for label, i in reversed(spec.record.items())}  # named v sites
    out: dict[str, Selection] = {}
    for req in requests:
        entry = known.get(req.var)
        if entry is None:
            raise RecordingError(f"cannot record {req.var!r}: no such variable on this cell;"
                                 f" recordable: {', '.join(known)}")
        if req.is_site:
            comp = req.where.resolve(table)
            pos = np.flatnonzero(entry.compartments == comp)
            if pos.size == 0:
                here = [e.name for e in known.values() if comp in e.compartments]
                raise RecordingError(
                    f"{req.var} does not exist at {req.where} (#{comp}, region"
                    f" {table.region[comp]}): {_exists_message(entry, table)}; recordable at"
                    f" #{comp}: {', '.join(here)}")
            labels = [site_label(req.where) if entry.target[p] == "neuron" else entry.labels[p]
                      for p in pos]
        else:
            mask = req.where.mask(table)
            if not mask.any():
                raise LocationError(
                    f"region {req.where} has no compartments on this cell (regions:"
                    f" {table.regions}); to record a variable of that name everywhere write"
                    f" '{req.where}@all'")
            pos = np.flatnonzero(mask[entry.compartments])
            if pos.size == 0:
                raise RecordingError(f"{req.var} does not exist in region {req.where}:"
                                     f" {_exists_message(entry, table)}")
            labels = [names.get(int(entry.compartments[p]), entry.labels[p])
                      if entry.target[p] == "neuron" else entry.labels[p] for p in pos]
        out.setdefault(req.var, Selection(entry)).add(pos.tolist(), labels)
    return out


# -- monitors -------------------------------------------------------------------------------------
def monitor_groups(selections: dict[str, Selection]) -> list[tuple[str, tuple[int, ...], list[str]]]:
    """What to monitor for ``selections``: ``(target, elements, brian2 variables)``, one per
    Brian2 object and set of elements (sorted), each variable on exactly its elements.

    Example
    -------
    >>> from cablemodel import ball_and_stick, standard_cell
    >>> from cablemodel.simulation.assembly import CellSpec
    >>> spec = CellSpec("cell", standard_cell(ball_and_stick()), [], [], [], [], {})
    >>> sel = resolve_requests(map(parse_request, ["m_na@hillock", "h_na@hillock", "Im@soma"]), spec)
    >>> monitor_groups(sel)
    [('neuron', (1, 2, 3), ['m_na', 'h_na']), ('neuron', (0,), ['Im'])]
    """
    per: dict[str, dict[str, set[int]]] = {}
    for sel in selections.values():
        for p in sel.rows:
            per.setdefault(sel.entry.target[p], {}).setdefault(sel.entry.variable, set()).add(
                int(sel.entry.elements[p]))
    groups: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    for target, variables in per.items():
        for var, elems in variables.items():
            groups.setdefault((target, tuple(sorted(elems))), []).append(var)
    return [(t, e, vs) for (t, e), vs in groups.items()]


def extra_equations(selections: dict[str, Selection], target: str) -> list[str]:
    """Model lines the recorded variables need in ``target``'s model (none if not recorded).

    Example
    -------
    >>> from cablemodel import ball_and_stick, standard_cell
    >>> from cablemodel.simulation.assembly import CellSpec
    >>> spec = CellSpec("cell", standard_cell(ball_and_stick()), [], [], [], [], {})
    >>> extra_equations(resolve_requests([parse_request("i_k@soma")], spec), "neuron")
    ['irec_k = g_k*n_k**4*(E_k - v) : amp/meter**2']
    """
    return _lines_for(selections, target, "equation_for")


def updates(selections: dict[str, Selection], target: str) -> list[str]:
    """Statements to run on ``target`` before each sample for the recorded variables.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import ball_and_stick, Cell, Synapse, AMPA, spike_times
    >>> from cablemodel.simulation.assembly import CellSpec
    >>> syn = Synapse(AMPA, "soma", 1 * nS, spike_times([1] * ms))
    >>> spec = CellSpec("cell", Cell(ball_and_stick()), [syn], [0], [], [], {})
    >>> updates(resolve_requests([parse_request("i_syn@soma")], spec), "synapses:ampa")
    ['irec = (w*f_norm*(B - A))*(E_ampa_post - v_post)']
    """
    return _lines_for(selections, target, "update_for")


def _lines_for(selections: dict[str, Selection], target: str, kind: str) -> list[str]:
    """The distinct lines (``kind``: ``"equation_for"`` or ``"update_for"`` of each entry) that
    the selections recorded in ``target`` need there, in order."""
    out = []
    for sel in selections.values():
        if any(sel.entry.target[p] == target for p in sel.rows):
            line = getattr(sel.entry, kind)(target)
            if line is not None and line not in out:
                out.append(line)
    return out


def assemble(sel: Selection, data: dict[tuple[str, str], tuple[tuple[int, ...], np.ndarray]]
             ) -> np.ndarray:
    """Rows of ``sel`` (in its unit, plain floats) from monitored ``data``: ``(target, brian2
    variable) -> (elements, values in SI units, elements x samples)``.

    Example
    -------
    >>> import numpy as np
    >>> entry = Recordable("i_clamp", "nA", "I_inj", np.array([4, 7]), "clamp current")
    >>> sel = Selection(entry, [1], ["#7"])
    >>> assemble(sel, {("neuron", "I_inj"): ((4, 7), np.array([[1e-9, 2e-9], [3e-9, 4e-9]]))})
    array([[3., 4.]])
    """
    scale = float(UNITS[sel.entry.unit])
    rows = []
    for p in sel.rows:
        elems, values = data[(sel.entry.target[p], sel.entry.variable)]
        rows.append(values[elems.index(int(sel.entry.elements[p]))] / scale)
    return np.array(rows)
