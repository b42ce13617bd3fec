"""Hostile data, safe reports (issue 12, "Done when", first bullet).

Hostile strings generated from a grammar (tests/hostile_strings.py: HTML/JS, spreadsheet
formula prefixes, Markdown, TeX/mathtext, control and bidi characters, phone, e-mail and
name forms), each holding a unique marker, are planted into every text column of every
table of a small slice of the sample data (September and October 2026, all payments and
invoices), into timestamp and channel cells (rows set aside, whose raw cell would reach
accounting.json) and into every text field of the terms. The whole report is built (every
notebook; HTML, PDF, Excel), mailed to a local SMTP server (aiosmtpd), and what a reader
gets is checked with real parsers, never with grep:

* HTML (index.html, every notebook's .html, the e-mail's HTML part, every text/html and
  rendered text/markdown output of the executed notebooks), parsed as a browser does
  (html5lib: the HTML5 parsing algorithm, into lxml trees): a
  marker appears only in text nodes, and only in elements where a marker planted as plain
  text appears in a build of the same shape (no <strong>, <h1>, <a>, <code>... made from
  data), never in a tag or attribute name or value, a comment, or script/style text; no
  element kind or event attribute (on...) that the plain build does not have; no
  javascript:/vbscript:/data:text/html URL; when the page loads MathJax, no marker text
  with TeX delimiters outside a tex2jax_ignore/mathjax_ignore element;
* Excel (openpyxl, not read-only): no formula cell, no '='-string that is not a string cell;
* PDF (pypdf): the text, and no link annotation or JavaScript action made from data;
* personal data: no planted phone (as written, and as digits once separators are
  removed), e-mail address (local part intact) or customer name, and no marker of a
  name/phone/e-mail column, in any published byte (HTML, PDF text, workbook cells, executed
  notebooks, accounting.json, manifest.json, the e-mail's subject, headers and both parts);
  plus :func:`sla_lib.masking.find_personal_data` on each of them;
* charts: a label such as '星辰 $$手机' does not stop the report, the charts are in the
  executed notebooks as PNGs;
* rows set aside are counted in accounting.json; the build succeeds.

Cost: a plain build of the same shape (HTML only) once per module, then one full build per
example: 2 generated examples + the explicit example of the values issue 12 lists (lang
zh), and one build in English. SLA_FUZZ_SCALE raises the number of generated examples
(tests/test_fuzz.py). Fast unit-level tests at the end pinpoint the layer that fails.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import email
import html as html_lib
import json
import os
import re
import tempfile
import unicodedata
from email import policy
from pathlib import Path

import html5lib
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

import hostile_strings as hs
from conftest import SAMPLES, SmtpStore, free_port
from hostile_strings import Hostile, M, plain

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


def _parse_html(text: str):
    """The page as a browser parses it (html5lib follows the HTML5 parsing algorithm), as
    an lxml tree with plain tag names."""
    return html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False).getroot()

SCALE = float(os.environ.get("SLA_FUZZ_SCALE", "1"))
MONTH, QUARTER, AS_OF = "2026-10", "2026Q4", "2026-12-31"
ROWS_PER_MONTH = {"consultations": 16, "complaints": 16, "followups": 8, "new_customers": 10, "onsite_visits": 99}
PLANTED_PER_MONTH = {"2026-10": 6, "2026-09": 2}  # rows of an event table with hostile text in every text column
EVENT_TIME = {"consultations": "received_at", "complaints": "received_at", "followups": "visited_at",
              "new_customers": "acquired_at", "onsite_visits": "visited_at"}
# the text columns of each table: the spec's ids and free text, and the export's personal data
TEXT_COLUMNS = {
    "consultations": ["consultation_id", "customer_id", "customer_name", "phone", "product", "category", "agent_id", "remark"],
    "complaints": ["complaint_id", "customer_id", "customer_name", "phone", "email", "category", "product", "remark"],
    "followups": ["followup_id", "customer_id"],
    "new_customers": ["customer_id"],
    "payments": ["payment_id"],
    "invoices": ["invoice_id"],
    "onsite_visits": ["visit_id", "customer_id"],
}
PERSONAL_COLUMNS = {"customer_name", "phone", "email"}  # masked whatever they hold
SET_ASIDE_TABLES = ("consultations", "complaints", "followups", "new_customers")

# what may hold a marker in a report made from plain-text markers, besides what that build shows
TEXT_PARENTS = {"td", "th", "p", "span", "div", "caption", "title", "pre"}
ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "sender", "reply-to", "return-path", "message-id"}
DANGEROUS_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "img", "a", "base", "meta", "form", "button",
                  "input", "math", "link", "frame", "frameset", "textarea", "plaintext", "details", "body", "applet",
                  "strong", "em", "b", "i", "h1", "h2", "h3", "h4", "h5", "h6", "code", "del", "s", "blockquote", "ol", "ul", "hr"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "background", "poster", "content"}
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)", re.I)
TEX_DELIMS = re.compile(r"\$|\\\(|\\\[|\\begin")
HEX_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")
# the memory address in an object's text/plain repr ("<pandas.io.formats.style.Styler at
# 0x7fa20829576210>"), whose digit runs can read as a landline: no customer's data
OBJECT_ADDRESS = re.compile(r"\bat 0x[0-9a-f]+>")
DATA_URI = re.compile(r"data:image/[a-z+.-]+;base64,[A-Za-z0-9+/=\s]+")
# an image's base64 as it stands in a notebook's JSON ("image/png": "iVBOR…"), whose digit
# runs can read as a phone: no text a reader sees (the planted values are still looked for in
# every byte as written)
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{200,}={0,2}")
SEPARATORS_NO_STAR = re.compile(r"[\s\-\u2010-\u2015\u00a0\u3000()（）+.]")


# --- the plan: which hostile values go where -------------------------------------------------

@dataclasses.dataclass
class Plan:
    free: list  # category, product, agent_id, remark, extra customer_name / phone / email cells
    ids: list  # record ids and customer ids
    payment_ids: list  # payment and invoice ids: always with a formula prefix
    phones: list  # phone column, timestamps and the unknown channel
    emails: list  # e-mail column
    terms: list  # contract.id, party_a, party_b (no control characters: the loader refuses them)
    salt: str


plans = st.builds(
    Plan,
    free=st.lists(hs.hostile(), min_size=4, max_size=8),
    ids=st.lists(hs.hostile(), min_size=3, max_size=6),
    payment_ids=st.lists(hs.hostile(formula=True), min_size=2, max_size=4),
    phones=st.lists(st.one_of(hs.phones, hs.phone_with_name()), min_size=2, max_size=4),
    emails=st.lists(hs.emails(), min_size=2, max_size=4),
    terms=st.lists(hs.hostile().map(Hostile.without_controls), min_size=3, max_size=3),
    salt=st.text(hs.MARKER_ALPHABET, min_size=3, max_size=3),
)

ISSUE_PLAN = Plan(
    free=[hs.ISSUE_SCRIPT, hs.ISSUE_IMG, hs.ISSUE_MATHTEXT, hs.ISSUE_IDN, hs.ISSUE_MAILTO, hs.ISSUE_PHONE_NAME],
    ids=[hs.ISSUE_SVG_ID, hs.ISSUE_FORMULA_ID, plain(f"C-张伟-13812345678-{M}", "name") + Hostile("", phones=("13812345678",), phone_digits=("13812345678",), names=("张伟",))],
    payment_ids=[hs.ISSUE_FORMULA_ID, plain(f"+cmd|' /C calc'!A0 {M}", "formula"), plain(f"@SUM(1) {M}", "formula")],
    phones=[Hostile("138 1234 5603 (张伟)", ("phone",), ("138 1234 5603",), ("13812345603",), names=("张伟",)),
            Hostile("+86 138-1234-5603", ("phone",), ("+86 138-1234-5603",), ("13812345603",)),
            Hostile("021-62345678", ("phone",), ("021-62345678",), ("02162345678",))],
    emails=[Hostile("张伟@例子.中国", ("email",), emails=("张伟@例子.中国",), email_locals=("张伟",), names=("张伟",)),
            Hostile("mailto:lily@example.org", ("email",), emails=("lily@example.org",), email_locals=("lily",))],
    terms=[plain(f"CS-<svg onload=alert('{M}')>"), plain(f"<script>alert('{M}')</script>华东星辰 **{M}** $$手机"),
           plain(f'"><img src=x onerror=alert(\'{M}\')> [{M}](javascript:alert(1)) 汇联')],
    salt="iss",
)


def plain_plan(salt: str = "pln") -> Plan:
    """The same shape with plain markers: where text from the data lands in a report."""
    marker = plain(M)
    return Plan(free=[marker], ids=[plain(f"ID-{M}")], payment_ids=[plain(f"FK-{M}")],
                phones=[Hostile("13912345678", ("phone",), ("13912345678",), ("13912345678",))],
                emails=[Hostile("lilyplain@example.org", ("email",), emails=("lilyplain@example.org",), email_locals=("lilyplain",))],
                terms=[plain(f"CS-{M}"), plain(f"甲方 {M}"), plain(f"乙方 {M}")], salt=salt)


@dataclasses.dataclass
class Planted:
    """What one data set holds: the folder, the terms file, and every planted value."""

    folder: Path
    terms: Path
    values: dict = dataclasses.field(default_factory=dict)  # marker -> (table, column, text, Hostile)
    phones: set = dataclasses.field(default_factory=set)  # as written
    phone_digits: set = dataclasses.field(default_factory=set)
    emails: set = dataclasses.field(default_factory=set)
    email_locals: set = dataclasses.field(default_factory=set)
    names: set = dataclasses.field(default_factory=set)  # every customer_name value of the data set
    set_aside: dict = dataclasses.field(default_factory=dict)  # table -> rows broken on purpose

    def record(self, h: Hostile) -> None:
        self.phones.update(h.phones)
        self.phone_digits.update(h.phone_digits)
        self.emails.update(h.emails)
        self.email_locals.update(h.email_locals)
        self.names.update(h.names)

    @property
    def personal_markers(self) -> set:
        return {m for m, (_, column, _, _) in self.values.items() if column in PERSONAL_COLUMNS}


def _read(table: str) -> tuple[list[str], list[dict]]:
    with open(SAMPLES / f"{table}.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def _shift(stamp: str, hours: int) -> str:
    return (dt.datetime.fromisoformat(stamp) + dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


def build_dataset(folder: Path, plan: Plan) -> Planted:
    folder.mkdir(parents=True, exist_ok=True)
    planted = Planted(folder, folder / "contract.yaml")
    markers = hs.marker_sequence(plan.salt)
    cycles = {k: 0 for k in ("free", "ids", "payment_ids", "phones", "emails")}

    def take(kind: str) -> Hostile:
        options = getattr(plan, kind)
        h = options[cycles[kind] % len(options)]
        cycles[kind] += 1
        return h

    def put(table: str, column: str, h: Hostile) -> str:
        marker = next(markers)
        text = h.text(marker)
        if M in h.template:
            planted.values[marker] = (table, column, text, h)
        planted.record(h)
        return text

    for table, columns in TEXT_COLUMNS.items():
        fields, rows = _read(table)
        for extra in columns:
            if extra not in fields:
                fields.append(extra)
        if table in EVENT_TIME:
            by_month = {m: [r for r in rows if r[EVENT_TIME[table]].startswith(m)][: ROWS_PER_MONTH[table]] for m in ("2026-09", "2026-10")}
            rows = by_month["2026-09"] + by_month["2026-10"]
            hostile_rows = by_month["2026-10"][: PLANTED_PER_MONTH["2026-10"]] + by_month["2026-09"][: PLANTED_PER_MONTH["2026-09"]]
        else:  # payments, invoices: every row (the term's fees need them all)
            hostile_rows = rows
        names_left = list(hs.NAMES)
        for i, row in enumerate(hostile_rows):
            for column in columns:
                if column == "customer_name":
                    if names_left:  # every planted name is a customer name of the data set, as written
                        row[column] = names_left.pop(0)
                        planted.names.add(row[column])
                    else:
                        row[column] = put(table, column, take("free"))
                        planted.names.add(row[column].strip())
                elif column == "phone":
                    row[column] = put(table, column, take("phones") if i % 2 == 0 else take("free"))
                elif column == "email":
                    row[column] = put(table, column, take("emails") if i % 2 == 0 else take("free"))
                elif column in ("payment_id", "invoice_id"):
                    row[column] = put(table, column, take("payment_ids"))
                elif column.endswith("_id") and column != "agent_id":
                    row[column] = put(table, column, take("ids"))
                else:
                    row[column] = put(table, column, take("free"))
        for row in rows:
            for column in columns:
                row.setdefault(column, "")
            if "customer_name" in row and row["customer_name"] and row not in hostile_rows:
                planted.names.add(row["customer_name"])
        if table == "complaints":  # repeat complainers and C2 misses made of hostile rows
            for row in hostile_rows[1:3]:
                row["customer_id"] = hostile_rows[0]["customer_id"]
            for row in hostile_rows[:2]:
                row["first_contact_at"] = _shift(row["received_at"], 5)
        if table in SET_ASIDE_TABLES:  # a phone typed into a timestamp: the row is set aside
            october = by_month["2026-10"]
            broken = october[PLANTED_PER_MONTH["2026-10"]: PLANTED_PER_MONTH["2026-10"] + 2]
            for row in broken:
                row[EVENT_TIME[table]] = put(table, EVENT_TIME[table], take("phones"))
            if "channel" in fields and table in ("consultations", "complaints"):
                extra_row = october[PLANTED_PER_MONTH["2026-10"] + 2]
                phone = take("phones")
                extra_row["channel"] = put(table, "channel", plain("微信 ") + phone)
                broken.append(extra_row)
            planted.set_aside[table] = len(broken)
        with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    terms = yaml.safe_load((SAMPLES / "contract.yaml").read_text(encoding="utf-8"))
    for key, h in zip(("id", "party_a", "party_b"), plan.terms):
        terms["contract"][key] = put("terms", f"contract.{key}", h)
    text = yaml.safe_dump(terms, allow_unicode=True, sort_keys=False)
    if yaml.safe_load(text)["contract"] != terms["contract"]:  # a character YAML would fold: escape it
        text = yaml.safe_dump(terms, allow_unicode=False, sort_keys=False)
    planted.terms.write_text(text, encoding="utf-8")
    return planted


# --- reading what a reader gets ------------------------------------------------------------







def mail_report(result) -> email.message.EmailMessage:
    from sla_lib.delivery import send_report

    store, port = SmtpStore(), free_port()
    controller = aiosmtpd_controller.Controller(store, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        send_report(result, "manager@example.com", "127.0.0.1", port, sender="sla@example.com")
    finally:
        controller.stop()
    (envelope,) = store.envelopes
    return email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)


def _text_nodes(root):
    """(text, parent element) of every text node."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text:
            yield el.text, el
        for child in el:
            if child.tail:
                yield child.tail, el


