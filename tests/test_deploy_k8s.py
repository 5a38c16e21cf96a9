"""The generated Kubernetes bases and overlays: valid, hardened, one set per deployable.

Each overlay is rendered with `kubectl kustomize` and validated with kubernetes-validate
--strict (tests/deploy.py renders every deploy combination of the matrix).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy import Project, _project, dashed, run_tool  # noqa: F401 - the fixture

pytestmark = pytest.mark.deploy


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
