"""The seeded SWC fuzz harness (tests/fuzz_swc.py) as tests: a few hundred generated and
corrupted files in the default run, 10,000 in the ``slow`` run (``pytest -m slow
tests/test_fuzz_swc.py``), each read with and without ``repair=True``; every outcome is a load
that agrees with the file (or lists its repairs) or an SWCError with ``file:line`` and a fix.
The counts of crashes, hangs, non-finite loads and silent changes are printed and must be 0."""

from __future__ import annotations

import json

import pytest
from fuzz_swc import FAILURES, make_case, run


def _check(counts: dict, files: int) -> None:
    examples = counts.pop("examples")
    print(json.dumps(counts))
    assert counts["calls"] == 2 * files
    assert counts["loads"] + counts["errors"] + sum(counts[k] for k in FAILURES) == counts["calls"]
    assert {k: counts[k] for k in FAILURES} == dict.fromkeys(FAILURES, 0), examples
    # the corpus exercises both outcomes: loads (also of repaired files) and refusals
    assert counts["loads"] > files / 10 and counts["errors"] > files / 10


def test_fuzz_default_run():
    """300 files (seeds 0-299: about 9 of them 2,000 to 20,000 samples long), 10 CPU seconds
    allowed per read."""
    _check(run(range(300), limit_s=10.0), 300)


@pytest.mark.slow
def test_fuzz_slow_run():
    """10,000 files (seeds 0-9,999), 10 CPU seconds allowed per read."""
    _check(run(range(10_000), limit_s=10.0), 10_000)


def test_cli_info_one_line_and_exit_2_on_every_refused_file(tmp_path, capsys):
    """``cablemodel info`` on fuzzed files: exit 2 with exactly one line (``file:line: ...``)
    on stderr for every refused file, 0 for every loaded one; never a traceback."""
    from cablemodel.cli import main
    from cablemodel.io.swc import SWCError, read_swc

    refused = 0
    for seed in range(60):
        case = make_case(seed)
        if case.kwargs:  # scale= / discretization= are not options of `info`
            continue
        path = tmp_path / f"f{seed}.swc"
        path.write_bytes(case.render())
        try:
            read_swc(path)
            expected = 0
        except SWCError:
            expected = 2
        capsys.readouterr()
        assert main(["info", str(path)]) == expected, seed
        err = capsys.readouterr().err
        if expected == 2:
            refused += 1
            assert err.count("\n") == 1 and err.startswith(f"{path}:"), (seed, err)
            assert "Traceback" not in err and "report" not in err, (seed, err)
    assert refused > 10