def _classes(el) -> set:
    out = set()
    while el is not None:
        out |= set((el.get("class") or "").split()) if isinstance(el.tag, str) else set()
        el = el.getparent()
    return out


@dataclasses.dataclass
class HtmlShape:
    """What the pages of a plain build have: the elements holding the text of each planted
    (table, column), the event attributes, the element kinds."""

    parents: dict = dataclasses.field(default_factory=dict)  # (table, column) -> element tags
    on_attrs: set = dataclasses.field(default_factory=set)
    tags: set = dataclasses.field(default_factory=set)
    default_parents: set = dataclasses.field(default_factory=lambda: set(TEXT_PARENTS))

    def allowed(self, key) -> set:
        return self.parents.get(key) or self.default_parents

    def learn(self, text: str, values: dict) -> None:
        root = _parse_html(text)
        for el in root.iter():
            if isinstance(el.tag, str):
                self.tags.add(el.tag)
                self.on_attrs |= {(el.tag, a.lower()) for a in el.attrib if a.lower().startswith("on")}
        for node, parent in _text_nodes(root):
            for m in hs.MARKER_RE.findall(node):
                if m in values:
                    self.parents.setdefault(values[m][:2], set()).add(parent.tag)


def html_problems(text: str, where: str, markers, shape: HtmlShape) -> list[str]:
    """Everything in an HTML document that shows planted text as more than text.
    ``markers``: marker -> (table, column, ...) of the planted value (or a set of markers)."""
    keys = markers if isinstance(markers, dict) else {}
    problems = []
    if not text.strip():
        return problems
    root = _parse_html(text)
    mathjax = any("mathjax" in (el.get("src") or "").lower() or "mathjax" in (el.text or "").lower()
                  for el in root.iter("script"))

    def planted_in(value: str) -> list[str]:
        return [m for m in hs.MARKER_RE.findall(value) if m in markers]

    for el in root.iter():
        if el.tag is etree.Comment or el.tag is etree.ProcessingInstruction:
            if planted_in(el.text or ""):
                problems.append(f"{where}: comment/PI made from data: {(el.text or '')[:80]!r}")
            continue
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if planted_in(tag):
            problems.append(f"{where}: element <{tag}> named from data")
        if tag in DANGEROUS_TAGS and tag not in shape.tags:
            problems.append(f"{where}: <{tag}> element (absent from the plain build): {etree.tostring(el, encoding=str)[:120]!r}")
        for name, value in el.attrib.items():
            lname = name.lower()
            if planted_in(lname) or planted_in(value):
                problems.append(f"{where}: <{tag} {lname}={value[:100]!r}> carries planted text in an attribute")
            if lname.startswith("on") and (tag, lname) not in shape.on_attrs:
                problems.append(f"{where}: event attribute <{tag} {lname}={value[:80]!r}>")
            if lname in URL_ATTRS and BAD_URL.match(value):
                problems.append(f"{where}: <{tag} {lname}={value[:80]!r}> is a script URL")
        if tag in ("script", "style") and planted_in(el.text or ""):
            problems.append(f"{where}: <{tag}> text holds planted text: {(el.text or '')[:120]!r}")
    for node, parent in _text_nodes(root):
        found = planted_in(node)
        if not found or parent.tag in ("script", "style"):
            continue
        key = keys.get(found[0], (None, None))[:2]
        if parent.tag not in shape.allowed(key):
            problems.append(f"{where}: planted text {found[0]} inside <{parent.tag}> (markup made from data): {node[:80]!r}")
        if mathjax and TEX_DELIMS.search(node) and not _classes(parent) & {"tex2jax_ignore", "mathjax_ignore"}:
            problems.append(f"{where}: TeX from data typeset by MathJax (no tex2jax_ignore): {node[:80]!r}")
    return problems


