"""SWC errors: the exception users see and the problems collected while reading."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...morphology.model import MorphologyError

_ORDER = ("parse", "units", "coordinates", "cycles", "duplicate_id", "missing_parent",
          "extra_roots", "no_soma", "radius", "detached_soma", "geometry", "compartments")
_FIX = {
    "parse": "fix the line or comment it out with '#'",
    "units": "load with scale=0.001 to convert nanometres to micrometres",
    "cycles": "fix the parent column: a sample cannot be its own ancestor (cannot be repaired)",
    "duplicate_id": "give every sample a unique id, or load with repair={'duplicate_id'}"
                    " (later copies get new ids)",
    "missing_parent": "restore the missing samples or fix the parent column, or load with"
                      " repair={'missing_parent'} (each orphaned subtree is attached to the"
                      " nearest sample of the main tree)",
    "extra_roots": "connect the pieces, or load with repair={'extra_roots'} (each extra tree is"
                   " attached by its root to the nearest sample of the main tree)",
    "no_soma": "add a soma sample (type 1), or load with repair={'no_soma'} (a sphere of the"
               " root's radius is made at the root)",
    "radius": "give positive radii, or load with repair={'radius'} (the nearest valid radius"
              " along the tree is used)",
    "detached_soma": "soma samples (type 1) must be connected to each other; change the type of"
                     " these samples",
    "coordinates": "if the file is not in micrometres, load it with scale= (e.g. scale=0.001 for"
                   " nanometres), else fix the coordinates (cannot be repaired)",
    "geometry": "check the samples named (cannot be repaired)",
    "compartments": "choose a coarser discretization (e.g. discretization=20*um, or a dict with a"
                    " larger d_lambda), or raise the limit with max_compartments=",
}


class SWCError(MorphologyError):
    """An SWC file cannot be loaded as it is.

    The message starts with ``"<file>:<line>: <problem>; <how to fix>"``; further problems follow
    on their own lines. Attributes: ``file``, ``line`` (1-based, ``None`` if not about a line),
    ``ids`` (offending sample ids), ``kind`` (``"radius"``, ``"cycles"``, ``"units"``, ...; the
    repairable kinds are the names in :data:`REPAIRS`) and ``problems`` (every problem as a dict).

    Example
    -------
    >>> import tempfile, pathlib
    >>> from cablemodel import read_swc
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bad.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 9 0 0 1\\n3 3 0 19 0 1 2\\n")
    >>> try:
    ...     read_swc(p)
    ... except SWCError as err:
    ...     print(err.kind, err.line, err.ids)
    radius 2 [2]
    """

    def __init__(self, message: str, *, file: str = "", line: int | None = None,
                 ids: Iterable[int] = (), kind: str = "",
                 problems: Iterable[dict] = ()) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.ids = list(ids)
        self.kind = kind
        self.problems = list(problems)



@dataclass
class _Problem:
    """One problem of a file: its kind (a key of ``_FIX``), line, sample ids and text; ``fix``
    replaces the kind's usual advice."""

    kind: str
    line: int | None
    ids: list[int]
    text: str
    fix: str | None = None

    def _message(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line is not None else file
        return f"{where}: {self.text}; {self.fix or _FIX[self.kind]}"




def _fmt_ids(ids: Iterable, limit: int = 10) -> str:
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")



def _raise(file: str, problems: list[_Problem]) -> None:
    problems = sorted(problems, key=lambda p: (_ORDER.index(p.kind), p.line or 0))
    first = problems[0]
    message = first._message(file)
    if len(problems) > 1:
        shown = problems[1:11]
        message += "".join(f"\n  also {p._message(file)}" for p in shown)
        if len(problems) > 11:
            message += f"\n  ... and {len(problems) - 11} more problems"
    raise SWCError(message, file=file, line=first.line, ids=first.ids, kind=first.kind,
                   problems=[{"kind": p.kind, "line": p.line, "ids": p.ids,
                              "message": p._message(file)} for p in problems])


