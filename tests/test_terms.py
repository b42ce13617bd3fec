"""The terms file (spec section 8): the sample loads with exact typed values, and every
kind of broken file is rejected with the file name and the exact dotted key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sla_lib.errors import TermsError, TermsErrors
from sla_lib.terms import Terms, load_terms

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "contract.yaml"
DELETE = object()


def sample_mapping() -> dict:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def edited(edits: dict) -> dict:
    """The sample as a mapping with dotted keys set (or deleted with DELETE)."""
    data = sample_mapping()
    for dotted, value in edits.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


def write_terms(tmp_path: Path, data, name: str = "broken-contract.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample() -> Terms:
    return load_terms(SAMPLE)


# --- the sample ---------------------------------------------------------------------------


def test_sample_contract_and_term(sample):
    assert sample.source == str(SAMPLE)
    assert len(sample.sha256) == 64
    assert sample.contract.id == "CS-2026-001"
    assert sample.contract.party_a == "华东星辰电子有限公司"
    assert sample.contract.timezone == "Asia/Shanghai"
    assert str(sample.tz) == "Asia/Shanghai"
    assert sample.term.start == dt.date(2026, 1, 1)
    assert sample.term.end == dt.date(2026, 12, 31)
    assert (sample.term.auto_renewal_check_days, sample.term.objection_notice_days) == (30, 30)
    assert sample.term.renewal_months == 12
    assert sample.term_months == [f"2026-{m:02d}" for m in range(1, 13)]


def test_sample_service_hours_and_calendar(sample):
    hours = sample.service_hours
    assert (hours.days, hours.open, hours.close) == ("all", 540, 1260)
    assert hours.minutes_per_day == 720
    assert sample.calendar_overrides.holidays == [dt.date(2027, 1, 1)]
    assert sample.calendar_overrides.workdays == []


def test_sample_standards_are_exact_decimals(sample):
    limits = sample.standards.consultation_response_minutes
    assert limits == {"phone": Decimal("1"), "chat": Decimal("2"), "email": Decimal("240")}
    assert all(type(v) is Decimal for v in limits.values())
    assert sample.standards.response_limit_minutes("phone") == Decimal(1)
    assert sample.standards.response_limit_minutes("chat") == Decimal(2)
    assert sample.standards.response_limit_minutes("email") == Decimal(240)
    assert sample.standards.complaint_contact_hours == Decimal(2)
    assert sample.standards.complaint_contact_clock == "calendar"
    assert sample.standards.complaint_solution_workdays == 3
    assert sample.standards.followup_coverage_pct == Decimal(30)
    assert sample.standards.satisfied_min_score == 4
    assert sample.targets.consultation_resolution_pct == Decimal(90)
    assert sample.targets.complaint_satisfaction_pct == Decimal(85)
    assert sample.targets.followup_satisfaction_pct == Decimal(90)
    assert sample.na_counts_as == "met"


def test_sample_money_and_percentages_are_exact(sample):
    fees, liability = sample.fees, sample.liability
    # read from the YAML text, never through a binary float
    assert type(liability.late_payment_daily_pct) is Decimal
    assert str(liability.late_payment_daily_pct) == "0.05"
    assert type(fees.monthly_base_fee) is Decimal
    assert str(fees.monthly_base_fee) == "200000.00"
    assert str(liability.confidentiality_penalty) == "500000.00"
    assert (fees.bonus_pct, fees.penalty_step_pct, fees.penalty_per_step_pct) == (5, 1, 2)
    assert fees.penalty_rounding == "ceil"
    assert fees.penalty_cap_pct == Decimal(30)
    assert (fees.payment_workdays, fees.invoice_workdays) == (10, 5)
    assert liability.termination_overdue_days == 30
    assert liability.repeated_failure_months == 2
    assert liability.breach_penalty_pct == Decimal(20)
    assert liability.total_contract_amount is None
    assert sample.total_contract_amount() == Decimal("2400000.00")
    assert sample.total_contract_amount() == fees.monthly_base_fee * 12


def test_defaults_apply_when_keys_are_omitted(tmp_path):
    data = edited(
        {
            "contract.timezone": DELETE,
            "standards.complaint_contact_clock": DELETE,
            "na_counts_as": DELETE,
            "fees.penalty_rounding": DELETE,
            "fees.penalty_cap_pct": DELETE,
            "liability.total_contract_amount": DELETE,
            "calendar_overrides": DELETE,
        }
    )
    terms = load_terms(write_terms(tmp_path, data, "defaults.yaml"))
    assert terms.contract.timezone == "Asia/Shanghai"
    assert terms.standards.complaint_contact_clock == "calendar"
    assert terms.na_counts_as == "met"
    assert terms.fees.penalty_rounding == "ceil"
    assert terms.fees.penalty_cap_pct == Decimal(100)
    assert terms.liability.total_contract_amount is None
    assert terms.total_contract_amount() == Decimal("200000.00") * 12
    assert terms.calendar_overrides.holidays == [] and terms.calendar_overrides.workdays == []


def test_stated_total_contract_amount_wins(tmp_path):
    terms = load_terms(write_terms(tmp_path, edited({"liability.total_contract_amount": "2000000.00"})))
    assert terms.total_contract_amount() == Decimal("2000000.00")


@pytest.mark.parametrize(
    ("edits", "check"),
    [
        pytest.param({"service_hours.close": "24:00"}, lambda t: t.service_hours.close == 1440, id="close-24:00"),
        pytest.param(
            {"standards.consultation_response_minutes": 5},
            lambda t: t.standards.response_limit_minutes("email") == Decimal(5),
            id="one-limit-for-all-channels",
        ),
        pytest.param({"fees.monthly_base_fee": 200000}, lambda t: t.fees.monthly_base_fee == 200000, id="whole-yuan"),
        pytest.param({"term.end": dt.date(2026, 1, 1)}, lambda t: t.term_months == ["2026-01"], id="one-day-term"),
    ],
)
def test_accepted_variants(tmp_path, edits, check):
    assert check(load_terms(write_terms(tmp_path, edited(edits))))


def test_unquoted_clock_time_is_read_as_time(tmp_path):
    # YAML 1.1 reads an unquoted 9:00 as the sexagesimal integer 540
    text = SAMPLE.read_text(encoding="utf-8").replace('open: "09:00"', "open: 9:00")
    assert "open: 9:00" in text
    path = tmp_path / "unquoted.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_terms(path).service_hours.open == 540


# --- broken terms: the file name and the exact dotted key in the message -------------------

BROKEN = [
    pytest.param({"extra_section": {"a": 1}}, TermsError, "extra_section", "unknown key", id="unknown-top-level-key"),
    pytest.param({"fees.penalty_step_pc": 1}, TermsError, "fees.penalty_step_pc", "unknown key", id="typo-nested-key"),
    pytest.param({"fees.bonus_pct": DELETE}, TermsError, "fees.bonus_pct", "missing key", id="missing-key"),
    pytest.param({"liability": DELETE}, TermsError, "liability", "missing key", id="missing-section"),
    pytest.param(
        {"targets.complaint_satisfaction_pct": 101}, TermsError, "targets.complaint_satisfaction_pct", "100",
        id="percentage-101",
    ),
    pytest.param({"fees.bonus_pct": -1}, TermsError, "fees.bonus_pct", "greater than or equal to 0", id="percentage-minus-1"),
    pytest.param(
        {"liability.late_payment_daily_pct": 100.5}, TermsError, "liability.late_payment_daily_pct", "100",
        id="daily-percentage-over-100",
    ),
    pytest.param(
        {"term.objection_notice_days": -5}, TermsError, "term.objection_notice_days", "greater than or equal to 0",
        id="negative-days",
    ),
    pytest.param(
        {"service_hours.open": "18:00", "service_hours.close": "09:00"}, TermsError, "service_hours.close",
        "must be after service_hours.open", id="close-before-open",
    ),
    pytest.param(
        {"service_hours.open": "09:00", "service_hours.close": "09:00"}, TermsError, "service_hours.close",
        "must be after service_hours.open", id="close-equals-open",
    ),
    pytest.param({"service_hours.close": "25:00"}, TermsError, "service_hours.close", "25:00", id="close-25:00"),
    pytest.param({"service_hours.open": "9am"}, TermsError, "service_hours.open", "9am", id="open-not-a-time"),
    pytest.param({"service_hours.days": "weekdays"}, TermsError, "service_hours.days", "workdays", id="unknown-days"),
    pytest.param({"fees.payment_workdays": "ten"}, TermsError, "fees.payment_workdays", "ten", id="string-for-days"),
    pytest.param({"fees.payment_workdays": 10.5}, TermsError, "fees.payment_workdays", "fractional", id="fractional-days"),
    pytest.param({"fees.bonus_pct": True}, TermsError, "fees.bonus_pct", "boolean", id="boolean-for-percentage"),
    pytest.param({"fees.invoice_workdays": True}, TermsError, "fees.invoice_workdays", "boolean", id="boolean-for-days"),
    pytest.param({"term.renewal_months": True}, TermsError, "term.renewal_months", "boolean", id="boolean-for-months"),
    pytest.param(
        {"standards.satisfied_min_score": True}, TermsError, "standards.satisfied_min_score", "boolean",
        id="boolean-for-score",
    ),
    pytest.param({"standards.satisfied_min_score": 6}, TermsError, "standards.satisfied_min_score", "5", id="score-6"),
    pytest.param({"contract.timezone": "Mars/Olympus"}, TermsError, "contract.timezone", "Mars/Olympus", id="bad-timezone"),
    pytest.param({"contract.timezone": "Asia"}, TermsError, "contract.timezone", "unknown time zone", id="timezone-folder"),
    pytest.param(
        {"term.end": dt.date(2025, 12, 31)}, TermsError, "term.end", "before term.start", id="term-end-before-start",
    ),
    pytest.param({"term.start": "2026-02-30"}, TermsError, "term.start", "2026-02-30", id="impossible-date"),
    pytest.param({"fees.penalty_rounding": "up"}, TermsError, "fees.penalty_rounding", "ceil", id="unknown-rounding"),
    pytest.param({"na_counts_as": "ignore"}, TermsError, "na_counts_as", "missed", id="unknown-na-rule"),
    pytest.param(
        {"standards.consultation_response_minutes": {"phone": 1, "chat": 2}}, TermsError,
        "standards.consultation_response_minutes", "email", id="channel-limit-missing",
    ),
    pytest.param(
        {"standards.consultation_response_minutes": {"phone": 1, "chat": 2, "email": 240, "fax": 60}}, TermsError,
        "standards.consultation_response_minutes.fax", "fax", id="unknown-channel",
    ),
    pytest.param(
        {"standards.consultation_response_minutes": {"phone": 0, "chat": 2, "email": 240}}, TermsError,
        "standards.consultation_response_minutes.phone", "greater than 0", id="zero-channel-limit",
    ),
    pytest.param(
        {"standards.consultation_response_minutes": "five"}, TermsError, "standards.consultation_response_minutes",
        "five", id="string-limit",
    ),
    pytest.param(
        {"fees.monthly_base_fee": "200000.001"}, TermsError, "fees.monthly_base_fee", "2 decimal places",
        id="money-3-decimals",
    ),
    pytest.param(
        {"liability.confidentiality_penalty": "500,000.00"}, TermsError, "liability.confidentiality_penalty",
        "500,000.00", id="money-with-comma",
    ),
    pytest.param({"fees.monthly_base_fee": "-1.00"}, TermsError, "fees.monthly_base_fee", "greater than", id="negative-money"),
    pytest.param({"fees": 5}, TermsError, "fees", "dictionary", id="section-not-a-mapping"),
    pytest.param(
        {"calendar_overrides.holidays": [dt.date(2026, 10, 10)], "calendar_overrides.workdays": [dt.date(2026, 10, 10)]},
        TermsError, "calendar_overrides.workdays", "2026-10-10", id="date-both-holiday-and-workday",
    ),
    pytest.param(
        {"extra": 1, "fees.bonus_pct": DELETE}, TermsErrors, "extra", "unknown key", id="several-problems-at-once",
    ),
]


@pytest.mark.parametrize(("edits", "error", "key", "fragment"), BROKEN)
def test_broken_terms_name_file_and_key(tmp_path, edits, error, key, fragment):
    path = write_terms(tmp_path, edited(edits))
    with pytest.raises(error) as info:
        load_terms(path)
    message = str(info.value)
    assert type(info.value) is error
    assert str(path) in message
    # the exact dotted key, as its own field of "FILE: KEY: message"
    assert f"{path}: {key}: " in message
    assert fragment in message
    problems = info.value.errors if isinstance(info.value, TermsErrors) else [info.value]
    assert key in [p.key for p in problems]
    assert all(p.path == str(path) for p in problems)


def test_several_problems_are_all_reported(tmp_path):
    path = write_terms(tmp_path, edited({"extra": 1, "fees.bonus_pct": DELETE, "fees.payment_workdays": -1}))
    with pytest.raises(TermsErrors) as info:
        load_terms(path)
    assert sorted(e.key for e in info.value.errors) == ["extra", "fees.bonus_pct", "fees.payment_workdays"]


FILE_LEVEL = [
    pytest.param("contract: {id: x\nterm: 1\n", "<file>", "line 2", id="invalid-yaml-syntax"),
    pytest.param("fees:\n  bonus_pct: 1\n\tpenalty_step_pct: 2\n", "<file>", "line 3", id="tab-indentation"),
    pytest.param("- contract\n- term\n", "<file>", "mapping", id="not-a-mapping"),
    pytest.param("", "<file>", "mapping", id="empty-file"),
    pytest.param("fees:\n  bonus_pct: 1\n  bonus_pct: 2\n", "fees.bonus_pct", "line 3", id="duplicate-key"),
    pytest.param(None, "<file>", "cannot read", id="file-not-found"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), FILE_LEVEL)
def test_unreadable_terms_files(tmp_path, text, key, fragment):
    path = tmp_path / "contract-terms.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(TermsError) as info:
        load_terms(path)
    message = str(info.value)
    assert type(info.value) is TermsError
    assert message.startswith(f"{path}: {key}: ")
    assert fragment in message


def test_duplicate_key_in_the_sample_text_is_rejected(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "  bonus_pct: 5 ", "  bonus_pct: 5\n  bonus_pct: 50 ", 1
    )
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TermsError, match=r"fees\.bonus_pct: key written twice"):
        load_terms(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("contract: {id: 甲方}".encode("gb18030"))
    with pytest.raises(TermsError, match="not UTF-8"):
        load_terms(path)


# --- with_changes ---------------------------------------------------------------------------


def test_with_changes_replaces_dotted_keys(sample):
    changed = sample.with_changes({"fees.penalty_per_step_pct": 3})
    assert changed.fees.penalty_per_step_pct == Decimal(3)
    assert type(changed.fees.penalty_per_step_pct) is Decimal
    assert sample.fees.penalty_per_step_pct == Decimal(2)  # the original is untouched
    assert changed.fees.monthly_base_fee == sample.fees.monthly_base_fee
    assert changed.service_hours == sample.service_hours
    assert changed.standards == sample.standards

    nested = sample.with_changes(
        {"standards.consultation_response_minutes.phone": 2, "fees.monthly_base_fee": "180000.00"}
    )
    assert nested.standards.response_limit_minutes("phone") == Decimal(2)
    assert nested.total_contract_amount() == Decimal("2160000.00")


@pytest.mark.parametrize(
    ("changes", "key", "fragment"),
    [
        pytest.param({"fees.nope": 1}, "fees.nope", "no such key", id="unknown-leaf"),
        pytest.param({"nope.bonus_pct": 1}, "nope.bonus_pct", "no such key", id="unknown-section"),
        pytest.param({"fees.bonus_pct.x": 1}, "fees.bonus_pct.x", "no such key", id="below-a-leaf"),
        pytest.param({"fees.bonus_pct": 101}, "fees.bonus_pct", "100", id="out-of-range"),
    ],
)
def test_with_changes_rejects_bad_changes(sample, changes, key, fragment):
    with pytest.raises(TermsError) as info:
        sample.with_changes(changes)
    assert info.value.key == key
    assert f": {key}: " in str(info.value)
    assert fragment in str(info.value)


# --- hostile terms files (issue 12): one line naming the file and key, never a traceback -----

LAUGHS = "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")
)
ALIAS_BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + LAUGHS


def _sample_text(old: str, new: str) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


HOSTILE = [
    pytest.param(_sample_text("start: 2026-01-01", "start: 2026-02-30"), "term.start",
                 "day value is outside expected range (got '2026-02-30')", id="impossible-date"),
    pytest.param(_sample_text("end: 2026-12-31", "end: 2026-12-31 25:00:00"), "term.end",
                 "hour value is outside", id="impossible-hour"),
    pytest.param(_sample_text("  holidays: [2027-01-01]", "  holidays: [2027-02-29]"),
                 "calendar_overrides.holidays.0", "2027-02-29", id="impossible-override-date"),
    pytest.param(ALIAS_BOMB + SAMPLE.read_text(encoding="utf-8"), "a",
                 "anchors and aliases (&name, *name) are not allowed in a terms file (line 1, column 4)",
                 id="alias-bomb"),
    pytest.param(_sample_text("  bonus_pct: 5 ", "  bonus_pct: &five 5\n  penalty_cap_pct_x: *five "),
                 "fees.bonus_pct", "anchors and aliases", id="one-harmless-anchor"),
    pytest.param(_sample_text("  id: CS-2026-001", "  id: " + "[" * 10000 + "]" * 10000),
                 "contract.id.0.…", "nested more than 20 levels deep (line 5", id="nested-10000-flow"),
    pytest.param("x: " + "{a: " * 10000 + "1" + "}" * 10000 + "\n", "x.a.a.…", "nested more than 20",
                 id="nested-10000-mappings"),
    pytest.param(_sample_text("  id: CS-2026-001", '  id: "CS-2026\\n001"'), "contract.id",
                 "control character U+000A at position 8", id="line-break-in-contract-id"),
    pytest.param(_sample_text("  id: CS-2026-001", '  id: "CS-2026-001\\r"'), "contract.id",
                 "U+000D", id="carriage-return-in-contract-id"),
    pytest.param(_sample_text("  party_a: 华东星辰电子有限公司", '  party_a: "华东\u202e星辰"'), "contract.party_a",
                 "U+202E at position 3", id="bidi-override-in-party-a"),
    pytest.param(_sample_text("  party_b: 汇联客户服务外包有限公司", '  party_b: "汇联\u2066x\u2069"'), "contract.party_b",
                 "U+2066", id="bidi-isolate-in-party-b"),
    pytest.param(_sample_text("  party_b: 汇联客户服务外包有限公司", '  party_b: "汇联\\x85"'), "contract.party_b",
                 "U+0085", id="c1-control-in-party-b"),
    pytest.param(_sample_text("  party_b: 汇联客户服务外包有限公司", '  party_b: "汇联\\x1b[31m"'), "contract.party_b",
                 "U+001B", id="escape-sequence-in-party-b"),
    pytest.param(_sample_text("payment_workdays: 10", "payment_workdays: " + "1" * 5000), "fees.payment_workdays",
                 "exceeded maximum size", id="integer-of-5000-digits"),
    pytest.param(_sample_text('confidentiality_penalty: "500000.00"', "confidentiality_penalty: 1" + "0" * 30),
                 "liability.confidentiality_penalty", "less than", id="money-of-31-digits"),
    pytest.param(_sample_text("na_counts_as: met", 'na_counts_as: met\n"na\\ncounts": 1'), "na\\u000acounts",
                 "unknown key", id="line-break-in-an-unknown-key"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), HOSTILE)
def test_hostile_terms_give_one_line_naming_file_and_key(tmp_path, text, key, fragment):
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    # an alias bomb or deep nesting is refused before it is expanded (the time it takes is
    # measured by benchmarks/bench_hostile.py, not asserted here)
    with pytest.raises((TermsError, TermsErrors)) as info:
        load_terms(path)
    errors = info.value.errors if isinstance(info.value, TermsErrors) else [info.value]
    assert key in [e.key for e in errors], [str(e) for e in errors]
    err = next(e for e in errors if e.key == key)
    assert err.path == str(path)
    assert str(err).startswith(f"{path}: {key}: ")
    assert fragment in err.message, err.message
    for e in errors:  # one printable line each, however hostile the value
        assert str(e).isprintable(), repr(str(e))
        assert len(e.message) < 400


def test_quoted_texts_and_plain_unicode_in_text_fields_are_fine(tmp_path):
    path = tmp_path / "contract.yaml"
    path.write_text(_sample_text("  party_a: 华东星辰电子有限公司", '  party_a: "华东 <星辰> & \'电子\' $$x$$ =1+1"'),
                    encoding="utf-8")
    assert load_terms(path).contract.party_a == "华东 <星辰> & '电子' $$x$$ =1+1"  # escaping is the output's job


def test_zero_solution_workdays_is_accepted_and_negative_refused(tmp_path):
    """Issue 16: the spec refuses only negative day counts; N = 0 is the day of receipt."""
    path = tmp_path / "contract.yaml"
    path.write_text(_sample_text("complaint_solution_workdays: 3", "complaint_solution_workdays: 0"), encoding="utf-8")
    assert load_terms(path).standards.complaint_solution_workdays == 0
    path.write_text(_sample_text("complaint_solution_workdays: 3", "complaint_solution_workdays: -1"), encoding="utf-8")
    with pytest.raises((TermsError, TermsErrors)) as info:
        load_terms(path)
    errors = info.value.errors if isinstance(info.value, TermsErrors) else [info.value]
    assert [e.key for e in errors] == ["standards.complaint_solution_workdays"]
    assert "greater than or equal to 0" in str(errors[0])