def _markdown_html(markdown: str) -> str:
    import mistune

    # a notebook frontend renders Markdown outputs with raw HTML passed through
    return mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])(markdown)


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_outputs(path: Path):
    """(kind, text) of every output of an executed notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []):
            if "text" in output:
                yield f"cell {i} stream", "text/plain", _joined(output["text"])
            for mime, value in output.get("data", {}).items():
                yield f"cell {i} {mime}", mime, value if isinstance(value, (dict,)) else _joined(value)


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def published_texts(result, msg) -> dict[str, str]:
    """Every published byte as text a reader (or a program) can get at: name -> text."""
    archive = result.folder.parent / "index.html"  # the archive page lists the month's headline
    texts = {"archive index.html": archive.read_text(encoding="utf-8"),
             "archive index.html (unescaped)": html_lib.unescape(archive.read_text(encoding="utf-8"))}
    for path in result.files:
        rel = str(path.relative_to(result.folder))
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            raw = path.read_text(encoding="utf-8")
            texts[rel] = raw
            texts[rel + " (unescaped)"] = html_lib.unescape(DATA_URI.sub("data:", raw))
        elif suffix == ".pdf":
            texts[rel] = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        elif suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            texts[rel] = "\n".join([ws.title for ws in book.worksheets] + [
                str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None])
        elif suffix in (".json", ".ipynb"):
            raw = path.read_text(encoding="utf-8")
            texts[rel] = raw
            texts[rel + " (decoded)"] = "\n".join(_strings(json.loads(raw)))
        elif suffix in (".png", ".svg", ".csv", ".txt", ".md"):
            data = path.read_bytes()
            texts[rel] = data.decode("latin-1") if suffix == ".png" else data.decode("utf-8", "replace")
        else:
            texts[rel] = path.read_bytes().decode("utf-8", "replace")
    # the operator's own addresses (From, To, Message-ID) are no customer's data: scanned for planted values only
    texts["e-mail headers"] = "\n".join(f"{k}: {v}" for k, v in msg.items() if k.lower() not in ADDRESS_HEADERS)
    texts["e-mail address headers (planted values only)"] = "\n".join(f"{k}: {v}" for k, v in msg.items() if k.lower() in ADDRESS_HEADERS)
    texts["e-mail text part"] = msg.get_body(preferencelist=("plain",)).get_content()
    html_part = msg.get_body(preferencelist=("html",)).get_content()
    texts["e-mail html part"] = html_part
    texts["e-mail html part (unescaped)"] = html_lib.unescape(html_part)
    texts["e-mail attachment names"] = "\n".join(a.get_filename() or "" for a in msg.iter_attachments())
    return texts


def _without_table_library(text: str):
    """``text`` without the block of the interactive tables' library (sla_lib.tables: the same
    DataTables bundle in every page, whose licence headers and code hold an e-mail address and
    digit runs), and whether the block was there; False when a block is there but is not,
    byte for byte, the library's (as written, or HTML-unescaped), so data can never hide in it."""
    from sla_lib.tables import BEGIN, END, assets_html

    start = text.find(BEGIN)
    if start < 0:
        return text, None
    end = text.find(END, start)
    block = text[start:end + len(END)] if end >= 0 else None
    library = assets_html()
    scanned = [HEX_DIGEST.sub("sha256", DATA_URI.sub("data:", v)) for v in (library, html_lib.unescape(DATA_URI.sub("data:", library)))]
    if block not in scanned:  # as the scan sees the page: as written, or unescaped (published_texts)
        return text, False
    return text[:start] + text[end + len(END):], True


