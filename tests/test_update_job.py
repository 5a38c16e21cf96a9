"""The scheduled template update proposes a mergeable change: the lock file is updated too.

A project one release behind, with its uv.lock committed as a team does, gets the scheduled
job (GitHub workflow or GitLab job) run for real: its shell, the project's update entry point
and copier against a newer tag of a template clone, git against a local origin; only `gh` and
`curl` (the pull/merge request API) are recorded instead of called. The newer release adds a
dependency, so the old lock is stale, and deletes a template-owned file the team had edited,
which nobody is there to confirm: the job proceeds and says so in a draft request. On the
proposed branch `uv sync --locked` (what the Dockerfile runs) and the project's checks pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import init_git, project_env, python_for, recorded_answers, run
from fleet import fake_tools, recorded
from gitrepo import commit_all, git
from releases import ReleasedTemplate
from test_generated import check_project

pytestmark = pytest.mark.update

NEXT = "99.0.1"
GITLAB_REMOTE = "https://oauth2:token@gitlab.example:443/team/acme-shop.git"
DELETED_BY_RELEASE = "renovate.json"


def release_next(template: ReleasedTemplate) -> None:
    """Tag NEXT: one more dependency (already in the lock's graph) and one file fewer."""
    pyproject = template.path / "template" / "pyproject.toml.jinja"
    text = pyproject.read_text()
    # idna: in the lock's graph (httpx) and without a pytest plugin, which addopts would have
    # to name (the generated platform's plugin stops a run that leaves one out).
    text, count = re.subn(r"^dev = \[\n", 'dev = [\n    "idna>=3",\n', text, flags=re.M)
    assert count == 1, "the root pyproject.toml.jinja has no dev group to extend"
    pyproject.write_text(text)
    (template.path / "template" / DELETED_BY_RELEASE).unlink()
    commit_all(template.path, f"Release {NEXT}")
    git("tag", NEXT, cwd=template.path)


def run_github_job(project: Path, env: dict[str, str]) -> dict[str, str]:
    steps = yaml.safe_load((project / ".github/workflows/template-update.yml").read_text())
    check_step, update_step = (s for s in steps["jobs"]["update"]["steps"] if "run" in s)
    subprocess.run(["bash", "-c", check_step["run"]], cwd=project, env=env, check=True)
    env = env | {"GH_TOKEN": "token", "VERSION": NEXT, "BASE": "main"}
    subprocess.run(["bash", "-c", update_step["run"]], cwd=project, env=env, check=True)
    [request] = [c for c in recorded(Path(env["CALLS"])) if c[1:3] == ["pr", "create"]]
    title = request[request.index("--title") + 1]
    body = Path(request[request.index("--body-file") + 1]).read_text()
    return {"title": title, "body": body, "draft": str("--draft" in request)}


def run_gitlab_job(project: Path, env: dict[str, str], origin: Path) -> dict[str, str]:
    job = yaml.safe_load((project / ".gitlab/template-update.yml").read_text())
    env = env | {
        "TEMPLATE_UPDATE_TOKEN": "token", "CI_SERVER_PROTOCOL": "https",
        "CI_SERVER_HOST": "gitlab.example", "CI_SERVER_PORT": "443",
        "CI_PROJECT_PATH": "team/acme-shop", "CI_DEFAULT_BRANCH": "main", "CI_PROJECT_ID": "7",
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        # The job pushes to GitLab over https; here that is the local origin.
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{origin}.insteadOf",
        "GIT_CONFIG_VALUE_0": GITLAB_REMOTE,
    }  # fmt: skip
    script = "\n".join(job["template-update"]["script"])
    subprocess.run(["sh", "-c", script], cwd=project, env=env, check=True)
    [request] = [c for c in recorded(Path(env["CALLS"])) if c[0] == "curl"]
    fields = dict(
        value.split("=", 1)
        for flag, value in zip(request, request[1:], strict=False)
        if flag == "--data-urlencode"
    )
    return {
        "title": fields["title"],
        "body": fields["description"],
        "draft": str(fields["title"].startswith("Draft: ")),
    }


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_scheduled_update_proposes_a_locked_branch_that_passes_its_checks(
    released_template: ReleasedTemplate, tmp_path: Path, ci: str, record_property: Any
) -> None:
    project = tmp_path / "acme-shop"
    copier.run_copy(
        released_template.src, project, data={"ci": ci}, defaults=True,
        vcs_ref=released_template.head, quiet=True,
    )  # fmt: skip
    init_git(project)
    python = python_for("3.11")
    run(["uv", "lock", "--python", python], project)
    edited = project / DELETED_BY_RELEASE
    edited.write_text(edited.read_text().replace("{", '{\n  "description": "the team\'s",', 1))
    commit_all(project, "Lock, and edit renovate.json")
    stale_lock = (project / "uv.lock").read_text()
    origin = tmp_path / "origin.git"
    git("clone", "--quiet", "--bare", str(project), str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=project)
    release_next(released_template)

    calls = tmp_path / "calls"
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = project_env(
        PATH=os.pathsep.join(
            [str(fake_tools(tmp_path / "bin", calls)), str(Path(sys.executable).parent),
             os.environ["PATH"]]
        ),
        COPIER="copier>=9.13,<10", RUNNER_TEMP=str(runner_temp), CALLS=str(calls),
        GITHUB_OUTPUT=str(tmp_path / "github_output"), UV_PYTHON=python,
    )  # fmt: skip
    request = (
        run_github_job(project, env) if ci == "github" else run_gitlab_job(project, env, origin)
    )

    # Unattended, the deletion guard is passed and reported: a draft listing the file.
    assert "(edited files deleted)" in request["title"]
    assert request["draft"] == "True"
    assert f"- `{DELETED_BY_RELEASE}`" in request["body"]
    record_property("request_title", request["title"])

    # The proposed branch, as CI and the image build check it out.
    branch = f"template-update/{NEXT}"
    checkout = tmp_path / "proposed"
    git("clone", "--quiet", "--branch", branch, str(origin), str(checkout), cwd=tmp_path)
    answers = recorded_answers(checkout)
    assert answers["_commit"] == NEXT
    assert (checkout / "uv.lock").read_text() != stale_lock, "the lock was not updated"
    assert not (checkout / DELETED_BY_RELEASE).exists()
    run(["uv", "sync", "--locked", "--all-packages", "--python", python], checkout)
    check_project(checkout)
