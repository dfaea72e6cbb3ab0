"""The id ledger finds every repeated id of a file, across batches, and nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from revframe.ingest import ids as ids_module
from revframe.ingest.ids import IdLedger


def reference(batches: list[list[str]]) -> list[list[int | None]]:
    seen: dict[str, int] = {}
    out, line = [], 0
    for batch in batches:
        got: list[int | None] = []
        for rid in batch:
            line += 1
            got.append(seen.get(rid))
            seen.setdefault(rid, line)
        out.append(got)
    return out


def run(batches: list[list[str]]) -> list[list[int | None]]:
    ledger, staged, out, line = IdLedger(), set(), [], 0
    for batch in batches:
        lines = list(range(line + 1, line + 1 + len(batch)))
        line += len(batch)
        got = ledger.earlier_lines(batch, lines, lambda rid: rid in staged)
        staged.update(r for r, g in zip(batch, got, strict=True) if g is None)
        out.append(got)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([f"sf:{i}" for i in range(40)]), max_size=30), max_size=15))
def test_ledger_agrees_with_a_plain_dictionary(batches: list[list[str]]) -> None:
    assert run(batches) == reference(batches)


def test_hash_collisions_never_refuse_a_row(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ids_module, "hash", lambda s: 7, raising=False)  # every id collides
    batches = [["a", "b", "a"], ["c", "b", "d"], ["d", "e"]]
    refused = [[g is not None for g in b] for b in run(batches)]
    assert refused == [[g is not None for g in b] for b in reference(batches)]
