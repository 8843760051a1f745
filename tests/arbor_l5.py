"""The shared L5 pyramidal cell with Hay et al. 2011's channels (:func:`cablemodel.mammalian_cell`)
in cablemodel and in Arbor, side by side in one process: the spike times of a somatic current
step and each simulator's run phase. For tests/test_l5_arbor.py and
benchmarks/vs_arbor_channels.py; needs ``arbor``.

Both simulators solve the same discrete system (:mod:`cablemodel.io.arbor`: one Arbor CV per
compartment, the same membrane, densities and initial state, the same fixed step). Spike times
are upward crossings of the cell's threshold (-20 mV) at the soma, interpolated linearly within
the step: cablemodel's spike detector, and the same rule on Arbor's soma potential sampled every
step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import ms, nA

from cablemodel import CurrentClamp, mammalian_cell, simulate
from cablemodel.io.arbor import run_arbor
from cablemodel.io.swc import read_swc

L5 = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies" / "real" / \
    "l5pyr_rat_pfc_acker_antic2008.swc"
#: The somatic current step: amplitude (nA) and start (ms); the current lasts ``current_ms``.
AMPLITUDE_NA = 0.5
START_MS = 20.0


def l5_morphology():
    """The L5 morphology with its apical tree named (272 compartments, d_lambda), or ``None``
    without the shared folder."""
    return read_swc(L5, detect_apical=True)[0] if L5.is_file() else None


@dataclass(frozen=True)
class SpikeComparison:
    """Spike times (ms) of both simulators and their run phases (s)."""

    ours: np.ndarray
    arbor: np.ndarray
    our_run_s: float
    arbor_run_s: float
    engine: str

    @property
    def max_error_ms(self) -> float:
        """Largest spike-time difference; if the counts differ, the whole run (as bad as can be)."""
        if len(self.ours) != len(self.arbor):
            return float("inf")
        return float(np.abs(self.ours - self.arbor).max()) if len(self.ours) else 0.0

    def summary(self) -> dict:
        return {"max_spike_time_error_ms": self.max_error_ms, "n_spikes": [len(self.ours),
                                                                          len(self.arbor)],
                "spike_times_ms": {"cablemodel": self.ours.tolist(), "arbor": self.arbor.tolist()},
                "run_s": {"cablemodel": self.our_run_s, "arbor": self.arbor_run_s},
                "engine": self.engine}


def compare_spikes(morphology, *, ih: bool = True, current_ms: float = 500.0,
                   amplitude_nA: float = AMPLITUDE_NA, dt_ms: float = 0.025,
                   engine: str = "numpy") -> SpikeComparison:
    """Run :func:`mammalian_cell` of ``morphology`` (34 degC, with or without Ih) with a somatic
    step of ``amplitude_nA`` from :data:`START_MS` for ``current_ms`` in both simulators."""
    cell = mammalian_cell(morphology, ih=ih)
    stop = START_MS + current_ms
    clamps = [CurrentClamp("soma", amplitude_nA * nA, START_MS * ms, stop * ms)]
    ours = simulate(cell, clamps=clamps, duration=stop * ms, dt=dt_ms * ms, engine=engine)
    theirs = run_arbor(cell, clamps, duration=stop * ms, dt=dt_ms * ms)
    return SpikeComparison(np.asarray(ours.spikes / ms), theirs["spikes_ms"],
                           float(ours.info["run_seconds"]), float(theirs["run_seconds"]),
                           str(ours.info["engine"]))
