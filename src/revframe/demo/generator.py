"""``generate_company``: write a synthetic B2B SaaS company's exports, mapping files and ground truth.

Accounts are simulated in chunks (``Scale.chunk`` accounts at a time); each chunk's rows are
written before the next chunk starts, so memory stays bounded at every scale.
"""

from __future__ import annotations

import math
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from revframe.demo import activities, hubspot, revenue, touchpoints
from revframe.demo.accounts import CompanyFactory
from revframe.demo.campaigns import build_campaigns, campaign_rows
from revframe.demo.company import Chunk
from revframe.demo.config import AS_OF_DATE, DAY, EPOCH, FX, SCALES, START_DATE
from revframe.demo.defects import BAD_VALUES, GroundTruth
from revframe.demo.files import FILES, LOAD_ORDER, MAPPINGS, TABLE_OF, render
from revframe.demo.ground_truth_doc import README as GT_README
from revframe.demo.ids import IdBook, sf_id
from revframe.demo.users import build_team, user_rows
from revframe.demo.world import World
from revframe.demo.writers import Sinks


@dataclass(frozen=True)
class DemoLoad:
    """One file to ingest: its path, the mapping (preset name or mapping file path) and the object."""

    path: Path
    mapping: str
    object: str


@dataclass
class DemoFiles:
    """What :func:`generate_company` wrote."""

    root: Path
    loads: list[DemoLoad] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    ground_truth: Path = Path()
    file_rows: dict[str, int] = field(default_factory=dict)


_BAD_RATE = 0.001


def generate_company(out_dir: Path, scale: str = "small", seed: int = 7) -> DemoFiles:
    """Generate the demo company "Northwind Analytics" into ``out_dir``.

    Args:
        out_dir: folder to write (created; generated sub-folders are replaced).
        scale: ``small``, ``medium`` or ``large`` (see :data:`revframe.demo.SCALES`).
        seed: the same scale and seed give byte-identical files.

    Returns:
        The files to ingest in order, rows per canonical table, and the ground-truth folder.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    sc = SCALES[scale]
    root = Path(out_dir)
    for sub in ("salesforce", "hubspot", "billing", "support", "product", "success", "ground_truth"):
        if (root / sub).exists():
            shutil.rmtree(root / sub)
    root.mkdir(parents=True, exist_ok=True)
    sinks = Sinks(root)
    for key, (rel, spec) in FILES.items():
        sinks.open(key, rel, [c for c, _ in spec])
    gt = GroundTruth(sinks)
    r = random.Random(f"revframe-demo:{seed}:world")
    ids = IdBook(seed)
    team = build_team(r, sc.team, ids.new)
    book = build_campaigns(r, sc.campaigns_per_quarter, sc.team, ids.new)
    world = World(seed, sc, ids, team, book, CompanyFactory(), gt)
    _write_rows(sinks, "User", user_rows(team))
    marketing = next(u for u in team.users if u.title == "Director of Marketing Ops")
    _write_rows(sinks, "Campaign", campaign_rows(book, marketing.id))
    _write_rows(sinks, "DatedConversionRate", rate_rows())
    for c in book.campaigns:
        if c.violation:
            gt.add(
                "naming_violations",
                table="campaigns",
                source_system="salesforce",
                external_id=c.id,
                name=c.name,
                defect=c.violation,
                convention="YYYY-QN_channel_name",
            )
    gt.flush()
    done = 0
    index = 0
    while done < sc.accounts:
        n = min(sc.chunk, sc.accounts - done)
        _run_chunk(world, sinks, index, n)
        done += n
        index += 1
    sinks.close()
    for rel, text in MAPPINGS.items():
        (root / rel).write_text(text, encoding="utf-8")
    (root / "ground_truth" / "README.md").write_text(GT_README, encoding="utf-8")
    files = DemoFiles(root=root, ground_truth=root / "ground_truth")
    for key, mapping, obj in LOAD_ORDER:
        path = root / FILES[key][0]
        m = str(root / mapping) if mapping.endswith(".yaml") else mapping
        files.loads.append(DemoLoad(path, m, obj))
        rows = sinks[key].rows
        files.file_rows[key] = rows
        table = TABLE_OF[key]
        files.counts[table] = files.counts.get(table, 0) + rows
    return files


def rate_rows() -> list[dict]:
    """Salesforce dated exchange rates (units per 1 USD), one per currency per quarter, drifting ±2% around FX."""
    rows, day = [], START_DATE.replace(day=1)
    n = 0
    while day <= AS_OF_DATE:
        q = (day.year - START_DATE.year) * 4 + (day.month - 1) // 3
        for code, rate in FX.items():
            if code == "USD":
                continue
            n += 1
            drift = 1 + 0.02 * math.sin(q + len(code) + ord(code[0]))
            rows.append({"Id": sf_id("04w", n), "IsoCode": code, "ConversionRate": f"{rate * drift:.6f}",
                         "StartDate": (day - EPOCH).days * DAY})  # fmt: skip
        day = day.replace(year=day.year + (day.month + 3 > 12), month=(day.month + 2) % 12 + 1)
    return rows


def _write_rows(sinks: Sinks, key: str, rows: list[dict], corrupt: dict | None = None) -> None:
    if rows:
        sinks[key].write(render(rows, FILES[key][1]), corrupt)


def _run_chunk(world: World, sinks: Sinks, index: int, n: int) -> None:
    ch = Chunk(world, index, n)
    ch.run()
    hubspot.build(ch)
    converted = {
        row["Id"].encode(): row["ConvertedContactId"].encode() for row in ch.rows["Lead"] if row["ConvertedContactId"]
    }
    tasks, events = activities.build(ch)
    members = touchpoints.build(ch, converted)
    tickets = revenue.ticket_columns(ch)
    usage = revenue.usage_columns(ch)
    gt = world.gt
    bad_r = random.Random(f"revframe-demo:{world.seed}:{index}:bad")
    for key in (
        "Account",
        "Contact",
        "Lead",
        "Opportunity",
        "OpportunityHistory",
        "hs_companies",
        "hs_contacts",
        "hs_deals",
        "subscriptions",
        "onboarding",
    ):
        rows = ch.rows[key]
        corrupt: dict[tuple[int, str], str] = {}
        if key in BAD_VALUES:
            col, values = BAD_VALUES[key]
            sink = sinks[key]
            for i, row in enumerate(rows):
                if bad_r.random() < _BAD_RATE and row["Id"] not in gt.protected:
                    value = bad_r.choice(values)
                    corrupt[(i, col)] = value
                    gt.rows["bad_rows"].append(
                        {
                            "file": FILES[key][0],
                            "line": sink.next_line() + i,
                            "field": col,
                            "value": value,
                            "object": key,
                            "external_id": row["Id"],
                            "reason": "malformed value",
                        }
                    )
        _write_rows(sinks, key, rows, corrupt or None)
    for key, cols in (
        ("Task", tasks),
        ("Event", events),
        ("CampaignMember", members),
        ("tickets", tickets),
        ("usage", usage),
    ):
        if cols is not None:
            sinks[key].write(cols)
    gt.flush()
