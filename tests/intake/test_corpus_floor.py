"""Accuracy floor on the sample corpus (one process-pool run; slow)."""
import importlib.util
import json

import pytest

from tests.intake.conftest import REPO, corpus_or_skip

# Set from bench/extract.py on this corpus (2 cores): born-digital 100%,
# all kinds 95%, values at confidence >= 0.9 right 99%. Floors leave a margin.
FLOOR_TEXT_PDF = 0.97
FLOOR_ALL = 0.92
FLOOR_CONFIDENT = 0.97


@pytest.mark.slow
def test_accuracy_floor_on_sample_corpus():
    folder = corpus_or_skip()
    spec = importlib.util.spec_from_file_location("bench_extract", REPO / "bench" / "extract.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    labels = json.loads((folder / "labels.json").read_text())
    results = bench.run_pipeline(folder, labels, 2)

    def accuracy(docs):
        pairs = [(f, results[lb["file"]], lb) for lb in docs for f in bench.FIELDS]
        return sum(bench.matches(f, r.get(f), lb[f]) for f, r, lb in pairs) / len(pairs)

    text = [lb for lb in labels if lb["kind"] == "text_pdf"]
    assert accuracy(text) >= FLOOR_TEXT_PDF
    assert accuracy(labels) >= FLOOR_ALL
    confident = [(f, results[lb["file"]], lb) for lb in labels for f in bench.FIELDS
                 if results[lb["file"]]["confidence"].get(f, 0) >= 0.9]
    assert sum(bench.matches(f, r.get(f), lb[f]) for f, r, lb in confident) / len(confident) >= FLOOR_CONFIDENT
    assert not any(r["error"] for r in results.values())
