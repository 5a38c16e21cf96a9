"""Benchmarks of the template itself: render, time to green, update, the test matrix.

Run through `nox -s bench -- [parts] [options]` (parts: render green update matrix fleet; the
first four by default, fleet on request: `nox -s bench -- fleet --fleet-size 100`). Every
subject of a part is measured side by side in the same round, the order rotating from round
to round, after a warm-up round (`--warm-ups`): on a shared, noisy machine the ratio between
subjects stays fair even when absolute times drift. Prints a table and writes
build/bench/template-<time>.json. Figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import clone_working_tree, developer_env, python_for, uv_sync  # noqa: E402
from conftest import project_env as tests_project_env  # noqa: E402
from gitrepo import commit_all, git  # noqa: E402
from matrix import COPIER_CONFIG  # noqa: E402

ARCHITECTURES = list(COPIER_CONFIG["architecture"]["choices"].values())
RESULTS = ROOT / "build" / "bench"
COPIER = [sys.executable, "-m", "copier"]
TRIVIAL_FILES = 20
# The generated `nox -s tests` selection (its noxfile; tests/test_template_bench.py holds both).
QUICK_TESTS = "not integration and not e2e and not faults and not slow"


# --- measuring -----------------------------------------------------------------------


def summary(samples: list[float]) -> dict[str, Any]:
    """Median and spread (min, max, and the half-range as a share of the median)."""
    median = statistics.median(samples)
    spread = (max(samples) - min(samples)) / 2 / median if median else 0.0
    return {"median": round(median, 3), "min": round(min(samples), 3),
            "max": round(max(samples), 3), "spread_pct": round(100 * spread, 1),
            "runs": [round(s, 3) for s in samples]}  # fmt: skip


@dataclass(frozen=True)
class Rounds:
    runs: int = 5  # measured rounds
    warm_ups: int = 1  # unmeasured rounds first: caches filled, bytecode compiled


def rounds(
    subjects: dict[str, Callable[[Path], dict[str, float]]], plan: Rounds, scratch: Path
) -> dict[str, dict[str, list[float]]]:
    """The warm-up rounds, then the measured ones; each subject returns {step: seconds}."""
    names = list(subjects)
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    for round_number in range(plan.warm_ups + plan.runs):
        shift = round_number % len(names)
        measured = round_number - plan.warm_ups + 1  # 1, 2, ... once warm
        for name in names[shift:] + names[:shift]:
            where = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch))
            steps = subjects[name](where)
            shutil.rmtree(where, ignore_errors=True)
            label = f"run {measured}/{plan.runs}" if measured > 0 else "warm-up"
            print(f"  {label:>9} {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()),
                  flush=True)  # fmt: skip
            if measured > 0:
                for step, seconds in steps.items():
                    samples[name].setdefault(step, []).append(seconds)
    return samples


def timed(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"`{' '.join(command)}` failed in {cwd} (exit {result.returncode})\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return elapsed


def project_env() -> dict[str, str]:
    """The tests' environment for generated projects, offline: syncs use the warm cache."""
    return tests_project_env(UV_OFFLINE="1")


# --- the subjects --------------------------------------------------------------------


def template_clone(scratch: Path) -> Path:
    """The working tree committed in a clone of its own (as the tests do), tags included."""
    return clone_working_tree(scratch / "groundwork")


def trivial_template(scratch: Path, files: int = TRIVIAL_FILES) -> Path:
    """A Copier template of `files` small templated files in four folders, one commit."""
    template = scratch / f"trivial-{files}"
    (template / "template").mkdir(parents=True)
    (template / "copier.yml").write_text(
        "_subdirectory: template\n_templates_suffix: .jinja\n"
        "project_name:\n  type: str\n  default: Acme Shop\n"
        "project_slug:\n  type: str\n"
        "  default: \"{{ project_name | lower | replace(' ', '-') }}\"\n"
    )
    (template / "template" / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers | to_nice_yaml }}"
    )
    for number in range(files - 1):
        folder = template / "template" / ("src", "tests", "docs", "deploy")[number % 4]
        folder.mkdir(exist_ok=True)
        (folder / f"module_{number}.py.jinja").write_text(
            f'"""Module {number} of {{{{ project_name }}}}."""\n\n'
            f'NAME = "{{{{ project_slug }}}}-{number}"\n'
        )
    git("init", "--quiet", "--initial-branch=main", cwd=template)
    commit_all(template, "Trivial template")
    return template


