"""Benchmark the intake pipeline over a labeled folder.

    python bench/extract.py [FOLDER ...] [--jobs N] [--no-floor] [--cache DIR] [--by-layout]

FOLDER is a path or a corpus name (``dev``, ``val``: ../shared/corpus/NAME);
without it, ``$CREDWATCH_CORPUS`` or ``dev``. It holds the documents and
labels.json; several folders are scored as one sample. Prints, per kind
(text_pdf, scan_pdf, image) and per field: accuracy, the share of values at
confidence >= 0.9 and their accuracy; the share of documents with all five
fields right; the calibration table
(confidence bucket -> share right); time per document (median, p95), and for
OCR kinds the time of the plain `tesseract` command on the same page images
(the floor) with our time as a ratio to it.

Scoring is strict, as the held-out set is scored: exact ISO dates; license
numbers ignoring spaces, dashes and case; issuer and holder equal after case
folding and word order (token-sort similarity >= 90), so a sub-string of the
issuer or a name with extra words does not count. An issuer given as the
initials of its name (a well-known acronym) counts.

``--cache DIR`` keeps each file's OCR'd pages (keyed by the file's content and
the reader code) so that iterating on field rules does not OCR again; it runs
the pipeline in-process (no isolation) and its timings are then meaningless.

``--by-layout`` adds the leave-one-layout-out table over the layouts that the
labels' notes name (``layout=...``): each layout's share of fields right, and
their mean and worst. Nothing in the pipeline is fitted on corpus documents
(its rules and tables are written by hand, its learned hints come from
reviewers at run time), so a layout's figure is already its held-out figure;
the mean over layouts weighs a rare layout as much as a common one, and the
worst layout is the one a new customer's certificates may look like.
"""
from __future__ import annotations

import argparse
import hashlib
import re
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
CORPORA = ROOT / ".." / "shared" / "corpus"
_MINOR = {"of", "for", "and", "the", "in", "und", "für", "de", "du", "la", "&"}


def corpus_folder(name: str | None) -> Path:
    """A corpus folder from a path or a name under ../shared/corpus."""
    name = name or os.environ.get("CREDWATCH_CORPUS") or "dev"
    path = Path(name)
    return path if path.exists() and (path / "labels.json").exists() else CORPORA / name


def _acronym(name: str) -> str:
    return "".join(w[0] for w in utils.default_process(name).split() if w not in _MINOR)


def matches(field: str, got, want) -> bool:
    if field in ("issuer", "holder_name", "credential_type"):
        if got is None or want is None:
            return got is None and want is None
        if field == "credential_type":   # reported, not scored: names of types vary legitimately
            return fuzz.token_set_ratio(got, want, processor=utils.default_process) >= 90
        if fuzz.token_sort_ratio(got, want, processor=utils.default_process) >= 90:
            return True
        compact = utils.default_process(got).replace(" ", "")
        return field == "issuer" and len(compact) >= 2 and compact == _acronym(want)
    if field == "license_number":
        norm = lambda v: None if v is None else "".join(v.split()).replace("-", "").upper()  # noqa: E731
        return norm(got) == norm(want)
    return got == want


def _code_version() -> str:
    """A digest of the code that turns a file into pages: a cache entry is stale when it changes."""
    h = hashlib.sha256()
    for name in ("readers.py", "ocr.py", "render.py", "sniff.py", "photo.py", "codes.py", "model.py"):
        f = ROOT / "intake" / name
        if f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _cached_extract(args: tuple[str, str, str]) -> tuple[str, dict]:
    """One document through the pipeline in this process, its pages read once per content and code."""
    import pickle

    from intake import pipeline, readers
    path, cache, version = args
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:24]
    base = Path(cache) / f"{digest}-{version}"

    def memo(suffix, fn):
        def wrapped(*a, **kw):
            f = base.with_suffix(suffix + "".join(f"-{x}" for x in a[3:]))   # (reread's look)
            if f.exists():
                return pickle.loads(f.read_bytes())
            value = fn(*a, **kw)
            f.write_bytes(pickle.dumps(value))
            return value
        return wrapped

    originals = _ORIGINALS or _ORIGINALS.update(read=readers.read_document, alt=readers.reread) or _ORIGINALS
    pipeline.read_document = memo(".pages", originals["read"])
    readers.reread = memo(".alt", originals["alt"])
    return path, pipeline.extract_document(path).to_dict()


_ORIGINALS: dict = {}


def run_cached(labels: list[dict], jobs: int, cache: str) -> dict[str, dict]:
    from concurrent.futures import ProcessPoolExecutor
    os.makedirs(cache, exist_ok=True)
    version = _code_version()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")   # one thread per tesseract, as the workers run it
    with ProcessPoolExecutor(jobs) as pool:
        return dict(pool.map(_cached_extract, [(lb["path"], cache, version) for lb in labels]))


def run_pipeline(labels: list[dict], jobs: int) -> dict[str, dict]:
    workers = [Worker() for _ in range(jobs)]
    import threading
    local = threading.local()
    pool_ids = iter(range(jobs))
    lock = threading.Lock()

    def one(label: dict) -> tuple[str, dict]:
        if not hasattr(local, "w"):
            with lock:
                local.w = workers[next(pool_ids)]
        return label["path"], local.w.extract(label["path"]).to_dict()

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


