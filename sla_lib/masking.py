"""Masking of customer personal data (clause C20, 六 保密; spec section 6).

Policy: a report, table or chart produced by the suite never shows a customer's personal
data unmasked. Personal data are customer names, phone numbers, e-mail addresses and
postal addresses, wherever they appear: in their own columns (found by column name or by
what the values look like, :func:`personal_columns`) or inside free text such as a
complaint description (:func:`mask_text`). Customer ids are pseudonyms, but the tables
that single customers out (top repeat complainers) show them through :func:`mask_id`.

What is kept is just enough to tell records apart and check them against the source:

=============  ==============================  ===================================
kind           input                           shown
=============  ==============================  ===================================
name           张伟 / 欧阳明 / John Smith        张* / 欧** / J*** S****
mobile         13812345678 / +86 138-1234-5678  138****5678 / +86 138-****-5678
landline       021-62345678 / 0755-1234567      021-****5678 / 0755-***4567
other phone    anything else                    every digit but the last 4 masked
e-mail         zhang.wei@example.com            z***@example.com
address        上海市徐汇区漕溪北路88号            上海市徐汇区**** (region only)
customer id    C000123                          C00***23
=============  ==============================  ===================================

Every function takes and returns a pandas Series, works with vectorized ``.str`` methods
(regular expressions, no per-row Python code) and keeps missing values missing. The
results use pandas' Python-backed string dtype so that the regular expressions (which use
look-arounds) behave the same whether or not pyarrow is installed.

:func:`find_personal_data` is the other side of the policy: it scans rendered report text
for anything that still looks like an unmasked mobile, landline, e-mail or known name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "find_personal_data",
    "mask_address",
    "mask_email",
    "mask_frame",
    "mask_id",
    "mask_name",
    "mask_phone",
    "mask_text",
    "personal_columns",
]

_STR = pd.StringDtype("python", na_value=np.nan)
_CJK = r"[\u3400-\u9fff]"

# --- patterns ---------------------------------------------------------------------------

_CC = r"(?:(?:\+|00)?86[ -]?)"  # PRC country code, optional
# A whole value that is a mobile: head (country code and the 3-digit network prefix),
# the 4 digits that get masked, the last 4.
_MOBILE_VALUE = rf"^(?P<head>{_CC}?1[3-9]\d[ -]?)(?P<mid>\d{{4}})(?P<tail>[ -]?\d{{4}})$"
# A whole value that is a landline: area code (0 + 2-3 digits, maybe in parentheses or after
# +86 without its 0), then a 7-8 digit number of which all but the last 4 are masked, and an
# optional extension.
_AREA = r"(?:\(0\d{2,3}\)|0\d{2,3}|\+?86[ -]?\(?0?\d{2,3}\)?)"
_LANDLINE_VALUE = (
    rf"^(?P<head>{_AREA}[ -]?)(?P<mid>\d{{3,4}})(?P<tail>[ -]?\d{{4}})"
    r"(?P<ext>(?:\s*(?:-|转|ext\.?|x)\s*\d{1,6})?)$"
)
_EMAIL_LOCAL = r"[A-Za-z0-9._%+\-]"
_EMAIL_DOMAIN = r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_EMAIL_VALUE = rf"^{_EMAIL_LOCAL}+@{_EMAIL_DOMAIN}$"

# The same shapes inside free text: not glued to other digits (or e-mail characters).
_MOBILE_IN_TEXT = rf"(?<![\d+])({_CC}?1[3-9]\d[ -]?)\d{{4}}([ -]?\d{{4}})(?!\d)"
_LANDLINE_IN_TEXT = r"(?<![\d+])(\(0\d{{2,3}}\)\s?|0\d{{2,3}}[ -]?)\d{{{n}}}([ -]?\d{{4}})(?!\d)"
_EMAIL_IN_TEXT = rf"(?<!{_EMAIL_LOCAL})({_EMAIL_LOCAL}){_EMAIL_LOCAL}*(@{_EMAIL_DOMAIN})"

# Chinese addresses: keep province / city / district when they can be read off the start.
_REGION = (
    r"^(?P<region>(?:[\u4e00-\u9fff]{1,7}?(?:省|自治区|特别行政区))?"
    r"(?:[\u4e00-\u9fff]{1,7}?(?:市|自治州|地区|盟))?"
    r"(?:[\u4e00-\u9fff]{1,7}?(?:区|县|旗|市))?)"
)

# Scanning rendered text (find_personal_data): only unmasked digits count.
_SCAN_MOBILE = re.compile(rf"(?<![\d+*]){_CC}?1[3-9]\d[ -]?\d{{4}}[ -]?\d{{4}}(?![\d*])")
_SCAN_LANDLINE = re.compile(r"(?<![\d+*])(?:\(0\d{2,3}\)\s?|0\d{2,3}[ -])\d{7,8}(?![\d*])")
_SCAN_EMAIL = re.compile(rf"(?<![{_EMAIL_LOCAL[1:-1]}*]){_EMAIL_LOCAL}+@{_EMAIL_DOMAIN}")


# --- helpers ----------------------------------------------------------------------------


def _text(series: pd.Series) -> pd.Series:
    """The series as Python-backed strings; NA stays NA. Integral floats (phones that a
    spreadsheet stored as numbers) lose their '.0'."""
    if ptypes.is_float_dtype(series.dtype):
        values = series.dropna()
        if len(values) and bool((values == np.floor(values)).all()):
            series = series.astype("Int64")
    return series.astype(_STR)


def _assemble(parts: pd.DataFrame, names: Iterable[str]) -> pd.Series:
    out = None
    for name in names:
        col = parts[name].fillna("").astype(_STR)
        out = col if out is None else out + col
    return out


# --- the masks --------------------------------------------------------------------------


def mask_name(series: pd.Series) -> pd.Series:
    """Keep the first character of each space-separated part of a Latin-script name and
    only the first character of a Chinese one (where a space is just layout), '*' for every
    other character: '张伟' -> '张*', '欧阳明' -> '欧**', '李 四' -> '李 *',
    'John Smith' -> 'J*** S****'. A one-character name has nothing left to mask."""
    text = _text(series)
    per_part = text.str.replace(r"(?<=\S)\S", "*", regex=True)
    first_only = text.str.replace(r"(?<=\S)(\s*)\S", r"\g<1>*", regex=True)
    chinese = text.str.contains(_CJK, regex=True).fillna(False).astype(bool)
    return per_part.where(~chinese, first_only)


def mask_phone(series: pd.Series) -> pd.Series:
    """Mobiles keep the network prefix and the last 4 digits ('13812345678' ->
    '138****5678', '+86 138-1234-5678' -> '+86 138-****-5678'); landlines keep the area
    code and the last 4 digits ('021-62345678' -> '021-****5678'), separators and
    extension kept. Any other value: every digit except the last 4 is masked, and all
    of them when there are fewer than 7 (too short to be a phone number we can read)."""
    text = _text(series).str.strip()
    out = text
    for pattern in (_LANDLINE_VALUE, _MOBILE_VALUE):  # mobile last: it wins on overlap
        parts = text.str.extract(pattern)
        hit = parts["head"].notna()
        if hit.any():
            parts["mid"] = parts["mid"].astype(_STR).str.replace(r"\d", "*", regex=True)
            names = ["head", "mid", "tail"] + (["ext"] if "ext" in parts else [])
            out = out.where(~hit, _assemble(parts, names))
    recognised = text.str.fullmatch(_MOBILE_VALUE) | text.str.fullmatch(_LANDLINE_VALUE)
    other = text.notna() & ~recognised.fillna(False).astype(bool)
    if other.any():
        short = text.str.count(r"\d") < 7
        keep_last4 = text.str.replace(r"\d(?=(?:\D*\d){4})", "*", regex=True)
        all_digits = text.str.replace(r"\d", "*", regex=True)
        out = out.where(~other, keep_last4.where(~short.fillna(False).astype(bool), all_digits))
    return out


def mask_email(series: pd.Series) -> pd.Series:
    """Keep the first character of the local part and the domain:
    'zhang.wei@example.com' -> 'z***@example.com'. A value that is not an e-mail address
    keeps only its first character ('x***')."""
    text = _text(series).str.strip()
    is_email = text.str.fullmatch(_EMAIL_VALUE).fillna(False).astype(bool)
    masked = text.str.replace(rf"^(.){_EMAIL_LOCAL}*@", r"\g<1>***@", regex=True)
    other = text.str.replace(r"^(.).*$", r"\g<1>***", regex=True)
    return masked.where(is_email, other)


def mask_address(series: pd.Series) -> pd.Series:
    """Keep the administrative region a Chinese address starts with (province, city,
    district), mask the rest: '上海市徐汇区漕溪北路88号' -> '上海市徐汇区****'. An address
    without a recognisable region becomes '****'. Empty stays empty."""
    text = _text(series).str.strip()
    region = text.str.extract(_REGION)["region"].fillna("").astype(_STR)
    masked = region + "****"
    return masked.where(text.str.len() > 0, text)


def mask_text(series: pd.Series) -> pd.Series:
    """Free text (complaint descriptions, notes): every mobile, landline and e-mail
    address found inside is masked as above; the rest of the text is kept."""
    text = _text(series)
    text = text.str.replace(_EMAIL_IN_TEXT, r"\g<1>***\g<2>", regex=True)
    text = text.str.replace(_MOBILE_IN_TEXT, r"\g<1>****\g<2>", regex=True)
    for digits in (4, 3):  # 8-digit numbers first, then 7-digit ones
        text = text.str.replace(
            _LANDLINE_IN_TEXT.format(n=digits), rf"\g<1>{'*' * digits}\g<2>", regex=True
        )
    return text


def mask_id(series: pd.Series) -> pd.Series:
    """Customer ids in tables that single customers out: the first 3 and last 2 characters
    are kept ('C000123' -> 'C00***23'), so the same id always shows the same way; ids
    shorter than 7 characters keep only their first character ('C0012' -> 'C***')."""
    text = _text(series).str.strip()
    long_form = text.str.slice(0, 3) + "***" + text.str.slice(-2)
    short_form = text.str.slice(0, 1) + "***"
    return long_form.where(text.str.len() >= 7, short_form)


# --- whole tables -----------------------------------------------------------------------

_PREFIX = r"(?:customer_|contact_|client_|user_|home_|shipping_|billing_|客户|联系|收货|家庭)?"
_NAME_PATTERNS = {
    "name": rf"^{_PREFIX}(?:name|full_name|姓名|名字|名称|联系人)$",
    "phone": (
        rf"^{_PREFIX}(?:phone|mobile|mobile_phone|cellphone|cell_phone|tel|telephone|"
        r"电话|手机|手机号|电话号码)(?:_?(?:number|no|num|号码|\d))?$"
    ),
    "email": rf"^{_PREFIX}(?:email|e_mail|mail|邮箱|电子邮件|电子邮箱|邮件)(?:_?(?:address|addr|地址|\d))?$",
    "address": rf"^{_PREFIX}(?:address|addr|地址|住址)(?:_?\d)?$",
}
_ID_NAME = re.compile(r"(?:^|_)id$|编号$|单号$|^id_")


def _normalise(column) -> str:
    return re.sub(r"[\s\-]+", "_", str(column).strip().lower())


def _kind_by_name(column) -> str | None:
    name = _normalise(column)
    for kind, pattern in _NAME_PATTERNS.items():
        if re.fullmatch(pattern, name):
            return kind
    return None


def _kind_by_values(series: pd.Series) -> str | None:
    dtype = series.dtype
    if not (
        ptypes.is_string_dtype(dtype)
        or ptypes.is_object_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or ptypes.is_integer_dtype(dtype)
    ) or ptypes.is_bool_dtype(dtype):
        return None
    text = _text(series).str.strip()
    text = text[text.notna() & (text.str.len() > 0)]
    if text.empty:
        return None
    phones = int((text.str.fullmatch(_MOBILE_VALUE) | text.str.fullmatch(_LANDLINE_VALUE)).sum())
    emails = int(text.str.fullmatch(_EMAIL_VALUE).sum())
    if 2 * (phones + emails) <= len(text):  # "most" values: more than half
        return None
    return "phone" if phones >= emails else "email"


def personal_columns(df: pd.DataFrame) -> dict[str, str]:
    """The columns of ``df`` that carry personal data, as {column: kind}, kind one of
    'name', 'phone', 'email', 'address'. A column qualifies by its name (name /
    customer_name / 姓名 / 客户姓名, phone / mobile / tel / 电话 / 手机 / 联系电话, email /
    e-mail / 邮箱 / 电子邮件, address / 地址, with customer_/contact_/客户/联系 prefixes
    and _number/_no suffixes) or by its values: a text column whose non-empty values are
    mostly (more than half) mobiles, landlines or e-mail addresses."""
    found: dict[str, str] = {}
    for column in df.columns:
        kind = _kind_by_name(column) or _kind_by_values(df[column])
        if kind:
            found[column] = kind
    return found


def _mask_phone_column(series: pd.Series) -> pd.Series:
    # a phone column may hold the odd e-mail address (and a mixed "contact" column many)
    text = _text(series).str.strip()
    is_email = text.str.fullmatch(_EMAIL_VALUE).fillna(False).astype(bool)
    return mask_phone(series).where(~is_email, mask_email(series))


_MASKERS = {
    "name": mask_name,
    "phone": _mask_phone_column,
    "email": mask_email,
    "address": mask_address,
}


def mask_frame(df: pd.DataFrame, id_columns: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``df`` safe to show (C20): every personal column (:func:`personal_columns`)
    masked by the function for its kind, the columns named in ``id_columns`` through
    :func:`mask_id`, and every other text column through :func:`mask_text` (replaced only
    where that changes something, so untouched columns keep their dtype). Columns whose
    name marks them as record ids (``*_id``, 编号, 单号) are not treated as free text, so
    ids stay traceable (C21)."""
    out = df.copy()
    personal = personal_columns(df)
    ids = set(id_columns)
    for column in df.columns:
        series = df[column]
        if column in personal:
            out[column] = _MASKERS[personal[column]](series)
        elif column in ids:
            out[column] = mask_id(series)
        elif _ID_NAME.search(_normalise(column)):
            continue
        elif (
            ptypes.is_string_dtype(series.dtype)
            or ptypes.is_object_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            masked = mask_text(series)
            original = _text(series)
            if not bool((masked.fillna("\0") == original.fillna("\0")).all()):
                out[column] = masked
    return out


# --- scanning rendered output -----------------------------------------------------------


def find_personal_data(text: str, names: Iterable[str] = ()) -> list[str]:
    """Unmasked personal data in rendered text (HTML, Markdown, JSON of a report):
    mobiles, landlines written with an area code, e-mail addresses whose local part is not
    masked, and any of the known customer ``names`` (two characters or more) written out.
    Returns the distinct findings in order of first appearance; empty means clean."""
    hits: list[tuple[int, str]] = []
    for pattern in (_SCAN_MOBILE, _SCAN_LANDLINE, _SCAN_EMAIL):
        hits += [(m.start(), m.group(0)) for m in pattern.finditer(text)]
    known = sorted(
        {str(n).strip() for n in names if isinstance(n, str) and len(n.strip()) >= 2},
        key=len,
        reverse=True,
    )
    if known:
        alternatives = []
        for name in known:
            if name.isascii():  # Latin names only as whole words; Chinese has no spaces
                alternatives.append(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])")
            else:
                alternatives.append(re.escape(name))
        hits += [(m.start(), m.group(0)) for m in re.finditer("|".join(alternatives), text)]
    found: list[str] = []
    for _, hit in sorted(hits):
        if hit not in found:
            found.append(hit)
    return found
