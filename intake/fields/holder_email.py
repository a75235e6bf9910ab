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
MIN_PART = 2          # a given or family name this long at least (initials are no evidence)


def _name_parts(name: str) -> tuple[str, str] | None:
    words = [w for w in fold(name).split() if w not in SUFFIXES and len(w) > 1]
    if len(words) < 2:
        return None
    given = words[0]
    family = words[-1]
    # a family name with particles is typed run together ("De la Cruz" -> "delacruz")
    k = len(words) - 1
    while k - 1 > 0 and words[k - 1] in NAME_PARTICLES:
        k -= 1
    family_joined = "".join(words[k:])
    return given, family_joined if k < len(words) - 1 else family


def confirm_by_email(doc, res: FieldResult) -> None:
    """Mark ``res`` confirmed when an e-mail address on the document spells its given and family name."""
    if res.value is None:
        return
    parts = _name_parts(str(res.value))
    if parts is None or min(len(p) for p in parts) < MIN_PART:
        return
    given, family = parts
    for address in EMAIL.findall(doc.layout.text):
        local = fold(address.split("@")[0].replace("_", ".").replace("-", ".")).split()
        joined = "".join(local)
        if given in local and (family in local or joined.endswith(family) or joined == given + family):
            res.confirmed = "the holder's own e-mail address spells the name"
            return
