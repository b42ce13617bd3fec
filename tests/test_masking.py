"""C20: personal data is masked before anything is shown (sla_lib.masking)."""

from __future__ import annotations

import random
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla_lib.masking import (
    find_personal_data,
    forget_names,
    known_names,
    mask_address,
    mask_email,
    mask_frame,
    mask_id,
    mask_name,
    mask_phone,
    mask_text,
    mask_value,
    personal_columns,
    remember_names,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(autouse=True)
def _no_known_names():
    """Every test starts and ends without process-wide known names."""
    forget_names()
    yield
    forget_names()


def masked(func, values):
    result = func(pd.Series(values))
    return [None if pd.isna(v) else v for v in result.tolist()]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张伟", "张*"),
        ("欧阳明", "欧**"),
        ("李 四", "李 *"),
        ("John Smith", "J*** S****"),
        ("Mary-Jane O'Neil", "M******** O*****"),
        ("张", "张"),
        ("", ""),
    ],
)
def test_mask_name(value, expected):
    assert masked(mask_name, [value]) == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        (" 13812345678 ", "138****5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 138-1234-5678", "+86 138-****-5678"),
        ("+8613812345678", "+86138****5678"),
        ("008613812345678", "0086138****5678"),
        ("021-62345678", "021-****5678"),
        ("0755-1234567", "0755-***4567"),
        ("(021) 6234 5678", "(021) **** 5678"),
        ("+86 21 6234 5678", "+86 21 **** 5678"),
        ("021-62345678 转 801", "021-****5678 转 801"),
        ("+1 415 555 2671", "+* *** *** 2671"),  # not a PRC number: all but the last 4 digits
        ("12345", "*****"),  # too short to keep any digit
        ("n/a", "*/*"),  # not a phone: no letter stays readable either
        ("138 1234 5603 (张伟)", "*** **** 5603 (**)"),
        ("call me: 13812345603", "**** **: *******5603"),
        ("张伟", "**"),
        ("", ""),
    ],
)
def test_mask_phone(value, expected):
    assert masked(mask_phone, [value]) == [expected]


def test_mask_phone_numbers_stored_as_numbers():
    assert masked(mask_phone, [13812345678, 13912345678]) == ["138****5678", "139****5678"]
    assert masked(mask_phone, [13812345678.0, np.nan]) == ["138****5678", None]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zhang.wei@example.com", "z***@example.com"),
        ("A@b.cn", "A***@b.cn"),
        ("wei_01+support@mail.example.com.cn", "w***@mail.example.com.cn"),
        ("not an email", "n***"),
        ("", ""),
    ],
)
def test_mask_email(value, expected):
    assert masked(mask_email, [value]) == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("上海市徐汇区漕溪北路88号", "上海市徐汇区****"),
        ("广东省深圳市南山区科技园路1号", "广东省深圳市南山区****"),
        ("内蒙古自治区呼和浩特市新城区新华大街5号", "内蒙古自治区呼和浩特市新城区****"),
        ("12 Baker Street, London", "****"),
        ("", ""),
    ],
)
def test_mask_address(value, expected):
    assert masked(mask_address, [value]) == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C000123", "C00***23"),
        ("CUST-2026-000001", "CUS***01"),
        ("C0012", "C***"),
    ],
)
def test_mask_id(value, expected):
    assert masked(mask_id, [value]) == [expected]


def test_mask_id_is_stable():
    assert masked(mask_id, ["C000123", "C000124", "C000123"]) == ["C00***23", "C00***24", "C00***23"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("客户电话13812345678请回电", "客户电话138****5678请回电"),
        ("邮箱zhang.wei@example.com, 座机021-62345678。", "邮箱z***@example.com, 座机021-****5678。"),
        ("call +86 138-1234-5678 or 0755-1234567 now", "call +86 138-****-5678 or 0755-***4567 now"),
        ("write to a.b@x.com.", "write to a***@x.com."),
        ("订单号202613812345678", "订单号202613812345678"),  # part of a longer number: not a phone
        ("屏幕有坏点, 已换货", "屏幕有坏点, 已换货"),
    ],
)
def test_mask_text(value, expected):
    assert masked(mask_text, [value]) == [expected]


