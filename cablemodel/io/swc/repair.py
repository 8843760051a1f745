"""Checks and repairs of an SWC tree: units, ids, parents, roots, cycles, radii and zero-length
segments; the result is a tree rooted at the soma."""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from .errors import _fmt_ids, _Problem, _raise
from .parse import _Parsed, _region_map

#: Names of the optional repairs (``read_swc(..., repair={...})``).
REPAIRS = ("radius", "missing_parent", "duplicate_id", "extra_roots", "no_soma")
#: Two samples closer than this (um) are at the same position.
ZERO_LENGTH_UM = 1e-9
#: Radii used by the ``"radius"`` repair when the file holds no valid radius at all (um).
FALLBACK_NEURITE_RADIUS_UM = 0.5
FALLBACK_SOMA_RADIUS_UM = 5.0
#: Nanometre heuristic, in file units.
NM_EXTENT = 20000.0
NM_SEGMENT = 200.0
NM_RADIUS = 20.0


def _nearest_source(adj: list[list[int]], xyz: np.ndarray, sources: np.ndarray,
                    passable: np.ndarray) -> np.ndarray:
    """For every node, the source node nearest by path length through passable nodes (or -1)."""
    dist = np.full(len(adj), np.inf)
    src = np.full(len(adj), -1)
    heap = []
    for k in np.flatnonzero(sources):
        dist[k], src[k] = 0.0, k
        heap.append((0.0, int(k)))
    heapq.heapify(heap)
    while heap:
        d, k = heapq.heappop(heap)
        if d > dist[k]:
            continue
        for j in adj[k]:
            if not passable[j]:
                continue
            nd = d + float(np.linalg.norm(xyz[j] - xyz[k]))
            if nd < dist[j]:
                dist[j], src[j] = nd, src[k]
                heapq.heappush(heap, (nd, j))
    return src


def _attach(main_rows: np.ndarray, pieces: dict[int, np.ndarray], xyz: np.ndarray,
            is_soma: np.ndarray) -> list[tuple[int, int, float]]:
    """Attach each piece by its anchor to the nearest row of the growing main tree, closest first.

    Returns ``(anchor, target, distance)`` in the order of attachment.
    """
    from scipy.spatial import cKDTree

    remaining = dict(pieces)
    best_any = {a: (math.inf, -1) for a in remaining}
    best_soma = {a: (math.inf, -1) for a in remaining}

    def _update(batch: np.ndarray) -> None:
        if not remaining:
            return
        anchors = np.array(sorted(remaining))
        d, i = cKDTree(xyz[batch]).query(xyz[anchors])
        for a, dd, ii in zip(anchors.tolist(), np.atleast_1d(d), np.atleast_1d(i),
                                 strict=True):
            if dd < best_any[a][0]:
                best_any[a] = (float(dd), int(batch[ii]))
        soma_batch = batch[is_soma[batch]]
        soma_anchors = anchors[is_soma[anchors]]
        if soma_batch.size and soma_anchors.size:
            d, i = cKDTree(xyz[soma_batch]).query(xyz[soma_anchors])
            for a, dd, ii in zip(soma_anchors.tolist(), np.atleast_1d(d), np.atleast_1d(i),
                                 strict=True):
                if dd < best_soma[a][0]:
                    best_soma[a] = (float(dd), int(soma_batch[ii]))

    def _best(a: int) -> tuple[float, int]:
        return best_soma[a] if is_soma[a] and best_soma[a][1] >= 0 else best_any[a]

    done = []
    _update(main_rows)
    while remaining:
        anchor = min(remaining, key=lambda a: (_best(a)[0], a))
        dist, target = _best(anchor)
        done.append((anchor, target, dist))
        _update(remaining.pop(anchor))
    return done




