"""The holder's name confirmed by an e-mail address printed on the document.

Transcripts, forwarded confirmations and registry printouts print the
holder's own address ("E-mail declan.scott@proton.me", "Kwame Choi
<kwame.choi@outlook.com>"). Its local part is typed apart from the name on the
page; when it holds the name's given name and family name (as parts split at
dots, dashes and underscores, or run together: "tariq.delacruz" for "Tariq
Carlos De la Cruz"), the two agree and the name is confirmed. An address with
the given name only ("frank@...", a colleague's) confirms nothing.
"""
from __future__ import annotations

import re

from ..directory import fold
from .candidates import FieldResult
from .vocabulary import NAME_PARTICLES, SUFFIXES

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _name_parts(name: str) -> tuple[str, str] | None:
    """(given name, family name) of ``name``, the family name's particles run together
    ("De la Cruz" -> "delacruz"); initials are no evidence, so single letters are left out."""
    words = [w for w in fold(name).split() if w not in SUFFIXES and len(w) > 1]
    if len(words) < 2:
        return None
    k = len(words) - 1
    while k - 1 > 0 and words[k - 1] in NAME_PARTICLES:
        k -= 1
    return words[0], "".join(words[k:])


def confirm_by_email(doc, res: FieldResult) -> None:
    """Mark ``res`` confirmed when an e-mail address on the document spells its given and family name."""
    if res.value is None:
        return
    parts = _name_parts(str(res.value))
    if parts is None:
        return
    given, family = parts
    for address in EMAIL.findall(doc.layout.text):
        local = fold(address.split("@")[0]).split()   # (fold splits at dots, dashes and underscores)
        if given in local and (family in local or "".join(local).endswith(family)):
            res.confirmed = "the holder's own e-mail address spells the name"
            return
