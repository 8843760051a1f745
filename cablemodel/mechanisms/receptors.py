"""Receptor kit: AMPA, NMDA (Mg2+ block), GABA_A, glycine, GABA_B and dopamine D1/D2, with
reversal potentials computed from the ions, and an optional transmitter cleft.

Every receptor implements the engine's receptor interface (``name``, ``method``,
``neuron_equations()``, ``neuron_values()``, ``synapse_model()``, ``on_pre()``,
``synapse_values()``, ``synapse_defaults()``), so any of them is placed with
``cablemodel.Synapse(receptor, site, weight, spikes)``, several per compartment. The engine
makes one Brian2 ``Synapses`` object per receptor *name*: to use two variants of one receptor in
one simulation (e.g. AMPA with two different ion sets) give them different names
(``ampa(name="ampa_hi_k", ions=...)``).

Two ways to make a conductance
------------------------------
* **Without a cleft** (``cleft=None``, the default of the ionotropic receptors): the
  double-exponential time course of :class:`cablemodel.Receptor`, normalised so that one spike
  gives a peak of exactly the synapse's ``weight``.
* **With a cleft** (``cleft=Cleft(...)``, always for the metabotropic receptors): a release puts
  transmitter into the cleft of that synapse, ``[T] += c_release``; the concentration decays by
  reuptake, enzymatic degradation and diffusion, ``d[T]/dt = -(k_reuptake + k_enzyme +
  k_diffusion) [T]`` (three separate rates, shared by all synapses of a receptor type); the
  receptors respond to ``[T]``:

  - ionotropic: first-order binding ``dr/dt = alpha [T] (1 - r) - beta r``, ``g = w f r``;
  - metabotropic (Destexhe et al. 1996 G-protein cascade): receptor activation
    ``dR/dt = K1 [T] (1 - R) - K2 R``, G-protein ``dG/dt = K3 R - K4 G``,
    ``g = w f G^n / (G^n + Kd)`` with ``n = 4``.

  The factor ``f`` is computed (numerically, :func:`scipy.integrate.solve_ivp`) from the
  *unblocked* cleft, so that ``weight`` is the peak conductance of one release under default
  conditions; with a pathway blocked (:meth:`Cleft.blocked`) the same weight gives a larger,
  longer conductance. Binding saturates and the cascade is supralinear (``G^4``), so responses to
  several releases do not add linearly.

Reversal potentials come from :class:`~cablemodel.mechanisms.ions.Ions`: AMPA and NMDA by the
Goldman-Hodgkin-Katz equation from their Na+ : K+ : Ca2+ permeabilities (-0.3 mV and +2.0 mV
with the default ions), GABA_A and glycine at E_Cl (-73.6 mV), GABA_B and D2 at E_K (-89.1 mV,
GIRK channels), D1 at a non-selective cation channel (-0.4 mV). Changing ``Ions`` (e.g. raised
[K+]o or [Cl-]i) therefore changes the PSPs.

Measured with the test cells (``tests/test_receptor_kit.py``; one spike at rest -65 mV):

* a GABA_B IPSP on an isopotential soma peaks 107 ms after the spike and has a half-width of
  240 ms, 19x and 18x those of a GABA_A IPSP (5.6 ms, 13.1 ms); D2: 115 ms and 296 ms;
* blocking glutamate reuptake (:data:`GLUTAMATE`, cleared in 1.0 ms, 3.3 ms when blocked)
  lengthens the half-width of the cleft-AMPA conductance 1.99x (3.5 -> 7.0 ms) and of the
  somatic EPSP 1.57x (6.8 -> 10.8 ms, passive ball-and-stick with a 300 um dendrite, membrane
  time constant 3.3 ms); blocking acetylcholinesterase (:data:`ACETYLCHOLINE`) lengthens a
  nicotinic-like conductance 2.60x and its EPSP 1.41x;
* two GABA_B releases 10 ms apart give a 12.6x larger IPSP than one (supralinear cascade).

Variable names in the Brian2 text: in the neuron ``g_<name>``, ``I_<name>``, ``E_<name>`` (and
``B_<name>``, ``mg_<name>`` for NMDA); in the receptor's own ``Synapses`` object ``tx``
(transmitter, mM), ``occ`` (bound fraction), ``R_act``, ``G_prot`` and the shared rates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from brian2 import Quantity, mM, ms, mV, nS, volt
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from ..units import quantity
from .ions import (
    AMPA_PERMEABILITY,
    CATION_PERMEABILITY,
    DEFAULT_IONS,
    NMDA_PERMEABILITY,
    VALENCE,
    Ions,
    ghk_reversal,
    ion_key,
)
from .synapses import Receptor

__all__ = ["Cleft", "CLEFTS", "GLUTAMATE", "GABA", "GLYCINE", "DOPAMINE", "ACETYLCHOLINE",
           "Ionotropic", "NMDAReceptor", "Metabotropic", "mg_block", "ampa", "nmda", "gaba_a", "glycine",
           "gaba_b", "metabotropic", "d1", "d2", "RECEPTORS", "receptor"]

PER_MS = 1 / ms
BINDING = 1 / (mM * ms)
#: Jahr & Stevens (1990): B(v) = 1 / (1 + [Mg2+]/3.57 mM * exp(-0.062 v/mV)).
MG_HALF = 3.57 * mM
MG_SLOPE = 0.062  # 1/mV


def _check_name(name) -> None:
    """A receptor name must be an identifier and not end in Brian2's ``_pre``/``_post``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"receptor name must be an identifier, got {name!r}")
    if name.endswith(("_pre", "_post")):
        raise ValueError(f"receptor name {name!r} must not end in '_pre' or '_post' (Brian2 uses"
                         " these suffixes for pre- and postsynaptic variables)")


