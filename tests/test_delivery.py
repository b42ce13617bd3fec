"""E-mail delivery against a real SMTP server (aiosmtpd) started on 127.0.0.1 by the test."""

from __future__ import annotations

import dataclasses
import shutil
import ssl
import subprocess

import pytest

from conftest import SmtpStore, free_port
from sla_lib.delivery import parse_recipients, send_report
from sla_lib.errors import SlaError
from sla_lib.report import Document, ReportResult, render_index

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
# the test servers accept AUTH without TLS on loopback; aiosmtpd warns about that
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

PDF_BYTES = b"%PDF-1.4\n% tiny stand-in\n%%EOF\n"
XLSX_BYTES = b"PK\x03\x04 stand-in workbook"


def _headline() -> dict:
    kpi = {"clause": "C9", "label_zh": "咨询解决率", "label_en": "Consultation resolution rate",
           "met": 1756, "total": 1850, "rate_pct": "94.9189", "target_pct": "90", "ok": True, "status": "met"}
    missed = {**kpi, "clause": "C10", "label_zh": "投诉处理满意度", "label_en": "Complaint satisfaction",
              "met": 112, "total": 140, "rate_pct": "80.0000", "target_pct": "85", "ok": False, "status": "missed"}
    return {
        "contract_id": "CS-2026-001", "party_a": "华东星辰电子有限公司", "party_b": "汇联客户服务外包有限公司",
        "month": "2026-10", "as_of": "2026-12-31", "base": "200000.00", "bonus": "0.00",
        "total_deduction": "4000.00", "onsite_fees": "0.00", "amount_due": "196000.00",
        "payment_due": "2026-11-13", "paid": "196000.00", "balance": "0.00", "late_days": 0,
        "late_damages": "0.00", "failing_kpis": ["complaint_satisfaction"],
        "kpis_met": 1, "kpis_missed": 1, "kpis_na": 0,
        "kpis": {"consultation_resolution": kpi, "complaint_satisfaction": missed},
    }


@pytest.fixture
def result(tmp_path) -> ReportResult:
    """A published report folder made by hand (no notebook runs)."""
    folder = tmp_path / "2026-10"
    (folder / "executed").mkdir(parents=True)
    docs = []
    for name, title in (("complaint_statistics", "投诉统计"), ("fee_reconciliation", "费用对账")):
        (folder / f"{name}.pdf").write_bytes(PDF_BYTES)
        (folder / f"{name}.html").write_text("<html></html>", encoding="utf-8")
        docs.append(Document(name, title, f"{name}.html", f"{name}.pdf", f"executed/{name}.ipynb"))
    (folder / "fee_reconciliation_2026-10.xlsx").write_bytes(XLSX_BYTES)
    res = ReportResult("2026-10", None, "zh", folder, tuple(docs), ("fee_reconciliation_2026-10.xlsx",),
                       _headline(), "2026-11-03T07:00:05+08:00")
    res.index.write_text(render_index(res), encoding="utf-8")
    return res








class Authenticator:
    def __init__(self, password: str):
        self.password = password
        self.attempts = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.attempts.append((mechanism, login, password))
        # handled=False: aiosmtpd itself answers 535 on failure
        return AuthResult(success=password == self.password, handled=False)


