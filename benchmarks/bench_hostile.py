"""Benchmark 5 (issue 12): what hostile input costs.

- A terms file that is an alias bomb ("billion laughs", 10^9 strings once expanded), and
  terms nested 10,000 levels deep: how long `load_terms` takes to refuse them (the issue
  asks for an answer in under a second).
- Masking with the data set's customer names known: `mask_value` on a 200-character
  complaint text with 20,000 known names (19,000 Chinese, 1,000 Latin), the cost of
  compiling the names once, and `find_personal_data` on the masked text.

Run: `make bench` (or `python benchmarks/bench_hostile.py`). Not a test: the figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sla_lib.errors import TermsError, TermsErrors  # noqa: E402
from sla_lib.masking import find_personal_data, forget_names, mask_value, remember_names  # noqa: E402
from sla_lib.terms import load_terms  # noqa: E402

SAMPLE_TERMS = Path(__file__).resolve().parents[1] / "data" / "samples" / "contract.yaml"
LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def time_refusal(text: str, repeat: int = 5) -> float:
    """Median seconds for load_terms to refuse ``text``."""
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contract.yaml"
        path.write_text(text, encoding="utf-8")
        for _ in range(repeat):
            start = time.perf_counter()
            try:
                load_terms(path)
            except (TermsError, TermsErrors):
                pass
            else:
                raise SystemExit(f"not refused: {text[:60]!r}")
            runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def names(count_cjk: int = 19_000, count_latin: int = 1_000) -> list[str]:
    rng = random.Random(12)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲芬燕"
    cjk = sorted({rng.choice(surnames) + "".join(rng.choices(given, k=rng.randint(1, 3))) for _ in range(40_000)})[:count_cjk]
    latin = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 7))).title() + " " + "".join(rng.choices(string.ascii_lowercase, k=5)).title()
        for _ in range(count_latin)
    ]
    return cjk + latin


def main() -> None:
    sample = SAMPLE_TERMS.read_text(encoding="utf-8")
    print("terms refused (median of 5):")
    print(f"  alias bomb (10^9 strings expanded)  {time_refusal(LAUGHS + sample) * 1000:8.1f} ms")
    print(f"  10,000 nested flow sequences        {time_refusal(sample.replace('  id: CS-2026-001', '  id: ' + '[' * 10000 + ']' * 10000)) * 1000:8.1f} ms")
    print(f"  10,000 nested mappings              {time_refusal('x: ' + '{a: ' * 10000 + '1' + '}' * 10000 + chr(10)) * 1000:8.1f} ms")

    known = names()
    forget_names()
    remember_names(known)
    text = ("客户反映屏幕有坏点，联系电话 138 1234 5603，邮箱 lily@example.org，已安排上门检修。"
            f"The customer {known[-1]} called about the Watch S3 strap; 物流配送延迟三天，{known[0]}请尽快处理。") * 2
    text = text[:200]
    start = time.perf_counter()
    masked = mask_value(text)  # compiles the names
    compile_s = time.perf_counter() - start
    runs = []
    for _ in range(200):
        start = time.perf_counter()
        masked = mask_value(text)
        runs.append(time.perf_counter() - start)
    scans = []
    for _ in range(200):
        start = time.perf_counter()
        found = find_personal_data(masked, None)
        scans.append(time.perf_counter() - start)
    assert found == [] and known[0] not in masked
    print(f"masking with {len(known):,} known names:")
    print(f"  first call (compiles the names)     {compile_s * 1000:8.1f} ms")
    print(f"  mask_value, 200 characters          {statistics.median(runs) * 1e6:8.1f} µs (median of 200)")
    print(f"  find_personal_data on the result    {statistics.median(scans) * 1e6:8.1f} µs (median of 200)")


if __name__ == "__main__":
    main()