def _nonneg(value, unit, what: str) -> Quantity:
    q = quantity(value, unit, what, scalar=True)
    if float(q) < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return q


def _positive(value, unit, what: str) -> Quantity:
    q = quantity(value, unit, what, scalar=True)
    if not float(q) > 0:
        raise ValueError(f"{what} must be > 0, got {value}")
    return q


# --------------------------------------------------------------------------------------------
# the cleft


@dataclass(frozen=True)
class Cleft:
    """Transmitter in the synaptic cleft: what one release puts in, and how it is cleared.

    Parameters
    ----------
    transmitter : str
        Name (documentation only), e.g. ``"glutamate"``.
    release : Quantity
        Concentration jump of one (full) release (mM), > 0.
    k_reuptake, k_enzyme, k_diffusion : Quantity
        Clearance rates (1/ms, >= 0) by transporters, enzymatic degradation and diffusion out of
        the cleft; ``[T]`` decays as ``exp(-(k_reuptake + k_enzyme + k_diffusion) t)``. Diffusion
        cannot be blocked and must be > 0 (so the cleft always clears).
    blocked_pathways : tuple of str
        Pathways set to zero (``"reuptake"``, ``"enzyme"``); use :meth:`blocked`.

    Example
    -------
    >>> from brian2 import ms
    >>> round(float(GLUTAMATE.time_constant / ms), 3), round(float(GLUTAMATE.blocked("reuptake")
    ...     .time_constant / ms), 3)
    (1.0, 3.333)
    """

    transmitter: str
    release: Quantity
    k_reuptake: Quantity
    k_enzyme: Quantity
    k_diffusion: Quantity
    blocked_pathways: tuple[str, ...] = ()

    #: Pathways that a drug can block (transporter blockers, esterase inhibitors).
    BLOCKABLE = ("reuptake", "enzyme")

    def __post_init__(self) -> None:
        _positive(self.release, mM, f"{self.transmitter} cleft: release concentration")
        _nonneg(self.k_reuptake, PER_MS, f"{self.transmitter} cleft: k_reuptake")
        _nonneg(self.k_enzyme, PER_MS, f"{self.transmitter} cleft: k_enzyme")
        _positive(self.k_diffusion, PER_MS, f"{self.transmitter} cleft: k_diffusion")
        blocked = tuple(sorted(set(self.blocked_pathways)))
        bad = set(blocked) - set(self.BLOCKABLE)
        if bad:
            raise ValueError(f"cannot block {sorted(bad)}; blockable pathways: {list(self.BLOCKABLE)}")
        object.__setattr__(self, "blocked_pathways", blocked)

    def blocked(self, *pathways: str) -> Cleft:
        """The same cleft with ``pathways`` (``"reuptake"``, ``"enzyme"``) blocked (rate 0).

        Example
        -------
        >>> ACETYLCHOLINE.blocked("enzyme").rates()["enzyme"]
        0. * hertz
        """
        if not pathways:
            raise ValueError(f"name the pathway(s) to block: {list(self.BLOCKABLE)}")
        return replace(self, blocked_pathways=tuple(self.blocked_pathways) + tuple(pathways))

    def unblocked(self) -> Cleft:
        """The same cleft with every pathway working (the reference for a receptor's weight).

        Example
        -------
        >>> GABA.blocked("reuptake").unblocked() == GABA
        True
        """
        return replace(self, blocked_pathways=())

    def rates(self) -> dict[str, Quantity]:
        """Effective clearance rates (1/second): ``reuptake``, ``enzyme``, ``diffusion``.

        Example
        -------
        >>> from brian2 import ms
        >>> {k: round(float(v * ms), 2) for k, v in GLUTAMATE.rates().items()}
        {'reuptake': 0.7, 'enzyme': 0.0, 'diffusion': 0.3}
        """
        out = {"reuptake": self.k_reuptake, "enzyme": self.k_enzyme, "diffusion": self.k_diffusion}
        for p in self.blocked_pathways:
            out[p] = 0 * PER_MS
        return out

    @property
    def k_total(self) -> Quantity:
        """Total clearance rate (1/second).

        Example
        -------
        >>> GLUTAMATE.k_total, GLUTAMATE.blocked("reuptake").k_total
        (1. * khertz, 300. * hertz)
        """
        return sum(self.rates().values(), 0 * PER_MS)

    @property
    def time_constant(self) -> Quantity:
        """Time constant of the concentration decay, ``1/k_total`` (second).

        Example
        -------
        >>> from brian2 import ms
        >>> round(float(DOPAMINE.time_constant / ms), 2)
        9.52
        """
        return 1 / self.k_total

    def concentration(self, t: Quantity) -> Quantity:
        """Cleft concentration ``t`` after one release at ``t = 0`` (mM).

        Example
        -------
        >>> from brian2 import ms, mM
        >>> round(float(GLUTAMATE.concentration(1 * ms) / mM), 4)
        0.3679
        """
        t_ms = np.asarray(_check_times(t))
        return np.where(t_ms >= 0, float(self.release / mM) * np.exp(-self._k_ms * t_ms), 0.0) * mM

    @property
    def _k_ms(self) -> float:
        return float(self.k_total * ms)

    def _values(self) -> dict[str, Quantity]:
        r = self.rates()
        return {"c_release": self.release, "k_reuptake": r["reuptake"], "k_enzyme": r["enzyme"],
                "k_diffusion": r["diffusion"]}


