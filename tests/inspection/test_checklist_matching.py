"""Matching a file to an item by folder and name: the names people really use."""

from __future__ import annotations

import pytest

from inspection.documents.matching import Matcher
from inspection.frameworks import FrameworkRegistry


@pytest.fixture(scope="module")
def matcher(frameworks: FrameworkRegistry) -> Matcher:
    return Matcher(frameworks.get("jcc-children-social-care").checklist)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("SER 2024.docx", "self_evaluation_report"),
        ("SEF_final_v3.docx", "self_evaluation_report"),
        ("Self assessment 2023-24.pdf", "self_evaluation_report"),
        ("Org chart.pdf", "organisational_structure"),
        ("OrgChart_CYPES.pdf", "organisational_structure"),
        ("Organogram - Children's Services.pptx", "organisational_structure"),
        ("Organisational Structures.pdf", "organisational_structure"),
        ("Annex A.xlsx", "child_level_data"),
        ("ANNEX-A Q3.xlsx", "child_level_data"),
        ("ChAT data Jan.xlsx", "child_level_data"),
        ("ChAT dashboard Jan.pdf", "performance_information"),
        ("CPB minutes March.docx", "corporate_parenting_board_minutes"),
        ("Corporate Parenting Board action plan.docx", "corporate_parenting_board_minutes"),
        ("QA report Q2.pdf", "quality_improvement_activity"),
        ("Quality Assurance Framework.pdf", "quality_improvement_activity"),
        ("Workforce return 2023.xlsx", "staffing_data"),
        ("staffing_return.xlsx", "staffing_data"),
        ("Caseloads and vacancy rates.xlsx", "staffing_data"),
        ("Case file audits.xlsx", "case_audit_list"),
        ("Audit tracker 2023.xlsx", "case_audit_list"),
        ("Meeting schedule inspection week.docx", "onsite_meetings"),
        ("Children in Care Council.docx", "service_user_groups"),
        ("CiCC dates.docx", "service_user_groups"),
        ("Staffing structure.pdf", "organisational_structure"),
        ("Sufficiency strategy.pdf", "placements_sufficiency"),
        ("Signs of Safety practice framework.pdf", "practice_model"),
        ("Continuum of Need.pdf", "threshold_criteria"),
        ("SCR learning brief.pdf", "multi_agency_audits"),
        ("Complaints annual report.pdf", "learning_from_feedback"),
        ("L&D plan 2024.docx", "workforce_development_plans"),
    ],
)
def test_names_people_use(matcher: Matcher, name: str, key: str) -> None:
    result = matcher.decide(matcher.by_name(name))
    assert (result.item_key, result.ambiguous) == (key, False), result.reason


@pytest.mark.parametrize(
    "name",
    [
        "Service plan.docx",  # "SER" is a whole word, not the start of "Service"
        "Clarification.docx",  # nor is "CLA"
        "Lunch menu.pdf",
        "Parking.pdf",
        "Chatham House rules.pdf",  # "ChAT" only as a word
        "Inspection handbook.pdf",
    ],
)
def test_words_inside_other_words_do_not_match(matcher: Matcher, name: str) -> None:
    result = matcher.decide(matcher.by_name(name))
    assert result.item_key is None or result.item_key == "strategic_plans", result


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("Data Nov.xlsx", ["child_level_data", "staffing_data"]),
        ("Audit.xlsx", ["case_audit_list", "multi_agency_audits"]),
    ],
)
def test_ambiguous_names_list_the_options(matcher: Matcher, name: str, options: list[str]) -> None:
    result = matcher.decide(matcher.by_name(name))
    assert result.ambiguous and result.item_key is None
    assert [c.item_key for c in result.candidates] == options


def test_folder_beats_name(matcher: Matcher) -> None:
    result = matcher.decide(matcher.by_folder("Staffing data"), matcher.by_name("SER.docx"))
    assert result.item_key == "staffing_data"
    assert result.reason == "uploaded to the 'Staffing data' folder"


def test_deepest_folder_that_names_an_item(matcher: Matcher) -> None:
    assert [e.item_key for e in matcher.by_folder("Case audits/Archive")] == ["case_audit_list"]
    assert [e.item_key for e in matcher.by_folder("General/Org charts")] == [
        "organisational_structure"
    ]
    assert matcher.by_folder("General") == []
    assert matcher.by_folder("") == []


def test_a_lone_common_word_is_only_a_hint(matcher: Matcher) -> None:
    result = matcher.decide(matcher.by_name("Staff Christmas party.docx"))
    assert result.item_key is None and not result.ambiguous
    assert result.reason == (
        "not enough to go on (its name has the word(s) 'staff': might be 'Staffing data')"
    )


@pytest.mark.parametrize(
    "folder",
    [
        "01 Organisational structures",
        "1. Organisational structures",
        "01 - Organisational structures",
    ],
)
def test_numbered_folders_of_the_channel_set_up(matcher: Matcher, folder: str) -> None:
    assert [e.item_key for e in matcher.by_folder(folder)] == ["organisational_structure"]