@pytest.fixture
def smtp_server():
    """Start an SMTP server on a free loopback port; yields (handler, port, start)."""
    controllers = []

    def start(**kwargs):
        store = SmtpStore()
        port = free_port()
        controller = aiosmtpd_controller.Controller(store, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return store, port

    yield start
    for c in controllers:
        c.stop()


def test_message_subject_parts_and_attachments(result, smtp_server):
    store, port = smtp_server()
    send_report(result, "finance@example.com, manager@example.com", "127.0.0.1", port, sender="sla@example.com")

    (envelope,) = store.envelopes
    assert envelope.mail_from == "sla@example.com"
    assert envelope.rcpt_tos == ["finance@example.com", "manager@example.com"]
    (msg,) = store.messages
    assert msg["Subject"] == "[SLA] 2026-10 月度报告 / monthly report — CS-2026-001"
    assert msg["To"] == "finance@example.com, manager@example.com"
    assert msg.get_content_type() == "multipart/mixed"

    body = msg.get_body(preferencelist=("html",))
    html = body.get_content()
    assert "196,000.00" in html and "2026-11-13" in html  # amount due (money as everywhere), payment due
    assert "未达标" in html and "投诉处理满意度" in html
    assert "附件: 投诉统计_2026-10.pdf" in html  # the index names the attachments in a mail
    assert 'href="complaint_statistics.html"' not in html  # no links to files the reader lacks
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "应付金额 (元): 196,000.00" in text

    attachments = {a.get_filename(): a for a in msg.iter_attachments()}
    assert set(attachments) == {"投诉统计_2026-10.pdf", "费用对账_2026-10.pdf", "费用对账表_2026-10.xlsx"}  # one language
    assert attachments["投诉统计_2026-10.pdf"].get_content_type() == "application/pdf"
    assert attachments["投诉统计_2026-10.pdf"].get_content() == PDF_BYTES
    assert "附件: 费用对账表_2026-10.xlsx" in html and "费用对账表_2026-10.xlsx" in text
    workbook = attachments["费用对账表_2026-10.xlsx"]
    assert workbook.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert workbook.get_content() == XLSX_BYTES
    # the raw message says filename*=utf-8''... (RFC 2231), readable by every mail client
    assert b"filename*=utf-8''%E6%8A%95%E8%AF%89" in store.envelopes[0].content


def test_english_report_names_its_attachments_in_english(result, smtp_server):
    docs = tuple(dataclasses.replace(d, title={"complaint_statistics": "Complaint statistics", "fee_reconciliation": "Fee reconciliation"}[d.name])
                 for d in result.documents)
    english = dataclasses.replace(result, lang="en", documents=docs)
    store, port = smtp_server()
    send_report(english, "ops@example.com", "127.0.0.1", port, sender="SLA reports <reports@example.com>")
    (msg,) = store.messages
    names = {a.get_filename() for a in msg.iter_attachments()}
    assert names == {"Complaint statistics_2026-10.pdf", "Fee reconciliation_2026-10.pdf", "Fee reconciliation_2026-10.xlsx"}
    assert msg["From"] == "SLA reports <reports@example.com>" and store.envelopes[0].mail_from == "reports@example.com"


@pytest.mark.parametrize("bad", ["not-an-address", "@example.com", "sla@", "a@b.c\r\nBcc: x@y.z"])
def test_mail_from_must_be_an_address(result, bad):
    with pytest.raises(SlaError, match="mail-from: not an e-mail address"):
        send_report(result, "ops@example.com", "127.0.0.1", free_port(), sender=bad)


def test_cli_mail_from_is_checked_before_the_report_runs(capsys, tmp_path):
    from conftest import SAMPLES, run_cli

    code, out, err = run_cli(capsys, "report", "--terms", str(SAMPLES / "contract.yaml"), "--data", str(SAMPLES), "--month", "2026-10",
                             "--out", str(tmp_path / "reports"), "--mail-to", "ops@example.com", "--mail-from", "nobody")
    assert code == 1 and err.strip() == "error: mail-from: not an e-mail address: 'nobody'"
    assert not (tmp_path / "reports" / "2026-10").exists()


def test_quarterly_report_in_subject_and_attachment_name(result, smtp_server):
    (result.folder / "quarterly_trends.pdf").write_bytes(PDF_BYTES)
    quarterly = Document("quarterly_trends", "季度趋势", None, "quarterly_trends.pdf", "executed/quarterly_trends.ipynb", "2026Q3")
    result = dataclasses.replace(result, quarter="2026Q3", documents=result.documents + (quarterly,))
    store, port = smtp_server()
    send_report(result, "analyst@example.com", "127.0.0.1", port, sender="sla@example.com")
    (msg,) = store.messages
    assert msg["Subject"].endswith("CS-2026-001 (+ 2026Q3 季度趋势 / quarterly trends)")
    assert "季度趋势_2026Q3.pdf" in {a.get_filename() for a in msg.iter_attachments()}


def test_password_comes_from_environment_and_auth_is_attempted(result, smtp_server, monkeypatch):
    auth = Authenticator("s3cret-密码")
    store, port = smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False)
    monkeypatch.setenv("SLA_TEST_SMTP_PW", "s3cret-密码")
    send_report(result, ["ops@example.com"], "127.0.0.1", port, smtp_user="reporter@example.com", password_env="SLA_TEST_SMTP_PW")

    assert [(login, pw) for _, login, pw in auth.attempts] == [("reporter@example.com", "s3cret-密码")]
    (msg,) = store.messages
    assert msg["From"] == "reporter@example.com"  # the user is the sender when it is an address


def test_wrong_password_is_one_clear_error(result, smtp_server, monkeypatch):
    auth = Authenticator("right")
    store, port = smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False)
    monkeypatch.setenv("SLA_SMTP_PASSWORD", "wrong")
    with pytest.raises(SlaError, match=r"authentication failed for user 'reporter'") as info:
        send_report(result, "ops@example.com", "127.0.0.1", port, smtp_user="reporter", sender="sla@example.com")
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained traceback
    assert store.envelopes == []


def test_missing_password_variable(result, monkeypatch):
    monkeypatch.delenv("SLA_SMTP_PASSWORD", raising=False)
    with pytest.raises(SlaError, match="environment variable SLA_SMTP_PASSWORD"):
        send_report(result, "ops@example.com", "127.0.0.1", free_port(), smtp_user="reporter")


def test_connection_refused(result):
    with pytest.raises(SlaError, match=r"cannot connect to SMTP server 127\.0\.0\.1:\d+"):
        send_report(result, "ops@example.com", "127.0.0.1", free_port(), sender="sla@example.com", timeout=5)


def test_starttls_asked_but_not_offered(result, smtp_server):
    store, port = smtp_server()
    with pytest.raises(SlaError, match="does not offer STARTTLS"):
        send_report(result, "ops@example.com", "127.0.0.1", port, starttls=True, sender="sla@example.com")
    assert store.envelopes == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate")
def test_starttls_then_auth(result, smtp_server, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    auth = Authenticator("pw")
    store, port = smtp_server(tls_context=server_tls, require_starttls=True, authenticator=auth, auth_required=True)
    monkeypatch.setenv("SLA_SMTP_PASSWORD", "pw")
    send_report(result, "ops@example.com", "127.0.0.1", port, smtp_user="reporter", starttls=True,
                sender="sla@example.com", ssl_context=ssl.create_default_context(cafile=str(cert)))
    assert auth.attempts and len(store.envelopes) == 1


def test_recipients_parsing():
    assert parse_recipients("a@x.cn; b@y.cn ,") == ["a@x.cn", "b@y.cn"]
    assert parse_recipients(["王经理 <wang@x.cn>"]) == ["wang@x.cn"]
    with pytest.raises(SlaError, match="not an e-mail address"):
        parse_recipients("finance")
