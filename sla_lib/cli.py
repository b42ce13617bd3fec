"""The ``sla`` command: parse options, call the library, print. No formula lives here.

Every ``SlaError`` becomes one clear message on stderr and exit status 1 (never a traceback);
usage mistakes exit 2 (click's convention).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import click

from .calendar import months_between, parse_month
from .errors import SlaError
from .kpis import KPI_LABELS


# -- shared options ------------------------------------------------------------------------

def _terms_option(f):
    return click.option(
        "--terms", "terms_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
        help="The contract's terms file (YAML, spec section 8).",
    )(f)


def _data_option(f):
    return click.option(
        "--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
        help="Folder with one file per table: consultations.csv, complaints.csv, … (.csv, .xlsx or .parquet).",
    )(f)


def _format_option(f):
    return click.option(
        "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True,
        help="json: the machine-readable object of spec section 7; table: for a terminal.",
    )(f)


def _months(text: str) -> list[str]:
    """'2026-10' or a range '2026-01:2026-12'."""
    try:
        if ":" in text:
            first, last = text.split(":", 1)
            return months_between(first, last)
        parse_month(text)
        return [text]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None


def _mail_options(f):
    """--mail-to and how to reach the SMTP server: the report's and the outlook digest's."""
    options = [
        click.option("--mail-to", default=None, help="Send it to these addresses (comma-separated)."),
        click.option("--smtp-host", default="localhost", show_default=True, help="SMTP server for --mail-to."),
        click.option("--smtp-port", type=click.IntRange(1, 65535), default=25, show_default=True),
        click.option("--smtp-user", default=None, help="Log in to the SMTP server as this user; the password is read from $SLA_SMTP_PASSWORD."),
        click.option("--starttls", is_flag=True, help="Encrypt the SMTP connection with STARTTLS before logging in."),
        click.option("--mail-from", default=None,
                     help="Sender address of the e-mail. Default: --smtp-user when it is an address, else sla-report@<this host>."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _check_mail_options(mail_to, mail_from) -> None:
    """A typo in an address is one line before any work, not after it."""
    if mail_to:
        from .delivery import parse_recipients, parse_sender

        parse_recipients(mail_to)
        if mail_from is not None:
            parse_sender(mail_from)


def _kpi_cache_option(f):
    return click.option(
        "--kpi-cache", "kpi_cache", type=click.Path(path_type=Path), default=None, envvar="SLA_KPI_CACHE",
        help="Folder that keeps each computed month's KPIs for later runs (keyed by the input files, "
             "the terms and the code; env SLA_KPI_CACHE). Default: no cache.",
    )(f)


def _option_name(param: str, option: str, envvar: str | None = None) -> str:
    """How the user gave a value: the option, or the environment variable it came from."""
    ctx = click.get_current_context(silent=True)
    if envvar and ctx is not None and ctx.get_parameter_source(param) == click.core.ParameterSource.ENVIRONMENT:
        return envvar
    return option


def _load(terms_path: Path, data_dir: Path, by_month: bool = False, kpi_cache: Path | None = None, months=None):
    """Terms and tables. ``by_month``: a folder with Parquet event tables is read one month at
    a time (MonthlyData); CSV/.xlsx folders are loaded whole either way. ``months``: refused
    (one line naming the term) when one is outside the contract, before any table is read;
    ``kpi_cache``: refused when it is not a folder this process can write."""
    from .data import check_against_terms, load_dataset, raise_problems
    from .terms import load_terms

    terms = load_terms(terms_path)
    if months is not None:
        from .kpis import check_months_in_contract

        check_months_in_contract(terms, months)
    if kpi_cache is not None:
        from .folders import writable_folder

        writable_folder(kpi_cache, _option_name("kpi_cache", "--kpi-cache", "SLA_KPI_CACHE"))
    if by_month:
        from .monthly import open_data

        data = open_data(data_dir, terms)
    else:
        data = load_dataset(data_dir, terms)
    raise_problems(check_against_terms(data, terms))  # e.g. a payment for a month outside the term
    if kpi_cache is not None:
        from .kpi_store import KpiStore

        data.kpi_cache = KpiStore(kpi_cache, data.files)
    return terms, data


# -- text tables ---------------------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def render_table(header: list[str], rows: list[list], right: set[int] = frozenset()) -> str:
    """A plain text table that lines up Chinese (double-width) characters."""
    cells = [[("—" if v is None else str(v)) for v in row] for row in [header, *rows]]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(_pad(c, widths[i], i in right) for i, c in enumerate(r)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _kpi_table(kpis) -> str:
    rows = []
    for key, r in kpis.results.items():
        zh, en = KPI_LABELS[key]
        rows.append([r.clause, f"{zh} {en}", r.met, r.total, r.rate_pct or "n/a", r.to_json()["target_pct"], r.status])
    table = render_table(["条款 Clause", "指标 KPI", "达标 Met", "总数 Total", "比率 Rate %", "目标 Target %", "结果 Status"], rows, right={2, 3, 4, 5})
    return table + _no_data_text(kpis)


def _no_data_text(kpis) -> str:
    """A line under the KPI table for tables with no rows in the month ('' when none)."""
    if not kpis.tables_without_rows:
        return ""
    return (f"\n无数据 NO DATA: {', '.join(kpis.tables_without_rows)}: no rows in {kpis.month}; "
            f"n/a: {', '.join(kpis.no_data_kpis)} (check the export covers the month)")


def _fee_table(statement) -> str:
    rows = [[line.clause, line.key, line.amount, line.explanation] for line in statement.lines]
    head = (
        f"{statement.month}  应付 amount due {statement.amount_due}  付款截止 payment due {statement.payment_due}  "
        f"已付 paid {statement.paid}  逾期天数 late days {statement.late_days}  违约金 damages {statement.late_damages}"
    )
    return head + "\n\n" + render_table(["条款 Clause", "项目 Item", "金额 Amount (CNY)", "计算 Formula"], rows, right={2})


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


# -- commands ------------------------------------------------------------------------------

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sla-lib")
def cli():
    """Analytics for the customer-support service contract (客户支持服务合同).

    Every figure comes from sla_lib; clause ids C1–C21 are listed in docs/clauses.md."""


@cli.command()
@_terms_option
@_data_option
@click.option("--strict", is_flag=True, help="Exit 1 when any row was set aside, not only on errors.")
def validate(terms_path, data_dir, strict):
    """Check the terms file and every input table; print the per-table accounting
    (rows read, used, set aside) and every problem. Exit 1 on errors."""
    terms, data = _load(terms_path, data_dir)
    click.echo(f"terms: {terms_path} OK (contract {terms.contract.id}, {terms.term.start} – {terms.term.end})")
    rows = [[a.table, a.file or "(absent)", a.rows_read, a.rows_used, len(a.set_aside)] for a in data.accounting.values()]
    click.echo(render_table(["table", "file", "read", "used", "set aside"], rows, right={2, 3, 4}))
    for a in data.accounting.values():
        for skipped in a.skipped_rows:
            click.echo(f"skipped: {a.file}, row {skipped.row}: {skipped.reason}")
    problems = [s for a in data.accounting.values() for s in a.set_aside]
    for s in problems:
        where = f"{data.accounting[s.table].file}, row {s.row}" + (f", column {s.column}" if s.column else "")
        click.echo(f"set aside: {where}: {s.reason}")
    if strict and problems:
        sys.exit(1)


@cli.command()
@_terms_option
@_data_option
@click.option("--month", required=True, help="YYYY-MM, or a range YYYY-MM:YYYY-MM.")
@_format_option
@_kpi_cache_option
def kpis(terms_path, data_dir, month, fmt, kpi_cache):
    """The month's KPIs (C1–C3, C6, C9–C11): met / total, exact rate, target, status."""
    from .kpis import month_kpis

    months = _months(month)
    terms, data = _load(terms_path, data_dir, by_month=True, kpi_cache=kpi_cache, months=months)
    results = [month_kpis(data, terms, m) for m in months]
    if fmt == "json":
        objs = [{"month": k.month, "kpis": k.to_json(), "no_data": list(k.tables_without_rows)} for k in results]
        _echo_json(objs[0] if len(objs) == 1 else {"months": objs})
    else:
        click.echo("\n\n".join(f"{k.month}\n{_kpi_table(k)}" for k in results))


