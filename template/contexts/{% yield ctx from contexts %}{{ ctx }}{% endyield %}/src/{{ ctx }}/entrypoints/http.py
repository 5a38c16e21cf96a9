"""HTTP entrypoint: translates requests into commands and queries, nothing more."""

from __future__ import annotations

from fastapi import APIRouter


def make_router() -> APIRouter:
    router = APIRouter()

    @router.get("/items")
    def list_items() -> list[dict[str, str]]:
        return []

    return router
