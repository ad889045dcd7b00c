"""Identifiers and versions, following Agile Lab's Data Product Specification.

A data product is ``urn:dmb:dp:<domain>:<name>:<major>``; a component is
``urn:dmb:cmp:<domain>:<dp>:<major>:<component>``. The major in the id is the major of the semantic
``version``: a breaking change means a new major, hence a new id that runs side by side with the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_NAME = re.compile(rf"^{NAME_PATTERN}$")
_DP = re.compile(rf"^urn:dmb:dp:(?P<domain>{NAME_PATTERN}):(?P<name>{NAME_PATTERN}):(?P<major>\d+)$")
_CMP = re.compile(
    rf"^urn:dmb:cmp:(?P<domain>{NAME_PATTERN}):(?P<dp>{NAME_PATTERN}):(?P<major>\d+):(?P<component>{NAME_PATTERN})$"
)
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z\-.]+))?(?:\+(?P<build>[0-9A-Za-z\-.]+))?$"
)


@dataclass(frozen=True, order=True)
class DataProductId:
    domain: str
    name: str
    major: int

    def __str__(self) -> str:
        return f"urn:dmb:dp:{self.domain}:{self.name}:{self.major}"

    def component(self, component: str) -> ComponentId:
        return ComponentId(self.domain, self.name, self.major, component)

    @classmethod
    def parse(cls, text: str) -> DataProductId:
        """>>> DataProductId.parse("urn:dmb:dp:sales:orders:1").name
        'orders'
        """
        match = _DP.match(text)
        if not match:
            raise ValueError(f"`{text}` is not a data product id; expected urn:dmb:dp:<domain>:<name>:<major>")
        return cls(match["domain"], match["name"], int(match["major"]))


@dataclass(frozen=True, order=True)
class ComponentId:
    domain: str
    data_product: str
    major: int
    name: str

    def __str__(self) -> str:
        return f"urn:dmb:cmp:{self.domain}:{self.data_product}:{self.major}:{self.name}"

    @property
    def data_product_id(self) -> DataProductId:
        return DataProductId(self.domain, self.data_product, self.major)

    @classmethod
    def parse(cls, text: str) -> ComponentId:
        match = _CMP.match(text)
        if not match:
            raise ValueError(f"`{text}` is not a component id; expected urn:dmb:cmp:<domain>:<dp>:<major>:<component>")
        return cls(match["domain"], match["dp"], int(match["major"]), match["component"])


@dataclass(frozen=True, order=True)
class SemVer:
    major: int
    minor: int
    patch: int
    pre: str = ""

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """>>> SemVer.parse("2.1.0").major
        2
        """
        match = _SEMVER.match(text.strip())
        if not match:
            raise ValueError(f"`{text}` is not a semantic version; expected MAJOR.MINOR.PATCH, e.g. 1.0.0")
        return cls(int(match["major"]), int(match["minor"]), int(match["patch"]), match["pre"] or "")


def is_name(text: str) -> bool:
    return bool(_NAME.match(text))


def is_dp_id(text: str) -> bool:
    return bool(_DP.match(text))


def is_component_id(text: str) -> bool:
    return bool(_CMP.match(text))
