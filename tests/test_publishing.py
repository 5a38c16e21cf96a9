"""Publishing: the platform team's https address is recorded once, and everything reads it.

A project generated with `copier copy <https URL>` records that URL as `_src_path`; the
scheduled update job (GitHub workflow or GitLab job) and Renovate's copier manager take the
template from there, and no generated file names a template address of its own. Git's
`url.<local clone>.insteadOf` stands in for the Git service, so that the URL is really
fetched: a job that read any other address would find no newer release.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from conftest import init_git, project_env, recorded_answers
from fleet import GITHUB_WORKFLOW, GITLAB_JOB, fake_tools, recorded
from gitrepo import commit_all, git
from plumbum import local
from releases import ReleasedTemplate

# Any https address the platform team publishes (Renovate cannot read gh: or SSH forms).
PUBLISHED = "https://git.acme.invalid/platform-team/groundwork.git"
BRANCH = "template-update/99.0.1"
GITLAB_REMOTE = "https://oauth2:token@gitlab.acme.invalid:443/team/acme-shop.git"


def served_at(*rewrites: tuple[Path, str]) -> dict[str, str]:
    """Git configuration (as environment) that serves each local repository at its URL."""
    env = {"GIT_CONFIG_COUNT": str(len(rewrites))}
    for i, (repository, url) in enumerate(rewrites):
        env |= {f"GIT_CONFIG_KEY_{i}": f"url.{repository}.insteadOf", f"GIT_CONFIG_VALUE_{i}": url}
    return env


@pytest.mark.update
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_update_job_and_renovate_use_the_recorded_source(
    released_template: ReleasedTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    origin = tmp_path / "origin.git"
    # Copier keeps a mirror per remote URL: one cache per test, since each serves its own clone.
    settings = served_at((released_template.path, PUBLISHED), (origin, GITLAB_REMOTE))
    settings["COPIER_CACHE_DIR"] = str(tmp_path / "copier-cache")
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    project = tmp_path / "acme-shop"
    with local.env(**settings):  # plumbum, which runs Copier's git, copied os.environ at import
        copier.run_copy(PUBLISHED, project, data={"ci": ci}, defaults=True,
                        vcs_ref=released_template.head, quiet=True)  # fmt: skip
    answers = recorded_answers(project)
    assert answers["_src_path"] == PUBLISHED
    # Renovate's copier manager reads `_src_path`; renovate.json names no address of its own,
    # and neither does any other generated file.
    renovate = json.loads((project / "renovate.json").read_text())
    assert renovate["enabledManagers"] == ["copier"]
    naming = [p.relative_to(project).as_posix() for p in sorted(project.rglob("*"))
              if p.is_file() and "acme.invalid" in p.read_text(errors="replace")]  # fmt: skip
    assert naming == [".copier-answers.yml"]

    init_git(project)
    git("clone", "--quiet", "--bare", str(project), str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=project)
    readme = released_template.path / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA line of release 99.0.1.\n")
    commit_all(released_template.path, "Release 99.0.1")
    git("tag", "99.0.1", cwd=released_template.path)

    calls = tmp_path / "calls.txt"
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = project_env(
        PATH=f"{fake_tools(tmp_path / 'bin', calls)}:{os.environ['PATH']}",
        COPIER="copier>=9.13,<10", RUNNER_TEMP=str(runner_temp),
        GITHUB_OUTPUT=str(tmp_path / "github_output"), GH_TOKEN="token", VERSION="99.0.1",
        BASE="main", TEMPLATE_UPDATE_TOKEN="token", CI_SERVER_PROTOCOL="https",
        CI_SERVER_HOST="gitlab.acme.invalid", CI_SERVER_PORT="443",
        CI_PROJECT_PATH="team/acme-shop", CI_DEFAULT_BRANCH="main", CI_PROJECT_ID="7",
        CI_API_V4_URL="https://gitlab.acme.invalid/api/v4",
    )  # fmt: skip
    if ci == "github":
        # The whole job: the check, then scripts/update.py and a pull request.
        steps = yaml.safe_load((project / GITHUB_WORKFLOW).read_text())["jobs"]["update"]["steps"]
        for step in (s for s in steps if "run" in s):
            subprocess.run(["bash", "-c", step["run"]], cwd=project, env=env, check=True)
        assert "version=99.0.1" in (tmp_path / "github_output").read_text()
        proposals = [c for c in recorded(calls) if c[1:3] == ["pr", "create"]]
        assert len(proposals) == 1, recorded(calls)
        # The proposed branch is on 99.0.1 and still records the published address.
        pushed = yaml.safe_load(git("show", f"{BRANCH}:.copier-answers.yml", cwd=origin))
        assert (pushed["_commit"], pushed["_src_path"]) == ("99.0.1", PUBLISHED)
    else:
        # The check alone (scripts/update.py is the same in both jobs; the update is proposed
        # already): the job found 99.0.1 through the recorded address, then the branch.
        git("push", "--quiet", "origin", f"HEAD:refs/heads/{BRANCH}", cwd=project)
        job = yaml.safe_load((project / GITLAB_JOB).read_text())["template-update"]
        result = subprocess.run(["sh", "-c", "\n".join(job["script"])], cwd=project, env=env,
                                check=True, capture_output=True, text=True)  # fmt: skip
        assert '"latest_version": "99.0.1"' in result.stdout
        assert f"{BRANCH} exists: the update to 99.0.1 is already proposed" in result.stdout
        assert recorded(calls) == []