@pytest.mark.parametrize("func", [mask_name, mask_phone, mask_email, mask_address, mask_text, mask_id])
def test_na_stays_na(func):
    source = pd.Series(["x1234567", None, np.nan, pd.NA], dtype=object)
    result = func(source)
    assert result.isna().tolist() == [False, True, True, True]
    assert list(result.index) == list(source.index)


def test_masks_keep_the_index():
    source = pd.Series(["张伟", "欧阳明"], index=[10, 20])
    assert mask_name(source).index.tolist() == [10, 20]


# --- whole tables ----------------------------------------------------------------------------


@pytest.fixture
def complaints() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "complaint_id": ["Q1", "Q2", "Q3"],
            "customer_id": ["C000123", "C000124", "C000125"],
            "客户姓名": ["张伟", "欧阳明", None],
            "联系电话": ["13812345678", "021-62345678", "+86 139-1234-5678"],
            "E-mail": ["zhang.wei@example.com", None, "li@example.cn"],
            "地址": ["上海市徐汇区漕溪北路88号", None, "北京市朝阳区建国路1号"],
            "contact": ["a.b@x.com", "13912345678", "13712345678"],  # found by its values
            "description": ["请回电13812345678", "屏幕有坏点", "邮件 li@example.cn"],
            "channel": pd.Categorical(["phone", "email", "chat"]),
            "product_name": ["X1", "X2", "X3"],
            "satisfaction": [4, 5, 2],
            "received_at": pd.to_datetime(["2026-10-01 09:00", "2026-10-02 10:00", "2026-10-03 11:00"]),
        }
    )


def test_personal_columns_by_name_and_by_values(complaints):
    assert personal_columns(complaints) == {
        "客户姓名": "name",
        "联系电话": "phone",
        "E-mail": "email",
        "地址": "address",
        "contact": "phone",
    }


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("name", "name"),
        ("customer_name", "name"),
        ("Customer Name", "name"),
        ("姓名", "name"),
        ("客户姓名", "name"),
        ("phone", "phone"),
        ("mobile", "phone"),
        ("tel", "phone"),
        ("phone_number", "phone"),
        ("电话", "phone"),
        ("手机", "phone"),
        ("联系电话", "phone"),
        ("email", "email"),
        ("e-mail", "email"),
        ("邮箱", "email"),
        ("电子邮件", "email"),
        ("address", "address"),
        ("customer_address", "address"),
        ("地址", "address"),
        ("product_name", None),
        ("agent_id", None),
        ("email_sent_at", None),
        ("channel", None),
    ],
)
def test_personal_column_names(column, kind):
    frame = pd.DataFrame({column: ["abc", "def"]})
    assert personal_columns(frame).get(column) == kind


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["13812345678", "13912345678", "", None, "无"], "phone"),
        (["a@x.com", "b@y.cn", "none"], "email"),
        ([13812345678, 13912345678], "phone"),
        (["13812345678", "abc", "def"], None),  # a minority does not make the column personal
        (["phone", "email", "chat"], None),
        ([None, ""], None),
    ],
)
def test_personal_column_values(values, kind):
    frame = pd.DataFrame({"misc": values})
    assert personal_columns(frame).get("misc") == kind


def test_mask_frame(complaints):
    out = mask_frame(complaints, id_columns=["customer_id"])
    assert out is not complaints
    assert out["客户姓名"].tolist()[:2] == ["张*", "欧**"] and pd.isna(out["客户姓名"].iloc[2])
    assert out["联系电话"].tolist() == ["138****5678", "021-****5678", "+86 139-****-5678"]
    assert out["E-mail"].tolist()[0] == "z***@example.com" and pd.isna(out["E-mail"].iloc[1])
    assert out["E-mail"].tolist()[2] == "l***@example.cn"
    assert out["地址"].tolist()[0] == "上海市徐汇区****" and out["地址"].tolist()[2] == "北京市朝阳区****"
    assert out["contact"].tolist() == ["a***@x.com", "139****5678", "137****5678"]
    assert out["description"].tolist() == ["请回电138****5678", "屏幕有坏点", "邮件 l***@example.cn"]
    assert out["customer_id"].tolist() == ["C00***23", "C00***24", "C00***25"]
    # the rest is untouched, dtypes included
    for column in ["complaint_id", "channel", "product_name", "satisfaction", "received_at"]:
        pd.testing.assert_series_equal(out[column], complaints[column])
    # the input is not modified
    assert complaints["客户姓名"].iloc[0] == "张伟"