_CLEFT_MODEL = """dtx/dt = -k_clear*tx : mole/meter**3 (clock-driven)
k_clear = k_reuptake + k_enzyme + k_diffusion : 1/second
tx_step = tx*(1 - exp(-k_clear*dt))/(k_clear*dt) : mole/meter**3
c_release : mole/meter**3 (shared, constant)
k_reuptake : 1/second (shared, constant)
k_enzyme : 1/second (shared, constant)
k_diffusion : 1/second (shared, constant)"""
# ``tx_step`` is the exact mean of the exponentially decaying concentration over the next time
# step: the binding equations (exponential Euler) then see the right amount of transmitter even
# when the step is not small compared with 1/k_clear.


def _check_times(t) -> np.ndarray:
    fail_for_dimension_mismatch(t, ms, f"t must be a time, got {t!r}")
    return np.asarray(Quantity(t) / ms, dtype=float)


#: Glutamate: ~1 mM peak, cleared in ~1 ms (Clements et al. 1992), mostly by transporters.
GLUTAMATE = Cleft("glutamate", 1.0 * mM, 0.7 * PER_MS, 0.0 * PER_MS, 0.3 * PER_MS)
#: GABA: ~1 mM, transporters (GAT) and diffusion; no enzyme in the cleft.
GABA = Cleft("GABA", 1.0 * mM, 0.5 * PER_MS, 0.0 * PER_MS, 0.5 * PER_MS)
#: Glycine: as GABA (GlyT transporters and diffusion).
GLYCINE = Cleft("glycine", 1.0 * mM, 0.5 * PER_MS, 0.0 * PER_MS, 0.5 * PER_MS)
#: Dopamine: slow clearance by the transporter (DAT), MAO/COMT degradation and diffusion.
DOPAMINE = Cleft("dopamine", 1.0 * mM, 0.05 * PER_MS, 0.005 * PER_MS, 0.05 * PER_MS)
#: Acetylcholine: hydrolysed by acetylcholinesterase within ~0.2 ms; not taken up itself.
ACETYLCHOLINE = Cleft("acetylcholine", 1.0 * mM, 0.0 * PER_MS, 5.0 * PER_MS, 0.5 * PER_MS)
#: The presets by transmitter.
CLEFTS = {"glutamate": GLUTAMATE, "gaba": GABA, "glycine": GLYCINE, "dopamine": DOPAMINE,
          "acetylcholine": ACETYLCHOLINE}


# --------------------------------------------------------------------------------------------
# single-release responses (numpy/scipy): the reference for normalisation and for tests


def _solve(kind: str, params: tuple[float, ...], c0: float, k: float, t_ms: np.ndarray,
           n: int = 4) -> np.ndarray:
    """Activation (``r`` or ``G^n/(G^n + Kd)``) at times ``t_ms`` (sorted, >= 0) after one release
    of ``c0`` mM into a cleft cleared at ``k`` 1/ms."""
    from scipy.integrate import solve_ivp

    if kind == "binding":
        alpha, beta = params

        def _rhs(t, y):
            return [alpha * c0 * np.exp(-k * t) * (1 - y[0]) - beta * y[0]]

        y0 = [0.0]
    else:
        k1, k2, k3, k4, _ = params

        def _rhs(t, y):
            return [k1 * c0 * np.exp(-k * t) * (1 - y[0]) - k2 * y[0], k3 * y[0] - k4 * y[1]]

        y0 = [0.0, 0.0]
    t_end = float(t_ms[-1]) if t_ms.size else 0.0
    if t_end <= 0:
        return np.zeros_like(t_ms)
    sol = solve_ivp(_rhs, (0.0, t_end), y0, method="LSODA", t_eval=t_ms, rtol=1e-10, atol=1e-14,
                    first_step=min(1e-4, t_end), max_step=max(t_end / 200, 1e-3))
    if not sol.success:  # pragma: no cover - solver failure is not expected for these systems
        raise RuntimeError(f"single-release response: {sol.message}")
    if kind == "binding":
        return sol.y[0]
    gn = sol.y[1] ** n
    return gn / (gn + params[4])


@lru_cache(maxsize=512)
def _peak(kind: str, params: tuple[float, ...], c0: float, k: float, n: int, horizon: float
          ) -> tuple[float, float]:
    """(time of peak in ms, peak activation) of one release, searched over ``[0, horizon]`` ms."""
    grid = np.linspace(0.0, horizon, 40001)
    y = _solve(kind, params, c0, k, grid, n)
    i = int(np.argmax(y))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    fine = np.linspace(lo, hi, 2001)
    yy = _solve(kind, params, c0, k, fine, n)
    j = int(np.argmax(yy))
    return float(fine[j]), float(yy[j])


def _activation(kind, params, c0, k, t, n=4) -> np.ndarray:
    t_ms = _check_times(t)
    flat = np.atleast_1d(t_ms).ravel()
    order = np.argsort(flat)
    pos = np.clip(flat[order], 0, None)
    y = np.zeros_like(pos)
    if pos.size:
        y = _solve(kind, params, c0, k, pos, n)
    out = np.empty_like(flat)
    out[order] = np.where(flat[order] >= 0, y, 0.0)
    return out.reshape(np.shape(t_ms))


