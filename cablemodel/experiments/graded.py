"""Experiments built on the public API: graded potentials attenuating with distance (summation
at the spike site is in :mod:`.summation`).

Each experiment runs all its trials in one simulation (:func:`cablemodel.sweeps.run_trials`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from brian2 import Quantity, ms, mV, nA, nS, um

from ..analysis import fit_length_constant, length_constant
from ..cell import Cell
from ..mechanisms.synapses import AMPA, CurrentClamp, Receptor, Synapse, spike_times
from ..places import at
from ..simulation.engine import simulate
from ..sweeps import Trial, TrialSet, run_trials

__all__ = ["psp_at_sites", "path_sites", "attenuation", "steady_state_attenuation",
           "theory_length_constant", "summarize_fit"]

ONSET = 5 * ms


def theory_length_constant(cell: Cell, region: str = "basal") -> Quantity:
    """``lambda = sqrt((d/4) Rm/Ri)`` for the length-weighted mean diameter along the longest
    path of ``region`` from the soma (Rm = 1/g_leak; g_leak and Ri must be uniform along it,
    else a ``ValueError``). Exact for a uniform unbranched dendrite;
    for a tapering, branching tree only a reference scale.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> round(float(theory_length_constant(Cell(ball_and_stick())) / um))
    289
    """
    t = cell.table
    tip = _farthest_section(cell, region)
    on_path = np.isin(t.section, _path(cell, tip)) & t.in_region(region)
    d = float(np.average(t.diameter[on_path], weights=t.length[on_path])) * um
    membrane = cell.membrane()
    gl, ri = membrane.g_leak[on_path], membrane.Ri[on_path]
    if np.ptp(np.asarray(gl)) > 0 or np.ptp(np.asarray(ri)) > 0:
        raise ValueError(f"g_leak or Ri varies along the {region} path: a nonuniform cable has no"
                         " single length constant; use cablemodel.impedance for its attenuation")
    return length_constant(d, 1 / gl[0], ri[0])


def _farthest_section(cell: Cell, region: str) -> str:
    t = cell.table
    mask = t.in_region(region)
    if not mask.any():
        raise ValueError(f"region {region!r} has no compartments; regions are {t.regions}")
    return str(t.section[mask][np.argmax(t.end[mask])])


def _path(cell: Cell, tip: str) -> list[str]:
    """Section names from ``tip`` back to the soma."""
    path, name = [], tip
    while name is not None:
        path.append(name)
        name = cell.morphology[name].parent
    return path


def psp_at_sites(cell: Cell, sites: Sequence, receptor: Receptor = AMPA, weight=1 * nS,
                 duration=50 * ms, onset=ONSET, **simulate_args) -> list[dict]:
    """One synaptic event per site, each in its own simulation on the same cell.

    Returns per site: ``site``, ``path_distance_um``, ``local_peak_mV``, ``soma_peak_mV``,
    ``hillock_peak_mV`` (signed deviations from rest: negative below rest; ``None`` without a
    hillock), ``time_to_peak_ms`` and ``half_width_ms`` (at the synapse, from the presynaptic spike)
    and ``spikes`` (at the spike site), ``timing`` and ``compiled`` (where the run's time went,
    see :attr:`Result.timing <cablemodel.Result.timing>`).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> rows = psp_at_sites(Cell(ball_and_stick()), ["basal@100"], duration=20 * ms,
    ...                     engine="numpy")
    >>> rows[0]["local_peak_mV"] > rows[0]["soma_peak_mV"] > 0
    True
    """
    from ..analysis import psp_measures
    from ..places import parse_site

    rows = []
    has_hillock = cell.table.in_region("hillock").any()
    for text in sites:
        site = parse_site(text)
        r = simulate(cell, [Synapse(receptor, site, weight, spike_times([onset / ms] * ms))],
                     duration=duration, **simulate_args)
        label = r.labels[-1] if str(site) not in r.labels else str(site)
        after = r.t_ms >= float(onset / ms)
        m = psp_measures(r.t[after], r.v(label)[after], cell.v_rest)
        rows.append({
            "site": str(text), "path_distance_um": float(r.distance(label) / um),
            "local_peak_mV": float(m["peak"] / mV),
            "soma_peak_mV": float(r.peak("soma") / mV),
            "hillock_peak_mV": float(r.peak("hillock") / mV) if has_hillock else None,
            "time_to_peak_ms": float(m["time_to_peak"] / ms),
            "half_width_ms": float(m["half_width"] / ms),
            "spikes": int(len(r.spikes_ms)),
            "timing": r.timing, "compiled": r.info.get("compiled"),
        })
    return rows


def path_sites(cell: Cell, distances: Quantity, region: str, tip: str | None = None) -> list:
    """Sites at ``distances`` along one path from the soma to the tip of section ``tip``
    (default: the section of ``region`` reaching farthest), so that all lie on one dendrite.

    Example
    -------
    >>> from cablemodel import Cell, pyramidal
    >>> [s.section for s in path_sites(Cell(pyramidal()), [50, 500] * um, "apical")]
    ['trunk0', 'trunk3']
    """
    morph = cell.morphology
    tip = tip or _farthest_section(cell, region)
    path = _path(cell, tip)
    start = morph.start_distance()
    sites = []
    for d in distances:
        dd = float(d / um)
        on = [n for n in path if morph[n].region != "soma"
              and start[n] - 1e-9 <= dd <= start[n] + morph[n].length + 1e-9]
        if not on:
            raise ValueError(f"{dd:g} um is beyond the path to {tip!r}"
                             f" ({start[tip] + morph[tip].length:g} um long)")
        sites.append(at(region, d, section=on[-1]))
    return sites


def attenuation(cell: Cell, distances: Quantity, region: str = "basal",
                receptor: Receptor = AMPA, weight=1 * nS, period=60 * ms,
                **simulate_args) -> tuple[list[dict], TrialSet]:
    """One PSP at each distance (one trial each) along one dendritic path (see
    :func:`path_sites`): local, soma and spike-site (hillock) peaks.

    Returns rows ``{distance_um, local_peak_mV, soma_peak_mV, hillock_peak_mV}`` and the trials.

    The peaks decay faster than the steady state: a brief EPSP's fast components also charge
    the membrane capacitance on the way, so they fall over the AC length constant
    ``lambda / Re(sqrt(1 + i 2 pi f tau_m))``; on ``standard_cell(ball_and_stick())`` the hillock
    peaks decay over 237 um against 291 um at steady state (lambda_f at 81 Hz).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> rows, _ = attenuation(Cell(ball_and_stick()), [50, 400] * um, engine="numpy")
    >>> rows[0]["hillock_peak_mV"] > rows[1]["hillock_peak_mV"] > 0
    True
    """
    sites = path_sites(cell, distances, region)
    trials = [Trial([Synapse(receptor, s, weight, spike_times([ONSET / ms] * ms))], str(s))
              for s in sites]
    ts = run_trials(cell, trials, period=period, **simulate_args)
    spike = cell.spike_site
    rows = [{"distance_um": float(d / um),
             "local_peak_mV": float(ts.peak(k, str(sites[k])) / mV),
             "soma_peak_mV": float(ts.peak(k, "soma") / mV),
             "hillock_peak_mV": float(ts.peak(k, spike) / mV)}
            for k, d in enumerate(distances)]
    return rows, ts


def steady_state_attenuation(cell: Cell, distances: Quantity, region: str = "basal",
                             amplitude=-0.02 * nA, settle=150 * ms, **simulate_args) -> dict:
    """Constant current at the soma; steady-state deflection at each distance along one path
    (:func:`path_sites`) and the fitted length constant (exponential fit). A small
    hyperpolarizing current keeps channels at rest.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> out = steady_state_attenuation(Cell(ball_and_stick()), [100, 300, 500] * um,
    ...                                engine="numpy", dt=0.1*ms)
    >>> 250 < out["lambda_um"] < 330
    True
    """
    sites = path_sites(cell, distances, region)
    r = simulate(cell, [], duration=settle, clamps=[CurrentClamp("soma", amplitude, 0 * ms,
                                                                 settle * 2)],
                 record=sites, **simulate_args)
    dv = np.array([abs(float(r.v(str(s))[-1] / mV - r.v_rest_mV)) for s in sites])
    x = np.array([r.distance(str(s)) / um for s in sites])
    fit = fit_length_constant(x * um, dv * mV)
    return {"distance_um": x.tolist(), "dv_mV": dv.tolist(),
            "lambda_um": float(fit["lambda"] / um), "r2": fit["r2"]}


def summarize_fit(rows: Sequence[dict], key: str) -> float:
    """Length constant (um) of an exponential decay fitted to ``rows[key]`` (mV, > 0) against
    ``rows["distance_um"]`` (um); see :func:`cablemodel.fit_length_constant`.

    Example
    -------
    >>> import numpy as np
    >>> rows = [{"distance_um": d, "peak_mV": 2 * np.exp(-d / 250)} for d in (0, 100, 200, 400)]
    >>> round(summarize_fit(rows, "peak_mV"), 6)
    250.0
    """
    x = np.array([r["distance_um"] for r in rows]) * um
    return float(fit_length_constant(x, np.array([r[key] for r in rows]) * mV)["lambda"] / um)

