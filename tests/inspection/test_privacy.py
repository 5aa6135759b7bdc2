"""The privacy guard (9.7): names and dates of birth are caught, case references pass."""

from __future__ import annotations

import pytest

from inspection.privacy import check_text, find_case_refs, redact

# Synthetic names only (9.7); none is a real person.
WITH_A_NAME = [
    "Please send the care plan for the boy called Jack",
    "Can we have the chronology for a girl named Poppy?",
    "Supervision notes for the worker of Oliver Smith",
    "Please share Amelia's placement plan",
    "What happened at Hope's last LAC review?",  # not in the name list: caught by context
    "Records for Master Brown",
    "Minutes of the strategy discussion about Miss Tolley",
    "The Jones family chronology since 2022",
    "Please provide the Pemberton household assessment",
    "Contact notes between CR-104233 and her brother Kai",
    "School attendance for his sister, Maisie",
    "Case file for Freddie, aged 9",
    "Return home interview for Zara (14)",
    "Latest CP plan for Archie, 7 years old",
    "Child known as Bex: please send the missing episodes log",
    "Her name is Tamsin and we need her pathway plan",
    "Please check the file for CR-2002, DOB 12/03/2015",
    "Placement history, date of birth: 4 June 2012",
    "Child born on 2014-09-01, case CR-3003: chronology please",
    "Assessment for Ivy-Rose (b. 03/05/2016)",
    "Health assessment for Thomas, 01/02/2013",
    "Please send Mrs Carrow's statement to court",
    "Can we see Darnell's foster carer's annual review?",
    "Sibling assessment for the Okonkwo children",
    "First name: Ellie. Please send the referral",
    "Could the social worker for Noah Fairweather join the KIT?",
    "Missing episodes for CR-4004, date of birth withheld? DOB: see file",
]

NAME_FREE = [
    "Please provide the case file for CR-104233",
    "Supervision records for the team manager, last 6 months",
    "Minutes of the Child in Care Forum since April 2024",
    "Staffing return for March: vacancies, agency staff and sickness",
    "Article 42 enquiries in the last 6 months with outcomes",
    "Early Help assessments completed since 1 January 2024",
    "Please share the chronology for CR-2002 and CR-3003",
    "Can we see the Corporate Parenting Board papers from October?",
    "Return home interviews for CR-5005, all of 2023",
    "The Safeguarding Partnership's annual report",
    "Caseload figures per social worker as at 01/03/2024",
    "IRO review minutes for CR-7007 (last two reviews)",
    "Please provide the Director's report to the Minister",
    "Any audits of CIN plans completed this quarter",
    "Could the Team Manager for the MASH join the KIT on Thursday?",
    "Exploitation screening tool results for CR-8008",
    "Fostering panel minutes, January to March 2024",
    "Complaints log since the last inspection",
    "Please send the SEF action plan with progress to date",
    "Training matrix for residential staff, updated 2024-02-29",
    "Numbers of children looked after by placement type",
    "Management oversight recorded on CR-9009 since May",
    "Please upload the Health Visiting referral pathway",
    "Court timescales for care proceedings, Q4 2023",
    "See section 4 b. of the SEF for the detail",
    "Numbers of children born outside the island in care",
    "Referrals between 01/01/2024 and 31/03/2024",
    "Data on Jersey's children in care",
    "Can the IRO for CR-1001 join the KIT on Tuesday at 10:00?",
    "Please provide the LADO referrals log",
]


@pytest.mark.parametrize("text", WITH_A_NAME)
def test_names_and_dates_of_birth_are_caught(text: str) -> None:
    findings = check_text(text)
    assert findings, f"nothing caught in {text!r}"
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert finding.suggestion


@pytest.mark.parametrize("text", NAME_FREE)
def test_name_free_requests_pass_without_a_warning(text: str) -> None:
    assert [(f.hint, text[f.start : f.end]) for f in check_text(text)] == []


def test_the_sets_are_big_enough() -> None:
    assert len(WITH_A_NAME) >= 20 and len(NAME_FREE) >= 20


def test_a_finding_shows_only_the_first_letter() -> None:
    [finding] = check_text("Please send the care plan for the boy called Jack")
    assert finding.kind == "name"
    assert "Jack" not in finding.hint and '"J…"' in finding.hint
    assert "case reference" in finding.suggestion


def test_a_date_of_birth_is_its_own_kind() -> None:
    kinds = {f.kind for f in check_text("Please check the file for CR-2002, DOB 12/03/2015")}
    assert kinds == {"date_of_birth"}


def test_redact_replaces_the_findings() -> None:
    text = "Case file for Freddie, aged 9, DOB 12/03/2015"
    assert (
        redact(text, check_text(text))
        == "Case file for [case reference], aged 9, [no date of birth]"
    )


def test_case_references_are_found_in_order_once() -> None:
    text = "CR-104233 and cr-1 and CR104233, also CR-2002; not IR-004 or COVID-19"
    assert find_case_refs(text) == ("CR-104233", "CR-2002")
