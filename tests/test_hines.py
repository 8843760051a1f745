"""cablemodel's Hines cable solver (``cpp_standalone``) against Brian2's own solver.

Every compartment, every time step (every 0.1 ms in the 200 ms run). Three builds of one circuit
holding all test cells:

* ``hines``: cablemodel's template (:mod:`cablemodel.simulation.hines`);
* ``brian2``: Brian2's template as shipped (double precision);
* ``brian2_quad``: Brian2's template, unchanged in algorithm, with its solver arithmetic and its
  intermediate arrays in quadruple precision (``__float128``): Brian2's solver without its
  round-off.

Brian2's double-precision solver loses digits at the soma: Brian2 gives the soma a near-zero axial
resistance, and that conductance (~1e6 times Cm/dt per unit area) enters the diagonals of its
tridiagonal and coupling systems, where the membrane terms are then kept to ~1e-10 only. Its
potentials differ from its own quad-precision version by up to 2e-4 mV in these cells.
The Hines solver agrees with the quad-precision Brian2 solver to < 1e-9 mV (measured <= 5e-11
mV), and therefore with double-precision Brian2 to within Brian2's own round-off.
"""

from __future__ import annotations

import importlib.util
import platform
import re
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, nS, siemens

from cablemodel import (
    AMPA,
    Cell,
    CurrentClamp,
    HHPotassium,
    HHSodium,
    Morphology,
    Section,
    Synapse,
    add_hillock,
    ball_and_stick,
    pyramidal,
    read_swc,
    spike_times,
    standard_cell,
)
from cablemodel.simulation import hines
from cablemodel.simulation.build_cache import cache_root
from cablemodel.simulation.engine import simulate_circuit

ROOT = Path(__file__).resolve().parents[1]
SWC = ROOT.parent / "shared" / "morphologies" / "real" / "ca1pyr_rat_c91662.swc"
#: |dv| allowed against Brian2's solver evaluated without round-off (quad precision)
TOL_EXACT_MV = 1e-9
#: |dv| allowed against Brian2's double-precision solver, whose own round-off (difference to its
#: quad-precision version) reaches 2e-4 mV here (edge-case cell: 15 um soma, 1-compartment child)
TOL_BRIAN2_MV = 1e-3
#: Spike times (ms) are threshold crossings interpolated from v: a difference dv in v moves them by
#: dv over the slope at the crossing (> 10 mV/ms), so the tolerances above bound them to these
TOL_EXACT_SPIKE_MS, TOL_BRIAN2_SPIKE_MS = 1e-8, 1e-4
QUAD = {"x86_64": "__float128", "AMD64": "__float128", "aarch64": "long double",
        "arm64": "long double"}.get(platform.machine())


# -- cells -------------------------------------------------------------------------------------
def _bench_cell():
    """The benchmark's 1009-compartment binary tree with HH at the soma (benchmarks/vs_neuron.py)."""
    spec = importlib.util.spec_from_file_location("vs_neuron", ROOT / "benchmarks" / "vs_neuron.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cablemodel_cell()


def _line(x0: float, x1: float, d: float, y: float = 0.0) -> np.ndarray:
    return np.array([[x0, y, 0.0, d], [x1, y, 0.0, d]])


def _edge_cell() -> Cell:
    """Soma with a single child; sections of one compartment; a section with seven children."""
    secs = [Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 15.0]])),
            Section("stem", "basal", "soma", _line(7.5, 12.5, 2.0), 1),
            Section("hub", "basal", "stem", _line(12.5, 42.5, 1.5), 3)]
    for k in range(7):  # 1-compartment twigs, some with children of their own
        secs.append(Section(f"twig{k}", "basal", "hub", _line(42.5, 52.5 + 5 * k, 1.0, 2.0 * k), 1))
    for k in (0, 3, 6):
        secs.append(Section(f"leaf{k}", "basal", f"twig{k}", _line(52.5 + 5 * k, 90.0, 0.8, 2.0 * k),
                            2 + k))
    cell = Cell(Morphology(tuple(secs), name="edge_cases"), spike_site="soma")
    cell.paint(HHSodium(), "soma", 0.12 * siemens / cm**2)
    cell.paint(HHPotassium(), "soma", 0.036 * siemens / cm**2)
    return cell


