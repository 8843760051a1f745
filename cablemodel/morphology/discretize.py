"""Discretization: how many compartments each section gets, by NEURON's d_lambda rule.

The rule
--------
A section is cut into ``n`` compartments so that none is longer than a fraction ``d_lambda`` of the
AC length constant at ``frequency`` (Hines & Carnevale, *The NEURON Book*, ch. 5):

    lambda_f = 1e5 * sqrt(d / (4 pi f Ri Cm))   um   (d in um, f in Hz, Ri in ohm*cm, Cm in uF/cm2)

    n = int((L / (d_lambda * lambda_f) + 0.9) / 2) * 2 + 1        (always odd)

For a section given as a polyline whose diameter varies, ``lambda_f`` is computed exactly as
``lambda_f()`` of NEURON's ``stdlib.hoc`` does it: the electrotonic length of the section is summed
over its 3-D points, each straight piece of length ``dx`` between diameters ``d1`` and ``d2``
contributing ``dx / sqrt(d1 + d2) * sqrt(2) * 1e-5 * sqrt(4 pi f Ri Cm)`` (the piece taken as a
cylinder of diameter ``(d1 + d2) / 2``), and ``lambda_f = L / (that sum)``.

The ``+ 0.9`` is the one of NEURON's ``fixnseg.hoc`` (``geom_nseg``) and of the NEURON Book.
NEURON's CellBuilder writes ``+ .999`` instead, which gives 2 more compartments to a section whose
``x = L / (d_lambda lambda_f)`` lies in ``[2k + 1.001, 2k + 1.1)`` (k = 0, 1, ...; about one section
in 20: 14 of the 193 sections of the shared CA1 cell at the defaults).

The soma (a sphere here) always keeps one compartment. With ``max_length`` a section also gets
enough compartments that none is longer than ``max_length`` (the larger count wins; counts stay
odd), as :meth:`Morphology.with_compartments` does.

Only ``n_compartments`` changes: the 3-D points are kept, and :meth:`Section.resampled` puts the
compartment boundaries at equal arc lengths along them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace

import numpy as np
from brian2 import Hz, Quantity, cm, ohm, uF, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from .batch import run_sums
from .model import Morphology, MorphologyError, Section, _recounted

__all__ = ["discretize", "DiscretizationReport", "lambda_f", "d_lambda_count",
           "DEFAULT_D_LAMBDA", "DEFAULT_FREQUENCY", "DEFAULT_RI", "DEFAULT_CM"]

#: Defaults of the rule: d_lambda = 0.1 of the length constant at 100 Hz, with Ri 100 ohm*cm and
#: Cm 1 uF/cm^2 (the project's default passive properties, see :class:`cablemodel.Cell`).
DEFAULT_D_LAMBDA = 0.1
DEFAULT_FREQUENCY = 100 * Hz
DEFAULT_RI = 100 * ohm * cm
DEFAULT_CM = 1 * uF / cm**2

#: Lengths within this (um) of a whole number of ``max_length`` do not get one more compartment.
_LENGTH_TOL_UM = 1e-9


def _quantity(value, unit, name: str, example: str) -> float:
    """``value`` in ``unit`` as a positive finite float; clear errors naming the parameter."""
    fail_for_dimension_mismatch(
        value, unit, f"{name} must be a quantity in units of {unit!r} (e.g. {example}), got {value!r}")
    v = float(Quantity(value) / unit)
    if not (math.isfinite(v) and v > 0):
        raise MorphologyError(f"{name} must be > 0 and finite, got {value!r}")
    return v


def _parameters(d_lambda, frequency, Ri, Cm) -> tuple[float, float, float, float]:
    fail_for_dimension_mismatch(
        d_lambda, None, f"d_lambda must be a dimensionless fraction (e.g. 0.1), got {d_lambda!r}")
    d = float(d_lambda)
    if not (math.isfinite(d) and d > 0):
        raise MorphologyError(f"d_lambda must be > 0 and finite, got {d_lambda!r}")
    return (d, _quantity(frequency, Hz, "frequency", "100*Hz"),
            _quantity(Ri, ohm * cm, "Ri", "100*ohm*cm"),
            _quantity(Cm, uF / cm**2, "Cm", "1*uF/cm**2"))


def _options(d_lambda, frequency, Ri, Cm, max_length) -> tuple[float, float, float, float, float | None]:
    """Checked parameters of :func:`discretize` as floats (Hz, ohm*cm, uF/cm^2, um or None)."""
    dl, f, ri, c = _parameters(d_lambda, frequency, Ri, Cm)
    cap = None if max_length is None else _quantity(max_length, um, "max_length", "20*um")
    return dl, f, ri, c, cap


def _lambda_f_um(sections: list[Section], f_hz: float, ri_ohm_cm: float,
                 cm_uf_cm2: float) -> list[float]:
    """NEURON's ``lambda_f`` (um) of each section's polyline (x, y, z, diameter in um), each
    computed as if alone."""
    if not sections:
        return []
    dx = np.concatenate([sec.segment_lengths for sec in sections])
    d = np.concatenate([sec.points[:, 3] for sec in sections])
    count = np.array([len(sec.points) - 1 for sec in sections])
    inside = np.ones(len(d) - 1, dtype=bool)
    inside[(np.cumsum(count + 1) - 1)[:-1]] = False  # from one section's end to the next's start
    electrotonic = run_sums(dx / np.sqrt(d[:-1] + d[1:])[inside], count)
    factor = math.sqrt(2.0) * 1e-5 * math.sqrt(4 * math.pi * f_hz * ri_ohm_cm * cm_uf_cm2)
    return [sec.length / (e * factor) for sec, e in zip(sections, electrotonic.tolist(),
                                                       strict=True)]


def _odd_count(length_um: float, lambda_um: float, d_lambda: float) -> int:
    return int((length_um / (d_lambda * lambda_um) + 0.9) / 2) * 2 + 1


def _odd_cap(length_um: float, max_um: float) -> int:
    n = max(1, math.ceil(length_um / max_um - _LENGTH_TOL_UM))
    return n + 1 if n % 2 == 0 else n


def lambda_f(section: Section, *, frequency=DEFAULT_FREQUENCY, Ri=DEFAULT_RI,
             Cm=DEFAULT_CM) -> Quantity:
    """AC length constant of a section at ``frequency``, as NEURON's ``lambda_f`` computes it.

    For a cylinder ``1e5 * sqrt(d / (4 pi f Ri Cm))`` um (d in um, f in Hz, Ri in ohm*cm, Cm in
    uF/cm^2); for a polyline with varying diameter, the section length divided by its electrotonic
    length summed over the 3-D points (see the module documentation). For the soma (a sphere) the
    cylinder formula with the soma diameter.

    Parameters
    ----------
    section : Section
    frequency : Quantity
        Frequency (Hz), 100 Hz by default.
    Ri : Quantity
        Axial resistivity (ohm*cm).
    Cm : Quantity
        Specific membrane capacitance (uF/cm^2).

    Returns
    -------
    Quantity
        A length (um).

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import um
    >>> dend = Section("dend", "basal", "soma", np.array([[0, 0, 0, 1], [500, 0, 0, 1]]))
    >>> round(float(lambda_f(dend) / um), 2)  # 1e5 * sqrt(1 / (4 pi 100 100 1))
    282.09
    """
    _, f, ri, c = _parameters(DEFAULT_D_LAMBDA, frequency, Ri, Cm)
    if section.parent is None:  # the soma sphere
        d = float(section.points[0, 3])
        return 1e5 * math.sqrt(d / (4 * math.pi * f * ri * c)) * um
    return _lambda_f_um([section], f, ri, c)[0] * um


def d_lambda_count(length, lambda_length, d_lambda: float = DEFAULT_D_LAMBDA) -> int:
    """Odd number of compartments for a section of ``length`` with length constant
    ``lambda_length``: ``int((L / (d_lambda * lambda_f) + 0.9) / 2) * 2 + 1``.

    Parameters
    ----------
    length, lambda_length : Quantity
        Lengths (e.g. um).
    d_lambda : float
        Largest compartment length as a fraction of ``lambda_length``.

    Returns
    -------
    int
        1, 3, 5, ...

    Example
    -------
    >>> from brian2 import um
    >>> d_lambda_count(100 * um, 282.09 * um), d_lambda_count(1000 * um, 282.09 * um)
    (5, 37)
    """
    fail_for_dimension_mismatch(
        d_lambda, None, f"d_lambda must be a dimensionless fraction (e.g. 0.1), got {d_lambda!r}")
    dl = float(d_lambda)
    if not (math.isfinite(dl) and dl > 0):
        raise MorphologyError(f"d_lambda must be > 0 and finite, got {d_lambda!r}")
    L = _quantity(length, um, "length", "100*um")
    lam = _quantity(lambda_length, um, "lambda_length", "300*um")
    return _odd_count(L, lam, dl)


@dataclass(frozen=True)
class DiscretizationReport:
    """What :func:`discretize` did. Lengths in um.

    Attributes
    ----------
    d_lambda, frequency_hz, Ri_ohm_cm, Cm_uF_per_cm2 : float
        Parameters of the rule (Hz, ohm*cm, uF/cm^2).
    max_length_um : float or None
        The cap on compartment length, if one was given.
    compartments_before, compartments_after : int
        Total compartments of the morphology before and after (soma included).
    regions : dict
        Region -> ``{"sections", "before", "after"}`` (section and compartment counts).
    lambda_f_min_um, lambda_f_max_um : float or None
        Range of ``lambda_f`` over the non-soma sections (``None`` when there are none).
    longest_compartment_um : float
        Longest compartment after discretization (0 for a soma-only morphology).
    capped_sections : int
        Sections that got more compartments from ``max_length`` than from the d_lambda rule.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> _, report = discretize(ball_and_stick())
    >>> report.regions["basal"], report.compartments_after
    ({'sections': 1, 'before': 151, 'after': 55}, 64)
    """

    d_lambda: float
    frequency_hz: float
    Ri_ohm_cm: float
    Cm_uF_per_cm2: float
    max_length_um: float | None
    compartments_before: int
    compartments_after: int
    regions: dict[str, dict[str, int]] = field(default_factory=dict)
    lambda_f_min_um: float | None = None
    lambda_f_max_um: float | None = None
    longest_compartment_um: float = 0.0
    capped_sections: int = 0

    def to_dict(self) -> dict:
        """Plain JSON-ready dict of every field (``"method": "d_lambda"`` added).

        Example
        -------
        >>> import json
        >>> from cablemodel import ball_and_stick
        >>> d = discretize(ball_and_stick())[1].to_dict()
        >>> json.loads(json.dumps(d))["frequency_hz"], d["method"]
        (100.0, 'd_lambda')
        """
        out = {
            "method": "d_lambda", "d_lambda": float(self.d_lambda),
            "frequency_hz": float(self.frequency_hz), "Ri_ohm_cm": float(self.Ri_ohm_cm),
            "Cm_uF_per_cm2": float(self.Cm_uF_per_cm2),
            "max_length_um": None if self.max_length_um is None else float(self.max_length_um),
            "compartments_before": int(self.compartments_before),
            "compartments_after": int(self.compartments_after),
            "regions": {r: {k: int(v) for k, v in c.items()} for r, c in self.regions.items()},
            "lambda_f_min_um": None if self.lambda_f_min_um is None else float(self.lambda_f_min_um),
            "lambda_f_max_um": None if self.lambda_f_max_um is None else float(self.lambda_f_max_um),
            "longest_compartment_um": float(self.longest_compartment_um),
            "capped_sections": int(self.capped_sections),
        }
        json.dumps(out)
        return out

    def format(self) -> str:
        """One-line summary.

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> print(discretize(ball_and_stick())[1].format())  # doctest: +NORMALIZE_WHITESPACE
        d_lambda 0.1 at 100 Hz (Ri 100 ohm*cm, Cm 1 uF/cm^2): 176 -> 64 compartments,
        lambda_f 282.1-345.5 um, longest compartment 30.0 um
        """
        text = (f"d_lambda {self.d_lambda:g} at {self.frequency_hz:g} Hz (Ri {self.Ri_ohm_cm:g} ohm*cm,"
                f" Cm {self.Cm_uF_per_cm2:g} uF/cm^2)")
        if self.max_length_um is not None:
            text += f", at most {self.max_length_um:g} um"
        text += f": {self.compartments_before} -> {self.compartments_after} compartments"
        if self.lambda_f_min_um is not None:
            text += (f", lambda_f {self.lambda_f_min_um:.1f}-{self.lambda_f_max_um:.1f} um,"
                     f" longest compartment {self.longest_compartment_um:.1f} um")
        return text


def discretize(morphology: Morphology, *, d_lambda: float = DEFAULT_D_LAMBDA,
               frequency=DEFAULT_FREQUENCY, Ri=DEFAULT_RI, Cm=DEFAULT_CM,
               max_length=None) -> tuple[Morphology, DiscretizationReport]:
    """Set every section's compartment count by NEURON's d_lambda rule (odd counts).

    Each non-soma section gets ``int((L / (d_lambda * lambda_f) + 0.9) / 2) * 2 + 1`` compartments,
    ``lambda_f`` being its AC length constant at ``frequency`` computed over its 3-D points as
    NEURON's ``lambda_f`` does (see :func:`lambda_f` and the module documentation). With
    ``max_length`` no compartment is longer than that either. The soma keeps one compartment.
    Coordinates are kept; only ``Section.n_compartments`` changes.

    Parameters
    ----------
    morphology : Morphology
    d_lambda : float
        Largest compartment length as a fraction of ``lambda_f`` (0.1 by default).
    frequency : Quantity
        Frequency of the length constant (Hz; 100 Hz by default).
    Ri : Quantity
        Axial resistivity (ohm*cm; 100 ohm*cm by default). Use the value the cell will have.
    Cm : Quantity
        Specific membrane capacitance (uF/cm^2; 1 uF/cm^2 by default).
    max_length : Quantity or None
        Optional cap on the compartment length (a length, e.g. ``20*um``).

    Returns
    -------
    (Morphology, DiscretizationReport)

    Raises
    ------
    brian2.DimensionMismatchError
        A parameter has the wrong units (the message names it).
    MorphologyError
        A parameter is not positive and finite.

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel import ball_and_stick
    >>> m, report = discretize(ball_and_stick(), max_length=20 * um)
    >>> m["dend"].n_compartments, m["hillock"].n_compartments, report.capped_sections
    (75, 3, 3)
    """
    if not isinstance(morphology, Morphology):
        raise TypeError(f"morphology must be a cablemodel Morphology, got {type(morphology)}")
    dl, f, ri, c, cap = _options(d_lambda, frequency, Ri, Cm, max_length)
    new: list[Section] = []
    regions: dict[str, dict[str, int]] = {}
    capped = 0
    longest = 0.0
    lambdas = _lambda_f_um(list(morphology.sections[1:]), f, ri, c)
    for k, sec in enumerate(morphology.sections):
        counts = regions.setdefault(sec.region, {"sections": 0, "before": 0, "after": 0})
        counts["sections"] += 1
        counts["before"] += sec.n_compartments
        if sec.parent is None:
            n = 1
        else:
            n = _odd_count(sec.length, lambdas[k - 1], dl)
            if cap is not None:
                n_cap = _odd_cap(sec.length, cap)
                if n_cap > n:
                    n, capped = n_cap, capped + 1
            longest = max(longest, sec.length / n)
        counts["after"] += n
        new.append(sec if n == sec.n_compartments else _recounted(sec, n))
    out = replace(morphology, sections=tuple(new))
    report = DiscretizationReport(
        d_lambda=dl, frequency_hz=f, Ri_ohm_cm=ri, Cm_uF_per_cm2=c, max_length_um=cap,
        compartments_before=morphology.n_compartments, compartments_after=out.n_compartments,
        regions=regions, lambda_f_min_um=min(lambdas) if lambdas else None,
        lambda_f_max_um=max(lambdas) if lambdas else None, longest_compartment_um=longest,
        capped_sections=capped)
    return out, report
