"""Masking of customer personal data (clause C20, 六 保密; spec section 6).

Policy: a report, table or chart produced by the suite never shows a customer's personal
data unmasked. Personal data are customer names, phone numbers, e-mail addresses and
postal addresses, wherever they appear: in their own columns (found by column name or by
what the values look like, :func:`personal_columns`) or inside free text such as a
complaint description (:func:`mask_text`, :func:`mask_value` for one string). Customer ids
are pseudonyms, but the tables that single customers out (top repeat complainers) show them
through :func:`mask_id`.

What is kept is just enough to tell records apart and check them against the source:

==============  ==================================  ====================================
kind            input                               shown
==============  ==================================  ====================================
name            张伟 / 欧阳明 / John Smith            张* / 欧** / J*** S****
mobile          13812345678 / +86 138-1234-5678      138****5678 / +86 138-****-5678
landline        021-62345678 / 0755-1234567          021-****5678 / 0755-***4567
other phone     138 1234 5603 (张伟) / call 1381234  *** **** 5603 (**) / **** ***1234
                (phone column, not a phone)          (digits but the last 4, all letters)
e-mail          zhang.wei@example.com                z***@example.com
address         上海市徐汇区漕溪北路88号                上海市徐汇区**** (region only)
customer id     C000123                              C00***23
id with data    C-张伟-13812345678                   C-****78 (letters after the first too)
free text       see below                            the same masks, in place
==============  ==================================  ====================================

Free text (:func:`mask_text`, :func:`mask_value`, and every text column of
:func:`mask_frame`, record ids included) is masked in place:

==========================================================  ================================
in the text                                                 shown
==========================================================  ================================
13812345603 / 138 1234 5603 / 138-1234-5603                 138****5603 / 138 **** 5603 / ...
+86 138 1234 5603 / 008613812345603 / (+86)13812345603      +86 138 **** 5603 / ...
１３８１２３４５６０３ (full-width digits)                    １３８****５６０３
021-62345678 / (021) 6234 5678 / +86 21 6234 5678 转123     021-****5678 / (021) **** 5678 / ...
zhang.wei@example.com / josé@exämple.com / 张伟@例子.中国     z***@example.com / j***@... / 张***@...
user@xn--fsqu00a.xn--fiqs8s / a＠b.cn / a[at]b.cn           u***@xn--fsqu00a.xn--fiqs8s / ...
mailto:lily@example.org / mailto:lily%40example.org         mailto:l***@example.org / ...
mailto:lily at example dot org / mailto:lily                mailto:l*** at example dot org
known customer names: 张伟 (anywhere), John Smith (whole      张* / J*** S****
words, any case, any spacing)
==========================================================  ================================

A number glued to other digits (an order number holding 11 digits) is not a phone.
Customer names are the ``names`` given, or the process-wide known names
(:func:`remember_names`, called by the display layer right after a data set is loaded);
names shorter than 2 characters or without a letter are ignored. The names are compiled
once per distinct set into one trie-shaped alternation (longest name first at each
position, :func:`re.escape`-d), one for the names with CJK, one for the others. Measured
on the project's shared 2-core machine with 20,000 known names (19,000 Chinese, 1,000
Latin-script): compilation 0.3 s, once; then :func:`mask_value` on a 200-character
mixed Chinese/English text 136 µs in all (the name patterns ~20 µs of it, the phone and
e-mail patterns the rest), :func:`find_personal_data` on it 90 µs
(``tests/test_masking.py::test_twenty_thousand_names_stay_fast`` keeps it under 1 ms).

Every Series function takes and returns a pandas Series, works with vectorized ``.str``
methods (regular expressions, no per-row Python code; free text is masked once per
distinct value) and keeps missing values missing. The results use pandas' Python-backed
string dtype so that the regular expressions (which use look-arounds) behave the same
whether or not pyarrow is installed.

:func:`find_personal_data` is the other side of the policy: it scans rendered report text
with the same patterns for anything that still looks like an unmasked mobile, landline,
e-mail address, ``mailto:`` target or known name.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = [
    "find_personal_data",
    "forget_names",
    "known_names",
    "mask_address",
    "mask_email",
    "mask_frame",
    "mask_id",
    "mask_name",
    "mask_phone",
    "mask_text",
    "mask_value",
    "personal_columns",
    "remember_names",
]

_STR = pd.StringDtype("python", na_value=np.nan)
_CJK = r"[\u3400-\u9fff]"
# CJK ideographs, kana and hangul: scripts written without spaces between words
_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK_RANGES}]")

# --- patterns: whole values (phone column) ----------------------------------------------

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

# --- patterns: inside free text ---------------------------------------------------------
# The same shapes as the phone column accepts, plus what people type: full-width digits
# and signs (\d matches every Unicode decimal digit), a single space / no-break space /
# ideographic space / dash of any kind between the groups, the country code in
# parentheses. Not glued to other digits. Mask and scan (find_personal_data) use the very
# same compiled patterns, so whatever the scan finds, the mask masks.

_SEP = "[ \u00a0\u3000\\-\u2010-\u2014\uff0d]"
_PLUS = "[+\uff0b]"
_ZERO = "[0\uff10]"
_ONE = "[1\uff11]"
_NET = "[3-9\uff13-\uff19]"  # second digit of a mobile
_86 = "[8\uff18][6\uff16]"
_OPEN, _CLOSE = "[(\uff08]", "[)\uff09]"
_CC_TEXT = rf"(?:{_OPEN}\s?(?:{_PLUS}|00)?{_86}\s?{_CLOSE}|(?:{_PLUS}|{_ZERO}{_ZERO})?{_86})"

# A digit run inside a long hexadecimal token (a sha256 in manifest.json, a colour, a
# content hash) is no phone: not after 6 hex characters, not before 6. An id with a phone
# glued to it ('Q13812345678') is still masked.
_NOT_IN_HEX_BEFORE = r"(?<![0-9A-Fa-f]{6})"
_NOT_IN_HEX_AFTER = r"(?![0-9A-Fa-f]{6})"
_MOBILE_TEXT = re.compile(
    rf"{_NOT_IN_HEX_BEFORE}(?<!\d)(?P<head>(?:{_CC_TEXT}\s?{_SEP}?)?{_ONE}{_NET}\d{_SEP}?)(?P<mid>\d{{4}})"
    rf"(?P<tail>{_SEP}?\d{{4}})(?!\d){_NOT_IN_HEX_AFTER}"
)
_AREA_TEXT = (
    rf"(?:{_CC_TEXT}\s?{_SEP}?{_OPEN}?{_ZERO}?\d{{2,3}}?{_CLOSE}?"  # +86 21 / (+86)(21)
    rf"|{_OPEN}\s?{_ZERO}\d{{2,3}}\s?{_CLOSE}"  # (021)
    rf"|{_ZERO}\d{{2,3}}?)"  # 021 / 0755 (the shortest first: 8-digit numbers win)
)
# the number: 7 or 8 digits, maybe split once ('6234 5678', '1234 567'); all but the last
# group masked, the last 4 kept when the number is not split
_LANDLINE_TEXT = re.compile(
    rf"{_NOT_IN_HEX_BEFORE}(?<!\d)(?P<head>{_AREA_TEXT}\s?{_SEP}?)(?=\d{{4}}{_SEP}?\d{{3}}|\d{{3}}{_SEP}?\d{{4}})"
    rf"(?P<mid>\d{{3,4}}?)(?P<tail>{_SEP}?\d{{3,4}})(?!\d){_NOT_IN_HEX_AFTER}"
)

# e-mail: the local part is a run of Latin-script characters (letters of any non-CJK
# script, digits, . _ % + -) or a run of CJK characters, so that '邮箱zhang@x.cn' masks
# 'zhang' and '张伟@例子.中国' masks '张伟'; '@' may be full-width, '%40' or '[at]'.
_LATIN_CH = rf"(?:[^\W{_CJK_RANGES}]|[.%+\-])"
_LOCAL_TEXT = (
    rf"(?:(?<!{_LATIN_CH}){_LATIN_CH}+|(?<![{_CJK_RANGES}])[{_CJK_RANGES}]+)"
)
_AT_TEXT = r"(?:@|\uff20|%40|\s?[(\[{\uff08\u3010]\s?at\s?[)\]}\uff09\u3011]\s?)"
_DOT_TEXT = r"(?:\.|\uff0e|\s?[(\[{\uff08\u3010]\s?dot\s?[)\]}\uff09\u3011]\s?)"
_LABEL = r"[\w\-]+"
# com / xn--fiqs8s / 中国: one script, so that '...@example.com请回复' ends at 'com'
_TLD = (
    rf"(?:[^\W\d_{_CJK_RANGES}](?:[^\W{_CJK_RANGES}]|-)*[^\W_{_CJK_RANGES}]"
    rf"|[{_CJK_RANGES}]{{2,}})"
)
_DOMAIN_TEXT = rf"(?:{_LABEL}{_DOT_TEXT})+{_TLD}"
_EMAIL_TEXT = re.compile(
    rf"(?P<local>{_LOCAL_TEXT})(?P<at>{_AT_TEXT})(?P<domain>{_DOMAIN_TEXT})", re.IGNORECASE
)
# mailto: whatever names the mailbox, up to '@' (or '%40', ' at ', '?', a quote...), with
# or without a domain.
_MAILTO_CH = "[^\\s@\uff20*<>\"'(){}\\[\\],;:?&/\\\\]"
_MAILTO_TEXT = re.compile(
    rf"(?P<pre>mailto[:\uff1a]\s?)(?P<local>{_MAILTO_CH}+?)(?=%40|(?!{_MAILTO_CH}))",
    re.IGNORECASE,
)
# The scan: a mailto target of 2 characters or more (a masked one, 'l***', has 1).
_MAILTO_SCAN = re.compile(
    rf"mailto[:\uff1a]\s?{_MAILTO_CH}{{2,}}?(?=%40|(?!{_MAILTO_CH}))", re.IGNORECASE
)

# Chinese addresses: keep province / city / district when they can be read off the start.
_REGION = (
    r"^(?P<region>(?:[\u4e00-\u9fff]{1,7}?(?:省|自治区|特别行政区))?"
    r"(?:[\u4e00-\u9fff]{1,7}?(?:市|自治州|地区|盟))?"
    r"(?:[\u4e00-\u9fff]{1,7}?(?:区|县|旗|市))?)"
)

_LETTER = r"[^\W\d_]"  # a letter of any script, CJK included


def _mask_email_match(m: re.Match) -> str:
    return m["local"][0] + "***" + m["at"] + m["domain"]


def _mask_mailto_match(m: re.Match) -> str:
    return m["pre"] + m["local"][0] + "***"


def _mask_name_text(name: str) -> str:
    """mask_name for one string: a name with CJK keeps only its first character, a
    Latin-script one the first character of each space-separated part."""
    if _HAS_CJK.search(name):
        first = len(name) - len(name.lstrip())
        return name[: first + 1] + re.sub(r"\S", "*", name[first + 1 :])
    return re.sub(r"(?<=\S)\S", "*", name)


def _mask_name_match(m: re.Match) -> str:
    return _mask_name_text(m.group(0))


# --- customer names -----------------------------------------------------------------------

_LOCK = threading.Lock()
_KNOWN: set[str] = set()
_KNOWN_VERSION = 0
_KNOWN_REGEX: tuple[int, tuple[re.Pattern, ...]] = (-1, ())
_REGEX_CACHE: OrderedDict[frozenset, tuple[re.Pattern, ...]] = OrderedDict()
_CACHE_SIZE = 8
_TRIE_DEPTH = 64  # longer names go in a plain alternation of their own (before the trie)
_LATIN_LETTER = rf"[^\W\d_{_CJK_RANGES}]"


def _clean_name(name) -> str | None:
    """A name as it is matched: whitespace collapsed; None if it is not a usable name
    (not text, shorter than 2 characters, or without any letter)."""
    if not isinstance(name, str):
        return None
    name = " ".join(name.split())
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        return None
    return name


def remember_names(names: Iterable[str]) -> None:
    """Add ``names`` to the process-wide known customer names that :func:`mask_text`,
    :func:`mask_value`, :func:`mask_id` and :func:`mask_frame` mask when called without
    ``names``. The display layer calls it right after loading a data set."""
    global _KNOWN_VERSION
    cleaned = {c for c in map(_clean_name, names) if c}
    with _LOCK:
        if not cleaned <= _KNOWN:
            _KNOWN.update(cleaned)
            _KNOWN_VERSION += 1


def known_names() -> tuple[str, ...]:
    """The process-wide known customer names, sorted."""
    with _LOCK:
        return tuple(sorted(_KNOWN))


def forget_names() -> None:
    """Forget every known name (for tests)."""
    global _KNOWN_VERSION, _KNOWN_REGEX
    with _LOCK:
        _KNOWN.clear()
        _KNOWN_VERSION += 1
        _KNOWN_REGEX = (-1, ())


def _trie_regex(words: Iterable[str], escape: Callable[[str], str]) -> str:
    """One regular expression matching any of ``words``, shaped as a trie so that the
    engine never tries more than one branch per character: at each position the longest
    word wins, as in a longest-first alternation."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return (body if len(branches) > 1 else f"(?:{body})") + "?"
        return body

    return emit(root)


