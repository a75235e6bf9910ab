"""One document's field readers over a shared context, each read once and in any order.

A reader is a function of this context (``read_issuer(doc)``, ...). Readers
that depend on another field ask the context for it (``doc.issuer_entry``,
``doc.holder_tokens``), which reads that field first if it was not read yet,
so the result never depends on the order callers ask in.
"""
from __future__ import annotations

from copy import copy

from ..directory import Issuer
from ..layout import Layout, Token
from .calibration import calibrate
from .candidates import Candidate, FieldResult, ocr_factor
from .credential_type import read_credential_type
from .date_roles import read_dates
from .holder import read_holder
from .issuer import read_issuer
from .labels import Extractor
from .license import read_license
from .record_rows import CredentialRow, find_credential_row


class DocumentFields:
    """Reads all fields of one document."""

    def __init__(self, layout: Layout, hints: list[dict] | None = None, locale: str | None = None):
        self.layout = layout
        self.ex = Extractor(layout, hints)
        self.hints = self.ex.hints
        self.locale_hint = locale
        self._read: dict[str, object] = {}
        self._issuer_entry: Issuer | None = None
        self.date_order: str | None = None          # set by the date reader
        self.date_order_reason: str | None = None
        self.ambiguous_dates: list[str] = []

    def _once(self, name: str, reader):
        if name not in self._read:
            self._read[name] = reader(self)
        return self._read[name]

    def issuer(self) -> FieldResult:
        return self._once("issuer", read_issuer)

    def holder(self) -> FieldResult:
        return self._once("holder", read_holder)

    def license(self) -> FieldResult:
        return self._once("license", read_license)

    def calibrated(self) -> dict[str, FieldResult]:
        """Every field's result with its confidence mapped by how its words were read
        (``intake.fields.calibration``); the readers' own results keep their raw scores."""
        ctype, _ = self.credential_type()
        raw = {"issuer": self.issuer(), "holder_name": self.holder(), "license_number": self.license(),
               "credential_type": ctype, **self.dates()}
        # the credential type is named by the directory, not read from a label: no evidence for a mapping
        return {name: res if name == "credential_type" else calibrate(copy(res), self._layer(res), name)
                for name, res in raw.items()}

    def _layer(self, res: FieldResult) -> str:
        pages = {t.line.page for t in res.tokens}
        methods = {self.layout.pages_by_number[p].method for p in pages}
        return "text" if methods == {"text"} else "ocr"

    def credential_type(self) -> tuple[FieldResult, str | None]:
        return self._once("credential_type", read_credential_type)

    def dates(self) -> dict[str, FieldResult]:
        return self._once("dates", read_dates)

    def credential_row(self) -> CredentialRow | None:
        """The credential's row in a transcript (shared by the licence and date readers)."""
        return self._once("credential_row", find_credential_row)

    @property
    def issuer_entry(self) -> Issuer | None:
        """The directory entry of the issuer read (the issuer is read first if need be)."""
        self.issuer()
        return self._issuer_entry

    @issuer_entry.setter
    def issuer_entry(self, entry: Issuer | None) -> None:
        self._issuer_entry = entry

    @property
    def holder_tokens(self) -> set[int]:
        """ids of the holder's tokens (the holder is read first if need be)."""
        return {id(t) for t in self.holder().tokens}

    def hint_candidates(self, field: str, parse, base: float) -> list[Candidate]:
        """Values ``parse`` finds among the words inside the boxes learned for ``field``
        (where a reviewer's correction stood), scored ``base`` times their OCR factor."""
        cands = []
        for h in self.hints:
            if h["field"] == field and h.get("bbox"):
                got = parse(self.tokens_in_bbox(h))
                if got:
                    cands.append(Candidate(got[0], got[1], base * ocr_factor(got[1]), "hint_bbox"))
        return cands

    def tokens_in_bbox(self, hint: dict) -> list[Token]:
        x0, top, x1, bottom = hint["bbox"]
        page = hint.get("page", 1)
        pad = 0.01
        return [t for t in self.layout.tokens if t.line.page == page
                and x0 - pad <= t.word.lx <= x1 + pad and top - pad <= t.word.ly <= bottom + pad]
