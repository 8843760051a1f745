"""Course labs: the self-check logic (units, tolerance, hints, strict mode, summary), the inert
slider, and the student/instructor notebook generator (solution blocks, up-to-date notebooks).
The notebooks themselves run under nbmake (`make test`)."""

from __future__ import annotations

import json

import pytest
from brian2 import ms, mV, um, volt

from cablemodel.labs import STRICT_ENV, Lab, LabCheckError, check, slider
from cablemodel.labs.build import LABS_DIR, LabSourceError, build, notebook, parse_source, render


def test_numbers_compare_in_the_stated_unit(capsys):
    assert check("v", 0.0104 * volt, 10 * mV, unit=mV, rtol=0.05, strict=False).passed
    assert check("v", 10.4, 10 * mV, unit=mV, rtol=0.05, strict=False).passed  # plain: in mV
    r = check("v", 10.6, 10 * mV, unit=mV, rtol=0.05, strict=False)
    assert r.status == "wrong" and r.answer == pytest.approx(10.6) and r.expected == pytest.approx(10)
    assert check("v", 10.6, 10 * mV, unit=mV, rtol=0.0, atol=0.7, strict=False).passed
    out = capsys.readouterr().out
    assert "larger than the model's" in out


def test_wrong_answer_prints_the_hint_not_the_value(capsys):
    r = check("tau", 7 * ms, 12.345 * ms, unit=ms, hint="Cm / g_leak", strict=False)
    out = capsys.readouterr().out
    assert r.status == "wrong" and "Hint: Cm / g_leak" in out and "smaller" in out
    assert "12.3" not in out and "12" not in out.replace("tau", "")


def test_wrong_dimensions_are_a_wrong_answer_with_the_reason(capsys):
    r = check("lambda", 300 * ms, 300 * um, unit=um, strict=False)
    assert r.status == "wrong" and "not in units of" in capsys.readouterr().out
    with pytest.raises(TypeError, match="give unit"):
        check("lambda", 300, 300 * um, strict=False)  # the lab author forgot the unit
    with pytest.raises(ValueError, match="finite"):
        check("x", 1.0, float("nan"), strict=False)


@pytest.mark.parametrize("answer", [None, ...])
def test_unanswered(answer, capsys):
    r = check("q", answer, 3.0, strict=False)
    assert r.status == "unanswered" and "not answered yet" in capsys.readouterr().out


def test_words_and_booleans():
    assert check("w", "  Larger ", "larger", strict=False).passed
    assert not check("w", "smaller", "larger", strict=False).passed
    assert check("b", True, True, strict=False).passed
    assert not check("b", 1, True, strict=False).passed  # a boolean question wants True/False
    assert not check("b", False, True, strict=False).passed


def test_strict_mode_raises_on_wrong_or_unanswered(monkeypatch):
    with pytest.raises(LabCheckError, match="not yet"):
        check("q", 2.0, 3.0, strict=True)
    with pytest.raises(LabCheckError, match="not answered"):
        check("q", None, 3.0, strict=True)
    assert check("q", 3.0, 3.0, strict=True).passed
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(LabCheckError):
        check("q", None, 3.0)
    assert check("q", None, 3.0, strict=False).status == "unanswered"  # the argument wins


def test_lab_summary_lists_each_status(capsys):
    lab = Lab("L", strict=False)
    lab.check("a", 1.0, 1.0)
    lab.check("b", 5.0, 1.0)
    lab.check("c", None, 1.0)
    lab.check("b", 1.0, 1.0)  # answered again: the later result counts
    assert lab.summary() == {"correct": ["a", "b"], "wrong": [], "unanswered": ["c"]}
    assert "2 of 3 checks correct; not answered yet: c" in capsys.readouterr().out
    strict = Lab("S", strict=True)
    strict.results.update(lab.results)  # e.g. answers recorded before strictness was set
    with pytest.raises(LabCheckError, match="not answered yet: c"):
        strict.summary()


