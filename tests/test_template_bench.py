"""The template's `nox -s bench` (bench/template_bench.py) runs end to end, small.

One measured round of each default part (render, time to green, update, the matrix report) for
the default architecture: every part prints its table and writes its JSON. Figures are
reported, never asserted; this test only keeps the bench working. The fleet part has its own
run in tests/test_fleet_report.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE_ROOT, UV_CACHE_DIR, Render, load_template_bench

GREEN_STEPS = {"copy", "sync", "quick_tests", "quick_tests_again", "ruff", "mypy_cold",
               "mypy_warm", "contracts", "to_quick_green", "to_full_green"}  # fmt: skip


def test_quick_tests_are_the_generated_tests_session(render: Render) -> None:
    """The bench's quick tests select what the generated `nox -s tests` selects."""
    noxfile = (render() / "noxfile.py").read_text()
    assert f'quick = "{load_template_bench().QUICK_TESTS}"' in noxfile
    assert 'uv_run(session, "pytest", "-m", quick, *session.posargs)' in noxfile


@pytest.mark.update  # its update part runs `copier update` between the template's releases
def test_every_default_part_prints_its_table_and_writes_its_json(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench = load_template_bench()
    monkeypatch.setenv("UV_CACHE_DIR", str(UV_CACHE_DIR))
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "results")
    junit = tmp_path / "junit.xml"  # a real report, of a small real run
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"--junitxml={junit}", "tests/test_releases.py"],
                   cwd=TEMPLATE_ROOT, check=True, capture_output=True)  # fmt: skip

    # One measured round and no warm-up: this keeps the bench working, it measures nothing.
    status = bench.main(["render", "green", "update", "matrix", "--runs", "1", "--warm-ups", "0",
                         "--architectures", "modular-monolith", "--junit", str(junit)])  # fmt: skip

    printed = capsys.readouterr().out
    assert status == 0
    for heading in ("render (copier copy --defaults", "time to green", "copier update",
                    "template test matrix"):  # fmt: skip
        assert heading in printed
    (written,) = (tmp_path / "results").glob("template-*.json")
    results = json.loads(written.read_text())
    render_row = results["render"]["modular-monolith"]
    assert render_row["files"] > 100
    assert render_row["ratio_to_trivial"]["median"] > 0
    # Copier's floor for that many files: a trivial template of the same size, rendered beside it.
    assert results["render"][f"trivial-{render_row['files']}-files"]["median"] > 0
    assert render_row["ratio_to_same_size_trivial"]["median"] > 0
    steps = results["green"]["modular-monolith"]
    assert set(steps) == GREEN_STEPS
    assert all(row["median"] > 0 for row in steps.values())
    assert steps["to_full_green"]["median"] > steps["to_quick_green"]["median"]
    assert len(results["update"]) == 2
    assert all(row["median"] > 0 for row in results["update"].values())
    assert results["matrix"]["tests"] == len(results["matrix"]["slowest"]) > 0
