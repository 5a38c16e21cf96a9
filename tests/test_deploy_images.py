"""The generated Dockerfile and compose.yaml: one hardened image, the whole local stack.

Validated with hadolint and check-jsonschema's compose spec, then checked against the
deployment map (tests/deploy.py renders every deploy combination of the matrix).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from deploy import Project, _project, dashed, load, run_tool  # noqa: F401 - the fixture

pytestmark = pytest.mark.deploy


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
