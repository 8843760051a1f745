"""``import cablemodel`` imports only what a name needs (PEP 562): no plotting, data-set,
NEURON or Arbor modules, not even Brian2, until a public name is used; every public name still
resolves and is listed by ``dir()``."""

import subprocess
import sys

import cablemodel

HEAVY = ("brian2", "matplotlib", "xarray", "scipy.sparse", "neuron", "arbor", "pandas", "dask")


def _imported(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    script = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_is_lazy():
    modules = _imported("import cablemodel")
    assert "cablemodel" in modules
    assert not modules & set(HEAVY)
    assert {m for m in modules if m.startswith("cablemodel.")} == {"cablemodel._lazy"}


def test_simulate_needs_no_data_or_reference_libraries():
    modules = _imported("from cablemodel import simulate, standard_cell, ball_and_stick")
    assert "brian2" in modules and "cablemodel.simulation.engine" in modules
    assert not modules & {"xarray", "scipy.sparse", "neuron", "arbor", "pandas", "dask",
                          "cablemodel.plotting", "cablemodel.io.neuron", "cablemodel.io.arbor"}


def test_every_public_name_resolves():
    names = dir(cablemodel)
    for name in cablemodel.__all__:
        assert name in names
        value = getattr(cablemodel, name)
        assert getattr(value, "__name__", name) == name or not callable(value)
    namespace: dict = {}
    exec("from cablemodel import *", namespace)  # noqa: S102
    assert set(cablemodel.__all__) <= set(namespace)
    assert cablemodel.analysis.psp_measures is cablemodel.analysis.psp.psp_measures  # subpackages
    try:
        cablemodel.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