def _escape_name_char(ch: str) -> str:
    return r"\s+" if ch == " " else re.escape(ch)


def _compile_names(names: Iterable[str]) -> tuple[re.Pattern, ...]:
    """The names' patterns: one for the names with CJK, matched anywhere (case as
    written), one for the others, matched as whole words (not next to another
    Latin-script letter) in any case. Two patterns rather than one alternation: alone,
    the CJK one starts with plain characters, which lets the engine skip every position
    where no name can start (with 20,000 names: ~1 µs on 200 characters instead of ~85)."""
    cjk, latin = set(), set()
    for name in filter(None, map(_clean_name, names)):
        if _HAS_CJK.search(name):
            cjk.add(name)
        else:
            latin.add(name.lower())
    patterns = []
    for group, whole_words in ((cjk, False), (latin, True)):
        if not group:
            continue
        long = sorted((n for n in group if len(n) > _TRIE_DEPTH), key=len, reverse=True)
        alternatives = ["".join(map(_escape_name_char, n)) for n in long]
        alternatives.append(_trie_regex((n for n in group if len(n) <= _TRIE_DEPTH), _escape_name_char))
        body = "|".join(a for a in alternatives if a)
        if whole_words:
            patterns.append(re.compile(rf"(?<!{_LATIN_LETTER})(?:{body})(?!{_LATIN_LETTER})", re.IGNORECASE))
        else:
            patterns.append(re.compile(body))
    return tuple(patterns)


