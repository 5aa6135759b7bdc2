"""The privacy guard reads structure, not only a list (9.7): each kind of name it must catch,
and the domain's own proper nouns, initials, job titles and case references it must let pass.

Synthetic names only: common given and family names put together at random.
"""

from __future__ import annotations

import logging

import pytest

from inspection.frameworks import FrameworkRegistry
from inspection.privacy import check_text, redact, safe_file_name, warm_up


def _named(text: str, *, terms: tuple[str, ...] = ()) -> list[str]:
    return [text[f.start : f.end] for f in check_text(text, terms=terms) if f.kind == "name"]


KINDS: dict[str, list[tuple[str, str]]] = {
    "lower case": [
        ("please send the care plan for olivia", "olivia"),
        ("the chronology for mateusz is incomplete", "mateusz"),
        ("return home interview for ayodele please", "ayodele"),
    ],
    "Polish given names": [
        ("Please send the placement plan for Małgorzata", "Małgorzata"),
        ("Supervision notes where Krzysztof was discussed", "Krzysztof"),
    ],
    "Portuguese given names": [
        ("The review for Gonçalo was postponed", "Gonçalo"),
        ("Can we see Joana's pathway plan?", "Joana"),
    ],
    "West African given names": [
        ("Please share the CP plan for Chukwuemeka", "Chukwuemeka"),
        ("Missing episodes for Akosua since June", "Akosua"),
    ],
    "Arabic given names": [
        ("The social worker for Mustafa has changed", "Mustafa"),
        ("Health assessment for Samira, please", "Samira"),
    ],
    "South Asian given names": [
        ("Education plan for Siddharth and the PEP", "Siddharth"),
        ("Please provide Lakshmi's LAC review minutes", "Lakshmi"),
    ],
    "Channel Islands surnames with particles": [
        ("Please send the file for Oscar Le Maistre", "Le Maistre"),
        ("The de Sausmarez children were placed together", "de Sausmarez"),
        ("Assessment of the Du Parcq family", "Du Parcq"),
        ("Chronology for Ava de la Rue", "de la Rue"),
    ],
    "accents, hyphens and apostrophes": [
        ("Please send the plan for Chloë", "Chloë"),
        ("The review for Mary-Jane was late", "Mary-Jane"),
        ("Contact notes for Aoife O'Brien", "O'Brien"),
        ("Please share the case file for Dev D'Cruz", "D'Cruz"),
    ],
    "a name where a case reference would stand": [
        ("Supervision notes re Kwabena", "Kwabena"),
        ("Child: Tadeusz", "Tadeusz"),
        ("Allocated to: Ekow", "Ekow"),
        ("Please send the LAC review minutes. Thanks, Ebere", "Ebere"),
        ("Visits to Olek are overdue", "Olek"),
    ],
    "names that are also everyday words, with a cue": [
        ("Please provide the chronology for Hope", "Hope"),
        ("What happened at Faith's last review?", "Faith"),
        ("Baby Blossom was born last month", "Blossom"),
        ("The boy called Rocky missed school", "Rocky"),
        ("Contact between Autumn and her father", "Autumn"),
    ],
    "families, siblings and ages": [
        ("The Wiśniewski family chronology", "Wiśniewski"),
        ("The twins, Kwesi and Esi, are placed together", "Esi"),
        ("Mikael, 12, has been missing twice", "Mikael"),
        ("Ife (14) is at risk of exploitation", "Ife"),
    ],
}


@pytest.mark.parametrize(
    ("kind", "text", "name"),
    [(kind, text, name) for kind, cases in KINDS.items() for text, name in cases],
)
def test_each_kind_of_name_is_caught(kind: str, text: str, name: str) -> None:
    found = _named(text)
    assert any(name in span or span in name for span in found), (kind, text, found)


