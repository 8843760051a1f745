"""CPU time of read_swc: files of 5,000 / 10,000 / 20,000 roots repaired (issue 8: 20,000 roots in
under 2 s, near-linear), and the shared real cells (when ../shared/morphologies is there).

Run: ``python benchmarks/read_speed.py`` (best of two runs per file, CPU seconds).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from cablemodel.io.swc import read_swc

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"


def roots_file(folder: Path, n: int) -> Path:
    """A soma and ``n - 1`` samples, each a root of its own, along a random walk (as the tests)."""
    rng = np.random.default_rng(n)
    xyz = np.cumsum(rng.normal(size=(n, 3)) * 3, axis=0)
    lines = ["1 1 0 0 0 5 -1"] + [f"{k + 1} 3 {x:.3f} {y:.3f} {z:.3f} 0.5 -1"
                                  for k, (x, y, z) in enumerate(xyz[1:], start=1)]
    path = folder / f"roots_{n}.swc"
    path.write_text("\n".join(lines) + "\n")
    return path


def cpu(path: Path, **kwargs) -> float:
    best = float("inf")
    for _ in range(2):
        t = time.process_time()
        read_swc(path, **kwargs)
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        read_swc(roots_file(Path(tmp), 500), repair=True)  # imports done
        for n in (5000, 10_000, 20_000):
            print(f"{n:>6,} roots: {cpu(roots_file(Path(tmp), n), repair=True):.2f} s")
    if (SHARED / "real").is_dir():
        files = sorted((SHARED / "real").glob("*.swc"))
        times = {f.name: cpu(f) for f in files}
        for name, t in times.items():
            print(f"{name}: {1000 * t:.0f} ms")
        print(f"the {len(files)} real cells: {sum(times.values()):.2f} s")


if __name__ == "__main__":
    main()
