"""Computed months kept in files, so a later run (or another notebook) does not count again.

:class:`KpiStore` is a mapping ``(terms fingerprint, month) -> MonthKpis`` over a folder; set
it as a Dataset's or MonthlyData's ``kpi_cache`` and :func:`sla_lib.kpis.month_kpis` reads
and fills it. One JSON file per month::

    <root>/<inputs key>/<terms fingerprint>/<YYYY-MM>.json

The inputs key is a SHA-256 of what the counts depend on besides the terms: every input
file's *content* (SHA-256 over the bytes, 1 MiB at a time; a table stored as a folder of
Parquet files: every file's relative name and bytes) and name, and the source of the
modules that count (``kpis``, ``columnar``, ``calendar``, ``data`` and ``reading``, ``monthly``), so an edited data file,
even one edited in place with its size and modification time put back, or an upgraded
formula starts a fresh folder instead of reusing a stale count (issue 12; size and mtime
were the key before, and ``os.utime`` defeats them). Cost: one read of every input file per
run, 0.7 s per GB on one core here (SHA-256 has CPU instructions; BLAKE2b took 1.3 s;
docs/reliability.md §1b). The terms fingerprint hashes every
term's value, so a renewal scenario's changed targets never reuse a result.

Files are written atomically (a temporary file renamed), so two runs sharing the folder see
a whole file or none. An entry is never trusted as read: it must decode to integer counts
(here) and be plausible for the terms and the month (:func:`sla_lib.kpis.implausible`);
a corrupt or implausible entry is reported once on stderr, removed and recomputed. A
missing entry is simply absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import MutableMapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .errors import SlaError
from .kpis import KpiResult, MissedIds, MonthKpis

__all__ = ["KpiStore", "CompactMemo", "inputs_key", "file_digest"]

FORMAT = 4  # 4: missed ids may be "on demand" (the columnar engine lists them when asked)
CHUNK = 1 << 20
_COUNTING_MODULES = ("kpis.py", "columnar.py", "calendar.py", "data.py", "monthly.py", "kpi_store.py", "reading/specs.py",
                     "reading/sheets.py", "reading/cells.py", "reading/checks.py", "reading/parquet.py")


@lru_cache(maxsize=1)
def _code_key() -> str:
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    here = Path(__file__).parent
    for name in _COUNTING_MODULES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def file_digest(path) -> str:
    """SHA-256 of a file's bytes, read 1 MiB at a time (a folder: of every file below it,
    with its relative name, in name order). SHA-256 rather than BLAKE2b: with the CPU's SHA
    instructions it hashed 1 GB in 0.7 s here, BLAKE2b in 1.3 s."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    for f in files:
        if f != path:
            digest.update(f"\0{f.relative_to(path).as_posix()}\0".encode())
        with open(f, "rb", buffering=0) as fh:
            while n := fh.readinto(buffer):
                digest.update(view[:n])
    return digest.hexdigest()


def inputs_key(files: dict[str, Path]) -> str:
    """SHA-256 of the counting code and of each input table's file name and content."""
    digest = hashlib.sha256(_code_key().encode())
    for table, path in sorted(files.items()):
        digest.update(f"{table}\0{Path(path).name}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()


_SEP = "\x1f"  # ASCII unit separator: one JSON string per KPI parses ~10x faster than an array


def _ids_field(ids, keep_query: bool = False) -> dict:
    """The missed ids as one separator-joined string (a million ids: a JSON array of a
    million strings takes seconds to read back), or an array if an id holds the separator;
    ids not listed yet (the engine lists them on demand) stay unlisted: their count only."""
    if isinstance(ids, MissedIds) and not ids.listed:
        return {"missed_query": ids} if keep_query else {"missed_on_demand": ids.count}
    if any(_SEP in i for i in ids):
        return {"missed_ids": list(ids)}
    return {"missed": _SEP.join(ids), "missed_count": len(ids)}


def _split_ids(text: str, count: int) -> list[str]:
    if not isinstance(text, str) or type(count) is not int:
        raise ValueError("missed ids are not a string and a count")
    ids = text.split(_SEP) if count else []
    if len(ids) != count:
        raise ValueError("missed ids do not match their count")
    return ids


def _count(value) -> int:
    """A count as stored: a JSON integer (not a float, a string or a boolean)."""
    if type(value) is not int:
        raise ValueError(f"count {value!r} is not an integer")
    return value


def _ids_of(r: dict):
    if "missed_query" in r:  # CompactMemo: the engine's query itself, in memory
        return r["missed_query"]
    if "missed_on_demand" in r:  # listed again by the engine when asked (kpis.month_kpis attaches it)
        count = r["missed_on_demand"]
        return MissedIds(None, None if count is None else _count(count))
    if "missed_ids" in r:
        return tuple(r["missed_ids"])
    return tuple(_split_ids(r["missed"], r["missed_count"]))


def _encode(kpis: MonthKpis, keep_queries: bool = False) -> dict:
    return {
        "month": kpis.month,
        "results": {
            key: {
                "kpi": r.kpi, "clause": r.clause, "met": r.met, "total": r.total,
                "target_pct": None if r.target_pct is None else str(r.target_pct),
                "na_counts_as": r.na_counts_as, **_ids_field(r.missed_ids, keep_queries),
            }
            for key, r in kpis.results.items()
        },
    }


def _decode(obj: dict) -> MonthKpis:
    results = {}
    for key, r in obj["results"].items():
        if "missed_ids" in r and not (isinstance(r["missed_ids"], list) and all(isinstance(i, str) for i in r["missed_ids"])):
            raise ValueError("missed ids are not a list of strings")
        results[key] = KpiResult(
            kpi=r["kpi"], clause=r["clause"], met=_count(r["met"]), total=_count(r["total"]),
            target_pct=None if r["target_pct"] is None else Decimal(r["target_pct"]),
            na_counts_as=r["na_counts_as"],
            missed_ids=_ids_of(r),
        )
    return MonthKpis(month=obj["month"], results=results)


_WARNED: set = set()


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

    def describe(self, key) -> str:
        return f"KPI cache entry {self._path(key)}"

    def __getitem__(self, key) -> MonthKpis:
        path = self._path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyError(key) from None
        except (OSError, ValueError) as exc:
            self._ignore(key, f"unreadable ({exc})")
            raise KeyError(key) from None
        try:
            return _decode(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            self._ignore(key, f"corrupt ({type(exc).__name__}: {str(exc)[:80]})")
            raise KeyError(key) from None

    def _ignore(self, key, problem: str) -> None:
        """A corrupt entry: reported once on stderr, removed (recomputed by the caller)."""
        path = self._path(key)
        if path not in _WARNED:
            _WARNED.add(path)
            print(f"warning: {self.describe(key)} ignored and recomputed: {problem}", file=sys.stderr)
        try:
            path.unlink()
        except OSError:
            pass

    def __setitem__(self, key, value: MonthKpis) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise SlaError(f"KPI cache {self.root}: cannot write {path.name} ({exc.strerror or exc}); "
                           "give --kpi-cache a folder you can write to, or leave it out") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(_encode(value), out, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SlaError(f"KPI cache {self.root}: cannot write {path.name} ({exc.strerror or exc}); "
                           "give --kpi-cache a folder you can write to, or leave it out") from None
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
        self._months[key] = _encode(value, keep_queries=True)

    def __delitem__(self, key) -> None:
        del self._months[key]

    def __iter__(self):
        return iter(self._months)

    def __len__(self) -> int:
        return len(self._months)

