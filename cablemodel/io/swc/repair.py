"""Checks and repairs of an SWC tree: units, physically possible values, ids, parents, roots,
cycles, radii and zero-length segments; the result is a tree rooted at the soma.

Every repair is reported as ``{"repair", "count", "ids", "detail", "changes"}``, ``changes``
holding one record per sample changed (its ``"id"`` and ``"line"``, and what was done to it)."""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np

from .attach import attach_pieces
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
#: Largest coordinate magnitude (um, after ``scale``): 10 m, beyond any neuron.
MAX_COORDINATE_UM = 1e7
#: Smallest radius (um, after ``scale``): 5 nm, the thickness of one lipid bilayer (the thinnest
#: neurites, spine necks and C. elegans processes, have radii of about 0.025-0.05 um).
MIN_RADIUS_UM = 0.005
#: Largest radius (um, after ``scale``): 5 mm (the largest somata and giant axons have radii of
#: about 0.5 mm).
MAX_RADIUS_UM = 5000.0
_SCALE_HINT = ("if the file is not in micrometres, load it with scale= (e.g. scale=1000 for"
               " millimetres, scale=0.001 for nanometres); otherwise fix the radii or load with"
               " repair={'radius'} (the nearest valid radius along the tree is used)")


def _nearest_source(adj: list[list[tuple[int, float]]], sources: np.ndarray,
                    passable: np.ndarray) -> np.ndarray:
    """For every node, the source node nearest by path length through passable nodes (or -1).
    ``adj[k]`` lists ``(neighbour, segment length)``."""
    dist = np.full(len(adj), np.inf).tolist()
    src = [-1] * len(adj)
    heap = []
    for k in np.flatnonzero(sources).tolist():
        dist[k], src[k] = 0.0, k
        heap.append((0.0, k))
    heapq.heapify(heap)
    while heap:
        d, k = heapq.heappop(heap)
        if d > dist[k]:
            continue
        for j, length in adj[k]:
            nd = d + length
            if passable[j] and nd < dist[j]:
                dist[j], src[j] = nd, src[k]
                heapq.heappush(heap, (nd, j))
    return np.array(src)


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
    types = np.array(parsed.types, dtype=np.int64)
    xyz = np.array(parsed.xyz, dtype=float).reshape(n, 3)
    r = np.array(parsed.radius, dtype=float)
    factor = 1.0 if scale is None else float(scale)
    if scale is not None:
        with np.errstate(over="ignore", under="ignore"):  # out-of-range values are checked below
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

    # physically possible values, then units
    far = np.flatnonzero(np.abs(xyz).max(axis=1) > MAX_COORDINATE_UM)
    if far.size:
        worst = float(np.abs(xyz[far]).max())
        problems.append(_Problem(
            "coordinates", int(lines[far[0]]), [ids[k] for k in far],
            f"coordinates beyond {MAX_COORDINATE_UM:g} um in magnitude (10 m, larger than any"
            f" neuron) at {far.size} sample(s): id(s) {_fmt_ids(ids[k] for k in far)}"
            f" (largest {worst:.4g} um{'' if scale is None else f' after scale={factor:g}'})"))
    else:
        problems += _units(xyz, r, parent, lines, factor, scale)
    problems += _radius_problems(r, np.array(parsed.radius), lines, ids, scale)

    # missing parents, cycles, pieces
    orphans = np.flatnonzero(parent == -2)
    if orphans.size:
        missing = sorted({parsed.parents[k] for k in orphans})
        problems.append(_Problem(
            "missing_parent", int(lines[orphans[0]]), [ids[k] for k in orphans],
            f"sample(s) {_fmt_ids(ids[k] for k in orphans)} name parent(s)"
            f" {_fmt_ids(missing)} that do not exist"))
    anchor, cycles = _anchors(parent)
    for cyc in cycles:
        cyc_ids = [ids[k] for k in sorted(cyc, key=lambda k: lines[k])]
        problems.append(_Problem(
            "cycles", int(min(lines[cyc])), cyc_ids,
            f"samples {_fmt_ids(cyc_ids)} form a cycle through the parent column"))
    pieces: dict[int, np.ndarray] = {}
    main = -1
    on_tree = np.flatnonzero(anchor >= 0)
    if on_tree.size:
        by_anchor = on_tree[np.argsort(anchor[on_tree], kind="stable")]
        tops, starts = np.unique(anchor[by_anchor], return_index=True)
        bounds = [*starts.tolist(), len(by_anchor)]
        pieces = {a: by_anchor[b:e]
                  for a, b, e in zip(tops.tolist(), bounds[:-1], bounds[1:], strict=True)}
        soma_count = np.bincount(anchor[on_tree], weights=is_soma[on_tree], minlength=n)
        size = np.bincount(anchor[on_tree], minlength=n)
        main = int(tops[np.lexsort((tops, -size[tops], parent[tops] == -2, -soma_count[tops]))[0]])
        roots = [a for a in tops[parent[tops] == -1].tolist() if a != main]
        if roots:
            problems.append(_Problem(
                "extra_roots", int(lines[roots[0]]), [ids[a] for a in roots],
                f"{len(roots)} tree(s) besides the main one start at root(s) (parent -1) with"
                f" id(s) {_fmt_ids(ids[a] for a in roots)}"))
        if not soma_count[main] > 0:
            problems.append(_Problem(
                "no_soma", int(lines[main]), [ids[main]],
                f"no soma: no sample of type 1 (the root, id {ids[main]}, is of type"
                f" {types[main]})"))
    blocking = [p for p in problems if p.kind not in repairs]
    if blocking:
        _raise(file, problems)

    # -- repairs that change the topology
    if dup_rows:
        done.append({"repair": "duplicate_id", "count": len(dup_rows),
                     "ids": [orig_ids[k] for k in dup_rows],
                     "detail": "later copies renumbered: " + ", ".join(
                         f"{orig_ids[k]} (line {lines[k]}) -> {ids[k]}" for k in dup_rows[:20])
                     + (" ..." if len(dup_rows) > 20 else ""),
                     "changes": [{"id": orig_ids[k], "line": int(lines[k]), "new_id": ids[k]}
                                 for k in dup_rows]})
    others = {a: rows for a, rows in pieces.items() if a != main}
    if others:
        attached = attach_pieces(pieces[main], others, xyz, is_soma)
        orphan = (parent == -2).tolist()
        for kind in ("missing_parent", "extra_roots"):
            sel = [(a, t, d) for a, t, d in attached if orphan[a] == (kind == "missing_parent")]
            if not sel:
                continue
            gaps = [d for _, _, d in sel]
            detail = (f"{len(sel)} piece(s) attached to the nearest sample; added gap length"
                      f" {sum(gaps):.4g} um in all, longest {max(gaps):.4g} um: "
                      + ", ".join(f"{ids[a]} -> {ids[t]} ({d:.3g} um)" for a, t, d in sel[:20])
                      + (" ..." if len(sel) > 20 else ""))
            done.append({"repair": kind, "count": len(sel), "ids": [ids[a] for a, _, _ in sel],
                         "detail": detail,
                         "changes": [{"id": ids[a], "line": int(lines[a]), "attached_to": ids[t],
                                      "gap_um": float(d)} for a, t, d in sel]})
        for a, t, _ in attached:
            parent[a] = t
    if parent[main] == -2:
        done.append({"repair": "missing_parent", "count": 1, "ids": [ids[main]],
                     "detail": f"{ids[main]} (the largest piece) names a missing parent: it was"
                               " made the root",
                     "changes": [{"id": ids[main], "line": int(lines[main]), "attached_to": None,
                                  "made_root": True}]})
        parent[main] = -1
    soma_from_root = False
    if not is_soma[pieces[main]].any():
        soma_from_root = True
        k = main
        rad = r[k] if MIN_RADIUS_UM <= r[k] <= MAX_RADIUS_UM else FALLBACK_SOMA_RADIUS_UM
        fallback = " (fallback: the root radius is not valid)" if rad != r[k] else ""
        done.append({"repair": "no_soma", "count": 1, "ids": [ids[k]],
                     "detail": f"made a spherical soma of radius {rad:.4g} um{fallback}"
                               f" at the root sample {ids[k]} (line {lines[k]}); the root stays"
                               " the first point of its neurites",
                     "changes": [{"id": ids[k], "line": int(lines[k]),
                                  "soma_radius_um": float(rad)}]})
        lines = np.append(lines, lines[k])
        ids.append(ids[k])
        orig_ids.append(orig_ids[k])
        types = np.append(types, 1)
        regions.setdefault(1, "soma")
        xyz = np.vstack([xyz, xyz[k]])
        r = np.append(r, rad)
        parent = np.append(parent, -1)
        parent[k] = n
        is_soma = np.append(is_soma, True)
        n += 1
    seq = np.arange(n)

    # -- root the tree at the soma
    adj = _adjacency(parent, ids)
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
    # segment length from each row to its parent in the rooted tree (0 at the root)
    seg = np.linalg.norm(xyz - xyz[np.maximum(tree_parent, 0)], axis=1)

    # -- radii
    bad_r = np.flatnonzero(~_valid_radius(r))
    if bad_r.size:
        done.append(_repair_radii(bad_r, tree_parent, seg, r, is_soma, ids, lines))

    # -- zero-length segments
    rep = list(range(n))
    up, soma, seg_of = tree_parent.tolist(), is_soma.tolist(), seg.tolist()
    new_up = list(up)
    merged = []
    steps = _diameter_steps(tree_parent, seg, r, types, regions, is_soma)
    for k in order[1:]:
        q = up[k]
        p = rep[q]
        new_up[k] = p
        if soma[k] or soma[p] or k in steps:
            continue
        length = seg_of[k] if p == q else float(np.linalg.norm(xyz[k] - xyz[p]))
        if length <= ZERO_LENGTH_UM:
            rep[k] = p
            merged.append(k)
    new_parent = np.array(new_up)
    if merged:
        merged.sort(key=lambda j: ids[j])
        done.append({"repair": "merged_zero_length", "count": len(merged),
                     "ids": [ids[k] for k in merged],
                     "detail": "samples at exactly the position of their parent were removed"
                               " (their radius dropped) and their children re-attached to the"
                               " parent",
                     "changes": [{"id": ids[k], "line": int(lines[k]), "into": ids[rep[k]]}
                                 for k in merged]})
    alive = np.ones(n, dtype=bool)
    alive[merged] = False
    kids: list[list[int]] = [[] for _ in range(n)]
    by_id = np.argsort(np.array(ids, dtype=np.int64), kind="stable")
    for k in by_id[alive[by_id] & (tree_parent[by_id] >= 0)].tolist():
        kids[new_up[k]].append(k)
    return _Tree(n=n, lines=lines, ids=ids, types=types, xyz=xyz, r=r, is_soma=is_soma,
                 regions=regions, order=order, tree_parent=tree_parent, new_parent=new_parent,
                 soma_rows=soma_rows, alive=alive, kids=kids, seq=seq, factor=factor,
                 soma_from_root=soma_from_root, done=done)


