"""A small PDF of real text that is slow to draw: thousands of translucent fills.

Reading it is quick (the text layer is a few lines); rendering it is not.
Made by hand so the test needs no PDF writer.
"""
from __future__ import annotations

import random
import zlib

TEXT = [
    "American Heart Association", "BLS Provider", "Holder: Erin Employee",
    "Issue Date: 03/01/2025", "Expiry Date: 03/01/2027", "eCard Code: 2B7Q-44KD-91XZ",
]


def slow_pdf(fills: int = 30_000, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    ops = ["/GS1 gs"]
    for _ in range(fills):
        x, y = rng.uniform(0, 600), rng.uniform(0, 500)
        ops.append(f"{rng.random():.3f} {rng.random():.3f} {rng.random():.3f} rg "
                   f"{x:.1f} {y:.1f} {rng.uniform(50, 400):.1f} {rng.uniform(50, 400):.1f} re f")
    ops.append("0 0 0 rg BT /F1 14 Tf 72 760 Td 18 TL")
    ops += [f"({line}) Tj T*" for line in TEXT]
    ops.append("ET")
    stream = zlib.compress("\n".join(ops).encode())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /ExtGState << /GS1 6 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /ExtGState /ca 0.5 /BM /Multiply >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
