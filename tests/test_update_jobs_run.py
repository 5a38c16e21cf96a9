"""The scheduled template-update jobs' scripts, run for real against a local origin.

The GitHub workflow's steps and the GitLab job's script run with copier from this
environment against a newer tag; `gh` and `curl` are recorded instead of reaching a forge.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from conftest import project_env
from fleet import GITHUB_WORKFLOW, GITLAB_JOB, _project, fake_tools, recorded  # noqa: F401 - the fixture
from gitrepo import commit_all, git
from releases import ReleasedTemplate


class TestUpdateJobsRun:
    """The jobs' shell, run for real: copier against a newer tag, git against a local origin."""

    @pytest.fixture(name="setup")
    def _setup(
        self, project: Path, released_template: ReleasedTemplate, tmp_path: Path
    ) -> dict[str, Path]:
        origin = tmp_path / "origin.git"
        git("clone", "--quiet", "--bare", str(project), str(origin), cwd=tmp_path)
        git("remote", "add", "origin", str(origin), cwd=project)
        # A newer release that appends a line to the README.
        readme = released_template.path / "template" / "README.md.jinja"
        readme.write_text(readme.read_text() + "\nA line of release 99.0.1.\n")
        git("-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "--quiet", "-am",
            "Release 99.0.1", cwd=released_template.path)  # fmt: skip
        git("tag", "99.0.1", cwd=released_template.path)
        calls = tmp_path / "calls.txt"
        return {"origin": origin, "bin": fake_tools(tmp_path / "bin", calls), "calls": calls}

    def environment(self, setup: dict[str, Path], tmp_path: Path, **extra: str) -> dict[str, str]:
        runner_temp = tmp_path / "runner"
        runner_temp.mkdir(exist_ok=True)
        return project_env(
            PATH=f"{setup['bin']}:{os.environ['PATH']}",
            COPIER="copier>=9.13,<10",
            RUNNER_TEMP=str(runner_temp),
            GITHUB_OUTPUT=str(tmp_path / "github_output"),
            **extra,
        )

    @pytest.mark.update
    @pytest.mark.parametrize("conflicting", [False, True], ids=["clean", "conflicting"])
    def test_github_opens_a_pull_request_marked_on_conflicts(
        self, project: Path, setup: dict[str, Path], tmp_path: Path, conflicting: bool
    ) -> None:
        if conflicting:
            readme = project / "README.md"
            readme.write_text(readme.read_text() + "\nA line the team added.\n")
            commit_all(project, "Edit the README")
        steps = yaml.safe_load((project / GITHUB_WORKFLOW).read_text())["jobs"]["update"]["steps"]
        check_step, update_step = (s for s in steps if "run" in s)
        env = self.environment(setup, tmp_path)
        subprocess.run(["bash", "-c", check_step["run"]], cwd=project, env=env, check=True)
        outputs = dict(
            line.split("=", 1) for line in (tmp_path / "github_output").read_text().splitlines()
        )
        assert outputs == {"available": "true", "version": "99.0.1"}

        env |= {"GH_TOKEN": "token", "VERSION": "99.0.1", "BASE": "main"}
        for _ in range(2):  # the second run finds the branch and proposes nothing new
            git("checkout", "--quiet", "main", cwd=project)  # a fresh checkout per run
            subprocess.run(["bash", "-c", update_step["run"]], cwd=project, env=env, check=True)
        pull_requests = [c for c in recorded(setup["calls"]) if c[1:3] == ["pr", "create"]]
        assert len(pull_requests) == 1
        arguments = pull_requests[0]
        title = arguments[arguments.index("--title") + 1]
        body = Path(arguments[arguments.index("--body-file") + 1]).read_text()
        branch = "template-update/99.0.1"
        assert arguments[arguments.index("--head") + 1] == branch
        answers = yaml.safe_load(git("show", f"{branch}:.copier-answers.yml", cwd=setup["origin"]))
        assert answers["_commit"] == "99.0.1"
        if conflicting:
            assert title == "Update the template to 99.0.1 (conflicts to resolve)"
            assert "--draft" in arguments
            assert "- `README.md`" in body
        else:
            assert title == "Update the template to 99.0.1"
            assert "--draft" not in arguments
            assert "conflicts" not in body

    @pytest.mark.update
    @pytest.mark.parametrize("conflicting", [False, True], ids=["clean", "conflicting"])
    def test_gitlab_opens_a_merge_request_marked_on_conflicts(
        self, project: Path, setup: dict[str, Path], tmp_path: Path, conflicting: bool
    ) -> None:
        # The same project, switched to GitLab CI at the same version.
        answers_file = project / ".copier-answers.yml"
        answers = yaml.safe_load(answers_file.read_text())
        copier.run_update(
            str(project), data={"ci": "gitlab"}, defaults=True, overwrite=True,
            vcs_ref=answers["_commit"], quiet=True,
        )  # fmt: skip
        if conflicting:
            readme = project / "README.md"
            readme.write_text(readme.read_text() + "\nA line the team added.\n")
        commit_all(project, "Use GitLab")
        git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=project)
        remote = "https://oauth2:token@gitlab.example:443/team/acme-shop.git"
        env = self.environment(
            setup, tmp_path,
            TEMPLATE_UPDATE_TOKEN="token", CI_SERVER_PROTOCOL="https",
            CI_SERVER_HOST="gitlab.example", CI_SERVER_PORT="443",
            CI_PROJECT_PATH="team/acme-shop", CI_DEFAULT_BRANCH="main", CI_PROJECT_ID="7",
            CI_API_V4_URL="https://gitlab.example/api/v4",
            # The job pushes to GitLab over https; here that is the local origin.
            GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"url.{setup['origin']}.insteadOf",
            GIT_CONFIG_VALUE_0=remote,
        )  # fmt: skip
        script = "\n".join(
            yaml.safe_load((project / GITLAB_JOB).read_text())["template-update"]["script"]
        )
        for _ in range(2):  # the second run finds the branch and proposes nothing new
            git("checkout", "--quiet", "main", cwd=project)  # a fresh checkout per run
            subprocess.run(["sh", "-c", script], cwd=project, env=env, check=True)
        requests = [c for c in recorded(setup["calls"]) if c[0] == "curl"]
        assert len(requests) == 1
        fields = dict(
            value.split("=", 1)
            for flag, value in zip(requests[0], requests[0][1:], strict=False)
            if flag == "--data-urlencode"
        )
        assert requests[0][-1] == "https://gitlab.example/api/v4/projects/7/merge_requests"
        assert fields["source_branch"] == "template-update/99.0.1"
        assert fields["target_branch"] == "main"
        if conflicting:
            assert fields["title"] == "Draft: Update the template to 99.0.1 (conflicts to resolve)"
            assert fields["labels"] == "template-update,template-conflicts"
            assert "- `README.md`" in fields["description"]
        else:
            assert fields["title"] == "Update the template to 99.0.1"
            assert fields["labels"] == "template-update"
