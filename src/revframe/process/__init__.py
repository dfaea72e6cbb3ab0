"""The process pillar: the funnel as the spec defines it, evaluated on the store (lifecycle stages)."""

from __future__ import annotations

from revframe.process.lifecycle import LifecycleReport, evaluate_lifecycle

__all__ = ["LifecycleReport", "evaluate_lifecycle"]