@cli.command()
@_terms_option
@_data_option
@click.option("--month", required=True, help="YYYY-MM, or a range YYYY-MM:YYYY-MM (adds the totals).")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
    help="Date at which lateness is measured; payments after it are not yet known. Default: today in the contract's zone.",
)
@_format_option
@_kpi_cache_option
def fees(terms_path, data_dir, month, as_of, fmt, kpi_cache):
    """The month's fee statement (C5, C12–C20): base, bonus or deductions, amount due,
    payment and invoice deadlines, late damages, termination right, exposure."""
    from .fees import fee_statements, range_totals

    months = _months(month)
    terms, data = _load(terms_path, data_dir, by_month=True, kpi_cache=kpi_cache, months=months)
    statements = fee_statements(data, terms, months, as_of.date() if as_of else None)
    if fmt == "json":
        objs = [{"month": s.month, "as_of": s.as_of.isoformat(), "kpis": s.kpis.to_json(), "no_data": list(s.no_data_tables),
                 "fees": s.to_json()} for s in statements]
        _echo_json(objs[0] if len(objs) == 1 else {"months": objs, "totals": range_totals(statements)})
    else:
        blocks = [f"{_kpi_table(s.kpis)}\n\n{_fee_table(s)}" for s in statements]
        if len(statements) > 1:
            t = range_totals(statements)
            blocks.append(render_table(["合计 Totals", ""], [[k, v] for k, v in t.items()], right={1}))
        click.echo("\n\n".join(blocks))


