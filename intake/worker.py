"""Child process loop for intake.isolate: one JSON request per line in, one result out.

A request extracts a document, or (``"task": "hint"``) reads a corrected
document again to learn where the corrected value is printed, or
(``"task": "render"``) draws one page into a PNG file for the review screen.
"""
import json
import sys

from .hints import hints_from_correction
from .pipeline import extract_document


def render(req: dict) -> dict:
    from .render import render_page

    try:
        image = render_page(req["path"], req["page"], dpi=req.get("dpi", 110), rotation=req.get("rotation"))
        image.thumbnail((req.get("max_side", 1400),) * 2)
        image.save(req["target"], "PNG", optimize=True)
        return {"ok": True}
    except Exception as error:  # reported to the parent, which decides
        return {"error": f"{type(error).__name__}: {error}"}


def answer(req: dict) -> dict:
    if req.get("task") == "render":
        return render(req)
    if req.get("task") == "hint":
        try:
            return {"hint": hints_from_correction(req["extraction"], req["field"], req["value"])}
        except Exception as error:  # reported to the parent, which decides
            return {"error": f"{type(error).__name__}: {error}"}
    return extract_document(req["path"], req.get("hints") or None, req.get("ocr_timeout", 60.0),
                            taught=req.get("taught") or None).to_dict()


def serve(requests, replies) -> None:
    """Answer each request line of ``requests`` with one line on ``replies`` until EOF."""
    for line in requests:
        replies.write(json.dumps(answer(json.loads(line)), ensure_ascii=False) + "\n")
        replies.flush()


def main() -> None:
    serve(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