def trivial_name(files: int) -> str:
    return f"trivial-{files}-files"


def copy(template: Path, destination: Path, *data: str, ref: str = "HEAD") -> float:
    answers = [arg for item in data for arg in ("-d", item)]
    return timed([*COPIER, "copy", "--defaults", "--quiet", "--vcs-ref", ref,
                  *answers, str(template), str(destination)], env=developer_env())  # fmt: skip


def init_git(project: Path) -> None:
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "Generate")


def bench_render(scratch: Path, plan: Rounds, architectures: list[str]) -> dict[str, Any]:
    """Each architecture against the trivial 20-file template, and against a trivial template
    of as many files as it renders: Copier's own cost for that many files (a git call, a
    compilation of every path segment and of the answers file's name per file), which no
    template of that size can go below."""
    groundwork = template_clone(scratch)
    files = {}
    for architecture in architectures:
        destination = scratch / f"count-{architecture}"
        copy(groundwork, destination, f"architecture={architecture}")
        files[architecture] = sum(1 for p in destination.rglob("*") if p.is_file())
    trivial = {n: trivial_template(scratch, n) for n in sorted({TRIVIAL_FILES, *files.values()})}
    subjects: dict[str, Callable[[Path], dict[str, float]]] = {
        trivial_name(n): lambda where, t=template: {"render": copy(t, where / "p")}
        for n, template in trivial.items()
    }
    for architecture in architectures:
        subjects[architecture] = lambda where, a=architecture: {
            "render": copy(groundwork, where / "p", f"architecture={a}")
        }
    samples = rounds(subjects, plan, scratch)
    renders = {name: steps["render"] for name, steps in samples.items()}

    def ratios(mine: list[float], theirs: list[float]) -> dict[str, Any]:
        # Each round's ratio, then their median: both sides saw the same load.
        return summary([a / b for a, b in zip(mine, theirs, strict=True)])

    baseline = renders[trivial_name(TRIVIAL_FILES)]
    result: dict[str, Any] = {}
    for n in trivial:
        name = trivial_name(n)
        result[name] = summary(renders[name])
        if n != TRIVIAL_FILES:
            result[name]["ratio_to_trivial"] = ratios(renders[name], baseline)
    for architecture in architectures:
        mine, same_size = renders[architecture], renders[trivial_name(files[architecture])]
        result[architecture] = {**summary(mine), "files": files[architecture],
                                "ratio_to_trivial": ratios(mine, baseline),
                                "ratio_to_same_size_trivial": ratios(mine, same_size)}  # fmt: skip
    return result


def bench_green(scratch: Path, plan: Rounds, architectures: list[str]) -> dict[str, Any]:
    """copy -> uv sync (offline, cache filled first) -> quick tests, and -> every full check."""
    groundwork = template_clone(scratch)
    python = python_for("3.11")
    env = project_env()
    uv_run = ["uv", "run", "--no-sync", "--all-packages"]
    # The measured syncs are offline. On a fresh machine the shared cache is empty: fill it
    # once per architecture, online only where it lacks something, before any round.
    for architecture in architectures:
        filler = scratch / f"fill-uv-cache-{architecture}"
        copy(groundwork, filler, f"architecture={architecture}")
        uv_sync(filler, "3.11")

    def green(where: Path, architecture: str) -> dict[str, float]:
        project = where / "p"
        steps = {"copy": copy(groundwork, project, f"architecture={architecture}")}
        init_git(project)
        steps["sync"] = timed(["uv", "sync", "--all-packages", "--python", python], project, env)
        # The generated `tests` session's selection, without nox's own start-up.
        quick_tests = [*uv_run, "pytest", "-q", "-m", QUICK_TESTS]
        steps["quick_tests"] = timed(quick_tests, project, env)
        # The inner loop: the same tests again, with the libraries' bytecode now cached.
        steps["quick_tests_again"] = timed(quick_tests, project, env)
        steps["ruff"] = timed([*uv_run, "ruff", "check", "."], project, env) + timed(
            [*uv_run, "ruff", "format", "--check", "."], project, env
        )
        steps["mypy_cold"] = timed([*uv_run, "mypy"], project, env)
        steps["mypy_warm"] = timed([*uv_run, "mypy"], project, env)
        steps["contracts"] = timed([*uv_run, "lint-imports"], project, env)
        steps["to_quick_green"] = steps["copy"] + steps["sync"] + steps["quick_tests"]
        steps["to_full_green"] = steps["to_quick_green"] + sum(
            steps[k] for k in ("ruff", "mypy_cold", "contracts")
        )
        return steps

    subjects = {a: (lambda where, a=a: green(where, a)) for a in architectures}
    samples = rounds(subjects, plan, scratch)
    return {a: {step: summary(values) for step, values in samples[a].items()} for a in samples}