@cli.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write the tables into.")
@click.option("--terms", "terms_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Terms whose term gives the months and prices the generated payments "
                   "(default: <out>/contract.yaml, else data/samples/contract.yaml, copied into <out>).")
@click.option("--seed", type=int, default=20260101, show_default=True)
@click.option("--months", type=click.IntRange(1, 1200), default=None,
              help="Only the first N months of the term (default: the whole term).")
@click.option("--consultations-per-month", "per_month", type=click.IntRange(1, 10**9), default=None,
              help="Consultations in an ordinary month (default 2000, the committed sample); the other tables scale with it.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--check", is_flag=True, help="Do not write: check that the files in --out are exactly what the generator makes.")
def generate(out_dir, terms_path, seed, months, per_month, fmt, check):
    """Generate the deterministic sample data set (the sample contract: 12 months of 2026).

    With --months, --consultations-per-month or --format parquet, the tables are written one
    month at a time (memory holds one month), e.g. a year of a large call centre:
    sla generate --months 12 --consultations-per-month 10000000 --format parquet --out DIR"""
    from .samples import generate_sample, generate_scale, sample_files_differ

    scale = months is not None or per_month is not None or fmt != "csv"
    if terms_path is None:
        terms_path = out_dir / "contract.yaml"
        packaged = Path(__file__).resolve().parents[1] / "data" / "samples" / "contract.yaml"
        if not terms_path.is_file() and scale and packaged.is_file():
            out_dir.mkdir(parents=True, exist_ok=True)
            terms_path.write_bytes(packaged.read_bytes())
            click.echo(f"wrote {terms_path} (the sample terms)")
    if check:
        if scale:
            raise click.UsageError("--check compares the committed sample; it takes no --months, --consultations-per-month or --format")
        differ = sample_files_differ(out_dir, terms_path, seed)
        if differ:
            raise click.ClickException(f"sample data in {out_dir} differs from the generator's output: {', '.join(differ)} (run `make samples`)")
        click.echo(f"sample data in {out_dir} is the generator's output for seed {seed}")
        return
    if not scale:
        for path in generate_sample(out_dir, terms_path, seed):
            click.echo(f"wrote {path}")
        return

    def progress(month, rows):
        click.echo(f"{month}: {rows:,} rows", err=True)

    try:
        paths = generate_scale(out_dir, terms_path, months, per_month or 2000, fmt, seed, progress)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for path in paths:
        click.echo(f"wrote {path}")


@cli.command()
@_terms_option
@_data_option
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Change one pricing term for a scenario named 'set' (repeatable), e.g. fees.penalty_per_step_pct=3.")
@click.option("--scenario", "scenarios", multiple=True, metavar="NAME:KEY=VALUE,...",
              help="A named scenario (repeatable), e.g. strict:fees.penalty_per_step_pct=3,targets.complaint_satisfaction_pct=88.")
