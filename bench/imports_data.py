"""Synthetic spreadsheets for bench/imports.py (deterministic)."""
from __future__ import annotations

import random

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Ema", "Finn", "Gita", "Hugo", "Ines", "Jon", "Kai", "Lea"]
LAST = ["Smith", "Okafor", "Nguyen", "Garcia", "Müller", "Rossi", "Kowalski", "Haddad", "Tanaka", "Silva"]


def people_csv(count: int) -> str:
    rng = random.Random(7)
    lines = ["Employee ID,First Name,Last Name,Work Email,Job Title,Department,Manager ID,Hire Date"]
    for i in range(count):
        manager = f"P{(i // 8):05d}" if i >= 8 else ""
        lines.append(f"P{i:05d},{rng.choice(FIRST)},{rng.choice(LAST)}-{i},p{i}@bench.test,"
                     f"Role {i % 40},Dept {i % 25},{manager},{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(10, 24)}")
    return "\n".join(lines) + "\n"


def credentials_csv(people: int, rows: int, types: int) -> str:
    rng = random.Random(11)
    lines = ["Staff ID,Certification,License number,Issued,Expiry date"]
    for i in range(rows):
        person, ctype = i % people, (i // people) % types
        issued_year = rng.randint(2018, 2024)
        lines.append(f"P{person:05d},BENCH-{ctype},LN{i:07d},"
                     f"{issued_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                     f"{issued_year + 2}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    return "\n".join(lines) + "\n"
