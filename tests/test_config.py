"""Config files (cablemodel.io.config): every class of validation error names the file, line,
key, problem and fix; the setup callable of sweeps gives exactly the config's simulate keyword
arguments with a point's values applied; the examples validate; psp.toml runs end to end."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from brian2 import Mohm, cm, mM, ms, mV, nA, nS, ohm, siemens, uF, um

from cablemodel import Cell, ball_and_stick, receptor, standard_cell
from cablemodel.io.config import ConfigError, load_config
from cablemodel.io.config_values import find_line, parse_quantity, read_quantity

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

PSP = """\
[morphology]
generator = "ball_and_stick"
parameters = { dendrite_length = "600 um", max_compartment_length = "20 um" }

[cell]
preset = "standard"
g_leak = { default = "3e-4 S/cm^2", basal = "1e-4 S/cm^2" }

[[synapses]]
receptor = "ampa"
site = "basal@200"
weight = "1 nS"
times = ["5 ms"]

[[synapses]]
receptor = "nmda"
site = "basal@100"
weight = "0.5 nS"
mg = "1.2 mM"
train = { start = "2 ms", interval = "5 ms", count = 3 }

[[stimuli]]
type = "step"
site = "soma"
amplitude = "0.1 nA"
start = "1 ms"
stop = "4 ms"

