"""Generated CI: GitHub Actions workflows and the GitLab pipeline, valid and hardened.

Validated with check-jsonschema's vendored schemas and zizmor (offline), then checked for
least privilege, pinned actions and one job per deployable (tests/deploy.py renders them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy import (  # noqa: F401 - `_project` is the `project` fixture
    Project,
    _project,
    combinations,
    dashed,
    load,
    not_monolith,
    run_tool,
)

pytestmark = pytest.mark.deploy

PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def github_workflows(project: Project) -> list[Path]:
    return sorted((project.root / ".github" / "workflows").glob("*.y*ml"))


def walk_steps(workflow: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


@pytest.mark.parametrize("project", combinations(ci="github"), indirect=True)
class TestGitHubActions:
    """Generated workflows are valid, hardened and follow the deployment map."""

    def test_workflows_match_the_schema(self, project: Project) -> None:
        paths = github_workflows(project)
        assert paths
        run_tool(
            "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)
        )

    def test_dependabot_config_matches_the_schema(self, project: Project) -> None:
        run_tool(
            "check-jsonschema", "--builtin-schema", "vendor.dependabot",
            str(project.root / ".github" / "dependabot.yml"),
        )  # fmt: skip

    def test_zizmor_finds_nothing(self, project: Project) -> None:
        run_tool("zizmor", "--offline", "--strict-collection", str(project.root / ".github"))

    def test_permissions_are_least_privilege(self, project: Project) -> None:
        """Read-only everywhere; only the template-update job may push and open a PR."""
        for path in github_workflows(project):
            workflow = load(path)
            assert workflow["permissions"] in ({"contents": "read"}, {}), path.name
            for name, job in workflow["jobs"].items():
                granted = job.get("permissions", {})
                writes = {scope for scope, level in granted.items() if level == "write"}
                allowed = {"contents", "pull-requests"} if path.stem == "template-update" else set()
                assert writes <= allowed, f"{path.name}: job {name} may write {writes}"

    def test_actions_are_pinned_to_commit_shas_with_a_version_comment(
        self, project: Project
    ) -> None:
        for path in github_workflows(project):
            workflow = load(path)
            uses = [step["uses"] for step in walk_steps(workflow) if "uses" in step]
            assert uses
            for reference in uses:
                assert PINNED_ACTION.match(reference), reference
            for line in path.read_text().splitlines():
                # A workflow of this repository (uses: ./...) has no version to pin.
                if "uses:" in line and "uses: ./" not in line:
                    assert re.search(r"# v\d+\.\d+\.\d+$", line), line

    def test_checkout_does_not_persist_credentials(self, project: Project) -> None:
        for path in github_workflows(project):
            for step in walk_steps(load(path)):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False

    def test_integration_runs_against_postgres_and_the_chosen_broker(
        self, project: Project
    ) -> None:
        workflow = load(github_workflows(project)[0])
        with_services = [job for job in workflow["jobs"].values() if "services" in job]
        assert with_services
        for job in with_services:
            assert set(job["services"]) == {"postgres", project.answers["broker"]}
            assert job["env"]["DATABASE_URL"].startswith("postgresql+psycopg://")
            scheme = "redis://" if project.answers["broker"] == "redis" else "amqp://"
            assert job["env"]["CELERY_BROKER_URL"].startswith(scheme)
            assert any("nox -s integration" in step.get("run", "") for step in job["steps"])

    def test_every_nox_session_and_an_image_build_run(self, project: Project) -> None:
        text = "\n".join(path.read_text() for path in github_workflows(project))
        for session in ("lint", "types", "contracts", "tests", "integration"):
            assert re.search(rf"\b{session}\b", text), session
        builds = re.findall(r"docker build", text)
        assert len(builds) == len(project.deployables)


@pytest.mark.parametrize("project", not_monolith(combinations(ci="github")), indirect=True)
class TestGitHubJobsPerDeployable:
    """Hybrid and microservices get one job per deployable, run when its paths change."""

    def test_one_job_per_deployable_filtered_by_its_paths(self, project: Project) -> None:
        workflow = load(github_workflows(project)[0])
        jobs = workflow["jobs"]
        filters_step = next(
            step for step in jobs["changes"]["steps"] if "paths-filter" in step.get("uses", "")
        )
        filters = yaml.safe_load(filters_step["with"]["filters"])
        for name, hosted in project.deployables.items():
            job = jobs[dashed(name)]
            assert f"needs.changes.outputs.{name}" in job["if"]
            assert {f"contexts/{ctx}/**" for ctx in hosted} | {"platform/**", "app/**"} <= set(
                filters[name]
            )
            build = next(
                step["run"] for step in job["steps"] if "docker build" in step.get("run", "")
            )
            assert f'CONTEXTS="{" ".join(hosted)}"' in build
        assert set(jobs["e2e"]["needs"]) == {dashed(name) for name in project.deployables}


@pytest.mark.parametrize("project", combinations(ci="gitlab"), indirect=True)
class TestGitLabCI:
    """The GitLab pipeline is valid and mirrors the GitHub one."""

    @pytest.fixture(name="pipeline")
    def _pipeline(self, project: Project) -> dict[str, Any]:
        return load(project.root / ".gitlab-ci.yml")

    def test_scheduled_pipelines_run_only_the_template_update(
        self, pipeline: dict[str, Any]
    ) -> None:
        def resolved(job: dict[str, Any]) -> dict[str, Any]:
            """The job with its `extends` applied (later parents win, the job wins last)."""
            parents = job.get("extends", [])
            merged: dict[str, Any] = {}
            for parent in [parents] if isinstance(parents, str) else parents:
                merged |= resolved(pipeline[parent])
            return merged | job

        jobs = {
            name: resolved(job)
            for name, job in pipeline.items()
            if isinstance(job, dict) and "script" in resolved(job) and not name.startswith(".")
        }
        assert jobs
        schedule_never = {"if": '$CI_PIPELINE_SOURCE == "schedule"', "when": "never"}
        for name, job in jobs.items():
            assert job["rules"][0] == schedule_never, name

    def test_pipeline_matches_the_schema(self, project: Project, pipeline: dict[str, Any]) -> None:
        run_tool(
            "check-jsonschema", "--builtin-schema", "vendor.gitlab-ci",
            str(project.root / ".gitlab-ci.yml"),
        )  # fmt: skip

    def test_integration_services_follow_the_broker(
        self, project: Project, pipeline: dict[str, Any]
    ) -> None:
        services = [service["alias"] for service in pipeline[".services"]["services"]]
        assert services == ["postgres", project.answers["broker"]]
        assert set(pipeline[".services"]["variables"]) == {"DATABASE_URL", "CELERY_BROKER_URL"}
        integration_job = "integration" if project.single else "e2e"
        assert pipeline[integration_job]["extends"] == ".services"

    def test_one_job_and_image_per_deployable_with_change_rules(
        self, project: Project, pipeline: dict[str, Any]
    ) -> None:
        if project.single:
            assert {"lint", "types", "contracts", "tests", "integration", "build-image"} <= set(
                pipeline
            )
            return
        for name, hosted in project.deployables.items():
            rules = pipeline[f".{dashed(name)}-rules"]["rules"]
            paths = next(rule["changes"]["paths"] for rule in rules if "changes" in rule)
            assert {f"contexts/{ctx}/**/*" for ctx in hosted} | {"platform/**/*"} <= set(paths)
            assert pipeline[dashed(name)]["extends"] == f".{dashed(name)}-rules"
            assert f".{dashed(name)}-rules" in pipeline[f"{dashed(name)}-image"]["extends"]
