"""Run the scripts a generated project ships (scripts/*.py) in this process."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType
from typing import Any


def load_script(project: Path, name: str) -> ModuleType:
    path = project / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"generated_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def drift_check(project: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Exit status and JSON report of the project's scripts/template_drift.py."""
    output = io.StringIO()
    with redirect_stdout(output):
        status = load_script(project, "template_drift").main(
            ["--project", str(project), "--json", *args]
        )
    return status, json.loads(output.getvalue())


def drift(project: Path) -> list[dict[str, str]]:
    """The drifted files; the exit status must agree with the report."""
    status, report = drift_check(project)
    assert "error" not in report, report
    assert status == (0 if report["clean"] else 1), report
    return report["drift"]
