"""The pure helpers of the ChannelWorkspace port: channel names, folders, members."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspection.errors import ConfigurationError, InspectionError
from inspection.frameworks import FrameworkRegistry
from inspection.model import Member, Role
from inspection.workspace import (
    DEFAULT_CHANNEL_NAME_PATTERN,
    MAX_CHANNEL_NAME,
    FolderPurpose,
    channel_folders,
    channel_name,
    clean_name,
    setup_members,
)

MARCH = date(2024, 3, 4)


def test_default_pattern() -> None:
    assert channel_name(DEFAULT_CHANNEL_NAME_PATTERN, "Fostering", MARCH) == (
        "Inspection - Fostering - Mar 2024"
    )


def test_other_placeholders() -> None:
    assert channel_name("{date} {service} ({year})", "Adoption", MARCH) == (
        "2024-03-04 Adoption (2024)"
    )


@given(st.text(max_size=200))
def test_any_service_name_gives_a_valid_teams_name(service: str) -> None:
    try:
        name = channel_name(DEFAULT_CHANNEL_NAME_PATTERN, service, MARCH)
    except InspectionError:
        assert clean_name(service) == ""
        return
    assert 0 < len(name) <= MAX_CHANNEL_NAME
    assert not set(name) & set("~#%&*{}+/\\:<>?|'\",")
    assert ".." not in name and not name.startswith(("_", ".")) and not name.endswith(".")
    assert name.endswith(" - Mar 2024")


def test_bad_patterns_are_refused_with_the_placeholders_to_use() -> None:
    with pytest.raises(ConfigurationError, match=r"\{service\}, \{month\}"):
        channel_name("Inspection {servce}", "X", MARCH)
    with pytest.raises(ConfigurationError, match="leaves no room"):
        channel_name("x" * 49 + "{service}", "X", MARCH)


def test_a_service_name_of_only_forbidden_characters_is_refused() -> None:
    with pytest.raises(InspectionError, match="use letters and numbers"):
        channel_name(DEFAULT_CHANNEL_NAME_PATTERN, "///", MARCH)


def test_folders_follow_the_rule_file(frameworks: FrameworkRegistry) -> None:
    for framework in frameworks:
        folders = channel_folders(framework)
        required = framework.required_items()
        assert len(folders) == len(required) + 2
        assert [f.item_key for f in folders[: len(required)]] == [i.key for i in required]
        assert all(f.name.startswith(f"{n:02d} ") for n, f in enumerate(folders[:-2], 1))
        assert [f.purpose for f in folders[-2:]] == [
            FolderPurpose.INFORMATION_REQUESTS,
            FolderPurpose.OPTIONAL_DOCUMENTS,
        ]
        assert len({f.name.lower() for f in folders}) == len(folders)


def test_each_person_is_added_once_with_their_strongest_role() -> None:
    people = setup_members(
        [
            Member("a", Role.INSPECTOR),
            Member("a", Role.LEAD_INSPECTOR),
            Member("b", Role.LINK_OFFICER),
        ]
    )
    assert people == (Member("a", Role.LEAD_INSPECTOR), Member("b", Role.LINK_OFFICER))