def test_mask_frame_masks_personal_data_in_record_ids_and_keeps_the_rest(complaints):
    frame = complaints.assign(complaint_id=["Q13812345678", "Q2", "Q-张伟-1"])
    out = mask_frame(frame)
    # an id holding a phone or a name of the table does not show it; the others stay (C21)
    assert out["complaint_id"].tolist() == ["Q138****5678", "Q2", "Q-张*-1"]
    assert out["customer_id"].tolist() == ["C000123", "C000124", "C000125"]


def test_mask_frame_output_is_clean(complaints):
    names = complaints["客户姓名"].dropna().tolist()
    assert find_personal_data(complaints.to_string(), names)  # the raw table is not clean
    rendered = mask_frame(complaints).to_string() + mask_frame(complaints).to_html()
    assert find_personal_data(rendered, names) == []


# --- scanning rendered text -------------------------------------------------------------------


def test_find_personal_data():
    text = (
        "<td>张伟</td><td>138****5678</td><td>13812345678</td> z***@example.com "
        "zhang.wei@example.com 021-62345678 021-****5678 John Smith Johnny Smithers 欧** "
        "2026-10-01 20261001123456 +86 139-1234-5678 13812345678"
    )
    assert find_personal_data(text, names=["张伟", "John Smith", "欧阳明", None, "A"]) == [
        "张伟",
        "13812345678",
        "zhang.wei@example.com",
        "021-62345678",
        "John Smith",
        "+86 139-1234-5678",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "张* 欧** J*** S**** 138****5678 +86 138-****-5678 021-****5678 z***@example.com",
        '{"base": "200000.00", "payment_due": "2026-11-13", "rate_pct": "96.3333", "late_days": 13}',
        "C00***23 | 2026-10 | 1734 / 1800",
    ],
)
def test_find_personal_data_clean_text(text):
    assert find_personal_data(text, names=["张伟", "欧阳明", "John Smith"]) == []


# --- free text: every form, masked and found -----------------------------------------------

NAMES = ["张伟", "欧阳明", "John Smith", "Lily Chen", "Anna"]

