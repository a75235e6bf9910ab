"""Reviewer corrections become hints for the next document from the same issuer.

A hint is a JSON-serialisable dict::

    {"field": "license_number", "label": "Member Ref", "position": "right",
     "page": 1, "bbox": [x0, top, x1, bottom], "issuer": "Acme Safety Ltd"}

``label`` is the text printed next to (left of, or above) the corrected value;
``extract(path, hints=[...])`` treats it as the strongest label for that field.
``bbox`` (page fractions) is where the value stood; when the label is not
found in a new document, words in that box are read as the value. A date
hint's label is a label of that date role, and ``date_order`` ("DMY" or
"MDY", set when the corrected date is numeric and reads otherwise the other
way round) is the issuer's convention, used for its documents' ambiguous dates.

The portal keeps hints per issuer key (``code:<directory code>`` or
``name:<folded name>``, spelled by ``code_key``/``name_key``) and may hand
a reading the hints of every taught issuer (``extract(path, taught={key:
[hint, ...]})``): the pipeline applies those of the issuer it found
(``taught_for``) to the pages it already read.
"""
from __future__ import annotations

import datetime as dt
import re

from .dates import decide_order, find_dates
from .directory import find_issuer, fold
from .layout import Layout, Token
from .readers import read_document

HINT_FIELDS = ("holder_name", "license_number", "credential_type", "issue_date", "expiry_date", "issuer")


def code_key(code: str) -> str:
    """The key of an issuer the directory (or the portal) lists by code."""
    return f"code:{code}"


def name_key(name: str | None) -> str | None:
    """The key of an issuer known only by the name printed (folded), if it has one."""
    folded = fold(name or "")
    return f"name:{folded}"[:200] if folded else None


def taught_keys(issuer: str | None, issuer_code: str | None) -> list[str]:
    """The keys a reading's issuer may have been taught under, the portal's
    choice first: its code when read, else the code of the directory entry
    its name matches, else its name."""
    if issuer_code:
        return [code_key(issuer_code)]
    if not issuer:
        return []
    found = find_issuer(issuer)
    return [key for key in (code_key(found[0].code) if found else None, name_key(issuer)) if key]


def taught_for(issuer: str | None, issuer_code: str | None, taught: dict[str, list[dict]]) -> list[dict]:
    """The hints taught for the issuer read (``taught`` maps issuer keys to hints)."""
    return next((taught[key] for key in taught_keys(issuer, issuer_code) if taught.get(key)), [])


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).upper()


def _find_date(layout: Layout, field: str, value: str) -> tuple[list[Token] | None, str | None]:
    """Where the corrected date is printed, and the day/month order it was printed in
    (None when the mention reads the same either way or is not numeric)."""
    target = dt.date.fromisoformat(value)
    mentions = find_dates(layout.text)
    for order in (decide_order(mentions, None)[0], "MDY", "DMY"):
        for m in mentions:
            if m.resolve(order, end_of_month=field == "expiry_date") == target:
                other = "DMY" if order == "MDY" else "MDY"
                swapped = m.resolve(other, end_of_month=True) if m.kind == "numeric" else None
                ambiguous = swapped is not None and swapped != target
                return layout.tokens_in(m.start, m.end), (order if ambiguous else None)
    return None, None


def _find_value(layout: Layout, field: str, value: str) -> list[Token] | None:
    want = _norm(value)
    if not want:
        return None
    toks = layout.tokens
    for i in range(len(toks)):
        acc = ""
        for j in range(i, min(i + 8, len(toks))):
            if toks[j].line is not toks[i].line:
                break
            acc += _norm(toks[j].text)
            if acc == want or (field == "holder_name" and sorted(acc) == sorted(want) and len(acc) == len(want)):
                return toks[i:j + 1]
            if not want.startswith(acc) and field != "holder_name":
                break
    if field == "holder_name":   # printed "LAST, FIRST": look for the words in any order on one line
        words = {_norm(w) for w in value.split()}
        for line in layout.lines:
            got = [t for t in line.tokens if _norm(t.text) in words]
            if {_norm(t.text) for t in got} == words:
                return got
    return None


def hints_from_correction(extraction: dict, field: str, corrected_value: str) -> dict:
    """A hint from a reviewer's correction of ``field`` to ``corrected_value``.

    ``extraction`` is ``Extraction.to_dict()`` of the document the reviewer
    corrected; the document at ``extraction["path"]`` is read again to find
    where the corrected value is printed and which label stands before or
    above it. Returns at least ``{"field", "value"}``; ``label``/``bbox`` when
    the value was found.
    """
    if field not in HINT_FIELDS:
        raise ValueError(f"no hints for field {field!r}")
    hint: dict = {"field": field, "value": corrected_value}
    if extraction.get("issuer"):
        hint["issuer"] = extraction["issuer"]
    doc = read_document(extraction["path"])
    layout = Layout(doc.pages)
    if field in ("issue_date", "expiry_date"):
        toks, order = _find_date(layout, field, corrected_value)
        if order:
            hint["date_order"] = order   # the issuer's convention for numeric dates
    else:
        toks = _find_value(layout, field, corrected_value)
    if not toks:
        return hint
    words = [t.word for t in toks]
    hint["page"] = words[0].page
    hint["bbox"] = [round(min(w.x0 for w in words), 4), round(min(w.top for w in words), 4),
                    round(max(w.x1 for w in words), 4), round(max(w.bottom for w in words), 4)]
    line = toks[0].line
    before = [t for t in line.tokens[:line.tokens.index(toks[0])] if t.seg in (toks[0].seg, toks[0].seg - 1)]
    label_toks = [t for t in before if t.seg == (before[-1].seg if before else -1)]
    position = "right" if label_toks and label_toks[-1].seg != toks[0].seg else "inline"
    if not label_toks:
        x0, x1 = layout.xspan(toks)
        above = layout.above(line, x0, x1)
        if above:
            label_toks, position = above, "below"
    label_toks = label_toks[-4:]
    if label_toks:
        label = " ".join(t.text for t in label_toks).strip().rstrip(":#").strip()
        if label and len(label) <= 40:
            hint["label"] = label
            hint["position"] = position
    return hint
