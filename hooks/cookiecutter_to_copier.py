"""Cookiecutter's entry point delegates to Copier: one template, two ways in.

`pre_gen_project.py` and `post_gen_project.py` (Cookiecutter's hook names) import this
module from the template checkout Cookiecutter used. The pre-gen hook checks the answers
with Copier's own validators (a dry run) and prints the recommendation; the post-gen hook
renders the project with `copier.run_copy` from that checkout, trust-free, and records the
template's address in `.copier-answers.yml` so that `copier update` works from then on.

Hooks run in Cookiecutter's own interpreter, so Copier must be installed beside it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# What cookiecutter.json holds where Copier computes the default (see tests/test_cookiecutter.py).
DERIVED = ""
RECOMMENDED = "recommended"
PLACEHOLDER = ".groundwork-cookiecutter"
ANSWERS_FILE = ".copier-answers.yml"
INSTALL_COPIER = (
    "groundwork renders with Copier, which is not installed beside Cookiecutter "
    f"({sys.executable}): run `pipx inject cookiecutter copier` or "
    "`uv tool install cookiecutter --with copier`, then try again."
)
REMOTE_URL = re.compile(r"^(https?|ssh|git)://|^[\w.-]+@[\w.-]+:")


def template_checkout(context: dict[str, Any]) -> Path:
    """The template folder Cookiecutter rendered from, as an absolute path.

    `_repo_dir` is relative when the user passed a relative path, and hooks run inside the
    new project folder: resolve it against the directory Cookiecutter was started from.
    """
    repo_dir = Path(os.environ.get("PWD", "."), context["_repo_dir"])
    if not (repo_dir / "copier.yml").is_file():
        msg = f"cannot find the template at {repo_dir}: pass its absolute path to cookiecutter"
        raise SystemExit(msg)
    return repo_dir


def template_address(context: dict[str, Any], checkout: Path) -> str:
    """What `copier update` should read later: the URL the user gave, or the checkout's
    published remote when they gave a local path, else the local path itself."""
    given = str(context["_template"])
    if REMOTE_URL.match(given):
        return given
    remote = subprocess.run(
        ["git", "-C", str(checkout), "remote", "get-url", "origin"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    url = remote.stdout.strip()
    return url if remote.returncode == 0 and REMOTE_URL.match(url) else str(checkout)


def copier_data(context: dict[str, Any], checkout: Path) -> dict[str, Any]:
    """Cookiecutter's answers as Copier data: typed as copier.yml says, and without the
    placeholders that mean "let Copier compute it"."""
    import yaml  # Cookiecutter and Copier both depend on PyYAML

    questions = yaml.safe_load((checkout / "copier.yml").read_text(encoding="utf-8"))
    data: dict[str, Any] = {}
    for name, spec in questions.items():
        if name.startswith("_") or name not in context or spec.get("when") is False:
            continue
        value = context[name]
        if value in (DERIVED, RECOMMENDED) and "{{" in str(spec.get("default", "")):
            continue
        kind = spec.get("type", "str")
        if kind == "int":
            value = int(value) if str(value).strip().lstrip("-").isdigit() else value
        elif kind == "bool":
            value = str(value).strip().lower() in ("yes", "y", "true", "1", "on")
        elif kind == "yaml" and isinstance(value, str):
            value = yaml.safe_load(value)
        data[name] = value
    return data


def _import_copier() -> Any:
    try:
        import copier
    except ImportError:
        print(INSTALL_COPIER, file=sys.stderr)
        raise SystemExit(1) from None
    return copier


def pre_gen(context: dict[str, Any]) -> None:
    """Refuse bad answers with Copier's messages before anything is written."""
    copier = _import_copier()
    checkout = template_checkout(context)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            worker = copier.run_copy(
                str(checkout), scratch, data=copier_data(context, checkout), defaults=True,
                vcs_ref="HEAD", pretend=True, quiet=True,
            )  # fmt: skip
        except ValueError as refused:
            print(f"groundwork: {refused}", file=sys.stderr)
            raise SystemExit(1) from None
    answers = worker.answers.combined
    decision = answers["arch_decision"]
    print(f"Recommended architecture: {decision['recommendation']} (rule: {decision['rule']})")
    for reason in decision["reasons"]:
        print(f"  - {reason}")
    if answers.get("arch_override_warning"):
        print(f"WARNING: {answers['arch_override_warning']}")


def post_gen(context: dict[str, Any]) -> None:
    """Render the project into this (Cookiecutter's) folder with Copier."""
    copier = _import_copier()
    checkout = template_checkout(context)
    project = Path.cwd()
    (project / PLACEHOLDER).unlink(missing_ok=True)
    copier.run_copy(
        str(checkout), project, data=copier_data(context, checkout), defaults=True,
        overwrite=True, vcs_ref="HEAD", quiet=True,
    )  # fmt: skip
    # Copier records the checkout, which for a URL is Cookiecutter's cache folder; updates
    # need the address the team can reach (JSON strings are valid YAML scalars).
    address = template_address(context, checkout)
    answers = project / ANSWERS_FILE
    recorded = answers.read_text(encoding="utf-8")
    if address != str(checkout):
        recorded = re.sub(r"(?m)^_src_path: .*$", f"_src_path: {json.dumps(address)}", recorded)
        answers.write_text(recorded, encoding="utf-8")
    print(f"Generated with Copier from {address}. Next, in {project}:")
    print("  git init && git add -A && git commit -m 'Generate from groundwork'")
    print("  uv sync --all-packages && uv run nox")
    print("Later template releases arrive with `copier update` (see docs/updating.md).")
