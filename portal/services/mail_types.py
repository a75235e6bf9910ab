"""Every kind of email the portal sends, registered by name in one list.

``mailer.init_app`` registers these at start-up; a new kind of email adds its
line here (and its templates in ``templates/email/<kind>.html`` / ``.txt``).
A kind without hooks is rendered from its row's ``context`` alone.
"""
from __future__ import annotations

from portal.services.mailer import MailType
from portal.services.reminders import content as reminder_content

MAIL_TYPES: list[MailType] = [
    MailType("reminder", preload=reminder_content.preload, context=reminder_content.credential_context,
             attachments=reminder_content.expiry_calendar, still_wanted=reminder_content.still_wanted_credential),
    MailType("escalation", preload=reminder_content.preload, context=reminder_content.credential_context,
             attachments=reminder_content.expiry_calendar, still_wanted=reminder_content.still_wanted_credential),
    MailType("missing", preload=reminder_content.preload, context=reminder_content.missing_context,
             still_wanted=reminder_content.still_wanted_missing),
    MailType("digest", default_subject="Your weekly credentials digest"),
    MailType("review", default_subject="About your certificate upload"),
    MailType("request", default_subject="Please upload your certificate"),
    MailType("invite"),
    MailType("verification"),
]
