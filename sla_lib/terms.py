"""The terms file (spec section 8): every blank of the contract template, typed and validated.

Numbers in the YAML are read as ``Decimal`` straight from their text (never through a
binary float), so ``late_payment_daily_pct: 0.05`` is exactly 0.05.

The file comes from people who may be careless or hostile (issue 12); whatever it holds,
:func:`load_terms` returns valid terms or raises TermsError(s) naming the file and the
dotted key, never another exception:

* anchors and aliases (``&a`` / ``*a``, and so ``<<: *a`` merges) are refused outright: a
  terms file has no use for them, and an alias bomb ("billion laughs") would otherwise
  expand to gigabytes; nesting deeper than :data:`MAX_DEPTH` levels is refused before the
  recursive composer could hit Python's recursion limit;
* an impossible calendar date written unquoted (``start: 2026-02-30``) and an integer too
  long for Python's int conversion stay text, so the key's validation names them;
* the text fields (``contract.id``, ``party_a``, ``party_b``) must be one line of printable
  text: C0/C1 control characters, line and paragraph separators and the bidirectional
  controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) are rejected, since the
  contract id goes into e-mail subjects and report titles;
* messages quote the offending value escaped (``repr``) and shortened, so every error is
  one printable line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .errors import TermsError, TermsErrors

CHANNELS = ("phone", "email", "chat")


def _no_bool(value):
    # YAML `yes`/`true` would otherwise pass as 1 for a number.
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    return value


def _to_decimal(value):
    value = _no_bool(value)
    if isinstance(value, float):  # only reachable when built from Python, not from YAML
        return Decimal(str(value))
    return value


Pct = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0, le=100)]
NonNegDecimal = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0)]
Money = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    Field(ge=0, lt=Decimal("1e15"), decimal_places=2),  # below a quadrillion yuan: quantizing stays exact
    AfterValidator(lambda v: v.quantize(Decimal("0.01"))),
]
Days = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, strict=False)]
PosInt = Annotated[int, BeforeValidator(_no_bool), Field(ge=1)]


# C0 and C1 controls (tab and line breaks included), DEL, line/paragraph separators and the
# bidirectional controls: none belongs in a one-line text field of the terms
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _one_line_text(value: str) -> str:
    found = _CONTROL_RE.search(value)
    if found:
        char = found.group()
        raise ValueError(
            f"holds the control character U+{ord(char):04X} at position {found.start() + 1}: a text "
            f"field of the terms must be one line of printable characters (it goes into e-mail "
            f"subjects and report titles)"
        )
    return value


Text = Annotated[str, AfterValidator(_one_line_text)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Contract(_Section):
    id: Text
    party_a: Text
    party_b: Text
    timezone: Text = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'Asia' is a folder
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Term(_Section):
    """C7: the service term and its auto-renewal."""

    start: dt.date
    end: dt.date
    auto_renewal_check_days: Days
    objection_notice_days: Days
    renewal_months: PosInt

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        # a field validator (not a model one) so the error names term.end, not just term
        start = info.data.get("start")
        if start is not None and value < start:
            raise ValueError(f"term.end {value} is before term.start {start}")
        return value

    @property
    def renewed_end(self) -> dt.date:
        """C7: the last day of the renewed term, which runs ``renewal_months`` from the day
        after ``end`` (Jan 31 + 1 month clipped to Feb 28)."""
        return add_months(self.end + dt.timedelta(days=1), self.renewal_months) - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clipped to the month's last day (Jan 31 + 1 -> Feb 28)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _months(first: dt.date, last: dt.date) -> list[str]:
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _parse_clock(value) -> int:
    """'09:00' -> minutes after midnight; '24:00' allowed (end of day)."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 09:00 as sexagesimal 540; accept it as minutes
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str):
        raise ValueError(f"expected a time like '09:00', got {value!r}")
    try:
        hours, minutes = value.strip().split(":")
        h, m = int(hours), int(minutes)
    except ValueError as exc:
        raise ValueError(f"expected a time like '09:00', got {value!r}") from exc
    if not (0 <= m < 60 and (0 <= h < 24 or (h == 24 and m == 0))):
        raise ValueError(f"not a time of day: {value!r}")
    return h * 60 + m


class ServiceHours(_Section):
    """C8: service days and the daily interval [open, close)."""

    days: Literal["workdays", "all"]
    open: Annotated[int, BeforeValidator(_parse_clock)]
    close: Annotated[int, BeforeValidator(_parse_clock)]

    @field_validator("close")
    @classmethod
    def _close_after_open(cls, value: int, info: ValidationInfo) -> int:
        opening = info.data.get("open")
        if opening is not None and value <= opening:
            raise ValueError(
                f"service_hours.close must be after service_hours.open ({opening // 60:02d}:{opening % 60:02d})"
            )
        return value

    @property
    def minutes_per_day(self) -> int:
        return self.close - self.open