# --------------------------------------------------------------------------------------------
# ionotropic receptors


def mg_block(v: Quantity, mg: Quantity = 1 * mM) -> np.ndarray:
    """Fraction of NMDA conductance *not* blocked by Mg2+ at potential ``v`` (Jahr & Stevens 1990):
    ``B(v) = 1 / (1 + [Mg2+]/3.57 mM * exp(-0.062 v/mV))``; 1 without Mg2+.

    Example
    -------
    >>> from brian2 import mV, mM
    >>> round(float(mg_block(-65 * mV, 1 * mM)), 4), float(mg_block(-65 * mV, 0 * mM))
    (0.0597, 1.0)
    """
    fail_for_dimension_mismatch(v, mV, f"v must be a voltage, got {v!r}")
    mg_q = _nonneg(mg, mM, "[Mg2+]")
    v_mV = np.asarray(Quantity(v) / mV, dtype=float)
    return 1.0 / (1.0 + float(mg_q / MG_HALF) * np.exp(-MG_SLOPE * v_mV))


@dataclass(frozen=True)
class Ionotropic(Receptor):
    """A ligand-gated channel: a :class:`~cablemodel.Receptor` (double exponential, reversal
    ``reversal``) that can instead respond to transmitter in a :class:`Cleft`.

    Parameters
    ----------
    name, reversal, tau_rise, tau_decay
        As :class:`~cablemodel.Receptor` (volt, second); the time constants are used without a
        cleft.
    cleft : Cleft or None
        With a cleft the conductance follows first-order binding
        ``dr/dt = alpha [T] (1 - r) - beta r`` and ``weight`` is the peak conductance of one
        release with the unblocked cleft.
    alpha : Quantity
        Binding rate (1/(mM ms)), needed with a cleft.
    beta : Quantity
        Unbinding (closing) rate (1/ms), needed with a cleft.

    Example
    -------
    >>> from brian2 import ms, nS
    >>> rec = ampa(cleft=GLUTAMATE)
    >>> round(float(rec.conductance(rec.peak_time, 1 * nS) / nS), 6)
    1.0
    """

    cleft: Cleft | None = None
    alpha: Quantity | None = None
    beta: Quantity | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_name(self.name)
        if self.cleft is not None:
            if not isinstance(self.cleft, Cleft):
                raise TypeError(f"{self.name}: cleft must be a Cleft, got {type(self.cleft)}")
            if self.alpha is None or self.beta is None:
                raise ValueError(f"{self.name}: a receptor with a cleft needs binding rates"
                                 " alpha (1/(mM ms)) and beta (1/ms)")
        if self.alpha is not None:
            _positive(self.alpha, BINDING, f"{self.name}: alpha")
        if self.beta is not None:
            _positive(self.beta, PER_MS, f"{self.name}: beta")

    # -- numbers ---------------------------------------------------------------------------
    def _kinetics(self, cleft: Cleft | None = None) -> tuple:
        c = self.cleft if cleft is None else cleft
        params = (float(self.alpha * mM * ms), float(self.beta * ms))
        return "binding", params, float(c.release / mM), c._k_ms

    def _horizon(self, cleft: Cleft) -> float:
        """Time (ms) within which one release certainly peaks."""
        return 20.0 * (1.0 / cleft._k_ms + 1.0 / float(self.beta * ms))

    def _reference_peak(self) -> tuple[float, float]:
        ref = self.cleft.unblocked()
        kind, params, c0, k = self._kinetics(ref)
        return _peak(kind, params, c0, k, 4, self._horizon(ref))

    @property
    def peak_time(self) -> Quantity:
        """Time from a release to the conductance peak (second).

        Example
        -------
        >>> from brian2 import ms
        >>> round(float(ampa().peak_time / ms), 3), round(float(ampa(cleft=GLUTAMATE).peak_time / ms), 3)
        (0.512, 1.217)
        >>> round(float(ampa(cleft=GLUTAMATE.blocked("reuptake")).peak_time / ms), 3)
        1.916
        """
        if self.cleft is None:
            return super().peak_time
        kind, params, c0, k = self._kinetics()
        return _peak(kind, params, c0, k, 4, self._horizon(self.cleft))[0] * ms

    @property
    def normalization(self) -> float:
        """Factor making one release peak at 1 (with a cleft: ``1/peak r`` of the unblocked cleft;
        dimensionless).

        Example
        -------
        >>> round(float(ampa().normalization), 4), round(float(ampa(cleft=GLUTAMATE).normalization), 4)
        (1.4351, 2.5347)
        >>> ampa(cleft=GLUTAMATE.blocked("reuptake")).normalization == ampa(cleft=GLUTAMATE).normalization
        True
        """
        if self.cleft is None:
            return super().normalization
        return 1.0 / self._reference_peak()[1]

    def conductance(self, t: Quantity, weight: Quantity = 1 * nS) -> Quantity:
        """Conductance ``t`` after one release (second -> siemens), for a peak of ``weight`` under
        default (unblocked) conditions.

        Example
        -------
        >>> from brian2 import ms, nS
        >>> round(float(gaba_a().conductance(gaba_a().peak_time, 2 * nS) / nS), 9)
        2.0
        """
        if self.cleft is None:
            return super().conductance(t, weight)
        kind, params, c0, k = self._kinetics()
        return self.normalization * _activation(kind, params, c0, k, t) * weight

    # -- Brian2 text ------------------------------------------------------------------------
    @property
    def method(self) -> str:  # type: ignore[override]
        """Integration method: exact (linear) without a cleft, exponential Euler with one.

        Example
        -------
        >>> ampa().method, ampa(cleft=GLUTAMATE).method
        ('exact', 'exponential_euler')
        """
        return "exact" if self.cleft is None else "exponential_euler"

    def synapse_model(self) -> str:
        """Per-synapse state (Brian2 text); with a cleft: transmitter ``tx`` (mM) and bound fraction
        ``occ``.

        Example
        -------
        >>> from cablemodel import AMPA
        >>> ampa().synapse_model() == AMPA.synapse_model()
        True
        >>> model = ampa(cleft=GLUTAMATE).synapse_model().splitlines()
        >>> print("\\n".join(line for line in model if "occ" in line))
        docc/dt = alpha_bind*tx_step*(1 - occ) - beta_unbind*occ : 1 (clock-driven)
        g_ampa_post = w*f_norm*occ : siemens (summed)
        """
        if self.cleft is None:
            return super().synapse_model()
        return "\n".join([
            "w : siemens (constant)", _CLEFT_MODEL,
            "docc/dt = alpha_bind*tx_step*(1 - occ) - beta_unbind*occ : 1 (clock-driven)",
            "alpha_bind : meter**3/mole/second (shared, constant)",
            "beta_unbind : 1/second (shared, constant)", "f_norm : 1 (shared, constant)",
            f"g_{self.name}_post = w*f_norm*occ : siemens (summed)"])

    def on_pre(self) -> str:
        """A release: transmitter into the cleft (with a cleft), else the double exponential
        (Brian2 statements).

        Example
        -------
        >>> ampa(cleft=GLUTAMATE).on_pre(), ampa().on_pre()
        ('tx += c_release', 'B += 1\\nA += 1')
        """
        return super().on_pre() if self.cleft is None else "tx += c_release"

    def synapse_values(self) -> dict[str, Quantity | float]:
        """Shared synapse-side parameters (time constants in second, or the cleft's release in mM,
        clearance rates in 1/second and the binding rates).

        Example
        -------
        >>> from brian2 import mM, ms
        >>> vals = ampa(cleft=GLUTAMATE).synapse_values()
        >>> vals["c_release"], vals["k_reuptake"], vals["beta_unbind"]
        (1. * mmolar, 0.7 * khertz, 0.5 * khertz)
        >>> round(float(vals["alpha_bind"] * mM * ms), 6)  # 1/(mM ms)
        1.1
        """
        if self.cleft is None:
            return super().synapse_values()
        return {**self.cleft._values(), "alpha_bind": self.alpha, "beta_unbind": self.beta,
                "f_norm": self.normalization}


