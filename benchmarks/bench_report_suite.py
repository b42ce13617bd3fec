"""Benchmark 3 (issue #7): the monthly report suite on the sample data against the fixed
cost of kernels: executing the same number of empty notebooks with papermill, as a ratio.
Run: `make bench`. Not a test."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sla_lib.report import build_report  # noqa: E402


def main(jobs: int = 2) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        result = build_report(ROOT / "data/samples/contract.yaml", ROOT / "data/samples", "2026-10", out_dir=tmp / "reports",
                              formats=("html", "pdf", "xlsx"), jobs=jobs, quarter="2026Q3", as_of="2026-12-31", progress=False)
        suite = time.perf_counter() - start
        n = len(result.documents)
        empty = tmp / "empty.ipynb"
        book = nbformat.v4.new_notebook()
        book.cells = [nbformat.v4.new_code_cell("x = 1")]
        book.cells[0].metadata["tags"] = ["parameters"]
        book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(book, empty)
        start = time.perf_counter()
        for i in range(n):
            pm.execute_notebook(str(empty), str(tmp / f"out{i}.ipynb"), kernel_name="python3", progress_bar=False)
        kernels = time.perf_counter() - start
    print(f"report suite ({n} notebooks, HTML+PDF+XLSX, --jobs {jobs}): {suite:.1f} s; "
          f"{n} empty notebooks: {kernels:.1f} s; ratio {suite / kernels:.1f}×")


if __name__ == "__main__":
    main()
