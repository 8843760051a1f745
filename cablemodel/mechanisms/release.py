"""Presynaptic terminal: Ca2+-dependent, quantal release with short-term depression and
facilitation (Tsodyks-Markram), wrapped around any receptor.

Model of one terminal (one synapse)
-----------------------------------
* A spike opens Ca2+ channels; the Ca2+ that enters is proportional to [Ca2+]o, and the
  release probability of a rested terminal depends on it cooperatively (Dodge & Rahamimoff):
  ``U = p_max * ca^n / (ca^n + K^n)`` with ``ca = [Ca2+]o`` and ``K = k_ca``
  (:func:`release_probability`); no extracellular Ca2+, no release.
* Short-term plasticity (Tsodyks & Markram): a utilisation ``u`` (facilitation; residual Ca2+)
  and the fraction ``x`` of the vesicle pool that is ready (depression). At each spike
  ``u <- u + U (1 - u)``, a fraction ``u x`` of the pool is released, ``x <- x - u x``; between
  spikes ``u`` decays to 0 with ``tau_facil`` and ``x`` recovers to 1 with ``tau_rec``
  (``tau_facil = 0``: no facilitation, ``u = U``; ``tau_rec = 0``: no depression). The
  recursion is :func:`tsodyks_markram`.
* Quanta: the pool has ``n_sites`` release sites, one vesicle each. By default (``quantal=False``)
  the release is its mean, deterministic ``u x``. With ``quantal=True`` each site is full or
  empty; at a spike an empty site has refilled with probability ``1 - exp(-dt/tau_rec)`` and each
  full site releases with probability ``u`` (Brian2's ``rand()``, reproducible with
  ``simulate(..., seed=...)``); the released fraction is ``k / n_sites``. Its mean follows the same
  recursion.
* The wrapped receptor's spike response (every ``+=`` of its ``on_pre``) is scaled by the
  released fraction. So ``weight`` is the response to the release of the *whole pool*: for the
  linear double-exponential receptors the first spike of a rested terminal peaks at
  ``U * weight`` and each quantum contributes ``weight / n_sites``; for a receptor with a cleft
  the released fraction scales the transmitter put into the cleft.

Plasticity hooks: a per-synapse release-probability scale ``p_scale`` (``U`` becomes
``min(1, U * p_scale)``), set with ``Synapse(terminal, site, weight, spikes,
params={"p_scale": 0.5})``; receptor number is the synapse's ``weight``. Both can be changed
between runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from brian2 import Quantity, mM, ms, second
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from ..units import quantity
from .receptors import _check_name

__all__ = ["Terminal", "release_probability", "tsodyks_markram"]

_INCREMENT = re.compile(r"([A-Za-z_]\w*)\s*\+=\s*(.+)")
#: Names of the terminal's own variables in the Synapses object (all end in ``_rel``).
_OWN = ("u_rel", "y_rel", "tlast_rel", "U_rel", "tau_rec_rel", "tau_facil_rel", "released_rel",
        "p_scale")


def release_probability(ca_out: Quantity, p_max: float = 0.6, k_ca: Quantity = 1.5 * mM,
                        n_ca: float = 4.0) -> np.ndarray:
    """Release probability of a rested terminal at extracellular Ca2+ ``ca_out`` (mM):
    ``p_max * ca^n / (ca^n + k_ca^n)``; 0 without Ca2+.

    Example
    -------
    >>> from brian2 import mM
    >>> round(float(release_probability(2 * mM)), 4), float(release_probability(0 * mM))
    (0.4558, 0.0)
    """
    fail_for_dimension_mismatch(ca_out, mM, f"ca_out must be a concentration, got {ca_out!r}")
    ca = np.asarray(Quantity(ca_out) / mM, dtype=float)
    k = float(quantity(k_ca, mM, "k_ca", scalar=True) / mM)
    if np.any(ca < 0) or not np.all(np.isfinite(ca)):
        raise ValueError(f"ca_out must be >= 0 mM, got {ca_out}")
    if not k > 0 or not 0 < float(n_ca) < np.inf or not 0 <= float(p_max) <= 1:
        raise ValueError(f"need k_ca > 0, n_ca > 0 and 0 <= p_max <= 1, got {k_ca}, {n_ca}, {p_max}")
    can = ca ** float(n_ca)
    return float(p_max) * can / (can + k ** float(n_ca))


def tsodyks_markram(spike_times: Quantity, U: float, tau_rec: Quantity, tau_facil: Quantity
                    ) -> np.ndarray:
    """Fraction of the vesicle pool released at each spike (Tsodyks-Markram, mean release).

    At each spike ``u <- u + U (1 - u)``, release ``u x``, ``x <- x - u x``; between spikes
    ``u -> u exp(-dt/tau_facil)`` and ``x -> 1 - (1 - x) exp(-dt/tau_rec)``; ``u = 0``, ``x = 1``
    before the first spike. ``tau_facil = 0`` (no facilitation) keeps ``u = U``; ``tau_rec = 0``
    (no depression) keeps ``x = 1``.

    Parameters
    ----------
    spike_times : Quantity
        Presynaptic spike times (second), increasing.
    U : float
        Release probability of a rested terminal (0..1).
    tau_rec, tau_facil : Quantity
        Recovery and facilitation time constants (second, >= 0).

    Example
    -------
    >>> from brian2 import ms
    >>> tsodyks_markram([0, 50] * ms, 0.5, 800 * ms, 0 * ms).round(4)
    array([0.5   , 0.2651])
    """
    fail_for_dimension_mismatch(spike_times, second, f"spike_times must be times, got {spike_times!r}")
    t = np.atleast_1d(np.asarray(Quantity(spike_times) / ms, dtype=float))
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
        raise ValueError("spike_times must be finite and increasing")
    U = float(U)
    if not 0 <= U <= 1:
        raise ValueError(f"U must be in [0, 1], got {U}")
    trec = float(quantity(tau_rec, second, "tau_rec", scalar=True) / ms)
    tfac = float(quantity(tau_facil, second, "tau_facil", scalar=True) / ms)
    if trec < 0 or tfac < 0:
        raise ValueError(f"tau_rec and tau_facil must be >= 0, got {tau_rec}, {tau_facil}")
    u = y = 0.0  # utilisation, depleted fraction (1 - x)
    out = np.empty(t.size)
    for k in range(t.size):
        gap = t[k] - t[k - 1] if k else np.inf
        u = u * np.exp(-gap / tfac) if tfac > 0 else 0.0
        y = y * np.exp(-gap / trec) if trec > 0 else 0.0
        u = u + U * (1 - u)
        out[k] = u * (1 - y)
        y += out[k]
    return out


@dataclass(frozen=True)
class Terminal:
    """A presynaptic terminal wrapped around ``receptor``: a receptor-like object whose spike
    response is scaled by the Ca2+-dependent, depressing/facilitating, optionally quantal release.

    Parameters
    ----------
    receptor
        Any receptor (:class:`~cablemodel.Receptor` or the kit's) whose ``on_pre`` consists of
        increments (``X += ...``).
    p_max : float
        Release probability at saturating Ca2+ (0..1).
    ca_out : Quantity
        Extracellular [Ca2+] (mM, >= 0).
    k_ca : Quantity
        [Ca2+]o of half-maximal release (mM, > 0).
    n_ca : float
        Cooperativity of Ca2+ in release (~4).
    tau_rec, tau_facil : Quantity
        Recovery from depression and decay of facilitation (second, >= 0; 0 switches off).
    n_sites : int
        Release sites (vesicles in the ready pool, 1..200).
    quantal : bool
        Stochastic quantal release (else its mean).
    name : str, optional
        Receptor name of the wrapped object (default: the receptor's); give another to use a
        terminal and the bare receptor in one simulation.

    ``weight`` of a :class:`~cablemodel.Synapse` of a terminal is the response to the release of
    the whole pool; the per-synapse parameter ``p_scale`` (default 1) scales ``U``.

    Example
    -------
    >>> from brian2 import mM, ms
    >>> from cablemodel import AMPA
    >>> t = Terminal(AMPA, p_max=0.8, ca_out=2 * mM, tau_rec=800 * ms)
    >>> round(t.U, 4), t.name
    (0.6077, 'ampa')
    """

    receptor: Any
    p_max: float = 0.6
    ca_out: Quantity = field(default_factory=lambda: 2.0 * mM)
    k_ca: Quantity = field(default_factory=lambda: 1.5 * mM)
    n_ca: float = 4.0
    tau_rec: Quantity = field(default_factory=lambda: 500.0 * ms)
    tau_facil: Quantity = field(default_factory=lambda: 0.0 * ms)
    n_sites: int = 10
    quantal: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        rec = self.receptor
        for attr in ("name", "on_pre", "synapse_model", "neuron_equations", "synapse_values"):
            if not hasattr(rec, attr):
                raise TypeError(f"Terminal needs a receptor (with .{attr}), got {type(rec)}")
        if self.name is None:
            object.__setattr__(self, "name", rec.name)
        _check_name(self.name)
        ca = quantity(self.ca_out, mM, "ca_out", scalar=True)
        if float(ca) < 0:
            raise ValueError(f"ca_out must be >= 0 mM, got {self.ca_out}")
        release_probability(ca, self.p_max, self.k_ca, self.n_ca)  # validates p_max, k_ca, n_ca
        for what in ("tau_rec", "tau_facil"):
            if float(quantity(getattr(self, what), second, what, scalar=True)) < 0:
                raise ValueError(f"{what} must be >= 0 ms, got {getattr(self, what)}")
        if int(self.n_sites) != self.n_sites or not 1 <= self.n_sites <= 200:
            raise ValueError(f"n_sites must be an integer in 1..200, got {self.n_sites}")
        inner = self._inner()
        model = inner.synapse_model()
        clash = [v for v in _OWN if re.search(rf"\b{v}\b", model)]
        clash += [v for v in re.findall(r"\b(e\d+_rel|r\d+_rel)\b", model)]
        if clash:
            raise ValueError(f"receptor {rec.name!r} already uses the terminal's names {clash}")
        _scale(inner.on_pre(), "released_rel", rec.name)

    def _inner(self):
        rec = self.receptor
        return rec if rec.name == self.name else replace(rec, name=self.name)

    # -- numbers ---------------------------------------------------------------------------
    @property
    def U(self) -> float:
        """Release probability of a rested terminal at ``ca_out`` (see :func:`release_probability`;
        dimensionless, 0..1).

        Example
        -------
        >>> from brian2 import mM
        >>> from cablemodel import AMPA
        >>> round(Terminal(AMPA).U, 4), Terminal(AMPA, ca_out=0 * mM).U
        (0.4558, 0.0)
        """
        return float(release_probability(self.ca_out, self.p_max, self.k_ca, self.n_ca))

    @property
    def reversal(self) -> Quantity:
        """Reversal potential of the wrapped receptor (volt).

        Example
        -------
        >>> from cablemodel import GABA_A
        >>> Terminal(GABA_A).reversal
        -75. * mvolt
        """
        return self._inner().reversal

    def mean_release(self, spike_times: Quantity, p_scale: float = 1.0) -> np.ndarray:
        """Mean released fraction of the pool at each spike (:func:`tsodyks_markram`).

        Example
        -------
        >>> from brian2 import ms, mM
        >>> from cablemodel import AMPA
        >>> Terminal(AMPA, ca_out=0 * mM).mean_release([0, 20] * ms)
        array([0., 0.])
        """
        return tsodyks_markram(spike_times, min(1.0, self.U * float(p_scale)), self.tau_rec,
                               self.tau_facil)

    # -- Brian2 text (the engine's receptor interface) ---------------------------------------
    @property
    def method(self) -> str:
        """Integration method of the wrapped receptor (the terminal adds no differential
        equations).

        Example
        -------
        >>> from cablemodel import AMPA
        >>> from cablemodel.mechanisms.receptors import GLUTAMATE, ampa
        >>> Terminal(AMPA).method, Terminal(ampa(cleft=GLUTAMATE)).method
        ('exact', 'exponential_euler')
        """
        return self._inner().method

    def neuron_equations(self) -> str:
        """The wrapped receptor's neuron-side equations (Brian2 text).

        Example
        -------
        >>> from cablemodel import AMPA
        >>> Terminal(AMPA).neuron_equations() == AMPA.neuron_equations()
        True
        """
        return self._inner().neuron_equations()

    def neuron_values(self) -> dict[str, Quantity]:
        """The wrapped receptor's neuron-side values (its reversal potential, volt).

        Example
        -------
        >>> from cablemodel import GABA_A
        >>> Terminal(GABA_A).neuron_values()
        {'E_gaba_a': -75. * mvolt}
        """
        return self._inner().neuron_values()

    def synapse_model(self) -> str:
        """The receptor's per-synapse model plus the terminal's state: utilisation ``u_rel``,
        depleted fraction ``y_rel`` (or site flags ``e<i>_rel``), last spike ``tlast_rel``,
        per-synapse ``p_scale`` and shared ``U_rel``, ``tau_rec_rel``, ``tau_facil_rel``.

        Example
        -------
        >>> from brian2 import ms, mV
        >>> from cablemodel import Receptor
        >>> print(Terminal(Receptor("fast", 0 * mV, 0 * ms, 2 * ms)).synapse_model())
        w : siemens (constant)
        dB/dt = -B/tau_decay : 1 (clock-driven)
        tau_decay : second (shared, constant)
        g_fast_post = w*B : siemens (summed)
        u_rel : 1
        tlast_rel : second
        p_scale : 1 (constant)
        U_rel : 1 (shared, constant)
        y_rel : 1
        tau_rec_rel : second (shared, constant)
        """
        lines = [self._inner().synapse_model(), "u_rel : 1", "tlast_rel : second",
                 "p_scale : 1 (constant)", "U_rel : 1 (shared, constant)"]
        if self.quantal:
            lines += [f"e{i}_rel : 1" for i in range(1, self.n_sites + 1)]
        else:
            lines.append("y_rel : 1")
        if self.tau_rec > 0 * ms:
            lines.append("tau_rec_rel : second (shared, constant)")
        if self.tau_facil > 0 * ms:
            lines.append("tau_facil_rel : second (shared, constant)")
        return "\n".join(lines)

    def on_pre(self) -> str:
        """Release (Tsodyks-Markram, mean or quantal), then the receptor's scaled response
        (Brian2 statements).

        Example
        -------
        >>> from cablemodel import AMPA
        >>> print(Terminal(AMPA).on_pre())
        gap_rel = t - tlast_rel
        u_rel = 0
        u_rel = u_rel + clip(U_rel*p_scale, 0, 1)*(1 - u_rel)
        y_rel = y_rel*exp(-gap_rel/tau_rec_rel)
        released_rel = u_rel*(1 - y_rel)
        y_rel = y_rel + released_rel
        tlast_rel = t
        B += (1)*released_rel
        A += (1)*released_rel
        """
        lines = ["gap_rel = t - tlast_rel"]
        lines.append("u_rel = u_rel*exp(-gap_rel/tau_facil_rel)" if self.tau_facil > 0 * ms
                     else "u_rel = 0")
        lines.append("u_rel = u_rel + clip(U_rel*p_scale, 0, 1)*(1 - u_rel)")
        if self.quantal:
            lines.append("refill_rel = 1 - exp(-gap_rel/tau_rec_rel)" if self.tau_rec > 0 * ms
                         else "refill_rel = 1")
            for i in range(1, self.n_sites + 1):
                lines += [f"e{i}_rel = e{i}_rel*int(rand() >= refill_rel)",
                          f"r{i}_rel = (1 - e{i}_rel)*int(rand() < u_rel)",
                          f"e{i}_rel = e{i}_rel + r{i}_rel"]
            total = " + ".join(f"r{i}_rel" for i in range(1, self.n_sites + 1))
            lines.append(f"released_rel = ({total})/{self.n_sites}")
        else:
            lines.append("y_rel = y_rel*exp(-gap_rel/tau_rec_rel)" if self.tau_rec > 0 * ms
                         else "y_rel = 0")
            lines += ["released_rel = u_rel*(1 - y_rel)", "y_rel = y_rel + released_rel"]
        lines.append("tlast_rel = t")
        lines.append(_scale(self._inner().on_pre(), "released_rel", self.name))
        return "\n".join(lines)

    def synapse_values(self) -> dict[str, Quantity | float]:
        """The receptor's shared values plus ``U_rel`` and the time constants (second).

        Example
        -------
        >>> from brian2 import ms
        >>> from cablemodel import AMPA
        >>> vals = Terminal(AMPA, tau_facil=50 * ms).synapse_values()
        >>> round(vals["U_rel"], 4), vals["tau_rec_rel"], vals["tau_facil_rel"]
        (0.4558, 0.5 * second, 50. * msecond)
        """
        out = dict(self._inner().synapse_values())
        out["U_rel"] = self.U
        if self.tau_rec > 0 * ms:
            out["tau_rec_rel"] = self.tau_rec
        if self.tau_facil > 0 * ms:
            out["tau_facil_rel"] = self.tau_facil
        return out

    def synapse_defaults(self) -> dict[str, Quantity | float]:
        """Per-synapse parameters: the receptor's and ``p_scale`` (release-probability scale, 1).

        Example
        -------
        >>> from cablemodel import AMPA
        >>> Terminal(AMPA).synapse_defaults()
        {'p_scale': 1.0}
        """
        return {**self._inner().synapse_defaults(), "p_scale": 1.0}


def _scale(code: str, factor: str, name: str) -> str:
    """Multiply every increment ``X += expr`` of ``code`` by ``factor``."""
    out = []
    for raw in code.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _INCREMENT.fullmatch(line)
        if m is None:
            raise ValueError(f"Terminal can only wrap receptors whose on_pre is increments"
                             f" (X += ...); {name!r} has {line!r}")
        out.append(f"{m[1]} += ({m[2]})*{factor}")
    if not out:
        raise ValueError(f"receptor {name!r} has an empty on_pre: nothing to scale by release")
    return "\n".join(out)