def _soma_only() -> Cell:
    """One compartment: the soma and nothing else."""
    morph = Morphology((Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 20.0]])),),
                       name="soma_only")
    cell = Cell(morph, spike_site="soma")
    cell.paint(HHSodium(), "soma", 0.12 * siemens / cm**2)
    cell.paint(HHPotassium(), "soma", 0.036 * siemens / cm**2)
    return cell


def _volleys(sites, weight) -> list[Synapse]:
    return [Synapse(AMPA, s, weight, spike_times([5, 5.2, 5.4, 25, 25.2, 25.4] * ms)) for s in sites]


def _circuit():
    """All test cells (one build per solver), their synapses and clamps; each cell fires.

    Synaptic volleys drive the tree and the pyramidal cell; current clamps (cheaper to build)
    the others, at the soma and out on the dendrites.
    """
    cells = {"tree": _bench_cell(), "pyr": standard_cell(pyramidal()),
             "bas": standard_cell(ball_and_stick()), "soma": _soma_only(), "edge": _edge_cell()}
    inputs = {"pyr": _volleys(["basal@30", "basal@60", "basal@90", "basal@120"], 3 * nS),
              "tree": _volleys(["basal@150", "basal@250"], 5 * nS)}
    clamps = {"tree": [CurrentClamp("soma", 0.8 * nA, 10 * ms, 40 * ms)],
              "bas": [CurrentClamp("soma", 0.3 * nA, 10 * ms, 40 * ms),
                      CurrentClamp("basal@300", 0.1 * nA, 5 * ms, 25 * ms)],
              "soma": [CurrentClamp("soma", 0.1 * nA, 10 * ms, 40 * ms)],
              "edge": [CurrentClamp("soma", 0.3 * nA, 15 * ms, 35 * ms),
                       CurrentClamp("leaf6(0.5)", 0.05 * nA, 5 * ms, 25 * ms)]}
    if SWC.exists():
        morph, _report = read_swc(SWC)
        cells["swc"] = standard_cell(add_hillock(morph))
        clamps["swc"] = [CurrentClamp("soma", 1.0 * nA, 10 * ms, 40 * ms),
                         CurrentClamp("basal@150", 0.1 * nA, 5 * ms, 25 * ms)]
    return cells, inputs, clamps


# -- Brian2's solver in quadruple precision ----------------------------------------------------
def _quad_template(directory: Path) -> Path:
    """Write Brian2's ``spatialstateupdate.cpp`` with its solver in quad precision to ``directory``.

    The algorithm is untouched: every ``double`` of the template's own code becomes ``QUAD``,
    and the arrays of the solver become static ``QUAD`` vectors, filled once by the template's
    ``before_code`` (moved into the first time step). STEP 1 (the generated membrane code) and
    the state variables stay in double.
    """
    import brian2.devices.cpp_standalone as standalone

    src = (Path(standalone.__file__).parent / "templates" / "spatialstateupdate.cpp").read_text()
    blocks = {}
    for name in ("before_code", "maincode"):
        m = re.search(r"{% block " + name + r" %}(.*?){% endblock %}", src, re.S)
        if m is None:
            pytest.skip(f"Brian2's spatialstateupdate.cpp has no {name} block any more")
        blocks[name] = m
    sizes = {"_invr": "N", "_ab_star0": "N", "_ab_star1": "N", "_ab_star2": "N", "_b_plus": "N",
             "_b_minus": "N", "_v_star": "N", "_u_plus": "N", "_u_minus": "N", "_c": "N",
             "_invr0": "_num_starts", "_invrn": "_num_starts", "_P_parent": "_num_starts",
             "_P_diag": "_num_B", "_B": "_num_B", "_P_children": "_num_morph_children"}

    def convert(code: str) -> str:
        for var in sizes:
            code = code.replace("{{" + var + "}}", f"_q{var}")
        return re.sub(r"\bdouble\b", QUAD, code)

    before, main = (convert(blocks[n].group(1)) for n in ("before_code", "maincode"))
    if "{{_" in before.replace("{{_starts}}", "").replace("{{_ends}}", ""):
        pytest.skip("Brian2's spatialstateupdate.cpp uses solver arrays this test does not know")
    setup = "".join(f"    static std::vector<{QUAD}> _q{var}({size});\n" for var, size in sizes.items())
    setup += ("    static bool _q_ready = false;\n    if (!_q_ready)\n    {\n" + before
              + "\n    _q_ready = true;\n    }\n")
    marker = "{{scalar_code|autoindent}}"
    if marker not in main:
        pytest.skip("Brian2's spatialstateupdate.cpp changed its main code layout")
    main = main.replace(marker, setup + marker, 1)
    out = (src[:blocks["before_code"].start(1)] + "\n" + src[blocks["before_code"].end(1):
                                                             blocks["maincode"].start(1)]
           + main + src[blocks["maincode"].end(1):])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "spatialstateupdate.cpp").write_text(out)
    return directory


