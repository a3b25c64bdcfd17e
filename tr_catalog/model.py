"""The catalog's data model, its loader, and the request rules both the fake and the client apply.

A spec file (``specs/<family>.yaml``) holds ``family`` and ``trs``, one entry per api-id::

    ka10027:
      name: 전일대비등락률상위요청          # Kiwoom's Korean name
      group: rkinfo                        # URL group: POST /api/dostk/rkinfo
      source: "Kiwoom REST guide ...; quoted in owner/repo:path"
      request:                             # body fields, in Kiwoom's order
        mrkt_tp: {required: true, allowed: ["000", "001", "101"], doc: 시장구분, error: 1517}
        stk_cd: {required: true, pattern: code}
      example: {mrkt_tp: "000"}            # a documented request (fidelity tests send it)
      top: {stk_cd: code}                  # top-level response fields and their encodings
      list: pred_pre_flu_rt_upper          # the key of the row list, or null
      rows: {stk_cd: code, cur_prc: price} # the fields of each row
      paging: true                         # answers continue with cont-yn/next-key

A request that breaks a rule gets the live server's error: 1511 for a missing required
field, 1517 for a value outside the allowed ones or a malformed one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from tr_catalog.encoding import split

MISSING_FIELD_CODE = 1511
BAD_VALUE_CODE = 1517

#: Named patterns a request field may use instead of a regex.
NAMED_PATTERNS: dict[str, str] = {
    "code": r"^[0-9A-Z]{6}(_NX|_AL)?$",
    "codes": r"^[0-9A-Z]{6}(_NX|_AL)?(\|[0-9A-Z]{6}(_NX|_AL)?)*$",
    "date": r"^\d{8}$",
    "digits": r"^\d+$",
    "time": r"^\d{4,6}$",
}
#: libyaml's safe loader when PyYAML was built with it: the catalog is read at every start-up,
#: and the pure-Python loader takes ~8x longer over it (0.12 s against 0.015 s here).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

GROUPS = frozenset(
    {"stkinfo", "mrkcond", "chart", "acnt", "rkinfo", "sect", "etf", "thme", "frgnistt", "ordr", "crdordr", "shsa",
     "slb", "elw", "watchlist", "websocket"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RequestField:
    """One body field of a request and its rule."""

    name: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    doc: str = ""
    #: The live server's code for a value that is not allowed or malformed (most TRs: 1517).
    bad_value_code: int = BAD_VALUE_CODE

    def error(self, body: Mapping[str, Any]) -> tuple[int, str] | None:
        """The live server's (code, detail) for this field of ``body``, or None when it is fine."""
        value = str(body.get(self.name, "") or "").strip()
        if not value:
            return (MISSING_FIELD_CODE, f"필수입력 파라미터={self.name}") if self.required else None
        if self.allowed and value not in self.allowed:
            return self.bad_value_code, f"{self.name}={value} (허용값: {', '.join(self.allowed)})"
        if self.pattern and not re.match(NAMED_PATTERNS.get(self.pattern, self.pattern), value):
            return self.bad_value_code, f"{self.name}={value} (형식 오류)"
        return None


@dataclass(frozen=True, slots=True)
class Field:
    """One response field and its wire encoding (see :mod:`tr_catalog.encoding`)."""

    name: str
    encoding: str


@dataclass(frozen=True, slots=True)
class TrDef:
    """Everything the catalog says about one TR."""

    api_id: str
    name: str
    group: str
    family: str
    source: str
    request: tuple[RequestField, ...]
    example: Mapping[str, str]
    top: tuple[Field, ...]
    list_key: str | None
    rows: tuple[Field, ...]
    paging: bool
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/api/dostk/{self.group}"

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.request if f.required)


def request_errors(tr: TrDef, body: Mapping[str, Any]) -> list[tuple[int, str]]:
    """Every rule ``body`` breaks, in the order of the request's fields (missing fields first)."""
    found = [error for f in tr.request if (error := f.error(body)) is not None]
    return sorted(found, key=lambda e: e[0] != MISSING_FIELD_CODE)


