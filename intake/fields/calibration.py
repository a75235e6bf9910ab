"""Raw reader scores mapped to confidences a reviewer can trust, by how the words were read.

A reader's score says how well a value fits its label, place and shape; how
often such a value is right also depends on whether its words are exact (a
PDF's text layer) or an OCR reading. Checked on the val sample (documents kept
apart from the rules' development): values read from a text layer with a raw
score of 0.8 or more were right 87 times in 87 (dev: 5 in 5), the same scores
on OCR'd words 92-95%. So a text-layer value from 0.8 up is confident; OCR'd
values keep their raw score. A value's own cap (a day/month order only the
locale decided, an OCR character-class guess) still bounds it. Agreement
between fields is a reader's own signal, already in the raw score: an issue
and an expiry a whole validity period apart confirm each other
(``date_roles.PAIR_CONFIDENCE``).
"""
from __future__ import annotations

from .candidates import FUZZY_BELOW, FieldResult
from .names import may_have_lost_accents

# (raw score from which, confidence at least) per way the words were read
RAW_TO_CONFIDENT = {"text": (0.8, 0.9), "ocr": None}
# ... and per field where it differs. A licence number on a text layer has
# its characters exactly; its raw score is its label's strength, and a label
# read by its words' meaning ("Enrolment No.", "Registration number") scores
# 0.675-0.75. On val such numbers from 0.65 up were right 20 times in 20 (dev:
# 1 in 1); below, they had a rival number close behind. A transcript row's
# number keeps its cap (its column, not a label, says what it is).
#
# A holder's name on a text layer has its letters exactly; its raw score is
# where it stood (a label, an intro, a line of its own) times how much it
# reads as a person's name, lowered when a rival name came close. Fitted on
# dev: text-layer names from 0.59 up were right 13 times in 13 (the lowest
# 0.598); checked on val: 31 in 31 (after the intro and signatory fixes of
# the holder reader; the wrong ones scored 0.39 or less). A bare name-shaped
# line with no label (0.558) stays below.
FIELD_RAW_TO_CONFIDENT = {("text", "license_number"): (0.65, 0.9), ("text", "holder_name"): (0.59, 0.9)}

# An OCR'd date is right when its role is (what its raw score measures, as on a text layer,
# where dates from 0.8 up are confident) and its digits are: Tesseract read every one of its
# words at OCR_SPELT or more. Fitted on dev: OCR'd dates whose words were all read so surely
# were right 47 times in 47 (none of them misread; role scores at 0.9 and more); checked on
# val: 96 in 96, the 6 among them from 0.8 to 0.9 included. A day/month order only the locale
# decided keeps its cap (0.7) and stays below.
#
# An OCR'd holder's name likewise, unless a word of it may have lost its diacritics
# (``names.may_have_lost_accents``: "Bjorn Schafer" for "Björn Schäfer", the one way OCR'd
# names that scored this high were wrong). Fitted on dev: names so read from 0.8 up were
# right 9 times in 9; checked on val: 12 in 12. The two OCR'd names from 0.8 up that were
# wrong (dev "Ostergaard" for "Østergaard", val "Bjorn Schafer") lost diacritics, and each
# guard alone leaves them out (their words were read at 0.73-0.79).
OCR_RAW_TO_CONFIDENT = {"issue_date": (0.8, 0.9), "expiry_date": (0.8, 0.9), "holder_name": (0.8, 0.9)}
OCR_SPELT = FUZZY_BELOW


# A value its reader found confirmed by a signal independent of the one that chose it
# (``FieldResult.confirmed``: an issuer printed letter for letter in a second place) is
# confident on any layer. On val, issuers confirmed so were right 74 times in 74 (dev: 38 in
# 38), first readings; every wrong issuer there was printed once.
CONFIRMED = 0.9
# A confirmation lifts only a value its reader already rated this much (raw): a second place
# that agrees with a weak reading (a misread heading, a candidate a close rival nearly beat)
# says less than one agreeing with a value its label and shape chose. Every confirmation, of
# every field, obeys it.
CONFIRMED_MIN_RAW = 0.5


def _spelt_surely(result: FieldResult, field: str) -> bool:
    """Tesseract read every word of the value at OCR_SPELT or more (and, for a name, none may
    have lost its diacritics)."""
    return bool(result.tokens) and min(t.word.conf for t in result.tokens) >= OCR_SPELT \
        and not (field == "holder_name" and may_have_lost_accents([t.text for t in result.tokens]))


def _rule(result: FieldResult, layer: str, field: str | None) -> tuple[float, float] | None:
    """(raw score from which, confidence at least) for this value, or None."""
    if layer == "ocr" and field in OCR_RAW_TO_CONFIDENT and _spelt_surely(result, field):
        return OCR_RAW_TO_CONFIDENT[field]
    return FIELD_RAW_TO_CONFIDENT.get((layer, field)) or RAW_TO_CONFIDENT.get(layer)


def calibrate(result: FieldResult, layer: str, field: str | None = None) -> FieldResult:
    raw = result.confidence
    rule = _rule(result, layer, field)
    if rule and result.stated and raw >= rule[0]:
        result.confidence = round(min(max(raw, rule[1]), result.cap), 3)
    if result.confirmed and result.stated and raw >= CONFIRMED_MIN_RAW:
        result.confidence = round(min(max(result.confidence, CONFIRMED), result.cap), 3)
    return result