@dataclass(frozen=True)
class NMDAReceptor(Ionotropic):
    """NMDA receptor: an :class:`Ionotropic` receptor whose current is blocked by Mg2+,
    ``I = g B(v) (E - v)`` with the Jahr-Stevens ``B(v)`` (:func:`mg_block`), computed in the
    neuron (Brian2 linearises the current in ``v`` at every step). ``weight`` is the peak
    *unblocked* conductance.

    Parameters
    ----------
    mg : Quantity
        Extracellular [Mg2+] (mM, >= 0); 0 makes the channel ohmic (B = 1).

    Example
    -------
    >>> from brian2 import mV, mM
    >>> round(float(nmda().block(-40 * mV)), 4)
    0.2302
    """

    mg: Quantity = field(default_factory=lambda: 1.0 * mM)

    def __post_init__(self) -> None:
        super().__post_init__()
        _nonneg(self.mg, mM, f"{self.name}: [Mg2+]")

    def block(self, v: Quantity) -> np.ndarray:
        """Unblocked fraction ``B(v)`` at potential ``v`` (volt) and this receptor's [Mg2+]
        (dimensionless).

        Example
        -------
        >>> from brian2 import mV
        >>> nmda().block([-80, -40, 0] * mV).round(3).tolist()
        [0.024, 0.23, 0.781]
        """
        return mg_block(v, self.mg)

    def neuron_equations(self) -> str:
        """The summed conductance (siemens) and its Mg2+-blocked current (amp), as Brian2 text.

        Example
        -------
        >>> print(nmda().neuron_equations())
        I_nmda = g_nmda*B_nmda*(E_nmda - v) : amp (point current)
        B_nmda = 1/(1 + mg_nmda/(3.57*mmolar)*exp(-0.062*v/mV)) : 1
        g_nmda : siemens
        E_nmda : volt (shared)
        mg_nmda : mole/meter**3 (shared)
        """
        n = self.name
        return (f"I_{n} = g_{n}*B_{n}*(E_{n} - v) : amp (point current)\n"
                f"B_{n} = 1/(1 + mg_{n}/({float(MG_HALF / mM)!r}*mmolar)"
                f"*exp(-{MG_SLOPE!r}*v/mV)) : 1\n"
                f"g_{n} : siemens\nE_{n} : volt (shared)\nmg_{n} : mole/meter**3 (shared)")

    def neuron_values(self) -> dict[str, Quantity]:
        """Reversal ``E_<name>`` (volt) and ``mg_<name>`` ([Mg2+], mM).

        Example
        -------
        >>> from brian2 import mM, mV
        >>> vals = nmda(mg=2 * mM).neuron_values()
        >>> round(float(vals["E_nmda"] / mV), 2), vals["mg_nmda"]
        (2.01, 2. * mmolar)
        """
        return {f"E_{self.name}": self.reversal, f"mg_{self.name}": self.mg}


