"""Mappings: how the columns of a source export become canonical fields.

A mapping is YAML (the presets in ``presets/`` or a user's file)::

    name: billing
    source_system: billing
    objects:
      - source: Subscription          # the source object's name (``--object`` accepts it)
        table: subscriptions          # the canonical table it loads
        files: ["subscriptions*"]     # file-name globs that select this object
        fields:
          external_id: id                               # one column
          currency: [currency, Currency]                # alternatives: the first present wins
          account_id: {column: sf_account_id, ref_system: salesforce}
          type: {column: kind, map: {Call: call}, default: task}
          opportunity_id: {column: WhatId, when_prefix: "006"}
          contact_id: {column: Contact IDs, split_first: ";"}
          record_type: {constant: lead}

References (schema columns with ``ref``) become canonical ids ``<system>:<value>``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from revframe.errors import UsageError
from revframe.store.schema import TABLES

PRESETS = ("hubspot", "salesforce")
_RULE_KEYS = {"column", "coalesce", "constant", "map", "default", "when_prefix", "split_first", "ref_system"}


@dataclass(frozen=True)
class Rule:
    """How one canonical field is read from a row (see the module docstring)."""

    columns: tuple[str, ...] = ()
    constant: str | None = None
    value_map: dict[str, str] | None = None
    default: str | None = None
    when_prefix: str | None = None
    split_first: str | None = None
    ref_system: str | None = None


@dataclass
class ObjectMapping:
    source: str
    table: str
    files: list[str]
    fields: dict[str, list[Rule]]  # canonical field -> alternatives, first non-empty wins

    @property
    def key_columns(self) -> list[str]:
        return [c for r in self.fields["external_id"] for c in r.columns]

    def source_columns(self) -> set[str]:
        return {c for rules in self.fields.values() for r in rules for c in r.columns}


@dataclass
class Mapping:
    name: str
    source_system: str
    objects: list[ObjectMapping] = field(default_factory=list)
    origin: str = ""

    def candidates(self, obj: str | None) -> list[ObjectMapping]:
        if obj is None:
            return list(self.objects)
        low = obj.lower()
        found = [o for o in self.objects if low in (o.source.lower(), o.table.lower())]
        if not found:
            names = sorted({o.source for o in self.objects} | {o.table for o in self.objects})
            raise UsageError(
                f"--object {obj}: mapping '{self.name}' has no such object; use one of: {', '.join(names)}"
            )
        return found

    def resolve(self, path: Path, header: list[str], obj: str | None) -> ObjectMapping:
        """Pick the object a file holds: by ``--object``, then file name, then header overlap."""
        cands = self.candidates(obj)
        hdr = set(header)
        by_name = [o for o in cands if any(fnmatch.fnmatch(path.name.lower(), g.lower()) for g in o.files)]
        pool = by_name if (by_name and obj is None) else cands
        scored = sorted(
            ((len(hdr & o.source_columns()), o) for o in pool if hdr & set(o.key_columns)),
            key=lambda t: -t[0],
        )
        if scored and scored[0][0] >= 2:
            return scored[0][1]
        want = "; ".join(f"{o.source}: {', '.join(o.key_columns)} + {len(o.source_columns())} more" for o in pool)
        shown = ", ".join(header[:8]) + (" ..." if len(header) > 8 else "")
        raise UsageError(
            f"{path}:1: the header ({shown}) matches no object of mapping '{self.name}'. "
            f"Expected a key column and known columns ({want}). "
            "Check the file is the export you meant, pass --object NAME, or write a mapping file (docs/ingest.md)."
        )


def _rules(spec: Any, where: str) -> list[Rule]:
    if isinstance(spec, str):
        return [Rule(columns=(spec,))]
    if isinstance(spec, list):
        out: list[Rule] = []
        for item in spec:
            out.extend(_rules(item, where))
        return out
    if isinstance(spec, dict):
        unknown = set(spec) - _RULE_KEYS
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {', '.join(sorted(_RULE_KEYS))}")
        cols = spec.get("column") or spec.get("coalesce") or []
        cols = [cols] if isinstance(cols, str) else list(cols)
        vm = spec.get("map")
        return [
            Rule(
                columns=tuple(str(c) for c in cols),
                constant=None if spec.get("constant") is None else str(spec["constant"]),
                value_map={str(k).lower(): str(v) for k, v in vm.items()} if vm else None,
                default=None if spec.get("default") is None else str(spec["default"]),
                when_prefix=spec.get("when_prefix"),
                split_first=spec.get("split_first"),
                ref_system=spec.get("ref_system"),
            )
        ]
    raise UsageError(f"{where}: a field maps to a column name, a list of names, or a rule, not {spec!r}")


def parse_mapping(data: Any, origin: str) -> Mapping:
    if not isinstance(data, dict) or "objects" not in data:
        raise UsageError(f"{origin}: a mapping needs 'name', 'source_system' and 'objects' (see docs/ingest.md)")
    system = str(data.get("source_system") or data.get("name") or "")
    if not system:
        raise UsageError(f"{origin}: 'source_system' is missing; write e.g. source_system: billing")
    m = Mapping(name=str(data.get("name", system)), source_system=system, origin=origin)
    for i, o in enumerate(data["objects"] or []):
        where = f"{origin}: objects[{i}]"
        table = str(o.get("table", ""))
        if table not in TABLES or TABLES[table].system:
            raise UsageError(f"{where}: table '{table}' is not a canonical table; use one of {sorted(TABLES)}")
        fields = {}
        for fname, fspec in (o.get("fields") or {}).items():
            try:
                TABLES[table].column(str(fname))
            except KeyError:
                raise UsageError(
                    f"{where}: '{fname}' is not a column of {table}; columns: {', '.join(TABLES[table].data_columns)}"
                ) from None
            fields[str(fname)] = _rules(fspec, f"{where}.fields.{fname}")
        if "external_id" not in fields:
            raise UsageError(f"{where}: map external_id to the source's id column")
        m.objects.append(
            ObjectMapping(
                source=str(o.get("source", table)), table=table, files=list(o.get("files") or []), fields=fields
            )
        )
    return m


def load_mapping(name_or_path: str) -> Mapping:
    """Load a preset by name (``hubspot``, ``salesforce``) or a mapping YAML file.

    Raises:
        UsageError: unknown preset, missing file, or a malformed mapping (exit code 2).
    """
    yaml = YAML(typ="safe")
    if name_or_path.lower() in PRESETS:
        text = resources.files("revframe.ingest").joinpath(f"presets/{name_or_path.lower()}.yaml").read_text("utf-8")
        return parse_mapping(yaml.load(text), f"preset {name_or_path.lower()}")
    p = Path(name_or_path)
    if not p.is_file():
        raise UsageError(
            f"--mapping {name_or_path}: not a preset and no such file. "
            f"Use one of: {', '.join(PRESETS)}, or the path of a mapping YAML file (docs/ingest.md)."
        )
    try:
        data = yaml.load(p.read_text("utf-8"))
    except YAMLError as e:
        raise UsageError(f"{p}: not valid YAML: {e}") from e
    return parse_mapping(data, str(p))
