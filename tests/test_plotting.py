"""Shape plot: segments, soma, colours, colour bar, scale bar and projections."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from brian2 import mV  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from cablemodel import Morphology, Section, pyramidal  # noqa: E402
from cablemodel.plotting import SCALE_BAR_UM, plot_morphology, scale_bar_length  # noqa: E402

ROUND = {10, 20, 50, 100, 200, 500}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def table():
    return pyramidal().compartments()


def _segments(ax) -> LineCollection:
    (lines,) = [c for c in ax.collections if c.get_gid() == "morphology"]
    return lines


def _scale_bar_um(ax) -> float:
    (text,) = [t for t in ax.texts if t.get_gid() == "scale_bar"]
    value, unit = text.get_text().split()
    assert unit == "µm"
    return float(value)


def test_one_segment_per_compartment_joined_to_its_parent(table):
    ax = plot_morphology(table)
    segs = _segments(ax).get_segments()
    assert len(segs) == len(table) - 1 == np.count_nonzero(table.region != "soma")
    # segment k joins compartment k+1's parent midpoint to its own midpoint (x-y)
    for k in (0, 5, len(table) - 2):
        i = k + 1
        p = table.parent[i]
        assert np.allclose(segs[k], [[table.x[p], table.y[p]], [table.x[i], table.y[i]]])
    widths = _segments(ax).get_linewidths()
    trunk = np.flatnonzero(table.section == "trunk0")[0] - 1
    thin = np.flatnonzero(table.section == "basal0_0")[0] - 1
    assert widths[trunk] > widths[thin]  # 4 um trunk drawn thicker than a 1 um basal branch
    (soma,) = [p for p in ax.patches if isinstance(p, Circle)]
    assert soma.get_radius() == pytest.approx(table.diameter[0] / 2) == pytest.approx(10.0)


def test_region_colours_and_legend(table):
    ax = plot_morphology(table)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == table.regions
    colors = _segments(ax).get_colors()
    basal = np.flatnonzero(table.region == "basal")[0] - 1
    apical = np.flatnonzero(table.region == "apical")[0] - 1
    assert np.allclose(colors[basal], matplotlib.colors.to_rgba("seagreen"))
    assert np.allclose(colors[apical], matplotlib.colors.to_rgba("royalblue"))


def test_colour_bar_spans_the_values(table):
    ax = plot_morphology(table, values=table.distance, label="path distance (µm)")
    cbar_ax = ax.figure.axes[-1]
    assert cbar_ax is not ax
    assert cbar_ax.get_ylim() == pytest.approx((table.distance.min(), table.distance.max()))
    assert cbar_ax.get_ylabel() == "path distance (µm)"
    assert np.allclose(_segments(ax).get_array(), table.distance[1:])


def test_quantity_values_label_the_colour_bar_with_their_unit(table):
    v = (-65 + 10 * np.exp(-table.distance / 200)) * mV
    ax = plot_morphology(table, values=v, label="V at 5 ms")
    cbar_ax = ax.figure.axes[-1]
    assert cbar_ax.get_ylabel() == "V at 5 ms (mV)"
    assert cbar_ax.get_ylim() == pytest.approx((float(v.min() / mV), float(v.max() / mV)))


def test_scale_bar_is_a_round_length_from_the_extent(table):
    ax = plot_morphology(table)
    bar = _scale_bar_um(ax)
    extent = table.y.max() - table.y.min()  # the cell is taller than wide
    assert extent > table.x.max() - table.x.min()
    assert bar in ROUND
    assert bar <= extent / 4 < SCALE_BAR_UM[SCALE_BAR_UM.index(bar) + 1]
    short = _upright()  # 10 um soma, a 50 um branch along y, 300 um along z
    assert _scale_bar_um(plot_morphology(short, projection="xy")) == 10.0  # 60 um tall
    assert _scale_bar_um(plot_morphology(short, projection="xz")) == 50.0  # 310 um tall
    assert scale_bar_length(1000) == 200 and scale_bar_length(399) == 50 and scale_bar_length(45) == 10


def _upright():
    """A dendrite rising 300 um along +z and a short one along +y."""
    return Morphology((
        Section("soma", "soma", None, np.array([[0, 0, 0, 10.0]])),
        Section("up", "apical", "soma", np.array([[0, 0, 5, 1.0], [0, 0, 305, 1.0]]), 30),
        Section("side", "basal", "soma", np.array([[0, 5, 0, 1.0], [0, 55, 0, 1.0]]), 5),
    )).compartments()


def test_xz_projection_puts_z_on_the_vertical_axis():
    t = _upright()
    xz = plot_morphology(t, projection="xz")
    lo, hi = xz.get_ylim()
    assert lo <= t.z.min() and hi >= t.z.max() == pytest.approx(300.0)
    assert np.allclose(_segments(xz).get_segments()[-1][:, 1], 0.0)  # the +y branch is flat here
    xy = plot_morphology(t, projection="xy")
    assert xy.get_ylim()[1] < 100 < t.z.max()  # seen from above, the +z dendrite is a dot
    yz = plot_morphology(t, projection="yz")
    assert yz.get_xlim()[1] >= t.y.max() == pytest.approx(50.0) and yz.get_ylim()[1] >= 300


def test_marks_accept_indices_and_sites(table):
    i = int(np.flatnonzero(table.section == "tuft1")[-1])
    ax = plot_morphology(table, marks={"tip": i, "syn": "basal@100"})
    texts = {t.get_text(): t.xy for t in ax.texts if t.get_gid() != "scale_bar"}
    assert texts["tip"] == pytest.approx((table.x[i], table.y[i]))
    from cablemodel.places import parse_site

    j = parse_site("basal@100").resolve(table)
    assert texts["syn"] == pytest.approx((table.x[j], table.y[j]))


def test_bad_projection_and_values_length(table):
    with pytest.raises(ValueError, match=r"projection must be one of \['xy', 'xz', 'yz'\], got 'zx'"):
        plot_morphology(table, projection="zx")
    with pytest.raises(ValueError, match=rf"expected {len(table)} values.*got shape \(10,\)"):
        plot_morphology(table, values=np.zeros(10))
    with pytest.raises(ValueError, match=rf"expected {len(table)} values"):
        plot_morphology(table, values=np.zeros(len(table) + 1) * mV)
    with pytest.raises(ValueError, match="all NaN"):
        plot_morphology(table, values=np.full(len(table), np.nan))


def test_soma_only_cell_draws_a_circle_and_no_segment():
    t = Morphology((Section("soma", "soma", None, np.array([[0, 0, 0, 20.0]])),)).compartments()
    ax = plot_morphology(t)
    assert len(_segments(ax).get_segments()) == 0
    assert [p.get_radius() for p in ax.patches if isinstance(p, Circle)] == [10.0]
    assert _scale_bar_um(ax) == 5.0
