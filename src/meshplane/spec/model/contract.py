"""The data contract of an output port: schema, quality expectations, SLA, terms and bi-temporality.

It follows what ODCS v3 can express so the ODCS codec is a translation, not an approximation; quality
expectations are a union keyed on ``type`` so each kind carries exactly the fields it needs.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from meshplane.spec.durations import parse_duration, parse_percent
from meshplane.spec.model.base import SpecModel


class LogicalType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    TIME = "time"
    BINARY = "binary"
    ARRAY = "array"
    OBJECT = "object"


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"
    PII = "pii"
    SENSITIVE = "sensitive"


#: Classifications that must be masked unless a grant says otherwise.
PROTECTED_CLASSIFICATIONS = frozenset({Classification.PII, Classification.SENSITIVE})


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Column(SpecModel):
    """One column. ``polyseme`` names the mesh-wide concept whose global key the column holds."""

    name: str = Field(min_length=1)
    type: LogicalType
    physical_type: str | None = None
    required: bool = False
    unique: bool = False
    primary_key: bool = False
    description: str = ""
    classification: Classification | None = None
    polyseme: str | None = None
    tags: list[str] = Field(default_factory=list)
    examples: list[Any] = Field(default_factory=list)


class _Expectation(SpecModel):
    name: str | None = None
    description: str = ""
    severity: Severity = Severity.ERROR
    #: Percent of rows allowed to fail before the expectation fails (0 = none).
    threshold: float = Field(default=0.0, ge=0, le=100)


class _ColumnExpectation(_Expectation):
    column: str


class NotNull(_ColumnExpectation):
    type: Literal["notNull"] = "notNull"


class Unique(_Expectation):
    type: Literal["unique"] = "unique"
    columns: list[str] = Field(min_length=1)


class AcceptedValues(_ColumnExpectation):
    type: Literal["acceptedValues"] = "acceptedValues"
    values: list[Any] = Field(min_length=1)


class Range(_ColumnExpectation):
    type: Literal["range"] = "range"
    min: float | str | None = None
    max: float | str | None = None
    exclusive_min: bool = False
    exclusive_max: bool = False

    @model_validator(mode="after")
    def _bounded(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("a range needs `min`, `max` or both")
        return self


class Pattern(_ColumnExpectation):
    type: Literal["pattern"] = "pattern"
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class RowCount(_Expectation):
    type: Literal["rowCount"] = "rowCount"
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _bounded(self) -> RowCount:
        if self.min is None and self.max is None:
            raise ValueError("a row count needs `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is greater than `max` ({self.max})")
        return self


class Freshness(_ColumnExpectation):
    type: Literal["freshness"] = "freshness"
    max_age: str

    @field_validator("max_age")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class CustomSql(_Expectation):
    """A query returning one number, compared with the bounds (``mustBe`` = exact)."""

    type: Literal["sql"] = "sql"
    query: str = Field(min_length=1)
    must_be: float | None = None
    must_be_less_than: float | None = None
    must_be_less_or_equal_to: float | None = None
    must_be_greater_than: float | None = None
    must_be_greater_or_equal_to: float | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> CustomSql:
        bounds = (
            self.must_be,
            self.must_be_less_than,
            self.must_be_less_or_equal_to,
            self.must_be_greater_than,
            self.must_be_greater_or_equal_to,
        )
        if all(b is None for b in bounds):
            self.must_be = 0
        return self


Expectation = Annotated[
    NotNull | Unique | AcceptedValues | Range | Pattern | RowCount | Freshness | CustomSql,
    Field(discriminator="type"),
]


class Sla(SpecModel):
    """How often the data changes, how late it may be, and how often the port is up."""

    interval_of_change: str | None = None
    timeliness: str | None = None
    uptime: str | None = None

    @field_validator("interval_of_change", "timeliness", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is not None:
            parse_duration(value)
            return str(value).strip()
        return value

    @field_validator("uptime", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if value is not None:
            parse_percent(value)
            return str(value).strip()
        return value


class Terms(SpecModel):
    """Terms of use (the Data Product Specification's data sharing agreement)."""

    purpose: str | None = None
    usage: str | None = None
    limitations: str | None = None
    billing: str | None = None
    security: str | None = None
    lifecycle: str | None = None
    confidentiality: str | None = None
    notice_period: str | None = None


class BiTemporal(SpecModel):
    """Valid-time columns the platform maintains; transaction time comes from table versions."""

    valid_from: str
    valid_to: str


class DataContract(SpecModel):
    columns: list[Column] = Field(default_factory=list)
    quality: list[Expectation] = Field(default_factory=list)
    sla: Sla | None = None
    terms: Terms | None = None
    bitemporal: BiTemporal | None = None

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def primary_key(self) -> list[str]:
        return [c.name for c in self.columns if c.primary_key]
