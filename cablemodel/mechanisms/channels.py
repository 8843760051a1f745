"""Ion channels, each a small declarative unit (as in Jaxley): parameters, gates, rate functions,
current.

A gate's kinetics are written once, as expressions of ``V`` (membrane potential in mV, plain
float) and of the concentrations in :data:`CONCENTRATIONS` (mM): either rates ``alpha``/``beta``
(1/ms) or a steady state ``inf`` (dimensionless) and a time constant ``tau`` (ms). The same text
becomes Brian2 equations (with units) and is evaluated with numpy for steady states, so the two
can never disagree.

Rate text is never given to Python's ``eval``: :func:`rate_expression` parses it with ``ast``
and accepts only numbers, ``V``, the concentration names, ``+ - * / **`` (and unary minus/plus),
parentheses, one comparison ``< <= > >=`` at a time (1.0 if true, 0.0 if false; Brian2's
``int(...)*1.0``) and calls of the functions in :data:`RATE_FUNCTIONS`; :func:`evaluate_rate`
computes it from that tree. A :class:`Gate` checks its two expressions when it is made.

Temperature: rates are multiplied, time constants divided, by the channel's
``phi = q10 ** ((celsius - reference_celsius) / 10)``.

Currents: ``"ohmic"`` is ``g * P * (E - v)`` with a fixed reversal ``E`` or ``"nernst"`` (E follows
the ion's inside and outside concentrations, :func:`~cablemodel.mechanisms.ions.nernst`);
``"ghk"`` is the Goldman-Hodgkin-Katz current equation of the channel's ion, the density being a
permeability. Signs: positive into the cell (Brian2's ``Im``), as NEURON's ``-i``.
"""

from __future__ import annotations

import ast
import copy
import math
import operator
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from brian2 import Quantity, cm, mM, mV, second, siemens, volt

from ..units import quantity
from .ions import DEFAULT_IONS, FARADAY, GAS_CONSTANT, VALENCE, ZERO_CELSIUS, ion_key

__all__ = ["Gate", "Channel", "HHSodium", "HHPotassium", "exprel", "RATE_FUNCTIONS",
           "CONCENTRATIONS", "RESTING_CONCENTRATIONS", "ION_CONCENTRATIONS", "CURRENTS",
           "rate_expression", "evaluate_rate", "expression_concentrations", "brian2_expression"]


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
#: Concentrations (mM, plain floats) an expression may read besides ``V``: intracellular and
#: extracellular Ca2+.
CONCENTRATIONS = ("cai", "cao")
#: Their values (mM) where no concentration dynamics set them: the defaults of
#: :class:`~cablemodel.mechanisms.ions.Ions` (1e-4 mM inside, 2 mM outside).
RESTING_CONCENTRATIONS = {"cai": float(DEFAULT_IONS.ca_in / mM),
                          "cao": float(DEFAULT_IONS.ca_out / mM)}
#: Ions whose concentrations are variables: ion -> (inside, outside) names in CONCENTRATIONS.
ION_CONCENTRATIONS = {"ca": ("cai", "cao")}
#: Current laws of a channel.
CURRENTS = ("ohmic", "ghk")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
#: Longest rate text accepted (characters): keeps the expression tree shallow.
MAX_RATE_LENGTH = 500
_ALLOWED = ("numbers, V (mV), " + ", ".join(f"{c} (mM)" for c in CONCENTRATIONS)
            + ", + - * / **, one comparison < <= > >= at a time, and the functions "
            + ", ".join(RATE_FUNCTIONS))
#: Step (volt) of the central difference giving a GHK current's slope in the Brian2 code.
_GHK_DV = 1e-6


