"""The issuer's name confirmed by a web address printed on the document.

A body's site is named after it: its initials ("icai.org", "tc.canada.ca",
"dpor.virginia.gov" for the Department of Professional and Occupational
Regulation), its words run together ("heartandstroke.ca") or its one-word
name ("solas.ie"). The address is typed apart from the heading the issuer was
read from, so a name whose initials or letters the address spells is
confirmed. A hosting platform's address ("verify.badgevault.net") spells no
issuer's name and confirms nothing; nor does a host that only contains a
name's word.
"""
from __future__ import annotations

import re

from ..directory import fold
from .candidates import FieldResult
from .names import initials
from .vocabulary import CONNECTOR_WORDS, SHARED_SECOND_LEVELS

ADDRESS = re.compile(r"(?<![@\w.-])(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(/[a-z0-9/_-]*)?", re.I)
PART_MIN = 4      # initials of the name's last words ("dpor") count from this many letters
RUN_MIN = 8       # the name's first words run together count from this many letters
NOT_NAMES = {"www", "verify", "register", "search", "credentials", "credential", "certification", "learn"}


def _spelt(address_labels: set[str], name: str) -> bool:
    words = [w for w in fold(name).split() if w]
    if not words:
        return False
    core = [w for w in words if w not in CONNECTOR_WORDS]
    forms = {"".join(words), "".join(core), initials(words, connectors=True), initials(words)}
    # initials of the name's last words: the body under a place's name ("Virginia | DPOR")
    for seq, connectors in ((core, False), (words, True)):
        forms |= {initials(seq[k:], connectors) for k in range(1, len(seq)) if len(seq) - k >= PART_MIN}
    # the name's first words run together ("heartandstroke.ca")
    forms |= {"".join(words[:k]) for k in range(2, len(words)) if len("".join(words[:k])) >= RUN_MIN}
    forms = {f for f in forms if len(f) >= 2}
    return bool(forms & address_labels)


def _labels(text: str) -> set[str]:
    """The labels of the web addresses in ``text`` that may spell a body's name: not the last
    (the country or kind), nor a second level many bodies share ("gov" of "nursing.gov.uk", "ac"
    of "x.ac.nz": initials such as "AC" would be confirmed by any university's address)."""
    out = set()
    for host, path in ADDRESS.findall(text):
        parts = host.lower().split(".")[:-1]            # the last label is the country or kind (org, ca)
        parts += [p for p in (path or "").lower().split("/") if p][:1]   # "michigan.gov/lara"
        out |= {p for p in parts if p not in NOT_NAMES and p not in SHARED_SECOND_LEVELS and not p.isdigit()}
    return out


def confirm_by_address(doc, res: FieldResult) -> None:
    """Mark ``res`` confirmed when a web address on the document spells the issuer's name."""
    if res.value is None or res.confirmed:
        return
    if _spelt(_labels(doc.layout.text), str(res.value)):
        res.confirmed = "a web address on the document spells the issuer's name"
