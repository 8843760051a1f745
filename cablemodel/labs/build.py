"""Generate the student and instructor notebooks of the course labs from one source per lab.

A source (``notebooks/labs/source/NN_name.py``) is a percent-format script: cells start with a
line ``# %%`` (code) or ``# %% [markdown]`` (markdown, each line commented with ``#``). Inside
a code cell, a solution block::

    # SOLUTION
    answer = model_value                  # the instructor version's code
    # STUDENT
    # answer = None  # your answer (mV)   # the student version's code, commented
    # END SOLUTION

gives the instructor version the lines after ``# SOLUTION`` and the student version the
uncommented lines after ``# STUDENT``. Run ``python -m cablemodel.labs.build`` to write
``notebooks/labs/student/NN_name.ipynb`` and ``notebooks/labs/instructor/NN_name.ipynb``
(nbformat 4.5, no outputs, the same bytes for the same source).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["parse_source", "render", "notebook", "build", "main", "VERSIONS", "LABS_DIR"]

VERSIONS = ("student", "instructor")
#: The labs folder of a source checkout (``notebooks/labs`` beside the package).
LABS_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "labs"
#: Longest execution of one lab notebook (s), written into its metadata for nbmake/nbclient.
TIMEOUT_S = 120

_SOLUTION, _STUDENT, _END = "# SOLUTION", "# STUDENT", "# END SOLUTION"


class LabSourceError(ValueError):
    """A lab source is malformed (the message names the file and line)."""


def parse_source(text: str, name: str = "<source>") -> list[tuple[str, list[str]]]:
    """Split a percent-format source into ``(kind, lines)`` cells, kind ``"markdown"`` or
    ``"code"`` (markdown lines uncommented; code lines as written, solution markers kept).

    Example
    -------
    >>> parse_source("# %% [markdown]\\n# # Title\\n# %%\\nx = 1\\n")
    [('markdown', ['# Title']), ('code', ['x = 1'])]
    """
    cells: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        head = line.rstrip()
        if head in ("# %%", "# %% [markdown]"):
            cells.append(("markdown" if head.endswith("[markdown]") else "code", []))
        elif head.startswith("# %%"):
            raise LabSourceError(f"{name}:{number}: unknown cell marker {head!r}; use '# %%' or"
                                 " '# %% [markdown]'")
        elif not cells:
            if head:
                raise LabSourceError(f"{name}:{number}: text before the first cell marker '# %%'")
        elif cells[-1][0] == "markdown":
            if head and not head.startswith("#"):
                raise LabSourceError(f"{name}:{number}: a markdown line must start with '#'")
            cells[-1][1].append(head[2:] if head.startswith("# ") else head[1:])
        else:
            cells[-1][1].append(head)
    out = [(kind, _trim(lines)) for kind, lines in cells]
    if not out:
        raise LabSourceError(f"{name}: no cells (start one with '# %%')")
    return [c for c in out if c[1]]


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def render(lines: list[str], version: str, name: str = "<source>") -> list[str]:
    """The code lines of ``version`` (``"student"`` or ``"instructor"``): solution blocks
    resolved (see the module docstring).

    Example
    -------
    >>> code = ["# SOLUTION", "x = 2", "# STUDENT", "# x = None  # your answer", "# END SOLUTION"]
    >>> render(code, "student"), render(code, "instructor")
    (['x = None  # your answer'], ['x = 2'])
    """
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {VERSIONS}, got {version!r}")
    out, state = [], None  # None: outside a block; else "solution" or "student"
    for number, line in enumerate(lines, 1):
        marker = line.strip()
        if marker == _SOLUTION:
            if state is not None:
                raise LabSourceError(f"{name}: code line {number}: '# SOLUTION' inside a block")
            state, indent = "solution", line[:len(line) - len(line.lstrip())]
        elif marker == _STUDENT:
            if state != "solution":
                raise LabSourceError(f"{name}: code line {number}: '# STUDENT' outside a block")
            state = "student"
        elif marker == _END:
            if state != "student":
                raise LabSourceError(f"{name}: code line {number}: '# END SOLUTION' without"
                                     " '# SOLUTION' and '# STUDENT' before it")
            state = None
        elif state is None or state == "solution":
            if state is None or version == "instructor":
                out.append(line)
        elif version == "student":
            if line.strip() and not line.startswith(indent + "#"):
                raise LabSourceError(f"{name}: code line {number}: a student line must be"
                                     f" commented ('{indent}# ...'), got {line!r}")
            body = line[len(indent):]
            out.append(indent + (body[2:] if body.startswith("# ") else body[1:]))
    if state is not None:
        raise LabSourceError(f"{name}: a solution block is not closed with '# END SOLUTION'")
    return out


def notebook(text: str, version: str, name: str = "<source>") -> str:
    """The notebook (JSON text, nbformat 4.5, no outputs) of ``version`` of a lab source, a
    banner naming the version and the source first.

    Example
    -------
    >>> nb = json.loads(notebook("# %%\\n# SOLUTION\\nx = 1\\n# STUDENT\\n# x = None\\n"
    ...                          "# END SOLUTION\\n", "student", "00_demo.py"))
    >>> nb["cells"][1]["source"]
    ['x = None']
    """
    banner = (f"*{version.capitalize()} version, generated from `source/{name}` by"
              " `python -m cablemodel.labs.build`: edit the source, not this notebook.*")
    cells = [("markdown", [banner])]
    for kind, lines in parse_source(text, name):
        cells.append((kind, render(lines, version, name) if kind == "code" else lines))
    nb = {
        "cells": [_cell(kind, lines, k) for k, (kind, lines) in enumerate(cells)],
        "metadata": {
            "execution": {"timeout": TIMEOUT_S},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _cell(kind: str, lines: list[str], k: int) -> dict:
    source = [line + "\n" for line in lines[:-1]] + lines[-1:]
    cell = {"cell_type": kind, "id": f"cell-{k:02d}", "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def build(source_dir: Path = LABS_DIR / "source", out_dir: Path = LABS_DIR) -> list[Path]:
    """Write ``out_dir/student/NN_name.ipynb`` and ``out_dir/instructor/NN_name.ipynb`` for
    every ``source_dir/NN_name.py``; returns the paths written.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     src = Path(tmp, "source"); src.mkdir()
    ...     _ = Path(src, "01_demo.py").write_text("# %%\\nx = 1\\n")
    ...     [p.relative_to(tmp).as_posix() for p in build(src, Path(tmp))]
    ['student/01_demo.ipynb', 'instructor/01_demo.ipynb']
    """
    sources = sorted(Path(source_dir).glob("[0-9][0-9]_*.py"))
    if not sources:
        raise FileNotFoundError(f"no lab sources NN_name.py in {source_dir}; the labs live in"
                                " notebooks/labs/source of a source checkout")
    written = []
    for src in sources:
        text = src.read_text(encoding="utf-8")
        for version in VERSIONS:
            target = Path(out_dir) / version / f"{src.stem}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(notebook(text, version, src.name), encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m cablemodel.labs.build [--source DIR] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m cablemodel.labs.build", description=__doc__
                                     .split("\n")[0])
    parser.add_argument("--source", type=Path, default=LABS_DIR / "source")
    parser.add_argument("--out", type=Path, default=LABS_DIR)
    args = parser.parse_args(argv)
    for path in build(args.source, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