# --------------------------------------------------------------------------------------------
# metabotropic receptors


@dataclass(frozen=True)
class Metabotropic:
    """A G-protein-coupled receptor gating a channel of reversal ``reversal`` (Destexhe et al.
    1996 kinetics): transmitter in the cleft activates receptors, ``dR/dt = K1 [T] (1 - R) - K2 R``;
    they activate G-proteins, ``dG/dt = K3 R - K4 G``; the channel opens cooperatively,
    ``g = w f G^n / (G^n + Kd)``. ``weight`` is the peak conductance of one release with the
    unblocked cleft; because of ``G^n`` a burst gives a much larger conductance than the sum of
    its single releases (up to ``weight * normalization`` at saturation), as for GABA_B.

    Parameters
    ----------
    name : str
    reversal : Quantity
        Reversal of the coupled channel (volt): E_K for GIRK (inhibitory), near 0 mV for a
        cation channel (excitatory).
    cleft : Cleft
    k1 : Quantity
        Receptor activation rate (1/(mM ms)).
    k2, k3, k4 : Quantity
        Receptor deactivation, G-protein activation and G-protein inactivation rates (1/ms).
    kd : float
        Dissociation constant of G-protein binding to the channel (units of G^n, > 0).
    n : int
        Number of G-protein subunits needed to open the channel.
    coupled_to : str
        Description of the channel (documentation only).

    Example
    -------
    >>> from brian2 import ms
    >>> 80 < float(gaba_b().peak_time / ms) < 120
    True
    """

    name: str
    reversal: Quantity
    cleft: Cleft
    k1: Quantity = field(default_factory=lambda: 0.09 * BINDING)
    k2: Quantity = field(default_factory=lambda: 0.0012 * PER_MS)
    k3: Quantity = field(default_factory=lambda: 0.18 * PER_MS)
    k4: Quantity = field(default_factory=lambda: 0.034 * PER_MS)
    kd: float = 100.0
    n: int = 4
    coupled_to: str = ""

    #: integration method of the per-synapse states
    method = "exponential_euler"

    def __post_init__(self) -> None:
        _check_name(self.name)
        quantity(self.reversal, mV, f"{self.name}: reversal", scalar=True)
        if not isinstance(self.cleft, Cleft):
            raise TypeError(f"{self.name}: cleft must be a Cleft, got {type(self.cleft)}")
        _positive(self.k1, BINDING, f"{self.name}: k1")
        for k in ("k2", "k3", "k4"):
            _positive(getattr(self, k), PER_MS, f"{self.name}: {k}")
        if not (np.isfinite(self.kd) and self.kd > 0):
            raise ValueError(f"{self.name}: kd must be > 0, got {self.kd}")
        if int(self.n) != self.n or self.n < 1:
            raise ValueError(f"{self.name}: n must be a positive integer, got {self.n}")

    def _kinetics(self, cleft: Cleft | None = None) -> tuple:
        c = self.cleft if cleft is None else cleft
        params = (float(self.k1 * mM * ms), float(self.k2 * ms), float(self.k3 * ms),
                  float(self.k4 * ms), float(self.kd))
        return "cascade", params, float(c.release / mM), c._k_ms

    def _horizon(self, cleft: Cleft) -> float:
        """Time (ms) within which one release certainly peaks."""
        return 5.0 * (1.0 / cleft._k_ms + 1.0 / float(self.k2 * ms) + 1.0 / float(self.k4 * ms))

    @property
    def peak_time(self) -> Quantity:
        """Time from a release to the conductance peak (second).

        Example
        -------
        >>> from brian2 import ms
        >>> round(float(gaba_b().peak_time / ms)), round(float(d2().peak_time / ms))
        (103, 111)
        """
        kind, params, c0, k = self._kinetics()
        return _peak(kind, params, c0, k, int(self.n), self._horizon(self.cleft))[0] * ms

    @property
    def normalization(self) -> float:
        """``f`` (dimensionless): one release with the unblocked cleft peaks at ``weight``.

        Example
        -------
        >>> round(float(gaba_b().normalization))
        3785
        >>> gaba_b(cleft=GABA.blocked("reuptake")).normalization == gaba_b().normalization
        True
        """
        ref = self.cleft.unblocked()
        kind, params, c0, k = self._kinetics(ref)
        return 1.0 / _peak(kind, params, c0, k, int(self.n), self._horizon(ref))[1]

    def conductance(self, t: Quantity, weight: Quantity = 1 * nS) -> Quantity:
        """Conductance ``t`` after one release (siemens), peak ``weight`` with the default cleft.

        Example
        -------
        >>> from brian2 import nS
        >>> rec = d2()
        >>> round(float(rec.conductance(rec.peak_time, 3 * nS) / nS), 6)
        3.0
        """
        kind, params, c0, k = self._kinetics()
        return self.normalization * _activation(kind, params, c0, k, t, int(self.n)) * weight

    # -- Brian2 text (the engine's receptor interface) ---------------------------------------
    # the cell side is any receptor's: a summed conductance ``g_<name>`` at the coupled
    # channel's reversal ``E_<name>``; no per-synapse parameters
    neuron_equations = Receptor.neuron_equations
    neuron_values = Receptor.neuron_values
    synapse_defaults = Receptor.synapse_defaults

    def synapse_model(self) -> str:
        """Per-synapse cleft (transmitter ``tx``, mM), receptor activation ``R_act`` and G-protein
        ``G_prot`` (Brian2 text).

        Example
        -------
        >>> model = gaba_b().synapse_model().splitlines()
        >>> print("\\n".join(line for line in model if line.startswith(("d", "g_"))))
        dtx/dt = -k_clear*tx : mole/meter**3 (clock-driven)
        dR_act/dt = K1*tx_step*(1 - R_act) - K2*R_act : 1 (clock-driven)
        dG_prot/dt = K3*R_act - K4*G_prot : 1 (clock-driven)
        g_gaba_b_post = w*f_norm*G_prot**4/(G_prot**4 + kd_g) : siemens (summed)
        """
        n = int(self.n)
        return "\n".join([
            "w : siemens (constant)", _CLEFT_MODEL,
            "dR_act/dt = K1*tx_step*(1 - R_act) - K2*R_act : 1 (clock-driven)",
            "dG_prot/dt = K3*R_act - K4*G_prot : 1 (clock-driven)",
            "K1 : meter**3/mole/second (shared, constant)", "K2 : 1/second (shared, constant)",
            "K3 : 1/second (shared, constant)", "K4 : 1/second (shared, constant)",
            "kd_g : 1 (shared, constant)", "f_norm : 1 (shared, constant)",
            f"g_{self.name}_post = w*f_norm*G_prot**{n}/(G_prot**{n} + kd_g) : siemens (summed)"])

    def on_pre(self) -> str:
        """A release puts transmitter into the cleft (Brian2 statement).

        Example
        -------
        >>> d1().on_pre()
        'tx += c_release'
        """
        return "tx += c_release"

    def synapse_values(self) -> dict[str, Quantity | float]:
        """Shared rates (``K1`` in 1/(mM second), ``K2``-``K4`` in 1/second), cleft and
        normalisation.

        Example
        -------
        >>> from brian2 import mM, ms
        >>> vals = gaba_b().synapse_values()
        >>> round(float(vals["K1"] * mM * ms), 6), vals["K2"], vals["K4"], vals["kd_g"]  # K1: 1/(mM ms)
        (0.09, 1.2 * hertz, 34. * hertz, 100.0)
        """
        return {**self.cleft._values(), "K1": self.k1, "K2": self.k2, "K3": self.k3,
                "K4": self.k4, "kd_g": float(self.kd), "f_norm": self.normalization}



