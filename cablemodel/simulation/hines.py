"""A Hines cable solver for Brian2's ``cpp_standalone`` device.

Brian2's standalone template ``spatialstateupdate.cpp`` solves, in every time step, three
tridiagonal systems per section and a coupling system over the branch points. cablemodel ships a
replacement template of the same name (``cablemodel/templates/spatialstateupdate.cpp``) that
solves the same linear system (backward Euler in v, the membrane current linearised exactly as
Brian2 does) with the Hines algorithm: one elimination pass from the leaves to the root and one
back-substitution over the tree of compartments and branch-point junctions, one division per node
(kept off the sequential dependency chain; see the comment at the top of the template). Only
constants are set up once per run; per step only the diagonal and the right-hand side change.

Accuracy: the results equal those of Brian2's own solver evaluated in quadruple precision to
< 1e-9 mV (tests/test_hines.py). Brian2's solver in double precision differs from both by its own
round-off, up to ~1e-4 mV: it adds the soma's near-zero axial resistance (a conductance ~1e6 times
the membrane terms) into the diagonals of its systems.

:func:`hines_solver` installs the template while it is active (only for the standalone device;
the numpy and Cython runtime targets keep Brian2's solver). :func:`solver_choice` reads the
choice made with the ``CABLEMODEL_SOLVER`` environment variable (``"hines"``, the default, or
``"brian2"``), which is what :func:`cablemodel.simulate` uses for ``engine="cpp_standalone"``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SOLVERS", "TEMPLATE_DIR", "hines_solver", "solver_choice", "use_solver"]

#: Cable solvers for the ``cpp_standalone`` engine.
SOLVERS = ("hines", "brian2")
#: Folder holding cablemodel's Jinja templates for Brian2's standalone code objects.
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_ENV = "CABLEMODEL_SOLVER"


def solver_choice(solver: str | None = None) -> str:
    """The cable solver to use: ``solver`` if given, else ``$CABLEMODEL_SOLVER``, else ``"hines"``.

    Example
    -------
    >>> solver_choice("brian2")
    'brian2'
    >>> solver_choice() in SOLVERS
    True
    """
    choice = solver if solver is not None else os.environ.get(_ENV, "hines")
    choice = choice.strip().lower()
    if choice not in SOLVERS:
        raise ValueError(f"cable solver must be one of {SOLVERS}, got {choice!r}"
                         f"{'' if solver is not None else f' (from ${_ENV})'}")
    return choice


def _templater_with_overrides(original, directory: Path):
    """A Templater equal to ``original`` except that templates in ``directory`` come first."""
    from brian2.codegen.templates import LazyTemplateLoader, Templater
    from jinja2 import ChoiceLoader, FileSystemLoader

    new = Templater(original.package_names, original.extension, env_globals=original.env_globals,
                    templates_dir=original.templates_dir)
    new.env.loader = ChoiceLoader([FileSystemLoader(str(directory)), original.env.loader])
    new.templates = LazyTemplateLoader(new.env, original.extension)
    return new


@contextmanager
def hines_solver(template_dir: str | Path | None = None) -> Iterator[None]:
    """While active, Brian2's ``cpp_standalone`` code objects use cablemodel's Hines solver.

    Code is generated when a network is run on the standalone device (``net.run``), so that call
    must happen inside the ``with`` block; the templater in place before is restored on exit,
    also after an error. ``template_dir`` (default :data:`TEMPLATE_DIR`) is the folder whose
    templates take precedence over Brian2's.

    Example
    -------
    >>> from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject as CO
    >>> with hines_solver():
    ...     "cablemodel" in CO.templater.spatialstateupdate.template_source
    True
    >>> "cablemodel" in CO.templater.spatialstateupdate.template_source
    False
    """
    from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject

    original = CPPStandaloneCodeObject.__dict__["templater"]
    directory = Path(template_dir) if template_dir is not None else TEMPLATE_DIR
    CPPStandaloneCodeObject.templater = _templater_with_overrides(original, directory)
    try:
        yield
    finally:
        CPPStandaloneCodeObject.templater = original


@contextmanager
def use_solver(solver: str | None = None) -> Iterator[str]:
    """Activate the chosen cable solver (see :func:`solver_choice`); yields its name.

    Example
    -------
    >>> with use_solver("brian2") as name:
    ...     name
    'brian2'
    """
    choice = solver_choice(solver)
    if choice == "hines":
        with hines_solver():
            yield choice
    else:
        yield choice
