"""What a simulation returns: time, membrane potential at the recorded sites, spike times, and
any other recorded variable (:class:`Trace`; see :mod:`cablemodel.simulation.recording`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms, mV

from ..morphology.model import CompartmentTable
from .recording import UNITS, parse_request, site_label

__all__ = ["Result", "Trace", "format_timing"]


def format_timing(timing: dict, compiled: bool | None = None) -> str:
    """One line for a run's :attr:`Result.timing` (seconds), e.g. for a command line.

    Example
    -------
    >>> format_timing({"python": 0.1, "generation": 2.0, "compile": 0.0, "run": 0.5,
    ...                "total": 2.6}, compiled=False)
    'total 2.60 s: python 0.10, generation 2.00, compile 0.00, run 0.50; compiled: no'
    """
    def part(name: str) -> str:
        value = timing.get(name)
        return f"{name} {'-' if value is None else f'{value:.2f}'}"

    flag = {True: "; compiled: yes", False: "; compiled: no", None: ""}[compiled]
    return (f"total {timing.get('total', float('nan')):.2f} s: {part('python')},"
            f" {part('generation')}, {part('compile')}, {part('run')}{flag}")


@dataclass(frozen=True)
class Trace:
    """One recorded variable other than ``v``: ``values`` (rows x samples, plain floats in
    ``unit``, a key of :data:`~cablemodel.simulation.recording.UNITS`), the compartment and label
    of each row.

    Example
    -------
    >>> import numpy as np
    >>> tr = Trace("m_na", "1", np.zeros((1, 3)), np.array([2]), ["#2"])
    >>> tr.quantity().shape
    (1, 3)
    """

    name: str
    unit: str
    values: np.ndarray
    compartments: np.ndarray
    labels: list[str]
    description: str = ""

    def quantity(self, rows=slice(None)) -> Quantity | np.ndarray:
        """The values of ``rows`` with their unit (a Quantity; a plain array if dimensionless)."""
        return self.values[rows] * UNITS[self.unit]


@dataclass(frozen=True)
class Result:
    """Recorded traces of one simulation (plain numpy inside, quantities outside).

    Attributes
    ----------
    labels : list of str
        One per recorded site, e.g. ``"soma"``, ``"hillock"``, ``"basal@200"``.
    compartments : ndarray of int
        Compartment index of each recorded site.
    t_ms, v_mV : ndarray
        Sample times (ms) and potentials (mV, shape ``(n_sites, n_samples)``).
    spikes_ms : ndarray
        Spike times (ms) at the spike site (the hillock by default): the upward crossings of
        the cell's spike threshold that are action potentials (overshoot within the spike
        window; see *Action potentials* in :mod:`cablemodel.simulation.engine`), interpolated
        linearly within the step that crossed it.
    v_rest_mV : float
    table : CompartmentTable
        Geometry of the simulated cell (for distances and plotting).
    info : dict
        Engine, dt and where the wall-clock time went: ``info["timing"]`` (also
        :attr:`timing`) holds seconds of ``python`` (validating and resolving the inputs,
        building the specs, reading the results), ``generation`` (Brian2 objects and code
        generation; with ``cpp_standalone`` also writing the project and looking up its binary;
        for a run replayed from a recipe only writing its input files),
        ``compile`` (``make``; 0 when an installed binary was reused; ``None`` with ``cython``,
        whose compilation happens within code generation and is counted there), ``run`` (the
        simulation loop of a runtime engine, the binary's process with ``cpp_standalone``) and
        ``total`` (all of :func:`~cablemodel.simulate`); ``info["compiled"]`` (bool: something
        was compiled), ``info["generated"]`` (bool: code was generated) and, with
        ``cpp_standalone``, ``info["replayed"]`` (bool: run from the structure's recipe, see
        :mod:`cablemodel.simulation.replay`; ``info["replay"]`` says why a generated run stored
        no recipe, ``None`` if it did). ``build_seconds``
        (the Brian2 objects; with ``cpp_standalone`` all of generation and compile) and
        ``run_seconds`` (the loop alone; with ``cpp_standalone`` as the binary measures it)
        are kept as before.
    recorded : dict of str to Trace
        The other recorded variables (``simulate(record=["m_na@hillock", ...])``), by name; read
        them with :meth:`trace`.

    Example
    -------
    >>> from brian2 import ms, mV, nS
    >>> from cablemodel import ball_and_stick, Cell, Synapse, AMPA, spike_times, simulate
    >>> r = simulate(Cell(ball_and_stick()), [Synapse(AMPA, "basal@100", 1*nS, spike_times([1]*ms))],
    ...              duration=10*ms, engine="numpy")
    >>> bool(r.peak("basal@100") > r.peak("soma") > 0*mV)
    True
    """

    labels: list[str]
    compartments: np.ndarray
    t_ms: np.ndarray
    v_mV: np.ndarray
    spikes_ms: np.ndarray
    v_rest_mV: float
    table: CompartmentTable
    info: dict = field(default_factory=dict)
    recorded: dict[str, Trace] = field(default_factory=dict)

    @classmethod
    def example(cls) -> Result:
        """A small hand-made result (8 samples at 1 ms; soma and hillock, rest -65 mV, one spike
        at 5.5 ms) on the default ball-and-stick, for examples and quick checks.

        Example
        -------
        >>> r = Result.example()
        >>> r.labels, float(r.t_ms[-1]), r.spikes_ms.tolist()
        (['soma', 'hillock'], 7.0, [5.5])
        """
        from ..morphology.generate import ball_and_stick

        v = np.array([[-65, -63, -64, -65, -65, -55, -10, -65],
                      [-65, -60, -62, -65, -65, -40, 0, -65]], dtype=float)
        return cls(["soma", "hillock"], np.array([0, 2]), np.arange(8.0), v, np.array([5.5]),
                   -65.0, ball_and_stick().compartments())

    @property
    def timing(self) -> dict:
        """Where the wall-clock time of the run went (second; see *info* above): ``python``,
        ``generation``, ``compile``, ``run`` and ``total``; empty for a hand-made result.

        Example
        -------
        >>> from cablemodel import Cell, ball_and_stick, simulate
        >>> r = simulate(Cell(ball_and_stick()), duration=1 * ms, engine="numpy")
        >>> sorted(r.timing), r.timing["compile"], r.info["compiled"]
        (['compile', 'generation', 'python', 'run', 'total'], 0.0, False)
        >>> abs(sum(r.timing[k] for k in ("python", "generation", "run")) - r.timing["total"]) < 1e-9
        True
        """
        return self.info.get("timing", {})

    @property
    def t(self) -> Quantity:
        """Sample times (second).

        Example
        -------
        >>> r = Result.example()
        >>> r.t
        array([0., 1., 2., 3., 4., 5., 6., 7.]) * msecond
        """
        return self.t_ms * ms

    @property
    def spikes(self) -> Quantity:
        """Spike times at the spike site (second): the threshold crossings of action potentials
        (see :attr:`spikes_ms`), interpolated linearly within their time step (NEURON's
        ``NetCon.record`` gives the end of that step instead).

        Example
        -------
        >>> r = Result.example()
        >>> r.spikes
        array([5.5]) * msecond
        """
        return self.spikes_ms * ms

    @property
    def variables(self) -> list[str]:
        """Names of the recorded variables, ``"v"`` first.

        Example
        -------
        >>> Result.example().variables
        ['v']
        """
        return ["v", *self.recorded]

    def trace(self, request) -> Quantity:
        """The recorded values of a request ``"VAR@WHERE"`` (or a site alone: ``v`` there), as
        in ``simulate(record=...)``: the rows recorded at a site or in a region (a region name
        such as ``"hillock"``: all its recorded compartments, in row order), as samples when
        there is one row, else rows x samples (a region of several compartments, several
        synapses at one site). A site matches a row by label first, then by compartment.
        (:meth:`v` takes a row label: ``r.v("hillock")`` is the spike site.)
        ``result["m_na", "hillock"]`` is ``result.trace("m_na@hillock")``.

        Example
        -------
        >>> r = Result.example()
        >>> r.trace("#2")[:2], r.trace("v@soma").shape, r["v", "all"].shape
        (array([-65., -60.]) * mvolt, (8,), (2, 8))
        """
        req = parse_request(request)
        if req.var == "v":
            values, unit, labels, comps = self.v_mV, "mV", self.labels, self.compartments
        elif req.var in self.recorded:
            tr = self.recorded[req.var]
            values, unit, labels, comps = tr.values, tr.unit, tr.labels, tr.compartments
        else:
            raise KeyError(f"{req.var!r} was not recorded; recorded: {', '.join(self.variables)}"
                           f" (ask for it with simulate(record=['{req.var}@SITE']))")
        rows = self._rows(req, labels, comps)
        picked = values[rows[0]] if len(rows) == 1 else values[rows]
        return picked * UNITS[unit]

    def __getitem__(self, key: tuple[str, object]) -> Quantity:
        var, where = key
        return self.trace((var, where))

    def _rows(self, req, labels: list[str], comps: np.ndarray) -> list[int]:
        if req.is_site:
            label = site_label(req.where)
            if label in labels:
                return [labels.index(label)]
            rows = np.flatnonzero(comps == req.where.resolve(self.table)).tolist()
        else:
            rows = np.flatnonzero(req.where.mask(self.table)[comps]).tolist()
        if not rows:
            raise KeyError(f"{req.var} was not recorded at {req.where}; recorded at"
                           f" {', '.join(labels)}")
        return rows

    def to_xarray(self):
        """The result as an ``xarray.Dataset``: one variable per recorded quantity (dims site,
        time), site coordinates (label, compartment, distance, region, section, x/y/z), units in
        the attributes, metadata (engine, dt, versions, cell, morphology); see
        :mod:`cablemodel.simulation.results_io`. Needs xarray (``cablemodel[io]``).

        Example
        -------
        >>> ds = Result.example().to_xarray()
        >>> float(ds["v"].sel(site="hillock").max()), ds["distance"].values.tolist()  # mV, um
        (0.0, [0.0, 15.0])
        """
        from .results_io import to_xarray

        return to_xarray(self)

    def to_dataframe(self):
        """The result as a tidy ``pandas.DataFrame`` (one row per variable, site and sample; see
        :func:`cablemodel.simulation.results_io.to_dataframe`).

        Example
        -------
        >>> df = Result.example().to_dataframe()
        >>> df[df.label == "hillock"].value.tolist()[:3]  # mV
        [-65.0, -60.0, -62.0]
        """
        from .results_io import to_dataframe

        return to_dataframe(self)

    def save(self, path) -> Path:
        """Write the result to a netCDF file (every array exactly, with the metadata); read it
        back with :meth:`load`. Returns the path.

        Example
        -------
        >>> import tempfile, pathlib
        >>> path = Result.example().save(pathlib.Path(tempfile.mkdtemp()) / "run.nc")
        >>> Result.load(path).peak("hillock")
        65. * mvolt
        """
        from .results_io import save

        return save(self, path)

    @classmethod
    def load(cls, path) -> Result:
        """A result saved with :meth:`save`, exactly as it was.

        Example
        -------
        >>> import tempfile, pathlib
        >>> r = Result.load(Result.example().save(pathlib.Path(tempfile.mkdtemp()) / "r.nc"))
        >>> r.spike_count()
        1
        """
        from .results_io import load

        return load(path)

    def _row(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise KeyError(f"site {label!r} was not recorded; recorded: {self.labels}") from None

    def v(self, label: str) -> Quantity:
        """Membrane potential at a recorded site (volt).

        Example
        -------
        >>> r = Result.example()
        >>> r.v("hillock")[:3]
        array([-65., -60., -62.]) * mvolt
        """
        return self.v_mV[self._row(label)] * mV

    def distance(self, label: str) -> Quantity:
        """Path distance of a recorded site's compartment from the soma (metre).

        Example
        -------
        >>> r = Result.example()
        >>> r.distance("hillock")  # midpoint of the hillock's middle compartment
        15. * umetre
        """
        from brian2 import um

        return float(self.table.distance[self.compartments[self._row(label)]]) * um

    def _window(self, start, stop) -> np.ndarray:
        lo = -np.inf if start is None else float(start / ms)
        hi = np.inf if stop is None else float(stop / ms)
        return (self.t_ms >= lo) & (self.t_ms < hi)

    def peak(self, label: str, start: Quantity | None = None, stop: Quantity | None = None
             ) -> Quantity:
        """Largest deviation from rest at a site in ``[start, stop)``, signed (volt): positive for
        a depolarization, negative when the potential went mostly below rest.

        Example
        -------
        >>> r = Result.example()
        >>> r.peak("soma", 0*ms, 4*ms), r.peak("hillock", 4*ms, 8*ms)
        (2. * mvolt, 65. * mvolt)
        """
        dv = self.v_mV[self._row(label), self._window(start, stop)] - self.v_rest_mV
        return float(dv[np.argmax(np.abs(dv))]) * mV if dv.size else 0 * mV

    def spike_count(self, start: Quantity | None = None, stop: Quantity | None = None) -> int:
        """Number of spikes at the spike site in ``[start, stop)`` (times in second; ``None``
        means from the beginning / to the end).

        Example
        -------
        >>> from brian2 import ms
        >>> r = Result.example()
        >>> r.spike_count(), r.spike_count(0 * ms, 5 * ms)
        (1, 0)
        """
        lo = -np.inf if start is None else float(start / ms)
        hi = np.inf if stop is None else float(stop / ms)
        return int(np.sum((self.spikes_ms >= lo) & (self.spikes_ms < hi)))

    def crossing_time(self, label: str, threshold: Quantity, start: Quantity | None = None,
                      stop: Quantity | None = None) -> Quantity | None:
        """Time (second) of the first upward crossing of ``threshold`` (volt) at a site in
        ``[start, stop)``, interpolated linearly between samples, or ``None``.

        Example
        -------
        >>> from brian2 import mV
        >>> r = Result.example()
        >>> r.crossing_time("hillock", -20 * mV)
        5.5 * msecond
        >>> r.crossing_time("soma", 0 * mV) is None
        True
        """
        w = np.flatnonzero(self._window(start, stop))
        v = self.v_mV[self._row(label), w]
        thr = float(threshold / mV)
        above = np.flatnonzero((v[1:] >= thr) & (v[:-1] < thr))
        if above.size == 0:
            return None
        k = above[0]
        t0, t1 = self.t_ms[w[k]], self.t_ms[w[k + 1]]
        frac = (thr - v[k]) / (v[k + 1] - v[k])
        return float(t0 + frac * (t1 - t0)) * ms

    def first_crossing_site(self, threshold: Quantity, start=None, stop=None) -> str | None:
        """The recorded site whose potential crossed ``threshold`` (volt) first in
        ``[start, stop)`` (times in second), or ``None`` if none did.

        Example
        -------
        >>> from brian2 import ms, mV
        >>> r = Result.example()
        >>> r.first_crossing_site(-20 * mV)
        'hillock'
        >>> r.first_crossing_site(-20 * mV, 0 * ms, 5 * ms) is None
        True
        """
        times = {lab: self.crossing_time(lab, threshold, start, stop) for lab in self.labels}
        times = {k: v for k, v in times.items() if v is not None}
        return min(times, key=lambda k: times[k]) if times else None
