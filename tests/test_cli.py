"""The `sla` command: its public interface (options, JSON keys, exit codes)."""

import json
import subprocess
import sys

import pytest

from conftest import SAMPLES, run_cli

TERMS = str(SAMPLES / "contract.yaml")
DATA = str(SAMPLES)


run = run_cli


@pytest.mark.parametrize("command", [[], ["validate"], ["kpis"], ["fees"], ["generate"], ["simulate"], ["terms", "extract"], ["report"]])
def test_help_on_every_command(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "Usage:" in out


def test_fees_json_has_the_spec_keys(capsys):
    code, out, err = run(capsys, "fees", "--terms", TERMS, "--data", DATA, "--month", "2026-10", "--as-of", "2026-12-31", "--format", "json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["month"] == "2026-10"
    assert set(obj["kpis"]) == {
        "consultation_response", "consultation_resolution", "complaint_contact", "complaint_solution",
        "complaint_satisfaction", "followup_coverage", "followup_satisfaction",
    }
    for k in obj["kpis"].values():
        assert set(k) == {"met", "total", "rate_pct", "target_pct", "ok"}
    spec_keys = {"base", "bonus", "deductions", "total_deduction", "amount_due", "payment_due", "paid",
                 "late_days", "late_damages", "termination_right", "invoice_due", "invoices_on_time"}
    assert spec_keys <= set(obj["fees"])
    assert obj["fees"]["payment_due"] == "2026-11-13"
    assert isinstance(obj["fees"]["amount_due"], str) and isinstance(obj["fees"]["late_days"], int)


def test_kpis_json_prints_month_and_kpis_only(capsys):
    # plus "no_data" (issue 12: the tables with no rows in the month; new keys are allowed)
    code, out, _ = run(capsys, "kpis", "--terms", TERMS, "--data", DATA, "--month", "2026-10", "--format", "json")
    assert code == 0 and set(json.loads(out)) == {"month", "kpis", "no_data"}
    assert json.loads(out)["no_data"] == []


def test_fee_range_has_one_object_per_month_and_totals(capsys):
    code, out, _ = run(capsys, "fees", "--terms", TERMS, "--data", DATA, "--month", "2026-01:2026-03", "--as-of", "2026-12-31", "--format", "json")
    assert code == 0
    obj = json.loads(out)
    assert [m["month"] for m in obj["months"]] == ["2026-01", "2026-02", "2026-03"]
    from decimal import Decimal

    assert Decimal(obj["totals"]["amount_due"]) == sum(Decimal(m["fees"]["amount_due"]) for m in obj["months"])


def test_table_format_is_bilingual(capsys):
    code, out, _ = run(capsys, "fees", "--terms", TERMS, "--data", DATA, "--month", "2026-10", "--as-of", "2026-12-31")
    assert code == 0 and "应付 amount due" in out and "投诉处理满意度" in out


def test_broken_terms_is_one_clear_line_and_exit_1(capsys, tmp_path):
    bad = tmp_path / "terms.yaml"
    bad.write_text(open(TERMS, encoding="utf-8").read().replace("penalty_step_pct", "penalty_step_pc"), encoding="utf-8")
    code, out, err = run(capsys, "fees", "--terms", str(bad), "--data", DATA, "--month", "2026-10")
    assert code == 1
    assert "terms.yaml" in err and "fees.penalty_step_pc" in err and "Traceback" not in err


def test_bad_month_is_a_usage_error(capsys):
    code, _, err = run(capsys, "kpis", "--terms", TERMS, "--data", DATA, "--month", "2026-13")
    assert code == 2 and "--month" in err


def test_validate_sample_data(capsys):
    code, out, _ = run(capsys, "validate", "--terms", TERMS, "--data", DATA)
    assert code == 0
    assert "consultations" in out and "set aside" in out


def test_console_script_runs_without_traceback(tmp_path):
    # the installed entry point, as a scheduler would call it
    missing = tmp_path / "nope.yaml"
    proc = subprocess.run([sys.executable, "-m", "sla_lib.cli", "kpis", "--terms", str(missing), "--data", DATA, "--month", "2026-10"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "nope.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_simulate_json_side_by_side(capsys):
    argv = ["simulate", "--terms", TERMS, "--data", DATA, "--set", "fees.penalty_per_step_pct=3",
            "--scenario", "lenient:targets.complaint_satisfaction_pct=80", "--years", "300", "--seed", "5",
            "--as-of", "2026-11-01", "--format", "json"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    obj = json.loads(out)
    assert [s["name"] for s in obj["scenarios"]] == ["current", "set", "lenient"]
    assert obj["scenarios"][0]["replay_difference"] == "0.00"
    assert obj["scenarios"][1]["replay_difference"] == "-16000.00"  # July: 8 steps × 1 % × 200000
    assert obj["renewal"]["objection_deadline"] == "2026-12-01" and obj["renewal"]["objection_warning"] is True
    again = run(capsys, *argv)[1]
    assert again == out  # same seed, same output


def test_simulate_rejects_a_non_pricing_key(capsys):
    code, _, err = run(capsys, "simulate", "--terms", TERMS, "--data", DATA, "--scenario", "x:fees.payment_workdays=3", "--years", "10")
    assert code == 1 and "fees.payment_workdays" in err


def test_simulate_shift_needs_parametric(capsys):
    code, _, err = run(capsys, "simulate", "--terms", TERMS, "--data", DATA, "--shift", "complaint_satisfaction=-2", "--years", "10",
                       "--method", "bootstrap")  # parametric is the default (issue 14)
    assert code == 2 and "parametric" in err


def test_payment_outside_the_term_stops_the_run_naming_file_row_and_column(capsys, tmp_path):
    import shutil

    for f in SAMPLES.glob("*"):
        shutil.copy(f, tmp_path / f.name)
    with open(tmp_path / "payments.csv", "a", encoding="utf-8") as out:
        out.write("FK-202801-1,2028-01,2028-02-10 10:00:00,100.00\n")  # after the term and its renewal
    rows = sum(1 for _ in open(tmp_path / "payments.csv", encoding="utf-8"))
    code, _, err = run(capsys, "fees", "--terms", TERMS, "--data", str(tmp_path), "--month", "2026-10")
    assert code == 1 and "payments.csv" in err and f"row {rows}" in err and "service_month" in err
