"""OCR cost of the pipeline against plain single-threaded Tesseract, in pairs.

    python bench/ocr.py [FOLDER ...] [--limit N] [--repeat R]

For every scanned PDF (``scan_pdf``) and phone photo (``image``) in the
labelled FOLDERs (paths or corpus names, as for bench/extract.py; default
``$CREDWATCH_CORPUS`` or dev), one run measures, on the same
page images and back to back (the order alternates between pairs, so drift in
the machine's load falls on both sides):

- the pipeline: ``extract_document(path)`` in this process, as a worker runs
  it (PDF rendering, photo preparation, orientation, every OCR pass, field
  reading), CPU seconds of this process plus its Tesseract children;
- the floor: ``tesseract PAGE.png out`` with ``OMP_THREAD_LIMIT=1`` for each
  page image, the command a person would type (for a photo: the file itself;
  for a scan: the page rendered as our reader renders it, saved as PNG).

CPU time, not wall time, because the machine is shared; wall ratios are
printed too. Prints per kind the median and the total (sum/sum) ratio of
pipeline to floor per page, the p95, and the targets (scans <= 1.1x, photos
<= 1.4x). Also the CPU ``python -m intake -j 1`` needs to start and answer (paid once
per process, not per page) and how many Python interpreters it starts.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["OMP_THREAD_LIMIT"] = "1"

from bench.extract import corpus_folder, pct  # noqa: E402
from intake.pipeline import extract_document  # noqa: E402
from intake.readers import open_pdf, render_pdf_page  # noqa: E402
from intake.sniff import PDF, sniff  # noqa: E402

TARGETS = {"scan_pdf": 1.1, "image": 1.4}


def _cpu() -> tuple[float, float]:
    """(CPU seconds of this process and its waited-for children, wall seconds)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, time.perf_counter()


def floor_images(path: Path, tmp: str) -> list[str]:
    """The page images a person would hand to tesseract for this document."""
    if sniff(path) != PDF:
        return [str(path)]
    out = []
    pdf = open_pdf(str(path))
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            name = os.path.join(tmp, f"{path.stem}_{i}.png")
            render_pdf_page(page).save(name)
            page.close()
            out.append(name)
    finally:
        pdf.close()
    return out


def plain_tesseract(images: list[str], tmp: str) -> tuple[float, float]:
    cpu0, wall0 = _cpu()
    for img in images:
        subprocess.run(["tesseract", img, os.path.join(tmp, "out")], capture_output=True, check=False,
                       env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    cpu1, wall1 = _cpu()
    return cpu1 - cpu0, wall1 - wall0


def pipeline(path: Path) -> tuple[float, float, dict]:
    cpu0, wall0 = _cpu()
    result = extract_document(str(path)).to_dict()
    cpu1, wall1 = _cpu()
    return cpu1 - cpu0, wall1 - wall0, result


def cli_start() -> tuple[float, int]:
    """CPU seconds of ``python -m intake -j 1`` on a missing file (start-up and
    one answer), and the Python interpreters it started (strace counts execve)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "intake", "-j", "1", "/nonexistent.pdf"]
    strace = shutil.which("strace")
    if strace:
        cmd = [strace, "-f", "-qq", "-e", "trace=execve", "-o", "/dev/stderr"] + cmd
    cpu0, _ = _cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    cpu1, _ = _cpu()
    execs = [ln for ln in proc.stderr.splitlines() if "execve(" in ln and "python" in ln and ln.endswith("= 0")]
    return cpu1 - cpu0, len(execs) if strace else -1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", help="paths, or dev / val (default $CREDWATCH_CORPUS or dev)")
    ap.add_argument("--limit", type=int, default=0, help="at most N documents per kind and folder")
    ap.add_argument("--repeat", type=int, default=1, help="pairs per document")
    ap.add_argument("--kinds", default="scan_pdf,image")
    ap.add_argument("--verbose", "-v", action="store_true", help="one line per document")
    args = ap.parse_args(argv)
    kinds = args.kinds.split(",")
    docs: list[tuple[str, Path]] = []
    folders = [corpus_folder(name) for name in args.folders or [None]]
    for folder in folders:
        labels = json.loads((folder / "labels.json").read_text())
        for kind in kinds:
            chosen = [lb for lb in labels if lb["kind"] == kind]
            docs += [(kind, folder / lb["file"]) for lb in (chosen[:args.limit] if args.limit else chosen)]
    rows: dict[str, list[tuple[float, float, float, float, int]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        extract_document(str(docs[0][1]))   # warm-up: imports and Tesseract's version probe
        for n, (kind, path) in enumerate(docs * args.repeat):
            images = floor_images(path, tmp)
            if n % 2:
                pc, pw, result = pipeline(path)
                fc, fw = plain_tesseract(images, tmp)
            else:
                fc, fw = plain_tesseract(images, tmp)
                pc, pw, result = pipeline(path)
            pages = max(1, len(images))
            rows[kind].append((pc / pages, fc / pages, pw / pages, fw / pages, pages))
            if args.verbose:
                print(f"  {path.name:<10} {kind:<8} pipeline {pc:6.2f} s  tesseract {fc:6.2f} s  "
                      f"ratio {pc / fc:5.2f}  rotations {result.get('rotations')}")
    print(f"{len(docs)} documents x {args.repeat} from {', '.join(map(str, folders))}")
    print(f"{'kind':<9} {'pages':>5} {'ours s/pg':>9} {'tess s/pg':>9} {'median':>7} {'total':>6} "
          f"{'p95':>5} {'wall':>5} {'target':>7}   (CPU ratios ours / plain tesseract)")
    for kind, r in rows.items():
        if not r:
            continue
        ratios = [a / b for a, b, *_ in r if b]
        total = sum(a * p for a, _, _, _, p in r) / sum(b * p for _, b, _, _, p in r)
        wall = sum(c * p for _, _, c, _, p in r) / sum(d * p for _, _, _, d, p in r)
        ok = "ok" if total <= TARGETS.get(kind, 99) else "MISSED"
        print(f"{kind:<9} {sum(x[4] for x in r):5d} {statistics.median(a for a, *_ in r):9.3f} "
              f"{statistics.median(b for _, b, *_ in r):9.3f} {statistics.median(ratios):7.2f} {total:6.2f} "
              f"{pct(ratios, 0.95):5.2f} {wall:5.2f} {'<= ' + str(TARGETS.get(kind, '-')):>7} {ok}")
    cpu, interpreters = cli_start()
    print(f"`python -m intake -j 1` start-up: {cpu:.2f} s CPU, "
          f"{interpreters if interpreters >= 0 else '?'} Python interpreter(s) started (target: one)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