def bench_update(scratch: Path, plan: Rounds, architectures: list[str]) -> dict[str, Any]:
    """`copier update` from the previous release to HEAD, and an architecture switch at HEAD."""
    from releases import load_releases, tag_releases

    released = tag_releases(template_clone(scratch), load_releases())
    previous = list(released.releases)[-1]
    target = next((a for a in architectures if a != ARCHITECTURES[0]), ARCHITECTURES[-1])
    update = [*COPIER, "update", "--defaults", "--quiet", "--skip-answered"]

    def from_release(where: Path) -> dict[str, float]:
        project = where / "p"
        copy(released.path, project, ref=previous)
        init_git(project)
        return {"update": timed([*update, "--vcs-ref", released.head], project, developer_env())}

    def switch(where: Path) -> dict[str, float]:
        project = where / "p"
        copy(released.path, project, ref=released.head)
        init_git(project)
        return {"update": timed([*update, "--vcs-ref", released.head, "-d",
                                 f"architecture={target}"], project, developer_env())}  # fmt: skip

    subjects = {f"from-{previous}-to-head": from_release, f"switch-to-{target}": switch}
    samples = rounds(subjects, plan, scratch)
    return {name: summary(steps["update"]) for name, steps in samples.items()}


FLEET_VARIANTS: list[list[str]] = [
    [],
    ["architecture=hybrid", "services=[billing]"],
    ["architecture=microservices", "broker=rabbitmq", "ci=gitlab"],
    ["contexts=[orders]", "ci=none"],
]


def bench_fleet(scratch: Path, size: int) -> dict[str, Any]:
    """The fleet report over `size` repositories rendered from every release and four answer
    sets: wall and CPU seconds (the report's own and its drift renders'), once; the renders
    that build the fleet are not counted."""
    from releases import load_releases, tag_releases

    released = tag_releases(template_clone(scratch), load_releases())
    versions = [*released.releases, released.head]
    paths = []
    for number in range(size):
        path = scratch / "fleet" / f"service-{number:03d}"
        variant = FLEET_VARIANTS[number % len(FLEET_VARIANTS)]
        answers = [f"project_name=Service {number:03d}", *variant]
        copy(released.path, path, *answers, ref=versions[number % len(versions)])
        paths.append(path)
    listing = scratch / "fleet.txt"
    listing.write_text("\n".join(map(str, paths)) + "\n")
    report = scratch / "fleet.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = timed([sys.executable, str(ROOT / "scripts" / "fleet_report.py"), str(listing),
                     "--json", str(report), "--markdown", str(scratch / "fleet.md")])  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = json.loads(report.read_text())["repositories"]
    drifting = [row["path"] for row in rows if row["drift"]]
    if len(rows) != size or drifting:
        raise SystemExit(f"fleet report: {len(rows)} rows for {size}; drift in {drifting}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"repositories": size, "releases": len(versions), "wall_seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1), "cpu_seconds_per_repository": round(cpu / size, 2),
            "cores": os.cpu_count()}  # fmt: skip


def bench_matrix(junit: Path | None, run_it: bool) -> dict[str, Any]:
    """Wall time and the slowest 15 tests of the full matrix, from a JUnit XML report."""
    if run_it:
        junit = RESULTS / "matrix-junit.xml"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider",
                        f"--junitxml={junit}"], cwd=ROOT, check=False)  # fmt: skip
        wall = time.perf_counter() - started
    else:
        wall = None
    if junit is None or not junit.exists():
        return {"skipped": "no report: pass --junit PATH, or --run-matrix to run it (~20 min)"}
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    cases = [(float(c.get("time", 0)), f"{c.get('classname')}::{c.get('name')}")
             for c in suite.iter("testcase")]  # fmt: skip
    cases.sort(reverse=True)
    return {"report": str(junit), "tests": len(cases),
            "wall_seconds": round(wall if wall is not None else float(suite.get("time", 0)), 1),
            "test_seconds_sum": round(sum(t for t, _ in cases), 1),
            "slowest": [{"test": name, "seconds": round(t, 1)}
                        for t, name in cases[:15]]}  # fmt: skip