def _run(variant: str, duration, record_dt=None, cache_root: Path | None = None):
    cells, inputs, clamps = _circuit()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CABLEMODEL_SOLVER", "brian2" if variant == "brian2" else "hines")
        if variant == "brian2_quad":  # its own build directories, next to the usual ones
            mp.setattr(hines, "TEMPLATE_DIR", _quad_template(cache_root / "template"))
            mp.setenv("CABLEMODEL_CACHE", str(cache_root))
        return simulate_circuit(cells, inputs, clamps=clamps, record={n: "all" for n in cells},
                                duration=duration, record_dt=record_dt, engine="cpp_standalone")


@pytest.fixture(scope="module")
def quad_cache() -> Path:
    if QUAD is None:
        pytest.skip(f"no quad-precision type known for {platform.machine()}")
    return cache_root() / "brian2_quad_reference"


@pytest.fixture(scope="module")
def short(quad_cache):
    """50 ms of every cell, with each solver."""
    return {v: _run(v, 50 * ms, cache_root=quad_cache) for v in ("hines", "brian2", "brian2_quad")}


def _max_dv(a, b) -> float:
    assert a.v_mV.shape == b.v_mV.shape and np.array_equal(a.t_ms, b.t_ms)
    return float(np.max(np.abs(a.v_mV - b.v_mV)))


CELLS = ["tree", "pyr", "bas", "swc", "soma", "edge"]


@pytest.mark.slow
@pytest.mark.parametrize("name", CELLS)
def test_equals_brian2_solver(short, name):
    if name not in short["hines"]:
        pytest.skip(f"{SWC} not found")
    h, b2, q = (short[v][name] for v in ("hines", "brian2", "brian2_quad"))
    assert h.v_mV.shape[0] == len(h.table)  # every compartment
    assert len(h.spikes_ms) >= 1, "the test input should make the cell fire"
    assert _max_dv(h, q) < TOL_EXACT_MV
    # against double-precision Brian2: no further than Brian2 is from its own exact result
    assert _max_dv(h, b2) < TOL_BRIAN2_MV
    assert _max_dv(h, b2) <= _max_dv(q, b2) + TOL_EXACT_MV
    np.testing.assert_allclose(h.spikes_ms, b2.spikes_ms, rtol=0, atol=TOL_BRIAN2_SPIKE_MS)
    np.testing.assert_allclose(h.spikes_ms, q.spikes_ms, rtol=0, atol=TOL_EXACT_SPIKE_MS)


@pytest.mark.slow
def test_equals_brian2_solver_200ms(quad_cache):
    """A longer run (sampled every 0.1 ms, the error does not vanish between samples)."""
    runs = {v: _run(v, 200 * ms, record_dt=0.1 * ms, cache_root=quad_cache)
            for v in ("hines", "brian2", "brian2_quad")}
    for name in runs["hines"]:
        h, b2, q = (runs[v][name] for v in ("hines", "brian2", "brian2_quad"))
        assert _max_dv(h, q) < TOL_EXACT_MV, name
        assert _max_dv(h, b2) < TOL_BRIAN2_MV, name
        np.testing.assert_allclose(h.spikes_ms, q.spikes_ms, rtol=0, atol=TOL_EXACT_SPIKE_MS)


