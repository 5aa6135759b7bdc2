"""The guard's figures on the corpus (tests/privacy/corpus/README.md): recall at least 95 %
and false alarms at most 5 % on the held-out part, which was never tuned on."""

from __future__ import annotations

from inspection.privacy import Finding, check_text
from tests.privacy.phrasings import HELD_OUT_PERCENT, Phrasing, corpus, part_of


def _caught(phrasing: Phrasing, findings: list[Finding]) -> bool:
    names = [f for f in findings if f.kind == "name"]
    return all(any(f.start < end and start < f.end for f in names) for start, end in phrasing.names)


def _figures(part: str) -> tuple[float, float]:
    named, clean = corpus()
    named = [p for p in named if p.part == part]
    clean = [p for p in clean if p.part == part]
    caught = sum(_caught(p, check_text(p.text)) for p in named)
    alarms = sum(bool(check_text(p.text)) for p in clean)
    return caught / len(named), alarms / len(clean)


def test_the_corpus_is_big_enough_and_half_names() -> None:
    named, clean = corpus()
    assert len(named) + len(clean) >= 300
    assert abs(len(named) - len(clean)) <= 0.1 * (len(named) + len(clean))
    assert all(p.named for p in named) and not any(p.named for p in clean)
    texts = [p.text for p in (*named, *clean)]
    assert len(set(texts)) == len(texts), "a phrasing is there twice"


def test_the_split_is_fixed_by_the_text_alone() -> None:
    named, clean = corpus()
    everything = [*named, *clean]
    assert all(part_of(p.text) == p.part for p in everything)
    held = sum(p.part == "held_out" for p in everything) / len(everything)
    assert abs(held - HELD_OUT_PERCENT / 100) < 0.1
    for phrasings in (named, clean):
        assert {p.part for p in phrasings} == {"tune", "held_out"}


def test_held_out_recall_and_false_alarms_meet_the_targets() -> None:
    recall, false_alarms = _figures("held_out")
    assert recall >= 0.95, f"recall {recall:.1%} on the held-out part"
    assert false_alarms <= 0.05, f"false alarms {false_alarms:.1%} on the held-out part"


def test_tune_recall_and_false_alarms_meet_the_targets() -> None:
    recall, false_alarms = _figures("tune")
    assert recall >= 0.95 and false_alarms <= 0.05, (recall, false_alarms)
