"""The fleet report (`nox -s fleet`, scripts/fleet_report.py) over a fleet made in the test.

Thirteen repositories: rendered from three releases of a tagged template clone (0.1.0 and 0.2.0
from releases.toml, the work under test as 99.0.0), then copied and changed the ways a real
fleet drifts: edited and deleted template files, a conflict left inline, a `.rej` file, team
edits under contexts/, a missing or corrupt answers file, a foreign Copier project, a path
that is not there, a `_commit` that is no release. The report runs as a platform team runs
it (a file listing the repositories, a threshold) and its JSON is compared row by row with
what each repository was made to be.

The time over 100 repositories is a benchmark, not a test: `nox -s bench -- fleet`
(bench/template_bench.py); a small run of it here keeps it working.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pytest
from conftest import TEMPLATE_ROOT, clone_working_tree, init_git, load_template_bench
from gitrepo import commit_all, git
from releases import ReleasedTemplate, load_releases, tag_releases

REPORT = TEMPLATE_ROOT / "scripts" / "fleet_report.py"
NEWEST = list(load_releases())[-1]
BEHIND = {version: len(load_releases()) - i - 1 for i, version in enumerate(load_releases())}
FULL_JOBS = {"github": ["github-workflow", "renovate"], "gitlab": ["gitlab-job", "renovate"],
             "none": ["renovate"]}  # fmt: skip
CONFLICT = "<<<<<<< before updating\nour line\n=======\ntheir line\n>>>>>>> after updating\n"

# Rendered for real: folder -> (version, answers, what the report must say).
RENDERED: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "legacy-shop": ("0.1.0", {"project_name": "Legacy Shop"}, {
        "architecture": "modular-monolith", "deployables": ["monolith"], "broker": "redis",
        "ci": "github"}),
    "ledger": ("0.2.0", {"project_name": "Ledger", "architecture": "hybrid",
                         "services": ["billing"], "broker": "rabbitmq", "ci": "gitlab"}, {
        "architecture": "hybrid", "deployables": ["billing", "monolith"], "broker": "rabbitmq",
        "ci": "gitlab"}),
    "acme-shop": ("HEAD", {"project_name": "Acme Shop"}, {
        "architecture": "modular-monolith", "deployables": ["monolith"], "broker": "redis",
        "ci": "github"}),
    "parcels": ("HEAD", {"project_name": "Parcels", "architecture": "microservices",
                         "contexts": ["catalog", "billing", "parcel_tracking"], "ci": "none"}, {
        "architecture": "microservices", "deployables": ["billing", "catalog", "parcel-tracking"],
        "broker": "redis", "ci": "none"}),
}  # fmt: skip


def make_fleet(template: ReleasedTemplate, root: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The repositories, a file listing them, and the row each must get (without `path`)."""
    expected: dict[str, dict[str, Any]] = {}
    for folder, (version, answers, facts) in RENDERED.items():
        release = template.head if version == "HEAD" else version
        copier.run_copy(template.src, root / folder, data=answers, defaults=True,
                        vcs_ref=release, quiet=True)  # fmt: skip
        init_git(root / folder)
        expected[folder] = {
            "readable": True, "reason": "", "project": answers["project_name"],
            "release": release, "behind": BEHIND.get(release, 0), **facts, "drift": [],
            "drift_error": "", "conflicts": [], "update_jobs": FULL_JOBS[facts["ci"]],
        }  # fmt: skip

    def copy(source: str, folder: str, **changes: Any) -> Path:
        shutil.copytree(root / source, root / folder, symlinks=True)
        expected[folder] = expected[source] | changes
        return root / folder

    drift = [{"path": "README.md", "change": "modified"},
             {"path": "noxfile.py", "change": "deleted"}]  # fmt: skip
    drifted = copy("acme-shop", "acme-drifted", drift=drift)
    readme = drifted / "README.md"
    readme.write_text(readme.read_text() + "\nA line the platform team did not write.\n")
    (drifted / "noxfile.py").unlink()

    conflicted = copy("acme-shop", "acme-conflicted", conflicts=["compose.yaml"],
                      drift=[{"path": "compose.yaml", "change": "modified"}])  # fmt: skip
    compose = conflicted / "compose.yaml"
    compose.write_text(compose.read_text() + CONFLICT)

    rejected = copy("legacy-shop", "legacy-rejected", conflicts=["Dockerfile.rej"])
    (rejected / "Dockerfile.rej").write_text("@@ -1 +1 @@\n-FROM a\n+FROM b\n")

    team = copy("parcels", "parcels-team-edits")  # contexts/ is the team's: never drift
    domain = team / "contexts" / "parcel_tracking" / "src" / "parcel_tracking"
    (domain / "routing.py").write_text('"""Routes parcels (written by the team)."""\n')
    for path in domain.rglob("*.py"):
        path.write_text(path.read_text() + "# edited by the team\n")

    # Past a release, on no tag of the template: the version reads, the render cannot run.
    off_release = copy("acme-shop", "acme-off-release", release="0.2.0-3-gabc1234", behind=0,
                       drift=None, drift_error="cannot render")  # fmt: skip
    answers_file = off_release / ".copier-answers.yml"
    answers_file.write_text(
        answers_file.read_text().replace(f"_commit: {template.head}", "_commit: 0.2.0-3-gabc1234")
    )

    unreadable = {"readable": False, "project": None, "release": None, "behind": None,
                  "architecture": None, "deployables": [], "broker": None, "ci": None,
                  "drift": None, "drift_error": "", "conflicts": [], "update_jobs": []}  # fmt: skip
    (copy("ledger", "ledger-no-answers") / ".copier-answers.yml").unlink()
    expected["ledger-no-answers"] = unreadable | {"reason": "no .copier-answers.yml"}
    (copy("parcels", "parcels-corrupt") / ".copier-answers.yml").write_text("_commit: [0.2.0\n")
    expected["parcels-corrupt"] = unreadable | {"reason": "corrupt .copier-answers.yml"}
    foreign_template = make_foreign_template(root / "other-template")
    copier.run_copy(str(foreign_template), root / "foreign", defaults=True, vcs_ref="HEAD",
                    quiet=True)  # fmt: skip
    expected["foreign"] = unreadable | {"reason": "not a groundwork project: generated from"}
    expected["gone"] = unreadable | {"reason": "not a directory"}

    listing = root / "fleet.txt"
    listing.write_text(
        "# the platform team's repositories\n" + "\n".join(expected) + "\n", encoding="utf-8"
    )
    return listing, expected


