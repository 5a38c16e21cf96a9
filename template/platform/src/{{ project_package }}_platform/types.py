"""Field types for request bodies and path parameters, bounded like the columns behind them.

PostgreSQL refuses what these refuse (a NUL in text, a lone surrogate, an integer beyond a
32-bit column), but only once the request reaches the database: the API would answer 500.
Declaring a field with these types answers 422 before any command is sent. The integer types
are strict: `"12"` and `true` are not amounts (JSON bodies; path parameters arrive as text).
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator, Strict, StringConstraints

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1  # PostgreSQL `integer` (sqlalchemy.Integer)


def plain_text(value: str) -> str:
    """Refuse what no PostgreSQL text column can hold."""
    if "\x00" in value:
        msg = "must not contain the NUL character"
        raise ValueError(msg)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        msg = "must be valid Unicode (it holds a lone surrogate)"
        raise ValueError(msg) from None
    return value


# Any text: a name, a note, a reason. Add StringConstraints(max_length=...) for the column.
Text = Annotated[str, AfterValidator(plain_text)]
# An id in a String(36) column (the contexts' uuid4 strings), in a body or a path.
Id = Annotated[str, StringConstraints(min_length=1, max_length=36), AfterValidator(plain_text)]
# A 32-bit integer column.
Int32 = Annotated[int, Strict(), Ge(INT32_MIN), Le(INT32_MAX)]
# Money in the smallest unit, and counts, in 32-bit integer columns: never negative.
Cents = Annotated[int, Strict(), Ge(0), Le(INT32_MAX)]
Quantity = Annotated[int, Strict(), Ge(0), Le(INT32_MAX)]
