"""What the input tables are (spec section 6): every table's columns with their kind,
required and nullable flags and ordering checks, the column-name, channel and yes/no
aliases an export may use, and the records of what a load did with the rows. Data only:
the reading and checking live in the other modules of :mod:`sla_lib.reading`."""

from __future__ import annotations

from dataclasses import dataclass, field

ID, TEXT, TS, CHANNEL, BOOL, SCORE, MONEY, MONTH = (
    "id", "text", "timestamp", "channel", "bool", "score", "money", "month",
)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str
    required: bool = True  # the column must be in the file
    nullable: bool = False  # a value may be empty


@dataclass(frozen=True)
class TableSpec:
    name: str
    kind: str  # "event" (bad rows set aside) or "money" (bad rows reject the load)
    id_column: str
    columns: tuple[ColumnSpec, ...]
    required: bool = True  # the file must exist
    not_before: tuple[tuple[str, str], ...] = ()  # (column, base): column >= base
    month_column: str | None = None  # the timestamp that puts a row in a month (spec 2)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def _c(name, kind, required=True, nullable=False):
    return ColumnSpec(name, kind, required, nullable)


TABLES: dict[str, TableSpec] = {
    "consultations": TableSpec(
        "consultations", "event", "consultation_id",
        (
            _c("consultation_id", ID),
            _c("channel", CHANNEL),
            _c("customer_id", ID, nullable=True),
            _c("received_at", TS),
            _c("first_response_at", TS, nullable=True),
            _c("resolved", BOOL),
            _c("resolved_at", TS, required=False, nullable=True),
            _c("product", TEXT, required=False, nullable=True),
            _c("category", TEXT, required=False, nullable=True),
            _c("agent_id", ID, required=False, nullable=True),
        ),
        not_before=(("first_response_at", "received_at"), ("resolved_at", "received_at")),
        month_column="received_at",
    ),
    "complaints": TableSpec(
        "complaints", "event", "complaint_id",
        (
            _c("complaint_id", ID),
            _c("customer_id", ID, nullable=True),
            _c("received_at", TS),
            _c("first_contact_at", TS, nullable=True),
            _c("preliminary_solution_at", TS, nullable=True),
            _c("closed_at", TS, nullable=True),
            _c("satisfaction", SCORE, nullable=True),
            _c("channel", CHANNEL, required=False, nullable=True),
            _c("category", TEXT, required=False, nullable=True),
            _c("product", TEXT, required=False, nullable=True),
        ),
        not_before=(
            ("first_contact_at", "received_at"),
            ("preliminary_solution_at", "received_at"),
            ("closed_at", "received_at"),
        ),
        month_column="received_at",
    ),
    "followups": TableSpec(
        "followups", "event", "followup_id",
        (
            _c("followup_id", ID),
            _c("customer_id", ID),
            _c("visited_at", TS),
            _c("satisfaction", SCORE, nullable=True),
            _c("channel", CHANNEL, required=False, nullable=True),
        ),
        month_column="visited_at",
    ),
    "new_customers": TableSpec(
        "new_customers", "event", "customer_id",
        (_c("customer_id", ID), _c("acquired_at", TS)),
        month_column="acquired_at",
    ),
    "payments": TableSpec(
        "payments", "money", "payment_id",
        (_c("payment_id", ID), _c("service_month", MONTH), _c("paid_at", TS), _c("amount", MONEY)),
    ),
    "invoices": TableSpec(
        "invoices", "money", "invoice_id",
        (_c("invoice_id", ID), _c("service_month", MONTH), _c("issued_at", TS), _c("amount", MONEY)),
    ),
    "onsite_visits": TableSpec(
        "onsite_visits", "money", "visit_id",
        (
            _c("visit_id", ID),
            _c("customer_id", ID, nullable=True),
            _c("visited_at", TS),
            _c("fee", MONEY),
        ),
        required=False,
        month_column="visited_at",
    ),
}

