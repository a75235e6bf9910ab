"""Field extraction from the word model: labels, layout, validators, confidence.

For every field there are label synonyms (``intake/data/vocabulary.yaml``); a
value is read inline after its label, in the segment to its right, or in the
segment below it, skipping neighbours that are labels themselves. Dates get a
role (issue, expiry, birth, print, exam, ...) from the nearest label before
them on the line, from a column header above, or from a range ("valid from X
to Y", "X through Y"). Each candidate carries a score built from label
strength, position, validator pass and OCR word confidence; the best
candidate per field wins and its score is the field's confidence.

One module per field (``issuer``, ``holder``, ``license``, ``credential_type``,
``date_roles``), shared ``labels`` and ``candidates``; ``document`` runs them.
"""
from .candidates import Candidate, FieldResult
from .document import DocumentFields
from .labels import hint_label_kind
from .license import id_ambiguity, normalise_id

__all__ = ["Candidate", "DocumentFields", "FieldResult", "hint_label_kind", "id_ambiguity", "normalise_id"]
