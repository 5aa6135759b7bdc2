"""The privacy guard: does a request or an answer name a child or give a date of birth?

9.7: inspectors "will not use the names of children, young people or families ... Only a case
reference number within the service's recording system will be used." 7.3: requests are
"shared by child ID". So before anything is logged, the text is checked for what looks like a
name or a date of birth; the bot shows the findings and asks the person to edit or confirm.

The guard is a set of plain heuristics (no language model, no network): cue words ("called",
"named", "Master", "the ... family"), a list of common given names, possessives and family
relations followed by a capitalised word, ages after a name, and dates next to "DOB"/"born".
A finding says where and what kind, and shows no more of the text than its first letter, so a
warning posted in a channel does not repeat the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

FindingKind = Literal["name", "date_of_birth"]

SUGGEST_NAME = "use the child's case reference number instead, e.g. CR-104233 (9.7)"
SUGGEST_DOB = "leave the date of birth out; the case reference is enough (9.7)"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    start: int  # character offsets of the suspect text in the checked string
    end: int
    hint: str  # what looked wrong, showing only the first letter
    suggestion: str


# Common given names (UK and Channel Islands registers). Names that are also everyday words
# or domain words (Will, May, Grace, Hope, Mark, Frank, Summer, Ruby...) are left out on purpose:
# those are caught only with a cue ("called Hope", "Hope's mum").
_GIVEN_NAMES = frozenset(
    """
    aaron abdul abigail adam adrian aidan aiden alan albert alex alexander alexandra alfie alice
    alicia amelia amelie amir amy andrea andrew angela anna annabelle anne antonio archie arlo
    aria arthur ava bailey beatrice bella benjamin bethany billy bobby bradley brandon brooke
    caleb callum cameron carl caroline charlie charlotte chloe christopher ciara clara connor
    conor daisy daniel danielle darren david declan dylan edward eleanor elijah eliza elizabeth
    ella ellie elliot elliott elsie emily emma erin ethan evelyn evie ezra felix finley finn
    florence freddie frederick freya gabriel gemma george georgia gracie hannah harper harriet
    harrison harry harvey hayley heidi henry imogen isaac isabel isabella isabelle isla ivan
    jacob jake james jamie jasmine jason jayden jenna jennifer jessica joanne joe joel john
    jonathan jordan joseph joshua josie jude julia kai karen katie kayla keira kevin kian kieran
    kyle lacey laila lara laura lauren layla leah leo leon lewis liam lily lola louie louis
    louise lucas lucy luke luna maddison madison maisie maria marie martha matilda matthew
    maya megan mia michael michelle millie mohammad mohammed molly muhammad nancy naomi nathan
    nathaniel niamh nicholas nicola noah olivia oliver oscar owen paige patrick paul peter
    phoebe poppy rachel rebecca reggie rhys riley robert rory rosie ryan sadie samantha samuel
    sara sarah scarlett sebastian shannon sienna sofia sophia sophie stanley stephen steven
    stella tamsin teddy thea theo theodore thomas tilly toby tommy tyler victoria violet
    willow william zac zach zachary zara zoe
    """.split()  # noqa: SIM905
)

# Capitalised words that start sentences or name things in this work, never a child.
_NOT_NAMES = frozenset(
    """
    a about after all also an and any are as at be been before both but by can child children
    childrens could dear do does each early every for from further given had has have hello
    help hi how i if in include including is it its kindly last may me more most my need next
    no not of on or our please provide provided share since so some that the their them then
    there these they this those to up was we were what when where which who why will with
    would yes you your thanks thank regards
    january february march april june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    care team manager managers social worker workers service services standard standards forum
    plan plans commission jersey guernsey scotland england director directors inspector
    inspectors inspection lead link officer officers board panel court police school schools
    health hospital safeguarding partnership family families foster fostering adoption
    residential home homes unit hub corporate parenting strategy discussion meeting meetings
    conference review reviews assessment assessments referral referrals contact contacts
    article case cases record records file files data report reports minutes policy
    policies procedure procedures audit audits supervision staff staffing agency island
    states government minister department children's commission's service's director's
    executive senior head principal deputy chair chairs group groups office independent
    reviewing iro cin cla cp cpp lac sef kit mash hr it nhs ofsted jcc ir cr cse cce
    court's board's team's council council's
    """.split()  # noqa: SIM905
)

# Words that, after a capitalised word and "'s", make it very likely a person's name.
_PERSONAL_CONTEXT = frozenset(
    """
    file files case record records plan plans mum mother mom dad father parent parents
    carer carers foster sister brother sibling siblings nan nana gran grandmother grandfather
    school placement social worker birthday review care cp lac cin pathway health
    assessment chronology journey contact contacts family home aunt uncle stepfather
    stepmother partner boyfriend girlfriend
    """.split()  # noqa: SIM905
)

_RELATIONS = (
    r"brother|sister|sibling|siblings|half-brother|half-sister|twin|son|daughter|mum|mother|"
    r"dad|father|nan|nana|gran|grandmother|grandfather|aunt|uncle|cousin|stepfather|"
    r"stepmother|stepson|stepdaughter|boyfriend|girlfriend|baby|child|boy|girl|"
    r"young person|teenager|toddler|infant|pupil|foster child"
)

_CAP = r"[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_NAME = rf"{_CAP}(?:\s+{_CAP})?"

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

_CUE = re.compile(
    rf"\b(called|named|known as|name is|name's|nicknamed|goes by|aka|a\.k\.a\.|"
    rf"first name|surname|forename|full name)\s*[:\-]?\s*({_NAME})",
    re.IGNORECASE,
)
_TITLE = re.compile(rf"\b(Master|Miss|Mrs|Mr|Ms|Mx)\.?\s+({_CAP})")
_FAMILY = re.compile(rf"\b(?:the\s+)?({_CAP})\s+(family|household|children|siblings|twins)\b")
_POSSESSIVE = re.compile(rf"\b({_CAP})['’]s\s+((?:[A-Za-z\-]+\s+){{0,2}}[A-Za-z\-]+)")
_RELATION = re.compile(rf"\b(?:{_RELATIONS}),?\s+({_NAME})", re.IGNORECASE)
_AGE = re.compile(
    rf"\b({_NAME}),?\s*(?:\(\s*(?:aged?\s*)?\d{{1,2}}\s*(?:yrs?|years?(?:\s+old)?)?\s*\)|"
    rf"aged?\s+\d{{1,2}}\b|\d{{1,2}}\s*(?:yrs?|years?)\s*old\b)"
)
_WORD = re.compile(rf"\b({_CAP})\b(?:\s+({_CAP})\b)?")
# "DOB" or "date of birth" is a finding on its own; "born" or "b." only with a date after it.
_DOB = re.compile(
    rf"\b(d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s*date)\s*[:\-]?\s*\(?\s*({_DATE})?"
    rf"|\b(born(?:\s+on)?|b\.)\s*[:\-]?\s*\(?\s*({_DATE})",
    re.IGNORECASE,
)
_NAME_THEN_DATE = re.compile(rf"\b({_NAME})\s*[,(]\s*({_DATE})\s*\)?")
_CASE_REF = re.compile(r"\b([A-Z]{1,6})[-/]?(\d{3,12})\b")


def _is_name_word(word: str) -> bool:
    return word.lower() not in _NOT_NAMES and not word.isupper()


def _masked(text: str) -> str:
    return f'"{text[:1]}…"'


def check_text(text: str) -> list[Finding]:
    """Everything in `text` that looks like a child's name or date of birth, in text order.

    Case references ("CR-104233") are never findings.
    """
    findings: dict[tuple[int, int], Finding] = {}
    for finding in _scan(text or ""):
        overlaps = [
            key for key in findings if key[0] < finding.end and finding.start < key[1]
        ]  # keep one finding per stretch of text: the longest
        if any(key[1] - key[0] >= finding.end - finding.start for key in overlaps):
            continue
        for key in overlaps:
            del findings[key]
        findings[(finding.start, finding.end)] = finding
    return sorted(findings.values(), key=lambda finding: finding.start)


def _name(start: int, end: int, hint: str) -> Finding:
    return Finding("name", start, end, hint, SUGGEST_NAME)


def _scan(text: str) -> Iterator[Finding]:
    for match in _DOB.finditer(text):
        start, end = match.span()
        yield Finding(
            "date_of_birth",
            start,
            end,
            f'a date of birth after "{(match.group(1) or match.group(3)).strip()}"',
            SUGGEST_DOB,
        )
    for match in _NAME_THEN_DATE.finditer(text):
        if _is_name_word(match.group(1).split()[0]):
            yield Finding(
                "date_of_birth",
                match.start(2),
                match.end(2),
                f"a date right after a possible name {_masked(match.group(1))}",
                SUGGEST_DOB,
            )
    for match in _CUE.finditer(text):
        name = match.group(2)
        if _is_name_word(name.split()[0]):
            cue = match.group(1).lower()
            yield _name(match.start(2), match.end(2), f'a name after "{cue}" {_masked(name)}')
    for match in _TITLE.finditer(text):
        yield _name(
            match.start(),
            match.end(),
            f'a name after "{match.group(1)}" {_masked(match.group(2))}',
        )
    for match in _FAMILY.finditer(text):
        if _is_name_word(match.group(1)):
            yield _name(
                match.start(1),
                match.end(1),
                f'a family name before "{match.group(2)}" {_masked(match.group(1))}',
            )
    for match in _POSSESSIVE.finditer(text):
        word = match.group(1)
        context = set(match.group(2).lower().split())
        if _is_name_word(word) and context & _PERSONAL_CONTEXT:
            yield _name(match.start(1), match.end(1), f'a name before "\'s" {_masked(word)}')
    for match in _RELATION.finditer(text):
        name = match.group(1)
        if _is_name_word(name.split()[0]) and name[:1].isupper():
            yield _name(match.start(1), match.end(1), f"a name after a relation {_masked(name)}")
    for match in _AGE.finditer(text):
        name = match.group(1)
        if _is_name_word(name.split()[0]):
            yield _name(match.start(1), match.end(1), f"a name before an age {_masked(name)}")
    for match in _WORD.finditer(text):
        first = match.group(1)
        if first.lower() in _GIVEN_NAMES:
            second = match.group(2)
            end = match.end(2) if second and _is_name_word(second) else match.end(1)
            yield _name(match.start(1), end, f"a common first name {_masked(first)}")


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


def redact(text: str, findings: list[Finding]) -> str:
    """`text` with every finding replaced by a placeholder the person can fill in."""
    parts: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda item: item.start):
        if finding.start < position:
            continue
        parts.append(text[position : finding.start])
        parts.append("[case reference]" if finding.kind == "name" else "[no date of birth]")
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)
