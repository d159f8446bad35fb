"""E-mail over SMTP (the standard library's `smtplib`): one message per person, plain text in
UTF-8, with `Message-ID` derived from the message id so a repeat is recognisable.

Settings: `host` (required), `port` (25), `security` (`none`, `starttls`, `ssl`), `username`,
`password`, `sender` (required: the From address), `timeout_seconds` (10), `per_minute`.
An SMTP 4xx answer may pass later; 5xx is a refusal."""

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr

from services.notifications.channel import ChannelMisconfigured, Outgoing, PermanentFailure, TemporaryFailure, setting


class Email:
    name = "email"
    address = "email"
    per_minute = 300

    def __init__(self, settings: Mapping):
        self.host = setting(settings, self.name, "host", required=True)
        self.port = int(setting(settings, self.name, "port", 25))
        self.security = setting(settings, self.name, "security", "none")
        if self.security not in ("none", "starttls", "ssl"):
            raise ChannelMisconfigured(self.name, "security", "must be none, starttls or ssl")
        self.username = setting(settings, self.name, "username")
        self.password = setting(settings, self.name, "password")
        self.sender = setting(settings, self.name, "sender", required=True)
        self.timeout = float(setting(settings, self.name, "timeout_seconds", 10))

    def send(self, outgoing: Outgoing) -> str:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = formataddr((outgoing.name, outgoing.address)) if outgoing.name else outgoing.address
        mail["Subject"] = outgoing.title
        mail["Message-ID"] = f"<{outgoing.message_id}@linli>"
        mail.set_content(outgoing.body)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as refused:
            code, reason = next(iter(refused.recipients.values()))
            raise _by_code(code, reason) from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, error.smtp_error) from None
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from None
        return mail["Message-ID"]

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.starttls()
        return smtp


def _by_code(code: int, reason: bytes | str) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    failure = TemporaryFailure if 400 <= code < 500 else PermanentFailure
    return failure(f"SMTP {code}: {text}")