[run]
duration = "10 ms"
dt = "0.05 ms"
engine = "numpy"
record = ["basal@300", "m_na@hillock"]
"""


def write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value.problems


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    hits = [i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln]
    return hits[occurrence]


# -- quantities ----------------------------------------------------------------------------

def test_quantity_parser_units_and_refusals():
    density = siemens / cm**2
    assert float(parse_quantity("0.12 S/cm^2", density, "") / density) == pytest.approx(0.12)
    assert float(parse_quantity("150 ohm*cm", ohm * cm, "") / (ohm * cm)) == pytest.approx(150)
    assert float(parse_quantity("2 uF/cm**2", uF / cm**2, "") / (uF / cm**2)) == pytest.approx(2)
    assert float(parse_quantity("200µm", um, "") / um) == pytest.approx(200)
    assert float(parse_quantity("1e-3 Mohm", ohm, "") / ohm) == pytest.approx(1e3)
    assert float(read_quantity("-65 mV") / mV) == -65
    for bad in ("__import__('os')", "1 nS + 1 nS", "nS", "1 nanoS", "1 (nS)"):
        with pytest.raises(ValueError):
            parse_quantity(bad, nS, '"1 nS"')
    with pytest.raises(ValueError, match="has no unit"):
        parse_quantity(1, nS, '"1 nS"')
    with pytest.raises(ValueError, match="is not a conductance"):
        parse_quantity("1 mV", nS, '"1 nS"')


def test_find_line_array_of_tables_and_nested_tables():
    assert find_line(PSP, ("synapses", 1, "weight")) == line_of(PSP, 'weight = "0.5 nS"')
    assert find_line(PSP, ("stimuli", 0, "amplitude")) == line_of(PSP, "amplitude")
    assert find_line(PSP, ("cell", "g_leak", "basal")) == line_of(PSP, "g_leak")
    assert find_line(PSP, ("run", "dt")) == line_of(PSP, "dt = ")


# -- what a valid file gives ------------------------------------------------------------------

def test_valid_config_builds_the_objects_it_describes(tmp_path):
    config = load_config(write(tmp_path, PSP))
    kw = config.simulate_kwargs()
    morph = ball_and_stick(dendrite_length=600 * um, max_compartment_length=20 * um)
    ref = standard_cell(morph, g_leak={"default": 3e-4 * siemens / cm**2,
                                       "basal": 1e-4 * siemens / cm**2})
    cell = kw["cell"]
    assert len(cell.table) == len(ref.table)
    np.testing.assert_array_equal(cell.membrane().g_leak, ref.membrane().g_leak)
    for name, dens in ref.densities().items():
        np.testing.assert_array_equal(cell.densities()[name], dens)
    np.testing.assert_array_equal(cell.leak_reversal(), ref.leak_reversal())
    ampa, nmda = kw["synapses"]
    assert ampa.receptor == receptor("ampa") and str(ampa.site) == "basal@200"
    assert ampa.weight == 1 * nS and list(ampa.spikes / ms) == [5.0]
    assert nmda.receptor == receptor("nmda", mg=1.2 * mM) and nmda.weight == 0.5 * nS
    np.testing.assert_allclose(nmda.spikes / ms, [2, 7, 12])
    (clamp,) = kw["clamps"]
    assert str(clamp.site) == "soma" and clamp.waveform.amplitude == 0.1 * nA
    assert (clamp.waveform.start, clamp.waveform.stop) == (1 * ms, 4 * ms)
    assert (kw["duration"], kw["dt"], kw["engine"]) == (10 * ms, 0.05 * ms, "numpy")
    assert kw["record"] == ["basal@300", "m_na@hillock"] and kw["seed"] is None


def test_passive_defaults_and_vclamp(tmp_path):
    text = ('[[stimuli]]\ntype = "vclamp"\nsite = "soma"\nholding = "-70 mV"\n'
            'series_resistance = "0.5 Mohm"\n'
            'command = { type = "step", amplitude = "20 mV", start = "1 ms", stop = "3 ms" }\n')
    kw = load_config(write(tmp_path, text)).simulate_kwargs()
    assert isinstance(kw["cell"], Cell) and kw["cell"].channels == []
    assert len(kw["cell"].table) == len(ball_and_stick().compartments())
    (vc,) = kw["clamps"]
    assert vc.holding == -70 * mV and vc.series_resistance == 0.5 * Mohm
    np.testing.assert_allclose(vc.command_potential(1 * ms, 5) / mV, [-70, -50, -50, -70, -70])
    assert (kw["duration"], kw["dt"], kw["engine"]) == (50 * ms, 0.025 * ms, "auto")


# -- each class of error ----------------------------------------------------------------------

def test_toml_syntax_error_has_the_line(tmp_path):
    (p,) = problems(tmp_path, '[run]\nduration = "10 ms"\ndt = 0.05 ms\n')
    assert p.line == 3 and p.key == "TOML" and "not valid TOML" in p.problem


def test_unknown_keys_and_tables_suggest_the_closest(tmp_path):
    text = PSP.replace('weight = "1 nS"', 'wieght = "1 nS"').replace("[run]", "[rnu]")
    found = {p.key: p for p in problems(tmp_path, text)}
    assert found["synapses[0].wieght"].line == line_of(text, "wieght")
    assert "did you mean 'weight'?" in found["synapses[0].wieght"].fix
    assert "missing required key 'weight'" in found["synapses[0]"].problem
    assert "did you mean 'run'?" in found["rnu"].fix
    assert str(found["rnu"]).startswith(f"{tmp_path / 'c.toml'}:{line_of(text, '[rnu]')}: rnu: unknown table")


def test_missing_required_keys(tmp_path):
    found = problems(tmp_path, '[[synapses]]\nreceptor = "ampa"\ntimes = ["1 ms"]\n')
    assert {p.problem for p in found} == {"missing required key 'site'", "missing required key 'weight'"}
    assert all(p.key == "synapses[0]" and p.line == 1 for p in found)
    assert 'add site = "basal@200"' in {p.fix for p in found}
    (p,) = problems(tmp_path, '[[stimuli]]\ntype = "step"\nsite = "soma"\namplitude = "1 nA"\n')
    assert (p.key, p.problem) == ("stimuli[0]", "missing required key 'start' of a step")
    (p,) = problems(tmp_path, '[[synapses]]\nreceptor = "ampa"\nsite = "soma"\nweight = "1 nS"\n')
    assert "exactly one of 'times', 'train' or 'poisson'" in p.problem


def test_wrong_or_missing_units(tmp_path):
    text = PSP.replace('weight = "1 nS"', "weight = 1").replace('dt = "0.05 ms"', 'dt = "0.05 mV"')
    text = text.replace('amplitude = "0.1 nA"', 'amplitude = "0.1 nAmp"')
    found = {p.key: p for p in problems(tmp_path, text)}
    assert set(found) == {"synapses[0].weight", "run.dt", "stimuli[0].amplitude"}
    w = found["synapses[0].weight"]
    assert w.line == line_of(text, "weight = 1") and w.problem == "1 has no unit"
    assert w.fix == 'write it as text with its unit, e.g. "1 nS"'
    assert found["run.dt"].problem == '"0.05 mV" is not a time (ms)'
    assert "unknown unit 'nAmp'" in found["stimuli[0].amplitude"].problem
    # a dimensionless key given a unit, and a bad membrane value in a region table
    found = problems(tmp_path, '[cell]\ncelsius = "34 degC"\nCm = { basal = "2 uF" }\n')
    assert {p.key for p in found} == {"cell.celsius", "cell.Cm.basal"}
    assert any("plain TOML number" in p.fix for p in found)


def test_values_out_of_range_are_refused_with_the_key(tmp_path):
    (p,) = problems(tmp_path, '[cell]\nRi = "1e-9 ohm*cm"\n')
    assert p.key == "cell.Ri" and "outside 1 to 100000 ohm*cm" in p.problem
    (p,) = problems(tmp_path, '[[synapses]]\nreceptor = "ampa"\nsite = "soma"\nweight = "-1 nS"\n'
                              'times = ["1 ms"]\n')
    assert p.key == "synapses[0]" and "weight must be >= 0 nS" in p.problem


def test_sites_that_are_not_on_the_cell(tmp_path):
    text = PSP.replace('site = "basal@200"', 'site = "basal@5000"').replace(
        '"basal@300", ', '"apical@10", ')
    found = {p.key: p for p in problems(tmp_path, text)}
    p = found["synapses[0].site"]
    assert p.line == line_of(text, "basal@5000")
    assert "5000 um is outside region 'basal'" in p.problem
    assert "entry 0 ('apical@10')" in found["run.record"].problem
    (p,) = problems(tmp_path, '[[stimuli]]\ntype = "step"\nsite = "basal@@1"\namplitude = "1 nA"\n'
                              'start = "1 ms"\n')
    assert p.key == "stimuli[0].site" and "cannot read site" in p.problem


def test_choices_channels_and_regions(tmp_path):
    text = PSP.replace('receptor = "ampa"', 'receptor = "ampaa"').replace(
        'engine = "numpy"', 'engine = "nmpy"') + '\n[cell.channels.nata]\nsoma = "1 S/cm^2"\n'
    text = text.replace('preset = "standard"', 'preset = "standard"\n[cell.channels.na]\n'
                        'apical = "0.1 S/cm^2"\nsoma = "1 nS"\n').replace(
        '\n[cell.channels.nata]\nsoma = "1 S/cm^2"\n', '')
    found = {p.key: p for p in problems(tmp_path, text)}
    assert "did you mean 'ampa'?" in found["synapses[0].receptor"].fix
    assert "did you mean 'numpy'?" in found["run.engine"].fix
    assert "'apical' selects no compartment" in found["cell.channels.na.apical"].problem
    assert "is not a conductance density (S/cm^2)" in found["cell.channels.na.soma"].problem
    (p,) = problems(tmp_path, '[cell.channels.nata]\nsoma = "1 S/cm^2"\n')
    assert p.key == "cell.channels.nata" and "did you mean 'nata_t'?" in p.fix


def test_morphology_errors(tmp_path):
    (p,) = problems(tmp_path, '[morphology]\nfile = "x.swc"\ngenerator = "y_neuron"\n')
    assert p.problem == "gives both 'file' and 'generator'"
    (p,) = problems(tmp_path, '[morphology]\nfile = "missing.swc"\n')
    assert p.key == "morphology.file" and "relative to the config file" in p.fix
    (p,) = problems(tmp_path, '[morphology]\ngenerator = "y_neuron"\n'
                              'parameters = { trunk_lenght = "100 um" }\n')
    assert p.key == "morphology.parameters.trunk_lenght" and "did you mean 'trunk_length'?" in p.fix
    bad = write(tmp_path, "1 1 0 0 0 5 -1\n2 3 0 5 0 1 7\n", "bad.swc")
    (p,) = problems(tmp_path, f'[morphology]\nfile = "{bad.name}"\n')
    assert p.key == "morphology.file" and "repair = true" in p.fix
    (p,) = problems(tmp_path, '[cell]\npreset = "mammalian"\nRi = "100 ohm*cm"\n')
    assert p.key == "cell.Ri" and "preset 'mammalian' sets it" in p.problem


def test_every_problem_at_once_in_file_order_per_table(tmp_path):
    text = PSP.replace('"1 nS"', '"1 mV"').replace('"0.05 ms"', "0.05").replace(
        '"standard"', '"standart"')
    found = problems(tmp_path, text)
    assert {p.key for p in found} == {"synapses[0].weight", "run.dt", "cell.preset"}
    assert str(ConfigError(found)).count("\n") == 2


def test_sweep_errors(tmp_path):
    base = PSP + "\n[sweep]\n"
    found = problems(tmp_path, base + 'axes = { "synapses.5.weight" = ["1 nS"], weight = ["2 nS"] }\n')
    keys = {p.key: p for p in found}
    assert ("synapses has 2 entries (0 to 1); '5' is not one of them"
            in keys["sweep.axes.synapses.5.weight"].problem)
    assert "a path starts with a table of the file" in keys["sweep.axes.weight"].problem
    (p,) = problems(tmp_path, base + 'parameters = { w = "synapses.0.weight" }\n'
                                     'axes = { w = ["1 nS", "2 mV"] }\n')
    assert p.key == "sweep.axes.w" and "with w = " in p.problem and "is not a conductance" in p.problem
    (p,) = problems(tmp_path, base + 'axes = { "synapses.0.site" = ["basal@10", "basal@900"] }\n')
    assert "with synapses.0.site = 'basal@900'" in p.problem and "outside region 'basal'" in p.problem
    (p,) = problems(tmp_path, base + 'backend = "serial"\n')
    assert "exactly one of 'axes'" in p.problem
    (p,) = problems(tmp_path, base + 'axes = { "run.dt" = ["0.1 ms"] }\nbackend = "dusk"\n')
    assert p.key == "sweep.backend" and "did you mean 'dask'?" in p.fix
    (p,) = problems(tmp_path, base + 'axes = { "run.dt" = ["0.1 ms"] }\ntraces = ["m na@soma"]\n')
    assert p.key == "sweep.traces" and "entry 0 ('m na@soma')" in p.problem


# -- the setup callable of sweeps -------------------------------------------------------------

def test_setup_gives_the_config_with_the_point_applied(tmp_path):
    sweep = ('\n[sweep]\nparameters = { w = "synapses.0.weight", site = "synapses.0.site",'
             ' gna = "cell.channels.na.soma" }\naxes = { w = ["0.5 nS", "2 nS"],'
             ' site = ["basal@50", "basal@400"], gna = ["0.1 S/cm^2"] }\n')
    config = load_config(write(tmp_path, PSP + sweep))
    assert list(config.sweep.axes["w"] / nS) == [0.5, 2.0] and config.sweep.axes["site"][1] == "basal@400"
    setup = pickle.loads(pickle.dumps(config.setup()))
    got = setup(w=2 * nS, site="basal@400", gna=0.1 * siemens / cm**2)
    edited = PSP.replace('weight = "1 nS"', 'weight = "2 nS"').replace(
        'site = "basal@200"', 'site = "basal@400"').replace(
        'preset = "standard"', 'preset = "standard"\nchannels = { na = { soma = "0.1 S/cm^2" } }')
    ref = load_config(write(tmp_path, edited, "edited.toml")).simulate_kwargs()
    assert got.keys() == ref.keys()
    for name in ("duration", "dt", "engine", "record", "record_dt", "seed"):
        assert got[name] == ref[name]
    for a, b in zip(got["synapses"], ref["synapses"], strict=True):
        assert (a.receptor, str(a.site), a.weight) == (b.receptor, str(b.site), b.weight)
        np.testing.assert_array_equal(a.spikes, b.spikes)
    for name, dens in ref["cell"].densities().items():
        np.testing.assert_array_equal(got["cell"].densities()[name], dens)
    assert got["cell"].densities()["na"][0] == 1000.0  # 0.1 S/cm^2 in S/m^2 at the soma
    np.testing.assert_array_equal(got["cell"].leak_reversal(), ref["cell"].leak_reversal())
    # the setup's own config is not changed by a call, and a path works without a short name
    assert setup()["synapses"][0].weight == 1 * nS
    assert setup(**{"run.duration": 3 * ms})["duration"] == 3 * ms
    with pytest.raises(ConfigError, match="parameter 'nope'"):
        setup(nope=1)


def test_points(tmp_path):
    text = PSP + ('\n[sweep]\nparameters = { w = "synapses.0.weight" }\n'
                  '[[sweep.points]]\nw = "1 nS"\n"run.duration" = "5 ms"\n[[sweep.points]]\nw = "3 nS"\n')
    config = load_config(write(tmp_path, text))
    assert config.sweep.axes is None and len(config.sweep.points) == 2
    first, second = (config.setup()(**p) for p in config.sweep.points)
    assert (first["synapses"][0].weight, first["duration"]) == (1 * nS, 5 * ms)
    assert (second["synapses"][0].weight, second["duration"]) == (3 * nS, 10 * ms)


# -- the examples -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_every_example_validates(name):
    config = load_config(EXAMPLES / name)
    kw = config.simulate_kwargs()
    assert kw["cell"] is not None and config.measures
    if name.startswith("sweep"):
        assert config.sweep is not None


def test_examples_present():
    assert {"psp.toml", "real_cell.toml", "sweep_sites.toml", "sweep_density.toml"} <= {
        p.name for p in EXAMPLES.glob("*.toml")}


def test_run_psp_example_end_to_end(tmp_path, capsys):
    from cablemodel import Result
    from cablemodel.cli import main

    assert main(["run", str(EXAMPLES / "psp.toml"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "soma_peak = " in out and str(tmp_path / "result.nc") in out
    result = Result.load(tmp_path / "result.nc")
    measures = json.loads((tmp_path / "measures.json").read_text())["measures"]
    soma, hillock = measures["soma_peak"], measures["hillock_peak"]
    assert soma["unit"] == "mV" and soma["value"] == pytest.approx(float(result.peak("soma") / mV), abs=1e-12)
    # an EPSP attenuates on its way to the soma: 0 < soma < synapse; subthreshold at the hillock
    assert 0.2 < soma["value"] < float(result.peak("basal@200") / mV)
    assert 0 < hillock["value"] < 20 and result.spike_count() == 0
    assert (tmp_path / "traces.png").stat().st_size > 10_000


def test_cli_reports_every_problem_and_exit_2(tmp_path, capsys):
    from cablemodel.cli import main

    path = write(tmp_path, PSP.replace('"1 nS"', "1").replace('"numpy"', '"nmpy"'))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith(f"{path}:") for line in err)
    assert main(["sweep", str(path.with_name("none.toml"))]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_measure_errors(tmp_path):
    text = PSP + '\n[measures]\nsoma = "peak"\nn = "spikes@soma"\nok = "max@basal@200"\n'
    found = {p.key: p for p in problems(tmp_path, text)}
    assert set(found) == {"measures.soma", "measures.n"}
    assert "'peak' needs a site" in found["measures.soma"].problem
    assert found["measures.n"].line == line_of(text, "spikes@soma")
    text = PSP + ('\n[measures]\nw = "peak@soma"\n[sweep]\nparameters = { w = "synapses.0.weight" }\n'
                  'axes = { w = ["1 nS"] }\n')
    (p,) = problems(tmp_path, text)
    assert p.key == "measures.w" and "cannot name a measure" in p.problem


def test_sweep_example_end_to_end_and_resume(tmp_path, capsys):
    """The weight x site grid of examples/sweep_sites.toml (copied, so that its store is in
    tmp_path): EPSPs grow with the weight and shrink with the distance; a rerun resumes from
    the store without running any point and gives the same numbers."""
    import xarray as xr

    from cablemodel.cli import main

    path = tmp_path / "sweep_sites.toml"
    path.write_text((EXAMPLES / "sweep_sites.toml").read_text())
    assert main(["sweep", str(path)]) == 0
    folder = tmp_path / "out" / "sweep_sites"
    ds = xr.load_dataset(folder / "sweep.nc")
    peak = ds["soma_peak"]
    assert peak.dims == ("weight", "site") and peak.attrs["units"] == "mV"
    assert list(ds["weight"].values) == [1.0, 2.0] and (ds["error"] == "").all()
    by_site = peak.sel(weight=1.0).values
    assert by_site[0] > by_site[1] > by_site[2] > 0  # attenuation with distance
    ratio = (peak.sel(weight=2.0) / peak.sel(weight=1.0)).values
    assert np.all((ratio > 1.8) & (ratio < 2.0))  # sublinear: the driving force falls
    assert ds["trace_soma"].sizes["time"] == 100
    summary = json.loads((folder / "sweep.json").read_text())
    assert summary["measures"]["soma_peak"]["values"] == pytest.approx(peak.values.ravel().tolist())
    assert len(list((folder / "store").glob("point_*.nc"))) == 6
    capsys.readouterr()
    assert main(["sweep", str(path)]) == 0
    again = xr.load_dataset(folder / "sweep.nc")
    np.testing.assert_array_equal(again["soma_peak"].values, peak.values)
    assert again.attrs["point_seconds_total"] == ds.attrs["point_seconds_total"]


def test_bbp_channels_and_calcium_on_a_passive_cell(tmp_path):
    from cablemodel import Ca_HVA, CaDynamics_E2, NaTa_t

    text = ('[cell]\ncelsius = 34\n[cell.channels.NaTa_t]\nsoma = "2 S/cm^2"\n'
            '[cell.channels.ca_hva]\nall = "1e-4 S/cm^2"\nsoma = "1e-3 S/cm^2"\n'
            '[cell.calcium]\nsoma = { gamma = 0.0005, decay = "460 ms" }\n')
    cell = load_config(write(tmp_path, text)).simulate_kwargs()["cell"]
    ref = Cell(ball_and_stick(), celsius=34).paint(NaTa_t(), "soma", 2 * siemens / cm**2)
    ref.paint(Ca_HVA(), "all", 1e-4 * siemens / cm**2).paint(Ca_HVA(), "soma", 1e-3 * siemens / cm**2)
    ref.paint(CaDynamics_E2(gamma=0.0005, decay=460 * ms), "soma")
    for name, dens in ref.densities().items():
        np.testing.assert_array_equal(cell.densities()[name], dens)
    for name, values in ref.calcium_parameters().items():
        np.testing.assert_array_equal(cell.calcium_parameters()[name], values)
    np.testing.assert_array_equal(cell.leak_reversal(), ref.leak_reversal())
    (p,) = problems(tmp_path, '[cell.calcium]\nsoma = { gama = 0.1 }\n')
    assert p.key == "cell.calcium.soma.gama" and "did you mean 'gamma'?" in p.fix


def test_bad_point_is_reported_with_its_index(tmp_path):
    text = PSP + '\n[sweep]\n[[sweep.points]]\n"run.dt" = "0.1 ms"\n[[sweep.points]]\n"run.dt" = "2 mV"\n'
    (p,) = problems(tmp_path, text)
    assert p.key == "sweep.points[1]" and p.problem.startswith("point 1: run.dt: ")
    assert p.line == line_of(text, "[[sweep.points]]", 1)
