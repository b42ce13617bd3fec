"""C20: personal data is masked before anything is shown (sla_lib.masking)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sla_lib.masking import (
    find_personal_data,
    mask_address,
    mask_email,
    mask_frame,
    mask_id,
    mask_name,
    mask_phone,
    mask_text,
    personal_columns,
)


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