def make_foreign_template(path: Path) -> Path:
    """Another team's Copier template: one question, one file, a tag."""
    path.mkdir()
    (path / "copier.yml").write_text("service_name:\n  type: str\n  default: billing-api\n")
    (path / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}"
    )
    (path / "README.md.jinja").write_text("# {{ service_name }}\n")
    git("init", "--quiet", "--initial-branch=main", cwd=path)
    commit_all(path, "A template of another team")
    git("tag", "1.0.0", cwd=path)
    return path


def run_report(*args: str | Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPORT), *map(str, args)], capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def test_the_report_over_the_test_fleet(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One test, so that pytest-xdist builds the fleet once: the JSON row by row, the
    threshold, the table and the Markdown, then unreadable repositories alone."""
    clone = clone_working_tree(tmp_path_factory.mktemp("released") / "groundwork")
    template = tag_releases(clone, load_releases())
    root = tmp_path_factory.mktemp("fleet")
    listing, expected = make_fleet(template, root)
    output = root / "out"
    result = run_report(listing, "--max-behind", "0", "--json", output / "fleet.json",
                        "--markdown", output / "fleet.md")  # fmt: skip

    # Every repository has the row it was made to have, in the order listed.
    assert result.returncode in (0, 1), result.stderr
    document = json.loads((output / "fleet.json").read_text())
    found = {Path(row.pop("path")).name: row for row in document["repositories"]}
    assert list(found) == list(expected)
    assert len(found) >= 12
    for name, want in expected.items():
        got = found[name]
        for key in ("reason", "drift_error"):  # the start of the message is enough
            assert got[key].startswith(want[key]) if want[key] else got[key] == "", (name, got)
        assert {k: v for k, v in got.items() if k not in ("reason", "drift_error")} == {
            k: v for k, v in want.items() if k not in ("reason", "drift_error")
        }, name

    # legacy-* are on 0.1.0, a release behind 0.2.0: more than --max-behind 0, so exit 1.
    assert result.returncode == 1, result.stderr
    summary = document["summary"]
    over = sorted(Path(p).name for p in summary["over_threshold_paths"])
    assert over == ["legacy-rejected", "legacy-shop"]
    assert summary | {"over_threshold_paths": None, "seconds": None} == {
        "repositories": 13, "newest_release": NEWEST, "max_behind": 0, "unreadable": 4,
        "drifted": 2, "drift_errors": 1, "with_conflicts": 2, "without_update_job": 0,
        "over_threshold": 2, "over_threshold_paths": None, "seconds": None,
    }  # fmt: skip
    assert f"2 repositories more than 0 releases behind {NEWEST}: " in result.stderr

    # The table and the Markdown have one line per repository.
    markdown = (output / "fleet.md").read_text()
    for name, want in expected.items():
        line = next(line for line in result.stdout.splitlines() if line.endswith(name)
                    or f"/{name}: " in line)  # fmt: skip
        assert (want["project"] or "-") in line
        assert sum(f"/{name} |" in row or f"/{name}: " in row
                   for row in markdown.splitlines()) == 1, name  # fmt: skip
    assert "not a groundwork project" in result.stdout
    assert markdown.startswith("# Fleet report\n\n13 repositories, newest release")

    # Unreadable rows alone (no render): they fail the run only with --fail-on-unreadable.
    paths = [root / name for name in ("ledger-no-answers", "parcels-corrupt", "foreign", "gone")]
    out = ["--json", output / "f.json", "--markdown", output / "f.md"]
    assert run_report(*paths, "--max-behind", "0", *out).returncode == 0
    failed = run_report(*paths, "--fail-on-unreadable", *out)
    assert failed.returncode == 1
    assert "4 repositories could not be read" in failed.stderr


def test_the_nox_session_runs_the_report() -> None:
    """`nox -s fleet -- ...` runs scripts/fleet_report.py with what follows `--`."""
    noxfile = (TEMPLATE_ROOT / "noxfile.py").read_text()
    assert "def fleet(session: nox.Session)" in noxfile
    assert 'str(ROOT / "scripts" / "fleet_report.py"), *session.posargs' in noxfile


def test_the_fleet_bench_reports_time_over_a_rendered_fleet(tmp_path: Path) -> None:
    """`nox -s bench -- fleet --fleet-size N` (the 100-repository measurement) runs end to
    end: here over 4 repositories, one per answer set, from three releases."""
    result = load_template_bench().bench_fleet(tmp_path, 4)
    assert (result["repositories"], result["releases"]) == (4, 3)
    assert min(result["wall_seconds"], result["cpu_seconds"]) > 0
