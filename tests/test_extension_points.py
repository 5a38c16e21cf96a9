"""Team-owned extension points: rendered whatever the answers, used by the template's files.

The template writes each once (`_skip_if_exists`) from a path that exists for every answer,
so no ci, architecture or services change can delete it (Copier deletes files only the old
render has). The template-owned CI, kustomize and compose files include or reference them,
and the results pass the same offline validators as the rest of the deployment files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import find_tool, run
from update_entry import EXTENSION_POINTS


def test_extension_points_exist_whatever_the_answers(render: Any) -> None:
    """Every answer renders every extension point, so no switch ever removes one."""
    for answers in ({"ci": "none"}, {"ci": "gitlab", "architecture": "microservices"}):
        project = render(**answers)
        for relative in EXTENSION_POINTS:
            assert (project / relative).is_file(), (answers, relative)


class TestExtensionPointsAreUsed:
    """The template-owned files include or reference each extension point, and validate."""

    def test_github_ci_calls_the_team_workflow(self, render: Any) -> None:
        project = render(ci="github")
        workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
        assert workflow["jobs"]["team"]["uses"] == "./.github/workflows/team.yml"
        team = yaml.safe_load((project / ".github/workflows/team.yml").read_text())
        assert set(team[True]) == {"workflow_call"}  # YAML 1.1 reads the key `on` as true
        paths = [str(p) for p in sorted((project / ".github/workflows").glob("*.yml"))]
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *paths])
        run([tool("zizmor"), "--offline", "--strict-collection", str(project / ".github")])

    def test_gitlab_ci_includes_the_team_file(self, render: Any, tmp_path: Path) -> None:
        project = render(ci="gitlab")
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        assert {"local": ".gitlab/team.yml"} in pipeline["include"]
        team = yaml.safe_load((project / ".gitlab/team.yml").read_text())
        # A job the team adds may extend the pipeline's templates.
        team["team-lint"] = {"extends": ".not-scheduled", "stage": "check", "script": ["true"]}
        merged = tmp_path / "merged.gitlab-ci.yml"
        merged.write_text(yaml.safe_dump(pipeline | team, sort_keys=False))
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(merged)])

    def test_each_overlay_applies_its_team_component(self, render: Any) -> None:
        """A team patch in overlays/<env>/team/ reaches `kubectl kustomize` of that overlay."""
        kubectl = find_tool("kubectl")
        if kubectl is None:
            pytest.skip("kubectl is not installed (it bundles kustomize)")
        project = render(architecture="microservices")
        for env in ("dev", "prod"):
            overlay = project / "deploy/k8s/overlays" / env
            kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
            assert kustomization["components"] == ["team"]
            component = overlay / "team" / "kustomization.yaml"
            text = component.read_text().replace(
                "patches: []",
                "patches:\n"
                "  - target:\n"
                "      kind: Deployment\n"
                "    patch: |-\n"
                "      - op: add\n"
                "        path: /metadata/annotations\n"
                "        value: {team.example.com/owner: payments}\n",
            )
            component.write_text(text)
            rendered = run([kubectl, "kustomize", str(overlay)]).stdout
            deployments = [
                d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "Deployment"
            ]
            assert deployments
            for deployment in deployments:
                assert deployment["metadata"]["annotations"] == {
                    "team.example.com/owner": "payments"
                }

    def test_compose_override_is_valid_compose(self, render: Any) -> None:
        project = render()
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
             str(project / "compose.override.yaml")])  # fmt: skip


def tool(name: str) -> str:
    found = find_tool(name)
    assert found, f"{name} is not installed: uv sync --group dev"
    return found
