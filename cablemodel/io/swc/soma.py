"""The soma of an SWC file: its convention (single-point, three-point, contour, multi-point,
scattered) and its membrane area."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Three-point soma tolerance: relative (to the centre radius) and absolute (um); the larger wins.
THREE_POINT_RTOL = 0.05
THREE_POINT_ATOL_UM = 0.5


def _frustum_area(r1, r2, length):
    """Lateral area of frustums (um^2) from end radii and axial lengths (arrays or floats)."""
    return np.pi * (r1 + r2) * np.sqrt(np.square(length) + np.square(r1 - r2))



def _revolution_area(outline: np.ndarray, slices: int = 256) -> float:
    """Surface (um^2) of the body made by turning a closed 2-D outline about its first axis."""
    a, b = outline[:, 0], outline[:, 1]
    a0, a1 = a, np.roll(a, -1)
    b0, b1 = b, np.roll(b, -1)
    xs = np.linspace(a.min(), a.max(), slices + 1)
    span = a1 - a0
    safe = np.where(span == 0, 1.0, span)
    t = (xs[:, None] - a0[None, :]) / safe[None, :]
    hit = (span[None, :] != 0) & (t >= 0) & (t <= 1)
    bv = b0[None, :] + t * (b1 - b0)[None, :]
    top = np.max(np.where(hit, bv, -np.inf), axis=1)
    bottom = np.min(np.where(hit, bv, np.inf), axis=1)
    radius = np.where(hit.any(axis=1), (top - bottom) / 2, 0.0)
    return float(_frustum_area(radius[:-1], radius[1:], np.diff(xs)).sum())


# -- soma -------------------------------------------------------------------------------------------
@dataclass
class _Soma:
    convention: str
    area: float
    centre: np.ndarray
    detail: str
    warnings: list[str]


def _soma_shape(rows: list[int], parent: np.ndarray, xyz: np.ndarray, r: np.ndarray,
                seq: np.ndarray) -> _Soma:
    """Classify the soma samples ``rows`` (connected through soma-soma parent links)."""
    n = len(rows)
    if n == 1:
        k = rows[0]
        return _Soma("single-point", 4 * np.pi * r[k] ** 2, xyz[k].copy(),
                     f"one sample, a sphere of radius {r[k]:.4g} um", [])
    in_soma = set(rows)
    edges = [(k, int(parent[k])) for k in rows if parent[k] in in_soma]
    if n == 3:
        for c in rows:
            a, b = (k for k in rows if k != c)
            rc = r[c]
            tol = max(THREE_POINT_RTOL * rc, THREE_POINT_ATOL_UM)
            da, db = xyz[a] - xyz[c], xyz[b] - xyz[c]
            if (abs(r[a] - rc) <= tol and abs(r[b] - rc) <= tol
                    and abs(np.linalg.norm(da) - rc) <= tol and abs(np.linalg.norm(db) - rc) <= tol
                    and np.linalg.norm(da + db) <= tol):
                return _Soma("three-point", 4 * np.pi * rc**2, xyz[c].copy(),
                             f"centre sample and two samples at +-r, r = {rc:.4g} um"
                             f" (tolerance {tol:.3g} um): a sphere of radius r", [])
    degree = {k: 0 for k in rows}
    for k, p in edges:
        degree[k] += 1
        degree[p] += 1
    if n >= 4 and max(degree.values()) <= 2:
        contour = _contour(rows, edges, degree, xyz, r)
        if contour is not None:
            return contour
    kids = np.array([k for k, _ in edges])
    pars = np.array([p for _, p in edges])
    lengths = np.linalg.norm(xyz[kids] - xyz[pars], axis=1)
    pieces = _frustum_area(r[kids], r[pars], lengths)
    area = float(pieces.sum())
    contiguous = int(seq[rows].max() - seq[rows].min()) == n - 1
    convention = "multi-point" if contiguous and max(degree.values()) <= 2 else "scattered"
    warnings = []
    rmax = float(r[rows].max())
    if area > 0:
        centre = (0.5 * (xyz[kids] + xyz[pars]) * pieces[:, None]).sum(axis=0) / area
    else:
        centre = xyz[rows].mean(axis=0)
        area = 4 * np.pi * rmax**2
        warnings.append(f"the {n} soma samples all lie at one point: the soma was taken as a"
                        f" sphere of their largest radius ({rmax:.4g} um)")
    if area < 0.5 * 4 * np.pi * rmax**2:
        warnings.append(f"the {convention} soma's area ({area:.1f} um^2) is less than half that of"
                        f" a sphere of its largest radius ({rmax:.4g} um); check the soma samples")
    detail = (f"{n} samples, {len(edges)} frustums; area = sum of their lateral areas")
    return _Soma(convention, area, centre, detail, warnings)


def _contour(rows, edges, degree, xyz, r) -> _Soma | None:
    nbrs: dict[int, list[int]] = {k: [] for k in rows}
    for k, p in edges:
        nbrs[k].append(p)
        nbrs[p].append(k)
    ends = [k for k in rows if degree[k] <= 1]
    if len(ends) != 2:
        return None
    path, prev = [ends[0]], -1
    while len(path) < len(rows):
        nxt = [j for j in nbrs[path[-1]] if j != prev]
        prev = path[-1]
        path.append(nxt[0])
    pts = xyz[path]
    centre0 = pts.mean(axis=0)
    size = 2 * float(np.linalg.norm(pts - centre0, axis=1).max())
    if size <= 0:
        return None
    gap = float(np.linalg.norm(pts[0] - pts[-1]))
    closed = gap <= max(0.5, 0.05 * size)
    unique = pts[:-1] if closed else pts
    centre = unique.mean(axis=0)
    _, s, vt = np.linalg.svd(unique - centre, full_matrices=False)
    s = np.concatenate([s, np.zeros(3 - len(s))])
    planar = s[2] <= 0.15 * s[0]
    not_line = s[1] >= 0.2 * s[0]
    mean_dist = float(np.linalg.norm(unique - centre, axis=1).mean())
    thin = float(np.median(r[path])) <= 0.25 * mean_dist
    if not (planar and not_line and (closed or thin)):
        return None
    outline = (unique - centre) @ vt[:2].T
    area = _revolution_area(outline)
    if not area > 0:
        return None
    return _Soma("contour", area, centre,
                 f"{len(unique)}-point {'closed' if closed else 'open'} outline in one plane;"
                 " area of the body of revolution about its long axis", [])


