"""Which checklist item a file is, from its folder, its name and its content.

Evidence has a confidence and a reason in words. Strongest first: the folder it was
uploaded to, then its name (synonyms and abbreviations people really use), then its content
(sheet names, headings, column headers). An explicit mapping by a person beats all of these and
is applied by the checklist service, not here. When two items are about as likely, the result
is ambiguous and becomes a question for the link officer rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from inspection.documents.content import DocumentContent
from inspection.documents.text import contains_phrase, is_version_token, name_tokens, tokens
from inspection.frameworks import ChecklistItemSpec

EvidenceKind = Literal["mapping", "folder", "name", "content"]

FOLDER_CONFIDENCE = 0.95
MATCH_THRESHOLD = 0.5
# Two items closer than this are "about as likely": ask, don't guess.
AMBIGUITY_MARGIN = 0.05
WEAK_CONFIDENCE = 0.35

# Words that say nothing about which document a file is.
_FILLER = frozenset(
    {
        "of", "and", "the", "a", "an", "in", "for", "to", "on", "at", "by", "with", "&", "all",
        "doc", "file", "document", "docx", "xlsx", "pdf", "our", "jcc", "inspection", "cyp",
        "cype", "jersey", "service", "s", "my", "copy",
    }
)  # fmt: skip


_NUMBERING = re.compile(r"^\s*\d{1,3}\s*[.)_-]?\s+")


@dataclass(frozen=True)
class Evidence:
    item_key: str
    confidence: float
    reason: str
    kind: EvidenceKind


@dataclass(frozen=True)
class MatchResult:
    """The decision for one file. `candidates` are the items considered, best first."""

    item_key: str | None
    confidence: float
    reason: str
    candidates: tuple[Evidence, ...] = ()
    ambiguous: bool = False


@dataclass(frozen=True)
class _ItemVocabulary:
    item: ChecklistItemSpec
    folder: tuple[str, ...]
    title: tuple[str, ...]
    synonyms: tuple[tuple[str, tuple[str, ...]], ...]  # (as written, tokens)
    words: frozenset[str]
    hints: tuple[tuple[str, tuple[str, ...]], ...]


def _is_abbreviation(written: str) -> bool:
    letters = [c for c in written if c.isalpha()]
    return bool(letters) and len(written) <= 5 and sum(c.isupper() for c in letters) >= 2


class Matcher:
    """Matches files to the items of one framework's checklist."""

    def __init__(self, items: Sequence[ChecklistItemSpec]) -> None:
        self.items = tuple(items)
        self._vocab: list[_ItemVocabulary] = []
        for item in items:
            synonyms = tuple((s, tokens(s)) for s in (*item.synonyms, item.key.replace("_", " ")))
            hint_texts = [*item.content_hints]
            for sub in (*item.sub_items, *item.sub_lists):
                hint_texts.append(sub.title)
                hint_texts.extend(s for s in sub.synonyms if len(s) > 3 or s.isupper())
            words = {
                t
                for _, toks in synonyms
                for t in toks
                if t not in _FILLER and not is_version_token(t)
            }
            words.update(t for t in tokens(item.title) if t not in _FILLER)
            self._vocab.append(
                _ItemVocabulary(
                    item=item,
                    folder=tokens(item.folder) if item.folder else (),
                    title=tokens(item.title),
                    synonyms=tuple((s, t) for s, t in synonyms if t),
                    words=frozenset(words),
                    hints=tuple((h, tokens(h)) for h in hint_texts if tokens(h)),
                )
            )

    # --- evidence ----------------------------------------------------------------------------

    def by_folder(self, folder: str) -> list[Evidence]:
        """The deepest folder segment naming an item ("Staffing data/2024" -> staffing_data)."""
        segments = [s for s in folder.replace("\\", "/").split("/") if s.strip()]
        for segment in reversed(segments):
            # The channel set-up numbers its folders in checklist order ("01 Staffing data").
            words = tokens(_NUMBERING.sub("", segment))
            found: list[Evidence] = []
            for vocab in self._vocab:
                if vocab.folder and words == vocab.folder:
                    found.append(
                        Evidence(
                            vocab.item.key,
                            FOLDER_CONFIDENCE,
                            f"uploaded to the '{segment}' folder",
                            "folder",
                        )
                    )
                elif words in (vocab.title, *(t for _, t in vocab.synonyms)):
                    found.append(
                        Evidence(
                            vocab.item.key,
                            FOLDER_CONFIDENCE - 0.05,
                            f"uploaded to a folder called '{segment}'",
                            "folder",
                        )
                    )
            if found:
                return found
        return []

    def by_name(self, name: str) -> list[Evidence]:
        """Full synonyms in the name; failing those, words shared with an item's vocabulary."""
        stem = name.rsplit(".", 1)[0] if "." in name else name
        forms = name_tokens(stem)
        strong: list[Evidence] = []
        present = {t for form in forms for t in form}
        for vocab in self._vocab:
            best: Evidence | None = None
            for form in forms:
                if vocab.title and vocab.title[0] in present and contains_phrase(form, vocab.title):
                    best = Evidence(vocab.item.key, 0.9, "its name is the item's title", "name")
                    break
                for written, phrase in vocab.synonyms:
                    if phrase[0] not in present or not contains_phrase(form, phrase):
                        continue
                    if len(phrase) > 1:
                        confidence = min(0.85 + 0.02 * (len(phrase) - 2), 0.9)
                    elif _is_abbreviation(written):
                        confidence = 0.75
                    else:
                        confidence = 0.7
                    if best is None or confidence > best.confidence:
                        best = Evidence(
                            vocab.item.key, confidence, f"its name contains '{written}'", "name"
                        )
            if best is not None:
                strong.append(best)
        if strong:
            return strong
        words = {t for form in forms for t in form if t not in _FILLER and not is_version_token(t)}
        weak: list[Evidence] = []
        for vocab in self._vocab:
            shared = sorted(words & vocab.words)
            if shared:
                weak.append(
                    Evidence(
                        vocab.item.key,
                        WEAK_CONFIDENCE + 0.02 * (len(shared) - 1),
                        f"its name has the word(s) {', '.join(repr(w) for w in shared)}",
                        "name",
                    )
                )
        return weak

    def by_content(self, content: DocumentContent) -> list[Evidence]:
        """Content hints (and Appendix sub-items) found in sheet names, headings, headers."""
        labels = [tokens(label) for label in content.labels()[:5000]]
        labels = [label for label in labels if label]
        found: list[Evidence] = []
        for vocab in self._vocab:
            hits = [
                written
                for written, phrase in vocab.hints
                if any(contains_phrase(label, phrase) for label in labels)
            ]
            hits = list(dict.fromkeys(hits))
            if len(hits) >= 2:
                confidence = min(0.55 + 0.05 * (len(hits) - 2), 0.8)
            elif hits:
                confidence = 0.3
            else:
                continue
            shown = ", ".join(f"'{h}'" for h in hits[:4])
            found.append(
                Evidence(vocab.item.key, confidence, f"its content mentions {shown}", "content")
            )
        return found

    # --- decision ------------------------------------------------------------------------------

    def decide(self, *groups: Iterable[Evidence]) -> MatchResult:
        """Combine evidence: folder first; otherwise name and content per item."""
        evidence = [e for group in groups for e in group]
        folder = [e for e in evidence if e.kind == "folder"]
        if folder:
            best = max(folder, key=lambda e: e.confidence)
            others = tuple(e for e in evidence if e.item_key != best.item_key)
            return MatchResult(best.item_key, best.confidence, best.reason, (best, *others))
        per_item: dict[str, list[Evidence]] = {}
        for e in evidence:
            per_item.setdefault(e.item_key, []).append(e)
        scored: list[Evidence] = []
        for key, items in per_item.items():
            items.sort(key=lambda e: -e.confidence)
            top = items[0]
            score = top.confidence
            reason = top.reason
            if len(items) > 1 and items[1].confidence >= 0.3:
                score = min(score + 0.05, 0.95)
                reason = f"{top.reason}, and {items[1].reason}"
            scored.append(Evidence(key, round(score, 3), reason, top.kind))
        order = {item.key: index for index, item in enumerate(self.items)}
        scored.sort(
            key=lambda e: (-e.confidence, not self._required(e.item_key), order[e.item_key])
        )
        if not scored:
            return MatchResult(None, 0.0, "nothing in its folder, name or content matches an item")
        top = scored[0]
        if top.confidence >= MATCH_THRESHOLD:
            rivals = [
                e
                for e in scored[1:]
                if e.confidence >= MATCH_THRESHOLD
                and e.confidence >= top.confidence - AMBIGUITY_MARGIN
            ]
            if not rivals:
                return MatchResult(top.item_key, top.confidence, top.reason, tuple(scored))
            options = (top, *rivals)[:3]
            return MatchResult(
                None, top.confidence, "it could be more than one item", options, True
            )
        weak = [e for e in scored if e.confidence >= 0.3]
        if len(weak) >= 2:
            # Prefer the required items: those are what the link officer is chasing.
            weak.sort(key=lambda e: (not self._required(e.item_key), -e.confidence))
            return MatchResult(
                None,
                top.confidence,
                "its name could mean more than one item",
                tuple(weak[:3]),
                True,
            )
        if weak:
            title = self.item(weak[0].item_key).title
            return MatchResult(
                None,
                top.confidence,
                f"not enough to go on ({weak[0].reason}: might be '{title}')",
                tuple(weak),
            )
        return MatchResult(None, 0.0, "nothing in its folder, name or content matches an item")

    def _required(self, key: str) -> bool:
        return self.item(key).required

    def item(self, key: str) -> ChecklistItemSpec:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def resolve(self, words: str) -> list[ChecklistItemSpec]:
        """Items a person may mean by `words` ("the staffing return", "SER", "staffing_data"),
        best first. Used when someone says "this file is the staffing return"."""
        text = words.strip()
        for item in self.items:
            if text == item.key or tokens(text) == tokens(item.title):
                return [item]
        result = self.decide(self.by_name(text))
        if result.item_key is not None:
            return [self.item(result.item_key)]
        return [self.item(e.item_key) for e in result.candidates]
