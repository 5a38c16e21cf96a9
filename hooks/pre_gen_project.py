"""Cookiecutter's pre-gen hook: delegates to Copier (see cookiecutter_to_copier.py)."""

import json
import os
import sys

# Cookiecutter renders this file with Jinja before running it: the answers arrive as JSON.
CONTEXT = json.loads(r"""{{ cookiecutter | tojson }}""")
# The hook runs in the new project folder; a relative _repo_dir is relative to where
# Cookiecutter started (join keeps an absolute one as it is).
sys.path.insert(0, os.path.join(os.environ.get("PWD", "."), CONTEXT["_repo_dir"], "hooks"))

import cookiecutter_to_copier  # noqa: E402

cookiecutter_to_copier.pre_gen(CONTEXT)
