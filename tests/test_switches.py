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
from gitrepo import git
from releases import ReleasedTemplate
from update_entry import REFUSED, TeamProject

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