# (text, masked text, what find_personal_data reports in the text)
FREE_TEXT = [
    # mobiles, every form the phone column accepts, inside text
    ("电话13812345603。", "电话138****5603。", ["13812345603"]),
    ("call 138 1234 5603 now", "call 138 **** 5603 now", ["138 1234 5603"]),
    ("tel: 138-1234-5603", "tel: 138-****-5603", ["138-1234-5603"]),
    ("tel +86 138 1234 5603", "tel +86 138 **** 5603", ["+86 138 1234 5603"]),
    ("tel +86 138-1234-5603", "tel +86 138-****-5603", ["+86 138-1234-5603"]),
    ("手机(+86)13812345603", "手机(+86)138****5603", ["(+86)13812345603"]),
    ("手机（+86）138 1234 5603", "手机（+86）138 **** 5603", ["（+86）138 1234 5603"]),
    ("0086 13812345603", "0086 138****5603", ["0086 13812345603"]),
    ("008613812345603", "0086138****5603", ["008613812345603"]),
    ("+8613812345603", "+86138****5603", ["+8613812345603"]),
    ("8613812345603", "86138****5603", ["8613812345603"]),
    ("手机１３８１２３４５６０３", "手机１３８****５６０３", ["１３８１２３４５６０３"]),
    ("手机１３８－１２３４－５６０３", "手机１３８－****－５６０３", ["１３８－１２３４－５６０３"]),
    ("**13812345603**", "**138****5603**", ["13812345603"]),  # Markdown bold around it
    # landlines with an area code, extensions kept
    ("座机021-62345678", "座机021-****5678", ["021-62345678"]),
    ("座机(021) 6234 5678", "座机(021) **** 5678", ["(021) 6234 5678"]),
    ("座机（021）62345678", "座机（021）****5678", ["（021）62345678"]),
    ("座机+86 21 6234 5678", "座机+86 21 **** 5678", ["+86 21 6234 5678"]),
    ("021-62345678转123", "021-****5678转123", ["021-62345678"]),
    ("021-62345678 ext 12", "021-****5678 ext 12", ["021-62345678"]),
    ("0755-1234567", "0755-***4567", ["0755-1234567"]),
    ("(0755) 1234 567", "(0755) **** 567", ["(0755) 1234 567"]),
    ("021 62345678", "021 ****5678", ["021 62345678"]),
    ("０２１－６２３４５６７８", "０２１－****５６７８", ["０２１－６２３４５６７８"]),
    # e-mail addresses, internationalized ones too
    ("写信给zhang.wei@example.com请回复", "写信给z***@example.com请回复", ["zhang.wei@example.com"]),
    ("联系 张伟@例子.中国", "联系 张***@例子.中国", ["张伟", "张伟@例子.中国"]),
    ("to josé@exämple.com.", "to j***@exämple.com.", ["josé@exämple.com"]),
    ("to user@xn--fsqu00a.xn--fiqs8s", "to u***@xn--fsqu00a.xn--fiqs8s", ["user@xn--fsqu00a.xn--fiqs8s"]),
    ("<lily.wang@example.org>", "<l***@example.org>", ["lily.wang@example.org"]),
    ("lily.wang＠example.org", "l***＠example.org", ["lily.wang＠example.org"]),
    ("lily.wang [at] example.org", "l*** [at] example.org", ["lily.wang [at] example.org"]),
    ("13812345603@qq.com", "1***@qq.com", ["13812345603", "13812345603@qq.com"]),
    # mailto, with the usual obfuscations of '@'
    ("mailto:lily.wang@example.org", "mailto:l***@example.org", ["mailto:lily.wang", "lily.wang@example.org"]),
    ("mailto:lily.wang%40example.org", "mailto:l***%40example.org", ["mailto:lily.wang", "lily.wang%40example.org"]),
    ("MAILTO:lily.wang at example dot org", "MAILTO:l*** at example dot org", ["MAILTO:lily.wang"]),
    ('<a href="mailto:wei@example.org">x</a>', '<a href="mailto:w***@example.org">x</a>', ["mailto:wei", "wei@example.org"]),
    # names of the data set: Chinese anywhere, Latin-script ones as whole words in any case
    ("客户张伟投诉", "客户张*投诉", ["张伟"]),
    ("欧阳明明天来", "欧**明天来", ["欧阳明"]),
    ("from JOHN  SMITH and john smith", "from J***  S**** and j*** s****", ["JOHN  SMITH", "john smith"]),
    ("Johnny Smithers, Annabel, Anna.", "Johnny Smithers, Annabel, A***.", ["Anna"]),
    ("138 1234 5603 (张伟)", "138 **** 5603 (张*)", ["138 1234 5603", "张伟"]),
]


@pytest.mark.parametrize(("text", "expected", "found"), FREE_TEXT)
def test_mask_text_every_form(text, expected, found):
    assert masked(lambda s: mask_text(s, NAMES), [text]) == [expected]
    assert mask_value(text, NAMES) == expected
    assert find_personal_data(text, NAMES) == found
    assert find_personal_data(expected, NAMES) == []


# ordinary report and data text: nothing masked, nothing found
ORDINARY = [
    "2026-10-08 09:00",
    "2026-10-08T09:00:00+08:00",
    "211,200.00 / 1,380,000.00 / 200000.00",
    "rate 92.8369 % of 1734 / 1800",
    "ZX-202601-000001 TS-202601-0001 C003436 FK-202601-1 HF-202601-0001 SM-202601-01 FP-202601-1",
    "订单号202613812345678",  # 11 digits inside a longer number: not a phone
    "20261001123456 0.0000 13:45 12345",
    "星辰 Watch S3 智能手表, 物流配送, Annabel's plan, @media screen",
    '{"base": "200000.00", "payment_due": "2026-11-13", "rate_pct": "96.3333", "late_days": 13}',
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text):
    assert mask_value(text, NAMES) == text
    assert find_personal_data(text, NAMES) == []


