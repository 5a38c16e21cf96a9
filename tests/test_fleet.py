"""Fleet tooling every generated repository ships: drift check, update jobs, Renovate, messages.

- `scripts/template_drift.py` re-renders the recorded template version with the recorded
  answers and lists template-owned files that differ (exit 1), ignoring `contexts/`.
- The scheduled template-update job (GitHub workflow or GitLab job) is schema-valid, has no
  zizmor finding and least-privilege permissions, and never passes --trust (its scripts run
  for real in tests/test_update_jobs_run.py).
- `renovate.json` enables Renovate's copier manager.
- The update messages and docs/updating.md point to the data move when it applies
  (tests/test_move_context_data.py runs it).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import Render, project_env, run
from fleet import GITHUB_WORKFLOW, GITLAB_JOB, _project, tool  # noqa: F401 - the fixture
from generated_scripts import drift, drift_check, load_script
from releases import ReleasedTemplate
from team_edits import edit_team_files

PINNED = re.compile(r"uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>\S+)\s*#\s*(?P<version>v\S+)")


class TestDriftCheck:
    def test_a_fresh_project_has_no_drift(self, project: Path) -> None:
        """Right after generation every template-owned file matches the template."""
        status, report = drift_check(project)
        assert (status, report["clean"], report["drift"]) == (0, True, [])
        assert report["version"] == "99.0.0"

    def test_edited_and_deleted_template_files_are_listed(self, project: Path) -> None:
        """An edited file is `modified`, a removed one `deleted`; the exit status is 1."""
        readme = project / "README.md"
        readme.write_text(readme.read_text() + "\nA line the platform team did not write.\n")
        (project / "noxfile.py").unlink()
        assert drift(project) == [
            {"path": "README.md", "change": "modified"},
            {"path": "noxfile.py", "change": "deleted"},
        ]
        output = io.StringIO()
        with redirect_stdout(output):
            status = load_script(project, "template_drift").main(["--project", str(project)])
        assert status == 1
        listed = [line.split() for line in output.getvalue().splitlines() if line.startswith("  ")]
        assert listed == [["modified", "README.md"], ["deleted", "noxfile.py"]]

    def test_the_diff_shows_the_changed_lines(self, project: Path) -> None:
        """--diff adds a unified diff per modified file."""
        readme = project / "README.md"
        readme.write_text(readme.read_text() + "A line the platform team did not write.\n")
        _, report = drift_check(project, "--diff")
        assert "+A line the platform team did not write." in report["drift"][0]["diff"]

    def test_team_edits_under_contexts_are_not_drift(self, project: Path) -> None:
        """contexts/ belongs to the team: edits and new files there are never reported."""
        edit_team_files(project, "drift")
        assert drift(project) == []

    def test_a_project_without_answers_cannot_be_checked(self, tmp_path: Path) -> None:
        """Exit status 2 and the reason, rather than a false "no drift"."""
        shutil.copytree(Path(__file__).parents[1] / "template" / "scripts", tmp_path / "scripts")
        status, report = drift_check(tmp_path)
        assert status == 2
        assert ".copier-answers.yml not found" in report["error"]

    def test_the_script_runs_with_its_inline_dependencies(self, project: Path) -> None:
        """`uv run scripts/template_drift.py` installs copier from the PEP 723 header."""
        command = ["uv", "run", "--script", "scripts/template_drift.py", "--json"]
        result = subprocess.run(
            command, cwd=project, env=project_env(UV_OFFLINE="1"), capture_output=True, text=True
        )
        if result.returncode == 2 or "No solution" in result.stderr or "offline" in result.stderr:
            result = run(command, project)  # the cache lacks something: resolve online once
        assert result.returncode == 0, result.stderr
        assert '"clean": true' in result.stdout


class TestUpdateJobs:
    def test_the_github_workflow_is_valid_pinned_and_least_privilege(self, render: Render) -> None:
        """Schema-valid, no zizmor finding, write permissions only on the job, no --trust."""
        project = render(ci="github")
        workflow_path = project / GITHUB_WORKFLOW
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
               str(workflow_path)])  # fmt: skip
        run([tool("zizmor"), "--offline", "--strict-collection", str(workflow_path)])
        workflow = yaml.safe_load(workflow_path.read_text())
        assert workflow["permissions"] == {}
        assert {name: job["permissions"] for name, job in workflow["jobs"].items()} == {
            "update": {"contents": "write", "pull-requests": "write"}
        }
        triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
        assert set(triggers) == {"schedule", "workflow_dispatch"}
        script = "\n".join(s.get("run", "") for s in workflow["jobs"]["update"]["steps"])
        assert "copier check-update" in script
        assert "copier update --defaults" in script
        assert "--trust" not in script
        assert "--UNSAFE" not in script

        # Every action pinned to a full SHA, the same pin (and version) as the CI workflows.
        ci_text = "\n".join(p.read_text() for p in (project / ".github/workflows").glob("ci*.yml"))
        pins = PINNED.findall(workflow_path.read_text())
        assert pins, "no pinned action found"
        for action, sha, version in pins:
            assert re.fullmatch(r"[0-9a-f]{40}", sha), action
            assert f"{action}@{sha} # {version}" in ci_text, f"{action} is pinned unlike ci.yml"

    def test_the_gitlab_job_runs_only_on_schedules(self, render: Render, tmp_path: Path) -> None:
        """Schema-valid alone and once included in .gitlab-ci.yml; scheduled pipelines only."""
        project = render(ci="gitlab")
        job_path = project / GITLAB_JOB
        job_file = yaml.safe_load(job_path.read_text())
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        assert not set(job_file) & set(pipeline), "the included job clashes with a pipeline key"
        included = tmp_path / "included.gitlab-ci.yml"
        included.write_text(yaml.safe_dump(pipeline | job_file, sort_keys=False))
        for path in (job_path, included):
            run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(path)])
        job = job_file["template-update"]
        assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
        assert job["stage"] in pipeline["stages"]
        script = "\n".join(job["script"])
        assert "copier check-update" in script
        assert "copier update --defaults" in script
        assert "--trust" not in script
        assert "merge_requests" in script
        assert "TEMPLATE_UPDATE_TOKEN" in script

    @pytest.mark.parametrize("ci", ["github", "gitlab", "none"])
    def test_only_the_chosen_ci_gets_an_update_job(self, render: Render, ci: str) -> None:
        project = render(ci=ci)
        assert (project / GITHUB_WORKFLOW).exists() == (ci == "github")
        assert (project / GITLAB_JOB).exists() == (ci == "gitlab")

    def test_renovate_uses_the_copier_manager(self, render: Render) -> None:
        """renovate.json passes Renovate's schema and enables the copier manager only."""
        project = render()
        config_path = project / "renovate.json"
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.renovate", str(config_path)])
        config = yaml.safe_load(config_path.read_text())
        assert config["enabledManagers"] == ["copier"]