def _valid_radius(r: np.ndarray) -> np.ndarray:
    return (r >= MIN_RADIUS_UM) & (r <= MAX_RADIUS_UM)


def _units(xyz, r, parent, lines, factor: float, scale) -> list[_Problem]:
    """The nanometre heuristic (in file units), as a problem list."""
    has_parent = parent >= 0
    seg = np.linalg.norm(xyz[has_parent] - xyz[parent[has_parent]], axis=1) / factor
    extent = float((xyz.max(axis=0) - xyz.min(axis=0)).max()) / factor
    positive = r[r > 0] / factor
    med_seg = float(np.median(seg)) if seg.size else 0.0
    med_r = float(np.median(positive)) if positive.size else 0.0
    if scale is None and (extent > NM_EXTENT or med_seg > NM_SEGMENT) and (
            med_r > NM_RADIUS or positive.size == 0):
        return [_Problem(
            "units", int(lines[0]), [],
            f"coordinates look like nanometres (bounding box {extent:.4g}, median segment"
            f" {med_seg:.4g}, median radius {med_r:.4g} file units; a neuron in um has"
            " segments of a few um and radii of about 1 um)")]
    return []


def _radius_problems(r: np.ndarray, written: np.ndarray, lines, ids, scale) -> list[_Problem]:
    """Radii <= 0 in the file, and radii (after ``scale``) no neuron has."""
    out = []
    after = "" if scale is None else f" after scale={scale:g}"
    for mask, what, fix in (
            (written <= 0, "radius <= 0", None),
            ((written > 0) & (r < MIN_RADIUS_UM),
             f"radius below {MIN_RADIUS_UM:g} um{after} (thinner than a lipid bilayer; the"
             " thinnest neurites have radii of about 0.025 um)", _SCALE_HINT),
            (r > MAX_RADIUS_UM, f"radius above {MAX_RADIUS_UM:g} um{after} (5 mm; the largest"
             " somata and giant axons have radii of about 0.5 mm)", _SCALE_HINT)):
        bad = np.flatnonzero(mask)
        if bad.size:
            shown = f"{written[bad[0]]:.4g}" + ("" if scale is None else f" x {scale:g}")
            out.append(_Problem(
                "radius", int(lines[bad[0]]), [ids[k] for k in bad],
                f"{what} at {bad.size} sample(s): id(s) {_fmt_ids(ids[k] for k in bad)} (the"
                f" first is {shown})", fix=fix))
    return out


