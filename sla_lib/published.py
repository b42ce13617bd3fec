"""The one rule for output (issue 12; C20): every value that came from an input table or the
terms file leaves the suite as *text*, masked.

Whatever reaches a reader (notebook HTML and PDF, the index page, the e-mail, the Excel
workbook, a chart, accounting.json) goes through one of these functions at the place where
it is written out:

=======================  =================================================================
function                 what it guarantees
=======================  =================================================================
:func:`text`             personal data masked (phones, e-mails, the data set's customer
                         names: :func:`sla_lib.masking.mask_value`); control, bidi and other
                         invisible format characters shown as ``�`` (they reorder or hide
                         text and break e-mail headers)
:func:`html_text`        :func:`text`, then HTML-escaped (``& < > " '``): never markup
:func:`markdown_text`    :func:`text` with every ASCII punctuation character backslash-
                         escaped: never Markdown, HTML or TeX (``$``) when the Markdown is
                         rendered
=======================  =================================================================

Charts draw :func:`text` with mathtext switched off (``text.parse_math`` in
:func:`sla_lib.charts.use_report_style`), so ``星辰 $$手机`` is drawn as written; the
workbook (:mod:`sla_lib.excel`) stores :func:`text` as string cells, never formulas (OWASP
formula injection: ``= + - @`` tab CR).

The customer names to mask are the ones of the data set loaded in this process
(:func:`sla_lib.masking.remember_names`, called by :func:`sla_lib.views.load_inputs` and
by ``sla report`` before anything is rendered).
"""

from __future__ import annotations

import html
import re
import unicodedata

from .masking import mask_value

__all__ = ["FORMULA_PREFIXES", "html_text", "markdown_text", "text"]

# Cc (controls: C0, DEL, C1) and Cf (format: bidi embeddings/overrides/isolates, zero-width
# joiners, BOM...) plus line and paragraph separators; tab, CR and LF become spaces.
_LAYOUT = re.compile(r"[\t\n\r]+")
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
REPLACEMENT = "\ufffd"
# the first characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _neutral(value: str) -> str:
    value = _LAYOUT.sub(" ", value)
    if _INVISIBLE.search(value):
        value = _INVISIBLE.sub(REPLACEMENT, value)
    # the remaining format characters (category Cf) outside the ranges above
    if any(unicodedata.category(ch) == "Cf" for ch in value if ord(ch) > 0x7F):
        value = "".join(REPLACEMENT if unicodedata.category(ch) == "Cf" else ch for ch in value)
    return value


def text(value) -> str:
    """``value`` as plain text a reader may see: ``str(value)``, personal data masked,
    invisible and control characters replaced by ``�``. None -> ''."""
    if value is None:
        return ""
    return _neutral(mask_value(str(value)) or "")


def html_text(value) -> str:
    """:func:`text`, HTML-escaped (quotes too, so it is safe in an attribute value)."""
    return html.escape(text(value), quote=True)


def markdown_text(value) -> str:
    """:func:`text` with every ASCII punctuation character backslash-escaped (CommonMark):
    rendered Markdown shows it literally, never as emphasis, a link, a heading, raw HTML
    or a TeX formula."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text(value))