def _digits_view(text: str) -> str:
    return SEPARATORS_NO_STAR.sub("", unicodedata.normalize("NFKC", text))


def personal_problems(texts: dict[str, str], planted: Planted) -> list[str]:
    from sla_lib.masking import find_personal_data

    problems = []
    names = sorted(planted.names)
    personal_markers = planted.personal_markers
    for where, text in texts.items():
        if where.endswith(".png"):
            text_for_scan = ""
        else:
            # images, and the SHA-256 digests of manifest.json (hex whose digits can look like a phone)
            text_for_scan = OBJECT_ADDRESS.sub("at 0x…>", HEX_DIGEST.sub("sha256", DATA_URI.sub("data:", text)))
            text_for_scan, library = _without_table_library(text_for_scan)
            if where.endswith(".ipynb") or where.endswith("(decoded)"):
                text_for_scan = BASE64_RUN.sub("base64", text_for_scan)
            if library is False:
                problems.append(f"{where}: the interactive tables' block differs from the library's (sla_lib.tables.assets_html)")
        found = find_personal_data(text_for_scan, names) if text_for_scan and "planted values only" not in where else []
        if found:
            problems.append(f"{where}: find_personal_data: {found[:8]}")
        digits = _digits_view(text_for_scan)
        for phone in sorted(planted.phones):
            if phone in text:
                problems.append(f"{where}: planted phone {phone!r} as written")
        for number in sorted(planted.phone_digits):
            if number in digits:
                problems.append(f"{where}: planted phone {number} (digits, separators removed)")
        for address in sorted(planted.emails):
            if address in text:
                problems.append(f"{where}: planted e-mail {address!r}")
        for local in sorted(planted.email_locals):
            for form in (f"{local}@", f"{local}%40", f"{local}＠", f"mailto:{local}"):
                if form in text:
                    problems.append(f"{where}: planted e-mail local part {form!r}")
        for name in hs.NAMES:
            if name in text:
                problems.append(f"{where}: planted customer name {name!r}")
        leaked = sorted({m for m in hs.MARKER_RE.findall(text) if m in personal_markers})
        for m in leaked:
            table, column, value, _ = planted.values[m]
            problems.append(f"{where}: {table}.{column} value {value[:60]!r} shown unmasked (marker {m})")
    return problems


