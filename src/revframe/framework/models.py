"""The whole framework spec: one pydantic model per section, assembled into :class:`Spec`.

Sections live in modules by concept (company, lifecycle, handoffs, people, data rules, dedup,
enrichment, systems, metrics); this module puts them together and gives the spec its version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from revframe.framework.attribution import Attribution
from revframe.framework.base import Id, SpecModel
from revframe.framework.company import Charter, Company, Definition, Icp
from revframe.framework.data_rules import DataRules
from revframe.framework.dedup import Dedup
from revframe.framework.enrichment import Enrichment
from revframe.framework.handoffs import Calendar, Handoff
from revframe.framework.lifecycle import Lifecycle, Pipeline, Scoring
from revframe.framework.metrics import Cadence, Metric
from revframe.framework.people import Api, People, Routing
from revframe.framework.systems import System, WebhookUrl

SPEC_FORMAT_VERSION = 1


class Spec(SpecModel):
    """A company's RevOps framework, as loaded from ``revframe.yaml``.

    ``format_version`` is the ``version:`` key (the spec format, 1); :attr:`version` is the content
    hash that identifies this framework in every result row.
    """

    format_version: Literal[1] = Field(alias="version")
    company: Company
    icp: Icp | None = None
    charter: Charter | None = None
    definitions: list[Definition] = []
    people: People
    lifecycle: Lifecycle
    pipeline: Pipeline
    scoring: Scoring | None = None
    handoffs: list[Handoff] = []
    calendars: list[Calendar] = []
    routing: Routing | None = None
    data_rules: DataRules = DataRules()
    dedup: Dedup | None = None
    enrichment: Enrichment | None = None
    systems: list[System] = []
    metrics: list[Metric] = []
    cadences: list[Cadence] = []
    attribution: Attribution | None = None
    webhooks: dict[Id, WebhookUrl] = {}
    api: Api = Api()

    _version: str | None = PrivateAttr(default=None)

    def canonical(self) -> dict[str, Any]:
        """The spec as JSON-ready data, keys as written in YAML (comments and layout dropped)."""
        return self.model_dump(mode="json", by_alias=True)

    def canonical_json(self) -> str:
        """The canonical JSON text the version hash is computed from (sorted keys, no spaces)."""
        return json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def version(self) -> str:
        """The framework version: first 12 hex digits of the sha256 of :meth:`canonical_json`."""
        if self._version is None:
            self._version = hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()[:12]
        return self._version

    # --- lookups engines use ----------------------------------------------------------------------

    def metric(self, metric_id: str) -> Metric:
        """Return the metric with id ``metric_id`` (KeyError if none)."""
        return _by_id(self.metrics, metric_id)

    def handoff(self, handoff_id: str) -> Handoff:
        """Return the handoff with id ``handoff_id`` (KeyError if none)."""
        return _by_id(self.handoffs, handoff_id)

    def system(self, system_id: str) -> System:
        """Return the system with id ``system_id`` (KeyError if none)."""
        return _by_id(self.systems, system_id)

    def calendar(self, calendar_id: str) -> Calendar:
        """Return the calendar with id ``calendar_id`` (KeyError if none)."""
        return _by_id(self.calendars, calendar_id)

    def cadence(self, cadence_id: str) -> Cadence:
        """Return the cadence with id ``cadence_id`` (KeyError if none)."""
        return _by_id(self.cadences, cadence_id)

    def calendar_for_team(self, team_id: str) -> Calendar | None:
        """Return the first calendar that lists ``team_id``, or None."""
        return next((c for c in self.calendars if team_id in c.teams), None)

    def system_of_record(self, obj: str) -> System | None:
        """Return the system that is the system of record for canonical object ``obj``, or None."""
        return next((s for s in self.systems if obj in s.system_of_record_for), None)


def _by_id(items: list[Any], item_id: str) -> Any:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)
