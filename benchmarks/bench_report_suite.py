"""Benchmark 3 (issue #7): the monthly report suite on the sample data against the fixed
cost of kernels: executing the same number of empty notebooks with papermill, as a ratio.
Run: `make bench`. Not a test.

Prints the full suite (HTML + PDF + XLSX) and the HTML-only suite, each with its ratio to
the empty notebooks, the load average before each measurement (the machine has 2 cores;
anything else running shows in the figures), and a per-step breakdown from the manifest:
the parent's preparation (inputs, headline figures, inputs cache), and per notebook its
papermill execution (kernel start-up included), the cells' own run time, HTML and PDF.

Every run writes into the same reports folder, as the monthly runs do: from the second run
on, `sla report` hands the notebooks to the workers longest first by the times the previous
report recorded (the first run has no such history).

Options: ``--jobs N`` (default 2), ``--repeat N`` (runs of each kind, default 2), ``--no-harfbuzz``
(run WeasyPrint as on a machine without libharfbuzz-subset: its pure-Python fontTools
subsetting; the workers are forked, so they inherit the switch).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sla_lib.report import build_report  # noqa: E402


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def suite(tmp: Path, formats, jobs: int):
    """Seconds of one `sla report` run, and its manifest."""
    out = tmp / "reports"
    start = time.perf_counter()
    result = build_report(ROOT / "data/samples/contract.yaml", ROOT / "data/samples", "2026-10", out_dir=out,
                          formats=formats, jobs=jobs, quarter="2026Q3", as_of="2026-12-31", progress=False)
    seconds = time.perf_counter() - start
    return seconds, json.loads(result.manifest.read_text(encoding="utf-8"))


def empty_notebooks(tmp: Path, n: int) -> float:
    empty = tmp / "empty.ipynb"
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("x = 1")]
    book.cells[0].metadata["tags"] = ["parameters"]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, empty)
    start = time.perf_counter()
    for i in range(n):
        pm.execute_notebook(str(empty), str(tmp / f"out{i}.ipynb"), kernel_name="python3", progress_bar=False,
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    return time.perf_counter() - start


def breakdown(manifest: dict) -> str:
    phases = manifest.get("phases", {})
    lines = [f"    parent: prepare {phases.get('prepare', 0):.1f} s, notebooks {phases.get('notebooks', 0):.1f} s, "
             f"finish {phases.get('finish', 0):.1f} s"]
    for nb in manifest["notebooks"]:
        p = nb.get("phases", {})
        execute, cells = p.get("execute", 0.0), p.get("cells", 0.0)
        lines.append(f"    {nb['name']:<22} {nb['seconds']:5.1f} s = execute {execute:4.1f} (kernel+papermill {execute - cells:3.1f}, "
                     f"cells {cells:3.1f}) + html {p.get('html', 0.0):3.1f} + pdf {p.get('pdf', 0.0):3.1f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-harfbuzz", action="store_true")
    args = parser.parse_args(argv)
    if args.no_harfbuzz:
        import weasyprint.pdf.fonts
        import weasyprint.text.ffi

        weasyprint.text.ffi.harfbuzz_subset = None
        weasyprint.pdf.fonts.harfbuzz_subset = None
    from weasyprint.text.ffi import harfbuzz_subset

    print(f"cores {os.cpu_count()}, WeasyPrint font subsetting: {'HarfBuzz' if harfbuzz_subset else 'fontTools (no libharfbuzz-subset)'}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = {}
        for label, formats in (("HTML+PDF+XLSX", ("html", "pdf", "xlsx")), ("HTML only", ("html",))):
            for _ in range(args.repeat):
                load = loadavg()
                seconds, manifest = suite(tmp, formats, args.jobs)
                runs.setdefault(label, []).append((seconds, manifest, load))
        n = len(runs["HTML+PDF+XLSX"][0][1]["notebooks"])
        empties = []
        for _ in range(args.repeat):
            load = loadavg()
            empties.append((empty_notebooks(tmp, n), load))
    kernels = min(seconds for seconds, _ in empties)
    for label, results in runs.items():
        for i, (seconds, manifest, load) in enumerate(results, 1):
            print(f"report suite ({n} notebooks, {label}, --jobs {args.jobs}), run {i}: {seconds:.1f} s "
                  f"(load average before: {load}); ratio {seconds / kernels:.1f}×")
            print(breakdown(manifest))
    for seconds, load in empties:
        print(f"{n} empty notebooks, one after the other: {seconds:.1f} s (load average before: {load})")
    best = {label: min(r[0] for r in results) for label, results in runs.items()}
    print("best: " + "; ".join(f"{label} {s:.1f} s = {s / kernels:.1f}×" for label, s in best.items())
          + f" the empty notebooks ({kernels:.1f} s)")


if __name__ == "__main__":
    main()