@click.option("--years", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True, help="Simulated years.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--method", type=click.Choice(["bootstrap", "parametric"]), default=None,
              help="parametric (the default, chosen by a backtest on the history: sla_lib.renewal.DEFAULT_METHOD, docs/decisions.md): "
                   "beta-binomial per KPI fitted to the history; bootstrap: blocks of actual months.")
@click.option("--block", type=click.IntRange(1, 12), default=3, show_default=True, help="Months per bootstrap block.")
@click.option("--shift", "shifts", multiple=True, metavar="KPI=POINTS",
              help="Parametric only: move a fee KPI's expected rate, e.g. complaint_satisfaction=-2.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date for the renewal key dates (default today).")
@_format_option
def simulate(terms_path, data_dir, sets, scenarios, years, seed, method, block, shifts, as_of, fmt):
    """Renewal scenarios (C7): the term's months re-priced under alternate terms, and the
    expected yearly cost to Party A over simulated years, side by side: each scenario's
    paired difference from the current contract (same simulated years) with its 5-95 % band,
    its deductions before and after the cap, and how often and how much the cap binds."""
    from .labels import COLUMNS
    from .renewal import CURRENT, DEFAULT_METHOD, Scenario, compare_scenarios, history_from_data, parse_assignments, parse_scenario, renewal_dates, simulate_years

    method = method or DEFAULT_METHOD
    terms, data = _load(terms_path, data_dir)
    chosen = [parse_scenario(text) for text in scenarios]
    if sets:
        chosen.insert(0, Scenario("set", parse_assignments(",".join(sets), "--set")))
    shift_pp = {}
    for text in shifts:
        kpi, _, points = text.partition("=")
        try:
            shift_pp[kpi.strip()] = float(points)
        except ValueError:
            raise click.BadParameter(f"expected KPI=POINTS, got {text!r}", param_hint="--shift") from None
    history = history_from_data(data, terms)
    try:
        sim = simulate_years(history, years, seed, method, block, shift_pp or None)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    table = compare_scenarios(history, terms, chosen, sim)
    dates = renewal_dates(terms, as_of.date() if as_of else None)
    if fmt == "json":
        rows = []
        for name, row in table.iterrows():
            rows.append({
                "name": name,
                "changes": row["changes"],
                "replay_total": str(row["replay_total"]),
                "replay_difference": str(row["replay_difference"]),
                "expected_yearly_cost": str(row["expected_yearly_cost"]),
                "p5": str(row["p5"]),
                "p95": str(row["p95"]),
                "p_bonus_month": round(row["p_bonus_month"], 6),
                "p_deduction_month": round(row["p_deduction_month"], 6),
                "expected_deduction": {k.split(".", 1)[1]: str(v) for k, v in row.items() if k.startswith("expected_deduction.")},
                # added by issue 14: the paired difference from the current contract, the cap
                "difference": {"expected": str(row["expected_difference"]), "p5": str(row["difference_p5"]),
                               "p95": str(row["difference_p95"]), "p_cheaper_year": round(row["p_cheaper_year"], 6)},
                "expected_deduction_before_cap": str(row["deduction_before_cap"]),
                "expected_deduction_after_cap": str(row["deduction_after_cap"]),
                "cap": {"limit": row["cap_limit"], "cap_pct": str(row["cap_pct"]), "cap": str(row["cap"]),
                        "binds_share_of_months": round(row["p_cap_month"], 6), "binds_share_of_years": round(row["p_cap_year"], 6),
                        "expected_yearly_cut": str(row["cap_cut"])},
            })
        _echo_json({"renewal": dates.to_json(), "history_months": history.months, "method": method,
                    "default_method": DEFAULT_METHOD, "years": years, "seed": seed,
                    "estimates": "expected values, percentiles and shares are estimates over the simulated years "
                                 "(means rounded to the fen); replay amounts are exact",
                    "scenarios": rows})
        return
    click.echo(f"续约 Renewal: objection deadline 异议截止 {dates.objection_deadline} "
               f"({dates.days_to_objection_deadline} days), renewed term 续约期 {dates.renewed_start} – {dates.renewed_end}"
               + ("  ⚠ within 60 days" if dates.objection_warning else ""))
    default = " (default: chosen by backtest)" if method == DEFAULT_METHOD else f" (default {DEFAULT_METHOD})"
    click.echo(f"{years} simulated years ({method}{default}, seed {seed}) from {len(history.months)} months "
               f"{history.months[0]}..{history.months[-1]}\n")

    def shown(name):
        return f"{COLUMNS[CURRENT][0]} {COLUMNS[CURRENT][1].lower()}" if name == CURRENT else name

    def pct(value):
        return f"{value:.1%}"

    header = ["方案 Scenario", "回放 Replay", "回放差额 Replay diff", "期望年成本 E[cost]", "P5", "P95",
              "较现行 E[diff]", "差额 P5 diff", "差额 P95 diff", "P(奖励 bonus)", "P(扣款 deduction)"]
    rows = [[shown(name), r["replay_total"], r["replay_difference"], r["expected_yearly_cost"], r["p5"], r["p95"],
             r["expected_difference"], r["difference_p5"], r["difference_p95"], pct(r["p_bonus_month"]), pct(r["p_deduction_month"])]
            for name, r in table.iterrows()]
    click.echo(render_table(header, rows, right=set(range(1, len(header)))))
    click.echo("diff = scenario − current contract, year by year on the same simulated years (paired); 差额按同一模拟年配对\n")
    header = ["方案 Scenario", "扣款限额 Limit", "期望年扣款(上限前) before cap", "(上限后) after cap", "上限削减 cut by cap",
              "触及月份 months at cap", "触及年份 years at cap"]
    def limit(r):
        return f"上限 cap {r['cap_pct']}%" if r["cap_limit"] == "cap" else "扣款≤B deductions ≤ B"

    rows = [[shown(name), limit(r), r["deduction_before_cap"], r["deduction_after_cap"],
             r["cap_cut"], pct(r["p_cap_month"]), pct(r["p_cap_year"])] for name, r in table.iterrows()]
    click.echo(render_table(header, rows, right=set(range(2, len(header)))))
    changed = sorted({k for s in chosen for k in s.changes})
    if changed:
        click.echo("\n" + "\n".join(f"{k}: {COLUMNS[k][0]} / {COLUMNS[k][1]}" for k in changed if k in COLUMNS))
        click.echo("\n".join(f"{s.name}: {', '.join(f'{k}={v}' for k, v in s.changes.items())}" for s in chosen))
    click.echo(f"\nExpected values, percentiles and shares are estimates over {years} simulated years (means rounded to the fen); "
               "the replay is exact. 期望值、分位与占比为模拟估计。")