CLEAN = [
    # teams, services, boards
    "Please send the plan for the Duty and Assessment Team",
    "The Corporate Parenting Board met in October",
    "The Safeguarding Partnership Board's annual report",
    "Family Nursing & Home Care attended the strategy meeting",
    "Please share the CAMHS waiting list figures",
    # places in Jersey and Guernsey
    "The referral came from Le Rocquier School",
    "Placement at La Moye was considered",
    "The family moved from St Peter Port to the Vale",
    "The child attends La Mare de Carteret School",
    "Please share Les Ormes placement costs",
    "The Gorey drop-in is on Saturdays",
    # documents, systems, the handbook's terms
    "Please send the Self-Evaluation Report and the Annex A lists",
    "Could we see the Mosaic training guide?",
    "Notes of the Keep in Touch meeting for the Lead Inspector",
    # job titles, roles, initials, case references
    "The Principal Social Worker and the Head of Service will attend",
    "Case notes for K.M., the allocated social worker, are attached",
    "Please send the chronology for CR-104233",
    "Child: CR-300112",
    "Young person: CR-550021, 15",
    # seasons, months and everyday words
    "Please send the summer holiday activity plan",
    "Winter pressures plan for the Duty Team",
    "Please send the plan for May",
    "Is there any hope of the audit tool by Friday?",
    "We will send the staffing data on Monday",
    "Please mark the files you have shared",
]


@pytest.mark.parametrize("text", CLEAN)
def test_the_domains_own_words_raise_no_alarm(text: str) -> None:
    assert [(f.hint, text[f.start : f.end]) for f in check_text(text)] == []


def test_a_framework_extends_the_proper_nouns(frameworks: FrameworkRegistry) -> None:
    # Heathfield is a Jersey name of a place; the JCC rule file says so (privacy:).
    text = "Visits to Heathfield are recorded weekly"
    assert _named(text) == ["Heathfield"]
    terms = frameworks.get("jcc-children-social-care").privacy.proper_nouns
    assert "Heathfield" in terms
    assert check_text(text, terms=terms) == []
    # The Scottish framework knows the Named Person; the word after "named" is not a child.
    scottish = frameworks.get("care-inspectorate-joint-2012").privacy.proper_nouns
    assert check_text("The Named Person service was consulted", terms=scottish) == []


def test_a_rule_file_with_a_blank_proper_noun_is_refused() -> None:
    from inspection.frameworks import PrivacyRules

    with pytest.raises(ValueError, match="entry 1 is blank; give the name of a place"):
        PrivacyRules(proper_nouns=("Heathfield", "  "))


def test_a_finding_never_repeats_the_name() -> None:
    text = "Please share the chronology for Zofia Nowicka, DOB 04/06/2012"
    findings = check_text(text)
    assert {f.kind for f in findings} == {"name", "date_of_birth"}
    for finding in findings:
        assert "Zofia" not in finding.hint and "Nowicka" not in finding.hint
        assert "04/06/2012" not in finding.hint
    assert redact(text, findings) == (
        "Please share the chronology for [case reference], [no date of birth]"
    )


def test_a_family_name_with_two_particles_is_one_finding() -> None:
    assert _named("Chronology for Ava de la Rue") == ["Ava de la Rue"]
    assert _named("Please send the file for Oscar Le Maistre") == ["Oscar Le Maistre"]


def test_a_full_name_is_one_finding() -> None:
    [finding] = check_text("Could the IRO for Natalia Wójcik join the KIT?")
    assert finding.hint.endswith('"N…"')
    assert (
        "Could the IRO for Natalia Wójcik join the KIT?"[finding.start : finding.end]
        == "Natalia Wójcik"
    )


def test_file_names_are_made_safe_to_show() -> None:
    assert safe_file_name("Chronology_Zofia_Nowak_2024.docx") == (
        "Chronology [case reference] 2024.docx"
    )
    assert safe_file_name("Case audits/CP plan - Priya - final.pdf") == (
        "Case audits/CP plan - [case reference] - final.pdf"
    )
    for clean in ("Staffing return Q3.xlsx", "Org chart.pdf", "CR-104233 chronology.docx",
                  "Self Evaluation Report 2024.docx", "March 2024 report.docx"):  # fmt: skip
        assert safe_file_name(clean) == clean


def test_warm_up_loads_the_lists_once_and_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    warm_up()
    warm_up(("Heathfield",))
    check_text("Please send the care plan for Kacper")
    assert "Kacper" not in caplog.text
