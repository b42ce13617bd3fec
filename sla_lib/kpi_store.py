"""Computed months kept in files, so a later run (or another notebook) does not count again.

:class:`KpiStore` is a mapping ``(terms fingerprint, month) -> MonthKpis`` over a folder; set
it as a Dataset's or MonthlyData's ``kpi_cache`` and :func:`sla_lib.kpis.month_kpis` reads
and fills it. One JSON file per month::

    <root>/<inputs key>/<terms fingerprint>/<YYYY-MM>.json

The inputs key is a SHA-256 of what the counts depend on besides the terms: every input
file's path, size and modification time (ns), and the source of the modules that count
(``kpis``, ``calendar``, ``data``, ``monthly``), so editing a data file or upgrading a
formula starts a fresh folder instead of reusing a stale count. The terms fingerprint hashes
every term's value, so a renewal scenario's changed targets never reuse a result. Files
are written atomically (a temporary file renamed), so two runs sharing the folder see a
whole file or none; an unreadable file counts as absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import MutableMapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .kpis import KpiResult, MonthKpis

__all__ = ["KpiStore", "CompactMemo", "inputs_key"]

FORMAT = 2
_COUNTING_MODULES = ("kpis.py", "calendar.py", "data.py", "monthly.py", "kpi_store.py")


@lru_cache(maxsize=1)
def _code_key() -> str:
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    here = Path(__file__).parent
    for name in _COUNTING_MODULES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def inputs_key(files: dict[str, Path]) -> str:
    """SHA-256 of the counting code and of each input file's path, size and mtime."""
    digest = hashlib.sha256(_code_key().encode())
    for table, path in sorted(files.items()):
        stat = Path(path).stat()
        digest.update(f"{table}\0{Path(path).resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


_SEP = "\x1f"  # ASCII unit separator: one JSON string per KPI parses ~10x faster than an array


def _ids_field(ids: tuple[str, ...]) -> dict:
    """The missed ids as one separator-joined string (a million ids: a JSON array of a
    million strings takes seconds to read back), or an array if an id holds the separator."""
    if any(_SEP in i for i in ids):
        return {"missed_ids": list(ids)}
    return {"missed": _SEP.join(ids), "missed_count": len(ids)}


def _split_ids(text: str, count: int) -> list[str]:
    ids = text.split(_SEP) if count else []
    if len(ids) != count:
        raise ValueError("missed ids do not match their count")
    return ids


def _encode(kpis: MonthKpis) -> dict:
    return {
        "month": kpis.month,
        "results": {
            key: {
                "kpi": r.kpi, "clause": r.clause, "met": r.met, "total": r.total,
                "target_pct": None if r.target_pct is None else str(r.target_pct),
                "na_counts_as": r.na_counts_as, **_ids_field(r.missed_ids),
            }
            for key, r in kpis.results.items()
        },
    }


def _decode(obj: dict) -> MonthKpis:
    results = {}
    for key, r in obj["results"].items():
        results[key] = KpiResult(
            kpi=r["kpi"], clause=r["clause"], met=int(r["met"]), total=int(r["total"]),
            target_pct=None if r["target_pct"] is None else Decimal(r["target_pct"]),
            na_counts_as=r["na_counts_as"],
            missed_ids=tuple(r["missed_ids"]) if "missed_ids" in r else tuple(_split_ids(r["missed"], r["missed_count"])),
        )
    return MonthKpis(month=obj["month"], results=results)


class KpiStore(MutableMapping):
    """``(terms fingerprint, 'YYYY-MM') -> MonthKpis`` kept under ``root`` for these input files."""

    def __init__(self, root, files: dict[str, Path]):
        self.root = Path(root)
        self.folder = self.root / inputs_key(files)

    def _path(self, key) -> Path:
        fingerprint, month = key
        if not (isinstance(fingerprint, str) and fingerprint.isalnum()) or not isinstance(month, str) or len(month) != 7:
            raise KeyError(key)
        return self.folder / fingerprint / f"{month}.json"

    def __getitem__(self, key) -> MonthKpis:
        path = self._path(key)
        try:
            return _decode(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            raise KeyError(key) from None

    def __setitem__(self, key, value: MonthKpis) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(_encode(value), out, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __delitem__(self, key) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            raise KeyError(key) from None

    def __iter__(self):
        if not self.folder.is_dir():
            return
        for terms_dir in sorted(self.folder.iterdir()):
            if terms_dir.is_dir():
                for f in sorted(terms_dir.glob("????-??.json")):
                    yield (terms_dir.name, f.stem)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"KpiStore({str(self.folder)!r})"


class CompactMemo(MutableMapping):
    """An in-memory ``kpi_cache`` that keeps each month encoded as :class:`KpiStore` writes it
    (a KPI's missed ids joined in one string): a month of 10 M consultations keeps ~4 M
    missed ids, five times smaller so than as separate Python strings, and C19's look back
    over a year holds twelve of them. Reading a month rebuilds it (a split per KPI)."""

    def __init__(self):
        self._months: dict = {}

    def __getitem__(self, key) -> MonthKpis:
        return _decode(self._months[key])

    def __setitem__(self, key, value: MonthKpis) -> None:
        self._months[key] = _encode(value)

    def __delitem__(self, key) -> None:
        del self._months[key]

    def __iter__(self):
        return iter(self._months)

    def __len__(self) -> int:
        return len(self._months)