# Column-name aliases (alias -> canonical name). Matching ignores case, surrounding
# spaces, full-width forms and a trailing unit in brackets ("金额（元）" -> 金额). An alias
# only applies in a table that has that canonical column; elsewhere it is an extra column.
COLUMN_ALIASES: dict[str, str] = {
    # shared
    "客户编号": "customer_id", "客户id": "customer_id", "客户号": "customer_id",
    "渠道": "channel", "来源渠道": "channel",
    "满意度": "satisfaction", "满意度评分": "satisfaction",
    "产品": "product", "产品型号": "product",
    "类别": "category", "分类": "category", "问题类别": "category",
    # consultations
    "咨询编号": "consultation_id", "咨询id": "consultation_id",
    "接入时间": "received_at", "受理时间": "received_at",
    "首次响应时间": "first_response_at",
    "是否解决": "resolved",
    "解决时间": "resolved_at",
    "坐席工号": "agent_id", "客服工号": "agent_id", "坐席编号": "agent_id",
    # complaints
    "投诉编号": "complaint_id", "投诉id": "complaint_id",
    "首次联系时间": "first_contact_at",
    "初步方案时间": "preliminary_solution_at", "初步解决方案时间": "preliminary_solution_at",
    "结案时间": "closed_at",
    # followups / onsite visits
    "回访编号": "followup_id",
    "回访时间": "visited_at", "上门时间": "visited_at",
    # new customers
    "获客时间": "acquired_at", "获客日期": "acquired_at",
    # payments / invoices
    "付款编号": "payment_id",
    "服务月份": "service_month",
    "付款日期": "paid_at", "付款时间": "paid_at",
    "金额": "amount", "付款金额": "amount", "发票金额": "amount",
    "发票编号": "invoice_id", "发票号码": "invoice_id",
    "开票日期": "issued_at", "开票时间": "issued_at",
    # onsite visits
    "上门编号": "visit_id",
    "费用": "fee", "上门费用": "fee",
}

# Channel values (after stripping, lower-casing and removing inner spaces).
CHANNEL_ALIASES: dict[str, str] = {
    "phone": "phone", "telephone": "phone", "tel": "phone", "call": "phone",
    "电话": "phone", "热线": "phone", "热线电话": "phone", "客服热线": "phone",
    "email": "email", "e-mail": "email", "mail": "email",
    "邮件": "email", "电子邮件": "email", "邮箱": "email",
    "chat": "chat", "online": "chat", "wechat": "chat", "im": "chat",
    "在线": "chat", "在线客服": "chat", "聊天": "chat", "微信": "chat",
}

# Boolean values (after stripping and lower-casing).
BOOL_VALUES: dict[str, bool] = {
    "true": True, "false": False, "t": True, "f": False,
    "1": True, "0": False,
    "yes": True, "no": False, "y": True, "n": False,
    "是": True, "否": False,
}

RESERVED = "source_row"

# ------------------------------------------------------------------------ public records


@dataclass(frozen=True)
class SetAside:
    """One row set aside (excluded from the computations, never silently dropped)."""

    table: str
    row: int  # the row as the user sees it in the file
    record_id: str | None
    column: str | None
    reason: str


@dataclass(frozen=True)
class SkippedRow:
    """A non-blank row that is no record (a title row above the header); not counted."""

    table: str
    row: int
    reason: str


@dataclass
class TableAccount:
    """What happened to a table's rows: ``rows_read == rows_used + len(set_aside)``.

    ``rows_read`` counts the records: the non-blank rows below the header, and any record
    above it (set aside). Title rows above the header are listed in ``skipped_rows`` (they
    are not records, so not counted)."""

    table: str
    file: str | None
    rows_read: int
    rows_used: int
    set_aside: list[SetAside] = field(default_factory=list)
    skipped_rows: list[SkippedRow] = field(default_factory=list)