@cli.group()
def terms():
    """The terms file (spec section 8): extract it from the signed contract."""


@terms.command("extract")
@click.argument("contract", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The terms file to write (YAML, spec section 8).")
@click.option("--allow-missing", is_flag=True,
              help="Write the file even when blanks are unfilled or not found; their keys get no value.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="A key the contract does not hold (or overrides it), e.g. contract.id=CS-2026-001. Repeatable.")
def terms_extract(contract, out_path, allow_missing, assignments):
    """Read the filled-in contract CONTRACT (.docx: paragraphs and tables) and write its terms
    file, each value with a comment quoting the clause it came from; then validate the file.

    Exit 1 when a blank is unfilled or not found (nothing is written unless --allow-missing)
    or when a value written from the contract fails validation."""
    from .docx_terms import extract_to_file, parse_assignment

    try:
        extra = dict(parse_assignment(a) for a in assignments)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None
    result = extract_to_file(contract, out_path, allow_missing=allow_missing, extra=extra)
    ex = result.extraction
    click.echo(f"{contract}: {len(ex.terms_keys_found())} value(s) found, {len(ex.missing)} blank(s) missing")
    click.echo(render_table(["条款 Clause", "键 Key", "值 Value", "原文 Sentence"], result.found_rows()))
    for warning in ex.warnings:
        click.echo(f"warning: {warning}")
    for m in ex.missing:
        click.echo(f"missing: {m.key} ({m.clause}): {m.reason}")
    if not result.written:
        click.echo(f"error: {len(result.unresolved)} blank(s) missing; {out_path} not written "
                   "(fill them in the contract, give them with --set KEY=VALUE, or pass --allow-missing)", err=True)
        sys.exit(1)
    click.echo(f"wrote {out_path}")
    for e in result.to_fill:
        click.echo(f"to fill in: {e.key}: {e.message}")
    for e in result.invalid:
        click.echo(f"invalid: {e.key}: {e.message}", err=True)
    if result.invalid:
        sys.exit(1)
    click.echo("validation (load_terms): " + ("OK" if not result.to_fill else
               f"{len(result.to_fill)} key(s) to fill in by hand in {out_path}, then check with `sla validate`"))


@cli.command()
@_terms_option
@_data_option
@click.option("--month", required=True, help="YYYY-MM, or 'previous': the last complete month, as of today in the contract's time zone.")
@click.option("--quarter", default=None, help="Also run quarterly_trends for this quarter: YYYYQn (e.g. 2026Q3) or 'previous'.")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
    help="Reports folder; the month's report is published as <out>/<month>/.",
)
@click.option("--formats", default="html,pdf,xlsx", show_default=True, help="Comma-separated, among html, pdf, xlsx.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the report.")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True, help="Notebooks executed at the same time.")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
    help="Date at which payments and lateness are measured. Default: today in the contract's zone.",
)
@click.option("--verbose", is_flag=True, help="Show papermill's progress over cells and the kernels' logs.")
@_mail_options
def report(terms_path, data_dir, month, quarter, out_dir, formats, lang, jobs, as_of, verbose, mail_to, smtp_host, smtp_port, smtp_user, starttls,
           mail_from):
    """Execute the report notebooks for a month, render each to HTML and PDF (code hidden),
    write index.html with the headline figures, publish <out>/<month>/ only when every
    notebook succeeded, optionally e-mail it, and print the path of index.html.

    A failing notebook exits 1 naming the notebook, the cell and the exception; the
    previous report stays in place and the failed run is kept in <out>/<month>.failed/."""
    from .folders import writable_folder
    from .report import build_report

    writable_folder(out_dir, "--out")  # one line naming the option, before anything is read
    _check_mail_options(mail_to, mail_from)
    result = build_report(
        terms_path, data_dir, month, out_dir=out_dir, formats=tuple(formats.split(",")), lang=lang, jobs=jobs,
        quarter=quarter, as_of=as_of.date() if as_of else None, verbose=verbose,
    )
    click.echo(result.index)
    if mail_to:
        from .delivery import send_report

        send_report(result, mail_to, smtp_host, smtp_port, smtp_user=smtp_user, starttls=starttls, sender=mail_from)
        click.echo(f"sent to {mail_to}", err=True)



