"""Benchmark the intake pipeline over a labeled folder.

    python bench/extract.py [FOLDER] [--jobs N] [--no-floor]

FOLDER (default ../shared/corpus/dev relative to the repo root) holds the
documents and labels.json. Prints, per kind (text_pdf, scan_pdf, image) and
per field: accuracy, the share of values at confidence >= 0.9 and their
accuracy, time per document (median, p95), and for OCR kinds the time of the
plain `tesseract` command on the same page images (the floor) with our time as
a ratio to it. Matching rules follow the corpus README: exact ISO dates,
license numbers ignoring spaces, dashes and case, token-set similarity >= 90
for issuer and holder.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, utils  # noqa: E402

from intake.isolate import Worker  # noqa: E402

FIELDS = ("issuer", "holder_name", "license_number", "issue_date", "expiry_date")
KINDS = ("text_pdf", "scan_pdf", "image")
DEFAULT_FOLDER = ROOT / ".." / "shared" / "corpus" / "dev"


def matches(field: str, got, want) -> bool:
    if field in ("issuer", "holder_name", "credential_type"):
        if got is None or want is None:
            return got is None and want is None
        return fuzz.token_set_ratio(got, want, processor=utils.default_process) >= 90
    if field == "license_number":
        norm = lambda v: None if v is None else "".join(v.split()).replace("-", "").upper()  # noqa: E731
        return norm(got) == norm(want)
    return got == want


def run_pipeline(folder: Path, labels: list[dict], jobs: int) -> dict[str, dict]:
    workers = [Worker() for _ in range(jobs)]
    import threading
    local = threading.local()
    pool_ids = iter(range(jobs))
    lock = threading.Lock()

    def one(label: dict) -> tuple[str, dict]:
        if not hasattr(local, "w"):
            with lock:
                local.w = workers[next(pool_ids)]
        return label["file"], local.w.extract(str(folder / label["file"])).to_dict()

    try:
        with ThreadPoolExecutor(jobs) as pool:
            return dict(pool.map(one, labels))
    finally:
        for w in workers:
            w.close()


def page_images(path: Path, tmp: str) -> list[str]:
    """The page images our OCR reads, saved losslessly for the plain tesseract run."""
    from intake.readers import open_image_frames, open_pdf, render_pdf_page
    from intake.sniff import PDF, sniff
    out = []
    if sniff(path) == PDF:
        pdf = open_pdf(str(path))
        for i in range(len(pdf)):
            img = render_pdf_page(pdf[i])
            name = os.path.join(tmp, f"{path.stem}_{i}.pgm")
            img.save(name)
            out.append(name)
        pdf.close()
    else:
        for i, img in enumerate(open_image_frames(str(path))):
            name = os.path.join(tmp, f"{path.stem}_{i}.pgm")
            img.save(name)
            out.append(name)
    return out


def tesseract_floor(folder: Path, labels: list[dict], jobs: int) -> dict[str, float]:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory() as tmp:
        def one(label):
            total = 0.0
            for img in page_images(folder / label["file"], tmp):
                t = time.perf_counter()
                subprocess.run(["tesseract", img, "stdout"], env=env, capture_output=True, check=False)
                total += time.perf_counter() - t
            return label["file"], total
        with ThreadPoolExecutor(jobs) as pool:
            return dict(pool.map(one, labels))


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-floor", action="store_true", help="skip the plain tesseract timing")
    ap.add_argument("--json", help="also write per-document results here")
    ap.add_argument("--errors", action="store_true", help="list every wrong field")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    labels = json.loads((folder / "labels.json").read_text())
    started = time.perf_counter()
    results = run_pipeline(folder, labels, args.jobs)
    wall = time.perf_counter() - started
    floor = {} if args.no_floor else tesseract_floor(
        folder, [lb for lb in labels if lb["kind"] != "text_pdf"], args.jobs)

    print(f"{len(labels)} documents from {folder} with {args.jobs} workers in {wall:.1f} s")
    print(f"\n{'kind':<9} {'field':<15} {'acc':>6} {'n':>4} {'>=0.9':>6} {'acc@0.9':>8}")
    overall = {}
    wrong = []
    for kind in KINDS + ("all",):
        docs = [lb for lb in labels if kind == "all" or lb["kind"] == kind]
        if not docs:
            continue
        hits = total = 0
        for f in FIELDS + ("credential_type",):
            ok, conf_n, conf_ok = 0, 0, 0
            for lb in docs:
                r = results[lb["file"]]
                good = matches(f, r.get(f), lb[f])
                ok += good
                if (r.get("confidence") or {}).get(f, 0) >= 0.9:
                    conf_n += 1
                    conf_ok += good
                if not good and kind == "all":
                    wrong.append((lb["file"], lb["kind"], f, r.get(f), (r.get("confidence") or {}).get(f), lb[f]))
            if f in FIELDS:
                hits += ok
                total += len(docs)
            name = f if f in FIELDS else f"({f})"
            acc9 = f"{conf_ok / conf_n:8.1%}" if conf_n else f"{'-':>8}"
            print(f"{kind:<9} {name:<15} {ok / len(docs):6.1%} {len(docs):4d} {conf_n / len(docs):6.1%} {acc9}")
        overall[kind] = hits / total
        print(f"{kind:<9} {'ALL FIELDS':<15} {hits / total:6.1%}\n")

    print(f"{'kind':<9} {'median s':>9} {'p95 s':>7} {'tess s':>7} {'ratio':>6}  (per document; OCR kinds per page)")
    for kind in KINDS:
        docs = [lb for lb in labels if lb["kind"] == kind]
        if not docs:
            continue
        secs = [results[lb["file"]]["seconds"] / max(1, results[lb["file"]]["pages"] or 1) if kind != "text_pdf"
                else results[lb["file"]]["seconds"] for lb in docs]
        line = f"{kind:<9} {statistics.median(secs):9.3f} {pct(secs, 0.95):7.3f}"
        if floor and kind != "text_pdf":
            ratios = [results[lb["file"]]["seconds"] / floor[lb["file"]] for lb in docs if floor.get(lb["file"])]
            tess = [floor[lb["file"]] for lb in docs if lb["file"] in floor]
            line += f" {statistics.median(tess):7.3f} {statistics.median(ratios):6.2f}  (ratio median; p95 {pct(ratios, 0.95):.2f})"
        print(line)
    errors = [r for r in results.values() if r.get("error")]
    if errors:
        print("\nerrors:", [(r["path"], r["error"]["code"]) for r in errors])
    if args.errors:
        print("\nwrong fields:")
        for row in wrong:
            print("  ", *row)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