class CalendarOverrides(_Section):
    """Dates the calendar package lacks or gets wrong (spec section 2)."""

    holidays: list[dt.date] = []
    workdays: list[dt.date] = []

    @field_validator("workdays")
    @classmethod
    def _disjoint(cls, value: list[dt.date], info: ValidationInfo) -> list[dt.date]:
        both = sorted(set(info.data.get("holidays") or ()) & set(value))
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"dates listed both in calendar_overrides.holidays and here: {listed}")
        return value


ResponseMinutes = Annotated[NonNegDecimal, Field(gt=0, le=525_600)]  # at most a year
# A number, or one limit per channel. The tag picks the branch, so an error reports only the
# branch the user wrote (a plain union reports both); "[...]" tags are dropped from keys.
ResponseLimit = Annotated[
    Annotated[ResponseMinutes, Tag("[minutes]")]
    | Annotated[dict[Literal["phone", "email", "chat"], ResponseMinutes], Tag("[per-channel]")],
    Discriminator(lambda v: "[per-channel]" if isinstance(v, dict) else "[minutes]"),
]


class Standards(_Section):
    consultation_response_minutes: ResponseLimit
    complaint_contact_hours: Annotated[NonNegDecimal, Field(gt=0, le=8760)]  # at most a year
    complaint_contact_clock: Literal["calendar", "service"] = "calendar"
    complaint_solution_workdays: Days  # 0: by the end of the day of receipt (spec §2)
    followup_coverage_pct: Pct
    satisfied_min_score: Annotated[PosInt, Field(le=5)]

    @field_validator("consultation_response_minutes")
    @classmethod
    def _every_channel(cls, value):
        if isinstance(value, dict):
            missing = [c for c in CHANNELS if c not in value]
            if missing:
                raise ValueError(f"per-channel limits must name every channel; missing {missing}")
        return value

    def response_limit_minutes(self, channel: str) -> Decimal:
        limit = self.consultation_response_minutes
        return limit[channel] if isinstance(limit, dict) else limit


class Targets(_Section):
    """C9–C11: the fee KPIs' targets in percent."""

    consultation_resolution_pct: Pct
    complaint_satisfaction_pct: Pct
    followup_satisfaction_pct: Pct


class Fees(_Section):
    """C12–C16."""

    monthly_base_fee: Money
    bonus_pct: Pct
    penalty_step_pct: Annotated[Pct, Field(gt=0)]
    penalty_per_step_pct: Pct
    penalty_rounding: Literal["ceil", "floor", "prorata"] = "ceil"
    penalty_cap_pct: Pct = Decimal(100)
    payment_workdays: Days
    invoice_workdays: Days


class Liability(_Section):
    """C17–C20."""

    late_payment_daily_pct: Pct
    termination_overdue_days: Days
    repeated_failure_months: PosInt
    breach_penalty_pct: Pct
    total_contract_amount: Money | None = None
    confidentiality_penalty: Money


class Terms(_Section):
    contract: Contract
    term: Term
    service_hours: ServiceHours
    calendar_overrides: CalendarOverrides = CalendarOverrides()
    standards: Standards
    targets: Targets
    na_counts_as: Literal["met", "missed"] = "met"
    fees: Fees
    liability: Liability
    # Set by load_terms; not a key of the file.
    source: str | None = Field(default=None, exclude=True)
    sha256: str | None = Field(default=None, exclude=True)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.contract.timezone)

    @property
    def term_months(self) -> list[str]:
        """The months of the term, 'YYYY-MM'."""
        return _months(self.term.start, self.term.end)

    @property
    def contract_months(self) -> list[str]:
        """The months of the term and of its renewal (C7), 'YYYY-MM': the months the suite
        measures and settles. The contract renews unless a party objects, which the terms
        file does not record, so the renewal's months are allowed (docs/decisions.md)."""
        return _months(self.term.start, self.term.renewed_end)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of every term's value (not of the file's bytes): equal terms, equal key.
        Keys the per-month KPI cache, so a scenario's changed terms never reuse a result."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def total_contract_amount(self) -> Decimal:
        """C19: the stated amount, else base fee × months of the term."""
        if self.liability.total_contract_amount is not None:
            return self.liability.total_contract_amount
        return self.fees.monthly_base_fee * len(self.term_months)

    def with_changes(self, changes: dict[str, object]) -> "Terms":
        """A copy with dotted keys replaced (``{"fees.bonus_pct": 3}``), validated again."""
        data = self.model_dump(mode="python")
        for dotted, value in changes.items():
            node = data
            parts = dotted.split(".")
            for part in parts[:-1]:
                if not isinstance(node, dict) or part not in node:
                    raise TermsError("<changes>", dotted, "no such key in the terms")
                node = node[part]
            if not isinstance(node, dict) or parts[-1] not in node:
                raise TermsError("<changes>", dotted, "no such key in the terms")
            node[parts[-1]] = value
        return terms_from_mapping(data, source="<changes>")


