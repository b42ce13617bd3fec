"""The archive page (issue 14): ``<out>/index.html`` lists every published month and quarter.

Each published month folder ``<out>/YYYY-MM/`` holds a ``manifest.json`` whose ``headline``
(:func:`sla_lib.report.headline_figures`) is already masked. The page lists, newest first,
each month with its amount due, payment date, balance and KPIs met / missed / n/a, and a
link to its ``index.html``; each quarter with the months of it that are published (amount
due in total, KPIs missed) and a link to the quarterly report; above them, a small trend of
the amount due and the KPIs missed per month (inline SVG drawn from numbers only).

Every value read from a manifest is written with :func:`sla_lib.published.html_text`
(masked, then escaped); links are made only from folder names that match ``YYYY-MM`` and
from fixed file names. Folders that are symbolic links, temporary (``.2026-10.tmp-…``),
failed (``2026-10.failed``) or without a readable manifest are not listed.

:func:`write_archive` is called once by ``sla report`` after the month is published. The
page is written to a temporary file beside it and renamed over ``index.html``
(``os.replace``), under a lock, so a reader never sees half a page and two runs for
different months do not lose each other's month.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import labels as L
from . import published
from .calendar import months_between
from .page_css import PAGE_CSS
from .views import quarter_of

__all__ = ["ArchiveMonth", "render_archive", "scan", "write_archive"]

INDEX = "index.html"
QUARTERLY_HTML = "quarterly_trends.html"
_ARCHIVE_CSS = """
.trend { display: flex; gap: 24px; flex-wrap: wrap; } .trend figure { margin: 0; }
.trend figcaption { font-size: 12px; color: #444; } svg text { font-size: 10px; fill: #666; }
"""
_MONTH_DIR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")

@dataclass(frozen=True)
class ArchiveMonth:
    """One published month, from its manifest (values as published: masked text)."""

    month: str
    quarter: str | None  # the quarter published with it, if any
    contract_id: str
    amount_due: str
    payment_due: str
    balance: str
    kpis_met: int
    kpis_missed: int
    kpis_na: int
    no_data: bool
    lang: str
    created_at: str
    has_quarterly: bool = False
    files: dict = field(default_factory=dict, compare=False)

    @property
    def amount(self) -> Decimal | None:
        try:
            value = Decimal(str(self.amount_due).replace(",", ""))
        except InvalidOperation:
            return None
        return value if value.is_finite() else None


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _read(folder: Path) -> ArchiveMonth | None:
    manifest = folder / "manifest.json"
    try:
        if manifest.is_symlink():
            return None
        data = json.loads(manifest.read_text(encoding="utf-8"))
        headline = data["headline"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(headline, dict):
        return None
    quarter = data.get("quarter")
    quarterly = folder / QUARTERLY_HTML
    return ArchiveMonth(
        month=folder.name,
        quarter=quarter if isinstance(quarter, str) and _QUARTER.match(quarter) else None,
        contract_id=str(headline.get("contract_id", "")),
        amount_due=str(headline.get("amount_due", "")),
        payment_due=str(headline.get("payment_due", "")),
        balance=str(headline.get("balance", "")),
        kpis_met=_int(headline.get("kpis_met")),
        kpis_missed=_int(headline.get("kpis_missed")),
        kpis_na=_int(headline.get("kpis_na")),
        no_data=bool(headline.get("no_data")),
        lang=str((data.get("parameters") or {}).get("lang", "zh")),
        created_at=str(data.get("created_at", "")),
        has_quarterly=quarterly.is_file() and not quarterly.is_symlink(),
    )


def scan(out_dir) -> list[ArchiveMonth]:
    """The published months of ``out_dir``, oldest first."""
    months = []
    for entry in sorted(Path(out_dir).iterdir()):
        if _MONTH_DIR.match(entry.name) and entry.is_dir() and not entry.is_symlink():
            found = _read(entry)
            if found is not None:
                months.append(found)
    return months


def _money(value) -> str:
    """'211200.00' -> '211,200.00'; anything else as it is (it is escaped when written)."""
    try:
        number = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return str(value)
    return f"{number:,.2f}" if number.is_finite() else str(value)


def _sparkline(values: list[float | None], labels: list[str], color: str, fmt, width: int = 300, height: int = 76) -> str:
    """An inline SVG line of ``values`` (None: a gap) with the first and last month under it
    and the lowest and highest value beside it. Numbers only: the labels are months matched
    by ``YYYY-MM`` and numbers formatted here, escaped all the same."""
    e = published.html_text
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    left, right, top, bottom = 74, 10, 8, 20
    step = (width - left - right) / max(len(values) - 1, 1)
    x0 = left if len(values) > 1 else (left + width - right) / 2

    def y(v):
        return top + (height - top - bottom) * ((1 - (v - lo) / span) if hi > lo else 0.5)

    points = [(x0 + i * step, y(v)) if v is not None else None for i, v in enumerate(values)]
    dots = "".join(f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="2.5" fill="{color}"/>' for p in points if p)
    runs, run = [], []
    for point in points + [None]:  # a month without a report is a gap in the line
        if point is None:
            runs += [run] if len(run) > 1 else []
            run = []
        else:
            run.append(point)
    lines = "".join(f'<polyline points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in r)}" fill="none" stroke="{color}" '
                    f'stroke-width="1.5"/>' for r in runs)
    scale = f'<text x="{left - 6}" y="{y(hi) + 3:.1f}" text-anchor="end">{e(fmt(hi))}</text>'
    if hi > lo:
        scale += f'<text x="{left - 6}" y="{y(lo) + 3:.1f}" text-anchor="end">{e(fmt(lo))}</text>'
    months = f'<text x="{x0:.1f}" y="{height - 4}" text-anchor="{"start" if len(values) > 1 else "middle"}">{e(labels[0])}</text>'
    if len(values) > 1:
        months += f'<text x="{width - right}" y="{height - 4}" text-anchor="end">{e(labels[-1])}</text>'
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f'{lines}{dots}{scale}{months}</svg>')


def render_archive(months: list[ArchiveMonth], lang: str | None = None, now: dt.datetime | None = None) -> str:
    """The archive page of ``months`` (from :func:`scan`). ``lang``: default the language of
    the newest month's report."""
    lang = lang or (months[-1].lang if months else "zh")
    w = L.ARCHIVE["en" if lang == "en" else "zh"]
    e = published.html_text
    contracts = list(dict.fromkeys(m.contract_id for m in months))
    subtitle = " · ".join(e(w["contract"].format(contract=c)) for c in contracts)
    body = [f"<h1>{e(w['title'])}</h1>", f'<p class="muted">{subtitle}</p>' if subtitle else ""]
    if not months:
        body.append(f"<p>{e(w['empty'])}</p>")
    else:
        labels = months_between(months[0].month, months[-1].month)  # the x axis: every month, published or not
        by_month = {m.month: m for m in months}
        amounts = [float(by_month[k].amount) if k in by_month and by_month[k].amount is not None else None for k in labels]
        missed = [float(by_month[k].kpis_missed) if k in by_month else None for k in labels]
        body.append(f"<h2>{e(w['trend'])}</h2>\n<div class=\"trend\">"
                    f"<figure>{_sparkline(amounts, labels, '#1f5fa8', lambda v: f'{v:,.0f}')}<figcaption>{e(w['trend_amount'])}</figcaption></figure>"
                    f"<figure>{_sparkline(missed, labels, '#b42318', lambda v: f'{v:.0f}')}<figcaption>{e(w['trend_missed'])}</figcaption></figure></div>")
        rows = []
        for m in reversed(months):
            kpis = f"{m.kpis_met} / {m.kpis_missed} / {m.kpis_na}"
            flag = f' <span class="missed">{e(w["no_data"])}</span>' if m.no_data else ""
            rows.append(
                f'<tr><td><a href="{e(m.month)}/{INDEX}">{e(m.month)}</a>{flag}</td>'
                f'<td class="num">{e(_money(m.amount_due))}</td><td>{e(m.payment_due)}</td>'
                f'<td class="num">{e(_money(m.balance))}</td>'
                f'<td class="num{" missed" if m.kpis_missed else ""}">{e(kpis)}</td></tr>')
        body.append(f"<h2>{e(w['months'])}</h2>\n<table><tr><th>{e(w['month'])}</th><th>{e(w['amount_due'])}</th>"
                    f"<th>{e(w['payment_due'])}</th><th>{e(w['balance'])}</th><th>{e(w['kpis'])}</th></tr>{''.join(rows)}</table>")
        quarters: dict[str, list[ArchiveMonth]] = {}
        for m in months:
            quarters.setdefault(quarter_of(m.month), []).append(m)
        # the quarterly report of a quarter: in the newest month folder that published it
        reports = {m.quarter: m.month for m in months if m.quarter and m.has_quarterly}
        qrows = []
        for q in sorted(set(quarters) | set(reports), reverse=True):
            ms = quarters.get(q, [])
            amounts_q = [m.amount for m in ms]
            total = _money(sum(amounts_q, Decimal(0))) if ms and all(a is not None for a in amounts_q) else "—"
            link = f' · <a href="{e(reports[q])}/{QUARTERLY_HTML}">{e(w["report"])}</a>' if q in reports else ""
            qrows.append(f"<tr><td>{e(q)}{link}</td><td>{e(', '.join(m.month for m in ms) or '—')}</td>"
                         f'<td class="num">{e(total)}</td>'
                         f'<td class="num{" missed" if any(m.kpis_missed for m in ms) else ""}">{sum(m.kpis_missed for m in ms)}</td></tr>')
        body.append(f"<h2>{e(w['quarters'])}</h2>\n<table><tr><th>{e(w['quarter'])}</th><th>{e(w['published'])}</th>"
                    f"<th>{e(w['amount_due'])}</th><th>{e(w['kpis_missed'])}</th></tr>{''.join(qrows)}</table>")
    at = (now or dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    body.append(f'<p class="muted">{e(w["generated"].format(at=at, n=len(months)))}</p>')
    return (f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "zh-CN"}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{e(w["title"])}</title>\n'
            f"<style>{PAGE_CSS}{_ARCHIVE_CSS}</style>\n</head>\n<body>\n" + "\n".join(b for b in body if b) + "\n</body>\n</html>\n")


@contextlib.contextmanager
def _archive_lock(out_dir: Path):
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    from .folders import open_lock_file

    with open(open_lock_file(out_dir / ".index.lock"), "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_STALE = re.compile(rf"^\.{re.escape(INDEX)}\.tmp-(?P<pid>\d+)-[0-9a-f]+$")


def _remove_stale_temporaries(out_dir: Path) -> None:
    """Temporary pages of runs that died between writing and renaming (never followed)."""
    from .folders import pid_alive, remove_entry

    for entry in out_dir.iterdir():
        match = _STALE.match(entry.name)
        if match and (entry.is_symlink() or not pid_alive(int(match["pid"]))):
            with contextlib.suppress(OSError):
                remove_entry(entry)


def write_archive(out_dir, lang: str | None = None, now: dt.datetime | None = None) -> Path:
    """Scan ``out_dir`` and write its ``index.html`` atomically (a temporary file beside
    it, then ``os.replace``; an ``index.html`` that is a symbolic link is replaced as the
    link, never written through). Returns the page's path."""
    out_dir = Path(out_dir)
    target = out_dir / INDEX
    with _archive_lock(out_dir):
        _remove_stale_temporaries(out_dir)
        page = render_archive(scan(out_dir), lang, now)
        temp = out_dir / f".{INDEX}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(page)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
    return target