class TestUpdateMessages:
    """_message_before_update / _message_after_update say when the data move applies."""

    @staticmethod
    def update(project: Path, head: str, data: dict[str, Any], capfd: Any) -> str:
        capfd.readouterr()
        copier.run_update(
            str(project), data=data, defaults=True, overwrite=True, vcs_ref=head, quiet=False
        )
        return capfd.readouterr().err

    def test_extracting_a_context_points_to_the_data_move(
        self, project: Path, released_template: ReleasedTemplate, capfd: Any
    ) -> None:
        """monolith -> hybrid: the messages name the moved context's script."""
        data = {"architecture": "hybrid", "services": ["billing"]}
        output = self.update(project, released_template.head, data, capfd)
        assert "You are changing the deployment map" in output
        assert "Contexts deployed on their own: billing." in output
        assert "uv run python scripts/move_context_data.py <context>" in output

    def test_a_hybrid_without_services_says_which_context_it_extracts(
        self, project: Path, released_template: ReleasedTemplate, capfd: Any
    ) -> None:
        """monolith -> hybrid with no `services`: the default (the last context) is named."""
        output = self.update(project, released_template.head, {"architecture": "hybrid"}, capfd)
        assert "Contexts deployed on their own: billing." in output
        assert "(`services` was not given: a hybrid keeps its previous `services` answer" in output

    def test_a_plain_update_of_a_monolith_mentions_no_data_move(
        self, project: Path, released_template: ReleasedTemplate, capfd: Any
    ) -> None:
        """Nothing moves when the deployment map stays the same."""
        output = self.update(project, released_template.head, {}, capfd)
        assert "Updated Acme Shop (modular-monolith)." in output
        assert "move_context_data" not in output
        assert "deployment map" not in output


def test_the_update_guide_shows_the_https_source_and_existing_scripts(render: Render) -> None:
    """docs/updating.md: Renovate needs an https:// `_src_path`; every script it names exists."""
    project = render()
    guide = (project / "docs" / "updating.md").read_text()
    # No address where nothing is published: the recorded `_src_path`, and the form it needs.
    assert "groundwork-dev" not in guide
    assert "`_src_path` must be the\n  https:// address your platform team publishes" in guide
    assert not re.search(r"gh:[\w-]+/", guide), "Renovate cannot read the gh: shorthand"
    scripts = set(re.findall(r"scripts/[\w.]+\.py", guide))
    assert scripts == {
        "scripts/move_context_data.py",
        "scripts/template_drift.py",
        "scripts/update.py",
    }
    assert all((project / script).is_file() for script in scripts)
