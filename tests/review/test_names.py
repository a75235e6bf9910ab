"""The holder-name matcher over real-world pairs, as HR would judge them."""
from __future__ import annotations

import pytest

from portal.policies.names import MATCH, MISMATCH, PROBABLE, compare

# (name read on the document, person's given name, surname, former names, verdict)
PAIRS = [
    ("Priya Shah", "Priya", "Shah", (), MATCH),
    ("PRIYA SHAH", "Priya", "Shah", (), MATCH),
    ("SHAH, Priya", "Priya", "Shah", (), MATCH),
    ("Shah, Priya R.", "Priya", "Shah", (), MATCH),
    ("Priya R. Shah", "Priya", "Shah", (), MATCH),
    ("Priya Rani Shah", "Priya", "Shah", (), MATCH),
    ("Dr. Priya Shah, RN", "Priya", "Shah", (), MATCH),
    ("Zoë Núñez", "Zoe", "Nunez", (), MATCH),
    ("ZOE NUNEZ", "Zoë", "Núñez", (), MATCH),
    ("Seán O'Brien", "Sean", "OBrien", (), MATCH),
    ("Mary-Ann Smith-Jones", "Mary-Ann", "Smith-Jones", (), MATCH),
    ("Mary Ann Smith Jones", "Mary-Ann", "Smith-Jones", (), MATCH),
    ("Mary Smith", "Mary", "Smith-Jones", (), PROBABLE),
    ("Jan van der Berg", "Jan", "van der Berg", (), MATCH),
    ("Jan Berg", "Jan", "van der Berg", (), MATCH),
    ("Martin Luther King Jr.", "Martin", "King", (), MATCH),
    ("Robert Miller III", "Robert", "Miller", (), MATCH),
    ("Bob Miller", "Robert", "Miller", (), PROBABLE),
    ("Bill Turner", "William", "Turner", (), PROBABLE),
    ("Liz Chen", "Elizabeth", "Chen", (), PROBABLE),
    ("Kate Okafor", "Katherine", "Okafor", (), PROBABLE),
    ("R. Miller", "Robert", "Miller", (), PROBABLE),
    ("Jordan Example", "Jordan", "Exampel", (), PROBABLE),
    ("Priya Patel", "Priya", "Shah", ("Patel",), MATCH),
    ("Priya Patel", "Priya", "Shah", ("Priya Patel",), MATCH),
    ("Priya Patel", "Priya", "Shah", (), MISMATCH),
    ("Anna Shah", "Priya", "Shah", (), MISMATCH),
    ("Marcus Webb", "Erin", "Employee", (), MISMATCH),
    ("Robert Miller", "Roberta", "Mills", (), MISMATCH),
    ("Daniel Kim", "Danielle", "Kim", (), MISMATCH),
    ("", "Priya", "Shah", (), MISMATCH),
    ("Shah", "Priya", "Shah", (), MISMATCH),
]


@pytest.mark.parametrize("read,given,surname,former,verdict", PAIRS,
                         ids=[f"{p[0] or 'empty'}~{p[1]} {p[2]}" for p in PAIRS])
def test_names_are_compared_as_hr_would(read, given, surname, former, verdict):
    result = compare(read, given, surname, former)
    assert result.verdict == verdict, result.reason


def test_a_former_name_match_says_so():
    assert "former name Patel" in compare("Priya Patel", "Priya", "Shah", ["Patel"]).reason
