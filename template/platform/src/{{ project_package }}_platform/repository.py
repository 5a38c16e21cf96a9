"""Generic repository port and its SQLAlchemy adapter; contexts bind them to aggregates."""

from __future__ import annotations

import abc
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

T = TypeVar("T")


class AbstractRepository(abc.ABC, Generic[T]):
    """Tracks the aggregates it returns, so the unit of work can collect their events."""

    def __init__(self) -> None:
        self.seen: set[T] = set()

    def add(self, aggregate: T) -> None:
        self._add(aggregate)
        self.seen.add(aggregate)

    def get(self, identity: str) -> T | None:
        aggregate = self._get(identity)
        if aggregate is not None:
            self.seen.add(aggregate)
        return aggregate

    def all(self) -> list[T]:
        return self._list()

    @abc.abstractmethod
    def _add(self, aggregate: T) -> None: ...

    @abc.abstractmethod
    def _get(self, identity: str) -> T | None: ...

    @abc.abstractmethod
    def _list(self) -> list[T]: ...


class SqlAlchemyRepository(AbstractRepository[T]):
    """Works for any imperatively mapped aggregate whose primary key is one string."""

    def __init__(self, session: Session, model: type[T]) -> None:
        super().__init__()
        self._session = session
        self._model = model

    def _add(self, aggregate: T) -> None:
        self._session.add(aggregate)

    def _get(self, identity: str) -> T | None:
        return self._session.get(self._model, identity)

    def _list(self) -> list[T]:
        return list(self._session.scalars(select(self._model)))