def workbook_problems(path: Path, markers: set) -> list[str]:
    problems = []
    book = openpyxl.load_workbook(path)  # not read-only: data types and formulas as stored
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    problems.append(f"{path.name}!{ws.title}!{c.coordinate}: formula cell {str(c.value)[:80]!r}")
                elif isinstance(c.value, str) and c.value.startswith("=") and c.data_type != "s":
                    problems.append(f"{path.name}!{ws.title}!{c.coordinate}: '=' value stored as {c.data_type}: {c.value[:80]!r}")
    return problems


def pdf_problems(path: Path, markers: set) -> list[str]:
    problems = []
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        problems.append(f"{path.name}: document-level JavaScript")
    if "/OpenAction" in root:
        problems.append(f"{path.name}: /OpenAction")
    for number, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A")
            action = action.get_object() if action is not None else {}
            uri = str(action.get("/URI", ""))
            if action.get("/S") == "/JavaScript" or BAD_URL.match(uri) or any(m in uri for m in markers):
                problems.append(f"{path.name} page {number}: link annotation from data: {uri[:100]!r} {action.get('/S')}")
    return problems


# --- the builds ----------------------------------------------------------------------------

def build(planted: Planted, out: Path, lang: str = "zh", formats=("html", "pdf", "xlsx")):
    from sla_lib.report import build_report

    return build_report(planted.terms, planted.folder, MONTH, out_dir=out, formats=formats, lang=lang, jobs=2,
                        quarter=QUARTER, as_of=AS_OF, progress=False)


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="sla-hostile-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def plain_shape(workdir) -> HtmlShape:
    """Where plain text from the data lands: a build of the same shape with plain markers."""
    planted = build_dataset(workdir / "plain-data", plain_plan())
    result = build(planted, workdir / "plain-out", formats=("html",))
    shape = HtmlShape()
    for path in result.html + [result.index, result.folder.parent / "index.html"]:  # the archive page too
        shape.learn(path.read_text(encoding="utf-8"), planted.values)
    for path in result.executed:
        for _, mime, value in notebook_outputs(path):
            if mime == "text/html":
                shape.learn(value, planted.values)
            elif mime == "text/markdown":
                shape.learn(_markdown_html(value), planted.values)
    # the plain build must show the data (else the checks below would prove nothing)
    seen = {m for path in result.html for m in hs.MARKER_RE.findall(path.read_text(encoding="utf-8"))}
    columns = {planted.values[m][:2] for m in seen if m in planted.values}
    assert {("complaints", "category"), ("complaints", "product"), ("payments", "payment_id")} <= columns, columns
    return shape


