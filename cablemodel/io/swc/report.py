"""The report of :func:`~cablemodel.io.swc.read_swc`: what was found, assumed and repaired."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .errors import _fmt_ids

__all__ = ["LoadReport"]


@dataclass
class LoadReport:
    """What :func:`read_swc` found, assumed and repaired. Lengths in um, areas in um^2.

    Attributes
    ----------
    file : str
        The path as given.
    points : int
        Samples (data lines) read from the file.
    sections, compartments : int
        Sections (soma included) and compartments of the returned morphology.
    soma_convention : str
        ``"single-point"``, ``"three-point"``, ``"contour"``, ``"multi-point"``, ``"scattered"``
        or ``"made-from-root"``.
    soma_area_um2, soma_diameter_um : float
        Area of the file's soma and the diameter of the soma sphere (of the equal-area sphere,
        unless the soma also has soma sections).
    soma_sections : int
        Soma sections of cable besides the sphere (a branched soma read as NEURON's Import3d
        reads it; 0 otherwise).
    total_length_um, surface_um2 : dict
        Per region (soma excluded from lengths), from the loaded polylines (frustum lateral areas).
    simulated_surface_um2 : dict
        Per region, the sum of the compartments' membrane areas: what the simulation uses. It
        equals ``surface_um2`` (to round-off): the compartments' areas are integrated over the
        same 3-D pieces.
    max_path_distance_um : float
        Longest path from the distance origin to a tip.
    attachment : str
        How neurites were attached to the soma: ``"neuron"`` (as NEURON's Import3d does) or
        ``"sphere"`` (each on the soma sphere at its own first sample); see
        :func:`~cablemodel.io.swc.read_swc`.
    scale : float
        Factor applied to coordinates and radii.
    regions : dict
        Type code (as str) -> region name, for the codes present.
    conventions, warnings : list of str
        Conventions detected, and things to look at.
    repairs : list of dict
        ``{"repair": name, "count": n, "ids": [...], "detail": str, "changes": [...]}`` for every
        repair made; ``changes`` has one record per sample changed, in the order of ``ids``:
        its ``"id"`` and ``"line"``, and ``"new_id"`` (``duplicate_id``), ``"attached_to"`` (the
        id it was attached to, ``None`` for a piece made the root) and ``"gap_um"``
        (``missing_parent``, ``extra_roots``), ``"old_um"``, ``"new_um"`` and ``"from_id"``
        (the sample whose radius it took, ``None`` for a fallback; ``radius``),
        ``"soma_radius_um"`` (``no_soma``), ``"into"`` (the sample it was merged into;
        ``merged_zero_length``, and ``dropped_soma_section``: soma samples at the position of
        their parent soma sample, whose soma section has no length); ``dropped_lone_point``
        records only the sample.
    discretization : dict
        How the compartments were set: ``"method"`` (``"d_lambda"``, ``"file"``,
        ``"max_length"`` or ``"swc"``), ``"compartments_before"`` (one per SWC segment, plus the soma),
        ``"compartments_after"``, ``"longest_compartment_um"``; for ``"d_lambda"`` also the
        parameters, the ``lambda_f`` range and the counts per region
        (:meth:`~cablemodel.morphology.discretize.DiscretizationReport.to_dict`); for
        ``"max_length"`` also ``"max_length_um"``.
    apical : dict
        Empty unless ``read_swc(..., detect_apical=True)``: then ``"detected"`` (bool),
        ``"reason"`` (why this stem, or why nothing was changed), ``"section"`` and ``"swc_id"``
        (the apical tree's first section and SWC sample), ``"relabelled_sections"``,
        ``"relabelled_length_um"`` and ``"stems"`` (per dendritic stem leaving the soma: its first
        ``"swc_id"``, ``"sections"`` on the soma, ``"length_um"`` of dendrite and ``"reach_um"``,
        the largest path distance of its tips), longest first. See
        :mod:`cablemodel.io.swc.apical`.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
    >>> from cablemodel import read_swc
    >>> report = read_swc(p)[1]
    >>> report.soma_convention, report.total_length_um
    ('single-point', {'basal': 100.0})
    """

    file: str
    points: int
    sections: int
    compartments: int
    soma_convention: str
    soma_area_um2: float
    soma_diameter_um: float
    total_length_um: dict[str, float]
    surface_um2: dict[str, float]
    max_path_distance_um: float
    simulated_surface_um2: dict[str, float] = field(default_factory=dict)
    attachment: str = "neuron"
    soma_sections: int = 0
    scale: float = 1.0
    regions: dict[str, str] = field(default_factory=dict)
    conventions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)
    discretization: dict = field(default_factory=dict)
    apical: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict of every field (floats, ints, str, lists, dicts).

        Example
        -------
        >>> import json, tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
        >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
        >>> from cablemodel import read_swc
        >>> json.loads(json.dumps(read_swc(p)[1].to_dict()))["points"]
        3
        """
        out = {
            "file": self.file, "points": int(self.points), "sections": int(self.sections),
            "compartments": int(self.compartments), "soma_convention": self.soma_convention,
            "soma_area_um2": float(self.soma_area_um2),
            "soma_diameter_um": float(self.soma_diameter_um),
            "total_length_um": {k: float(v) for k, v in self.total_length_um.items()},
            "surface_um2": {k: float(v) for k, v in self.surface_um2.items()},
            "simulated_surface_um2": {k: float(v) for k, v in self.simulated_surface_um2.items()},
            "max_path_distance_um": float(self.max_path_distance_um),
            "attachment": self.attachment, "soma_sections": int(self.soma_sections),
            "scale": float(self.scale), "regions": dict(self.regions),
            "conventions": list(self.conventions), "warnings": list(self.warnings),
            "repairs": [{"repair": r["repair"], "count": int(r["count"]),
                         "ids": [int(i) for i in r["ids"]], "detail": str(r.get("detail", "")),
                         "changes": json.loads(json.dumps(r.get("changes", [])))}
                        for r in self.repairs],
            "discretization": json.loads(json.dumps(self.discretization)),
            "apical": json.loads(json.dumps(self.apical)),
        }
        json.dumps(out)  # fail here, not in the caller, if something is not serializable
        return out

    def format(self) -> str:
        """Readable multi-line summary (lengths in um, areas in um^2).

        Example
        -------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
        >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
        >>> from cablemodel import read_swc
        >>> print(read_swc(p)[1].format().splitlines()[2])
          soma: single-point, area 314.2 um^2 (sphere of diameter 10 um)
        """
        lines = [
            f"SWC file {self.file}",
            f"  {self.points} samples -> {self.sections} sections, {self.compartments} compartments"
            + (f" (scale {self.scale:g})" if self.scale != 1.0 else ""),
            f"  soma: {self.soma_convention}, area {self.soma_area_um2:.1f} um^2"
            f" (sphere of diameter {self.soma_diameter_um:.4g} um"
            + (f" + {self.soma_sections} soma sections)" if self.soma_sections else ")"),
        ]
        if self.discretization:
            lines.append(f"  compartments: {_describe_discretization(self.discretization)}")
        lines.append(f"  {'region':<12}{'length (um)':>14}{'surface (um^2)':>17}"
                     f"{'simulated (um^2)':>19}")
        for region in self.surface_um2:
            length = self.total_length_um.get(region, 0.0)
            sim = self.simulated_surface_um2.get(region)
            lines.append(f"  {region:<12}{length:>14.1f}{self.surface_um2[region]:>17.1f}"
                         + (f"{sim:>19.1f}" if sim is not None else f"{'-':>19}"))
        lines.append(f"  neurites attached: {self.attachment}")
        if self.apical:
            lines.append(f"  apical detection: {'apical tree found' if self.apical['detected'] else 'none'}"
                         f" - {self.apical['reason']}")
        lines.append(f"  max path distance from the origin: {self.max_path_distance_um:.1f} um")
        for title, items in (("conventions", self.conventions), ("warnings", self.warnings)):
            if items:
                lines.append(f"  {title}:")
                lines += [f"    - {item}" for item in items]
        if self.repairs:
            lines.append("  repairs:")
            for r in self.repairs:
                lines.append(f"    - {r['repair']} x{r['count']} (ids {_fmt_ids(r['ids'])}):"
                             f" {r.get('detail', '')}")
        else:
            lines.append("  repairs: none")
        return "\n".join(lines)





def _describe_discretization(d: dict) -> str:
    """One line for :meth:`LoadReport.format`."""
    method = d.get("method")
    head = f"{d.get('compartments_before', '?')} -> {d.get('compartments_after', '?')}"
    if method == "d_lambda":
        text = (f"d_lambda {d['d_lambda']:g} at {d['frequency_hz']:g} Hz (Ri {d['Ri_ohm_cm']:g}"
                f" ohm*cm, Cm {d['Cm_uF_per_cm2']:g} uF/cm^2)")
        if d.get("max_length_um") is not None:
            text += f", at most {d['max_length_um']:g} um"
        if d.get("lambda_f_min_um") is not None:
            text += f", lambda_f {d['lambda_f_min_um']:.1f}-{d['lambda_f_max_um']:.1f} um"
    elif method == "file":
        text = "as declared in the file (# SECTION lines)"
    elif method == "max_length":
        text = f"at most {d['max_length_um']:g} um per compartment (odd counts)"
    else:
        text = "one per SWC segment"
    return (f"{text}: {head} compartments, longest"
            f" {d.get('longest_compartment_um', float('nan')):.1f} um")
