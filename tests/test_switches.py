"""Switching ci, architecture or services never deletes team work silently.

Copier deletes every file that only the old render has, edited or not. So in each scenario
the team edits every extension point (kept: their template source never disappears) and a
template-owned file the switch removes; the project's update entry point (scripts/update.py)
must name exactly those files, refuse without --allow-deletions leaving the tree untouched,
and proceed with it, keeping every extension-point line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import find_tool, run
from gitrepo import git
from releases import ReleasedTemplate
from update_entry import EXTENSION_POINTS, REFUSED, TeamProject

pytestmark = pytest.mark.update

# (the -d answers, the answers they record, the template-owned files the team edited that
# the switch removes). Each list is one project's history, step by step.
CI_SWITCHES = [
    (["ci=gitlab"], {"ci": "gitlab"}, [".github/workflows/ci.yml"]),
    (["ci=none"], {"ci": "none"}, [".gitlab-ci.yml"]),
    (["ci=github"], {"ci": "github"}, []),
]
ARCHITECTURE_SWITCHES = [
    (
        ["architecture=microservices"],
        {"architecture": "microservices"},
        ["deploy/k8s/deployables/monolith/workloads.yaml"],
    ),
    (
        ["architecture=hybrid", "services=[billing]"],
        {"architecture": "hybrid", "services": ["billing"]},
        ["deploy/k8s/deployables/catalog/hpa.yaml"],
    ),
    (
        ["architecture=modular-monolith"],
        {"architecture": "modular-monolith"},
        ["deploy/compose/nginx.conf", "deploy/k8s/deployables/billing/service.yaml"],
    ),
]
SERVICES_SWITCHES = [
    (
        ["services=[shipping]"],
        {"services": ["shipping"]},
        ["deploy/k8s/deployables/billing/workloads.yaml"],
    ),
]
SWITCHES = {
    "ci": ({}, CI_SWITCHES),
    "architecture": ({}, ARCHITECTURE_SWITCHES),
    "services": (
        {
            "contexts": ["catalog", "billing", "shipping"],
            "architecture": "hybrid",
            "services": ["billing"],
        },
        SERVICES_SWITCHES,
    ),
}


def record_reported(record_property: Any, step: list[str], lost: list[str]) -> None:
    record_property(f"reported {' '.join(step)}", ", ".join(lost) or "(none)")


@pytest.mark.parametrize("switch", list(SWITCHES))
def test_a_switch_reports_every_deleted_edit_and_keeps_the_extension_points(
    released_template: ReleasedTemplate, tmp_path: Path, switch: str, record_property: Any
) -> None:
    """Refused without the flag (nothing changed), then done with it; team lines all kept."""
    answers, steps = SWITCHES[switch]
    project = TeamProject.generate(released_template, tmp_path, answers)
    for data, recorded, removed in steps:
        project.edit_extension_points()
        project.edit_template_files(*removed)
        project.commit(f"Team work before {data}")
        before = project.head()

        refused = project.update(*data)
        if removed:
            assert refused.status == REFUSED, refused.output
            assert refused.lost == sorted(removed), refused.output
            assert git("status", "--porcelain", cwd=project.root) == ""
            assert project.head() == before
            for path in removed:
                assert path in refused.output
            outcome = project.update(*data, allow_deletions=True)
        else:
            outcome = refused  # nothing the team wrote goes away: no flag needed
        record_reported(record_property, data, outcome.lost)
        assert outcome.status == 0, outcome.output
        assert outcome.lost == sorted(removed)
        for path in removed:
            assert not (project.root / path).exists()
        assert project.lost_lines() == []
        current = project.answers()
        for question, answer in recorded.items():
            assert current[question] == answer
        assert (project.root / "uv.lock").is_file()  # the entry point locks after updating
        project.commit(f"Update: {' '.join(data)}")


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
