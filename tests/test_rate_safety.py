"""Rate expressions are parsed, never given to eval (issue 8, item 8)."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import mV

from cablemodel import Channel, Gate, HHPotassium, HHSodium
from cablemodel.mechanisms.channels import MAX_RATE_LENGTH, evaluate_rate, exprel, rate_expression


@pytest.mark.parametrize("text, what", [
    ("().__class__.__bases__[0].__subclasses__()", "calling"),
    ("__import__('os').system('touch {marker}')", "calling"),
    ("open('{marker}', 'w')", "the function 'open'"),
    ("exp.__globals__", "attribute access"),
    ("(lambda: 1)()", "calling"),
    ("[V for V in (1, 2)]", "this construct"),
    ("V if V else 1", "this construct"),
    ("0 < V < 1", "the chained comparison"),
    ("(V == 1)*2", "the comparison in"),
    ("V and 1", "a logical operator"),
    ("V % 3", "the operator in 'V % 3'"),
    ("x + 1", "the name 'x'"),
    ("inf", "the name 'inf'"),
    ("1e400", "the constant inf"),
    ("'text'", "the constant 'text'"),
    ("True", "the constant True"),
    ("1j", "the constant 1j"),
    ("exp(V, 2)", "the functions take one argument"),
    ("exp(x=V)", "the functions take one argument"),
    ("V(3)", "the function 'V'"),
    ("exp(*[V])", "the functions take one argument"),
    ("exp(V", "not a valid expression"),
])
def test_anything_but_arithmetic_is_refused_naming_it(text, what, tmp_path):
    marker = tmp_path / "escaped"
    text = text.format(marker=marker)
    with pytest.raises(ValueError) as err:
        Gate("x", 1, text, "1")
    message = str(err.value)
    assert message.startswith(f"gate 'x' alpha: rate expression {text!r}") and what in message
    assert "exprel" in message  # says what is allowed
    assert not marker.exists()


def test_length_limit_and_non_strings():
    with pytest.raises(ValueError, match=f"longer than {MAX_RATE_LENGTH} characters"):
        rate_expression("1+" * MAX_RATE_LENGTH + "1")
    with pytest.raises(TypeError, match="gate 'x' beta: a rate expression must be a string"):
        Gate("x", 1, "1", 0.5)
    assert float(evaluate_rate("-" * 200 + "V", -3.0)) == -3.0  # as deep as the limit allows
    assert float(evaluate_rate("9**9**9", 0.0)) == np.inf  # floats: overflow, never a hang


def test_hodgkin_huxley_rates_as_the_formulas():
    v = np.linspace(-100, 50, 301)
    m, h = HHSodium().gates
    (n,) = HHPotassium().gates
    np.testing.assert_allclose(m.rates(v)[0], 1 / exprel(-(v + 40) / 10), rtol=1e-15)
    np.testing.assert_allclose(m.rates(v)[1], 4 * np.exp(-(v + 65) / 18), rtol=1e-15)
    np.testing.assert_allclose(h.rates(v)[0], 0.07 * np.exp(-(v + 65) / 20), rtol=1e-15)
    np.testing.assert_allclose(h.rates(v)[1], 1 / (np.exp(-(v + 35) / 10) + 1), rtol=1e-15)
    np.testing.assert_allclose(n.rates(v, phi=3.0)[1], 3 * 0.125 * np.exp(-(v + 65) / 80),
                               rtol=1e-15)
    assert evaluate_rate("0.2", v).shape == v.shape  # a constant rate broadcasts


def test_all_allowed_functions_evaluate_and_reach_brian2():
    text = "exp(V/100) + expm1(V/100) + exprel(V/100) + log(2 + V/100) + log10(2) + log1p(1)" \
           " + sqrt(4) + abs(V/100) + sinh(0.1) + cosh(0.1) + tanh(0.1)"
    ch = Channel("t", 0 * mV, (Gate("x", 1, text, "1"),))
    assert np.isfinite(evaluate_rate(text, [-65.0, 0.0])).all()
    assert "(v/mV)" in ch.equations(integrate_gates=False)
