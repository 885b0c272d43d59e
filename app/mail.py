"""Sending email over SMTP, configured by a URL (`MAIL_URL`).

    smtp://relay.example.nhs.uk:25            plain SMTP (a local relay)
    smtp://user:password@host:587?starttls=1  SMTP with STARTTLS and a login
    smtps://user:password@host:465            SMTP over TLS

An empty `MAIL_URL` writes each email to the log instead (the demo and development).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

# Short: the delivery job waits on the relay inside its transaction (see app.notifications).
SMTP_TIMEOUT_SECONDS = 5


class MailError(Exception):
    """The email could not be handed to the mail server; it may be tried again later."""


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(body)
    return message


class Mailer:
    """One connection to the mail server (or to the log), sending one email at a time."""

    def __init__(self, sender: str, smtp: smtplib.SMTP | None) -> None:
        self.sender = sender
        self._smtp = smtp

    def send(self, to: str, subject: str, body: str) -> None:
        """Hand one email over (raises MailError if the server refuses it)."""
        message = build_message(self.sender, to, subject, body)
        if self._smtp is None:
            logger.info("Email (MAIL_URL is empty, not sent) to %s: %s\n%s", to, subject, body)
            return
        try:
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"{type(error).__name__}: {error}") from error


def _connect(mail_url: str) -> smtplib.SMTP:
    url = urlsplit(mail_url)
    if url.scheme not in ("smtp", "smtps"):
        raise MailError(f"MAIL_URL must start with smtp:// or smtps://, not {url.scheme}://")
    options = parse_qs(url.query)
    host = url.hostname or "localhost"
    try:
        if url.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host,
                url.port or 465,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(host, url.port or 25, timeout=SMTP_TIMEOUT_SECONDS)
        if options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            smtp.starttls(context=ssl.create_default_context())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"{type(error).__name__}: {error}") from error
    return smtp


@contextmanager
def connect(mail_url: str, sender: str) -> Iterator[Mailer]:
    """A mailer on one connection to `mail_url` (raises MailError if the server is down)."""
    if not mail_url:
        yield Mailer(sender, None)
        return
    smtp = _connect(mail_url)
    try:
        yield Mailer(sender, smtp)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
