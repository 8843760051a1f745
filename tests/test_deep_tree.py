"""Deeply nested trees: Brian2 walks a morphology recursively, cablemodel's nodes do not."""

from __future__ import annotations

import copy
import sys

import numpy as np
import pytest
from brian2 import Cylinder, ms, mV, nS, um
from brian2 import Section as PlainSection
from brian2 import Soma as PlainSoma

from cablemodel import AMPA, Cell, Synapse, simulate, spike_times
from cablemodel.morphology.brian2_tree import MAX_NESTING, Section, Soma, nesting_headroom
from cablemodel.morphology.model import Morphology
from cablemodel.morphology.model import Section as CMSection


def _chain(depth: int, step: float = 1.0) -> Morphology:
    """A soma and ``depth`` sections of ``step`` um, each the child of the previous one."""
    secs = [CMSection("soma", "soma", None, np.array([[0, 0, 0, 10.0]]))]
    for k in range(depth):
        x0 = 5 + k * step
        secs.append(CMSection(f"d{k}", "basal", "soma" if k == 0 else f"d{k - 1}",
                              np.array([[x0, 0, 0, 1.0], [x0 + step, 0, 0, 1.0]]), 1))
    return Morphology(tuple(secs))


def test_thousand_deep_tree_simulates_as_the_same_unbranched_cable():
    depth = 1000
    deep = _chain(depth)
    cable = Morphology((deep.sections[0], CMSection("d", "basal", "soma", np.array(
        [[5, 0, 0, 1.0], [5 + depth, 0, 0, 1.0]]), depth)))
    assert deep.nesting_depth == depth and deep.n_compartments == cable.n_compartments
    limit = sys.getrecursionlimit()
    runs = [simulate(Cell(m, spike_site="soma"), [Synapse(AMPA, site, 1 * nS,
                                                          spike_times([0.05] * ms))],
                     duration=0.25 * ms, engine="numpy", record="all")
            for m, site in ((deep, "d499(0.5)"), (cable, "d(0.4995)"))]
    assert sys.getrecursionlimit() == limit
    assert runs[0].v_mV.shape == runs[1].v_mV.shape == (depth + 1, 10)
    assert runs[0].peak("d499(0.5)") > 1 * mV  # the EPSP is there
    np.testing.assert_allclose(runs[0].v_mV, runs[1].v_mV, rtol=0, atol=1e-9)


def _linked(depth: int):
    root = Soma(10 * um)
    node = root
    for _ in range(depth):
        child = Section(n=2, diameter=[1, 1, 1] * um, length=[1, 2] * um)
        node.children.add("next", child)
        node = child
    return root, node


def test_totals_distances_and_deep_copy_without_recursion():
    depth = 3 * sys.getrecursionlimit()
    root, tip = _linked(depth)
    assert root.total_compartments == 1 + 2 * depth and root.total_sections == 1 + depth
    assert float(tip.end_distance / um) == pytest.approx(3 * depth)
    np.testing.assert_allclose(tip.distance / um, [3 * depth - 2.5, 3 * depth - 1])
    clone = copy.deepcopy(tip)  # the whole tree, as Brian2's deep copy would
    top = clone
    while top.parent is not None:
        top = top.parent
    assert top is not root and top.total_compartments == root.total_compartments
    assert float(clone.end_distance / um) == pytest.approx(3 * depth)


def _pair(soma, section):
    root = soma(10 * um)
    a = section(n=1, diameter=[1, 1] * um, length=[20] * um)
    b = section(n=2, diameter=[1, 1, 1] * um, length=[5, 5] * um)
    root.children.add("a", a)
    a.children.add("b", b)
    return root, a, b


def test_distances_follow_changes_to_the_tree_as_in_brian2():
    ours, plain = _pair(Soma, Section), _pair(PlainSoma, PlainSection)
    for root, a, b in (ours, plain):
        assert float(b.end_distance / um) == 30
        extra = Cylinder(n=1, diameter=1 * um, length=100 * um)
        root.children.remove("a")
        extra.children.add("a", a)  # now under a plain Brian2 cylinder
        root.children.add("c", extra)
    for x, y in zip(ours[1:], plain[1:], strict=True):
        np.testing.assert_allclose(x.distance / um, y.distance / um)
        assert float(x.end_distance / um) == pytest.approx(float(y.end_distance / um))
    assert float(ours[2].end_distance / um) == pytest.approx(130)
    clone = copy.deepcopy(ours[0])
    assert clone.total_compartments == ours[0].total_compartments == 5
    assert float(clone["c"]["a"]["b"].end_distance / um) == pytest.approx(130)


def test_too_deep_is_refused_with_advice():
    with pytest.raises(ValueError, match=f"at most {MAX_NESTING}.*merge chains"):
        with nesting_headroom(MAX_NESTING + 1):
            pass
