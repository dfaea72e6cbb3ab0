"""`revframe quality match`: match leads and contacts without an account to accounts."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import typer

from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.cli.quality import quality_app
from revframe.errors import UsageError
from revframe.quality.match import METHODS, AccountMatcher, Match, MatchRun, NoMatch, run_matching

PER_METHOD = 3


@quality_app.command("match")
def match(
    object_name: Annotated[
        str, typer.Option("--object", help="The people table to match: contacts (its leads and contacts).")
    ] = "contacts",
    min_confidence: Annotated[
        float | None,
        typer.Option(min=0, max=1, help="Accept matches at or above this confidence (default: the spec's)."),
    ] = None,
    email: Annotated[str | None, typer.Option(help="Match one ad-hoc record with this email instead.")] = None,
    company: Annotated[str | None, typer.Option(help="Company name of the ad-hoc record.")] = None,
    website: Annotated[str | None, typer.Option(help="Website of the ad-hoc record.")] = None,
    country: Annotated[str | None, typer.Option(help="Country (code or name) of the ad-hoc record.")] = None,
) -> None:
    """Match each lead or contact without an account to an account: by email domain, website, company name.

    Writes the run's matches to account_matches (earlier runs are kept). With --email, --company,
    --website or --country, matches that one record and writes nothing (what routing does per lead).
    """
    if object_name != "contacts":
        raise UsageError(f"--object {object_name}: only contacts (leads and contacts) are matched to accounts")
    ws = workspace()
    matcher = AccountMatcher.from_store(ws.store, ws.spec)
    if min_confidence is not None:
        matcher.settings = matcher.settings.model_copy(update={"min_confidence": min_confidence})
    if any(v is not None for v in (email, company, website, country)):
        _match_one(matcher, {"email": email, "company": company, "website": website, "country": country})
        return
    if not matcher.accounts:
        say("no accounts in the store: nothing to match against (ingest accounts first)")
    run = run_matching(ws.store, matcher)
    rows = [_match_row(matcher, run, m) for m in run.matches]
    if STATE.format is not Format.table:
        emit_rows(rows, data=rows)
        return
    _print_summary(matcher, run, rows)


def _match_one(matcher: AccountMatcher, record: dict[str, Any]) -> None:
    result = matcher.evaluate(record)
    row: dict[str, Any] = {"account_id": None, "account_name": None, "confidence": None, "method": None}
    if isinstance(result, Match):
        row = {"account_id": result.account_id, "account_name": matcher.account(result.account_id).name}
        row |= {"confidence": result.confidence, "method": result.method}
    row["reason"] = result.reason
    if STATE.format is Format.json:
        emit_json(row)
    elif isinstance(result, Match):
        emit_rows([row], title="Match")
    else:
        say(f"no match: {result.reason}")


def _match_row(matcher: AccountMatcher, run: MatchRun, m: Match) -> dict[str, Any]:
    person = run.person(m.contact_id)
    return {
        "contact_id": m.contact_id,
        "external_id": person["external_id"],
        "source_system": person["source_system"],
        "record_type": person["record_type"],
        "account_id": m.account_id,
        "account_name": matcher.account(m.account_id).name,
        "confidence": m.confidence,
        "method": m.method,
        "reason": m.reason,
    }


def _print_summary(matcher: AccountMatcher, run: MatchRun, rows: list[dict[str, Any]]) -> None:
    people, matched = len(run.people), len(run.matches)
    if not people:
        say("no leads or contacts without an account: nothing to match")
        return
    say(
        f"run {run.run_id}: {people:,} people without an account; {matched:,} matched at confidence "
        f"≥ {matcher.settings.min_confidence:.2f} (written to account_matches), {people - matched:,} left unmatched"
    )
    emit_rows([{"method": k, "matches": n} for k, n in run.counts_by_method().items()], title="Matches by method")
    if rows:  # a few of each method, so every kind of evidence shows
        sample = [r for method in METHODS for r in [r for r in rows if r["method"] == method][:PER_METHOD]]
        columns = ("contact_id", "account_name", "confidence", "method", "reason")
        emit_rows([{k: r[k] for k in columns} for r in sample], title=f"Sample ({len(sample)} of {len(rows):,})")
    if run.unmatched:
        why = Counter(_why_unmatched(n) for n in run.unmatched)
        emit_rows([{"left unmatched": k, "people": n} for k, n in why.most_common()], title="Unmatched")


def _why_unmatched(n: NoMatch) -> str:
    if n.below_min_confidence is not None:
        return "a match below the minimum confidence"
    if "free-mail" in n.reason:
        return "free-mail email and no other match"
    if "legal form" in n.reason:
        return "company name is only a legal form"
    if n.reason == "no accounts to match against":
        return n.reason
    if "no email domain, website or company name" in n.reason:
        return "no email domain, website or company name"
    return "no account with that domain or name"