@lru_cache(maxsize=1024)
def rate_expression(text: str) -> ast.Expression:
    """The checked syntax tree of rate expression ``text`` (a function of ``V`` in mV and of the
    concentrations :data:`CONCENTRATIONS` in mM). Anything but numbers, these names,
    ``+ - * / **``, unary ``-``/``+``, parentheses, single comparisons ``< <= > >=`` and
    one-argument calls of :data:`RATE_FUNCTIONS` is a ``ValueError`` naming the expression and
    what is not allowed.

    Example
    -------
    >>> type(rate_expression("0.1/exprel(-(V + 55)/10)")).__name__
    'Expression'
    >>> type(rate_expression("(V < -60)*0.1 + (V >= -60)*cai/(cai + 0.00043)")).__name__
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
    if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINARY or type(
            node) in _UNARY or type(node) in _COMPARE:
        return None
    if isinstance(node, ast.BinOp):
        return None if type(node.op) in _BINARY else f"the operator in {ast.unparse(node)!r}"
    if isinstance(node, ast.UnaryOp):
        return None if type(node.op) in _UNARY else f"the operator in {ast.unparse(node)!r}"
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            return f"the chained comparison {ast.unparse(node)!r} (write (a < b)*(b < c))"
        return None if type(node.ops[0]) in _COMPARE else f"the comparison in {ast.unparse(node)!r}"
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"the constant {value!r}"
        return None if math.isfinite(value) else f"the constant {value!r}"
    if isinstance(node, ast.Name):  # function names are checked with their call
        return None if called or node.id == "V" or node.id in CONCENTRATIONS else (
            f"the name {node.id!r}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            return f"calling {ast.unparse(node.func)!r}"
        if node.func.id not in RATE_FUNCTIONS:
            return f"the function {node.func.id!r}"
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            return f"{ast.unparse(node)!r} (the functions take one argument)"
        return None
    kind = {ast.Attribute: "attribute access", ast.Subscript: "indexing",
            ast.BoolOp: "a logical operator"}.get(type(node), "this construct")
    return f"{ast.unparse(node)!r} ({kind})"


@lru_cache(maxsize=1024)
def expression_concentrations(text: str) -> tuple[str, ...]:
    """The concentrations (names in :data:`CONCENTRATIONS`, in that order) that rate expression
    ``text`` reads.

    Example
    -------
    >>> expression_concentrations("cai/(cai + 0.00043)"), expression_concentrations("V + 1")
    (('cai',), ())
    """
    names = {n.id for n in ast.walk(rate_expression(text)) if isinstance(n, ast.Name)}
    return tuple(c for c in CONCENTRATIONS if c in names)


def evaluate_rate(text: str, v_mV, conc: dict | None = None) -> np.ndarray:
    """Expression ``text`` (checked by :func:`rate_expression`) at membrane potentials ``v_mV``
    (plain floats, mV) and concentrations ``conc`` (name -> plain floats in mM, broadcast with
    ``v_mV``; a concentration not given takes its value in :data:`RESTING_CONCENTRATIONS`),
    computed with numpy (an array of the broadcast shape).

    Example
    -------
    >>> evaluate_rate("4*exp(-(V + 65)/18)", [-65.0, -47.0]).round(4).tolist()
    [4.0, 1.4715]
    >>> evaluate_rate("(V < -60)*1 + (V >= -60)*2", [-70.0, -60.0]).tolist()
    [1.0, 2.0]
    >>> evaluate_rate("cai/(cai + 0.001)", -65.0, {"cai": [0.001, 0.003]}).tolist()
    [0.5, 0.75]
    """
    env = {"V": np.asarray(v_mV, dtype=float)}
    for name in expression_concentrations(text):
        given = (conc or {}).get(name)
        env[name] = np.asarray(RESTING_CONCENTRATIONS[name] if given is None else given, float)
    shape = np.broadcast_shapes(*(a.shape for a in env.values()))
    return np.broadcast_to(np.asarray(_evaluate(rate_expression(text).body, env), dtype=float),
                           shape).copy()


def _evaluate(node: ast.AST, env: dict):
    if isinstance(node, ast.Constant):
        return np.float64(node.value)  # floats: 9**9**9 overflows to inf instead of hanging
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, env))
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, env), _evaluate(node.right, env))
    if isinstance(node, ast.Compare):
        return np.asarray(_COMPARE[type(node.ops[0])](_evaluate(node.left, env),
                                                      _evaluate(node.comparators[0], env)), float)
    return RATE_FUNCTIONS[node.func.id](_evaluate(node.args[0], env))  # a checked ast.Call


class _IntComparisons(ast.NodeTransformer):
    """Each comparison as ``(int(...)*1.0)``: Brian2's boolean -> 1/0, as a float (numpy
    refuses integers to negative powers)."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        call = ast.Call(func=ast.Name(id="int", ctx=ast.Load()), args=[node], keywords=[])
        return ast.BinOp(left=call, op=ast.Mult(), right=ast.Constant(1.0))


