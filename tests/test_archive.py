"""The archive page <out>/index.html (issue 14): every published month and quarter, exact rows."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import html5lib
import pytest

from sla_lib import archive

NOW = dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HOSTILE_ID = "CS-<script>alert(1)</script> 13812345678"


def _month(out: Path, month: str, amount: str, met: int, missed: int, na: int = 0, quarter=None, quarterly=False,
           contract="CS-2026-001", no_data=None, lang="zh") -> Path:
    folder = out / month
    (folder / "executed").mkdir(parents=True)
    headline = {"contract_id": contract, "month": month, "amount_due": amount, "payment_due": f"{month}-28",
                "balance": f"-{amount}", "kpis_met": met, "kpis_missed": missed, "kpis_na": na, "no_data": no_data or []}
    manifest = {"contract_id": contract, "month": month, "quarter": quarter, "created_at": f"{month}-03T07:00:00+08:00",
                "parameters": {"lang": lang}, "headline": headline}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (folder / "index.html").write_text("<html></html>", encoding="utf-8")
    if quarterly:
        (folder / "quarterly_trends.html").write_text("<html></html>", encoding="utf-8")
    return folder


def _rows(page: str, heading: str) -> list[list[str]]:
    """Cell texts of the table after the <h2> ``heading`` (header row first)."""
    root = html5lib.parse(page, treebuilder="lxml", namespaceHTMLElements=False).getroot()
    h2 = [h for h in root.iter("h2") if h.text == heading][0]
    table = h2.getnext()
    return [[" ".join("".join(c.itertext()).split()) for c in tr] for tr in table.iter("tr")]


def _links(page: str) -> list[str]:
    root = html5lib.parse(page, treebuilder="lxml", namespaceHTMLElements=False).getroot()
    return [a.get("href") for a in root.iter("a")]


@pytest.fixture
def out(tmp_path) -> Path:
    out = tmp_path / "reports"
    out.mkdir()
    _month(out, "2026-08", "211200.00", 5, 2)
    _month(out, "2026-09", "212700.00", 6, 1, quarter="2026Q3", quarterly=True)
    _month(out, "2026-10", "209000.5", 4, 2, na=1, no_data=["complaints"])
    _month(out, "2026-12", "213000.00", 7, 0, quarter="2026Q4", quarterly=True)
    # not published months: a temporary and a failed run, a link, a folder without manifest, a broken manifest
    _month(out, ".2026-11.tmp-99999-abcd", "1.00", 0, 7)
    _month(out, "2026-11.failed", "1.00", 0, 7)
    (out / "2027-01").mkdir()
    _month(out, "2026-07", "1.00", 0, 7).joinpath("manifest.json").write_text("{not json", encoding="utf-8")
    elsewhere = _month(tmp_path / "elsewhere", "2026-06", "1.00", 0, 7)
    (out / "2026-06").symlink_to(elsewhere, target_is_directory=True)
    return out


def test_scan_lists_published_months_only(out):
    assert [m.month for m in archive.scan(out)] == ["2026-08", "2026-09", "2026-10", "2026-12"]


def test_archive_rows_links_and_trend(out):
    page = archive.write_archive(out, now=NOW).read_text(encoding="utf-8")
    assert _rows(page, "各月报告") == [
        ["月份", "应付金额 (元)", "付款截止日", "差额 (已付 − 应付)", "考核指标 (达标 / 未达标 / 无数据)"],
        ["2026-12", "213,000.00", "2026-12-28", "-213,000.00", "7 / 0 / 0"],
        ["2026-10 无数据", "209,000.50", "2026-10-28", "-209,000.50", "4 / 2 / 1"],
        ["2026-09", "212,700.00", "2026-09-28", "-212,700.00", "6 / 1 / 0"],
        ["2026-08", "211,200.00", "2026-08-28", "-211,200.00", "5 / 2 / 0"],
    ]
    assert _rows(page, "季度报告") == [
        ["季度", "已发布月份", "应付金额 (元)", "未达标指标"],
        ["2026Q4 · 报告", "2026-10, 2026-12", "422,000.50", "2"],
        ["2026Q3 · 报告", "2026-08, 2026-09", "423,900.00", "3"],
    ]
    assert _links(page) == ["2026-12/index.html", "2026-10/index.html", "2026-09/index.html", "2026-08/index.html",
                            "2026-12/quarterly_trends.html", "2026-09/quarterly_trends.html"]
    for href in _links(page):
        assert (out / href).is_file(), href
    # 2026-11 has no report: a gap, so each trend is two lines (08-10, and 12 alone: a dot)
    assert page.count("<svg") == 2 and page.count("<polyline") == 2 and page.count("<circle") == 8
    assert "<script" not in page.lower()
    assert "生成于 2027-01-05T09:30:00+08:00；共 4 个月" in page
    assert '<html lang="zh-CN">' in page


def test_archive_in_english_follows_the_newest_report(tmp_path):
    out = tmp_path / "r"
    _month(out, "2026-09", "100.00", 1, 0, lang="zh")
    _month(out, "2026-10", "200.00", 0, 1, lang="en")
    page = archive.write_archive(out, now=NOW).read_text(encoding="utf-8")
    assert _rows(page, "Monthly reports")[1] == ["2026-10", "200.00", "2026-10-28", "-200.00", "0 / 1 / 0"]
    assert '<html lang="en">' in page


def test_values_from_a_manifest_are_text(tmp_path):
    """Terms text is hostile too: the contract id is escaped (and masked) wherever it lands."""
    out = tmp_path / "r"
    _month(out, "2026-10", '<img src=x onerror=alert(1)>', 1, 0, contract=HOSTILE_ID)
    page = archive.write_archive(out, now=NOW).read_text(encoding="utf-8")
    root = html5lib.parse(page, treebuilder="lxml", namespaceHTMLElements=False).getroot()
    assert not list(root.iter("script")) and not list(root.iter("img"))
    assert not any(a.startswith("on") for el in root.iter() if isinstance(el.tag, str) for a in el.attrib)
    text = "".join(root.itertext())
    assert "CS-<script>alert(1)</script> 138****5678" in text and "13812345678" not in page
    assert _rows(page, "各月报告")[1][1] == "<img src=x onerror=alert(1)>"


def test_empty_out_folder(tmp_path):
    page = archive.write_archive(tmp_path, now=NOW).read_text(encoding="utf-8")
    assert "尚无已发布的报告。" in page


def test_written_atomically_and_a_link_is_replaced_not_followed(out, tmp_path):
    victim = tmp_path / "victim.html"
    victim.write_text("keep me", encoding="utf-8")
    (out / "index.html").symlink_to(victim)
    stale = out / f".index.html.tmp-{2 ** 22 + 12345}-0badc0de"  # a run that died before its rename
    stale.write_text("half", encoding="utf-8")
    path = archive.write_archive(out, now=NOW)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not path.is_symlink() and "各月报告" in path.read_text(encoding="utf-8")
    assert not [p.name for p in out.iterdir() if ".tmp-" in p.name and not p.name.startswith(".2026-11")]
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
