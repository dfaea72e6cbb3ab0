"""One record's query, built once per spec and reused for every record (the server's hot path).

The server runs the same few queries for every lead (the lead's score features, its routing facts):
the text depends only on the spec, the parameters on the lead's id and the time. Building the text
(compiling the spec's conditions, rendering the markers) costs more than running it, so
:meth:`SqlTemplate.cached` builds it once with stand-in values, learns which parameter is which
argument, and from then on only fills them in. A query whose parameters cannot be told apart that
way is simply built each time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any, ClassVar

Builder = Callable[..., tuple[str, list[Any]]]
_STAND_INS = (datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(2003, 5, 7, 9, 11, 13, tzinfo=UTC))
_CHECK = datetime(2005, 7, 11, 13, 17, 19, 123456, tzinfo=UTC)


@dataclass(frozen=True)
class _Slot:
    kind: str  # "const": the value; "arg": argument i; "shift": argument i (a time) plus delta
    value: Any = None
    arg: int = 0
    delta: timedelta = timedelta(0)


class SqlTemplate:
    """A query's text and, per parameter, a constant, an argument, or an argument time plus an offset."""

    _cache: ClassVar[OrderedDict[tuple[int, str, tuple[str, ...]], tuple[object, SqlTemplate | None]]] = OrderedDict()
    _lock: ClassVar[Lock] = Lock()
    SIZE: ClassVar[int] = 256

    def __init__(self, sql: str, slots: list[_Slot]) -> None:
        self.sql, self.slots = sql, slots

    def __call__(self, *args: Any) -> tuple[str, list[Any]]:
        params = []
        for s in self.slots:
            if s.kind == "const":
                params.append(s.value)
            elif s.kind == "arg":
                params.append(args[s.arg])
            else:
                params.append(args[s.arg] + s.delta)
        return self.sql, params

    @classmethod
    def cached(cls, owner: object, name: str, build: Builder) -> Builder:
        """``build`` (arguments: texts, times or None), reusing its text for ``owner`` (the spec) and ``name``.

        The template is learned from two builds with stand-in arguments and checked against a third;
        when that fails (a parameter that is neither a constant nor an argument), ``build`` runs each time.
        """

        def run(*args: Any) -> tuple[str, list[Any]]:
            shape = tuple("none" if a is None else "time" if isinstance(a, datetime) else "text" for a in args)
            key = (id(owner), name, shape)
            with cls._lock:
                hit = cls._cache.get(key)
                if hit is not None and hit[0] is owner:
                    cls._cache.move_to_end(key)
            if hit is None or hit[0] is not owner:
                hit = (owner, cls.learn(build, shape))
                with cls._lock:  # the owner is kept with it, so its id cannot be reused meanwhile
                    cls._cache[key] = hit
                    while len(cls._cache) > cls.SIZE:
                        cls._cache.popitem(last=False)
            template = hit[1]
            return template(*args) if template is not None else build(*args)

        return run

    @staticmethod
    def learn(build: Builder, shape: tuple[str, ...]) -> SqlTemplate | None:
        """The template of ``build`` for arguments of this shape, or None when its parameters cannot be mapped."""

        def stand_ins(n: int) -> list[Any]:
            return [
                None if k == "none" else _STAND_INS[n] if k == "time" else f"\x00stand-in {i} {n}\x00"
                for i, k in enumerate(shape)
            ]

        a, b = stand_ins(0), stand_ins(1)
        (sql, pa), (sql_b, pb) = build(*a), build(*b)
        if sql != sql_b or len(pa) != len(pb):
            return None
        slots = []
        for va, vb in zip(pa, pb, strict=True):
            arg = next((i for i, k in enumerate(shape) if k == "text" and va == a[i] and vb == b[i]), None)
            if arg is not None:
                slots.append(_Slot("arg", arg=arg))
            elif type(va) is type(vb) and va == vb:
                slots.append(_Slot("const", va))
            elif isinstance(va, datetime) and isinstance(vb, datetime):
                times = [i for i, k in enumerate(shape) if k == "time" and va - a[i] == vb - b[i]]
                if len(times) != 1:
                    return None
                slots.append(_Slot("shift", arg=times[0], delta=va - a[times[0]]))
            else:
                return None
        template = SqlTemplate(sql, slots)
        check = [None if k == "none" else _CHECK if k == "time" else f"check {i}" for i, k in enumerate(shape)]
        return template if template(*check) == build(*check) else None


__all__ = ["SqlTemplate"]