def _names_regex(names: Iterable[str] | None) -> tuple[re.Pattern, ...]:
    """The compiled patterns of ``names`` (None: the known names), from the cache."""
    global _KNOWN_REGEX
    if names is None:
        version, patterns = _KNOWN_REGEX
        if version == _KNOWN_VERSION:
            return patterns
        with _LOCK:
            version, snapshot = _KNOWN_VERSION, frozenset(_KNOWN)
        patterns = _compile_names(snapshot)
        _KNOWN_REGEX = (version, patterns)
        return patterns
    key = names if isinstance(names, frozenset) else frozenset(
        n for n in names if isinstance(n, str)
    )
    with _LOCK:
        if key in _REGEX_CACHE:
            _REGEX_CACHE.move_to_end(key)
            return _REGEX_CACHE[key]
    patterns = _compile_names(key)
    with _LOCK:
        _REGEX_CACHE[key] = patterns
        while len(_REGEX_CACHE) > _CACHE_SIZE:
            _REGEX_CACHE.popitem(last=False)
    return patterns


_EMAIL_STEPS: tuple = ()  # filled in below, once the masking functions exist
_PHONE_STEPS: tuple = ()


def _name_steps(names, texts: Iterable[str] | None = None) -> list[tuple[re.Pattern, Callable]]:
    """The name substitutions for ``texts`` (None: for any text). With many known names,
    only those that can occur in ``texts`` are compiled (:func:`_known_names_within`)."""
    if names is None and texts is not None:
        pruned = _known_names_within(texts)
        if pruned is not None:
            names = pruned
    return [(pattern, _mask_name_match) for pattern in _names_regex(names)]


