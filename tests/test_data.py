"""sla_lib.data: reading, typing and validating the input tables (spec section 6)."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla_lib.data import TABLES, Dataset, SetAside, TableAccount, load_dataset, load_table
from sla_lib.errors import SlaError, TableError, TableErrors
from sla_lib.terms import terms_from_mapping

TZ = "Asia/Shanghai"
TS_DTYPE = "datetime64[ns, Asia/Shanghai]"


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def problems(exc: pytest.ExceptionInfo) -> list[TableError]:
    err = exc.value
    return err.errors if isinstance(err, TableErrors) else [err]


def assert_invariant(account: TableAccount):
    assert account.rows_read == account.rows_used + len(account.set_aside)


MINIMAL = {
    "consultations": "consultation_id,channel,customer_id,received_at,first_response_at,resolved\n"
    "Q1,phone,C1,2026-10-08 09:00,2026-10-08 09:01,true\n",
    "complaints": "complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction\n"
    "K1,C1,2026-10-08 09:00,,,,\n",
    "followups": "followup_id,customer_id,visited_at,satisfaction\nF1,C1,2026-10-09 10:00,5\n",
    "new_customers": "customer_id,acquired_at\nC1,2026-10-01\n",
    "payments": "payment_id,service_month,paid_at,amount\nP1,2026-09,2026-10-12,200000.00\n",
    "invoices": "invoice_id,service_month,issued_at,amount\nI1,2026-09,2026-10-15,200000.00\n",
}


def write_minimal(tmp_path, skip=()):
    for table, text in MINIMAL.items():
        if table not in skip:
            (tmp_path / f"{table}.csv").write_text(text, encoding="utf-8")


# ------------------------------------------------------------------------ happy paths


def test_consultations_happy_path_dtypes_and_values(tmp_path):
    path = write(tmp_path, "consultations.csv", """
        consultation_id,channel,customer_id,received_at,first_response_at,resolved,resolved_at,product,category,agent_id,customer_name,phone
        Q1,phone,C1,2026-10-08 09:00,2026-10-08 09:00:40,true,2026-10-08 09:10,X1 手机, 售后 ,A7,张三,13800138000
         Q2 ,Email,C2,2026-10-08T10:00:00,,0,,,,,李四, 139 0000 0000
        """)
    frame, account = load_table(path, "consultations")
    assert list(frame.columns) == [
        "consultation_id", "channel", "customer_id", "received_at", "first_response_at", "resolved",
        "resolved_at", "product", "category", "agent_id", "source_row", "customer_name", "phone",
    ]
    dtypes = {c: str(d) for c, d in frame.dtypes.items()}
    assert dtypes == {
        "consultation_id": "string", "channel": "category", "customer_id": "string",
        "received_at": TS_DTYPE, "first_response_at": TS_DTYPE, "resolved": "bool",
        "resolved_at": TS_DTYPE, "product": "string", "category": "string", "agent_id": "string",
        "source_row": "int64", "customer_name": "string", "phone": "string",
    }
    assert list(frame["channel"].cat.categories) == ["phone", "email", "chat"]
    assert frame["consultation_id"].tolist() == ["Q1", "Q2"]
    assert frame["channel"].tolist() == ["phone", "email"]
    assert frame["received_at"].tolist() == [t("2026-10-08 09:00"), t("2026-10-08 10:00")]
    assert frame["first_response_at"].iloc[0] == t("2026-10-08 09:00:40")
    assert pd.isna(frame["first_response_at"].iloc[1])
    assert frame["resolved"].tolist() == [True, False]
    assert frame["resolved_at"].iloc[0] == t("2026-10-08 09:10")
    assert frame["product"].iloc[0] == "X1 手机" and frame["category"].iloc[0] == "售后"
    assert pd.isna(frame["product"].iloc[1]) and pd.isna(frame["agent_id"].iloc[1])
    assert frame["source_row"].tolist() == [2, 3]
    # extra (personal) columns are kept untouched, not stripped
    assert frame["phone"].tolist() == ["13800138000", " 139 0000 0000"]
    assert account == TableAccount("consultations", str(path), 2, 2, [])


def test_complaints_happy_path_optional_values_and_absent_channel(tmp_path):
    path = write(tmp_path, "complaints.csv", """
        complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction,category
        K1,C1,2026-09-30 15:00,2026-09-30 15:30,2026-10-09 11:00,2026-10-10 18:00,4,质量
        K2,,2026-10-08 09:00,,,,,
        """)
    frame, account = load_table(path, "complaints")
    assert str(frame["satisfaction"].dtype) == "Int64"
    assert frame["satisfaction"].iloc[0] == 4 and pd.isna(frame["satisfaction"].iloc[1])
    assert str(frame["channel"].dtype) == "category"
    assert frame["channel"].isna().all()  # optional column absent -> all NA
    assert list(frame["channel"].cat.categories) == ["phone", "email", "chat"]
    assert frame["closed_at"].iloc[0] == t("2026-10-10 18:00")
    assert frame[["first_contact_at", "preliminary_solution_at", "closed_at"]].iloc[1].isna().all()
    assert pd.isna(frame["customer_id"].iloc[1])  # anonymous complaint still counts
    assert frame["category"].iloc[0] == "质量"
    assert frame["product"].isna().all()
    assert (account.rows_read, account.rows_used, account.set_aside) == (2, 2, [])


def test_followups_and_new_customers_happy_path(tmp_path):
    f = write(tmp_path, "followups.csv", """
        followup_id,customer_id,visited_at,satisfaction,channel
        F1,C1,2026-10-09 10:00,5,微信
        F2,C2,2026-10-09,,电话
        """)
    n = write(tmp_path, "new_customers.csv", """
        customer_id,acquired_at
        C1,2026-10-01
        C2,2026-10-02 13:30
        """)
    frame, _ = load_table(f, "followups")
    assert frame["channel"].tolist() == ["chat", "phone"]
    assert frame["visited_at"].tolist() == [t("2026-10-09 10:00"), t("2026-10-09 00:00")]
    assert frame["satisfaction"].tolist()[0] == 5 and pd.isna(frame["satisfaction"].iloc[1])
    customers, account = load_table(n, "new_customers")
    assert customers["customer_id"].tolist() == ["C1", "C2"]
    assert customers["acquired_at"].tolist() == [t("2026-10-01"), t("2026-10-02 13:30")]
    assert str(customers["acquired_at"].dtype) == TS_DTYPE
    assert account.rows_used == 2


def test_payments_money_is_decimal_from_text(tmp_path):
    path = write(tmp_path, "payments.csv", """
        payment_id,service_month,paid_at,amount
        P1,2026-09,2026-10-12,"200,000.00"
        P2,2026/10,2026/11/13,¥1234.5
        P3,2026年11月,2026-12-10,0.10元
        P4,2026-12,2027-01-15,"￥ 1,000"
        """)
    frame, account = load_table(path, "payments")
    assert frame["amount"].dtype == object
    assert frame["amount"].tolist() == [
        Decimal("200000.00"), Decimal("1234.50"), Decimal("0.10"), Decimal("1000.00")
    ]
    assert all(type(a) is Decimal for a in frame["amount"])
    assert [a.as_tuple().exponent for a in frame["amount"]] == [-2, -2, -2, -2]
    assert sum(frame["amount"], Decimal(0)) == Decimal("202234.60")  # exact, never a float
    assert frame["service_month"].tolist() == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert str(frame["service_month"].dtype) == "string"
    assert frame["paid_at"].iloc[1] == t("2026-11-13")
    assert account.rows_used == 4


def test_invoices_and_onsite_visits_happy_path(tmp_path):
    inv = write(tmp_path, "invoices.csv", """
        发票编号,服务月份,开票日期,发票金额
        I1,2026-09,2026-10-15,200000
        """)
    vis = write(tmp_path, "onsite_visits.csv", """
        上门编号,客户编号,上门时间,费用（元）
        V1,C9,2026-10-20 14:00,800.00
        V2,,2026-10-21 09:30,0
        """)
    invoices, _ = load_table(inv, "invoices")
    assert invoices.columns[:4].tolist() == ["invoice_id", "service_month", "issued_at", "amount"]
    assert invoices["amount"].tolist() == [Decimal("200000.00")]
    visits, _ = load_table(vis, "onsite_visits")
    assert visits["fee"].tolist() == [Decimal("800.00"), Decimal("0.00")]
    assert visits["visited_at"].tolist() == [t("2026-10-20 14:00"), t("2026-10-21 09:30")]
    assert pd.isna(visits["customer_id"].iloc[1])


def test_load_dataset_absent_optional_table_is_empty_canonical_frame(tmp_path):
    write_minimal(tmp_path)
    data = load_dataset(tmp_path)
    assert isinstance(data, Dataset)
    assert set(data.tables) == set(TABLES)
    visits = data["onsite_visits"]
    assert len(visits) == 0
    assert list(visits.columns) == ["visit_id", "customer_id", "visited_at", "fee", "source_row"]
    assert {c: str(d) for c, d in visits.dtypes.items()} == {
        "visit_id": "string", "customer_id": "string", "visited_at": TS_DTYPE,
        "fee": "object", "source_row": "int64",
    }
    assert data.accounting["onsite_visits"] == TableAccount("onsite_visits", None, 0, 0, [])
    assert "onsite_visits" not in data.files
    assert data.files["payments"] == tmp_path / "payments.csv"
    assert data["payments"]["amount"].tolist() == [Decimal("200000.00")]
    with pytest.raises(KeyError, match="not loaded"):
        load_dataset(tmp_path, tables=["payments"])["consultations"]


def test_tz_may_be_a_terms_object_or_another_zone(tmp_path):
    path = write(tmp_path, "new_customers.csv", "customer_id,acquired_at\nC1,2026-10-03T06:05:00Z\nC2,2026-10-03 14:05\n")
    terms = terms_from_mapping({
        "contract": {"id": "X", "party_a": "甲", "party_b": "乙", "timezone": "Europe/Berlin"},
        "term": {"start": "2026-01-01", "end": "2026-12-31", "auto_renewal_check_days": 30,
                 "objection_notice_days": 30, "renewal_months": 12},
        "service_hours": {"days": "workdays", "open": "09:00", "close": "18:00"},
        "standards": {"consultation_response_minutes": 5, "complaint_contact_hours": 2,
                      "complaint_solution_workdays": 3, "followup_coverage_pct": 30,
                      "satisfied_min_score": 4},
        "targets": {"consultation_resolution_pct": 90, "complaint_satisfaction_pct": 85,
                    "followup_satisfaction_pct": 90},
        "fees": {"monthly_base_fee": "200000.00", "bonus_pct": 5, "penalty_step_pct": 1,
                 "penalty_per_step_pct": 2, "payment_workdays": 10, "invoice_workdays": 5},
        "liability": {"late_payment_daily_pct": "0.05", "termination_overdue_days": 30,
                      "repeated_failure_months": 2, "breach_penalty_pct": 20,
                      "confidentiality_penalty": "500000.00"},
    })
    frame, _ = load_table(path, "new_customers", terms)
    assert str(frame["acquired_at"].dtype) == "datetime64[ns, Europe/Berlin]"
    assert frame["acquired_at"].tolist() == [
        pd.Timestamp("2026-10-03 08:05", tz="Europe/Berlin"),
        pd.Timestamp("2026-10-03 14:05", tz="Europe/Berlin"),
    ]
    data = load_dataset(tmp_path, terms, tables=["new_customers"])
    assert list(data.tables) == ["new_customers"]


# --------------------------------------------------------------------- encodings, xlsx


def test_utf8_bom(tmp_path):
    path = tmp_path / "new_customers.csv"
    path.write_bytes("\ufeffcustomer_id,acquired_at\nC1,2026-10-01\n".encode("utf-8"))
    frame, _ = load_table(path, "new_customers")
    assert frame.columns[0] == "customer_id"
    assert frame["customer_id"].tolist() == ["C1"]


def test_gb18030_with_chinese_headers_and_channels(tmp_path):
    path = write(tmp_path, "consultations.csv", """
        咨询编号,渠道,客户编号,接入时间,首次响应时间,是否解决,客户姓名
        Q1,电话,C1,2026/10/8 9:00,2026/10/8 9:01,是,张三
        Q2,邮件,C2,2026/10/8 10:00,2026/10/8 13:00,否,李四
        Q3,在线客服,C3,2026/10/8 11:00,2026/10/8 11:00,是,王五
        Q4,热线,C4,2026/10/8 12:00,,否,赵六
        Q5,电子邮件,C5,2026/10/8 12:00,,否,钱七
        Q6,聊天,C6,2026/10/8 12:00,,否,孙八
        """, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    frame, account = load_table(path, "consultations")
    assert frame["channel"].tolist() == ["phone", "email", "chat", "phone", "email", "chat"]
    assert frame["resolved"].tolist() == [True, False, True, False, False, False]
    assert frame["received_at"].iloc[0] == t("2026-10-08 09:00")
    assert frame["客户姓名"].tolist() == ["张三", "李四", "王五", "赵六", "钱七", "孙八"]
    assert account.set_aside == []


def test_undecodable_file_is_an_error(tmp_path):
    path = tmp_path / "new_customers.csv"
    path.write_bytes("customer_id,acquired_at\nC1,2026-10-01\n".encode("utf-16"))
    with pytest.raises(TableError, match="cannot decode the file as UTF-8 or GB18030") as exc:
        load_table(path, "new_customers")
    assert exc.value.path == str(path) and exc.value.row is None


def test_xlsx_datetime_cells_serial_numbers_and_sheet_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["consultation_id", "channel", "customer_id", "received_at", "first_response_at", "resolved"])
    sheet.append([1001, "Phone", "C1", dt.datetime(2026, 10, 8, 9, 0), dt.datetime(2026, 10, 8, 9, 1, 30), True])
    sheet.append([])  # a blank row: skipped, but row numbers stay the sheet's
    # 46303.375 = 2026-10-08 09:00; 46303.3756944444 ~ 09:01 (floating-point noise)
    sheet.append(["Q2", "在线", None, 46303.375, 46303.3756944444, 0])
    sheet.append(["Q3", "email", "C3", dt.date(2026, 10, 9), "2026年10月9日 08:05", "no"])
    path = tmp_path / "consultations.xlsx"
    book.save(path)
    frame, account = load_table(path, "consultations")
    assert frame["consultation_id"].tolist() == ["1001", "Q2", "Q3"]
    assert frame["source_row"].tolist() == [2, 4, 5]
    assert frame["received_at"].tolist() == [t("2026-10-08 09:00"), t("2026-10-08 09:00"), t("2026-10-09 00:00")]
    assert frame["first_response_at"].tolist() == [
        t("2026-10-08 09:01:30"), t("2026-10-08 09:01"), t("2026-10-09 08:05")
    ]
    assert frame["resolved"].tolist() == [True, False, False]
    assert frame["channel"].tolist() == ["phone", "chat", "email"]
    assert pd.isna(frame["customer_id"].iloc[1])
    assert str(frame["received_at"].dtype) == TS_DTYPE
    assert (account.rows_read, account.rows_used) == (3, 3)


def test_xlsx_payments_with_date_cell_as_service_month(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["payment_id", "service_month", "paid_at", "amount"])
    sheet.append(["P1", dt.datetime(2026, 9, 1), dt.datetime(2026, 10, 12), 200000])
    sheet.append(["P2", "2026-10", dt.datetime(2026, 11, 13), 1234.5])
    path = tmp_path / "payments.xlsx"
    book.save(path)
    frame, _ = load_table(path, "payments")
    assert frame["service_month"].tolist() == ["2026-09", "2026-10"]
    assert frame["amount"].tolist() == [Decimal("200000.00"), Decimal("1234.50")]
    assert frame["paid_at"].tolist() == [t("2026-10-12"), t("2026-11-13")]


# ------------------------------------------------------------------ whole-file errors


def test_missing_column_names_file_column_and_columns_found(tmp_path):
    path = write(tmp_path, "followups.csv", "followup_id,customer_id,satisfaction\nF1,C1,5\n")
    with pytest.raises(TableError) as exc:
        load_table(path, "followups")
    err = exc.value
    assert (err.path, err.row, err.column) == (str(path), None, "visited_at")
    assert str(err) == (
        f"{path}, column visited_at: required column 'visited_at' is missing; "
        "columns found: followup_id, customer_id, satisfaction"
    )


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n  \n", b",,\n,,\n"])
def test_empty_file_is_an_error(tmp_path, content):
    path = tmp_path / "new_customers.csv"
    path.write_bytes(content)
    with pytest.raises(TableError, match="the file is empty \\(no header row\\)") as exc:
        load_table(path, "new_customers")
    assert exc.value.path == str(path)


def test_header_only_file_gives_zero_rows(tmp_path):
    path = write(tmp_path, "complaints.csv",
                 "complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction\n")
    frame, account = load_table(path, "complaints")
    assert len(frame) == 0
    assert str(frame["received_at"].dtype) == TS_DTYPE
    assert str(frame["satisfaction"].dtype) == "Int64"
    assert account == TableAccount("complaints", str(path), 0, 0, [])


def test_missing_required_file_and_both_csv_and_xlsx(tmp_path):
    write_minimal(tmp_path, skip=("followups",))
    with pytest.raises(TableError, match="required table followups not found") as exc:
        load_dataset(tmp_path)
    assert exc.value.path == str(tmp_path / "followups.csv")

    write_minimal(tmp_path)
    openpyxl.Workbook().save(tmp_path / "payments.xlsx")
    with pytest.raises(TableError, match="both payments.csv and payments.xlsx exist; remove") as exc:
        load_dataset(tmp_path)
    assert "payments.csv is the older one" in str(exc.value) or "payments.xlsx" in str(exc.value)


def test_two_columns_meaning_the_same_field(tmp_path):
    path = write(tmp_path, "new_customers.csv", "customer_id,客户编号,acquired_at\nC1,C1,2026-10-01\n")
    with pytest.raises(TableError, match="columns 'customer_id' and '客户编号' both give customer_id"):
        load_table(path, "new_customers")


def test_load_dataset_reports_problems_of_all_tables_together(tmp_path):
    write_minimal(tmp_path)
    (tmp_path / "payments.csv").write_text("payment_id,service_month,paid_at,amount\nP1,2026-09,2026-10-12,-5\n")
    (tmp_path / "followups.csv").write_text("followup_id,customer_id\n")
    with pytest.raises(TableErrors) as exc:
        load_dataset(tmp_path)
    found = {(e.path.rsplit("/", 1)[-1], e.row, e.column) for e in exc.value.errors}
    assert found == {
        ("followups.csv", None, "visited_at"),
        ("followups.csv", None, "satisfaction"),
        ("payments.csv", 2, "amount"),
    }
    assert isinstance(exc.value, SlaError)


# ------------------------------------------------------------------- set-aside rows

CONS_HEADER = "consultation_id,channel,customer_id,received_at,first_response_at,resolved\n"


def test_unparsable_and_empty_dates_are_set_aside_with_row_and_column(tmp_path):
    path = write(tmp_path, "consultations.csv", CONS_HEADER + textwrap.dedent("""\
        Q1,phone,C1,2026-10-08 09:00,2026-10-08 09:01,true

        Q2,phone,C2,2026-13-45 09:00,,true
        Q3,phone,C3,,,true
        Q4,phone,C4,2026-10-08 09:00,next day,true
        Q5,phone,C5,2026-02-30,,true
        Q6,phone,C6,2026-10,,true
        """))
    frame, account = load_table(path, "consultations")
    assert frame["consultation_id"].tolist() == ["Q1"]
    assert account.set_aside == [
        SetAside("consultations", 4, "Q2", "received_at",
                 "received_at '2026-13-45 09:00' is not a date/time (e.g. 2026-10-03 14:05)"),
        SetAside("consultations", 5, "Q3", "received_at", "received_at is empty"),
        SetAside("consultations", 6, "Q4", "first_response_at",
                 "first_response_at 'next day' is not a date/time (e.g. 2026-10-03 14:05)"),
        SetAside("consultations", 7, "Q5", "received_at",
                 "received_at '2026-02-30' is not a date/time (e.g. 2026-10-03 14:05)"),
        SetAside("consultations", 8, "Q6", "received_at",
                 "received_at '2026-10' is not a date/time (e.g. 2026-10-03 14:05)"),
    ]
    assert (account.rows_read, account.rows_used) == (6, 1)  # the blank line is not a row


def test_response_or_contact_before_receipt_is_set_aside(tmp_path):
    cons = write(tmp_path, "consultations.csv", CONS_HEADER + textwrap.dedent("""\
        Q1,phone,C1,2026-10-08 09:00,2026-10-08 08:59,true
        Q2,phone,C2,2026-10-08 09:00,2026-10-08 09:00,true
        """))
    frame, account = load_table(cons, "consultations")
    assert frame["consultation_id"].tolist() == ["Q2"]  # equal times are fine
    assert account.set_aside == [SetAside(
        "consultations", 2, "Q1", "first_response_at",
        "first_response_at 2026-10-08 08:59:00 is before received_at 2026-10-08 09:00:00",
    )]
    comp = write(tmp_path, "complaints.csv", """
        complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction
        K1,C1,2026-10-08 09:00,2026-10-08 10:00,2026-10-07 10:00,2026-10-07 11:00,5
        K2,C1,2026-10-08 09:00,2026-10-08 10:00,2026-10-09 10:00,2026-10-10 11:00,5
        """)
    frame, account = load_table(comp, "complaints")
    assert frame["complaint_id"].tolist() == ["K2"]
    (aside,) = account.set_aside
    assert (aside.row, aside.record_id, aside.column) == (2, "K1", "preliminary_solution_at")
    assert aside.reason == (
        "preliminary_solution_at 2026-10-07 10:00:00 is before received_at 2026-10-08 09:00:00; "
        "closed_at 2026-10-07 11:00:00 is before received_at 2026-10-08 09:00:00"
    )


def test_unknown_or_empty_channel_is_set_aside(tmp_path):
    path = write(tmp_path, "consultations.csv", CONS_HEADER + textwrap.dedent("""\
        Q1,fax,C1,2026-10-08 09:00,,true
        Q2,,C2,2026-10-08 09:00,,true
        Q3, CHAT ,C3,2026-10-08 09:00,,true
        Q4,电子 邮件,C4,2026-10-08 09:00,,true
        """))
    frame, account = load_table(path, "consultations")
    assert frame["channel"].tolist() == ["chat", "email"]
    assert [(s.row, s.column, s.reason) for s in account.set_aside] == [
        (2, "channel", "channel 'fax' is not a known channel (phone/email/chat, 电话/邮件/在线)"),
        (3, "channel", "channel is empty"),
    ]


def test_satisfaction_outside_1_to_5_is_set_aside(tmp_path):
    path = write(tmp_path, "followups.csv", """
        followup_id,customer_id,visited_at,satisfaction
        F1,C1,2026-10-09,0
        F2,C2,2026-10-09,6
        F3,C3,2026-10-09,满意
        F4,C4,2026-10-09,4.5
        F5,C5,2026-10-09,5
        F6,C6,2026-10-09,
        F7,C7,2026-10-09,1
        """)
    frame, account = load_table(path, "followups")
    assert frame["followup_id"].tolist() == ["F5", "F6", "F7"]
    assert frame["satisfaction"].tolist()[0] == 5 and frame["satisfaction"].tolist()[2] == 1
    assert pd.isna(frame["satisfaction"].iloc[1])
    assert [(s.row, s.record_id, s.column, s.reason) for s in account.set_aside] == [
        (2, "F1", "satisfaction", "satisfaction 0 is not a score 1..5"),
        (3, "F2", "satisfaction", "satisfaction 6 is not a score 1..5"),
        (4, "F3", "satisfaction", "satisfaction '满意' is not an integer score 1..5"),
        (5, "F4", "satisfaction", "satisfaction '4.5' is not an integer score 1..5"),
    ]


@pytest.mark.parametrize(
    "text, value",
    [("true", True), ("TRUE", True), (" True ", True), ("1", True), ("yes", True), ("Y", True),
     ("是", True), ("false", False), ("False", False), ("0", False), ("no", False), ("N", False),
     ("否", False)],
)
def test_bool_variants(tmp_path, text, value):
    path = write(tmp_path, "consultations.csv", CONS_HEADER + f"Q1,phone,C1,2026-10-08 09:00,,{text}\n")
    frame, account = load_table(path, "consultations")
    assert frame["resolved"].tolist() == [value]
    assert frame["resolved"].dtype == np.dtype(bool)


def test_unparsable_or_empty_bool_is_set_aside(tmp_path):
    path = write(tmp_path, "consultations.csv", CONS_HEADER + textwrap.dedent("""\
        Q1,phone,C1,2026-10-08 09:00,,maybe
        Q2,phone,C2,2026-10-08 09:00,,
        Q3,phone,C3,2026-10-08 09:00,,已解决
        """))
    frame, account = load_table(path, "consultations")
    assert len(frame) == 0
    assert [(s.row, s.column, s.reason) for s in account.set_aside] == [
        (2, "resolved", "resolved 'maybe' is not a yes/no value (true/false, 1/0, yes/no, 是/否)"),
        (3, "resolved", "resolved is empty"),
        (4, "resolved", "resolved '已解决' is not a yes/no value (true/false, 1/0, yes/no, 是/否)"),
    ]


def test_several_problems_in_one_row_give_one_set_aside(tmp_path):
    path = write(tmp_path, "consultations.csv", CONS_HEADER + ",fax,C1,yesterday,,maybe\n")
    frame, account = load_table(path, "consultations")
    assert account.set_aside == [SetAside(
        "consultations", 2, None, "consultation_id",
        "consultation_id is empty; channel 'fax' is not a known channel (phone/email/chat, 电话/邮件/在线); "
        "received_at 'yesterday' is not a date/time (e.g. 2026-10-03 14:05); "
        "resolved 'maybe' is not a yes/no value (true/false, 1/0, yes/no, 是/否)",
    )]
    assert_invariant(account)


# ------------------------------------------------------------------------ duplicates


def test_identical_duplicate_is_set_aside(tmp_path):
    path = write(tmp_path, "new_customers.csv", """
        customer_id,acquired_at,customer_name
        C1,2026-10-01,张三
        C2,2026-10-02,李四
        C1,2026-10-01,张三
        C1 ,2026-10-01,张三
        """)
    frame, account = load_table(path, "new_customers")
    assert frame["customer_id"].tolist() == ["C1", "C2"]
    assert account.set_aside == [
        SetAside("new_customers", 4, "C1", "customer_id", "duplicate of row 2"),
        SetAside("new_customers", 5, "C1", "customer_id", "duplicate of row 2"),
    ]
    assert (account.rows_read, account.rows_used) == (4, 2)


def test_conflicting_duplicate_is_an_error_naming_both_rows(tmp_path):
    path = write(tmp_path, "complaints.csv", """
        complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction
        K1,C1,2026-10-08 09:00,,,,5
        K2,C2,2026-10-08 09:00,,,,5
        K1,C1,2026-10-08 09:00,,,,2
        """)
    with pytest.raises(TableError) as exc:
        load_table(path, "complaints")
    err = exc.value
    assert (err.row, err.column) == (4, "complaint_id")
    assert str(err) == (
        f"{path}, row 4, column complaint_id: complaint_id 'K1' appears in rows 2 and 4 with "
        "different contents; cannot tell which is right (fix or remove one)"
    )


def test_duplicated_payment_id_rejects_the_load_even_if_identical(tmp_path):
    path = write(tmp_path, "payments.csv", """
        payment_id,service_month,paid_at,amount
        P1,2026-09,2026-10-12,100.00
        P1,2026-09,2026-10-12,100.00
        """)
    with pytest.raises(TableError, match=r"row 3 repeats row 2 \(an identical copy\)") as exc:
        load_table(path, "payments")
    assert (exc.value.row, exc.value.column) == (3, "payment_id")


# ---------------------------------------------------------------------- money errors


def test_negative_amount_rejects_the_load_naming_row_and_column(tmp_path):
    path = write(tmp_path, "payments.csv", """
        payment_id,service_month,paid_at,amount
        P1,2026-09,2026-10-12,100.00
        P2,2026-10,2026-11-12,-50.00
        """)
    with pytest.raises(TableError) as exc:
        load_table(path, "payments")
    err = exc.value
    assert (err.path, err.row, err.column) == (str(path), 3, "amount")
    assert str(err) == f"{path}, row 3, column amount: amount -50.00 is negative"


def test_every_bad_money_row_is_reported(tmp_path):
    path = write(tmp_path, "invoices.csv", """
        invoice_id,service_month,issued_at,amount
        I1,2026-09,2026-10-15,abc
        I2,2026-13,2026-10-15,12.345
        I3,Sept,2026-99-15,
        I4,2026-10,2026-11-15,"1,2,3"
        ,2026-10,2026-11-15,1.00
        """)
    with pytest.raises(TableErrors) as exc:
        load_table(path, "invoices")
    assert [(e.row, e.column, e.message) for e in exc.value.errors] == [
        (2, "amount", "amount 'abc' is not an amount of money (e.g. 1234.50)"),
        (3, "service_month", "service_month '2026-13' is not a month (e.g. 2026-10)"),
        (3, "amount", "amount '12.345' has fractions of a fen (more than 2 decimal places); money is never rounded"),
        (4, "service_month", "service_month 'Sept' is not a month (e.g. 2026-10)"),
        (4, "issued_at", "issued_at '2026-99-15' is not a date/time (e.g. 2026-10-03 14:05)"),
        (4, "amount", "amount is empty"),
        (5, "amount", "amount '1,2,3' is not an amount of money (e.g. 1234.50)"),
        (6, "invoice_id", "invoice_id is empty"),
    ]
    assert str(exc.value).startswith("8 problem(s) in the input tables:\n")


# ------------------------------------------------------------------ timestamp forms


def test_offset_timestamps_are_converted_to_the_contract_zone(tmp_path):
    path = write(tmp_path, "new_customers.csv", """
        customer_id,acquired_at
        C1,2026-10-03T06:05:00Z
        C2,2026-10-03T14:05:00+08:00
        C3,2026-10-03 08:05:00+02:00
        C4,2026-10-03 14:05
        C5,2026/10/3 06:05 +00:00
        """)
    frame, account = load_table(path, "new_customers")
    assert frame["acquired_at"].tolist() == [t("2026-10-03 14:05")] * 5
    assert str(frame["acquired_at"].dtype) == TS_DTYPE
    assert account.set_aside == []


def test_chinese_and_slash_date_forms(tmp_path):
    path = write(tmp_path, "new_customers.csv", """
        customer_id,acquired_at
        C1,2026年10月3日 14:05
        C2,2026/10/3 14:05
        C3,2026/10/3
        C4,2026年10月3日
        C5,2026-10-03T14:05:00
        C6,2026-10-3 14:05:00
        C7,2026年10月3日14时05分
        C8,2026.10.03 14:05
        C9,2026-10-03  14:05
        """)
    frame, account = load_table(path, "new_customers")
    assert frame["acquired_at"].tolist() == [
        t("2026-10-03 14:05"), t("2026-10-03 14:05"), t("2026-10-03"), t("2026-10-03"),
        t("2026-10-03 14:05"), t("2026-10-03 14:05"), t("2026-10-03 14:05"), t("2026-10-03 14:05"),
        t("2026-10-03 14:05"),
    ]
    assert account.set_aside == []


def test_csv_excel_serial_number_is_not_a_date(tmp_path):
    path = write(tmp_path, "new_customers.csv", "customer_id,acquired_at\nC1,46303.375\n")
    frame, account = load_table(path, "new_customers")
    assert len(frame) == 0 and account.set_aside[0].column == "acquired_at"


# ------------------------------------------------------------------------ accounting


def test_rows_keep_file_numbering_across_blank_rows_and_multiline_cells(tmp_path):
    path = write(tmp_path, "new_customers.csv", (
        'customer_id,acquired_at,address\n'
        'C1,2026-10-01,"上海市\n浦东新区"\n'
        ',,\n'
        'C2,bad,\n'
        'C3,2026-10-03,\n'
    ))
    frame, account = load_table(path, "new_customers")
    assert frame["source_row"].tolist() == [2, 5]
    assert frame["address"].iloc[0] == "上海市\n浦东新区"
    assert [(s.row, s.record_id) for s in account.set_aside] == [(4, "C2")]
    assert (account.rows_read, account.rows_used) == (3, 2)


GOOD = {
    "consultation_id": None,  # filled per row
    "channel": ["phone", "电话", " Email ", "在线"],
    "received_at": ["2026-10-08 09:00", "2026/10/8 9:00", "2026年10月8日 09:00"],
    "first_response_at": ["", "2026-10-08 09:05", "2026-10-08T01:05:00Z"],
    "resolved": ["true", "0", "是", "N"],
}
BAD = {
    "consultation_id": [""],
    "channel": ["fax", ""],
    "received_at": ["", "soon", "2026-10-08 25:00"],
    "first_response_at": ["2026-10-08 08:00", "tomorrow"],
    "resolved": ["", "perhaps"],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(sorted(BAD)), st.integers(0, 99)), max_size=25))
def test_accounting_invariant_and_exact_set_aside_rows(tmp_path, rows):
    lines = [CONS_HEADER.strip()]
    expect_bad = []
    for i, (bad, column, pick) in enumerate(rows):
        values = {c: (f"Q{i}" if c == "consultation_id" else v[pick % len(v)]) for c, v in GOOD.items()}
        if bad:
            values[column] = BAD[column][pick % len(BAD[column])]
            expect_bad.append(i + 2)
        lines.append(",".join([values["consultation_id"], values["channel"], f"C{i}",
                               values["received_at"], values["first_response_at"], values["resolved"]]))
    path = tmp_path / "consultations.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame, account = load_table(path, "consultations")
    assert_invariant(account)
    assert account.rows_read == len(rows)
    assert [s.row for s in account.set_aside] == expect_bad
    assert sorted(frame["source_row"].tolist() + expect_bad) == list(range(2, 2 + len(rows)))
    assert frame["resolved"].dtype == np.dtype(bool)
    assert not frame["channel"].isna().any() and not frame["received_at"].isna().any()


def test_service_month_full_date_in_csv_only_when_first_of_month(tmp_path):
    ok = write(tmp_path, "payments.csv", """
        payment_id,service_month,paid_at,amount
        P1,2026/10/1,2026-11-12,1.00
        P2, 2026.11 ,2026-12-12,1.00
        """)
    frame, _ = load_table(ok, "payments")
    assert frame["service_month"].tolist() == ["2026-10", "2026-11"]
    bad = write(tmp_path, "invoices.csv", """
        invoice_id,service_month,issued_at,amount
        I1,2026-10-15,2026-11-12,1.00
        """)
    with pytest.raises(TableError) as exc:
        load_table(bad, "invoices")
    assert (exc.value.row, exc.value.column) == (2, "service_month")
    assert exc.value.message == "service_month '2026-10-15' is not a month (e.g. 2026-10)"


def test_unreadable_workbook_and_unsupported_type(tmp_path):
    fake = tmp_path / "payments.xlsx"
    fake.write_text("payment_id,service_month\n")
    with pytest.raises(TableError, match="cannot read the workbook"):
        load_table(fake, "payments")
    empty = tmp_path / "invoices.xlsx"
    openpyxl.Workbook().save(empty)
    with pytest.raises(TableError, match="empty \\(no header row\\)"):
        load_table(empty, "invoices")
    old = tmp_path / "invoices.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(TableError, match="unsupported file type: save the table as .csv, .xlsx or .parquet"):
        load_table(old, "invoices")
    with pytest.raises(TableError, match="file not found"):
        load_table(tmp_path / "nope.csv", "invoices")


# ------------------------------------------------------ no silent row loss (issue 12)


def test_short_rows_count_up_to_the_last_named_column(tmp_path):
    # a header with trailing separators: rows without them are not short
    path = write(tmp_path, "new_customers.csv", "customer_id,acquired_at,,\nC1,2026-10-01\nC2,2026-10-02,,\n")
    frame, account = load_table(path, "new_customers")
    assert (account.rows_read, account.rows_used, account.set_aside) == (2, 2, [])
    # a complete last row without a final line break is fine; a short one mid-file is not
    path = write(tmp_path, "complaints.csv", (
        "complaint_id,customer_id,received_at,first_contact_at,preliminary_solution_at,closed_at,satisfaction\n"
        "K1,C1,2026-10-08 09:00,,,,\n"
        "K2,C2,2026-10-08 10:00\n"
        "K3,C3,2026-10-08 11:00,,,,5"))
    frame, account = load_table(path, "complaints")
    assert frame["complaint_id"].tolist() == ["K1", "K3"]
    (aside,) = account.set_aside
    assert (aside.row, aside.record_id, aside.column) == (3, "K2", "first_contact_at")
    assert aside.reason.startswith("the row has 3 of the header's 7 fields (row 1)")
    assert_invariant(account)


def test_cut_off_last_row_after_a_title_and_a_ragged_row(tmp_path):
    path = write(tmp_path, "followups.csv", (
        "回访记录\n"
        "followup_id,customer_id,visited_at,satisfaction\n"
        "F1,C1,2026-10-09 10:00,5,extra\n"
        "F2,C2,2026-10-10 10:00,4\n"
        "F3,C3"))
    frame, account = load_table(path, "followups")
    assert frame["followup_id"].tolist() == ["F2"]
    assert [(s.row, s.column, s.reason[:40]) for s in account.set_aside] == [
        (3, None, "the row has 5 fields but the header (row"),
        (5, "visited_at", "the last row is cut off: 2 of 4 fields ("),
    ]
    assert [r.row for r in account.skipped_rows] == [1]
    assert_invariant(account)


def test_a_long_cell_beside_a_ragged_row_is_no_malformed_csv(tmp_path):
    note = "长" * 300_000  # above the csv module's default field limit (128 KiB)
    path = write(tmp_path, "new_customers.csv", f"customer_id,acquired_at,note\nC1,2026-10-01,{note}\nC2,2026-10-02,a,b\n")
    frame, account = load_table(path, "new_customers")
    assert frame["note"].str.len().tolist() == [300_000]
    assert [(s.row, s.column) for s in account.set_aside] == [(3, None)]
    import csv

    assert csv.field_size_limit() == 131072  # restored


def test_title_rows_with_a_date_outside_a_date_column_stay_titles(tmp_path):
    path = write(tmp_path, "consultations.csv", (
        "导出时间,2026-11-01 10:00\n"
        "consultation_id,channel,customer_id,received_at,first_response_at,resolved\n"
        "Q1,phone,C1,2026-10-08 09:00,2026-10-08 09:01,true\n"))
    frame, account = load_table(path, "consultations")
    assert (account.rows_read, account.rows_used, account.set_aside) == (1, 1, [])
    assert [r.row for r in account.skipped_rows] == [1]


def _book(tmp_path, name, sheets: dict):
    book = openpyxl.Workbook()
    for k, (title, rows) in enumerate(sheets.items()):
        ws = book.active if k == 0 else book.create_sheet(title)
        ws.title = title
        for r in rows:
            ws.append(r)
    path = tmp_path / name
    book.save(path)
    return path


def test_what_counts_as_data_on_another_sheet(tmp_path):
    dated_note = {"说明": [["导出时间", dt.datetime(2026, 11, 1)], ["导出人", "张三"]]}
    rows = [["customer_id", "acquired_at"], ["C1", dt.datetime(2026, 10, 1, 9)]]
    # two filled cells with a date: a record-like row for a two-column table ...
    path = _book(tmp_path, "new_customers.xlsx", {"Sheet1": rows, **dated_note})
    with pytest.raises(TableError, match=r"sheet '说明' \(row 1: '导出时间 2026-11-01 00:00:00'\)") as exc:
        load_table(path, "new_customers")
    assert (exc.value.row, exc.value.column) == (None, None)
    # ... but notes for a table with six required columns; free text is always notes
    cons = [["consultation_id", "channel", "customer_id", "received_at", "first_response_at", "resolved"],
            ["Q1", "phone", "C1", dt.datetime(2026, 10, 8, 9), None, True]]
    path = _book(tmp_path, "consultations.xlsx", {"data": cons, **dated_note, "备注": [["a", "b", "c", "d", "e", "f"]]})
    frame, account = load_table(path, "consultations")
    assert frame["consultation_id"].tolist() == ["Q1"]


def test_merged_cells_in_data_rows_with_title_and_blank_rows(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["2026年10月"])
    ws.append(["customer_id", "acquired_at", "备注"])
    ws.append(["C1", dt.datetime(2026, 10, 1, 9), "x"])
    ws.append(["C2", dt.datetime(2026, 10, 2, 9), None])
    ws.append([None, None, None])
    ws.append(["C3", dt.datetime(2026, 10, 3, 9), None])
    ws.merge_cells("A1:C1")  # the title: fine
    ws.merge_cells("C3:C5")  # down to a blank row: that row stays blank
    path = tmp_path / "new_customers.xlsx"
    book.save(path)
    frame, account = load_table(path, "new_customers")
    assert frame["customer_id"].tolist() == ["C3"]
    assert [(s.row, s.record_id, s.column) for s in account.set_aside] == [(3, "C1", "备注"), (4, "C2", "备注")]
    assert all("cells C3:C5 are merged" in s.reason for s in account.set_aside)
    assert (account.rows_read, account.rows_used) == (3, 1)


def test_parquet_types_that_cannot_be_read_name_file_column_and_type(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "consultations.parquet"
    pq.write_table(pa.table({
        "consultation_id": ["Q1"], "channel": pa.array([1]), "customer_id": [None],
        "received_at": pa.array([dt.time(9, 0)]), "first_response_at": pa.array([None], type=pa.null()),
        "resolved": [True], "product": pa.array([[1, 2]]),
    }), path)
    with pytest.raises(TableErrors) as exc:
        load_table(path, "consultations")
    assert [(e.path, e.column) for e in exc.value.errors] == [
        (str(path), "channel"), (str(path), "received_at"), (str(path), "product")]
    assert "the Parquet type int64, which cannot be read as a channel" in exc.value.errors[0].message
    assert "time64[us]" in exc.value.errors[1].message
