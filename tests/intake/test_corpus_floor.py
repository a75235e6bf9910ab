"""Accuracy floor on the sample corpus (one process-pool run; slow)."""
import importlib.util

import pytest

from tests.intake.conftest import REPO, corpus_or_skip

# Set from bench/extract.py on this corpus (2 cores): born-digital 100%,
# scans 99%, photos 100%, all kinds 99.7%, values at confidence >= 0.9 right
# 100%. Floors leave a margin (OCR varies a little with load and versions).
FLOOR_TEXT_PDF = 0.98
FLOOR_ALL = 0.96
FLOOR_OCR_KIND = 0.94      # scan_pdf and image each
FLOOR_CONFIDENT = 0.99


@pytest.mark.slow
def test_accuracy_floor_on_sample_corpus():
    folder = corpus_or_skip()
    spec = importlib.util.spec_from_file_location("bench_extract", REPO / "bench" / "extract.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    labels = bench.read_labels([folder])
    results = bench.run_pipeline(labels, 2)

    def accuracy(docs):
        pairs = [(f, results[lb["path"]], lb) for lb in docs for f in bench.FIELDS]
        return sum(bench.matches(f, r.get(f), lb[f]) for f, r, lb in pairs) / len(pairs)

    text = [lb for lb in labels if lb["kind"] == "text_pdf"]
    assert accuracy(text) >= FLOOR_TEXT_PDF
    assert accuracy(labels) >= FLOOR_ALL
    for kind in ("scan_pdf", "image"):
        assert accuracy([lb for lb in labels if lb["kind"] == kind]) >= FLOOR_OCR_KIND, kind
    confident = [(f, results[lb["path"]], lb) for lb in labels for f in bench.FIELDS
                 if results[lb["path"]]["confidence"].get(f, 0) >= 0.9]
    assert sum(bench.matches(f, r.get(f), lb[f]) for f, r, lb in confident) / len(confident) >= FLOOR_CONFIDENT
    assert not any(r["error"] for r in results.values())
