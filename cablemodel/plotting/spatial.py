"""Views in space: a variable along a path at chosen times, the same as a distance x time image,
and the cell's shape coloured by it over time as an animation (GIF, or MP4 with ffmpeg).

Each takes a :class:`~cablemodel.simulation.results.Result` whose compartments on the path (the
whole cell for :func:`animate`) were recorded, e.g. ``simulate(cell, ..., record="all")``.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Quantity, ms, mV
from brian2.units.fundamentalunits import fail_for_dimension_mismatch
from matplotlib.axes import Axes
from matplotlib.image import NonUniformImage

from ..morphology.paths import TreePath, path
from ..places import Location
from ..simulation.results import Result
from .figures import _axes, _value_norm, _with_unit, plot_morphology

__all__ = ["plot_space", "plot_space_time", "animate"]

#: Variables a Result holds: name -> (label, unit as printed, unit of the plain values).
_VARIABLES = {"v": ("V", "mV", mV)}


def _recorded(result: Result, variable: str, compartments: np.ndarray) -> np.ndarray:
    """Samples of ``variable`` at ``compartments`` (one row each, in their order; plain floats in
    the unit of :data:`_VARIABLES`); refuses a compartment that was not recorded."""
    if variable not in _VARIABLES:
        raise ValueError(f"variable {variable!r} is not recorded in a Result; recorded: "
                         f"{sorted(_VARIABLES)}")
    rows = {}
    for row, comp in enumerate(np.asarray(result.compartments, dtype=int)):
        rows.setdefault(int(comp), row)
    missing = [int(c) for c in compartments if int(c) not in rows]
    if missing:
        shown = ", ".join(f"#{c}" for c in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise ValueError(
            f"{len(missing)} of the {len(compartments)} compartments needed were not recorded"
            f" ({shown}); simulate with record=\"all\", or record the path's compartments"
            " (record=[f\"#{i}\" for i in path(cell.table, ...).compartments])")
    return result.v_mV[[rows[int(c)] for c in compartments]]


def _as_path(result: Result, end: str | Location | int | TreePath,
             start: str | Location | int) -> TreePath:
    return end if isinstance(end, TreePath) else path(result.table, end, start)


def _sample_indices(result: Result, times) -> np.ndarray:
    """Index of the sample nearest to each time; refused before the first sample or later than
    one sample interval after the last (the end of the run)."""
    fail_for_dimension_mismatch(times, ms, f"times must be times (e.g. [2, 5]*ms), got {times!r}")
    t = np.atleast_1d(np.asarray(Quantity(times) / ms, dtype=float))
    t_ms = np.asarray(result.t_ms, dtype=float)
    step = float(t_ms[1] - t_ms[0]) if t_ms.size > 1 else 0.0
    end = t_ms[-1] + step
    outside = t[~((t >= t_ms[0]) & (t <= end + 1e-9 * max(step, 1.0)))]
    if outside.size:
        raise ValueError(f"times {outside.tolist()} ms are outside the recording"
                         f" ({t_ms[0]:g}-{end:g} ms); choose times within it")
    return np.abs(t_ms[None, :] - t[:, None]).argmin(axis=1)


def _distance_label(p: TreePath) -> str:
    if p.start == "soma":
        return "path distance from the soma (µm)"
    return f"distance along the path from {p.start} (µm)"


def plot_space(result: Result, end: str | Location | int | TreePath, times: Quantity,
               variable: str = "v", start: str | Location | int = "soma", ax: Axes | None = None
               ) -> Axes:
    """``variable`` along the path from ``start`` to ``end`` at each of ``times``: one line per
    time, distance along the path (µm) across, the variable (V in mV) up.

    Parameters
    ----------
    result : Result
        With every compartment on the path recorded (``record="all"``).
    end, start : site string, Location, compartment index, or a TreePath as ``end``
        The path (:func:`~cablemodel.morphology.paths.path`): e.g. ``"left(1)"`` for the tip of
        section ``left``, ``"apical@300"``, ``"swc:123"``, ``"#50"``; from the soma by default.
    times : Brian2 quantity
        One time or several; each line shows the sample nearest to it, labelled with that
        sample's time (``"t = 2 ms"``).
    variable : str
        ``"v"`` (membrane potential).
    ax : matplotlib Axes, optional

    Raises
    ------
    ValueError
        A compartment on the path that was not recorded, a time outside the recording, or an
        unknown variable.

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import ms
    >>> from cablemodel import Result, y_neuron
    >>> t = y_neuron().compartments()
    >>> t_ms = np.arange(5.0)
    >>> v = -65 + np.outer(np.exp(-t.distance / 100), t_ms)  # one row per compartment
    >>> r = Result([f"#{i}" for i in range(len(t))], np.arange(len(t)), t_ms, v, np.array([]),
    ...            -65.0, t)
    >>> ax = plot_space(r, "left(1)", [1, 4] * ms)
    >>> [line.get_label() for line in ax.lines], ax.get_xlabel()
    (['t = 1 ms', 't = 4 ms'], 'path distance from the soma (µm)')
    """
    p = _as_path(result, end, start)
    values = _recorded(result, variable, p.compartments)
    ax = _axes(ax)
    for k in _sample_indices(result, times):
        ax.plot(p.distance_um, values[:, k], lw=1.2, label=f"t = {result.t_ms[k]:g} ms")
    name, unit, _ = _VARIABLES[variable]
    ax.set_xlabel(_distance_label(p))
    ax.set_ylabel(_with_unit(name, unit))
    ax.set_title(str(p), fontsize=9)
    ax.legend(fontsize=8)
    return ax


def plot_space_time(result: Result, end: str | Location | int | TreePath, variable: str = "v",
                    start: str | Location | int = "soma", ax: Axes | None = None,
                    cmap: str = "viridis", value_range: tuple[Quantity, Quantity] | None = None
                    ) -> Axes:
    """``variable`` along a path over the whole recording, as an image: time (ms) across,
    distance along the path (µm) up, colour the variable (colour bar ``"V (mV)"``).

    One pixel per sample and compartment (a :class:`matplotlib.image.NonUniformImage`, centred on
    the sample times and the compartments' path distances, which need not be evenly spaced); the
    image spans the first to the last sample and the first to the last compartment's midpoint.

    Parameters
    ----------
    result, end, start, variable, ax
        As for :func:`plot_space`.
    cmap : str
        Matplotlib colour map.
    value_range : (low, high), optional
        The colour scale's ends (quantities, e.g. ``(-70*mV, -60*mV)``); the values' min-max
        otherwise.

    Example
    -------
    >>> import numpy as np
    >>> from cablemodel import Result, y_neuron
    >>> t = y_neuron().compartments()
    >>> t_ms = np.arange(5.0)
    >>> v = -65 + np.outer(np.exp(-t.distance / 100), t_ms)
    >>> r = Result([f"#{i}" for i in range(len(t))], np.arange(len(t)), t_ms, v, np.array([]),
    ...            -65.0, t)
    >>> ax = plot_space_time(r, "left(1)")
    >>> ax.images[0].get_array().shape  # compartments on the path x samples
    (53, 5)
    >>> ax.figure.axes[-1].get_ylabel()
    'V (mV)'
    """
    p = _as_path(result, end, start)
    values = _recorded(result, variable, p.compartments)
    name, unit, ref = _VARIABLES[variable]
    norm = _value_norm(values.ravel(), ref, value_range)
    ax = _axes(ax)
    image = NonUniformImage(ax, interpolation="nearest", cmap=cmap, norm=norm)
    t_ms = np.asarray(result.t_ms, dtype=float)
    image.set_data(t_ms, p.distance_um, values)
    image.set_extent(image.get_extent())  # stored, for layouts that ask where the image is
    ax.add_image(image)
    ax.set_xlim(t_ms[0], t_ms[-1])
    ax.set_ylim(p.distance_um[0], p.distance_um[-1])
    ax.figure.colorbar(image, ax=ax, label=_with_unit(name, unit))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(_distance_label(p))
    ax.set_title(str(p), fontsize=9)
    return ax


def animate(result: Result, filename: str | Path, times: Quantity | None = None, frames: int = 20,
            variable: str = "v", projection: str = "xy", fps: float = 10, cmap: str = "viridis",
            value_range: tuple[Quantity, Quantity] | None = None, dpi: int = 80) -> Path:
    """The cell's shape (:func:`~cablemodel.plotting.figures.plot_morphology`) coloured by
    ``variable`` at successive times, written as an animation: a GIF (Pillow) or, when ffmpeg is
    on the PATH, an MP4 (chosen by the file's suffix).

    Every frame shares one colour scale (``value_range``, or the min-max of the whole recording)
    and is titled with its time (``"t = 2.5 ms"``).

    Parameters
    ----------
    result : Result
        With every compartment recorded (``record="all"``).
    filename : str or Path
        ``*.gif`` or ``*.mp4``.
    times : Brian2 quantity, optional
        The frames' times (nearest samples); otherwise ``frames`` samples evenly spread over the
        recording.
    frames : int
        Number of frames when ``times`` is not given.
    variable, projection, cmap
        ``"v"``; ``"xy"``, ``"xz"`` or ``"yz"``; a Matplotlib colour map.
    fps : float
        Frames per second.
    value_range : (low, high), optional
        The colour scale's ends (quantities, e.g. ``(-70*mV, 30*mV)``).
    dpi : int
        Resolution of the frames.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        A compartment that was not recorded, a suffix other than .gif/.mp4, or ``frames`` not
        between 1 and the number of samples.
    RuntimeError
        An MP4 without ffmpeg on the PATH, or a GIF without Pillow installed.

    Example
    -------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from PIL import Image
    >>> from cablemodel import Result, y_neuron
    >>> t = y_neuron().compartments()
    >>> t_ms = np.arange(5.0)
    >>> v = -65 + np.outer(np.exp(-t.distance / 100), t_ms)
    >>> r = Result([f"#{i}" for i in range(len(t))], np.arange(len(t)), t_ms, v, np.array([]),
    ...            -65.0, t)
    >>> out = animate(r, pathlib.Path(tempfile.mkdtemp()) / "v.gif", frames=3, dpi=40)
    >>> Image.open(out).n_frames
    3
    """
    filename = Path(filename)
    suffix = filename.suffix.lower()
    if suffix == ".gif":
        if importlib.util.find_spec("PIL") is None:
            raise RuntimeError("writing a GIF needs Pillow: pip install 'cablemodel[anim]'")
        from matplotlib.animation import PillowWriter

        writer = PillowWriter(fps=fps)
    elif suffix == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise RuntimeError("writing an MP4 needs ffmpeg on the PATH; install it, or write a"
                               " .gif instead")
        from matplotlib.animation import FFMpegWriter

        writer = FFMpegWriter(fps=fps)
    else:
        raise ValueError(f"animate writes .gif or .mp4 files, got {filename.name!r}")
    table = result.table
    values = _recorded(result, variable, np.arange(len(table)))
    n_samples = values.shape[1]
    if times is not None:
        index = _sample_indices(result, times)
    elif 1 <= frames <= n_samples:
        index = np.linspace(0, n_samples - 1, int(frames)).round().astype(int)
    else:
        raise ValueError(f"frames must be between 1 and the number of samples ({n_samples}),"
                         f" got {frames}")
    name, unit, ref = _VARIABLES[variable]
    norm = _value_norm(values.ravel(), ref, value_range)
    fig, ax = plt.subplots(figsize=(6, 5))
    try:
        plot_morphology(table, ax=ax, values=values[:, index[0]], label=_with_unit(name, unit),
                        projection=projection, cmap=cmap, value_range=(norm.vmin, norm.vmax))
        (lines,) = [c for c in ax.collections if c.get_gid() == "morphology"]
        somas = [p for p in ax.patches if p.get_gid() == "soma"]
        child = np.flatnonzero(np.asarray(table.parent) >= 0)
        soma_rows = np.flatnonzero(np.asarray(table.parent) < 0)
        title = ax.set_title("", fontsize=10)

        def draw(k: int):
            lines.set_array(values[child, k])
            for patch, i in zip(somas, soma_rows, strict=True):
                patch.set_color(lines.cmap(lines.norm(values[i, k])))
            title.set_text(f"t = {result.t_ms[k]:g} ms")
            return [lines, title, *somas]

        from matplotlib.animation import FuncAnimation

        anim = FuncAnimation(fig, draw, frames=[int(k) for k in index], blit=False, repeat=False)
        anim.save(filename, writer=writer, dpi=dpi)
    finally:
        plt.close(fig)
    return filename
