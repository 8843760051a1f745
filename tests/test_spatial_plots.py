"""Paths through the tree, the space plot, the space-time image, the animation and the dendrogram:
the drawn data are the recorded values and the table's geometry."""

from __future__ import annotations

import shutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from brian2 import ms, mV, nS, um  # noqa: E402
from brian2.units.fundamentalunits import DimensionMismatchError  # noqa: E402
from PIL import Image  # noqa: E402

from cablemodel import (  # noqa: E402
    AMPA,
    Cell,
    LocationError,
    Result,
    Synapse,
    ball_and_stick,
    path,
    pyramidal,
    read_swc,
    simulate,
    spike_times,
    y_neuron,
)
from cablemodel.plotting import (  # noqa: E402
    animate,
    dendrogram_layout,
    plot_attenuation,
    plot_dendrogram,
    plot_morphology,
    plot_space,
    plot_space_time,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def y_table():
    return y_neuron().compartments()


@pytest.fixture(scope="module")
def epsp():
    """A 2 nS AMPA EPSP at the tip of the left daughter of the passive Y cell, every compartment
    recorded every 0.1 ms for 4 ms (numpy engine)."""
    syn = Synapse(AMPA, "left(1)", 2 * nS, spike_times([0.5] * ms))
    return simulate(Cell(y_neuron()), [syn], duration=4 * ms, engine="numpy", record="all",
                    record_dt=0.1 * ms)


def _row(result: Result, comp: int) -> np.ndarray:
    return result.v_mV[list(result.compartments).index(comp)]


# -- paths ---------------------------------------------------------------------------------------

def test_path_from_the_soma_to_a_tip_follows_parents_and_table_distances(y_table):
    t = y_table
    p = path(t, "left(1)")
    c = p.compartments
    assert c[0] == 0 and c[-1] == np.flatnonzero(t.section == "left")[-1]
    assert np.all(t.parent[c[1:]] == c[:-1])  # each compartment hangs from the one before
    assert list(dict.fromkeys(t.section[c].tolist())) == ["soma", "trunk", "left"]
    assert len(p) == 1 + (t.section == "trunk").sum() + (t.section == "left").sum()
    assert np.all(np.diff(p.distance_um) > 0)
    assert np.allclose(p.distance / um, t.distance[c], rtol=0, atol=1e-9)
    assert p.distance_um[-1] == pytest.approx(500 - 300 / 31 / 2)  # 200 um trunk + 300 um daughter


def test_path_to_a_distance_site_ends_in_the_compartment_holding_it(y_table):
    p = path(y_table, "apical@300")
    last = p.compartments[-1]
    assert y_table.start[last] <= 300 <= y_table.end[last]
    assert p.distance_um[-1] == pytest.approx(y_table.distance[last])


def test_path_between_the_two_daughters_turns_at_the_fork(y_table):
    t = y_table
    p = path(t, "right(1)", start="left(1)")
    c = p.compartments
    assert set(t.section[c].tolist()) == {"left", "right"}  # not through the trunk's last midpoint
    turn = int(np.flatnonzero(t.section[c] == "right")[0])
    assert t.parent[c[turn]] == t.parent[c[turn - 1]] == np.flatnonzero(t.section == "trunk")[-1]
    fork = float(t.end[np.flatnonzero(t.section == "trunk")[-1]])
    a, b = c[0], c[-1]
    assert fork == pytest.approx(200.0)
    assert p.distance_um[-1] == pytest.approx(t.distance[a] + t.distance[b] - 2 * fork)
    assert np.all(np.diff(p.distance_um) > 0)
    back = path(t, "left(1)", start="right(1)")
    assert np.array_equal(back.compartments, c[::-1])
    assert np.allclose(back.distance_um, p.distance_um[-1] - p.distance_um[::-1])


def test_path_between_an_ancestor_and_a_site_inside_a_section_is_the_stretch_between():
    t = ball_and_stick().compartments()
    p = path(t, "basal@300", start="basal@100")
    i, j = path(t, "basal@100").compartments[-1], path(t, "basal@300").compartments[-1]
    assert np.array_equal(p.compartments, np.arange(i, j + 1))
    assert np.allclose(p.distance_um, t.distance[i:j + 1] - t.distance[i])
    down = path(t, "basal@100", start="basal@300")
    assert np.array_equal(down.compartments, np.arange(j, i - 1, -1))
    axon_tip = int(np.flatnonzero(t.region == "axon")[-1])
    across = path(t, axon_tip, start="basal@300")  # dendrite to axon: through the soma
    assert 0 in across.compartments
    assert across.distance_um[-1] == pytest.approx(t.distance[j] + t.distance[axon_tip])


def test_path_to_an_swc_sample(tmp_path):
    f = tmp_path / "cell.swc"
    f.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 55 0 1 2\n4 3 0 105 0 1 3\n")
    t = read_swc(f)[0].compartments()
    p = path(t, "swc:3")
    assert p.compartments[-1] == t.swc_compartment[3]
    assert t.start[p.compartments[-1]] <= 50 <= t.end[p.compartments[-1]]


def test_path_refuses_one_compartment_and_unknown_sites(y_table):
    with pytest.raises(ValueError, match="same compartment"):
        path(y_table, "soma")
    with pytest.raises(LocationError, match="outside region 'apical'"):
        path(y_table, "apical@900")
    with pytest.raises(LocationError, match="does not exist"):
        path(y_table, 10_000)


# -- space plot ----------------------------------------------------------------------------------

def test_space_plot_draws_the_recorded_potentials_along_the_path(epsp):
    p = path(epsp.table, "left(1)")
    ax = plot_space(epsp, p, [1, 2.04, 4] * ms)  # 4 ms: the end of the run, the last sample
    assert [line.get_label() for line in ax.lines] == ["t = 1 ms", "t = 2 ms", "t = 3.9 ms"]
    for line, t_ms in zip(ax.lines, (1.0, 2.0, 3.9), strict=True):
        k = int(np.argmin(np.abs(epsp.t_ms - t_ms)))
        x, y = line.get_data()
        assert np.array_equal(x, p.distance_um)
        assert np.array_equal(y, [_row(epsp, c)[k] for c in p.compartments])
    # the EPSP is largest where it starts, at the synapse at the tip, early on
    x, y = ax.lines[0].get_data()
    assert np.argmax(y) == len(y) - 1 and y[-1] - epsp.v_rest_mV > 5 * (y[0] - epsp.v_rest_mV) > 0
    assert ax.get_xlabel() == "path distance from the soma (µm)" and ax.get_ylabel() == "V (mV)"


def test_space_plot_from_another_site_labels_its_start(epsp):
    ax = plot_space(epsp, "right(1)", 1.5 * ms, start="left(1)")
    x, y = ax.lines[0].get_data()
    assert ax.get_xlabel() == "distance along the path from left(1) (µm)"
    assert np.all(np.diff(x) > 0) and y[0] > y[-1]  # from the synapse to the other tip


def test_spatial_views_refuse_unrecorded_compartments_times_and_variables(epsp):
    r = Result.example()  # soma and hillock only
    with pytest.raises(ValueError, match=r'not recorded.*record="all"'):
        plot_space(r, "basal@100", 1 * ms)
    with pytest.raises(ValueError, match='record="all"'):
        plot_space_time(r, "hillock")
    with pytest.raises(ValueError, match='record="all"'):
        animate(r, "never.gif")
    with pytest.raises(ValueError, match=r"\[4.2, -1.0\] ms are outside the recording \(0-4 ms\)"):
        plot_space(epsp, "left(1)", [1, 4.2, -1] * ms)
    with pytest.raises(DimensionMismatchError):
        plot_space(epsp, "left(1)", 2.0)
    with pytest.raises(ValueError, match="variable 'm_na' is not recorded"):
        plot_space(epsp, "left(1)", 1 * ms, variable="m_na")


# -- space-time image ----------------------------------------------------------------------------

def test_space_time_image_holds_the_recording_with_distance_and_time_extent(epsp):
    p = path(epsp.table, "right(1)", start="left(1)")
    ax = plot_space_time(epsp, p)
    (image,) = ax.images
    expected = np.array([_row(epsp, c) for c in p.compartments])
    assert np.array_equal(image.get_array(), expected)
    x0, x1, y0, y1 = image.get_extent()
    assert (x0, x1) == pytest.approx((0.0, 3.9)) and epsp.t_ms[-1] == pytest.approx(3.9)
    assert (y0, y1) == pytest.approx((0.0, p.distance_um[-1]), rel=1e-6)
    assert ax.get_xlim() == pytest.approx((0.0, 3.9))
    assert ax.get_ylim() == pytest.approx((0.0, p.distance_um[-1]))
    assert image.norm.vmin == pytest.approx(expected.min()) and image.norm.vmax == expected.max()
    assert ax.figure.axes[-1].get_ylabel() == "V (mV)"
    assert ax.get_xlabel() == "time (ms)" and "(µm)" in ax.get_ylabel()
    ax.figure.tight_layout()  # the image knows where it is (NonUniformImage keeps no extent)
    fixed = plot_space_time(epsp, p, value_range=(-70 * mV, -40 * mV)).images[0].norm
    assert (fixed.vmin, fixed.vmax) == (-70.0, -40.0)


# -- animation -----------------------------------------------------------------------------------

def test_gif_has_the_frames_asked_for_with_one_colour_scale(epsp, tmp_path):
    out = animate(epsp, tmp_path / "v.gif", frames=4, dpi=30, fps=5)
    with Image.open(out) as gif:
        assert gif.n_frames == 4
        assert gif.info["duration"] == pytest.approx(200, abs=10)  # 5 frames per second
        first = np.asarray(gif.convert("RGB"), dtype=int)
        gif.seek(1)
        second = np.asarray(gif.convert("RGB"), dtype=int)
    assert np.abs(first - second).sum() > 0  # the EPSP changes the colours
    picked = animate(epsp, tmp_path / "t.gif", times=[1, 2] * ms, dpi=30)
    with Image.open(picked) as gif:
        assert gif.n_frames == 2


def test_animate_refuses_bad_requests(epsp, tmp_path):
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        animate(epsp, tmp_path / "v.avi")
    with pytest.raises(ValueError, match=r"frames must be between 1 and the number of samples \(40\)"):
        animate(epsp, tmp_path / "v.gif", frames=100)
    if shutil.which("ffmpeg") is None:
        with pytest.raises(RuntimeError, match="needs ffmpeg"):
            animate(epsp, tmp_path / "v.mp4")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not on the PATH")
def test_mp4_is_written_with_ffmpeg(epsp, tmp_path):
    out = animate(epsp, tmp_path / "v.mp4", frames=3, dpi=30)
    assert out.read_bytes()[4:8] == b"ftyp"  # an MP4 container


# -- dendrogram ----------------------------------------------------------------------------------

def test_dendrogram_sections_are_as_long_as_the_sections():
    morph = pyramidal()
    t = morph.compartments()
    layout = dendrogram_layout(t)
    seg = layout.segments
    assert seg.shape == (len(t), 2, 2)
    assert np.all(seg[:, 0, 0] == seg[:, 1, 0])  # vertical
    for sec in morph.sections[1:]:
        rows = t.section == sec.name
        assert np.sum(seg[rows, 1, 1] - seg[rows, 0, 1]) == pytest.approx(sec.length)
        assert len(set(seg[rows, 0, 0].tolist())) == 1  # one column per section
    child = np.flatnonzero(t.parent >= 0)
    assert np.allclose(seg[child, 0, 1], seg[t.parent[child], 1, 1])  # starts where its parent ends
    tips = np.flatnonzero((t.n_children == 0) & (t.parent >= 0))
    assert np.array_equal(np.sort(layout.x[tips]), np.arange(tips.size))
    forks = np.flatnonzero(t.n_children >= 2)
    assert len(layout.connectors) == forks.size
    for i, ((x0, y0), (x1, y1)) in zip(forks, layout.connectors, strict=True):
        kids = np.flatnonzero(t.parent == i)  # a fork sits at the mean of its children ...
        assert layout.x[i] == pytest.approx(layout.x[kids].mean())
        assert (x0, x1) == (layout.x[kids].min(), layout.x[kids].max())  # ... joined at its top
        assert y0 == y1 == seg[i, 1, 1] == pytest.approx(t.end[i])


def test_dendrogram_layout_with_other_lengths_accumulates_them(y_table):
    t = y_table
    lengths = np.where(t.region == "apical", 2.0, 0.5)
    seg = dendrogram_layout(t, lengths=lengths).segments
    tip = np.flatnonzero(t.section == "left")[-1]
    assert seg[tip, 1, 1] == pytest.approx(2.0 * ((t.section == "trunk").sum() + (t.section == "left").sum()))
    with pytest.raises(ValueError, match=">= 0"):
        dendrogram_layout(t, lengths=-lengths)
    with pytest.raises(ValueError, match=r"expected shape \(108,\)"):
        dendrogram_layout(t, lengths=lengths[:5])


def test_dendrogram_colours_map_the_values(epsp):
    t = epsp.table
    k = int(np.argmin(np.abs(epsp.t_ms - 1.5)))
    v = np.array([_row(epsp, i)[k] for i in range(len(t))]) * mV
    ax = plot_dendrogram(t, values=v, label="V at 1.5 ms")
    (lines,) = [c for c in ax.collections if c.get_gid() == "dendrogram"]
    ax.figure.canvas.draw()
    plain = np.asarray(v / mV)
    assert np.array_equal(lines.get_array(), plain)
    assert np.allclose(lines.get_colors(), lines.cmap(lines.norm(plain)))
    assert (lines.norm.vmin, lines.norm.vmax) == (plain.min(), plain.max())
    assert ax.figure.axes[-1].get_ylabel() == "V at 1.5 ms (mV)"
    assert ax.get_ylabel() == "path distance from the soma (µm)"
    tip = np.flatnonzero(t.section == "left")[-1]
    assert lines.get_colors()[tip] == pytest.approx(lines.cmap(1.0))  # the synapse is the highest


def test_dendrogram_without_values_colours_regions(y_table):
    ax = plot_dendrogram(y_table)
    (lines,) = [c for c in ax.collections if c.get_gid() == "dendrogram"]
    colors = lines.get_colors()
    assert np.allclose(colors[np.flatnonzero(y_table.region == "apical")[0]],
                       matplotlib.colors.to_rgba("royalblue"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == y_table.regions


# -- units in labels -----------------------------------------------------------------------------

def test_lengths_are_written_in_micrometres(y_table):
    ax = plot_morphology(y_table, values=y_table.distance * um, label="path distance")
    assert ax.figure.axes[-1].get_ylabel() == "path distance (µm)"
    (bar,) = [t for t in ax.texts if t.get_gid() == "scale_bar"]
    assert bar.get_text().endswith(" µm")
    att = plot_attenuation([{"distance_um": 50, "local_peak_mV": 4, "hillock_peak_mV": 2},
                            {"distance_um": 200, "local_peak_mV": 5, "hillock_peak_mV": 1}],
                           lambda_theory_um=290.0, lambda_fit_epsp_um=240.0)
    assert att.get_xlabel() == "synapse path distance from soma (µm)"
    legend = [t.get_text() for t in att.get_legend().get_texts()]
    assert "fit: λ_EPSP = 240 µm" in legend and "steady-state theory: λ = 290 µm" in legend
    figure_text = [att.get_xlabel(), ax.figure.axes[-1].get_ylabel(), bar.get_text(), *legend]
    assert not any("um" in s.split() or "(um)" in s for s in figure_text)


def test_morphology_colour_scale_can_be_fixed(y_table):
    v = (-65 + 10 * np.exp(-y_table.distance / 200)) * mV
    ax = plot_morphology(y_table, values=v, value_range=(-70 * mV, -50 * mV))
    assert ax.figure.axes[-1].get_ylim() == pytest.approx((-70.0, -50.0))
    with pytest.raises(DimensionMismatchError):
        plot_morphology(y_table, values=v, value_range=(-70, -50))
    with pytest.raises(ValueError, match="low < high"):
        plot_morphology(y_table, values=v, value_range=(-50 * mV, -70 * mV))


def test_path_and_dendrogram_on_a_real_cell_with_a_contour_soma(shared):
    """A CA1 reconstruction whose soma is a contour: its sections start 27.7 um from the
    distance origin (origin_distance), and paths and the dendrogram keep that offset."""
    morph, _ = read_swc(shared / "real" / "ca1pyr_rat_c91662_variant_contour_soma.swc")
    t = morph.compartments()
    tips = np.flatnonzero((t.n_children == 0) & (t.parent >= 0))
    far = int(tips[np.argmax(t.distance[tips])])
    p = path(t, f"swc:{t.swc_ids[far][-1]}")  # the sample at the farthest tip
    assert p.compartments[-1] == far and p.compartments[0] == 0
    assert np.all(t.parent[p.compartments[1:]] == p.compartments[:-1])
    assert np.allclose(p.distance_um, t.distance[p.compartments], rtol=0, atol=1e-9)
    assert np.all(np.diff(p.distance_um) > 0) and p.distance_um[-1] == pytest.approx(874.65, abs=0.01)
    seg = dendrogram_layout(t).segments
    offset = max(s.origin_distance for s in morph.sections)
    assert offset == pytest.approx(27.68, abs=0.01)
    assert np.array_equal(seg[:, 0, 1], t.start) and np.array_equal(seg[:, 1, 1], t.end)
    for sec in morph.sections[1:]:
        rows = t.section == sec.name
        assert np.sum(seg[rows, 1, 1] - seg[rows, 0, 1]) == pytest.approx(sec.length)