def _adjacency(parent: np.ndarray, ids: list[int]) -> list[list[int]]:
    """Neighbours of every row through the parent links, each list sorted by sample id."""
    n = len(parent)
    child = np.flatnonzero(parent >= 0)
    u = np.concatenate([child, parent[child]])
    v = np.concatenate([parent[child], child])
    id_arr = np.array(ids, dtype=np.int64)
    order = np.lexsort((id_arr[v], u))
    u, v = u[order], v[order]
    bounds = np.searchsorted(u, np.arange(n + 1))
    flat = v.tolist()
    return [flat[bounds[k]:bounds[k + 1]] for k in range(n)]


def _diameter_steps(parent, seg, r, types, regions, is_soma) -> set[int]:
    """Zero-length samples that start a branch with their own radius (as write_swc writes a
    diameter step at a branch point): kept as the branch's first point, not merged.

    A sample qualifies when it is at its (neurite) parent's position with another radius, its
    parent ends a section (a branch point, or the region changes), and it continues in one
    child of its own region at a positive distance. ``parent``: each row's parent in the rooted
    tree (-1 at the root); ``seg``: each row's distance to its parent."""
    has = parent >= 0
    n_kids = np.bincount(parent[has], minlength=len(parent))
    cand = np.flatnonzero(has & (seg <= ZERO_LENGTH_UM) & ~is_soma & (n_kids == 1))
    cand = cand[~is_soma[parent[cand]] & (r[cand] != r[parent[cand]])]
    if not cand.size:
        return set()
    only_child = np.full(len(parent), -1)
    below = np.flatnonzero(has & np.isin(parent, cand))
    only_child[parent[below]] = below
    region = [regions[int(t)] for t in types.tolist()]
    out = set()
    for k in cand.tolist():
        p, c = int(parent[k]), int(only_child[k])
        ends_section = n_kids[p] != 1 or region[k] != region[p]
        if ends_section and region[c] == region[k] and seg[c] > ZERO_LENGTH_UM:
            out.add(k)
    return out