@dataclass
class _Tree:
    """A checked (and, where allowed, repaired) SWC tree rooted at the soma. Rows index samples."""

    n: int
    lines: np.ndarray          # file line of each row
    ids: list[int]             # sample id (duplicates renumbered)
    types: np.ndarray
    xyz: np.ndarray            # (n, 3) um
    r: np.ndarray              # radius, um
    is_soma: np.ndarray
    regions: dict[int, str]    # type code -> region name
    order: list[int]           # breadth-first from the soma root
    tree_parent: np.ndarray    # parent row in the rooted tree (-1 at the root)
    new_parent: np.ndarray     # parent after merging zero-length samples
    soma_rows: list[int]
    alive: np.ndarray          # False for merged samples
    kids: list[list[int]]      # children of each row (alive only), by id
    seq: np.ndarray
    factor: float
    soma_from_root: bool
    done: list[dict]           # repairs made


def check_and_repair(file: str, parsed: _Parsed, repairs: set[str], scale, conventions: list[str],
                     warnings: list[str]) -> _Tree:
    """Check the tree of ``parsed`` (raises SWCError with every problem not in ``repairs``),
    repair what may be repaired, root it at the soma and merge zero-length samples."""
    n = len(parsed.ids)
    lines = np.array(parsed.lines)
    orig_ids = list(parsed.ids)
    ids = list(parsed.ids)
    types = np.array(parsed.types)
    xyz = np.array(parsed.xyz, dtype=float).reshape(n, 3)
    r = np.array(parsed.radius, dtype=float)
    factor = 1.0 if scale is None else float(scale)
    if scale is not None:
        xyz = xyz * factor
        r = r * factor
        conventions.append(f"coordinates and radii multiplied by scale={factor:g}")
    regions, region_warnings = _region_map(types.tolist(), parsed.declared)
    warnings += region_warnings
    is_soma = types == 1
    problems: list[_Problem] = []
    done: list[dict] = []

    # ids: duplicates get new ids (used only if the repair is allowed)
    id_to_row: dict[int, int] = {}
    dup_rows = []
    for k, sid in enumerate(ids):
        if sid in id_to_row:
            dup_rows.append(k)
        else:
            id_to_row[sid] = k
    if dup_rows:
        next_id = max(ids) + 1
        for k in dup_rows:
            ids[k] = next_id
            id_to_row[next_id] = k
            next_id += 1
        dup_orig = sorted({orig_ids[k] for k in dup_rows})
        problems.append(_Problem(
            "duplicate_id", int(lines[dup_rows[0]]), dup_orig,
            f"id(s) {_fmt_ids(dup_orig)} used more than once (again at line(s)"
            f" {_fmt_ids(lines[dup_rows].tolist())})"))
    parent = np.array([-1 if p < 0 else id_to_row.get(p, -2) for p in parsed.parents])
    if min(ids) == 0:
        conventions.append("ids start at 0")
    if max(ids) - min(ids) + 1 != n and not dup_rows:
        conventions.append(f"ids are not contiguous ({max(ids) - min(ids) + 1 - n} gaps)")
    forward = int(np.sum(parent > np.arange(n)))
    if forward:
        conventions.append(f"{forward} samples are listed before their parent: the tree was"
                           " sorted by parent links")

    # units
    has_parent = parent >= 0
    seg = np.linalg.norm(xyz[has_parent] - xyz[parent[has_parent]], axis=1) / factor
    extent = float((xyz.max(axis=0) - xyz.min(axis=0)).max()) / factor
    positive = r[r > 0] / factor
    med_seg = float(np.median(seg)) if seg.size else 0.0
    med_r = float(np.median(positive)) if positive.size else 0.0
    if scale is None and (extent > NM_EXTENT or med_seg > NM_SEGMENT) and (
            med_r > NM_RADIUS or positive.size == 0):
        problems.append(_Problem(
            "units", int(lines[0]), [],
            f"coordinates look like nanometres (bounding box {extent:.4g}, median segment"
            f" {med_seg:.4g}, median radius {med_r:.4g} file units; a neuron in um has"
            " segments of a few um and radii of about 1 um)"))

    # missing parents, cycles, pieces
    orphans = np.flatnonzero(parent == -2)
    if orphans.size:
        missing = sorted({parsed.parents[k] for k in orphans})
        problems.append(_Problem(
            "missing_parent", int(lines[orphans[0]]), [ids[k] for k in orphans],
            f"sample(s) {_fmt_ids(ids[k] for k in orphans)} name parent(s)"
            f" {_fmt_ids(missing)} that do not exist"))
    anchor, cycles = _anchors(parent)
    if cycles:
        for cyc in cycles:
            cyc_ids = [ids[k] for k in sorted(cyc, key=lambda k: lines[k])]
            problems.append(_Problem(
                "cycles", int(min(lines[cyc])), cyc_ids,
                f"samples {_fmt_ids(cyc_ids)} form a cycle through the parent column"))
    pieces: dict[int, list[int]] = {}
    for k in range(n):
        if anchor[k] >= 0:
            pieces.setdefault(int(anchor[k]), []).append(k)
    main = -1
    if pieces:
        main = min(pieces, key=lambda a: (-int(is_soma[pieces[a]].sum()), int(parent[a] == -2),
                                          -len(pieces[a]), a))
        roots = [a for a in sorted(pieces) if parent[a] == -1 and a != main]
        if roots:
            problems.append(_Problem(
                "extra_roots", int(lines[roots[0]]), [ids[a] for a in roots],
                f"{len(roots)} tree(s) besides the main one start at root(s) (parent -1) with"
                f" id(s) {_fmt_ids(ids[a] for a in roots)}"))
        if not is_soma[pieces[main]].any():
            problems.append(_Problem(
                "no_soma", int(lines[main]), [ids[main]],
                f"no soma: no sample of type 1 (the root, id {ids[main]}, is of type"
                f" {types[main]})"))
    bad_r = np.flatnonzero(r <= 0)
    if bad_r.size:
        problems.append(_Problem(
            "radius", int(lines[bad_r[0]]), [ids[k] for k in bad_r],
            f"radius <= 0 at {bad_r.size} sample(s): id(s) {_fmt_ids(ids[k] for k in bad_r)}"))
    blocking = [p for p in problems if p.kind not in repairs]
    if blocking:
        _raise(file, problems)

    # -- repairs that change the topology
    if dup_rows:
        done.append({"repair": "duplicate_id", "count": len(dup_rows),
                     "ids": [orig_ids[k] for k in dup_rows],
                     "detail": "later copies renumbered: " + ", ".join(
                         f"{orig_ids[k]} (line {lines[k]}) -> {ids[k]}" for k in dup_rows[:20])
                     + (" ..." if len(dup_rows) > 20 else "")})
    others = {a: np.array(rows) for a, rows in pieces.items() if a != main}
    if others:
        attached = _attach(np.array(pieces[main]), others, xyz, is_soma)
        for kind in ("missing_parent", "extra_roots"):
            sel = [(a, t, d) for a, t, d in attached if (parent[a] == -2) == (kind ==
                                                                             "missing_parent")]
            if not sel:
                continue
            gaps = [d for _, _, d in sel]
            detail = (f"{len(sel)} piece(s) attached to the nearest sample; added gap length"
                      f" {sum(gaps):.4g} um in all, longest {max(gaps):.4g} um: "
                      + ", ".join(f"{ids[a]} -> {ids[t]} ({d:.3g} um)" for a, t, d in sel[:20])
                      + (" ..." if len(sel) > 20 else ""))
            done.append({"repair": kind, "count": len(sel), "ids": [ids[a] for a, _, _ in sel],
                         "detail": detail})
        for a, t, _ in attached:
            parent[a] = t
    if parent[main] == -2:
        done.append({"repair": "missing_parent", "count": 1, "ids": [ids[main]],
                     "detail": f"{ids[main]} (the largest piece) names a missing parent: it was"
                               " made the root"})
        parent[main] = -1
    soma_from_root = False
    if not is_soma[pieces[main]].any():
        soma_from_root = True
        k = main
        rad = r[k] if r[k] > 0 else FALLBACK_SOMA_RADIUS_UM
        done.append({"repair": "no_soma", "count": 1, "ids": [ids[k]],
                     "detail": f"made a spherical soma of radius {rad:.4g} um"
                               f"{' (fallback: the root radius is not valid)' if r[k] <= 0 else ''}"
                               f" at the root sample {ids[k]} (line {lines[k]}); the root stays"
                               " the first point of its neurites"})
        lines = np.append(lines, lines[k])
        ids.append(ids[k])
        orig_ids.append(orig_ids[k])
        types = np.append(types, 1)
        xyz = np.vstack([xyz, xyz[k]])
        r = np.append(r, rad)
        parent = np.append(parent, -1)
        parent[k] = n
        is_soma = np.append(is_soma, True)
        n += 1
    seq = np.arange(n)

    # -- root the tree at the soma
    adj: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        if parent[k] >= 0:
            adj[k].append(int(parent[k]))
            adj[int(parent[k])].append(k)
    id_arr = np.array(ids)
    for nb in adj:
        nb.sort(key=lambda j: id_arr[j])
    root = int(np.flatnonzero(parent == -1)[0])
    start = root
    if not is_soma[root]:
        order = _bfs(adj, root)[0]
        start = next(k for k in order if is_soma[k])
        warnings.append(f"the root (id {ids[root]}) is not a soma sample: the tree was re-rooted"
                        f" at the soma sample {ids[start]}")
    order, tree_parent = _bfs(adj, start)
    soma_rows = _bfs(adj, start, passable=is_soma)[0]
    detached = sorted(set(np.flatnonzero(is_soma).tolist()) - set(soma_rows))
    if detached:
        _raise(file, [_Problem("detached_soma", int(lines[detached[0]]),
                               [ids[k] for k in detached],
                               f"soma sample(s) {_fmt_ids(ids[k] for k in detached)} are not"
                               f" connected to the soma at id {ids[start]}")])

    # -- radii
    bad_r = np.flatnonzero(r <= 0)
    if bad_r.size:
        done.append(_repair_radii(bad_r, adj, xyz, r, is_soma, ids))

    # -- zero-length segments
    rep = np.arange(n)
    new_parent = tree_parent.copy()
    merged = []
    steps = _diameter_steps(order, tree_parent, xyz, r, types, regions, is_soma)
    for k in order[1:]:
        p = rep[tree_parent[k]]
        new_parent[k] = p
        if (not is_soma[k] and not is_soma[p] and k not in steps
                and np.linalg.norm(xyz[k] - xyz[p]) <= ZERO_LENGTH_UM):
            rep[k] = p
            merged.append(k)
    if merged:
        merged.sort(key=lambda j: id_arr[j])
        done.append({"repair": "merged_zero_length", "count": len(merged),
                     "ids": [ids[k] for k in merged],
                     "detail": "samples at exactly the position of their parent were removed"
                               " (their radius dropped) and their children re-attached to the"
                               " parent"})
    alive = np.ones(n, dtype=bool)
    alive[merged] = False
    kids: list[list[int]] = [[] for _ in range(n)]
    for k in order[1:]:
        if alive[k]:
            kids[int(new_parent[k])].append(k)
    for lst in kids:
        lst.sort(key=lambda j: id_arr[j])
    return _Tree(n=n, lines=lines, ids=ids, types=types, xyz=xyz, r=r, is_soma=is_soma,
                 regions=regions, order=order, tree_parent=tree_parent, new_parent=new_parent,
                 soma_rows=soma_rows, alive=alive, kids=kids, seq=seq, factor=factor,
                 soma_from_root=soma_from_root, done=done)