_PRUNE_ABOVE = 5_000  # known names with CJK beyond which a pattern of them all costs seconds to compile
_KNOWN_INDEX: tuple[int, frozenset, frozenset, frozenset, int] = (-1, frozenset(), frozenset(), frozenset(), 0)


def _known_names_within(texts: Iterable[str]) -> frozenset | None:
    """The known names that can match inside ``texts``, when there are too many to compile
    them all (a month of a call centre's complaints: 230,000 names, 5-10 s per pattern),
    else None. A name with CJK characters is kept when its whitespace-collapsed form is a
    substring of a text's whitespace-collapsed form (it is matched as written, a space as
    any whitespace run), so the pattern of the kept names matches exactly what the pattern
    of all would; Latin-script names (any case, whole words) are always kept."""
    global _KNOWN_INDEX
    version, index, firsts, latin, longest = _KNOWN_INDEX
    if version != _KNOWN_VERSION:
        with _LOCK:
            version, snapshot = _KNOWN_VERSION, frozenset(_KNOWN)
        cleaned = set(filter(None, map(_clean_name, snapshot)))
        index = frozenset(n for n in cleaned if _HAS_CJK.search(n))
        latin = frozenset(cleaned - index)
        firsts = frozenset(n[0] for n in index)
        longest = max(map(len, index), default=0)
        _KNOWN_INDEX = (version, index, firsts, latin, longest)
    if len(index) <= _PRUNE_ABOVE:
        return None
    found = set(latin)
    for text in texts:
        if not isinstance(text, str):
            continue
        flat = " ".join(text.split())
        for i, ch in enumerate(flat):
            if ch not in firsts:
                continue
            for j in range(i + 2, min(len(flat), i + longest) + 1):
                if flat[i:j] in index:
                    found.add(flat[i:j])
    return frozenset(found)


