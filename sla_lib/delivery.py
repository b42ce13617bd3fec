"""E-mail a published report: the month's index as the HTML body (with a plain-text
alternative), the PDFs and the Excel workbook attached.

SMTP through :mod:`smtplib`, STARTTLS when asked, the password from an environment variable
(never from the command line, where ``ps`` and shell history would show it). Every failure
(connection, TLS, authentication, refused recipients) is one :class:`SlaError` naming the
server, so ``sla report`` prints one line and exits 1.
"""

from __future__ import annotations

import base64
import os
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

from . import published
from .errors import SlaError
from .report import ReportResult, attachment_name, render_index, render_index_text, workbook_attachment_name

MIME_TYPES = {
    ".pdf": ("application", "pdf"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".html": ("text", "html"),
}


def parse_recipients(mail_to) -> list[str]:
    """'a@x,b@y' (commas or semicolons) or a list of addresses -> ['a@x', 'b@y']."""
    if isinstance(mail_to, str):
        mail_to = mail_to.replace(";", ",").split(",")
    pairs = getaddresses([m.strip() for m in mail_to if m and m.strip()])
    addresses = [addr for _, addr in pairs]
    bad = [a for a in addresses if "@" not in a or a.startswith("@") or a.endswith("@")]
    if bad or not addresses:
        raise SlaError(f"mail-to: not an e-mail address: {', '.join(map(repr, bad)) or '(none given)'}")
    return addresses


def parse_sender(mail_from: str) -> str:
    """The sender's address ('SLA 报告 <sla@x.cn>' or 'sla@x.cn'), checked like a recipient;
    one line naming the option when it is not an address."""
    pairs = getaddresses([mail_from.strip()])
    address = pairs[0][1] if len(pairs) == 1 else ""
    if "@" not in address or address.startswith("@") or address.endswith("@") or any(c in mail_from for c in "\r\n"):
        raise SlaError(f"mail-from: not an e-mail address: {mail_from!r}")
    return mail_from.strip()


def report_subject(result: ReportResult) -> str:
    # the contract id comes from the terms file: masked, and no line break can reach the header
    subject = f"[SLA] {result.month} 月度报告 / monthly report — {published.text(result.contract_id)}"
    if result.quarter:
        subject += f" (+ {result.quarter} 季度趋势 / quarterly trends)"
    return subject


def build_message(result: ReportResult, recipients: list[str], sender: str) -> EmailMessage:
    """multipart/mixed: [multipart/alternative: text/plain, text/html], PDFs, workbooks.
    Attachment names are the reports' titles (UTF-8, RFC 2231)."""
    msg = EmailMessage()
    msg["Subject"] = report_subject(result)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(render_index_text(result))
    msg.add_alternative(render_index(result, for_mail=True), subtype="html")
    files = [(result.folder / d.pdf, attachment_name(d, result.month, ".pdf")) for d in result.documents if d.pdf]
    files += [(path, workbook_attachment_name(result, path)) for path in result.xlsx]
    for path, name in files:
        maintype, subtype = MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=name)
    return msg


def _password(smtp_user: str | None, password_env: str) -> str | None:
    if not smtp_user:
        return None
    password = os.environ.get(password_env)
    if password is None:
        raise SlaError(f"SMTP user {smtp_user!r} given but the environment variable {password_env} (its password) is not set")
    return password


def resolve_sender(sender: str | None, smtp_user: str | None) -> str:
    """The From address: ``sender`` (checked), else ``smtp_user`` when it is an address,
    else sla-report@<this host>."""
    if sender:
        return parse_sender(sender)
    return smtp_user if smtp_user and "@" in smtp_user else f"sla-report@{socket.getfqdn()}"


def send_report(
    result: ReportResult,
    mail_to,
    smtp_host: str,
    smtp_port: int = 25,
    smtp_user: str | None = None,
    password_env: str = "SLA_SMTP_PASSWORD",
    starttls: bool = False,
    sender: str | None = None,
    timeout: float = 60,
    ssl_context: ssl.SSLContext | None = None,
) -> EmailMessage:
    """Send the report to ``mail_to`` ('a@x,b@y' or a list) and return the message sent.

    ``smtp_user``: log in (AUTH) with the password from the environment variable
    ``password_env``; ``starttls``: upgrade the connection before logging in (the server's
    certificate is verified against the system's CAs, or ``ssl_context``); ``sender``:
    the From address (default: ``smtp_user`` when it is an address, else
    sla-report@<this host>)."""
    recipients = parse_recipients(mail_to)
    sender = resolve_sender(sender, smtp_user)
    msg = build_message(result, recipients, sender)
    return send_message(msg, recipients, sender, smtp_host, smtp_port, smtp_user, password_env, starttls, timeout, ssl_context)


