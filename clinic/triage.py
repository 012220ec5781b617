"""Reading a patient's own words for the warning signs after a treatment.

Not a diagnosis: it only decides whether to tell the patient to call the clinic now
(and staff that they may), from the phrases the clinic lists for each sign in
aftercare.toml. A phrase just after a negation ("no fever", "not swollen") does not
count. The phrases are data, one list per language, so French needs words, not code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from clinic.aftercare import Sign

# A match right after one of these (within NEGATION_REACH words) is not a report.
NEGATIONS = frozenset(
    {
        "no",
        "not",
        "never",
        "without",
        "dont",
        "don't",
        "doesnt",
        "doesn't",
        "didnt",
        "didn't",
        "isnt",
        "isn't",
        "havent",
        "haven't",
        "hasnt",
        "hasn't",
        "nor",
        "pas",
        "sans",
        "aucun",
        "aucune",
        "jamais",
        "ni",
    }
)
NEGATION_REACH = 3
_WORD = re.compile(r"[\w'.]+")
_CURLY_APOSTROPHE = "\u2019"


@dataclass(frozen=True)
class Finding:
    """A sign the text mentions, with the phrases of the text that said so."""

    sign: str
    words: tuple[str, ...]


def _plain(text: str) -> str:
    """Lower case, without accents, straight apostrophes: "Fièvre" reads as "fievre"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace(_CURLY_APOSTROPHE, "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=64)
def _pattern(phrase: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in _plain(phrase).split()]
    if parts and parts[-1].endswith(r"\*"):
        parts[-1] = parts[-1][:-2] + r"\w*"
    return re.compile(r"(?<![\w])" + r"\s+".join(parts) + r"(?![\w])")


def _negated(text: str, start: int) -> bool:
    before = _WORD.findall(text[:start])[-NEGATION_REACH:]
    return any(word.strip(".") in NEGATIONS for word in before)


def read_signs(text: str, signs: Sequence[Sign]) -> list[Finding]:
    """The signs this text reports, in the order the clinic lists them."""
    plain = _plain(text)
    findings = []
    for sign in signs:
        said = []
        for phrase in sign.words:
            for match in _pattern(phrase).finditer(plain):
                if not _negated(plain, match.start()):
                    said.append(match.group(0))
        if said:
            findings.append(Finding(sign.key, tuple(dict.fromkeys(said))))
    return findings