def _diameter_steps(order, parent, xyz, r, types, regions, is_soma) -> set[int]:
    """Zero-length samples that start a branch with their own radius (as write_swc writes a
    diameter step at a branch point): kept as the branch's first point, not merged.

    A sample qualifies when it is at its (neurite) parent's position with another radius, its
    parent ends a section (a branch point, or the region changes), and it continues in one
    child of its own region at a positive distance."""
    kids: dict[int, list[int]] = {}
    for k in order[1:]:
        kids.setdefault(int(parent[k]), []).append(k)
    out = set()
    for k in order[1:]:
        p = int(parent[k])
        if is_soma[k] or is_soma[p] or r[k] == r[p]:
            continue
        if np.linalg.norm(xyz[k] - xyz[p]) > ZERO_LENGTH_UM:
            continue
        ends_section = len(kids[p]) != 1 or regions[int(types[k])] != regions[int(types[p])]
        nxt = kids.get(k, [])
        if (ends_section and len(nxt) == 1 and regions[int(types[nxt[0]])] == regions[int(types[k])]
                and np.linalg.norm(xyz[nxt[0]] - xyz[k]) > ZERO_LENGTH_UM):
            out.add(k)
    return out


def _anchors(parent: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Top of each row's chain of parents (a root or an orphan), or -1 inside/under a cycle."""
    n = len(parent)
    state = np.zeros(n, dtype=np.int8)
    anchor = np.full(n, -1)
    cycles = []
    for i in range(n):
        if state[i]:
            continue
        path: list[int] = []
        on_path: dict[int, int] = {}
        j = i
        while True:
            if state[j] == 2:
                top = anchor[j]
                break
            if j in on_path:
                cycles.append(path[on_path[j]:])
                top = -1
                break
            on_path[j] = len(path)
            path.append(j)
            if parent[j] < 0:
                top = j
                break
            j = int(parent[j])
        for k in path:
            state[k] = 2
            anchor[k] = top
    return anchor, cycles


def _bfs(adj: list[list[int]], start: int,
         passable: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
    order = [start]
    par = np.full(len(adj), -1)
    seen = {start}
    queue = deque([start])
    while queue:
        k = queue.popleft()
        for j in adj[k]:
            if j in seen or (passable is not None and not passable[j]):
                continue
            seen.add(j)
            par[j] = k
            order.append(j)
            queue.append(j)
    return order, par


def _repair_radii(bad: np.ndarray, adj, xyz, r, is_soma, ids) -> dict:
    """Replace radii <= 0 in place by the nearest valid radius along the tree; returns the entry."""
    valid = r > 0
    notes = []
    everyone = np.ones(len(r), dtype=bool)
    src_neurite = _nearest_source(adj, xyz, valid & ~is_soma, everyone)
    src_soma = _nearest_source(adj, xyz, valid & is_soma, is_soma)
    old = r.copy()
    fallback_n = fallback_s = 0
    for k in bad:
        src = src_soma[k] if is_soma[k] else src_neurite[k]
        if src >= 0:
            r[k] = old[src]
        elif is_soma[k]:
            r[k] = FALLBACK_SOMA_RADIUS_UM
            fallback_s += 1
        else:
            r[k] = FALLBACK_NEURITE_RADIUS_UM
            fallback_n += 1
    if fallback_n:
        notes.append(f"{fallback_n} neurite sample(s) had no valid neurite radius anywhere: the"
                     f" fallback {FALLBACK_NEURITE_RADIUS_UM} um was used (a guess)")
    if fallback_s:
        notes.append(f"{fallback_s} soma sample(s) had no valid soma radius: the fallback"
                     f" {FALLBACK_SOMA_RADIUS_UM} um was used (a guess; set the soma size"
                     " yourself)")
    neg, zero = int(np.sum(old[bad] < 0)), int(np.sum(old[bad] == 0))
    detail = (f"{neg} negative and {zero} zero radii replaced by the radius of the nearest sample"
              " with a valid radius, by path length along the tree")
    return {"repair": "radius", "count": int(bad.size), "ids": [ids[k] for k in bad],
            "detail": "; ".join([detail, *notes])}

