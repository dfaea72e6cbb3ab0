"""Building blocks shared by every section: the strict base model, ids and validated value types.

Every value type here fails with a message *and* a hint (what to write instead); the loader turns
those into :class:`~revframe.framework.problems.Problem` objects with the YAML line and column.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from revframe.framework.suggest import did_you_mean, one_of
from revframe.store.schema import DATA_TABLES, TABLES

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
TIME_TYPES = ("date", "timestamp")


class SpecModel(BaseModel):
    """Base of every spec model: unknown keys are errors; a loaded spec is read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def invalid(message: str, hint: str) -> PydanticCustomError:
    """Build the validation error every revframe validator raises: a message plus a fix."""
    return PydanticCustomError("revframe", "{message}", {"message": message, "hint": hint})


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]
"""A snake_case identifier: lower-case letters, digits and underscores, starting with a letter."""


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_as_list)]
"""A list of strings; a single string is read as a one-item list."""


# --- canonical objects and fields -----------------------------------------------------------------


def _object_name(value: str) -> str:
    if value not in DATA_TABLES:
        raise invalid(
            f"unknown object '{value}'",
            f"{did_you_mean(value, DATA_TABLES)}use a canonical object: {one_of(DATA_TABLES)}",
        )
    return value


ObjectName = Annotated[str, AfterValidator(_object_name)]
"""The name of a canonical data table, e.g. ``contacts``."""


def field_problem(obj: str, field: str) -> PydanticCustomError | None:
    """Return the error for ``obj.field`` when it is not a canonical field, else None."""
    if obj not in DATA_TABLES:
        return invalid(
            f"unknown object '{obj}' in field reference '{obj}.{field}'",
            f"{did_you_mean(obj, DATA_TABLES)}objects are: {one_of(DATA_TABLES)}",
        )
    names = TABLES[obj].data_columns
    if field not in names:
        return invalid(
            f"'{obj}' has no field '{field}'",
            f"{did_you_mean(field, names)}fields of {obj}: {one_of(names, limit=40)}",
        )
    return None


def _field_ref(value: str) -> str:
    obj, sep, field = value.partition(".")
    if not sep or not obj or not field or "." in field:
        raise invalid(
            f"'{value}' is not a field reference",
            "write object.field, e.g. contacts.email or opportunities.close_date",
        )
    error = field_problem(obj, field)
    if error is not None:
        raise error
    return value


def _time_field_ref(value: str) -> str:
    obj, _, field = value.partition(".")
    column = TABLES[obj].column(field)
    if column.type not in TIME_TYPES:
        dated = [c.name for c in TABLES[obj].all_columns if c.type in TIME_TYPES]
        raise invalid(
            f"'{value}' is a {column.type} field, not a date",
            f"a time dimension must be a date or timestamp field; {obj} has: {one_of(dated)}",
        )
    return value


FieldRef = Annotated[str, AfterValidator(_field_ref)]
"""A canonical field written ``object.field``, e.g. ``opportunities.close_date``."""

TimeFieldRef = Annotated[str, AfterValidator(_field_ref), AfterValidator(_time_field_ref)]
"""A canonical date or timestamp field, e.g. ``opportunities.close_date``."""


# --- ISO codes, time zones, patterns --------------------------------------------------------------


@cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 alphabetic currency codes."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 country codes."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def time_zones() -> frozenset[str]:
    """IANA time zone names."""
    return frozenset(zoneinfo.available_timezones())


def _currency(value: str) -> str:
    if value not in currency_codes():
        if value.upper() in currency_codes():
            raise invalid(f"currency '{value}' must be upper-case", f"write '{value.upper()}'")
        raise invalid(
            f"unknown currency '{value}'",
            f"{did_you_mean(value, currency_codes())}use an ISO 4217 code such as USD, EUR or GBP",
        )
    return value


def _country(value: str) -> str:
    if value not in country_codes():
        if value.upper() in country_codes():
            raise invalid(f"country code '{value}' must be upper-case", f"write '{value.upper()}'")
        hint = "use an ISO 3166-1 alpha-2 code such as US, GB, DE or FR"
        found = pycountry.countries.get(name=value) or pycountry.countries.get(alpha_3=value.upper())
        if found is not None:
            hint = f"write '{found.alpha_2}' ({found.name})"
        raise invalid(f"unknown country code '{value}'", hint)
    return value


def _timezone(value: str) -> str:
    if value not in time_zones():
        raise invalid(
            f"unknown time zone '{value}'",
            f"{did_you_mean(value, time_zones())}use an IANA name such as America/New_York or Europe/London",
        )
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise invalid(
            f"invalid regular expression: {exc}",
            "fix the pattern (Python re syntax); quote it in single quotes so YAML keeps backslashes",
        ) from None
    return value


Currency = Annotated[str, AfterValidator(_currency)]
"""An ISO 4217 currency code, e.g. ``USD``."""

Country = Annotated[str, AfterValidator(_country)]
"""An ISO 3166-1 alpha-2 country code, e.g. ``US``."""

TimeZone = Annotated[str, AfterValidator(_timezone)]
"""An IANA time zone, e.g. ``America/New_York``."""

Regex = Annotated[str, AfterValidator(_regex)]
"""A Python regular expression."""


def _percent(value: float) -> float:
    if not 0 <= value <= 100:
        raise invalid(
            f"{value:g} is outside 0..100",
            "write a percent from 0 to 100 (40 means 40%, not 0.4)",
        )
    return value


Percent = Annotated[float, AfterValidator(_percent)]
"""A percent from 0 to 100."""


def _share(value: float) -> float:
    if not 0 <= value <= 1:
        raise invalid(f"{value:g} is outside 0..1", "write a share from 0 to 1, e.g. 0.95")
    return value


Share = Annotated[float, AfterValidator(_share)]
"""A fraction from 0 to 1 (match probabilities, confidences)."""
