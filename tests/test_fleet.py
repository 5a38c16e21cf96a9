"""Fleet tooling every generated repository ships: drift check, update jobs, Renovate, data move.

- `scripts/template_drift.py` re-renders the recorded template version with the recorded
  answers and lists template-owned files that differ (exit 1), ignoring `contexts/`.
- The scheduled template-update job (GitHub workflow or GitLab job) is schema-valid, has no
  zizmor finding and least-privilege permissions, and never passes --trust.
- `renovate.json` enables Renovate's copier manager.
- `scripts/move_context_data.py` moves an extracted context's tables and Alembic version
  between two real PostgreSQL databases.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import uuid
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import Render, find_tool, init_git, project_env, run, uv_sync
from generated_scripts import drift, drift_check, load_script
from gitrepo import commit_all, git
from releases import ReleasedTemplate
from services import postgres_database
from team_edits import edit_team_files

GITHUB_WORKFLOW = ".github/workflows/template-update.yml"
GITLAB_JOB = ".gitlab/template-update.yml"
PINNED = re.compile(r"uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>\S+)\s*#\s*(?P<version>v\S+)")


def tool(name: str) -> str:
    """A command of the template's dev environment (check-jsonschema, zizmor)."""
    found = find_tool(name)
    assert found, f"{name} is not installed: uv sync --group dev"
    return found


@pytest.fixture(name="project")
def _project(released_template: ReleasedTemplate, tmp_path: Path) -> Path:
    """The default answers at the release under test, committed."""
    project = tmp_path / "acme-shop"
    copier.run_copy(
        released_template.src, project, defaults=True, vcs_ref=released_template.head, quiet=True
    )
    init_git(project)
    return project


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


# --- moving an extracted context's data ---------------------------------------------------


def fill(connection: Any, table: str, rows: int) -> None:
    """Insert `rows` rows with a value for every column (no foreign keys expected)."""
    columns = connection.execute(
        "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    for number in range(rows):
        values = []
        for name, data_type, length in columns:
            if "int" in data_type or data_type == "numeric":
                values.append(number + 1)
            elif data_type == "boolean":
                values.append(False)
            elif data_type.startswith("timestamp") or data_type == "date":
                values.append("2026-11-25")
            elif data_type in {"json", "jsonb"}:
                values.append("{}")
            elif data_type == "uuid":
                values.append(str(uuid.uuid4()))
            else:
                values.append(f"{name}-{number}-{uuid.uuid4().hex}"[: length or 100])
        placeholders = ", ".join(["%s"] * len(values))
        names = ", ".join(f'"{name}"' for name, _, _ in columns)
        connection.execute(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', values)


def snapshot(url: str, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table whose name starts with `prefix`, sorted."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name LIKE %s", [f"{prefix}%"],
        )]  # fmt: skip
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in sorted(tables)
        }


# Nothing listens on the discard port: moving rows must not need the broker.
UNREACHABLE_BROKER = "redis://127.0.0.1:9/0"


@pytest.mark.update
@pytest.mark.integration
def test_moving_a_context_copies_its_tables_and_version(render: Render) -> None:
    """billing's rows, version and inbox rows reach the service's database; catalog's stay.

    The broker is unreachable throughout: a data move touches the two databases only.
    """
    import psycopg

    project = render()
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["project_package"]
    uv_sync(project, "3.11")
    no_broker = project_env(APP_ENV="test", CELERY_BROKER_URL=UNREACHABLE_BROKER)
    with postgres_database() as monolith, postgres_database() as service:
        run(["uv", "run", "--no-sync", "python", "-m", f"{package}_app.migrate", "--no-broker"],
            project, env=no_broker | {"DATABASE_URL": monolith})  # fmt: skip
        with psycopg.connect(monolith.replace("+psycopg", ""), autocommit=True) as connection:
            billing_tables = list(snapshot(monolith, "billing_"))
            assert billing_tables, "the monolith has no billing_ table to move"
            for table in billing_tables:
                fill(connection, table, rows=3)
            fill(connection, "catalog_items", rows=2)
            for consumer in ("billing", "catalog"):
                connection.execute(
                    "INSERT INTO inbox_messages (consumer, message_id, handled_at)"
                    " VALUES (%s, %s, now())", [consumer, str(uuid.uuid4())],
                )  # fmt: skip

        move = ["uv", "run", "--no-sync", "python", "scripts/move_context_data.py", "billing",
                "--source", monolith, "--target", service]  # fmt: skip
        result = run(move, project, env=no_broker)
        assert "billing: moved at revision" in result.stdout

        assert snapshot(service, "billing_") == snapshot(monolith, "billing_")
        assert all(len(rows) == 3 for rows in snapshot(service, "billing_").values())
        assert snapshot(service, "alembic_version_billing") == snapshot(
            monolith, "alembic_version_billing"
        )
        assert snapshot(service, "catalog_") == {}
        inbox = snapshot(service, "inbox_messages")["inbox_messages"]
        assert [row[0] for row in inbox] == ["billing"]

        # A second run would mix data: refused, and the target is unchanged.
        again = subprocess.run(move, cwd=project, env=no_broker, capture_output=True, text=True)
        assert again.returncode == 1, again.stdout + again.stderr
        assert "already holds rows" in again.stderr
        assert snapshot(service, "billing_") == snapshot(monolith, "billing_")


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
    """docs/updating.md: Renovate needs the https:// source; every script it names exists."""
    project = render()
    guide = (project / "docs" / "updating.md").read_text()
    assert "https://github.com/groundwork-dev/groundwork.git" in guide
    assert not re.search(r"gh:[\w-]+/", guide), "Renovate cannot read the gh: shorthand"
    scripts = set(re.findall(r"scripts/[\w.]+\.py", guide))
    assert scripts == {"scripts/move_context_data.py", "scripts/template_drift.py"}
    assert all((project / script).is_file() for script in scripts)


# --- the update jobs' scripts, run against a local origin -----------------------------------


def fake_tools(directory: Path, calls: Path) -> Path:
    """uvx runs this environment's copier; gh and curl record their arguments."""
    directory.mkdir()
    copier_exe = Path(sys.executable).parent / "copier"
    scripts = {
        # `uvx --from SPEC copier ARGS...`
        "uvx": f'#!/bin/sh\nshift 3\nexec "{copier_exe}" "$@"\n',
        "gh": f'#!/bin/sh\nprintf "%s\\0" "gh" "$@" "--end--" >> "{calls}"\n',
        "curl": f'#!/bin/sh\nprintf "%s\\0" "curl" "$@" "--end--" >> "{calls}"\n',
    }
    for name, text in scripts.items():
        (directory / name).write_text(text)
        (directory / name).chmod(0o755)
    return directory


def recorded(calls: Path) -> list[list[str]]:
    if not calls.exists():
        return []
    commands, current = [], []
    for line in calls.read_text().split("\0")[:-1]:
        if line == "--end--":
            commands.append(current)
            current = []
        else:
            current.append(line)
    return commands


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
