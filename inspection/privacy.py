"""The privacy guard: does a text a person wrote name a child or give a date of birth?

9.7: inspectors "will not use the names of children, young people or families ... Only a case
reference number within the service's recording system will be used." 9.8: staff are referred
to by "initials and job titles, not full names". 7.3: requests are "shared by child ID". So
before anything is stored, every free text (a request, an answer, an internal note, a
factual-accuracy comment, a file name shown in a card) is checked; the person sees the findings
and edits the text or confirms it.

The guard reads structure as well as a list (no language model, no network):

- a broad list of given and family names (about 40,000, built from Faker's person providers
  for every Latin-script locale, plus Channel Islands family names; `privacy_data/`), and a
  list of everyday English words, so that a name which is also a word ("Hope", "Will") needs
  more than its capital letter;
- the places where a child is named in this work: after "for", "re", "about", "child",
  "young person", "baby", "visits to", "allocated to", a label with a colon, in possessives
  before a personal word ("X's care plan"), lists of siblings, "the X family", ages and dates
  of birth, cue words ("called", "named", "Master"), a lone name ending the text;
- family name forms: particles (Le, La, De, Du, de la, da, dos, van), accents, hyphens and
  apostrophes (O'Neill, D'Souza);
- the domain's own proper nouns that are never children (teams, services, boards, places in
  Jersey and Guernsey, documents, the handbook's terms; `privacy_data/proper_nouns.txt`),
  extended per inspectorate by a rule file's `privacy: proper_nouns:`;
- case references ("CR-104233"), initials ("K.M."), acronyms and job titles pass.

A finding says where and what kind, and shows no more of the text than its first letter, so a
warning posted in a channel does not repeat the name. The lists are read once per process, on
first use or by `warm_up()` at start.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

FindingKind = Literal["name", "date_of_birth"]

SUGGEST_NAME = "use the child's case reference number instead, e.g. CR-104233 (9.7)"
SUGGEST_DOB = "leave the date of birth out; the case reference is enough (9.7)"
REDACTED_NAME = "[case reference]"
REDACTED_DOB = "[no date of birth]"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    start: int  # character offsets of the suspect text in the checked string
    end: int
    hint: str  # what looked wrong, showing only the first letter
    suggestion: str


# --- the lists -------------------------------------------------------------------------------


def _fold_word(word: str) -> str:
    """Lower case without accents: "João" and "joao" are one name."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


# The words of a text repeat ("the", "for", "plan"): fold each once.
_fold = functools.lru_cache(maxsize=8192)(_fold_word)


def _read(name: str) -> list[str]:
    path = resources.files("inspection").joinpath("privacy_data", name)
    text = path.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@dataclass(frozen=True)
class _Lists:
    given: frozenset[str]
    family: frozenset[str]
    words: frozenset[str]
    terms: tuple[str, ...]


_lists: _Lists | None = None
_lists_lock = threading.Lock()


def _load() -> _Lists:
    global _lists
    if _lists is None:
        with _lists_lock:
            if _lists is None:
                family = {_fold_word(w) for w in _read("family_names.txt")}
                for entry in _read("channel_islands_surnames.txt"):
                    family.add(_fold_word(entry.split()[-1]))
                _lists = _Lists(
                    given=frozenset(_fold_word(w) for w in _read("given_names.txt")),
                    family=frozenset(family),
                    words=frozenset(_read("everyday_words.txt")),
                    terms=tuple(_read("proper_nouns.txt")),
                )
    return _lists


def warm_up(terms: Iterable[str] = ()) -> None:
    """Read the name lists now (the app calls this at start, off any turn's path)."""
    _guard(frozenset(terms))


# --- reading the text ------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*(?:['’]s?)?")
_CASE_REF = re.compile(r"\b([A-Z]{1,6})[-/]?(\d{3,12})\b")
_ANY_CASE_REF = re.compile(r"\b(?:[A-Za-z]{1,6}[-/]?\d{3,12}|[A-Z]{1,6} \d{3,12})\b")
_ACRONYMS = re.compile(r"^[A-Z]{2,}s$")  # "IROs", "ICPCs", "KPIs"
_SENTENCE_END = re.compile(r"[.!?;:\n\u2022]|(?:^|\s)[-–—*](?:\s|$)")

