"""Build the name lists the privacy guard ships (inspection/privacy_data/), at development time.

Run: .venv/bin/python tests/privacy/build_names.py [--dict DIR]

Sources (see inspection/privacy_data/README.md for their licences):
- given names and family names: the person providers of Faker (MIT licence), every locale, kept
  only where written in the Latin alphabet (with its accents);
- everyday English words: SCOWL size 35, the Debian `wamerican-small` and `wbritish-small`
  word lists (/usr/share/dict/american-english-small, british-english-small); only lower-case
  entries, which are words, not names;
- Channel Islands family names: the hand-kept `channel_islands_surnames.txt` beside the data.

Nothing is downloaded when the guard runs: it reads the files this script writes.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import unicodedata
from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "inspection" / "privacy_data"
_ATTRS_GIVEN = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")
_ATTRS_FAMILY = ("last_names", "last_names_male", "last_names_female")


def _latin(word: str) -> bool:
    return all("LATIN" in unicodedata.name(char, "") for char in word if char.isalpha())


def _words(entries: Iterable[object]) -> set[str]:
    """Single words from entries ("Mary Ann", "Le Gall" -> mary, ann, gall), lower case."""
    found: set[str] = set()
    for entry in entries:
        if not isinstance(entry, str) or not _latin(entry):
            continue
        for part in entry.replace("-", " ").split():
            word = part.strip(".,'’").casefold()
            if len(word) >= 3 and word.replace("'", "").replace("’", "").isalpha():
                found.add(word)
    return found


def _provider_values(provider: type, attrs: tuple[str, ...]) -> list[object]:
    values: list[object] = []
    for attr in attrs:
        value = provider.__dict__.get(attr)
        if value is None:
            for base in provider.__mro__[1:]:
                if attr in base.__dict__:
                    value = base.__dict__[attr]
                    break
        if isinstance(value, (tuple, list, dict)):
            values.extend(value)
    return values


def faker_names() -> tuple[set[str], set[str]]:
    import faker.providers.person as person

    given: set[str] = set()
    family: set[str] = set()
    for module_info in pkgutil.iter_modules(person.__path__):
        module = importlib.import_module(f"{person.__name__}.{module_info.name}")
        provider = module.Provider
        given |= _words(_provider_values(provider, _ATTRS_GIVEN))
        family |= _words(_provider_values(provider, _ATTRS_FAMILY))
    return given, family


# Words of this work and of office software that SCOWL size 35 lacks but a name list has
# ("Org chart", "the Bot", "SEN support"): everyday words here, never names on their own.
WORK_WORDS = """
admin app apps approx bot bots csv dept dev doc docs docx email emails govt info jpeg len
login max min online org orgs pdf png ref refs sen sharepoint spreadsheet stats teams wifi
xlsx zip caseload caseloads safeguarding organogram chronology chronologies keyworker
signposting reablement kinship onedrive excel outlook hub
""".split()  # noqa: SIM905


def everyday_words(directory: Path) -> set[str]:
    words: set[str] = set()
    for name in ("american-english-small", "british-english-small"):
        path = directory / name
        if not path.exists():
            raise SystemExit(
                f"{path} is missing: apt-get install wamerican-small wbritish-small, then run "
                "this again"
            )
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.strip()
            # Lower-case entries only: "grace" is a word, "Grace" alone is a name.
            if word and word.islower() and word.isalpha() and len(word) >= 2:
                words.add(word)
    return words | set(WORK_WORDS)


def write(path: Path, header: str, words: Iterable[str]) -> None:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    path.write_text("\n".join([*lines, *sorted(words)]) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dict", type=Path, default=Path("/usr/share/dict"))
    args = parser.parse_args()
    given, family = faker_names()
    words = everyday_words(args.dict)
    write(
        DATA / "given_names.txt",
        "Given names, lower case, from Faker's person providers (MIT), Latin script only.\n"
        "Built by tests/privacy/build_names.py; do not edit by hand.",
        given,
    )
    write(
        DATA / "family_names.txt",
        "Family names, lower case, from Faker's person providers (MIT), Latin script only.\n"
        "Built by tests/privacy/build_names.py; do not edit by hand.",
        family - given,
    )
    write(
        DATA / "everyday_words.txt",
        "Everyday English words (lower-case entries of SCOWL size 35, American and British).\n"
        "Built by tests/privacy/build_names.py; do not edit by hand.",
        words,
    )
    print(f"{len(given)} given names, {len(family - given)} family names, {len(words)} words")


if __name__ == "__main__":
    main()