_counter = iter(range(10**6))


def check_report(plan: Plan, workdir: Path, shape: HtmlShape, lang: str = "zh") -> None:
    n = next(_counter)
    planted = build_dataset(workdir / f"data-{n}", plan)
    markers = planted.values
    result = build(planted, workdir / f"out-{n}", lang=lang)  # hostile input is data: the build succeeds
    msg = mail_report(result)
    problems: list[str] = []

    # HTML: files, e-mail, notebook outputs
    for path in result.html + [result.index, result.folder.parent / "index.html"]:  # the archive page too
        problems += html_problems(path.read_text(encoding="utf-8"), str(path.relative_to(result.folder.parent)), markers, shape)
    problems += html_problems(msg.get_body(preferencelist=("html",)).get_content(), "e-mail html part", markers, shape)
    charts = 0
    for path in result.executed:
        for where, mime, value in notebook_outputs(path):
            where = f"{path.name} {where}"
            if mime == "text/html":
                problems += html_problems(value, where, markers, shape)
            elif mime == "text/markdown":
                problems += html_problems(_markdown_html(value), where + " (rendered)", markers, shape)
            elif mime == "image/png":
                charts += 1
            elif mime in ("text/latex", "image/svg+xml", "application/javascript", "text/javascript") and hs.MARKER_RE.search(_joined(value)):
                problems.append(f"{where}: planted text in a {mime} output")
    if charts == 0:
        problems.append("executed notebooks: no chart (image/png) output at all")

    # Excel and PDF
    if not result.xlsx:
        problems.append("no workbook published")
    for path in result.xlsx:
        problems += workbook_problems(path, markers)
    for path in result.pdf:
        problems += pdf_problems(path, markers)

    # personal data in every published byte, the e-mail's included
    problems += personal_problems(published_texts(result, msg), planted)

    # rows set aside are counted
    accounting = json.loads((result.folder / "accounting.json").read_text(encoding="utf-8"))
    for table, broken in planted.set_aside.items():
        entry = accounting[table]
        if entry["rows_set_aside"] != broken or entry["rows_read"] != entry["rows_used"] + entry["rows_set_aside"]:
            problems.append(f"accounting.json {table}: {entry['rows_read']} read, {entry['rows_used']} used, "
                            f"{entry['rows_set_aside']} set aside; {broken} rows were broken on purpose")

    # the data reached the report (else nothing above was tested)
    shown = {m for path in result.html for m in hs.MARKER_RE.findall(html_lib.unescape(path.read_text(encoding="utf-8")))}
    if not {planted.values[m][:2] for m in shown & set(markers)} & {("complaints", "category"), ("complaints", "product")}:
        problems.append("no planted category or product is shown in the notebooks' HTML: the checks proved nothing")

    assert not problems, f"{len(problems)} problems (lang={lang}, data {planted.folder}):\n" + "\n".join(
        dict.fromkeys(problems))


@settings(max_examples=max(1, int(2 * SCALE)), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture,
                                 HealthCheck.large_base_example])
@given(plan=plans)
@example(plan=ISSUE_PLAN)
def test_hostile_data_gives_a_safe_report(plan, workdir, plain_shape):
    check_report(plan, workdir, plain_shape)


def test_hostile_data_gives_a_safe_report_in_english(workdir, plain_shape):
    plan = dataclasses.replace(ISSUE_PLAN, salt="eng", free=ISSUE_PLAN.free + [
        plain(f"**{M}** `{M}` # {M}"), plain(f"$\\frac{{{M}}}{{2}}$ \\href{{javascript:alert(1)}}{{{M}}}"),
        plain(f"\u202e{M}\u2066x\u2069 <!-- {M} -->")])
    check_report(plan, workdir, plain_shape, lang="en")


# --- the terms loader: a control character is a one-line error ---------------------------