@pytest.mark.slow
def test_cylinder_root(quad_cache):
    """A plain Brian2 SpatialNeuron whose root is a Cylinder (cablemodel always has a soma)."""
    from brian2 import Cylinder, Network, SpatialNeuron, StateMonitor, device, ohm, set_device, uF, usecond
    from brian2 import um as b2um

    def run(variant: str) -> np.ndarray:
        directory = quad_cache.parent / "cylinder_root" / variant
        set_device("cpp_standalone", directory=str(directory), build_on_run=False)
        try:
            morph = Cylinder(n=4, diameter=2 * b2um, length=80 * b2um)
            morph.one = Cylinder(n=1, diameter=1 * b2um, length=10 * b2um)
            morph.wide = Cylinder(n=6, diameter=1.5 * b2um, length=120 * b2um)
            for k in range(5):
                setattr(morph.wide, f"c{k}", Cylinder(n=1 + k, diameter=0.7 * b2um,
                                                      length=(20 + 10 * k) * b2um))
            eqs = ("Im = gl*(-65*mV - v) : amp/meter**2\ngl : siemens/meter**2\n"
                   "I = I_amp*int(t < 20*ms) : amp (point current)\nI_amp : amp")
            neuron = SpatialNeuron(morph, eqs, Cm=1 * uF / cm**2, Ri=100 * ohm * cm,
                                   method="exponential_euler", dt=25 * usecond,
                                   namespace={"mV": mV, "ms": ms})
            neuron.v = -65 * mV
            neuron.gl = 3e-4 * siemens / cm**2
            neuron.I_amp[18] = 0.05 * nA  # second compartment of wide.c3 (depth-first numbering)
            mon = StateMonitor(neuron, "v", record=True, dt=25 * usecond)
            net = Network(neuron, mon)
            if variant == "brian2":
                net.run(30 * ms)
            else:
                template = (_quad_template(quad_cache / "template") if variant == "brian2_quad"
                            else None)
                with hines.hines_solver(template):
                    net.run(30 * ms)
            device.build(directory=str(directory), compile=True, run=True, with_output=False)
            return np.asarray(mon.v / mV)
        finally:
            device.reinit()
            device.activate()
            set_device("runtime")

    h, b2, q = run("hines"), run("brian2"), run("brian2_quad")
    assert h.shape == (4 + 1 + 6 + 15, 1200)
    assert np.ptp(h) > 1.0  # the current moved the cell
    assert np.max(np.abs(h - q)) < TOL_EXACT_MV
    assert np.max(np.abs(h - b2)) < TOL_EXACT_MV  # no soma: Brian2's double solver is exact too


def test_templater_is_restored():
    from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject as CO

    before = CO.__dict__["templater"]
    with pytest.raises(RuntimeError), hines.hines_solver():
        assert "Hines" in CO.templater.spatialstateupdate.template_source
        raise RuntimeError("boom")
    assert CO.__dict__["templater"] is before
    assert "Hines" not in CO.templater.spatialstateupdate.template_source


def test_solver_choice(monkeypatch):
    monkeypatch.delenv("CABLEMODEL_SOLVER", raising=False)
    assert hines.solver_choice() == "hines"
    monkeypatch.setenv("CABLEMODEL_SOLVER", "Brian2")
    assert hines.solver_choice() == "brian2"
    assert hines.solver_choice("hines") == "hines"
    monkeypatch.setenv("CABLEMODEL_SOLVER", "thomas")
    with pytest.raises(ValueError, match="CABLEMODEL_SOLVER"):
        hines.solver_choice()


@pytest.mark.slow
def test_each_solver_has_its_build_directory(short):
    h, b2 = short["hines"]["bas"], short["brian2"]["bas"]
    assert h.info["solver"] == "hines" and b2.info["solver"] == "brian2"
    assert h.info["directory"] == b2.info["directory"] + "-hines"


def test_template_is_package_data():
    assert (hines.TEMPLATE_DIR / "spatialstateupdate.cpp").is_file()
    assert hines.TEMPLATE_DIR.parent == Path(hines.__file__).parent