# --------------------------------------------------------------------------------------------
# the kit


def _ions(ions) -> Ions:
    if not isinstance(ions, Ions):
        raise TypeError(f"ions must be a cablemodel Ions (e.g. Ions(k_out=10*mM)), got {type(ions)}")
    return ions


def ampa(ions: Ions = DEFAULT_IONS, cleft: Cleft | None = None, name: str = "ampa") -> Ionotropic:
    """AMPA receptor: cation channel, reversal by GHK from Na+ : K+ : Ca2+ = 1 : 1 : 0.1
    (-0.3 mV with the default ions); rise 0.2 ms, decay 2 ms; with a cleft binding rates
    alpha = 1.1/(mM ms), beta = 0.5/ms.

    Example
    -------
    >>> from brian2 import mV
    >>> round(float(ampa().reversal / mV), 2)
    -0.28
    """
    e = ghk_reversal(AMPA_PERMEABILITY, _ions(ions))
    return Ionotropic(name, e, 0.2 * ms, 2.0 * ms, cleft, 1.1 * BINDING, 0.5 * PER_MS)


def nmda(mg: Quantity = 1 * mM, ions: Ions = DEFAULT_IONS, cleft: Cleft | None = None,
         name: str = "nmda") -> NMDAReceptor:
    """NMDA receptor with the Jahr-Stevens Mg2+ block at ``mg`` (mM); reversal by GHK from
    Na+ : K+ : Ca2+ = 1 : 1 : 3.6 (+2.0 mV); rise 2 ms, decay 80 ms; with a cleft alpha =
    0.072/(mM ms), beta = 0.0066/ms (Destexhe et al. 1994). ``weight`` is the unblocked peak.

    Example
    -------
    >>> from brian2 import mV, mM
    >>> rec = nmda(mg=0 * mM)
    >>> float(rec.block(-80 * mV)), round(float(rec.reversal / mV), 2)
    (1.0, 2.01)
    """
    e = ghk_reversal(NMDA_PERMEABILITY, _ions(ions))
    return NMDAReceptor(name, e, 2.0 * ms, 80.0 * ms, cleft, 0.072 * BINDING, 0.0066 * PER_MS, mg)


def gaba_a(ions: Ions = DEFAULT_IONS, cleft: Cleft | None = None, name: str = "gaba_a"
           ) -> Ionotropic:
    """GABA_A receptor: Cl- channel reversing at E_Cl (-73.6 mV with the default ions); rise
    0.5 ms, decay 8 ms; with a cleft alpha = 5/(mM ms), beta = 0.18/ms (Destexhe et al. 1994).

    Example
    -------
    >>> from brian2 import mV, mM
    >>> round(float(gaba_a(Ions(cl_in=30 * mM)).reversal / mV), 1)
    -34.7
    """
    return Ionotropic(name, _ions(ions).E("cl"), 0.5 * ms, 8.0 * ms, cleft, 5.0 * BINDING,
                      0.18 * PER_MS)