def tesseract_floor(labels: list[dict], jobs: int) -> dict[str, float]:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory() as tmp:
        def one(label):
            total = 0.0
            for img in page_images(Path(label["path"]), tmp):
                t = time.perf_counter()
                subprocess.run(["tesseract", img, "stdout"], env=env, capture_output=True, check=False)
                total += time.perf_counter() - t
            return label["path"], total
        with ThreadPoolExecutor(jobs) as pool:
            return dict(pool.map(one, labels))


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


BUCKETS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def print_calibration(labels: list[dict], results: dict[str, dict]) -> None:
    """Confidence bucket -> share right, and the >= 0.9 precision and coverage (target 99.5% / 75%)."""
    rows = [((results[lb["path"]].get("confidence") or {}).get(f, 0.0), matches(f, results[lb["path"]].get(f), lb[f]))
            for lb in labels for f in FIELDS]
    print(f"{'confidence':<12} {'n':>5} {'right':>7}")
    for lo, hi in zip(BUCKETS, BUCKETS[1:] + (1.01,)):
        got = [ok for c, ok in rows if lo <= c < hi]
        if got:
            print(f"[{lo:.2f},{min(hi, 1):.2f}{')' if hi <= 1 else ']'} {len(got):5d} {sum(got) / len(got):7.1%}")
    sure = [ok for c, ok in rows if c >= 0.9]
    if sure:
        print(f">= 0.9: {len(sure) / len(rows):.1%} of fields, {1 - sum(sure) / len(sure):.1%} of them wrong "
              f"({len(sure) - sum(sure)} values)\n")


def layout_of(label: dict) -> str:
    found = re.search(r"layout=([\w-]+)", label.get("notes") or "")
    return found.group(1) if found else "(none named)"


def print_by_layout(labels: list[dict], results: dict[str, dict]) -> None:
    """Leave-one-layout-out: the share of fields right per layout, its mean and worst."""
    by_layout: dict[str, list[dict]] = {}
    for lb in labels:
        by_layout.setdefault(layout_of(lb), []).append(lb)
    shares = {}
    for layout, docs in by_layout.items():
        right = sum(matches(f, results[lb["path"]].get(f), lb[f]) for lb in docs for f in FIELDS)
        shares[layout] = right / (len(docs) * len(FIELDS))
    print(f"{'layout (held out)':<26} {'docs':>4} {'fields right':>12}")
    for layout, share in sorted(shares.items(), key=lambda item: item[1]):
        print(f"{layout:<26} {len(by_layout[layout]):4d} {share:12.1%}")
    print(f"leave-one-layout-out over {len(shares)} layouts: mean {statistics.mean(shares.values()):.1%}, "
          f"worst {min(shares.values()):.1%}\n")


def read_labels(folders: list[Path]) -> list[dict]:
    """Every folder's labels, each with its document's ``path`` (results are keyed
    by path: file names may repeat across folders)."""
    return [{**lb, "path": str(folder / lb["file"])}
            for folder in folders for lb in json.loads((folder / "labels.json").read_text())]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", help="paths, or dev / val (default $CREDWATCH_CORPUS or dev)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-floor", action="store_true", help="skip the plain tesseract timing")
    ap.add_argument("--json", help="also write per-document results here")
    ap.add_argument("--errors", action="store_true", help="list every wrong field")
    ap.add_argument("--cache", help="keep OCR'd pages here (e.g. /tmp/credwatch-ocr); implies --no-floor")
    ap.add_argument("--by-layout", action="store_true", help="print the leave-one-layout-out table")
    args = ap.parse_args(argv)
    folders = [corpus_folder(name) for name in args.folders or [None]]
    labels = read_labels(folders)
    started = time.perf_counter()
    results = (run_cached(labels, args.jobs, args.cache) if args.cache
               else run_pipeline(labels, args.jobs))
    wall = time.perf_counter() - started
    floor = {} if args.no_floor or args.cache else tesseract_floor(
        [lb for lb in labels if lb["kind"] != "text_pdf"], args.jobs)

    print(f"{len(labels)} documents from {', '.join(map(str, folders))} with {args.jobs} workers in {wall:.1f} s")
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
                r = results[lb["path"]]
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
        all_five = sum(all(matches(f, results[lb["path"]].get(f), lb[f]) for f in FIELDS) for lb in docs)
        print(f"{kind:<9} {'ALL FIELDS':<15} {hits / total:6.1%}   all five right on {all_five / len(docs):.1%}\n")
    print_calibration(labels, results)
    if args.by_layout:
        print_by_layout(labels, results)

    print(f"{'kind':<9} {'median s':>9} {'p95 s':>7} {'tess s':>7} {'ratio':>6}  (per document; OCR kinds per page)")
    for kind in KINDS:
        docs = [lb for lb in labels if lb["kind"] == kind]
        if not docs:
            continue
        secs = [results[lb["path"]]["seconds"] / max(1, results[lb["path"]]["pages"] or 1) if kind != "text_pdf"
                else results[lb["path"]]["seconds"] for lb in docs]
        line = f"{kind:<9} {statistics.median(secs):9.3f} {pct(secs, 0.95):7.3f}"
        if floor and kind != "text_pdf":
            ratios = [results[lb["path"]]["seconds"] / floor[lb["path"]] for lb in docs if floor.get(lb["path"])]
            tess = [floor[lb["path"]] for lb in docs if lb["path"] in floor]
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
