"""The outlook digest e-mail (issue 15): `sla outlook --mail-to` delivers a short HTML + text
e-mail to a real SMTP server (aiosmtpd on loopback), with the outlook's figures, the same
masking and escaping as the reports (a phone and markup planted in the contract id), and
one-line errors for a bad address."""

from __future__ import annotations

import shutil

import pytest
from bs4 import BeautifulSoup

from conftest import SAMPLES, SmtpStore, free_port, run_cli
from sla_lib.masking import find_personal_data
from sla_lib.views import personal_names

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

HOSTILE_ID = "CS-<img src=x onerror=alert(1)>-13812345603"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The sample data with a contract id holding markup and a mobile number."""
    out = tmp_path_factory.mktemp("digest")
    for f in SAMPLES.iterdir():
        shutil.copy(f, out / f.name)
    terms = out / "contract.yaml"
    terms.write_text(terms.read_text(encoding="utf-8").replace("id: CS-2026-001", f'id: "{HOSTILE_ID}"'), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def delivered(folder):
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from sla_lib.cli import main

    store, port = SmtpStore(), free_port()
    controller = aiosmtpd_controller.Controller(store, hostname="127.0.0.1", port=port)
    controller.start()
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main(["outlook", "--terms", str(folder / "contract.yaml"), "--data", str(folder), "--as-of", "2026-11-14",
                  "--draws", "2000", "--format", "json", "--lang", "en", "--mail-to", "manager@example.com",
                  "--mail-from", "SLA outlook <sla@example.com>", "--smtp-host", "127.0.0.1", "--smtp-port", str(port)])
    finally:
        controller.stop()
    return store, out.getvalue(), err.getvalue()


def test_the_digest_arrives_with_both_parts(delivered):
    store, stdout, stderr = delivered
    (msg,) = store.messages
    assert stderr.strip() == "sent to manager@example.com"
    assert msg["From"] == "SLA outlook <sla@example.com>" and store.envelopes[0].rcpt_tos == ["manager@example.com"]
    assert msg["Subject"] == "[SLA] 2026-11 outlook as of 2026-11-14 — CS-<img src=x onerror=alert(1)>-138****5603"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    for heading in ("KPIs: month to date and projected to the month end", "What it takes (of the expected remaining)",
                    "Fee at risk (CNY)", "Deadlines"):
        assert heading in text and heading in html
    # the renewal objection deadline (C7) of the sample contract is 2026-12-01: 17 days ahead
    assert "2026-12-01" in text and "2026-12-01" in html


def test_the_digest_shows_the_same_figures_as_the_json(delivered):
    import json

    store, stdout, _ = delivered
    figures = json.loads(stdout)
    text = store.messages[0].get_body(preferencelist=("plain",)).get_content()
    resolution = figures["kpis"]["consultation_resolution"]
    assert f"{resolution['met']} | {resolution['total']}" in text


def test_the_digest_is_text_and_masked(delivered, folder):
    from sla_lib.views import load_inputs

    store, _, _ = delivered
    msg = store.messages[0]
    html = msg.get_body(preferencelist=("html",)).get_content()
    soup = BeautifulSoup(html, "html5lib")
    assert soup.find("img") is None and soup.find("script") is None
    assert not [a for tag in soup.find_all(True) for a in tag.attrs if a.lower().startswith("on")]
    assert "CS-<img src=x onerror=alert(1)>-138****5603" in soup.get_text()
    _, data = load_inputs(folder / "contract.yaml", folder)
    names = personal_names(data)
    for part in (msg["Subject"], html, msg.get_body(preferencelist=("plain",)).get_content()):
        assert "13812345603" not in part
        assert find_personal_data(part, names) == []


def test_a_bad_address_is_one_line_before_any_work(capsys, folder):
    code, out, err = run_cli(capsys, "outlook", "--terms", str(folder / "contract.yaml"), "--data", str(folder),
                             "--as-of", "2026-11-14", "--mail-to", "manager@example.com", "--mail-from", "nobody")
    assert code == 1 and out == "" and err.strip() == "error: mail-from: not an e-mail address: 'nobody'"