# Particles of family names: "Le Breton", "de Gruchy", "de la Haye", "da Silva".
_PARTICLES = frozenset(
    "le la de du des del della di da dos das van von der den ter mac mc".split()  # noqa: SIM905
)
_APOSTROPHE_PREFIX = re.compile(r"^(?:o|d|l|mc)['’][^\W\d_]", re.IGNORECASE)

# Function words and labels that are never a name, whatever their case.
_STOP = frozenset(
    """
    a an and any are as at be been being both but by can could did do does each either for
    from had has have he her here hers him his how i if in into is it its me more most my no
    nor not of off on once only or other our out over per please re she should so some such
    than that the their them then there these they this those through to too under until up
    upon us very via was we were what when where which while who whom why with would
    yes you your yours ok okay thanks thank regards dear hello hi etc eg ie cc fyi asap tbc
    tbd nb pm am
    """.split()  # noqa: SIM905
)

# Words before a name that make the next word very likely a person ("called Hope").
_STRONG_CUES = (
    "called", "named", "known as", "name is", "name's", "nicknamed", "goes by", "aka",
    "first name", "surname", "forename", "full name", "name", "child's name", "last name",
    "family name", "given name",
)  # fmt: skip
_TITLES = frozenset({"Master", "Miss", "Mrs", "Mr", "Ms", "Mx"})
# Words where a child is named in this work ("the plan for X", "visits to X", "child X").
_SLOT_CUES = (
    "for", "re", "regarding", "about", "concerning", "of", "child", "children", "young person",
    "yp", "baby", "infant", "toddler", "boy", "girl", "son", "daughter", "brother", "sister",
    "half-brother", "half-sister", "stepbrother", "stepsister", "sibling", "siblings", "twin",
    "twins", "cousin", "pupil", "teenager", "foster child", "visits to", "visit to",
    "visiting", "visited", "allocated to", "spoke to", "spoken to", "talked to", "case of",
    "file of", "between", "thanks", "regards", "cheers",
)  # fmt: skip
# After a capitalised word opening a sentence: verbs that make it a person ("Adwoa was seen").
_PERSON_VERBS = frozenset(
    """
    was is has had told said says attended attends missed misses moved went ran came comes
    lives lived stayed stays wants wanted feels felt asked disclosed returned refused
    """.split()  # noqa: SIM905
)
# Cues that, before an everyday word, still mean a person ("child Hope", "re: Grace").
_PERSON_CUES = frozenset(
    {
        "child", "young person", "yp", "baby", "infant", "toddler", "boy", "girl", "son",
        "daughter", "brother", "sister", "half-brother", "half-sister", "stepbrother",
        "stepsister", "sibling", "siblings", "twin", "twins", "cousin", "pupil", "teenager",
        "re", "regarding", "for", "about", "visits to", "visit to", "allocated to", "case of",
        "between",
    }
)  # fmt: skip
# After "X's": words that make X a person ("Amelia's placement plan").
_PERSONAL_CONTEXT = frozenset(
    """
    file files case record records plan plans mum mother mom dad father parent parents carer
    carers foster sister brother sibling siblings nan nana gran grandmother grandfather school
    placement social worker birthday review reviews care cp lac cla cin pathway health
    assessment assessments chronology journey contact contacts family home aunt uncle
    stepfather stepmother partner boyfriend girlfriend pep ehcp iro statement report reports
    notes case-file safety needs views wishes feelings education attendance missing episode
    episodes interview plan's twin baby child children
    """.split()  # noqa: SIM905
)
# After a name with a particle: words that make it a place ("La Motte Street").
_PLACE_WORDS = frozenset(
    """
    street road lane avenue close court house school centre center hall college estate farm
    hospital park square terrace drive way hill gardens place manor bay beach harbour
    """.split()  # noqa: SIM905
)
# After a name: words that say it is a family ("the Jones family").
_FAMILY_WORDS = frozenset({"family", "families", "household", "children", "siblings", "twins"})
# Words that, as a label before a colon, name what follows ("Child: ...", "Allocated to: ...").
_LABEL_WORDS = frozenset(
    """
    child young person yp baby re subject name names allocated to missing episodes sibling
    siblings list case regarding pupil from signed by sent family
    """.split()  # noqa: SIM905
)
_AGE_AFTER = re.compile(
    r"\s*,?\s*(?:aged?\s+\d{1,2}\b|\d{1,2}\s*(?:yrs?|years?)(?:\s+old)?\b)"
    r"|\s*\(\s*(?:aged?\s*)?\d{1,2}\s*\)"
    r"|\s*,\s*\d{1,2}\s*(?:,|$|\.(?:\s|$)|\))",
    re.IGNORECASE,
)

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
# "DOB" or "date of birth" is a finding on its own; "born" or "b." only with a date after it.
_DOB = re.compile(
    rf"\b(d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s*date)\s*[:\-]?\s*\(?\s*({_DATE})?"
    rf"|\b(born(?:\s+on)?|b\.)\s*[:\-]?\s*\(?\s*({_DATE})",
    re.IGNORECASE,
)
_DATE_AFTER = re.compile(rf"\s*[,(]\s*({_DATE})\s*\)?")


