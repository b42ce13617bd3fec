"""Shared test helpers: the sample terms, and small canonical tables written inline."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from sla_lib.terms import load_terms

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
TZ = "Asia/Shanghai"


@pytest.fixture(scope="session")
def sample_terms():
    return load_terms(SAMPLES / "contract.yaml")


def ts(values) -> pd.Series:
    """Local 'YYYY-MM-DD HH:MM' strings (None = empty) -> tz-aware ns timestamps."""
    return pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601").astype("datetime64[ns]").dt.tz_localize(TZ)


def _frame(columns: dict) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    frame.insert(0, "source_row", range(2, 2 + len(frame)))
    return frame


def consultations(rows) -> pd.DataFrame:
    """rows: (id, channel, received, first_response, resolved)"""
    ids, ch, rec, resp, res = zip(*rows) if rows else ([], [], [], [], [])
    return _frame(
        {
            "consultation_id": pd.Series(ids, dtype="string"),
            "channel": pd.Categorical(ch, categories=["phone", "email", "chat"]),
            "customer_id": pd.Series([f"C{i}" for i in range(len(ids))], dtype="string"),
            "received_at": ts(rec),
            "first_response_at": ts(resp),
            "resolved": pd.Series(res, dtype=bool),
        }
    )


def complaints(rows) -> pd.DataFrame:
    """rows: (id, customer, received, first_contact, preliminary_solution, closed, satisfaction)"""
    ids, cust, rec, contact, sol, closed, sat = zip(*rows) if rows else ([], [], [], [], [], [], [])
    return _frame(
        {
            "complaint_id": pd.Series(ids, dtype="string"),
            "customer_id": pd.Series(cust, dtype="string"),
            "received_at": ts(rec),
            "first_contact_at": ts(contact),
            "preliminary_solution_at": ts(sol),
            "closed_at": ts(closed),
            "satisfaction": pd.Series(sat, dtype="Int64"),
            "channel": pd.Categorical(["phone"] * len(ids), categories=["phone", "email", "chat"]),
            "category": pd.Series(["质量"] * len(ids), dtype="string"),
        }
    )


def followups(rows) -> pd.DataFrame:
    """rows: (id, customer, visited, satisfaction)"""
    ids, cust, vis, sat = zip(*rows) if rows else ([], [], [], [])
    return _frame(
        {
            "followup_id": pd.Series(ids, dtype="string"),
            "customer_id": pd.Series(cust, dtype="string"),
            "visited_at": ts(vis),
            "satisfaction": pd.Series(sat, dtype="Int64"),
        }
    )


def new_customers(rows) -> pd.DataFrame:
    """rows: (customer, acquired)"""
    cust, acq = zip(*rows) if rows else ([], [])
    return _frame({"customer_id": pd.Series(cust, dtype="string"), "acquired_at": ts(acq)})


def payments(rows) -> pd.DataFrame:
    """rows: (id, service_month, paid_at, amount)"""
    ids, month, paid, amount = zip(*rows) if rows else ([], [], [], [])
    return _frame(
        {
            "payment_id": pd.Series(ids, dtype="string"),
            "service_month": pd.Series(month, dtype="string"),
            "paid_at": ts(paid),
            "amount": pd.Series([Decimal(a) for a in amount], dtype="object"),
        }
    )


def invoices(rows) -> pd.DataFrame:
    """rows: (id, service_month, issued_at, amount)"""
    ids, month, issued, amount = zip(*rows) if rows else ([], [], [], [])
    return _frame(
        {
            "invoice_id": pd.Series(ids, dtype="string"),
            "service_month": pd.Series(month, dtype="string"),
            "issued_at": ts(issued),
            "amount": pd.Series([Decimal(a) for a in amount], dtype="object"),
        }
    )


def onsite_visits(rows) -> pd.DataFrame:
    """rows: (id, customer, visited, fee)"""
    ids, cust, vis, fee = zip(*rows) if rows else ([], [], [], [])
    return _frame(
        {
            "visit_id": pd.Series(ids, dtype="string"),
            "customer_id": pd.Series(cust, dtype="string"),
            "visited_at": ts(vis),
            "fee": pd.Series([Decimal(f) for f in fee], dtype="object"),
        }
    )


def dataset(**tables) -> dict:
    """A mapping of every table; the ones not given are empty."""
    empty = {
        "consultations": consultations([]),
        "complaints": complaints([]),
        "followups": followups([]),
        "new_customers": new_customers([]),
        "payments": payments([]),
        "invoices": invoices([]),
        "onsite_visits": onsite_visits([]),
    }
    empty.update(tables)
    return empty


def as_parquet(frame: pd.DataFrame, path: Path, row_group_size: int = 700) -> None:
    """A frame of CSV text written as Parquet the way an export would: naive local
    timestamps, booleans, integer scores, categorical channels (empty cells: nulls)."""
    frame = frame.copy()
    for col in frame.columns:
        if col.endswith("_at"):
            frame[col] = pd.to_datetime(frame[col].replace("", None), format="ISO8601")
        elif col == "resolved":
            frame[col] = frame[col] == "true"
        elif col == "satisfaction":
            frame[col] = pd.to_numeric(frame[col].replace("", None)).astype("Int64")
        elif col == "channel":
            frame[col] = frame[col].replace("", None).astype("category")
    frame.to_parquet(path, index=False, row_group_size=row_group_size)


def sample_as_parquet(folder: Path, frames: dict | None = None) -> Path:
    """The sample year in ``folder``: its event tables as Parquet (``as_parquet``; ``frames``
    of CSV text replace sample tables), the money tables and value labels as CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("consultations", "complaints", "followups", "new_customers"):
        frame = (frames or {}).get(name)
        if frame is None:
            frame = pd.read_csv(SAMPLES / f"{name}.csv", dtype=str, keep_default_na=False)
        as_parquet(frame, folder / f"{name}.parquet")
    for name in ("payments", "invoices", "onsite_visits", "value_labels"):
        (folder / f"{name}.csv").write_bytes((SAMPLES / f"{name}.csv").read_bytes())
    return folder


def kernel_outputs(kc, code: str, allow_stdin: bool = True, timeout: float = 120) -> list[dict]:
    """The display_data / stream / error contents of one execute request on a kernel client,
    in order, once the kernel is idle again (``{"type": msg_type, **content}``)."""
    msg_id = kc.execute(code, allow_stdin=allow_stdin)
    seen = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("display_data", "stream", "error"):
            seen.append({"type": msg["msg_type"], **msg["content"]})
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return seen


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run the `sla` command in-process: (exit status, stdout, stderr)."""
    from sla_lib.cli import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> None:
    """A small notebook for the report pipeline's tests: ``cells`` are (kind, source) with
    kind 'md', 'parameters' (a code cell tagged parameters) or 'code'."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source))
            continue
        cell = nbformat.v4.new_code_cell(source)
        if kind == "parameters":
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def free_port() -> int:
    """A free TCP port on the loopback interface (for a test's SMTP server)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpStore:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    @property
    def messages(self):
        import email
        from email import policy

        return [email.message_from_bytes(e.original_content or e.content, policy=policy.default) for e in self.envelopes]