def glycine(ions: Ions = DEFAULT_IONS, cleft: Cleft | None = None, name: str = "glycine"
            ) -> Ionotropic:
    """Glycine receptor: Cl- channel at E_Cl; faster than GABA_A (rise 0.5 ms, decay 5 ms; with a
    cleft alpha = 5/(mM ms), beta = 0.3/ms).

    Example
    -------
    >>> from brian2 import mV
    >>> round(float(glycine().reversal / mV), 1)
    -73.6
    """
    return Ionotropic(name, _ions(ions).E("cl"), 0.5 * ms, 5.0 * ms, cleft, 5.0 * BINDING,
                      0.3 * PER_MS)


def _coupled(coupled_reversal, ions: Ions) -> tuple[Quantity, str]:
    if isinstance(coupled_reversal, str):
        key = coupled_reversal.strip().lower()
        if key == "cation":
            return ghk_reversal(CATION_PERMEABILITY, ions), "non-selective cation channel"
        try:
            ion = ion_key(key)
        except ValueError:
            raise ValueError(f"coupled_reversal must be a voltage or one of"
                             f" {['cation', *sorted(VALENCE)]}, got {coupled_reversal!r}") from None
        return ions.E(ion), f"{ion} channel"
    return quantity(coupled_reversal, volt, "coupled_reversal", scalar=True), "channel"


def metabotropic(name: str, coupled_reversal: Quantity | str, ions: Ions = DEFAULT_IONS,
                 cleft: Cleft = GABA, k1: Quantity = 0.09 * BINDING,
                 k2: Quantity = 0.0012 * PER_MS, k3: Quantity = 0.18 * PER_MS,
                 k4: Quantity = 0.034 * PER_MS, kd: float = 100.0, n: int = 4) -> Metabotropic:
    """A G-protein-coupled receptor whose sign is set by the channel it opens.

    Parameters
    ----------
    name : str
    coupled_reversal : Quantity or str
        The channel's reversal (volt) or its kind, computed from ``ions``: ``"k"`` (GIRK,
        inhibitory), ``"cation"`` (non-selective, excitatory), ``"cl"``, ``"na"``, ``"ca"``.
    ions : Ions
    cleft : Cleft
        Transmitter (GABA by default).
    k1, k2, k3, k4, kd, n
        Cascade (see :class:`Metabotropic`); defaults: Destexhe et al. (1996) GABA_B,
        K1 = 0.09/(mM ms), K2 = 0.0012/ms, K3 = 0.18/ms, K4 = 0.034/ms, Kd = 100, n = 4.

    Example
    -------
    >>> from brian2 import mV
    >>> round(float(metabotropic("mglur", "cation", cleft=GLUTAMATE).reversal / mV), 2)
    -0.35
    """
    e, what = _coupled(coupled_reversal, _ions(ions))
    return Metabotropic(name, e, cleft, k1, k2, k3, k4, kd, n, what)


def gaba_b(ions: Ions = DEFAULT_IONS, cleft: Cleft = GABA, name: str = "gaba_b") -> Metabotropic:
    """GABA_B receptor: G-protein cascade opening GIRK K+ channels (reversal E_K, -89.1 mV);
    Destexhe et al. (1996) kinetics: the IPSP peaks ~100 ms after a release and lasts hundreds
    of ms.

    Example
    -------
    >>> from brian2 import mV
    >>> round(float(gaba_b().reversal / mV), 1)
    -89.1
    """
    return metabotropic(name, "k", ions, cleft)


def d1(ions: Ions = DEFAULT_IONS, cleft: Cleft = DOPAMINE, name: str = "d1") -> Metabotropic:
    """Dopamine D1 receptor, modelled as coupled to a non-selective cation channel (excitatory,
    reversal -0.4 mV); the GABA_B cascade rates with dopamine's slow clearance.

    Example
    -------
    >>> from brian2 import mV
    >>> float(d1().reversal / mV) > -65
    True
    """
    return metabotropic(name, "cation", ions, cleft)


def d2(ions: Ions = DEFAULT_IONS, cleft: Cleft = DOPAMINE, name: str = "d2") -> Metabotropic:
    """Dopamine D2 receptor coupled to GIRK K+ channels (inhibitory, reversal E_K); the same
    cascade as :func:`d1`, so D1 and D2 answer one dopamine release with opposite signs.

    Example
    -------
    >>> from brian2 import mV
    >>> round(float(d2().reversal / mV), 1)
    -89.1
    """
    return metabotropic(name, "k", ions, cleft)


#: The kit by name: ``RECEPTORS["nmda"](mg=0*mM)``.
RECEPTORS: dict[str, Callable[..., Ionotropic | Metabotropic]] = {
    "ampa": ampa, "nmda": nmda, "gaba_a": gaba_a, "gaba_b": gaba_b, "glycine": glycine,
    "d1": d1, "d2": d2}


def receptor(name: str, **kwargs) -> Ionotropic | Metabotropic:
    """The kit receptor ``name`` (a key of :data:`RECEPTORS`) built with ``kwargs``.

    Raises ``ValueError`` listing the valid choices for an unknown name.

    Example
    -------
    >>> from brian2 import mM
    >>> receptor("nmda", mg=2 * mM).name
    'nmda'
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in RECEPTORS:
        raise ValueError(f"unknown receptor {name!r}; valid choices: {sorted(RECEPTORS)}")
    return RECEPTORS[key](**kwargs)