_STATUS_MARK = {"passed": "⚠ passed 已过", "today": "⚠ today 今日", "soon": "⚠ soon 临近", "ahead": "ahead 未到", "done": "done 已完成"}
_TAKES = {"secured": "secured 已确保", "reachable": "reachable 可达", "unreachable": "unreachable 已无法达到", "n/a": "n/a"}


def _outlook_text(o) -> str:
    """``sla outlook --format table``: the month so far and projected, what it takes, the fee
    at risk and the deadlines ahead (every figure from sla_lib.outlook)."""
    p = o.position
    lines = [f"{o.month} 截至 as of {o.as_of}: elapsed 已过 {p.elapsed_workdays} working + {p.elapsed_other_days} other days, "
             f"remaining 剩余 {p.remaining_workdays} working + {p.remaining_other_days} other days; "
             f"history 历史 {len(o.history_months)} months; {o.draws} simulated month ends (seed {o.seed})"]
    if o.no_data:
        lines.append(_no_data_text(o.so_far).strip())
    rows = []
    for key, k in o.kpis.items():
        r = k.so_far
        zh, en = KPI_LABELS[key]
        lo, hi = (k.to_json()["interval_pct"])
        rows.append([r.clause, f"{zh} {en}", r.met, r.total, r.rate_pct or "n/a", r.to_json()["target_pct"], k.expected_remaining,
                     k.to_json()["projected_rate_pct"], f"{lo} – {hi}" if lo else None,
                     None if k.p_miss is None else f"{k.p_miss:.1%}"])
    lines.append(render_table(["条款 Clause", "指标 KPI", "达标 Met", "总数 Total", "比率 Rate %", "目标 Target %", "预计剩余 Remaining",
                               "预测 Projected %", "90% 区间 Interval", "未达标概率 P(miss)"], rows, right={2, 3, 4, 5, 6, 7, 9}))
    rows = [[t.clause, " ".join(KPI_LABELS[key]), t.needed, t.remaining, _TAKES[t.status]] for key, t in o.takes.items()]
    lines.append("达标所需 What it takes (of the expected remaining):\n"
                 + render_table(["条款 Clause", "指标 KPI", "至少 At least", "预计剩余 Of about", "状态 Status"], rows, right={2, 3}))
    f = o.fee.to_json()
    c19 = f["c19"]
    lines.append(render_table(["费用风险 Fee at risk (CNY)", ""], [
        ["if the month ended today 按当前比率: bonus / deduction", f"{f['if_month_ended_today']['bonus']} / {f['if_month_ended_today']['total_deduction']}"],
        ["at the projected rates 按预测比率: bonus / deduction", f"{f['at_projected_rates']['bonus']} / {f['at_projected_rates']['total_deduction']}"],
        ["expected bonus 期望奖励 (P)", f"{f['expected_bonus']} ({o.fee.p_bonus:.1%})"],
        ["expected deduction 期望扣款 (P)", f"{f['expected_deduction']} ({o.fee.p_deduction:.1%})"],
        ["C19 failing months so far 已未达标月份", f"{c19['failing_count']} of {c19['allowed']} allowed ({', '.join(c19['failing_months']) or 'none'})"],
        ["C19 breach exposure if this month fails 本月未达标则触发",
         (f"{c19['breach_exposure']} (P {o.fee.p_fail:.1%})" if o.fee.triggered_if_this_month_fails else "not triggered 不触发")
         + (" — already triggered 已触发" if o.fee.already_triggered else "")],
    ], right={1}))
    rows = [[d.clause, d.key, d.month, d.date, d.days_left, _STATUS_MARK[d.status]] for d in o.deadlines]
    lines.append(render_table(["条款 Clause", "期限 Deadline", "月份 Month", "日期 Date", "剩余天数 Days left", "状态 Status"], rows, right={4}))
    return "\n\n".join(lines)