def test_masked_output_is_not_reported():
    text = "138****5603 138 **** 5603 +86 138-****-5603 021-****5678 z***@example.com 张*** 张* 欧** J*** S**** mailto:l***"
    assert find_personal_data(text, NAMES) == []


def test_mask_value_missing_and_not_text():
    assert mask_value(None) is None
    assert np.isnan(mask_value(float("nan")))
    assert mask_value(13812345603) == "138****5603"
    assert mask_value("") == ""


def test_mask_text_missing_values_index_and_repeats():
    source = pd.Series(["张伟来电", None, "张伟来电", np.nan, "无"], index=[5, 6, 7, 8, 9], dtype=object)
    out = mask_text(source, ["张伟"])
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert [None if pd.isna(v) else v for v in out] == ["张*来电", None, "张*来电", None, "无"]
    categories = pd.Series(pd.Categorical(["call 13812345603", "x", "call 13812345603"]))
    assert mask_text(categories).tolist() == ["call 138****5603", "x", "call 138****5603"]


# --- names -------------------------------------------------------------------------------------


def test_names_longest_first_and_short_or_letterless_names_ignored():
    names = ["张伟", "张伟明", "王", "A", "12", None, "  Lily   Chen "]
    assert mask_value("张伟明和张伟, 王先生, A 12, lily chen", names) == "张**和张*, 王先生, A 12, l*** c***"


def test_known_names():
    assert known_names() == ()
    assert mask_value("张伟来电") == "张伟来电"
    remember_names(["张伟", "John Smith", "x", None])
    assert known_names() == ("John Smith", "张伟")
    assert mask_value("张伟来电, john smith") == "张*来电, j*** s****"
    assert masked(mask_text, ["张伟来电"]) == ["张*来电"]
    assert find_personal_data("张伟来电", None) == ["张伟"]
    assert find_personal_data("张伟来电") == []  # the scan checks the names it is given
    remember_names(["欧阳明"])  # a new name: compiled again
    assert mask_value("欧阳明, 张伟") == "欧**, 张*"
    assert mask_value("欧阳明, 张伟", names=["张伟"]) == "欧阳明, 张*"  # given names replace the known ones
    forget_names()
    assert known_names() == () and mask_value("张伟") == "张伟"


def test_twenty_thousand_names():
    """20,000 known names mask like a few (the speed is benchmarks/bench_hostile.py's)."""
    rng = random.Random(12)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲芬燕"
    names = {rng.choice(surnames) + "".join(rng.choices(given, k=rng.randint(1, 3))) for _ in range(30_000)}
    names = sorted(names)[:19_000] + [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 7))).title() + " " + "".join(rng.choices(string.ascii_lowercase, k=5)).title()
        for _ in range(1_000)
    ]
    remember_names(names)
    text = ("客户反映屏幕有坏点，联系电话 138 1234 5603，邮箱 lily@example.org，已安排上门检修。"
            f"The customer {names[-1]} called about the Watch S3 strap; 物流配送延迟三天，{names[0]}请尽快处理。") * 2
    text = text[:200]
    result = mask_value(text)
    assert names[0] not in result and "5603" in result and "1234" not in result
    assert find_personal_data(result, None) == []


# --- mask_id and mask_frame with personal data -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C-张伟-13812345678", "C-****78"),
        ("张伟13812345678", "张*1***78"),
        ("lily@example.org", "l*******"),
        ("C13812345678", "C13***78"),  # ordinary characters, but a phone inside
        ("C-john smith-1", "C-****-1"),
        ("张伟", "张***"),
        ("C003436", "C00***36"),  # ordinary ids keep today's form
        ("CUST-2026-000001", "CUS***01"),
    ],
)
def test_mask_id_with_personal_data(value, expected):
    out = masked(lambda s: mask_id(s, names=["张伟", "John Smith"]), [value])
    assert out == [expected]
    assert find_personal_data(out[0], ["张伟", "John Smith"]) == []