def send_message(msg: EmailMessage, recipients: list[str], sender: str, smtp_host: str, smtp_port: int = 25,
                 smtp_user: str | None = None, password_env: str = "SLA_SMTP_PASSWORD", starttls: bool = False,
                 timeout: float = 60, ssl_context: ssl.SSLContext | None = None) -> EmailMessage:
    """Deliver ``msg`` over SMTP (the report, the outlook digest); every failure is one
    SlaError naming the server."""
    password = _password(smtp_user, password_env)
    server = f"{smtp_host}:{smtp_port}"
    try:
        with smtplib.SMTP(smtp_host, int(smtp_port), timeout=timeout) as smtp:
            smtp.ehlo()
            if starttls:
                if not smtp.has_extn("starttls"):
                    raise SlaError(f"SMTP server {server} does not offer STARTTLS (drop --starttls only if the network is trusted)")
                smtp.starttls(context=ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if smtp_user:
                _login(smtp, smtp_user, password)
            refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise SlaError(f"SMTP server {server}: authentication failed for user {smtp_user!r}: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SlaError(f"SMTP server {server}: {exc}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SlaError(f"SMTP server {server} refused every recipient: {_refusals(exc.recipients)}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise SlaError(f"SMTP server {server} refused the sender {exc.sender!r}: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPResponseException as exc:
        raise SlaError(f"SMTP server {server}: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPException as exc:
        raise SlaError(f"SMTP server {server}: {exc}") from None
    except ssl.SSLError as exc:
        raise SlaError(f"SMTP server {server}: TLS failed: {exc.reason or exc}") from None
    except OSError as exc:  # refused, unreachable, unknown host, timeout
        raise SlaError(f"cannot connect to SMTP server {server}: {exc.strerror or exc}") from None
    except UnicodeEncodeError:
        raise SlaError(f"SMTP server {server} offers no AUTH PLAIN, and its other methods take ASCII user names and passwords only") from None
    if refused:
        raise SlaError(f"SMTP server {server} refused some recipients (the others got the message): {_refusals(refused)}")
    return msg


# -- the outlook digest (issue 15) ------------------------------------------------------------

_DIGEST_TABLES = ("kpis", "takes", "fee", "deadlines")


def outlook_message(outlook, terms, lang: str, recipients: list[str], sender: str) -> EmailMessage:
    """The daily digest of the month in progress (:func:`sla_lib.outlook.month_outlook`): a
    short HTML e-mail with a plain-text part, the tables of :func:`sla_lib.outlook.outlook_tables`
    in ``lang``. Written by the same layer as the reports: cells through
    :func:`sla_lib.display.show` / :func:`sla_lib.display.cell_text`, the contract id through
    :mod:`sla_lib.published` (masked, escaped, no line break in a header)."""
    from . import labels as L
    from .display import cell_text, show
    from .outlook import outlook_tables

    t = L.DIGEST[lang]
    tables = outlook_tables(outlook)
    contract = published.text(terms.contract.id)
    warnings = [d for d in outlook.deadlines if d.status in ("passed", "today", "soon")]
    subject = t["subject"].format(month=outlook.month, as_of=outlook.as_of, contract=contract)
    lines = [subject, ""]
    lines += [t["warning"].format(deadline=cell_text(d.key, lang), date=d.date, days=d.days_left) for d in warnings]
    html = [f"<h1>{published.html_text(subject)}</h1>"]
    html += [f'<p style="color:#b42318">{published.html_text(t["warning"].format(deadline=cell_text(d.key, lang), date=d.date, days=d.days_left))}</p>'
             for d in warnings]
    for name in _DIGEST_TABLES:
        frame = tables[name]
        html += [f"<h2>{published.html_text(t[name])}</h2>", show(frame, lang)._repr_html_()]  # a table, or '(none)' prose
        lines += ["", t[name], " | ".join(L.column(c, lang) for c in frame.columns)]
        lines += [" | ".join(cell_text(v, lang) for v in row) for row in frame.itertuples(index=False, name=None)]
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content("\n".join(lines) + "\n")
    msg.add_alternative(f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
                        f"<title>{published.html_text(subject)}</title></head><body>{''.join(html)}</body></html>", subtype="html")
    return msg


def send_outlook(outlook, terms, lang: str, mail_to, smtp_host: str, smtp_port: int = 25, smtp_user: str | None = None,
                 password_env: str = "SLA_SMTP_PASSWORD", starttls: bool = False, sender: str | None = None,
                 timeout: float = 60, ssl_context: ssl.SSLContext | None = None) -> EmailMessage:
    """Send the outlook digest (:func:`outlook_message`) to ``mail_to``; errors as :func:`send_message`'s."""
    recipients = parse_recipients(mail_to)
    sender = resolve_sender(sender, smtp_user)
    msg = outlook_message(outlook, terms, lang, recipients, sender)
    return send_message(msg, recipients, sender, smtp_host, smtp_port, smtp_user, password_env, starttls, timeout, ssl_context)


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """One AUTH attempt: PLAIN when offered (UTF-8 credentials, RFC 4616, which smtplib's
    login() cannot send), else smtplib's choice. No retry with another method after a
    refusal, so a wrong password costs one failed attempt, not several (lockout policies)."""
    mechanisms = smtp.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" not in mechanisms:
        smtp.login(user, password)
        return
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, response = smtp.docmd("AUTH", "PLAIN " + token)
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, response)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refusals(refused: dict) -> str:
    return "; ".join(f"{addr}: {code} {_text(text)}" for addr, (code, text) in refused.items())