@cli.command()
@_terms_option
@_data_option
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The data are taken as known at the end of this day. Default: today in the contract's zone.")
@click.option("--month", default=None, help="YYYY-MM (default: the month of --as-of); a month before it shows the whole month.")
@click.option("--draws", type=click.IntRange(100, 1_000_000), default=20_000, show_default=True, help="Simulated month ends.")
@click.option("--seed", type=int, default=1, show_default=True)
@_format_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the e-mail digest.")
@_mail_options
def outlook(terms_path, data_dir, as_of, month, draws, seed, fmt, lang, mail_to, smtp_host, smtp_port, smtp_user, starttls, mail_from):
    """The month in progress: each KPI so far and projected to the month end, what it takes to
    meet each fee target, the fee at risk (C13, C14, C19) and the deadlines ahead (C7, C15–C18).
    With --mail-to, also sends it as a short e-mail (HTML and text) in --lang."""
    from .calendar import resolve_as_of
    from .outlook import month_outlook
    from .terms import load_terms

    _check_mail_options(mail_to, mail_from)
    if month is not None and (":" in month or len(_months(month)) != 1):
        raise click.BadParameter("one month, YYYY-MM", param_hint="--month")
    # the default as-of date is today in the contract's zone: the terms are read first for it
    day = resolve_as_of(as_of.date() if as_of else None, load_terms(terms_path).contract.timezone)
    month = month or f"{day.year:04d}-{day.month:02d}"
    terms, data = _load(terms_path, data_dir, by_month=True, months=[month])  # a Parquet folder: one month at a time
    result = month_outlook(data, terms, day, month, draws=draws, seed=seed)
    if fmt == "json":
        _echo_json(result.to_json())
    else:
        click.echo(_outlook_text(result))
    if mail_to:  # the digest: the same figures, masked and escaped like the reports
        from .delivery import send_outlook

        send_outlook(result, terms, lang, mail_to, smtp_host, smtp_port, smtp_user=smtp_user, starttls=starttls, sender=mail_from)
        click.echo(f"sent to {mail_to}", err=True)


def main(argv=None) -> None:
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SlaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except SystemExit:
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