def test_mask_id_uses_known_names():
    remember_names(["Lily Chen"])
    assert masked(mask_id, ["X-Lily Chen-01"]) == ["X-****01"]


def test_mask_frame_names_and_id_columns():
    frame = pd.DataFrame(
        {
            "complaint_id": ["TS-202601-0001", "TS-张伟-0002", "TS-13812345603"],
            "customer_id": ["C000001", "C000002", "C-张伟"],
            "customer_name": ["张伟", "李娜", "Lily Chen"],
            "category": ["李娜说屏幕坏了", "mailto:lily@example.org", "LILY CHEN 来电"],
            "工单编号": ["G1", "G-Lily Chen", "G3"],
        }
    )
    out = mask_frame(frame, names=["王秀英"])
    assert out["complaint_id"].tolist() == ["TS-202601-0001", "TS-张*-0002", "TS-138****5603"]
    assert out["customer_id"].tolist() == ["C000001", "C000002", "C-张*"]
    assert out["customer_name"].tolist() == ["张*", "李*", "L*** C***"]
    assert out["category"].tolist() == ["李*说屏幕坏了", "mailto:l***@example.org", "L*** C*** 来电"]
    assert out["工单编号"].tolist() == ["G1", "G-L*** C***", "G3"]
    assert known_names() == ()  # names given: nothing remembered
    out = mask_frame(frame, id_columns=["customer_id"])  # names=None: the frame's names become known
    assert set(known_names()) == {"张伟", "李娜", "Lily Chen"}
    assert out["customer_id"].tolist() == ["C00***01", "C00***02", "C***"]
    rendered = out.to_string() + out.to_html()
    assert find_personal_data(rendered, known_names()) == []


def test_sample_ids_are_unchanged():
    """C21: the record ids of the sample data stay traceable, even with every customer
    name of the sample known."""
    tables = {path.stem: pd.read_csv(path, dtype=str) for path in sorted(SAMPLES.glob("*.csv"))}
    names = sorted({n for t in tables.values() if "customer_name" in t for n in t["customer_name"].dropna()})
    assert len(names) > 1000
    remember_names(names)
    checked = 0
    for name, table in tables.items():
        ids = table[[c for c in table.columns if c.endswith("_id")]]
        out = mask_frame(ids)
        pd.testing.assert_frame_equal(out, ids, obj=name)
        checked += ids.size
    assert checked > 50_000


# --- the property: whatever is planted is found, and not found once masked ---------------------

_SURNAMES, _GIVEN = "张王李欧阳", "伟娜明秀英"
_CJK_FILLER = "的是了在有和屏幕坏点物流配送请回电"
_LATIN_NAME_LETTERS, _LATIN_FILLER = "abcdefghijklm", "nopqrstuvwxyz"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def _mobile(draw):
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    sep = draw(st.sampled_from(["", " ", "-", "－"]))
    cc = draw(st.sampled_from(["", "+86 ", "+86", "0086", "86", "(+86)", "（+86）", "+86-"]))
    form = cc + sep.join([digits[:3], digits[3:7], digits[7:]])
    return form.translate(_FULL_WIDTH) if draw(st.booleans()) else form


@st.composite
def _landline(draw):
    area = draw(st.sampled_from(["021", "010", "0755", "0571"]))
    number = draw(st.sampled_from("2345678")) + draw(st.text("0123456789", min_size=6, max_size=7))
    form = draw(st.sampled_from([
        f"{area}-{number}", f"{area} {number}", f"({area}) {number[:4]} {number[4:]}",
        f"+86 {area[1:]} {number[:4]} {number[4:]}", f"（{area}）{number}",
    ]))
    return form + draw(st.sampled_from(["", "转123", " ext 12"]))


_latin_word = st.text(_LATIN_NAME_LETTERS, min_size=2, max_size=6).map(str.title)
_latin_name = st.builds(lambda a, b: f"{a} {b}", _latin_word, _latin_word)
_cjk_name = st.builds(lambda s, g: s + g, st.sampled_from(_SURNAMES), st.text(_GIVEN, min_size=1, max_size=2))


