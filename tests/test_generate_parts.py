"""Issue 13: `sla generate` draws a large month in parts (consultations in runs of days,
every table written in slices of at most SCALE_ROW_GROUP rows, built in Arrow). The parts
must give the rows that iter_event_months gives (the pandas frames), and a month small
enough for one part (the committed sample) is drawn exactly as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sla_lib import samples
from sla_lib.samples import _arrow_personal, _ascii_strings, _customer_personal, _fmt, generate_scale, iter_event_months

ROOT = Path(__file__).resolve().parents[1]
TERMS = ROOT / "data" / "samples" / "contract.yaml"
EVENTS = ("consultations", "complaints", "followups", "new_customers", "onsite_visits")


def test_arrow_strings_equal_the_numpy_ones():
    idx = np.random.default_rng(3).integers(0, 60_000_000, 20_000)
    arrow, numpy = _arrow_personal(idx, 20260101, with_email=True), _customer_personal(idx, 20260101, with_email=True)
    for key in numpy:
        assert arrow[key].to_pylist() == numpy[key].tolist(), key
    numbers = np.array([0, 1, 23, 99_999_999, 10**9 + 5])
    assert _ascii_strings("ZX-202601-", numbers, 8).to_pylist() == _fmt("ZX-202601-", numbers, 8).tolist()


def test_small_months_are_one_part():
    model = samples._EventModel(samples.DEFAULT_SEED, None, 2000, "Asia/Shanghai")
    for month in model.months:
        assert model.consultation_spans(month) == [model.spans[month]]


@pytest.fixture
def small_parts(monkeypatch):
    """Parts and slices a few thousand rows long, so that a small month has several."""
    monkeypatch.setattr(samples, "DRAW_ROWS", 900)
    monkeypatch.setattr(samples, "SCALE_ROW_GROUP", 700)


def test_parts_of_a_month_written_as_row_groups_equal_the_month_frames(tmp_path, small_parts):
    per_month, seed = 3000, 7
    paths = generate_scale(tmp_path, TERMS, months=2, consultations_per_month=per_month, fmt="parquet", seed=seed)
    assert {p.name for p in paths} >= {f"{n}.parquet" for n in EVENTS}
    model = samples._EventModel(seed, ["2026-01", "2026-02"], per_month, "Asia/Shanghai")
    assert len(model.consultation_spans("2026-01")) > 2  # drawn in several parts
    expected: dict[str, list] = {}
    for _, tables in iter_event_months(seed, ["2026-01", "2026-02"], per_month):
        for name, frame in tables.items():
            expected.setdefault(name, []).append(pa.Table.from_pandas(frame, preserve_index=False))
    for name in EVENTS:
        written = pq.ParquetFile(tmp_path / f"{name}.parquet")
        assert all(written.metadata.row_group(g).num_rows <= 700 for g in range(written.metadata.num_row_groups))
        want = pa.concat_tables(expected[name]).cast(written.schema_arrow)
        got = written.read()
        assert got.num_rows == want.num_rows > 0, name
        assert got.equals(want), name
        assert got.schema.metadata == want.schema.metadata, name


def test_csv_parts_equal_the_month_frames(tmp_path, small_parts):
    generate_scale(tmp_path, TERMS, months=1, consultations_per_month=2500, fmt="csv", seed=3)
    (_, tables), = list(iter_event_months(3, ["2026-01"], 2500))
    for name in EVENTS:
        got = pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False)
        buffer = tmp_path / f"expected-{name}.csv"
        samples._csv_ready(tables[name]).to_csv(buffer, index=False, encoding="utf-8", lineterminator="\n", na_rep="",
                                                date_format="%Y-%m-%d %H:%M:%S")
        pd.testing.assert_frame_equal(got, pd.read_csv(buffer, dtype=str, keep_default_na=False), obj=name)


def test_a_failing_write_leaves_no_table_behind(tmp_path, monkeypatch):
    """A write that fails on the writer thread stops the generation with its error, and no
    table, whole or partial, is left in the folder."""
    calls = []
    real = samples._TableWriter.write

    def write(self, frame):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(self, frame)

    monkeypatch.setattr(samples._TableWriter, "write", write)
    with pytest.raises(OSError, match="disk full"):
        generate_scale(tmp_path, TERMS, months=1, consultations_per_month=3000, fmt="parquet")
    assert not list(tmp_path.glob(".*partial")) and not list(tmp_path.glob("*.parquet"))
