"""Child process loop for intake.isolate: one JSON request per line in, one result out."""
import json
import sys

from .pipeline import extract_document


def main() -> None:
    for line in sys.stdin:
        req = json.loads(line)
        result = extract_document(req["path"], req.get("hints") or None, req.get("ocr_timeout", 60.0))
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