def _anchors(parent: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Top of each row's chain of parents (a root or an orphan: parent < 0), or -1 inside or
    under a cycle; and the cycles (rows in parent order)."""
    n = len(parent)
    up = np.where(parent >= 0, parent, np.arange(n))
    for _ in range(max(1, n.bit_length())):  # pointer doubling: 2^k steps up after k rounds
        up = up[up]
    anchor = np.where(parent[up] < 0, up, -1)
    cycles = []
    on_cycle = np.zeros(n, dtype=bool)
    for k in np.flatnonzero(anchor < 0).tolist():
        j = int(up[k])  # 2^rounds >= n steps up from k: on the cycle k hangs from
        if on_cycle[j]:
            continue
        cyc = [j]
        on_cycle[j] = True
        while int(parent[cyc[-1]]) != j:
            cyc.append(int(parent[cyc[-1]]))
            on_cycle[cyc[-1]] = True
        cycles.append(cyc)
    return anchor, cycles


def _bfs(adj: list[list[int]], start: int,
         passable: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
    order = [start]
    par = [-1] * len(adj)
    seen = [False] * len(adj)
    seen[start] = True
    ok = None if passable is None else passable.tolist()
    queue = deque([start])
    while queue:
        k = queue.popleft()
        for j in adj[k]:
            if seen[j] or (ok is not None and not ok[j]):
                continue
            seen[j] = True
            par[j] = k
            order.append(j)
            queue.append(j)
    return order, np.array(par)


def _repair_radii(bad: np.ndarray, tree_parent: np.ndarray, seg: np.ndarray, r: np.ndarray,
                  is_soma: np.ndarray, ids: list[int], lines: np.ndarray) -> dict:
    """Replace invalid radii in place by the nearest valid radius along the tree; returns the
    repair entry."""
    valid = _valid_radius(r)
    adj: list[list[tuple[int, float]]] = [[] for _ in range(len(r))]
    for k in np.flatnonzero(tree_parent >= 0).tolist():
        p, length = int(tree_parent[k]), float(seg[k])
        adj[k].append((p, length))
        adj[p].append((k, length))
    notes = []
    everyone = np.ones(len(r), dtype=bool)
    src_neurite = _nearest_source(adj, valid & ~is_soma, everyone)
    src_soma = _nearest_source(adj, valid & is_soma, is_soma)
    old = r.copy()
    fallback_n = fallback_s = 0
    changes = []
    for k in bad.tolist():
        src = int(src_soma[k] if is_soma[k] else src_neurite[k])
        if src >= 0:
            r[k] = old[src]
        elif is_soma[k]:
            r[k] = FALLBACK_SOMA_RADIUS_UM
            fallback_s += 1
        else:
            r[k] = FALLBACK_NEURITE_RADIUS_UM
            fallback_n += 1
        changes.append({"id": ids[k], "line": int(lines[k]), "old_um": float(old[k]),
                        "new_um": float(r[k]), "from_id": ids[src] if src >= 0 else None})
    if fallback_n:
        notes.append(f"{fallback_n} neurite sample(s) had no valid neurite radius anywhere: the"
                     f" fallback {FALLBACK_NEURITE_RADIUS_UM} um was used (a guess)")
    if fallback_s:
        notes.append(f"{fallback_s} soma sample(s) had no valid soma radius: the fallback"
                     f" {FALLBACK_SOMA_RADIUS_UM} um was used (a guess; set the soma size"
                     " yourself)")
    neg, zero = int(np.sum(old[bad] < 0)), int(np.sum(old[bad] == 0))
    impossible = int(bad.size) - neg - zero
    counts = (f"{neg} negative and {zero} zero" if not impossible else
              f"{neg} negative, {zero} zero and {impossible} impossible (below {MIN_RADIUS_UM:g}"
              f" um or above {MAX_RADIUS_UM:g} um)")
    detail = (f"{counts} radii replaced by the radius of the nearest sample with a valid radius,"
              " by path length along the tree")
    return {"repair": "radius", "count": int(bad.size), "ids": [ids[k] for k in bad],
            "detail": "; ".join([detail, *notes]), "changes": changes}
