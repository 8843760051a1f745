"""Voltage-gated ion channels, each a small declarative unit (as in Jaxley): parameters, gates,
rate functions, current.

A channel's rate functions are written once, as expressions of ``V`` (membrane potential in mV,
plain float) returning rates in 1/ms. The same text becomes Brian2 equations (with units) and is
evaluated with numpy for steady states, so the two can never disagree.

Rates are temperature-corrected by ``q10 ** ((celsius - reference_celsius) / 10)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, mV

__all__ = ["Gate", "Channel", "HHSodium", "HHPotassium", "exprel"]


def exprel(x):
    """``(exp(x) - 1) / x`` with its limit 1 at ``x = 0`` (numpy twin of Brian2's ``exprel``).

    Example
    -------
    >>> float(exprel(0.0))
    1.0
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-9
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x / 2, np.expm1(safe) / safe)


@dataclass(frozen=True)
class Gate:
    """A gating particle: ``d{name}/dt = alpha*(1 - {name}) - beta*{name}``.

    ``alpha`` and ``beta`` are expressions of ``V`` (mV) giving rates in 1/ms, before temperature
    correction. ``power`` is the exponent in the conductance (3 for HH's ``m``).

    Example
    -------
    >>> g = Gate("x", 1, "0.2", "0.6")  # constant rates: 0.2/ms opening, 0.6/ms closing
    >>> float(g.steady_state(-65.0))
    0.25
    """

    name: str
    power: int
    alpha: str
    beta: str

    def rates(self, v_mV, phi: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``(alpha, beta)`` in 1/ms at membrane potentials ``v_mV`` (plain floats, mV), multiplied
        by the temperature factor ``phi``.

        Example
        -------
        >>> n = HHPotassium().gates[0]
        >>> [round(float(r), 4) for r in n.rates(-55.0)]  # 1/ms
        [0.1, 0.1103]
        >>> [round(float(r), 4) for r in n.rates(-55.0, phi=3.0)]
        [0.3, 0.3309]
        """
        env = {"V": np.asarray(v_mV, dtype=float), "exp": np.exp, "exprel": exprel}
        alpha = eval(self.alpha, {"__builtins__": {}}, env)  # noqa: S307 - our own constant text
        beta = eval(self.beta, {"__builtins__": {}}, env)  # noqa: S307
        return phi * np.asarray(alpha, dtype=float), phi * np.asarray(beta, dtype=float)

    def steady_state(self, v_mV, phi: float = 1.0) -> np.ndarray:
        """Steady-state open fraction ``alpha / (alpha + beta)`` at ``v_mV`` (mV; dimensionless,
        0..1).

        Example
        -------
        >>> n = HHPotassium().gates[0]
        >>> n.steady_state([-65.0, 0.0]).round(4).tolist()
        [0.3177, 0.9087]
        """
        a, b = self.rates(v_mV, phi)
        return a / (a + b)


@dataclass(frozen=True)
class Channel:
    """A voltage-gated conductance ``g * prod(gate**power) * (E - v)``.

    Parameters
    ----------
    name : str
        Short identifier used in variable names: density ``g_{name}``, gates ``{gate}_{name}``.
    reversal : Quantity
        Reversal potential (volt).
    gates : tuple of Gate
    q10 : float
        Temperature coefficient of the rates.
    reference_celsius : float
        Temperature (deg C) at which the rate expressions hold.

    Example
    -------
    >>> from brian2 import mV
    >>> na = HHSodium()
    >>> round(float(na.open_probability(-65.0)), 6)
    8.8e-05
    """

    name: str
    reversal: Quantity
    gates: tuple[Gate, ...]
    q10: float = 3.0
    reference_celsius: float = 6.3

    def phi(self, celsius: float) -> float:
        """Rate factor ``q10 ** ((celsius - reference_celsius) / 10)`` at ``celsius`` (deg C;
        dimensionless).

        Example
        -------
        >>> HHPotassium().phi(6.3), HHPotassium().phi(16.3)
        (1.0, 3.0)
        """
        return float(self.q10 ** ((celsius - self.reference_celsius) / 10.0))

    def state_names(self) -> list[str]:
        """Names of the gate variables, ``{gate}_{name}``, in gate order.

        Example
        -------
        >>> HHSodium().state_names()
        ['m_na', 'h_na']
        """
        return [f"{g.name}_{self.name}" for g in self.gates]

    def open_probability(self, v_mV, celsius: float = 6.3, states: dict | None = None):
        """Open probability ``prod(gate**power)`` (dimensionless) at ``v_mV`` (mV) and ``celsius``
        (deg C); the gates' steady state unless ``states`` (name -> value) gives them.

        Example
        -------
        >>> k = HHPotassium()
        >>> round(float(k.open_probability(-65.0)), 4), float(k.open_probability(-65.0, states={"n_k": 0.5}))
        (0.0102, 0.0625)
        """
        p = 1.0
        for g, s in zip(self.gates, self.state_names(), strict=True):
            x = states[s] if states is not None else g.steady_state(v_mV, self.phi(celsius))
            p = p * np.asarray(x) ** g.power
        return p

    # -- Brian2 text --------------------------------------------------------------------------
    def conductance(self) -> str:
        """Open conductance density ``g * prod(gate**power)`` (siemens/meter**2), as Brian2 text.

        Example
        -------
        >>> HHSodium().conductance()
        'g_na*m_na**3*h_na'
        """
        gating = "*".join(f"{s}**{g.power}" if g.power != 1 else s
                          for g, s in zip(self.gates, self.state_names(), strict=True))
        return f"g_{self.name}*{gating}"

    def current(self) -> str:
        """Current density term for ``Im`` (amp/meter**2), as Brian2 text.

        Example
        -------
        >>> HHPotassium().current()
        'g_k*n_k**4*(E_k - v)'
        """
        return f"{self.conductance()}*(E_{self.name} - v)"

    def equations(self, integrate_gates: bool) -> str:
        """Brian2 equation lines: density, reversal, rates and gates.

        With ``integrate_gates=False`` the gates are parameters updated by :meth:`gate_update`
        only where the channel is present (the fast formulation); with ``True`` every compartment
        integrates them (the reference formulation). Rates are in Hz, ``v`` in volt.

        Example
        -------
        >>> print(HHPotassium().equations(integrate_gates=True))
        g_k : siemens/meter**2
        E_k : volt (shared)
        phi_k : 1 (shared)
        alpha_n_k = phi_k*(0.1/exprel(-((v/mV) + 55)/10))/ms : Hz
        beta_n_k = phi_k*(0.125*exp(-((v/mV) + 65)/80))/ms : Hz
        dn_k/dt = alpha_n_k*(1 - n_k) - beta_n_k*n_k : 1
        """
        phi = f"phi_{self.name}"
        lines = [f"g_{self.name} : siemens/meter**2", f"E_{self.name} : volt (shared)",
                 f"{phi} : 1 (shared)"]
        for g, s in zip(self.gates, self.state_names(), strict=True):
            lines.append(f"alpha_{s} = {phi}*({_in_volts(g.alpha)})/ms : Hz")
            lines.append(f"beta_{s} = {phi}*({_in_volts(g.beta)})/ms : Hz")
            if integrate_gates:
                lines.append(f"d{s}/dt = alpha_{s}*(1 - {s}) - beta_{s}*{s} : 1")
            else:
                lines.append(f"{s} : 1")
        return "\n".join(lines)

    def gate_update(self) -> str:
        """Exponential-Euler update of the gates for one time step ``dt`` (exact for fixed ``v``),
        as Brian2 statements.

        Example
        -------
        >>> print(HHPotassium().gate_update())  # doctest: +NORMALIZE_WHITESPACE
        n_k = (alpha_n_k/(alpha_n_k + beta_n_k)) +
              (n_k - (alpha_n_k/(alpha_n_k + beta_n_k)))*exp(-dt*(alpha_n_k + beta_n_k))
        """
        out = []
        for s in self.state_names():
            a, b = f"alpha_{s}", f"beta_{s}"
            inf = f"({a}/({a} + {b}))"
            out.append(f"{s} = {inf} + ({s} - {inf})*exp(-dt*({a} + {b}))")
        return "\n".join(out)

    def initial_values(self, v_rest: Quantity, celsius: float) -> dict[str, float]:
        """Steady-state gate values (dimensionless) at ``v_rest`` (volt) and ``celsius`` (deg C).

        Example
        -------
        >>> from brian2 import mV
        >>> {k: round(x, 4) for k, x in HHSodium().initial_values(-65 * mV, 6.3).items()}
        {'m_na': 0.0529, 'h_na': 0.5961}
        """
        v = float(v_rest / mV)
        out = {s: float(g.steady_state(v, self.phi(celsius)))
               for g, s in zip(self.gates, self.state_names(), strict=True)}
        for s, x in out.items():
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"channel {self.name!r}: gate {s} steady state at v_rest ="
                                 f" {v:g} mV is {x}, not a fraction in [0, 1]; check its rate"
                                 " expressions (alpha, beta must be finite and >= 0 there)")
        return out


def _in_volts(expr: str) -> str:
    """Rewrite a rate expression of ``V`` (mV, float) for Brian2, where ``v`` is in volt."""
    return re.sub(r"\bV\b", "(v/mV)", expr)


def HHSodium(reversal: Quantity = 50 * mV) -> Channel:
    """Hodgkin-Huxley fast Na+ channel (m**3 h), rest-at--65-mV convention of NEURON's ``hh``.

    Example
    -------
    >>> HHSodium().current()
    'g_na*m_na**3*h_na*(E_na - v)'
    """
    return Channel(
        "na", reversal,
        (Gate("m", 3, "1/exprel(-(V + 40)/10)", "4*exp(-(V + 65)/18)"),
         Gate("h", 1, "0.07*exp(-(V + 65)/20)", "1/(exp(-(V + 35)/10) + 1)")),
    )


def HHPotassium(reversal: Quantity = -77 * mV) -> Channel:
    """Hodgkin-Huxley delayed-rectifier K+ channel (n**4), as NEURON's ``hh``.

    Example
    -------
    >>> HHPotassium().current()
    'g_k*n_k**4*(E_k - v)'
    """
    return Channel(
        "k", reversal,
        (Gate("n", 4, "0.1/exprel(-(V + 55)/10)", "0.125*exp(-(V + 65)/80)"),),
    )