@st.composite
def _email(draw):
    local = draw(st.one_of(
        st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8),
        st.builds(lambda a, b: a + "." + b, st.text("abcxyz", min_size=1, max_size=4), st.text("xyz09", min_size=1, max_size=4)),
        st.sampled_from(["josé", "ünal", "张伟", "李娜"]),
    ))
    domain = draw(st.sampled_from(["example.com", "例子.中国", "exämple.com", "xn--fsqu00a.xn--fiqs8s", "mail.example.cn"]))
    at = draw(st.sampled_from(["@", "＠", "%40", " [at] "]))
    mailto = draw(st.sampled_from(["", "mailto:", "MAILTO:"])) if at in ("@", "%40") else ""
    return f"{mailto}{local}{at}{domain}"


_filler = st.text(_CJK_FILLER + _LATIN_FILLER + " ,.;:!?()/", max_size=12)
_separator = st.sampled_from([" ", "，", "：", " (", ") ", "\n", "；", "、"])


@st.composite
def _planted(draw):
    names = draw(st.lists(st.one_of(_cjk_name, _latin_name), min_size=1, max_size=4, unique=True))
    data = draw(st.lists(
        st.one_of(_mobile(), _landline(), _email(), st.sampled_from(names).map(lambda n: draw(st.sampled_from([n, n.upper(), n.lower()])))),
        min_size=1, max_size=5,
    ))
    pieces = [draw(_filler)]
    for datum in data:
        pieces += [draw(_separator), datum, draw(_separator), draw(_filler)]
    return "".join(pieces), data, names


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_planted())
def test_planted_personal_data_is_found_and_masked(planted):
    text, data, names = planted
    found = find_personal_data(text, names)
    for datum in data:
        assert any(datum in f or f in datum for f in found), (datum, found)
    result = mask_value(text, names)
    assert find_personal_data(result, names) == [], result
    assert masked(lambda s: mask_text(s, names), [text]) == [result]
    for datum in data:
        assert datum not in result


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), _planted())
def test_masked_text_is_clean_whatever_surrounds_it(noise, planted):
    text, _, names = planted
    text = noise + text + noise
    assert find_personal_data(mask_value(text, names), names) == []


def test_digits_inside_a_hash_are_no_phone():
    """manifest.json's sha256 digests hold digit runs that look like landlines ('…c0331974069b…'):
    inside a long hexadecimal token they are neither masked nor reported; glued to a short
    id they still are."""
    digest = "9f2c0331974069b8e1d4a7c3f00d2b1e8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"
    assert find_personal_data(f'"sha256": "{digest}"') == [] and mask_value(digest) == digest
    assert mask_value("Q13812345678") == "Q138****5678" and find_personal_data("电话13812345678") == ["13812345678"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_many_known_names_are_pruned_to_those_in_the_text_and_mask_the_same(data):
    """With more known names than a pattern of them all compiles quickly, only those that can
    occur in the text are compiled: the masked text is the same as with all of them."""
    import sla_lib.masking as M

    cjk = ["张伟", "欧阳明", "李 四", "王芳芳", "赵六", "陈 大 文", "刘星辰"]
    latin = ["Anna", "JOHN SMITH", "Lily Wang"]
    pieces = cjk + latin + ["李\t四", "陈  大\n文", "欧阳", "张", "客户", "投诉", "13812345603", "a@b.cn", " ", "\u3000", "x"]
    text = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=8)))
    others = [f"{a}{b}{c}" for a in "甲乙丙丁" for b in "子丑寅卯辰" for c in "金木水火土"]  # names never in the text
    forget_names()
    old = M._PRUNE_ABOVE
    try:
        remember_names(cjk + latin + others)
        M._PRUNE_ABOVE = 10**9
        every = (mask_value(text), masked(mask_text, [text]))
        M._PRUNE_ABOVE = 0
        assert (mask_value(text), masked(mask_text, [text])) == every
        assert M._known_names_within([text]) >= {n for n in ("张伟", "欧阳明", "赵六") if n in text}
    finally:
        M._PRUNE_ABOVE = old
        forget_names()
