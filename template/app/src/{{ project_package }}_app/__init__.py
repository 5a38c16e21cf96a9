"""Composition root of every deployable: API, worker and migrations."""
