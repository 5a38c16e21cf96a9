"""The one matrix of answer combinations: what each renders with, and what each runs.

Every test that needs combinations draws them from MATRIX: renders (tests/test_render.py),
the project's own checks and its integration suite (tests/test_generated.py), deployment
validators (tests/test_deploy_*.py) and updates from each release (tests/test_update.py).
tests/test_matrix.py fails when a choice of a question in copier.yml is not covered by a
combination that runs the full checks, or when a combination's declared answers differ from
what Copier records for it.

GROUNDWORK_MATRIX (comma-separated ids) narrows renders, checks, integration and updates to
those combinations, so a developer can run one; deployment validation (seconds per
combination) always covers every combination that has `deploy`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
COPIER_CONFIG: dict[str, Any] = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())


@dataclass(frozen=True)
class Combination:
    """Answers for `copier copy --defaults` and the runs they take part in."""

    answers: dict[str, Any] = field(default_factory=dict)
    full: bool = False  # sync, then the project's own nox sessions (lint, types, contracts, tests)
    integration: bool = False  # its integration and e2e tests on PostgreSQL and the broker
    redis_db: int | None = None  # a Redis db number of its own for that run (broker: redis)
    deploy: bool = False  # CI, Dockerfile, compose and Kubernetes validators
    update_from_release: bool = False  # generated at each release, edited, updated to HEAD


# Two names at the validators' longest (30 characters), so the full checks prove them too.
LONGEST_CONTEXT = "warehouse_shipping_and_returns"
FIVE_CONTEXTS = ["catalog", "billing", LONGEST_CONTEXT, "customer_notification_settings", "support"]

MATRIX: dict[str, Combination] = {
    "default": Combination(
        {}, full=True, integration=True, redis_db=9, deploy=True, update_from_release=True
    ),
    "rabbitmq-gitlab-py312": Combination(
        {
            "broker": "rabbitmq",
            "ci": "gitlab",
            "python_version": "3.12",
            "arch_coupling": "low",
            "arch_ops_maturity": "none",
        },
        full=True,
        integration=True,
        deploy=True,
    ),  # fmt: skip
    "one-context-noci-py313": Combination(
        {
            "contexts": ["orders"],
            "ci": "none",
            "python_version": "3.13",
            "project_name": "Order Desk",
            "arch_coupling": "high",
            "arch_team_size": 2,
        },
        full=True,
        integration=True,
        redis_db=12,
        deploy=True,
    ),  # fmt: skip
    "hybrid-billing": Combination(
        {
            "architecture": "hybrid",
            "services": ["billing"],
            "arch_scaling": "divergent",
            "arch_cpu_bound": "yes",
        },
        full=True,
        integration=True,
        redis_db=10,
        deploy=True,
        update_from_release=True,
    ),  # fmt: skip
    "hybrid-rabbitmq-gitlab": Combination(
        {"architecture": "hybrid", "services": ["billing"], "broker": "rabbitmq", "ci": "gitlab"},
        deploy=True,
    ),
    "microservices-rabbitmq-gitlab": Combination(
        {
            "architecture": "microservices",
            "broker": "rabbitmq",
            "ci": "gitlab",
            "arch_team_size": 30,
            "arch_coupling": "low",
            "arch_ops_maturity": "mature",
        },
        full=True,
        integration=True,
        deploy=True,
        update_from_release=True,
    ),  # fmt: skip
    "microservices-three-contexts": Combination(
        {
            "architecture": "microservices",
            # An underscore: Kubernetes and compose names need dashes, packages keep it.
            "contexts": ["catalog", "billing", "order_desk"],
            "project_slug": "three-ways",
        },
        full=True,
        integration=True,
        redis_db=11,
        deploy=True,
    ),  # fmt: skip
    "hybrid-five-contexts": Combination(
        {
            "architecture": "hybrid",
            "contexts": FIVE_CONTEXTS,
            "services": [LONGEST_CONTEXT, "support"],
            "project_package": "acme_wholesale_distribution_co",  # the longest package
            "arch_team_size": 12,
        },
        full=True,
        deploy=True,
    ),  # fmt: skip
}

# catalog and billing as plain skeletons: the example flow's files and tests are absent.
MATRIX["no-example-flow"] = Combination(
    {"example_flow": False}, full=True, integration=True, redis_db=13
)


def is_jinja(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


# What a combination that leaves a question out gets: the plain defaults of copier.yml, and
# for `architecture` the recommendation the default arch_* answers give. test_matrix.py
# checks every combination's declared answers against what Copier records.
IMPLICIT = {
    name: yaml.safe_load(spec["default"]) if spec.get("type") == "yaml" else spec["default"]
    for name, spec in COPIER_CONFIG.items()
    if not name.startswith("_") and not is_jinja(spec.get("default", "{{"))
} | {"architecture": "modular-monolith"}


def declared(combination: str, question: str) -> Any:
    """The answer a combination gives to `question`, stated or implicit."""
    answers = MATRIX[combination].answers
    return answers[question] if question in answers else IMPLICIT[question]


def narrowed() -> list[str]:
    """Combination ids to run: all, or those named in GROUNDWORK_MATRIX."""
    wanted = os.environ.get("GROUNDWORK_MATRIX", "").strip()
    if not wanted:
        return list(MATRIX)
    ids = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = sorted(set(ids) - set(MATRIX))
    if unknown:
        raise pytest.UsageError(f"GROUNDWORK_MATRIX names unknown combinations: {unknown}")
    return ids


def running(run: str) -> list[str]:
    """Combination ids that take part in `run` ("full", "integration", "update_from_release"),
    narrowed by GROUNDWORK_MATRIX; "deploy" is never narrowed."""
    ids = list(MATRIX) if run == "deploy" else narrowed()
    return [name for name in ids if getattr(MATRIX[name], run)]