@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\x1b", "\x07", "\x85", "\u2028", "\u202e", "\u2066", "\u200f"])
@pytest.mark.parametrize("key", ["id", "party_a", "party_b"])
def test_control_character_in_a_terms_text_field_is_a_one_line_error(tmp_path, key, char):
    from sla_lib.errors import SlaError
    from sla_lib.terms import load_terms

    terms = yaml.safe_load((SAMPLES / "contract.yaml").read_text(encoding="utf-8"))
    terms["contract"][key] = f"CS-2026{char}001 <script>alert(1)</script>"
    path = tmp_path / "contract.yaml"
    text = yaml.safe_dump(terms, allow_unicode=False)  # escaped: PyYAML writes U+0085 raw, which YAML folds
    assert yaml.safe_load(text)["contract"][key] == terms["contract"][key]
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SlaError) as info:
        load_terms(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message and char not in message, repr(message)
    assert f"contract.{key}" in message


# --- unit level: each output layer on its own (fast) --------------------------------------

UNIT_VALUES = [h for h in hs.ISSUE_VALUES] + [plain(t) for t in hs.HTML + hs.MARKDOWN + hs.TEX + hs.CONTROL + hs.FORMULA_STARTS]
_unit_markers = hs.marker_sequence("unt")
UNIT_TEXTS = [h.text(next(_unit_markers)) for h in UNIT_VALUES]
UNIT_MARKERS = {m for t in UNIT_TEXTS for m in hs.MARKER_RE.findall(t)}
UNIT_SHAPE = HtmlShape(on_attrs=set(), tags={"html", "head", "body", "table", "thead", "tbody", "tr", "td", "th",
                                                            "style", "div", "p", "caption", "span", "meta", "title", "h1", "h2", "a"})


@pytest.fixture
def customer_names():
    """The planted names are the data set's customer names, as after loading it."""
    from sla_lib.masking import forget_names, remember_names

    remember_names(hs.NAMES)
    yield
    forget_names()


def _fragment_problems(html_text: str, where: str) -> list[str]:
    return html_problems(f"<html><body>{html_text}</body></html>", where, UNIT_MARKERS, UNIT_SHAPE)


def test_show_escapes_every_cell_header_and_caption():
    from sla_lib.display import show

    frame = pd.DataFrame({"category": UNIT_TEXTS, "product": list(reversed(UNIT_TEXTS)), "count": range(len(UNIT_TEXTS))})
    frame.index = [f"row-{t}" for t in UNIT_TEXTS]
    frame.index.name = None
    for lang in ("zh", "en"):
        styler = show(frame, lang, index=True, caption=UNIT_TEXTS[0])
        html_text = styler.to_html() if hasattr(styler, "to_html") else styler._repr_html_()
        problems = _fragment_problems(html_text, f"show(to_html, {lang})")
        problems += _fragment_problems(styler._repr_html_(), f"show(_repr_html_, {lang})")
        assert not problems, "\n".join(dict.fromkeys(problems))
        shown = {m for m in hs.MARKER_RE.findall(html_lib.unescape(html_text))}
        assert shown, "show() dropped the values instead of escaping them"


def test_show_masks_personal_data_in_free_text(customer_names):
    from sla_lib.display import show
    from sla_lib.masking import find_personal_data

    frame = pd.DataFrame({"category": [h.text("zqunit01") for h in (hs.ISSUE_IDN, hs.ISSUE_MAILTO, hs.ISSUE_PHONE_NAME)]})
    html_text = html_lib.unescape(show(frame, "zh").to_html())
    assert find_personal_data(html_text, ["张伟"]) == []
    for leak in ("13812345603", "1234 5603", "张伟", "lily@", "mailto:lily"):
        assert leak not in html_text, leak


def test_md_escapes_values():
    from sla_lib.display import md

    for text in UNIT_TEXTS:
        prose = md("contract", "zh", contract=text, party_a=text, party_b=text)
        # what a notebook shows: the richest of the object's HTML or its rendered Markdown
        rendered = prose._repr_html_() if hasattr(prose, "_repr_html_") else _markdown_html(prose._repr_markdown_())
        problems = _fragment_problems(rendered, f"md(contract={text[:40]!r})")
        assert not problems, "\n".join(dict.fromkeys(problems))


def test_fee_workbook_keeps_hostile_ids_as_text(tmp_path):
    from decimal import Decimal

    from sla_lib.excel import write_fee_workbook

    formulas = [h.text(next(_unit_markers)) for h in (plain(t) for t in hs.FORMULA_STARTS)]
    frame = pd.DataFrame({"payment_id": formulas, "amount": [Decimal("100.00")] * len(formulas),
                          "note": [f"=1+{i}" for i in range(len(formulas))]})
    path = write_fee_workbook({"payments": frame, "=HYPERLINK(\"x\")": frame}, tmp_path / "fees.xlsx")
    assert not workbook_problems(path, set())
    book = openpyxl.load_workbook(path)
    values = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    for text in formulas:
        stripped = text.strip("\t\r")
        assert any(isinstance(v, str) and hs.MARKER_RE.search(stripped).group() in v for v in values), text


def _result_with_parties(tmp_path, contract: str, party_a: str, party_b: str):
    from sla_lib.report import Document, ReportResult

    folder = tmp_path / "2026-10"
    (folder / "executed").mkdir(parents=True)
    kpi = {"clause": "C9", "label_zh": "咨询解决率", "label_en": "Consultation resolution rate", "met": 1, "total": 2,
           "rate_pct": "50.0000", "target_pct": "90", "ok": False, "status": "missed"}
    headline = {"contract_id": contract, "party_a": party_a, "party_b": party_b, "month": "2026-10", "as_of": "2026-12-31",
                "base": "200000.00", "bonus": "0.00", "total_deduction": "0.00", "onsite_fees": "0.00", "amount_due": "1.00",
                "payment_due": "2026-11-13", "paid": "0.00", "balance": "1.00", "late_days": 0, "late_damages": "0.00",
                "failing_kpis": [], "kpis_met": 0, "kpis_missed": 1, "kpis_na": 0, "kpis": {"consultation_resolution": kpi}}
    docs = (Document("complaint_statistics", "投诉统计", "complaint_statistics.html", "complaint_statistics.pdf",
                     "executed/complaint_statistics.ipynb"),)
    return ReportResult("2026-10", None, "zh", folder, docs, (), headline, "2026-11-03T07:00:05+08:00")


def test_index_and_mail_text_escape_and_mask_party_names(tmp_path, customer_names):
    from sla_lib.masking import find_personal_data
    from sla_lib.report import render_index, render_index_text

    values = [hs.ISSUE_SVG_ID.text("zqidx001"), hs.ISSUE_SCRIPT.text("zqidx002") + " 138 1234 5603 (张伟)",
              '"><img src=x onerror=alert(\'zqidx003\')> mailto:lily@example.org \u202e']
    result = _result_with_parties(tmp_path, *values)
    markers = {"zqidx001", "zqidx002", "zqidx003"}
    shape = HtmlShape(default_parents={"h1", "title", "p", "td", "th"},  # the contract id is the page's title
                      tags={"html", "head", "body", "meta", "title", "style", "h1", "h2", "p", "table", "tbody", "tr", "td", "th", "a"})
    for lang_result in (result, dataclasses.replace(result, lang="en")):
        for for_mail in (False, True):
            page = render_index(lang_result, for_mail=for_mail)
            problems = html_problems(page, f"render_index({lang_result.lang}, for_mail={for_mail})", markers, shape)
            assert not problems, "\n".join(problems)
            shown = html_lib.unescape(page)
            assert find_personal_data(shown, ["张伟"]) == [] and "1234 5603" not in shown and "lily@" not in shown
        text = render_index_text(lang_result)
        assert find_personal_data(text, ["张伟"]) == [] and "1234 5603" not in text and "lily@" not in text
        assert "\u202e" not in text


def test_chart_with_a_mathtext_label_is_drawn(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from sla_lib import charts

    charts.use_report_style()
    frame = pd.DataFrame({"product": ["星辰 $$手机", "$\\frac{1}{2}$", "a $ b", "\\href{x}{y}", "<b>x</b>"],
                          "count": [3, 2, 1, 1, 1]})
    figure = charts.bar_chart(frame, "product", "count", "zh", title="星辰 $$手机", axis_label="$$")
    path = tmp_path / "chart.png"
    figure.savefig(path)
    assert path.stat().st_size > 1000
    labels = [t.get_text() for ax in figure.axes for t in ax.get_yticklabels() + ax.get_xticklabels()]
    assert any("星辰 $$手机" in label for label in labels), labels


# --- the checks themselves can fail ----------------------------------------------------------

def test_the_checks_would_find_live_markup_formulas_and_personal_data(tmp_path):
    markers = {"zqchk001", "zqchk002", "zqchk003", "zqchk004", "zqchk005", "zqchk006"}
    page = ("<html><head><script src='mathjax.js'></script></head><body><table><tr><td>ok zqchk006</td></tr></table>"
            "<img src=x onerror=alert('zqchk001')><strong>zqchk002</strong><!-- zqchk003 -->"
            "<a href=\"javascript:alert(1)\">x</a><p>$$zqchk004$$</p><script>alert('zqchk005')</script></body></html>")
    shape = HtmlShape(default_parents={"td"}, tags={"html", "head", "body", "table", "tr", "td", "script", "p", "img", "strong", "a"})
    found = "\n".join(html_problems(page, "page", markers, shape))
    for expected in ("onerror", "zqchk001", "inside <strong>", "comment", "script URL", "MathJax", "<script> text"):
        assert expected in found, (expected, found)
    assert "zqchk006" not in found  # text in a table cell is fine

    book = openpyxl.Workbook()
    book.active["A1"] = "=HYPERLINK(\"http://x\",\"y\")"
    book.save(tmp_path / "f.xlsx")
    assert workbook_problems(tmp_path / "f.xlsx", set())

    planted = Planted(tmp_path, tmp_path / "t.yaml", phones={"138 1234 5603"}, phone_digits={"13812345603"},
                      emails={"张伟@例子.中国"}, email_locals={"lily"}, names={"张伟"})
    texts = {"a": "call 138-1234-5603", "b": "mailto:lily@example.org", "c": "张伟", "d": "ok 138****5603 l***@example.org 张*"}
    found = personal_problems(texts, planted)
    assert {line.split(":")[0] for line in found} == {"a", "b", "c"}, found