@dataclass(slots=True)
class _Token:
    text: str  # as written, without a possessive 's
    start: int
    end: int
    key: str  # folded
    possessive: bool
    capital: bool
    sentence_start: bool
    protected: bool = False  # a case reference, a domain proper noun, an initial
    # What the lists say: "name" (a name and not a word), "word-name" (both), "word", "unknown".
    kind: str = "unknown"


@dataclass(frozen=True)
class _Guard:
    given: frozenset[str]
    family: frozenset[str]
    words: frozenset[str]
    # First folded word of a proper noun -> the proper nouns (as folded word tuples) it starts.
    terms: dict[str, tuple[tuple[str, ...], ...]]
    kinds: dict[str, str] = field(default_factory=dict)  # classify's answers, kept

    def classify(self, key: str) -> str:
        kind = self.kinds.get(key)
        if kind is None:
            kind = self._classify(key)
            if len(self.kinds) < 200_000:
                self.kinds[key] = kind
        return kind

    def _classify(self, key: str) -> str:
        parts = [p for p in re.split(r"[-']", key) if p]
        if not parts:
            return "word"
        if len(parts) > 1 and key not in self.words:
            # "Ana-Maria", "Ellie-Mae", "Smith-Le": a name if any part is a name that is no word
            kinds = [self._classify(p) for p in parts if p not in _PARTICLES]
            if "name" in kinds:
                return "name"
            if "word-name" in kinds and "word" not in kinds:
                return "word-name"
            return "word" if "word" in kinds else "unknown"
        is_name = key in self.given or key in self.family
        is_word = key in self.words or key in _STOP or len(key) < 3
        if is_name:
            return "word-name" if is_word else "name"
        return "word" if is_word else "unknown"


_guards: dict[frozenset[str], _Guard] = {}
_guards_lock = threading.Lock()


def _phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(_fold(m.group(0)).removesuffix("'s") for m in _TOKEN.finditer(phrase))


def _guard(extra_terms: frozenset[str]) -> _Guard:
    guard = _guards.get(extra_terms)
    if guard is not None:
        return guard
    lists = _load()
    with _guards_lock:
        guard = _guards.get(extra_terms)
        if guard is None:
            terms: dict[str, list[tuple[str, ...]]] = {}
            for phrase in (*lists.terms, *extra_terms):
                words = _phrase_words(phrase)
                if words:
                    terms.setdefault(words[0], []).append(words)
            guard = _Guard(
                lists.given,
                lists.family,
                lists.words,
                {k: tuple(sorted(v, key=len, reverse=True)) for k, v in terms.items()},
            )
            if len(_guards) > 64:  # one per framework in practice
                _guards.clear()
            _guards[extra_terms] = guard
    return guard


def _tokens(text: str, guard: _Guard) -> list[_Token]:
    refs = [m.span() for m in _ANY_CASE_REF.finditer(text)]
    ref_index = 0
    found: list[_Token] = []
    previous_end = 0
    classify = guard.classify
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        possessive = False
        word = raw
        if raw[-1] in "s'’" and len(raw) > 3:
            for suffix in ("'s", "’s", "'", "’"):
                if raw.endswith(suffix):
                    word = raw[: -len(suffix)]
                    possessive = suffix.endswith("s") or word.endswith("s")
                    break
        start = match.start()
        between = text[previous_end:start]
        sentence_start = not found or (between != " " and bool(_SENTENCE_END.search(between)))
        key = _fold(word)
        token = _Token(word, start, start + len(word), key, possessive, word[0].isupper(),
                       sentence_start, False, classify(key))  # fmt: skip
        while ref_index < len(refs) and refs[ref_index][1] <= start:
            ref_index += 1
        if ref_index < len(refs) and refs[ref_index][0] <= start:
            token.protected = True  # a case reference
        elif (
            len(word) == 1
            or word.isupper()
            or (word[-1] == "s" and word[1:2].isupper() and _ACRONYMS.match(word))
        ):
            token.protected = True  # an initial ("K.M.", 9.8) or an acronym (IRO, CAMHS, LO)
        found.append(token)
        previous_end = match.end()
    for token, following in itertools.pairwise(found):
        if token.key == "les" and token.capital and following.capital:
            token.protected = True  # "Les Ormes", "Les Quennevais": a place in the islands
    _protect_terms(found, guard)
    return found


