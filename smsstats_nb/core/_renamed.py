"""Old keyword names that keep working for one release, each with a DeprecationWarning.

0.2 chose one word per idea (the last day is ``end``, the granularity ``freq``); a notebook
written for 0.1 still runs, and says what to write instead::

    @renamed(until="end")
    def sync(transport, since, end=None, ...): ...

    sync(t, "2024-01-01", until="2024-01-31")   # works, warns: sync(until=...) is now end=...
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ._errors import QueryError, said

__all__ = ["REMOVED_IN", "renamed"]

#: The release in which the old names go.
REMOVED_IN = "0.3"

F = TypeVar("F", bound=Callable[..., Any])


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Accept each old keyword as its new name, with a DeprecationWarning (both at once: QueryError)."""

    def wrap(function: F) -> F:
        name = function.__qualname__

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise said(QueryError, "give {new}=, not both {new}= and {old}=", new=new, old=old)
                    warnings.warn(
                        f"{name}({old}=...) is now {name}({new}=...); the old name goes in {REMOVED_IN}",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return cast(F, call)

    return wrap