def _fields(raw: Any, where: str) -> tuple[Field, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a mapping of field name to encoding")
    for name, encoding in raw.items():
        try:
            split(str(encoding))
        except ValueError as exc:
            raise ValueError(f"{where}.{name}: {exc}") from None
    return tuple(Field(str(name), str(encoding)) for name, encoding in raw.items())


def _request(raw: Any, where: str) -> tuple[RequestField, ...]:
    fields: list[RequestField] = []
    for name, given in (raw or {}).items():
        rule = given or {}
        unknown = set(rule) - {"required", "allowed", "pattern", "doc", "error"}
        if unknown:
            raise ValueError(f"{where}.{name}: unknown keys {sorted(unknown)}")
        fields.append(
            RequestField(
                str(name),
                required=bool(rule.get("required")),
                allowed=tuple(str(v) for v in rule.get("allowed", ())),
                pattern=rule.get("pattern"),
                doc=str(rule.get("doc", "")),
                bad_value_code=int(rule.get("error", BAD_VALUE_CODE)),
            )
        )
    return tuple(fields)


_KEYS = {"name", "group", "source", "request", "example", "top", "list", "rows", "paging", "extra"}


def parse_spec(text: str, origin: str) -> list[TrDef]:
    """The TRs of one spec file; ValueError naming ``origin``, the api-id and the key for anything wrong."""
    doc = yaml.load(text, Loader=_LOADER) or {}
    family = doc.get("family")
    if not isinstance(family, str) or not family:
        raise ValueError(f"{origin}: 'family' (a name) is required")
    trs: list[TrDef] = []
    for api_id, raw in (doc.get("trs") or {}).items():
        where = f"{origin}: {api_id}"
        if not re.match(r"^(ka|kt)\d{5}$", str(api_id)):
            raise ValueError(f"{where}: an api-id looks like ka10001 or kt00018")
        unknown = set(raw) - _KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        for key in ("name", "group", "source"):
            if not raw.get(key):
                raise ValueError(f"{where}: '{key}' is required")
        if raw["group"] not in GROUPS:
            raise ValueError(f"{where}: group {raw['group']!r} is not a Kiwoom URL group")
        rows = _fields(raw.get("rows"), f"{where}.rows")
        if bool(raw.get("list")) != bool(rows):
            raise ValueError(f"{where}: 'list' and 'rows' go together")
        tr = TrDef(
            api_id=str(api_id),
            name=str(raw["name"]),
            group=str(raw["group"]),
            family=family,
            source=str(raw["source"]),
            request=_request(raw.get("request"), f"{where}.request"),
            example={str(k): str(v) for k, v in (raw.get("example") or {}).items()},
            top=_fields(raw.get("top"), f"{where}.top"),
            list_key=raw.get("list") or None,
            rows=rows,
            paging=bool(raw.get("paging", False)),
            extra=raw.get("extra") or {},
        )
        problems = request_errors(tr, tr.example)
        if problems:
            raise ValueError(f"{where}: its example breaks its own request rules: {problems[0][1]}")
        trs.append(tr)
    return trs


def load_catalog() -> dict[str, TrDef]:
    """Every TR of every spec file shipped in ``tr_catalog/specs``, by api-id (duplicates refused)."""
    catalog: dict[str, TrDef] = {}
    specs = resources.files("tr_catalog").joinpath("specs")
    for entry in sorted(specs.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        for tr in parse_spec(entry.read_text(encoding="utf-8"), f"tr_catalog/specs/{entry.name}"):
            if tr.api_id in catalog:
                raise ValueError(
                    f"tr_catalog/specs/{entry.name}: {tr.api_id} is already in {catalog[tr.api_id].family}"
                )
            catalog[tr.api_id] = tr
    return catalog


def catalog_errors() -> str | None:
    """Why the shipped catalog does not load, or None (for a test that names the broken file)."""
    try:
        load_catalog()
    except ValueError as exc:
        return str(exc)
    return None


CATALOG: Mapping[str, TrDef] = load_catalog()