def _mask_landline_match(m: re.Match) -> str:
    return m["head"] + "*" * len(m["mid"]) + m["tail"]


# The substitutions of free-text masking, in order: mailto targets, e-mail addresses
# (before phones: '13812345678@qq.com' is an address), phones, names. The phone steps run
# until nothing changes: masking a number's middle digits can unglue its last 4 from what
# follows ('021-2000000  0086130…' -> '021-***0000  0086130…', where '0000  0086130' now
# reads as a landline), and the scan must find nothing in the result.
_EMAIL_STEPS = ((_MAILTO_TEXT, _mask_mailto_match), (_EMAIL_TEXT, _mask_email_match))
_PHONE_STEPS = ((_MOBILE_TEXT, r"\g<head>****\g<tail>"), (_LANDLINE_TEXT, _mask_landline_match))


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


def _per_distinct(text: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``func`` applied once per distinct value of ``text`` (a column of categories or
    product names holds few), spread back over the rows; NA stays NA."""
    codes, uniques = pd.factorize(text)
    if len(uniques) == len(text):
        return func(text)
    done = func(pd.Series(uniques, dtype=_STR)).to_numpy(dtype=object, na_value=np.nan)
    values = np.append(done, np.nan)[codes]  # code -1 (NA) takes the appended NaN
    return pd.Series(values, index=text.index, dtype=_STR)


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
    extension kept. Any other value keeps nothing readable: every digit except the last 4
    is masked (all of them when there are fewer than 7, too short to be a phone number we
    can read) and so is every letter, Chinese characters included
    ('138 1234 5603 (张伟)' -> '*** **** 5603 (**)'); separators and punctuation stay."""
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
        masked = keep_last4.where(~short.fillna(False).astype(bool), all_digits)
        masked = masked.str.replace(_LETTER, "*", regex=True)
        out = out.where(~other, masked)
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


def mask_text(series: pd.Series, names: Iterable[str] | None = None) -> pd.Series:
    """Free text (complaint descriptions, categories, notes, record ids): every phone
    number (mobile or landline, in any form the phone column accepts, full-width digits
    too), every e-mail address (internationalized ones, ``mailto:`` targets, '%40' / '[at]'
    for '@') and every customer name (``names``; None: the known names,
    :func:`remember_names`) found inside is masked as in the tables of the module; the
    rest of the text is kept. Each distinct value is masked once."""

    def substitute(text: pd.Series, steps) -> pd.Series:
        for pattern, repl in steps:
            text = text.str.replace(pattern, repl, regex=True)
        return text

    def run(text: pd.Series) -> pd.Series:
        index = text.index
        text = substitute(text.reset_index(drop=True), _EMAIL_STEPS)
        todo = text
        while len(todo):  # each pass that changes a value masks more of its digits
            done = substitute(todo, _PHONE_STEPS)
            changed = done.fillna("\0") != todo.fillna("\0")
            text.loc[changed[changed].index] = done[changed]
            todo = done[changed]
        return substitute(text, _name_steps(names, text.dropna())).set_axis(index)

    return _per_distinct(_text(series), run)


def mask_value(text: str | None, names: Iterable[str] | None = None) -> str | None:
    """:func:`mask_text` for one Python string (a JSON message, the reason a row was set
    aside, an e-mail subject, a party name): the same compiled patterns, no Series.
    None (or NaN) is returned as it is; anything else is masked as its ``str``."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return text
    text = str(text)
    for pattern, repl in _EMAIL_STEPS:
        text = pattern.sub(repl, text)
    before = None
    while text != before:  # see _PHONE_STEPS
        before = text
        for pattern, repl in _PHONE_STEPS:
            text = pattern.sub(repl, text)
    for pattern, repl in _name_steps(names, (text,)):
        text = pattern.sub(repl, text)
    return text


_ORDINARY_ID = r"[A-Za-z0-9_.:/#\-]+"


def mask_id(series: pd.Series, names: Iterable[str] | None = None) -> pd.Series:
    """Customer ids in tables that single customers out: the first 3 and last 2 characters
    are kept ('C000123' -> 'C00***23'), so the same id always shows the same way; ids
    shorter than 7 characters keep only their first character ('C0012' -> 'C***').
    An id that is not ordinary (characters other than ASCII letters, digits and
    ``_ . : / # -``, or holding a phone, an e-mail or a customer name, ``names`` or the
    known names) is first masked as free text and has every letter after its first
    character masked, so that no part of it shows: 'C-张伟-13812345678' -> 'C-****78'."""
    text = _text(series).str.strip()
    free = mask_text(text, names)
    ordinary = (
        text.str.fullmatch(_ORDINARY_ID).fillna(False).astype(bool)
        & (free.fillna("\0") == text.fillna("\0"))
    )
    scrubbed = free.str.replace(rf"(?<=.){_LETTER}", "*", regex=True)
    source = text.where(ordinary, scrubbed)
    long_form = source.str.slice(0, 3) + "***" + source.str.slice(-2)
    short_form = source.str.slice(0, 1) + "***"
    return long_form.where(source.str.len() >= 7, short_form)


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


def _is_text(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        ptypes.is_string_dtype(dtype)
        or ptypes.is_object_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def mask_frame(
    df: pd.DataFrame, id_columns: Iterable[str] = (), names: Iterable[str] | None = None
) -> pd.DataFrame:
    """A copy of ``df`` safe to show (C20): every personal column (:func:`personal_columns`)
    masked by the function for its kind, the columns named in ``id_columns`` through
    :func:`mask_id`, and every other text column, record ids (``*_id``, 编号, 单号)
    included, through :func:`mask_text` (replaced only where that changes something, so
    untouched columns keep their dtype, and ordinary ids such as 'ZX-202601-000001' stay
    traceable, C21).

    The names masked in free text are ``names`` (None: the known names) together with the
    values of the frame's own name columns; with ``names=None`` those are added to the
    known names (:func:`remember_names`), so one compiled pattern serves every table of a
    data set."""
    out = df.copy()
    personal = personal_columns(df)
    own = [
        value
        for column, kind in personal.items()
        if kind == "name"
        for value in pd.unique(df[column].dropna().astype(str))
    ]
    if names is None:
        if own:
            remember_names(own)
        effective = None
    else:
        effective = frozenset(n for n in names if isinstance(n, str)) | frozenset(own)
    ids = set(id_columns)
    for column in df.columns:
        series = df[column]
        if column in personal:
            out[column] = _MASKERS[personal[column]](series)
        elif column in ids:
            out[column] = mask_id(series, effective)
        elif _is_text(series):
            masked = mask_text(series, effective)
            original = _text(series)
            if not bool((masked.fillna("\0") == original.fillna("\0")).all()):
                out[column] = masked
    return out


# --- scanning rendered output -----------------------------------------------------------


def find_personal_data(text: str, names: Iterable[str] | None = ()) -> list[str]:
    """Unmasked personal data in rendered text (HTML, Markdown, JSON of a report), found
    with the patterns :func:`mask_text` masks with: mobiles and landlines in every form it
    masks (spaced, dashed, +86 / 0086 / (+86), full-width digits), e-mail addresses whose
    local part is not masked (internationalized ones, '%40', '[at]'), ``mailto:`` targets
    of 2 characters or more, and any of the customer ``names`` (None: the known names;
    2 characters or more; Latin-script ones as whole words in any case). Masked output
    ('138****5603', 'z***@example.com', '张*', 'mailto:l***') is not reported, nor are
    dates, amounts, rates, counts or record ids. Returns the distinct findings in order of
    first appearance; empty means clean."""
    hits: list[tuple[int, str]] = []
    patterns = (_MOBILE_TEXT, _LANDLINE_TEXT, _EMAIL_TEXT, _MAILTO_SCAN) + _names_regex(names)
    for pattern in patterns:
        hits += [(m.start(), m.group(0)) for m in pattern.finditer(text)]
    found: list[str] = []
    for _, hit in sorted(hits):
        if hit not in found:
            found.append(hit)
    return found