MAX_DEPTH = 20  # the terms nest 3 levels deep; the composer recurses once per level


class _Refused(Exception):
    """YAML structure a terms file must not use (an anchor, an alias, deep nesting)."""

    def __init__(self, key: str, message: str):
        self.key, self.message = key, message


class _DecimalLoader(yaml.SafeLoader):
    """SafeLoader that reads YAML floats as Decimal from their text, refuses anchors and
    aliases, bounds the nesting depth, and keeps an impossible date or an over-long
    integer as text (for the key's validation to name)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._keys: list[str] = []

    def compose_node(self, parent, index):
        if isinstance(index, yaml.ScalarNode):  # a mapping's value: its key
            part = str(index.value)
        elif isinstance(index, yaml.Node):
            part = "?"
        elif isinstance(index, int):  # a sequence item
            part = str(index)
        else:  # the document, or a mapping key
            part = None
        keys = self._keys + ([part] if part is not None else [])
        event = self.peek_event()
        line = f"line {event.start_mark.line + 1}, column {event.start_mark.column + 1}"
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(".".join(keys) or "<file>",
                           f"anchors and aliases (&name, *name) are not allowed in a terms file "
                           f"({line}); write the values out")
        if len(keys) > MAX_DEPTH:
            raise _Refused(".".join(keys[:3]) + ".…",
                           f"nested more than {MAX_DEPTH} levels deep ({line}); a terms file "
                           f"nests 3 levels")
        if part is None or isinstance(event, yaml.ScalarEvent):
            return super().compose_node(parent, index)
        self._keys.append(part)
        try:
            return super().compose_node(parent, index)
        finally:
            self._keys.pop()


def _construct_decimal(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    lowered = text.lower()
    if lowered in (".inf", "+.inf", "-.inf", ".nan"):
        raise yaml.constructor.ConstructorError(None, None, f"{text} is not a usable number", node.start_mark)
    return Decimal(text)


def _construct_timestamp(loader, node):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):  # 2026-02-30, hour 25: the key's validation names it
        return loader.construct_scalar(node)


def _construct_int(loader, node):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except (ValueError, OverflowError):  # more digits than int() converts
        return loader.construct_scalar(node)


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_DecimalLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _shown(value, limit: int = 60) -> str:
    """``repr`` of a value for a one-line message: escaped, and shortened when long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "…" + text[-4:]


def _duplicate_key(node, prefix: str = ""):
    """The first key written twice in one mapping, as (dotted key, line), else None.
    PyYAML silently keeps the last of two equal keys; a terms file must not."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            dotted = f"{prefix}.{key}" if prefix else key
            if key in seen and key != "<<":
                return dotted, key_node.start_mark.line + 1
            seen.add(key)
            found = _duplicate_key(value_node, dotted)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_key(item, f"{prefix}.{i}" if prefix else str(i))
            if found:
                return found
    return None


def _dotted(loc: tuple) -> str:
    # pydantic puts union member / validator names in loc; keep only the real keys
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
    return _CONTROL_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", ".".join(parts))


def terms_from_mapping(data, source: str = "<terms>") -> Terms:
    if not isinstance(data, dict):
        raise TermsError(source, "<file>", "the terms file must be a YAML mapping of sections")
    try:
        return Terms.model_validate(data)
    except ValidationError as exc:
        errors = []
        seen = set()
        for err in exc.errors():
            key = _dotted(err["loc"]) or "<file>"
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling against the spec's section 8)"
            elif err["type"] == "missing":
                msg = "missing key (it has no default)"
            else:
                msg = err["msg"].removeprefix("Value error, ")
                if "input" in err and not isinstance(err["input"], dict):
                    msg += f" (got {_shown(err['input'])})"
            if (key, msg) not in seen:
                seen.add((key, msg))
                errors.append(TermsError(source, key, msg))
        if len(errors) == 1:
            raise errors[0] from None
        raise TermsErrors(errors) from None


def load_terms(path) -> Terms:
    """Read and validate a terms file; every problem names the file and the dotted key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TermsError(path, "<file>", f"cannot read the terms file: {exc.strerror}") from None
    try:
        loader = _DecimalLoader(raw.decode("utf-8-sig"))
        try:
            node = loader.get_single_node()
            duplicate = _duplicate_key(node)
            if duplicate:
                raise TermsError(path, duplicate[0], f"key written twice (second time on line {duplicate[1]})")
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except UnicodeDecodeError:
        raise TermsError(path, "<file>", "the terms file is not UTF-8 text") from None
    except _Refused as exc:
        raise TermsError(path, exc.key, exc.message) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TermsError(path, "<file>", f"not valid YAML: {where}{problem}") from None
    terms = terms_from_mapping(data, source=str(path))
    return terms.model_copy(update={"source": str(path), "sha256": hashlib.sha256(raw).hexdigest()})