def _protect_terms(tokens: list[_Token], guard: _Guard) -> None:
    keys = [t.key for t in tokens]
    index = 0
    while index < len(tokens):
        phrases = guard.terms.get(keys[index], ())
        length = 0
        for phrase in phrases:
            if tuple(keys[index : index + len(phrase)]) == phrase:
                length = len(phrase)
                break
        if length:
            for token in tokens[index : index + length]:
                token.protected = True
            index += length
        else:
            index += 1


# --- deciding --------------------------------------------------------------------------------


def _masked(text: str) -> str:
    return f'"{text[:1]}…"'


def _by_last_word(cues: Iterable[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    table: dict[str, list[tuple[str, ...]]] = {}
    for cue in cues:
        words = tuple(cue.split())
        table.setdefault(words[-1], []).append(words)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items()}


_STRONG_TABLE = _by_last_word(_STRONG_CUES)
_SLOT_TABLE = _by_last_word(_SLOT_CUES)


def _cue_before(
    tokens: list[_Token], index: int, text: str, table: dict[str, tuple[tuple[str, ...], ...]]
) -> str | None:
    """The cue (one or two words) right before token `index`, if any, with nothing but spaces,
    a colon or a comma between."""
    if index == 0:
        return None
    previous = tokens[index - 1]
    options = table.get(previous.key)
    if options is None:
        return None
    gap = text[previous.end + (2 if previous.possessive else 0) : tokens[index].start]
    if gap != " " and gap.strip(" \t,:-–") != "":
        return None
    for words in options:
        first = index - len(words)
        if first >= 0 and all(tokens[first + i].key == w for i, w in enumerate(words)):
            return " ".join(words)
    return None


def _colon_label(tokens: list[_Token], index: int, text: str) -> bool:
    """Token `index` follows "Label:" ("Child: X", "Allocated to: X", "Re: X")."""
    if index == 0:
        return False
    gap = text[tokens[index - 1].end : tokens[index].start]
    if ":" not in gap or gap.strip(" \t:-–") != "":
        return False
    first = index - 1
    while first > 0 and index - first < 3 and not tokens[first].sentence_start:
        first -= 1
    label = {t.key for t in tokens[first:index]}
    return bool(label & _LABEL_WORDS) or index - first <= 2


def _is_name_like(token: _Token, *, everyday: bool) -> bool:
    """Could `token` be (part of) a name: capitalised, or a listed name in any case."""
    if token.protected or token.key in _STOP:
        return False
    if token.kind == "name":
        return True
    if token.kind == "unknown":
        return token.capital
    if token.kind == "word-name":
        return everyday and token.capital
    return False


class _Scan:
    def __init__(self, text: str, guard: _Guard) -> None:
        self.text = text
        self.guard = guard
        self.tokens = _tokens(text, guard)
        self.flagged: dict[int, str] = {}  # token index -> why

    def flag(self, index: int, why: str) -> None:
        self.flagged.setdefault(index, why)

    def run(self) -> list[Finding]:
        tokens = self.tokens
        for index, token in enumerate(tokens):
            if token.protected or token.key in _STOP:
                continue
            self._one(index, token)
        self._particles()
        self._spread()
        return self._findings()

    def _one(self, index: int, token: _Token) -> None:
        tokens, text = self.tokens, self.text
        strong = _cue_before(tokens, index, text, _STRONG_TABLE)
        if strong is not None and (token.kind != "word" or token.capital):
            self.flag(index, f'a name after "{strong}"')
            return
        if index and tokens[index - 1].text in _TITLES and token.capital:
            self.flag(index, f'a name after "{tokens[index - 1].text}"')
            return
        if token.kind == "name":
            # A listed name that is no English word: a name wherever it stands, in any case,
            # unless it names a place ("Motte Street", "Victoria House").
            after = tokens[index + 1] if index + 1 < len(tokens) else None
            if after is None or not (after.capital and after.key in _PLACE_WORDS):
                self.flag(index, "a given or family name")
            return
        if token.kind == "word" or not token.capital:
            # An everyday word, or a lower-case word no list knows: not a name without a cue.
            return
        # A capitalised word no list knows, or a name that is also a word ("Hope"): a name
        # only where this work puts one.
        slot = self._slot(index, everyday=token.kind == "word-name")
        if slot is not None:
            self.flag(index, slot)

    def _slot(self, index: int, *, everyday: bool) -> str | None:
        tokens, text = self.tokens, self.text
        token = tokens[index]
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.possessive and after is not None:
            context = {t.key for t in tokens[index + 1 : index + 4]}
            if context & _PERSONAL_CONTEXT:
                return 'a name before "\'s"'
        if after is not None and after.key in _FAMILY_WORDS and not token.sentence_start:
            return f'a family name before "{after.key}"'
        if (
            after is not None
            and after.key in _FAMILY_WORDS
            and index
            and (tokens[index - 1].key == "the")
        ):
            return f'a family name before "{after.key}"'
        rest = token.end + (2 if token.possessive else 0)
        if _DATE_AFTER.match(text, rest):
            return "a name before a date"
        if _AGE_AFTER.match(text, rest):
            return "a name before an age"
        if _colon_label(tokens, index, text) and (
            not everyday or tokens[index - 1].key in _PERSON_CUES | _LABEL_WORDS
        ):
            return "a name after a label"
        cue = _cue_before(tokens, index, text, _SLOT_TABLE)
        if cue is not None and (not everyday or cue in _PERSON_CUES):
            return f'a name after "{cue}"'
        if everyday:
            return None
        if token.sentence_start and after is not None and after.key in _PERSON_VERBS:
            return f'a name before "{after.key}"'
        if index == len(tokens) - 1 and token.sentence_start and index:
            return "a name standing alone at the end"
        return None

    def _particles(self) -> None:
        """ "Le Breton", "de Gruchy", "de la Haye", "D'Souza": a family name."""
        tokens = self.tokens
        for index, token in enumerate(tokens):
            if token.protected:
                continue
            if (
                ("'" in token.text or "’" in token.text)
                and token.capital
                and token.kind != "word"
                and _APOSTROPHE_PREFIX.match(token.text)
            ):
                self.flag(index, "a family name")
                continue
            if token.key not in _PARTICLES or index + 1 >= len(tokens):
                continue
            end = index + 1
            while end < len(tokens) and tokens[end].key in _PARTICLES and end - index < 3:
                end += 1
            if end >= len(tokens):
                continue
            target = tokens[end]
            gap = self.text[tokens[end - 1].end : target.start]
            if target.protected or not target.capital or gap.strip() != "" or "\n" in gap:
                continue
            if target.kind == "word" and target.key not in self.guard.family:
                continue
            if end + 1 < len(tokens) and tokens[end + 1].key in _PLACE_WORDS:
                continue  # "La Motte Street", "Le Geyt Centre": a place
            for position in range(index, end + 1):
                self.flag(position, "a family name with a particle")

    def _spread(self) -> None:
        """A name spreads to the name-like words beside it: "Zofia Nowicka", "Folake and
        Tunde", "Aleksander, Julia and Tymon"."""
        tokens = self.tokens
        pending = sorted(self.flagged)
        while pending:
            index = pending.pop()
            for other, joint in self._neighbours(index):
                near = tokens[other]
                if other in self.flagged or not near.capital:
                    continue
                if not _is_name_like(near, everyday=True):
                    continue
                self.flag(other, "a full name" if joint == " " else "a name in a list of names")
                pending.append(other)

    def _neighbours(self, index: int) -> Iterator[tuple[int, str]]:
        """Words next to token `index`, with what joins them: " ", ",", "and"."""
        tokens, text = self.tokens, self.text
        for first, second in ((index, index + 1), (index - 1, index)):
            if first < 0 or second >= len(tokens):
                continue
            left, right = tokens[first], tokens[second]
            if left.possessive:
                continue  # "Amelia's Review" names one person, not two
            gap = text[left.end : right.start]
            other = second if first == index else first
            if gap == " " or (gap.strip() == "" and "\n" not in gap):
                yield other, " "
            elif gap.strip() in (",", "&", ", &"):
                yield other, ","
        for joint, far in ((index + 1, index + 2), (index - 1, index - 2)):
            if (
                0 <= far < len(tokens)
                and tokens[joint].key in ("and", "or")
                and not tokens[min(joint, index)].possessive
            ):
                yield far, "and"

    def _findings(self) -> list[Finding]:
        tokens = self.tokens
        findings: list[Finding] = []
        run: list[int] = []

        def close() -> None:
            if not run:
                return
            first, last = tokens[run[0]], tokens[run[-1]]
            why = self.flagged[run[0]]
            findings.append(
                Finding(
                    "name",
                    first.start,
                    last.end,
                    f"{why} {_masked(first.text)}",
                    SUGGEST_NAME,
                )
            )
            run.clear()

        for index in sorted(self.flagged):
            if run:
                previous = tokens[run[-1]]
                gap = self.text[previous.end : tokens[index].start]
                if index == run[-1] + 1 and gap.strip() == "" and not previous.possessive:
                    run.append(index)
                    continue
                close()
            run.append(index)
        close()
        return findings


def _dates_of_birth(text: str, scan: _Scan) -> Iterator[Finding]:
    for match in _DOB.finditer(text):
        start, end = match.span()
        yield Finding(
            "date_of_birth",
            start,
            end,
            f'a date of birth after "{(match.group(1) or match.group(3)).strip()}"',
            SUGGEST_DOB,
        )
    for index, token in enumerate(scan.tokens):
        if index not in scan.flagged:
            continue
        date = _DATE_AFTER.match(text, token.end)
        if date is not None:
            yield Finding(
                "date_of_birth",
                date.start(1),
                date.end(1),
                f"a date right after a possible name {_masked(token.text)}",
                SUGGEST_DOB,
            )


def check_text(text: str, *, terms: Iterable[str] = ()) -> list[Finding]:
    """Everything in `text` that looks like a child's name or date of birth, in text order.

    `terms` are the framework's own proper nouns that are never children (its rule file's
    `privacy: proper_nouns:`), added to the shipped list. Case references ("CR-104233"),
    initials and job titles are never findings.
    """
    if not text:
        return []
    scan = _Scan(text, _guard(frozenset(terms)))
    merged: dict[tuple[int, int], Finding] = {}
    for finding in (*_dates_of_birth(text, scan), *scan.run()):
        overlaps = [key for key in merged if key[0] < finding.end and finding.start < key[1]]
        # Keep one finding per stretch of text: the longest.
        if any(key[1] - key[0] >= finding.end - finding.start for key in overlaps):
            continue
        for key in overlaps:
            del merged[key]
        merged[(finding.start, finding.end)] = finding
    return sorted(merged.values(), key=lambda finding: finding.start)


def find_case_refs(text: str) -> tuple[str, ...]:
    """Case references in `text` ("CR-104233"), in order, each once; never request ids."""
    refs: list[str] = []
    for match in _CASE_REF.finditer(text or ""):
        prefix, digits = match.group(1), match.group(2)
        if prefix == "IR":  # IR-007 is an information request, not a child
            continue
        ref = f"{prefix}-{digits}"
        if ref not in refs:
            refs.append(ref)
    return tuple(refs)


def redact(text: str, findings: Iterable[Finding]) -> str:
    """`text` with every finding replaced by a placeholder the person can fill in."""
    parts: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda item: item.start):
        if finding.start < position:
            continue
        parts.append(text[position : finding.start])
        parts.append(REDACTED_NAME if finding.kind == "name" else REDACTED_DOB)
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)


def safe_file_name(name: str, *, terms: Iterable[str] = ()) -> str:
    """A file name fit to show in a card or a channel message: as it is, or with any child's
    name or date of birth in it replaced (9.7), keeping the extension and the folders.

    "Chronology_Zofia_Nowak.docx" -> "Chronology [case reference].docx".
    """
    return _safe_file_name(name, tuple(terms))


@functools.lru_cache(maxsize=4096)
def _safe_file_name(name: str, terms: tuple[str, ...]) -> str:
    folder, slash, base = name.rpartition("/")
    if slash:
        return f"{_safe_file_name(folder, terms)}/{_safe_file_name(base, terms)}"
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or len(extension) > 5 or " " in extension:
        stem, dot, extension = base, "", ""
    readable = stem.replace("_", " ")  # the guard reads "Zofia_Nowak" as two words
    findings = check_text(readable, terms=terms)
    if not findings:
        return base
    return f"{redact(readable, findings)}{dot}{extension}"