# --- report --------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    lines = []
    if "render" in results:
        lines += [
            "",
            "render (copier copy --defaults, s)       median  min    max    spread  ratio  "
            "vs same-size trivial",
        ]
        for name, row in results["render"].items():
            files = f" ({row['files']} files)" if "files" in row else ""
            ratios = [f"{row[key]['median']:.2f}x" if key in row else ""
                      for key in ("ratio_to_trivial", "ratio_to_same_size_trivial")]  # fmt: skip
            lines.append(f"  {name + files:<38} {row['median']:6.2f} {row['min']:6.2f} "
                         f"{row['max']:6.2f} {row['spread_pct']:5.1f}%  "
                         f"{ratios[0]:<6} {ratios[1]}".rstrip())  # fmt: skip
    if "green" in results:
        lines += ["", "time to green (s, median [min-max])"]
        for architecture, steps in results["green"].items():
            lines.append(f"  {architecture}")
            for step, row in steps.items():
                lines.append(
                    f"    {step:<17} {row['median']:6.2f} [{row['min']:.2f}-{row['max']:.2f}]"
                )
    if "update" in results:
        lines += ["", "copier update (s, median [min-max])"]
        for name, row in results["update"].items():
            lines.append(f"  {name:<38} {row['median']:6.2f} [{row['min']:.2f}-{row['max']:.2f}]")
    if "matrix" in results:
        matrix = results["matrix"]
        lines += ["", "template test matrix"]
        if "skipped" in matrix:
            lines.append(f"  {matrix['skipped']}")
        else:
            lines.append(
                f"  {matrix['tests']} tests, wall {matrix['wall_seconds']} s, "
                f"sum of test times {matrix['test_seconds_sum']} s ({matrix['report']})"
            )
            lines += [f"  {row['seconds']:7.1f} s  {row['test']}" for row in matrix["slowest"]]
    if "fleet" in results:
        fleet = results["fleet"]
        lines += [
            "",
            "fleet report (one run)",
            f"  {fleet['repositories']} repositories from {fleet['releases']} releases: "
            f"wall {fleet['wall_seconds']} s, CPU {fleet['cpu_seconds']} s "
            f"({fleet['cpu_seconds_per_repository']} s each) on {fleet['cores']} cores",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", default=["render", "green", "update", "matrix"],
                        choices=["render", "green", "update", "matrix", "fleet"])  # fmt: skip
    parser.add_argument("--runs", type=int, default=5, help="measured rounds after the warm-up")
    parser.add_argument("--warm-ups", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument("--architectures", default=",".join(ARCHITECTURES))
    parser.add_argument("--junit", type=Path, help="the full matrix's JUnit XML to read")
    parser.add_argument("--run-matrix", action="store_true", help="run the full matrix (~20 min)")
    parser.add_argument("--fleet-size", type=int, default=100, help="repositories in fleet")
    options = parser.parse_args(argv)
    architectures = options.architectures.split(",")
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(),
                                           "load_before": os.getloadavg()}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="groundwork-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        for part in dict.fromkeys(options.parts):
            print(f"== {part}", flush=True)
            if part == "matrix":
                results[part] = bench_matrix(options.junit, options.run_matrix)
                continue
            if part == "fleet":
                (scratch / part).mkdir()
                results[part] = bench_fleet(scratch / part, options.fleet_size)
                continue
            bench = {"render": bench_render, "green": bench_green, "update": bench_update}[part]
            (scratch / part).mkdir()
            plan = Rounds(runs=options.runs, warm_ups=options.warm_ups)
            results[part] = bench(scratch / part, plan, architectures)
    results["machine"]["load_after"] = os.getloadavg()
    destination = RESULTS / f"template-{time.strftime('%Y%m%dT%H%M%S')}.json"
    destination.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\nwritten: {destination}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
