"""Semantic checks: what pydantic cannot see, such as references between sections.

Checks live in modules by pillar (``check_ids``, ``check_process``, ``check_data``, ``check_org``);
this module runs them. See docs/framework.md for the list of checks and the errors they give.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revframe.framework import check_data, check_ids, check_org, check_process
from revframe.framework.check_base import Check, Context, Issue

if TYPE_CHECKING:
    from revframe.framework.models import Spec

ALL_CHECKS: tuple[Check, ...] = (
    *check_ids.CHECKS,
    *check_process.CHECKS,
    *check_data.CHECKS,
    *check_org.CHECKS,
)


def run_checks(spec: Spec, valid_sections: set[str], ctx: Context) -> list[Issue]:
    """Run every check whose sections validated.

    Args:
        spec: the spec; sections that failed validation are None and their checks are skipped.
        valid_sections: top-level YAML keys whose content validated (or took their default).
        ctx: what checks may ask the loader.

    Returns:
        Every issue found, in check order.
    """
    issues: list[Issue] = []
    for check in ALL_CHECKS:
        if all(section in valid_sections for section in check.needs):
            issues.extend(check.fn(spec, ctx))
    return issues