def brian2_expression(text: str) -> str:
    """Expression ``text`` as dimensionless Brian2 text, where ``v`` is in volt and the
    concentrations in mmolar (comparisons become ``int(...)*1.0``).

    Example
    -------
    >>> brian2_expression("0.1*exp(-(V + 65)/20)")
    '0.1*exp(-((v/mV) + 65)/20)'
    >>> brian2_expression("(V < -60)*cai")
    'int((v/mV) < -60) * 1.0 * (cai/mM)'
    """
    tree = rate_expression(text)
    if any(isinstance(n, ast.Compare) for n in ast.walk(tree)):
        text = ast.unparse(_IntComparisons().visit(copy.deepcopy(tree)))
    text = re.sub(r"\bV\b", "(v/mV)", text)
    return re.sub(r"\b(" + "|".join(CONCENTRATIONS) + r")\b", r"(\1/mM)", text)


@dataclass(frozen=True)
class Gate:
    """A gating particle, with exactly one pair of kinetic expressions (strings, see
    :func:`rate_expression`; functions of ``V`` in mV and the concentrations in mM):

    * ``alpha``, ``beta``: rates (1/ms), ``d{name}/dt = alpha*(1 - {name}) - beta*{name}``;
    * ``inf``, ``tau`` (keywords): steady state (dimensionless) and time constant (ms),
      ``d{name}/dt = (inf - {name})/tau``.

    Both before temperature correction: the channel's ``phi`` multiplies rates and divides
    ``tau``. ``power`` is the exponent in the conductance (3 for HH's ``m``).

    Example
    -------
    >>> g = Gate("x", 1, "0.2", "0.6")  # constant rates: 0.2/ms opening, 0.6/ms closing
    >>> float(g.steady_state(-65.0))
    0.25
    >>> z = Gate("z", 1, inf="cai/(cai + 0.00043)", tau="1")  # an SK-type calcium gate
    >>> z.concentrations, float(z.steady_state(-65.0, conc={"cai": 0.00043}))
    (('cai',), 0.5)
    """

    name: str
    power: int
    alpha: str | None = None
    beta: str | None = None
    inf: str | None = field(default=None, kw_only=True)
    tau: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"gate name must be an identifier, got {self.name!r}")
        if isinstance(self.power, bool) or not isinstance(self.power, int) or self.power < 1:
            raise ValueError(f"gate {self.name!r}: power must be an integer >= 1, got {self.power!r}")
        rates = (self.alpha, self.beta)
        form = (self.inf, self.tau)
        if not ((None not in rates and form == (None, None))
                or (None not in form and rates == (None, None))):
            raise ValueError(f"gate {self.name!r}: give exactly one pair of expressions, alpha and"
                             " beta (rates in 1/ms) or inf (dimensionless) and tau (ms); got"
                             f" alpha={self.alpha!r}, beta={self.beta!r}, inf={self.inf!r},"
                             f" tau={self.tau!r}")
        for what, text in self.expressions.items():
            try:
                rate_expression(text)
            except (TypeError, ValueError) as err:
                raise type(err)(f"gate {self.name!r} {what}: {err}") from None

    @property
    def uses_rates(self) -> bool:
        """Whether the kinetics are given as ``alpha``/``beta`` (else ``inf``/``tau``).

        Example
        -------
        >>> Gate("x", 1, "0.2", "0.6").uses_rates, Gate("x", 1, inf="0.5", tau="2").uses_rates
        (True, False)
        """
        return self.alpha is not None

    @property
    def expressions(self) -> dict[str, str]:
        """The gate's pair of expressions by name (``alpha``/``beta`` or ``inf``/``tau``).

        Example
        -------
        >>> Gate("x", 1, inf="0.5", tau="2").expressions
        {'inf': '0.5', 'tau': '2'}
        """
        if self.uses_rates:
            return {"alpha": self.alpha, "beta": self.beta}
        return {"inf": self.inf, "tau": self.tau}

    @property
    def concentrations(self) -> tuple[str, ...]:
        """Names of the concentrations (:data:`CONCENTRATIONS`) the kinetics read.

        Example
        -------
        >>> HHSodium().gates[0].concentrations
        ()
        """
        used = {c for text in self.expressions.values() for c in expression_concentrations(text)}
        return tuple(c for c in CONCENTRATIONS if c in used)

    def rates(self, v_mV, phi: float = 1.0, conc: dict | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """``(alpha, beta)`` in 1/ms at membrane potentials ``v_mV`` (plain floats, mV) and
        concentrations ``conc`` (name -> mM), multiplied by the temperature factor ``phi``;
        for an ``inf``/``tau`` gate ``alpha = inf/tau``, ``beta = (1 - inf)/tau``.

        Example
        -------
        >>> n = HHPotassium().gates[0]
        >>> [round(float(r), 4) for r in n.rates(-55.0)]  # 1/ms
        [0.1, 0.1103]
        >>> [round(float(r), 4) for r in n.rates(-55.0, phi=3.0)]
        [0.3, 0.3309]
        >>> [float(r) for r in Gate("x", 1, inf="0.25", tau="2").rates(-65.0, phi=2.0)]
        [0.25, 0.75]
        """
        if self.uses_rates:
            return (phi * evaluate_rate(self.alpha, v_mV, conc),
                    phi * evaluate_rate(self.beta, v_mV, conc))
        inf = evaluate_rate(self.inf, v_mV, conc)
        tau = self.time_constant(v_mV, phi, conc)
        return inf / tau, (1.0 - inf) / tau

    def steady_state(self, v_mV, phi: float = 1.0, conc: dict | None = None) -> np.ndarray:
        """Steady-state open fraction (``alpha / (alpha + beta)``, or ``inf``) at ``v_mV`` (mV)
        and ``conc`` (mM); dimensionless, 0..1.

        Example
        -------
        >>> n = HHPotassium().gates[0]
        >>> n.steady_state([-65.0, 0.0]).round(4).tolist()
        [0.3177, 0.9087]
        """
        if not self.uses_rates:
            return evaluate_rate(self.inf, v_mV, conc)
        a, b = self.rates(v_mV, phi, conc)
        return a / (a + b)

    def time_constant(self, v_mV, phi: float = 1.0, conc: dict | None = None) -> np.ndarray:
        """Time constant (ms) at ``v_mV`` (mV) and ``conc`` (mM): ``1 / (alpha + beta)`` or
        ``tau / phi``.

        Example
        -------
        >>> round(float(HHPotassium().gates[0].time_constant(-65.0)), 3)
        5.459
        >>> float(Gate("x", 1, inf="0.5", tau="6").time_constant(-65.0, phi=3.0))
        2.0
        """
        if not self.uses_rates:
            return evaluate_rate(self.tau, v_mV, conc) / phi
        a, b = self.rates(v_mV, phi, conc)
        return 1.0 / (a + b)


def _rt_over_zf(ion: str, celsius: float) -> float:
    """RT/(zF) of ``ion`` in volt at ``celsius``."""
    return GAS_CONSTANT * (celsius + ZERO_CELSIUS) / (VALENCE[ion] * FARADAY)


@dataclass(frozen=True, init=False)
class Channel:
    """An ion channel: gates and a current, ``g * prod(gate**power) * (E - v)`` (ohmic) or the
    GHK current equation of its ion (``current="ghk"``).

    Parameters
    ----------
    name : str
        Short identifier used in variable names: density ``g_{name}``, gates ``{gate}_{name}``.
    reversal : Quantity or "nernst"
        Reversal potential (volt), or ``"nernst"``: the Nernst potential of ``ion`` from its
        inside and outside concentrations (for Ca2+ ``cai``, which calcium dynamics may change;
        other ions: :class:`~cablemodel.mechanisms.ions.Ions` defaults) at the cell's
        temperature. Ignored by a GHK current (give any of these).
    gates : tuple of Gate
    q10 : float
        Temperature coefficient of the kinetics.
    reference_celsius : float
        Temperature (deg C) at which the expressions hold.
    ion : str or None
        The ion carrying the current (``"na"``, ``"k"``, ``"ca"``, ``"cl"``; also ``"Ca2+"``...),
        or ``None`` for a nonspecific current (e.g. Ih). A Ca2+ channel feeds ``i_ca`` to
        calcium dynamics.
    current : str
        ``"ohmic"`` (density in S/cm^2) or ``"ghk"`` (density a permeability in cm/s; needs an
        ``ion``). Stored as :attr:`current_kind` (:meth:`current` is the Brian2 text).

    Example
    -------
    >>> from brian2 import mV
    >>> na = HHSodium()
    >>> round(float(na.open_probability(-65.0)), 6)
    8.8e-05
    >>> cal = Channel("cal", "nernst", (Gate("m", 2, inf="1/(1 + exp(-(V + 10)/6))", tau="1"),),
    ...               ion="ca", current="ghk")
    >>> cal.current_kind, cal.concentrations
    ('ghk', ('cai', 'cao'))
    """

    name: str
    reversal: Quantity | str
    gates: tuple[Gate, ...]
    q10: float
    reference_celsius: float
    ion: str | None
    current_kind: str

    def __init__(self, name: str, reversal: Quantity | str, gates, q10: float = 3.0,
                 reference_celsius: float = 6.3, *, ion: str | None = None,
                 current: str = "ohmic") -> None:
        for key, value in (("name", name), ("reversal", reversal), ("gates", gates), ("q10", q10),
                           ("reference_celsius", reference_celsius), ("ion", ion),
                           ("current_kind", current)):
            object.__setattr__(self, key, value)
        self._check()

    def _check(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"channel name must be an identifier, got {self.name!r}")
        where = f"channel {self.name!r}"
        if self.ion is not None:
            object.__setattr__(self, "ion", ion_key(self.ion))
        if self.current_kind not in CURRENTS:
            raise ValueError(f"{where}: current must be one of {list(CURRENTS)}, got"
                             f" {self.current_kind!r}")
        if self.current_kind == "ghk" and self.ion is None:
            raise ValueError(f"{where}: a GHK current needs the ion it carries (ion='ca', ...)")
        if isinstance(self.reversal, str):
            if self.reversal != "nernst":
                raise ValueError(f"{where}: reversal must be a potential (e.g. -77*mV) or"
                                 f" 'nernst', got {self.reversal!r}")
            if self.ion is None:
                raise ValueError(f"{where}: reversal='nernst' needs the ion (ion='ca', 'k', ...)")
        else:
            quantity(self.reversal, mV, f"{where}: reversal", scalar=True)
        gates = tuple(self.gates)
        if not gates or not all(isinstance(g, Gate) for g in gates):
            raise ValueError(f"{where}: gates must be one or more Gate objects, got {self.gates!r}")
        if len({g.name for g in gates}) != len(gates):
            raise ValueError(f"{where}: two gates share a name")
        object.__setattr__(self, "gates", gates)
        for what in ("q10", "reference_celsius"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and (what != "q10" or value > 0)):
                raise ValueError(f"{where}: {what} must be a finite number"
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

    @property
    def _nernst(self) -> bool:
        """Whether the reversal is the string ``"nernst"``."""
        return isinstance(self.reversal, str)

    @property
    def density_unit(self) -> Quantity:
        """Unit of the painted density: S/cm^2 (ohmic) or cm/s (a GHK permeability).

        Example
        -------
        >>> HHSodium().density_unit
        siemens / (cmetre ** 2)
        """
        return cm / second if self.current_kind == "ghk" else siemens / cm**2

    @property
    def concentrations(self) -> tuple[str, ...]:
        """Concentrations (:data:`CONCENTRATIONS`) the channel reads: its gates', and its ion's
        where the current or a Nernst reversal depends on them.

        Example
        -------
        >>> HHSodium().concentrations
        ()
        """
        used = {c for g in self.gates for c in g.concentrations}
        if self.ion in ION_CONCENTRATIONS and (self.current_kind == "ghk"
                                               or self._nernst):
            used |= set(ION_CONCENTRATIONS[self.ion])
        return tuple(c for c in CONCENTRATIONS if c in used)

    def _ion_concentrations(self, conc: dict | None) -> tuple:
        """(inside, outside) concentration of the ion (mM, floats or arrays)."""
        if self.ion in ION_CONCENTRATIONS:
            return tuple(np.asarray((conc or {}).get(n, RESTING_CONCENTRATIONS[n]), float)
                         for n in ION_CONCENTRATIONS[self.ion])
        return (float(DEFAULT_IONS.inside(self.ion) / mM),
                float(DEFAULT_IONS.outside(self.ion) / mM))

    def reversal_potential(self, celsius: float, conc: dict | None = None) -> np.ndarray:
        """Reversal potential (mV, plain floats): the fixed one, or the ion's Nernst potential at
        ``celsius`` (deg C) and ``conc`` (mM; for a ``"nernst"`` or GHK channel).

        Example
        -------
        >>> float(HHPotassium().reversal_potential(6.3))
        -77.0
        >>> cal = Channel("cal", "nernst", (Gate("m", 1, "1", "1"),), ion="ca")
        >>> round(float(cal.reversal_potential(37.0)), 1)  # 100 nM inside, 2 mM outside
        132.3
        """
        if not isinstance(self.reversal, str) and self.current_kind == "ohmic":
            return np.asarray(float(self.reversal / mV))
        ci, co = self._ion_concentrations(conc)
        return 1e3 * _rt_over_zf(self.ion, celsius) * np.log(co / ci)

    def open_probability(self, v_mV, celsius: float = 6.3, states: dict | None = None,
                         conc: dict | None = None):
        """Open probability ``prod(gate**power)`` (dimensionless) at ``v_mV`` (mV), ``celsius``
        (deg C) and ``conc`` (mM); the gates' steady state unless ``states`` (name -> value)
        gives them.

        Example
        -------
        >>> k = HHPotassium()
        >>> round(float(k.open_probability(-65.0)), 4), float(k.open_probability(-65.0, states={"n_k": 0.5}))
        (0.0102, 0.0625)
        """
        p = 1.0
        for g, s in zip(self.gates, self.state_names(), strict=True):
            x = states[s] if states is not None else g.steady_state(v_mV, self.phi(celsius), conc)
            p = p * np.asarray(x) ** g.power
        return p

    def current_density(self, v_mV, celsius: float, states: dict | None = None,
                        conc: dict | None = None, density=1.0) -> np.ndarray:
        """Current density (A/m^2, plain floats; positive into the cell, as :meth:`current`) at
        ``v_mV`` (mV), ``celsius`` (deg C), gate values ``states`` (default: steady state) and
        concentrations ``conc`` (mM), for ``density`` in SI units (S/m^2, or m/s for a GHK
        permeability; default 1).

        Example
        -------
        >>> k = HHPotassium()
        >>> round(float(k.current_density(-65.0, 6.3, states={"n_k": 1.0}, density=10.0)), 12)
        -0.12
        """
        p = self.open_probability(v_mV, celsius, states, conc)
        v = np.asarray(v_mV, dtype=float) * 1e-3
        if self.current_kind == "ohmic":
            return density * p * (self.reversal_potential(celsius, conc) * 1e-3 - v)
        ci, co = self._ion_concentrations(conc)
        z = VALENCE[self.ion]
        u = v / _rt_over_zf(self.ion, celsius)
        return density * p * z * FARADAY * (co * np.exp(-u) - ci) / exprel(-u)

    # -- Brian2 text --------------------------------------------------------------------------
    def conductance(self) -> str:
        """Open density ``g * prod(gate**power)`` (siemens/meter**2, or meter/second for a GHK
        permeability), as Brian2 text.

        Example
        -------
        >>> HHSodium().conductance()
        'g_na*m_na**3*h_na'
        """
        gating = "*".join(f"{s}**{g.power}" if g.power != 1 else s
                          for g, s in zip(self.gates, self.state_names(), strict=True))
        return f"g_{self.name}*{gating}"

    def _ghk_text(self, v: str) -> str:
        """GHK current per unit open permeability (coulomb/meter**3, positive inward) at the
        Brian2 potential ``v``."""
        z = VALENCE[self.ion]
        ci, co = (ION_CONCENTRATIONS[self.ion] if self.ion in ION_CONCENTRATIONS
                  else (f"ci_{self.name}", f"co_{self.name}"))
        u = f"zfrt_{self.name}*{v}"
        return (f"{z * FARADAY!r}*coulomb/mole*({co}*exp(-{u}) - {ci})/exprel(-{u})")

    def current(self) -> str:
        """Current density term for ``Im`` (amp/meter**2, positive inward), as Brian2 text.

        Example
        -------
        >>> HHPotassium().current()
        'g_k*n_k**4*(E_k - v)'
        """
        if self.current_kind == "ghk":
            return f"{self.conductance()}*{self._ghk_text('v')}"
        return f"{self.conductance()}*(E_{self.name} - v)"

    def membrane_terms(self) -> tuple[str, str]:
        """``(G, I)``: Brian2 texts with this channel's ``Im`` term ``I - G*v`` at the start of a
        step (ohmic: exact; GHK: linearized at that step's ``v`` by :meth:`drive_update`).

        Example
        -------
        >>> HHPotassium().membrane_terms()
        ('g_k*n_k**4', 'g_k*n_k**4*E_k')
        """
        g = self.conductance()
        if self.current_kind == "ghk":
            return f"{g}*ghkg_{self.name}", f"{g}*ghki_{self.name}"
        return g, f"{g}*E_{self.name}"

    def equations(self, integrate_gates: bool) -> str:
        """Brian2 equation lines: density, reversal, kinetics and gates.

        With ``integrate_gates=False`` the gates are parameters updated by :meth:`gate_update`
        only where the channel is present (the fast formulation); with ``True`` every compartment
        integrates them (the reference formulation). Rates are in Hz, ``v`` in volt, the
        concentrations ``cai``, ``cao`` in mmolar (variables of the neuron). A GHK channel's
        linearization ``ghkg``, ``ghki`` is set by :meth:`drive_update` in both.

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
        n = self.name
        phi = f"phi_{n}"
        if self.current_kind == "ghk":
            lines = [f"g_{n} : meter/second", f"zfrt_{n} : 1/volt (shared)",
                     f"ghkg_{n} : siemens*second/meter**3", f"ghki_{n} : coulomb/meter**3"]
            if self.ion not in ION_CONCENTRATIONS:
                lines += [f"ci_{n} : mmolar (shared)", f"co_{n} : mmolar (shared)"]
        elif self._nernst and self.ion in ION_CONCENTRATIONS:
            inside, outside = ION_CONCENTRATIONS[self.ion]
            lines = [f"g_{n} : siemens/meter**2", f"rtzf_{n} : volt (shared)",
                     f"E_{n} = rtzf_{n}*log({outside}/{inside}) : volt"]
        else:
            lines = [f"g_{n} : siemens/meter**2", f"E_{n} : volt (shared)"]
        lines.append(f"{phi} : 1 (shared)")
        for g, s in zip(self.gates, self.state_names(), strict=True):
            if g.uses_rates:
                lines.append(f"alpha_{s} = {phi}*({brian2_expression(g.alpha)})/ms : Hz")
                lines.append(f"beta_{s} = {phi}*({brian2_expression(g.beta)})/ms : Hz")
                rhs = f"alpha_{s}*(1 - {s}) - beta_{s}*{s}"
            else:
                lines.append(f"inf_{s} = {brian2_expression(g.inf)} : 1")
                lines.append(f"tau_{s} = ({brian2_expression(g.tau)})*ms/{phi} : second")
                rhs = f"(inf_{s} - {s})/tau_{s}"
            lines.append(f"d{s}/dt = {rhs} : 1" if integrate_gates else f"{s} : 1")
        return "\n".join(lines)

    def shared_values(self, celsius: float) -> dict[str, Quantity | float]:
        """Values of the channel's shared Brian2 parameters at ``celsius`` (deg C): ``phi``, the
        reversal ``E`` (fixed, or a Nernst potential of constant concentrations) or ``RT/zF``,
        and a GHK current's ``zF/RT`` (and constant concentrations).

        Example
        -------
        >>> HHPotassium().shared_values(6.3)
        {'phi_k': 1.0, 'E_k': -77. * mvolt}
        """
        n = self.name
        out: dict[str, Quantity | float] = {f"phi_{n}": self.phi(celsius)}
        if self.current_kind == "ghk":
            out[f"zfrt_{n}"] = 1.0 / _rt_over_zf(self.ion, celsius) / volt
            if self.ion not in ION_CONCENTRATIONS:
                ci, co = self._ion_concentrations(None)
                out[f"ci_{n}"], out[f"co_{n}"] = ci * mM, co * mM
        elif self._nernst and self.ion in ION_CONCENTRATIONS:
            out[f"rtzf_{n}"] = _rt_over_zf(self.ion, celsius) * volt
        elif self._nernst:
            out[f"E_{n}"] = float(self.reversal_potential(celsius)) * mV
        else:
            out[f"E_{n}"] = self.reversal
        return out

    def gate_update(self) -> str:
        """Exponential-Euler update of the gates for one time step ``dt`` (exact for fixed ``v``
        and concentrations), as Brian2 statements.

        Example
        -------
        >>> print(HHPotassium().gate_update())  # doctest: +NORMALIZE_WHITESPACE
        n_k = (alpha_n_k/(alpha_n_k + beta_n_k)) +
              (n_k - (alpha_n_k/(alpha_n_k + beta_n_k)))*exp(-dt*(alpha_n_k + beta_n_k))
        """
        out = []
        for g, s in zip(self.gates, self.state_names(), strict=True):
            if g.uses_rates:
                a, b = f"alpha_{s}", f"beta_{s}"
                inf = f"({a}/({a} + {b}))"
                out.append(f"{s} = {inf} + ({s} - {inf})*exp(-dt*({a} + {b}))")
            else:
                out.append(f"{s} = inf_{s} + ({s} - inf_{s})*exp(-dt/tau_{s})")
        return "\n".join(out)

    def drive_update(self) -> str:
        """Brian2 statements linearizing a GHK current at the present ``v`` (empty for an ohmic
        channel): ``ghkg`` = minus its slope (central difference, 1 uV), ``ghki`` such that
        ``ghki - ghkg*v`` is the current, both per unit open permeability.

        Example
        -------
        >>> HHPotassium().drive_update()
        ''
        """
        if self.current_kind != "ghk":
            return ""
        n, d = self.name, _GHK_DV
        up, down = self._ghk_text(f"(v + {d!r}*volt)"), self._ghk_text(f"(v - {d!r}*volt)")
        return "\n".join([f"ghkg_{n} = -({up} - {down})/({2 * d!r}*volt)",
                          f"ghki_{n} = {self._ghk_text('v')} + ghkg_{n}*v"])

    def initial_values(self, v_rest: Quantity, celsius: float, conc: dict | None = None
                       ) -> dict[str, float | np.ndarray]:
        """Steady-state gate values (dimensionless) at ``v_rest`` (volt), ``celsius`` (deg C) and
        ``conc`` (mM): floats, or arrays where ``conc`` gives arrays. A value outside [0, 1] or a
        non-positive time constant is a ``ValueError`` naming the gate.

        Example
        -------
        >>> from brian2 import mV
        >>> {k: round(x, 4) for k, x in HHSodium().initial_values(-65 * mV, 6.3).items()}
        {'m_na': 0.0529, 'h_na': 0.5961}
        """
        v = float(v_rest / mV)
        phi = self.phi(celsius)
        out = {}
        for g, s in zip(self.gates, self.state_names(), strict=True):
            x = g.steady_state(v, phi, conc)
            tau = g.time_constant(v, phi, conc)
            if not (np.all(np.isfinite(x)) and np.all((x >= 0.0) & (x <= 1.0))
                    and np.all(np.isfinite(tau)) and np.all(tau > 0)):
                raise ValueError(f"channel {self.name!r}: gate {s} at v_rest = {v:g} mV has steady"
                                 f" state {x} and time constant {tau} ms, not a fraction in"
                                 " [0, 1] with a time constant > 0; check its expressions"
                                 " (alpha, beta finite and >= 0, or 0 <= inf <= 1 and tau > 0)")
            out[s] = float(x) if np.ndim(x) == 0 else x
        return out


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
