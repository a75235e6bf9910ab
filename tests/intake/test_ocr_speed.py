"""What the OCR path's speed-ups must keep: the same label matches, barcodes and upright pages."""
from intake.fields import labels
from intake.layout import Layout
from intake.model import Page, Word

W, H = 2550, 3300      # a letter page at 300 dpi


def ocr_page(rows, size=40):
    """A Page of OCR words: rows of (x_px, y_px, text, conf)."""
    words = []
    for x, y, text, conf in rows:
        for part in text.split():
            w = 0.55 * size * len(part)
            words.append(Word(part, x / W, y / H, (x + w) / W, (y + size) / H, 1, conf, size / H))
            x += w + 0.5 * size
    return Page(1, words, "ocr", W, H)


MISREAD = [(200, 300, "Harbor Valley Welding Institute", 0.95),
           (200, 500, "Expiratlon Date", 0.6), (900, 500, "May 21, 2022", 0.9),
           (200, 600, "DateIssued", 0.6), (900, 600, "May 21, 2021", 0.9),
           (200, 700, "Certifcate Numbr", 0.5), (900, 700, "HVW-40917", 0.9),
           (200, 800, "Issued", 0.8), (200, 900, "Holder Narne", 0.55), (900, 900, "Ann Lee", 0.9)]


def _matches(hints=None):
    ex = labels.Extractor(Layout([ocr_page(MISREAD)]), hints)
    return [(m.line.tokens[m.first].text, m.kind, m.phrase, m.first, m.last, m.strength)
            for _, ms in sorted(ex.labels.items()) for m in ms]


def test_fuzzy_label_pass_finds_what_the_whole_table_scan_finds(monkeypatch):
    hints = [{"field": "license_number", "label": "Registrn No"}]
    fast = _matches(), _matches(hints)
    kinds = {(text, kind) for text, kind, *_ in fast[0]}
    assert ("Expiratlon", "date:expiry") in kinds           # a misread word
    assert ("DateIssued", "date:issue") in kinds            # two words OCR merged
    assert ("Narne", "holder_name") in kinds or ("Holder", "holder_name") in kinds
    # the prefilter only skips phrases that cannot match: scanning every phrase gives the same
    monkeypatch.setattr(labels._LabelIndex, "fuzzy_entries", lambda self, norms, unsure: self.table)
    assert (_matches(), _matches(hints)) == fast
