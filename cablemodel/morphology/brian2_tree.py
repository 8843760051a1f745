"""Brian2 morphology nodes that work at any nesting depth (used by :meth:`Morphology.to_brian2`).

Brian2 2.9 walks a morphology recursively, several Python frames per level of nesting: the
``total_compartments``/``total_sections`` properties, ``distance``/``end_distance`` (each
follows the parent chain, so flattening a tree nested D deep costs O(D^2) unit-checked sums:
130 s for D = 1,000), ``copy.deepcopy`` (about ten frames per level) and ``FlatMorphology`` (one
frame per level). A dendrite carrying 100 nested branches already exceeds Python's recursion
limit.

:class:`Soma` and :class:`Section` are Brian2's classes with the first three done without
recursion and the path distances in O(1) per section when queried parents first (as
``FlatMorphology`` does). They stay right when the tree is changed after building: a node's
cached distance is dropped whenever any node of these classes is attached or detached. The one
frame per level that ``FlatMorphology`` keeps runs within :func:`nesting_headroom`.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from brian2 import Quantity, meter
from brian2.spatialneuron.morphology import Section as _B2Section
from brian2.spatialneuron.morphology import Soma as _B2Soma

__all__ = ["Soma", "Section", "subtree", "nesting_headroom", "MAX_NESTING"]

#: Deepest nesting (sections on a path from the soma) accepted: ``FlatMorphology`` keeps one
#: Python frame per level. Measured (Python 3.11): a tree 20,000 deep builds its SpatialNeuron
#: in 87 s (1,000 deep: 4 s).
MAX_NESTING = 20_000

#: Bumped whenever a node of these classes gets a new parent; cached distances older than it
#: are recomputed.
_topology_changes = 0


def subtree(node) -> Iterator:
    """Every node of the Brian2 morphology ``node`` (itself first), depth first, without recursion.

    Example
    -------
    >>> from brian2 import um
    >>> root = Soma(10 * um)
    >>> root.children.add("dend", Section(n=2, diameter=[1, 1, 1] * um, length=[5, 5] * um))
    >>> [m.n for m in subtree(root)]
    [1, 2]
    """
    stack = [node]
    while stack:
        m = stack.pop()
        yield m
        stack.extend(reversed(list(m.children)))


class _Iterative:
    """What Brian2 computes recursively over a tree, computed by iteration."""

    @property
    def _parent(self):
        return self.__dict__.get("_cm_parent")

    @_parent.setter
    def _parent(self, value) -> None:  # Brian2 sets it on attaching and detaching
        global _topology_changes
        _topology_changes += 1
        self.__dict__["_cm_parent"] = value

    @property
    def total_compartments(self) -> int:
        """Compartments in this subtree (int)."""
        return sum(m.n for m in subtree(self))

    @property
    def total_sections(self) -> int:
        """Sections in this subtree (int)."""
        return sum(1 for _ in subtree(self))

    def _own_length_m(self) -> float:
        return 0.0  # a soma is a point: sections on it start at its end distance

    def _end_m(self) -> tuple[float, _Iterative]:
        """(distance in meter from the top node to this node's end, top node): the top is the
        first ancestor whose parent is not of these classes (None or another Brian2 node)."""
        chain = []
        node = self
        while True:
            cached = node.__dict__.get("_cm_end")
            if cached is not None and cached[0] == _topology_changes:
                _, end, top = cached
                break
            chain.append(node)
            if not isinstance(node.parent, _Iterative):
                end, top = 0.0, node
                break
            node = node.parent
        for node in reversed(chain):  # from the top down
            end += node._own_length_m()
            node.__dict__["_cm_end"] = (_topology_changes, end, top)
        return end, top

    @property
    def end_distance(self) -> Quantity:
        """Path distance (meter) from the root to the end of this section (Brian2's meaning)."""
        end, top = self._end_m()
        above = top.parent
        return (end + (float(above.end_distance / meter) if above is not None else 0.0)) * meter

    def __deepcopy__(self, memo):
        """Copy the whole tree this node belongs to, as the default deep copy does by following
        the parent link, node by node; return the copy of this node."""
        _, top = self._end_m()
        above = top.parent
        if above is not None and id(above) not in memo:  # Brian2 copies the tree above, which
            copy.deepcopy(above, memo)  # reaches ``top`` again, with ``above`` in ``memo``
            return memo[id(self)]
        memo[id(top)] = top.copy_section()
        if above is not None:
            memo[id(top)]._parent = memo[id(above)]
        stack = [top]
        while stack:
            node = stack.pop()
            for child in node.children:
                if isinstance(child, _Iterative):
                    new = memo[id(child)] = child.copy_section()
                    stack.append(child)
                else:
                    new = copy.deepcopy(child, memo)
                memo[id(node)].children.add(node.children.name(child), new)
        return memo[id(self)]


class Soma(_Iterative, _B2Soma):
    """Brian2's ``Soma`` whose subtree totals and deep copy need no recursion.

    Example
    -------
    >>> from brian2 import um
    >>> Soma(10 * um).total_compartments
    1
    """

    def copy_section(self) -> Soma:
        """This soma without parent or children (a new :class:`Soma`).

        Example
        -------
        >>> from brian2 import um
        >>> (Soma(10 * um).copy_section().diameter / um).tolist()
        [10.0]
        """
        return Soma(self.diameter, x=self.x, y=self.y, z=self.z, type=self.type)


class Section(_Iterative, _B2Section):
    """Brian2's ``Section`` (without coordinates) whose subtree totals, path distances and deep
    copy need no recursion.

    Example
    -------
    >>> from brian2 import um
    >>> root = Soma(10 * um)
    >>> a = Section(n=1, diameter=[1, 1] * um, length=[20] * um)
    >>> b = Section(n=2, diameter=[1, 1, 1] * um, length=[5, 5] * um)
    >>> root.children.add("a", a)
    >>> a.children.add("b", b)
    >>> (b.distance / um).tolist(), float(b.end_distance / um)  # midpoints and end, from the soma
    ([22.5, 27.5], 30.0)
    """

    def __init__(self, n: int, diameter: Quantity, length: Quantity, type: str | None = None
                 ) -> None:
        super().__init__(n=n, diameter=diameter, length=length, type=type)
        self._length_m = float(np.sum(np.asarray(self.length / meter)))

    def _own_length_m(self) -> float:
        return self._length_m

    def copy_section(self) -> Section:
        """This section without parent or children (a new :class:`Section`).

        Example
        -------
        >>> from brian2 import um
        >>> copied = Section(n=2, diameter=[2, 1, 1] * um, length=[5, 5] * um).copy_section()
        >>> (copied.start_diameter / um).tolist()
        [2.0, 1.0]
        """
        diameter = np.concatenate([self.start_diameter / meter, self.end_diameter[-1:] / meter])
        return Section(n=self.n, diameter=diameter * meter, length=self.length, type=self.type)

    @property
    def distance(self) -> Quantity:
        """Path distance (meter) from the root to each compartment's midpoint."""
        start = self.end_distance - self._length_m * meter
        return start + np.cumsum(self.length) - 0.5 * self.length


@contextmanager
def nesting_headroom(depth: int):
    """Let Brian2's ``FlatMorphology`` recurse through a tree ``depth`` sections deep: raise the
    recursion limit by ``depth`` frames for the duration of the block, then restore it.

    Raises ``ValueError`` beyond :data:`MAX_NESTING`.

    Example
    -------
    >>> import sys
    >>> before = sys.getrecursionlimit()
    >>> with nesting_headroom(5000):
    ...     sys.getrecursionlimit() >= before + 5000
    True
    >>> sys.getrecursionlimit() == before
    True
    """
    if depth > MAX_NESTING:
        raise ValueError(f"the morphology is nested {depth} sections deep; at most {MAX_NESTING}"
                         " can be simulated (Brian2 walks the tree recursively): merge chains of"
                         " unbranched sections")
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(before + depth + 100)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)
