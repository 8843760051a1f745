"""Voltage-gated ion channels, each a small declarative unit (as in Jaxley): parameters, gates,
rate functions, current.

A channel's rate functions are written once, as expressions of ``V`` (membrane potential in mV,
plain float) returning rates in 1/ms. The same text becomes Brian2 equations (with units) and is
evaluated with numpy for steady states, so the two can never disagree.

Rate text is never given to Python's ``eval``: :func:`rate_expression` parses it with ``ast``
and accepts only numbers, ``V``, ``+ - * / **`` (and unary minus/plus), parentheses and calls of
the functions in :data:`RATE_FUNCTIONS`; :func:`evaluate_rate` computes it from that tree. A
:class:`Gate` checks its two expressions when it is made.

Rates are temperature-corrected by ``q10 ** ((celsius - reference_celsius) / 10)``.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from brian2 import Quantity, mV

from ..units import quantity

__all__ = ["Gate", "Channel", "HHSodium", "HHPotassium", "exprel", "RATE_FUNCTIONS",
           "rate_expression", "evaluate_rate"]


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


#: Functions a rate expression may call: numpy twins of Brian2's functions of the same name.
RATE_FUNCTIONS = {"exp": np.exp, "expm1": np.expm1, "exprel": exprel, "log": np.log,
                  "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt, "abs": np.abs,
                  "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
#: Longest rate text accepted (characters): keeps the expression tree shallow.
MAX_RATE_LENGTH = 500
_ALLOWED = "numbers, V (mV), + - * / ** and the functions " + ", ".join(RATE_FUNCTIONS)


@lru_cache(maxsize=1024)
def rate_expression(text: str) -> ast.Expression:
    """The checked syntax tree of rate expression ``text`` (a function of ``V`` in mV giving a
    rate in 1/ms). Anything but numbers, ``V``, ``+ - * / **``, unary ``-``/``+``,
    parentheses and one-argument calls of :data:`RATE_FUNCTIONS` is a ``ValueError`` naming the
    expression and what is not allowed.

    Example
    -------
    >>> type(rate_expression("0.1/exprel(-(V + 55)/10)")).__name__
    'Expression'
    >>> rate_expression("().__class__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: rate expression '().__class__': '().__class__' (attribute access) is not allowed; ...
    """
    where = f"rate expression {text!r}"
    if not isinstance(text, str):
        raise TypeError(f"a rate expression must be a string (a function of V in mV), got {text!r}")
    if len(text) > MAX_RATE_LENGTH:
        raise ValueError(f"{where[:60]}...: longer than {MAX_RATE_LENGTH} characters; simplify it")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"{where}: not a valid expression ({err.msg}); use {_ALLOWED}") from None
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        problem = _not_allowed(node, id(node) in calls)
        if problem:
            raise ValueError(f"{where}: {problem} is not allowed; use {_ALLOWED}")
    return tree


def _not_allowed(node: ast.AST, called: bool) -> str | None:
    """What is wrong with one node of a rate expression (``None`` if it is allowed)."""
    if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINARY or type(node) in _UNARY:
        return None
    if isinstance(node, ast.BinOp):
        return None if type(node.op) in _BINARY else f"the operator in {ast.unparse(node)!r}"
    if isinstance(node, ast.UnaryOp):
        return None if type(node.op) in _UNARY else f"the operator in {ast.unparse(node)!r}"
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"the constant {value!r}"
        return None if math.isfinite(value) else f"the constant {value!r}"
    if isinstance(node, ast.Name):
        return None if called or node.id == "V" else f"the name {node.id!r}"  # calls: above
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            return f"calling {ast.unparse(node.func)!r}"
        if node.func.id not in RATE_FUNCTIONS:
            return f"the function {node.func.id!r}"
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            return f"{ast.unparse(node)!r} (the functions take one argument)"
        return None
    kind = {ast.Attribute: "attribute access", ast.Subscript: "indexing",
            ast.Compare: "a comparison", ast.BoolOp: "a logical operator"}.get(type(node),
                                                                               "this construct")
    return f"{ast.unparse(node)!r} ({kind})"


def evaluate_rate(text: str, v_mV) -> np.ndarray:
    """Rate expression ``text`` (checked by :func:`rate_expression`) at membrane potentials
    ``v_mV`` (plain floats, mV), computed with numpy (1/ms, an array of ``v_mV``'s shape).

    Example
    -------
    >>> evaluate_rate("4*exp(-(V + 65)/18)", [-65.0, -47.0]).round(4).tolist()
    [4.0, 1.4715]
    """
    V = np.asarray(v_mV, dtype=float)
    return np.broadcast_to(np.asarray(_evaluate(rate_expression(text).body, V), dtype=float),
                           V.shape).copy()


def _evaluate(node: ast.AST, V: np.ndarray):
    if isinstance(node, ast.Constant):
        return np.float64(node.value)  # floats: 9**9**9 overflows to inf instead of hanging
    if isinstance(node, ast.Name):
        return V
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, V))
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, V), _evaluate(node.right, V))
    return RATE_FUNCTIONS[node.func.id](_evaluate(node.args[0], V))  # a checked ast.Call


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

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"gate name must be an identifier, got {self.name!r}")
        if isinstance(self.power, bool) or not isinstance(self.power, int) or self.power < 1:
            raise ValueError(f"gate {self.name!r}: power must be an integer >= 1, got {self.power!r}")
        for what in ("alpha", "beta"):
            try:
                rate_expression(getattr(self, what))
            except (TypeError, ValueError) as err:
                raise type(err)(f"gate {self.name!r} {what}: {err}") from None

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
        return phi * evaluate_rate(self.alpha, v_mV), phi * evaluate_rate(self.beta, v_mV)

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

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"channel name must be an identifier, got {self.name!r}")
        quantity(self.reversal, mV, f"channel {self.name!r}: reversal", scalar=True)
        gates = tuple(self.gates)
        if not gates or not all(isinstance(g, Gate) for g in gates):
            raise ValueError(f"channel {self.name!r}: gates must be one or more Gate objects,"
                             f" got {self.gates!r}")
        if len({g.name for g in gates}) != len(gates):
            raise ValueError(f"channel {self.name!r}: two gates share a name")
        object.__setattr__(self, "gates", gates)
        for what in ("q10", "reference_celsius"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and (what != "q10" or value > 0)):
                raise ValueError(f"channel {self.name!r}: {what} must be a finite number"
                                 f"{' > 0' if what == 'q10' else ''}, got {value!r}")

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