def test_slider_is_inert_headless():
    calls = []
    assert slider(calls.append, x=(0.0, 1.0, 0.1)) is None and calls == []
    with pytest.raises(ValueError, match="low, high, step"):
        slider(calls.append, x=(0.0, 1.0))


SOURCE = """# %% [markdown]
# # Title
#
# text
# %%
x = 1
# SOLUTION
answer = x * 2
# STUDENT
# answer = None  # your answer
# END SOLUTION
print(answer)
"""


def test_student_and_instructor_versions_from_one_source():
    cells = parse_source(SOURCE, "s.py")
    assert cells[0] == ("markdown", ["# Title", "", "text"])
    code = cells[1][1]
    assert render(code, "instructor") == ["x = 1", "answer = x * 2", "print(answer)"]
    assert render(code, "student") == ["x = 1", "answer = None  # your answer", "print(answer)"]
    student = json.loads(notebook(SOURCE, "student", "s.py"))
    assert [c["cell_type"] for c in student["cells"]] == ["markdown", "markdown", "code"]
    assert "Student version" in student["cells"][0]["source"][0]
    assert all(c.get("outputs", []) == [] for c in student["cells"])
    assert notebook(SOURCE, "student", "s.py") == notebook(SOURCE, "student", "s.py")


@pytest.mark.parametrize("bad, match", [
    ("# %%\n# SOLUTION\nx = 1\n", "not closed"),
    ("# %%\n# STUDENT\n# x = 1\n# END SOLUTION\n", "outside a block"),
    ("# %%\n# SOLUTION\nx = 1\n# STUDENT\nx = None\n# END SOLUTION\n", "must be commented"),
    ("# %%\n# SOLUTION\nx = 1\n# END SOLUTION\n", "without"),
    ("x = 1\n# %%\n", "before the first cell"),
    ("# %% [raw]\n", "unknown cell marker"),
])
def test_malformed_sources_are_refused(bad, match):
    with pytest.raises(LabSourceError, match=match):
        for kind, lines in parse_source(bad, "bad.py"):
            if kind == "code":
                render(lines, "student", "bad.py")


def test_committed_notebooks_are_up_to_date(tmp_path):
    written = build(LABS_DIR / "source", tmp_path)
    assert len(written) >= 14  # seven labs, two versions each
    for path in written:
        committed = LABS_DIR / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: run `python -m cablemodel.labs.build`")


def test_each_lab_has_goals_questions_and_checks():
    for src in sorted((LABS_DIR / "source").glob("[0-9][0-9]_*.py")):
        text = src.read_text()
        assert "Learning goals" in text, src.name
        assert 2 <= text.count("# SOLUTION") and 2 <= text.count("lab.check("), src.name
        assert "lab.summary()" in text and 'strict=True' in text, src.name


def test_numpy_booleans_and_scalars_are_accepted():
    import numpy as np

    assert check("b", np.bool_(True), True, strict=False).passed
    assert check("b", True, np.bool_(True), strict=False).passed
    assert check("x", np.float32(2.0), 2.0, strict=False).passed
    assert check("x", np.array(2.0), 2.0, strict=False).passed
    assert check("x", True, 1.0, strict=False).status == "wrong"  # True is not the number 1
    assert check("x", 2 * mV, 2.0, strict=False).status == "wrong"  # units where none are wanted


def test_slider_builds_widgets_in_a_frontend(monkeypatch):
    """With a kernel attached (faked), tuples become sliders that update on release."""
    import sys
    import types

    import ipywidgets

    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    seen = {}
    monkeypatch.setattr(ipywidgets, "interact", lambda f, **w: seen.update(w) or "shown")
    assert slider(print, n=(1, 9, 2), x=(0.5, 4.0, 0.25, 1.0), mode=["a", "b"]) == "shown"
    assert isinstance(seen["n"], ipywidgets.IntSlider) and seen["n"].value == 5
    assert isinstance(seen["x"], ipywidgets.FloatSlider) and seen["x"].value == 1.0
    assert not seen["x"].continuous_update and seen["mode"] == ["a", "b"]
    with pytest.raises(ValueError, match="start"):
        slider(print, x=(0.0, 1.0, 0.1, 2.0))
