"""Rule files: the shipped ones load; a bad one is refused naming file, field and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from inspection.errors import ConfigurationError
from inspection.frameworks import BUILTIN_RULES_DIR, FrameworkRegistry, load_framework

JCC_FILE = BUILTIN_RULES_DIR / "jcc-children-social-care.yaml"


def test_the_three_frameworks_load(frameworks: FrameworkRegistry) -> None:
    assert frameworks.keys() == [
        "care-inspectorate-joint-2012",
        "guernsey-audit-cycle",
        "jcc-children-social-care",
    ]
    calendars = {f.key: (f.calendar.country, f.calendar.subdivision, f.calendar.timezone)
                 for f in frameworks}  # fmt: skip
    assert calendars == {
        "jcc-children-social-care": ("JE", None, "Europe/Jersey"),
        "care-inspectorate-joint-2012": ("GB", "SCT", "Europe/London"),
        "guernsey-audit-cycle": ("GG", None, "Europe/Guernsey"),
    }


def test_jcc_carries_the_handbook_lists(frameworks: FrameworkRegistry) -> None:
    jcc = frameworks.get("jcc-children-social-care")
    assert [item.key for item in jcc.required_items()] == [
        "organisational_structure",
        "self_evaluation_report",
        "child_level_data",
        "quality_improvement_activity",
        "case_audit_list",
        "onsite_meetings",
        "service_user_groups",
        "staffing_data",
    ]
    assert len(jcc.optional_items()) == 11
    child_data = next(i for i in jcc.checklist if i.key == "child_level_data")
    assert len(child_data.sub_items) == 15 and len(child_data.sub_lists) == 6
    staffing = next(i for i in jcc.checklist if i.key == "staffing_data")
    assert len(staffing.sub_items) == 11
    assert {"full", "focused"} == set(jcc.types)
    assert jcc.types["focused"].onsite_working_days_max == 3
    assert jcc.types["focused"].offsite_working_days_max == 5


def _write(tmp_path: Path, data: dict[str, Any], name: str = "jcc-children-social-care") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _jcc_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(JCC_FILE.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (lambda d: d["timeline"][2]["at"][0].update({"from": "notise"}),
         "timeline[2] (documents_due).at[0].from", "'notise' is not an input date"),
        (lambda d: d["calendar"].update({"timezone": "Europe/Atlantis"}),
         "calendar.timezone", "unknown time zone 'Europe/Atlantis'"),
        (lambda d: d["calendar"].update({"country": "ZZ"}),
         "calendar", "the holidays package has no calendar"),
        (lambda d: d.pop("types"), "types", "Field required"),
        (lambda d: d["timeline"][2].update({"due": "soon"}),
         "timeline[2].due", "Extra inputs are not permitted"),
        (lambda d: d["timeline"][2]["at"][0].update({"days": 3}),
         "timeline[2].at[0]", "give one of working_days, days, weeks, nth_working_day"),
        (lambda d: d["timeline"].append(dict(d["timeline"][0])),
         "(top level)", "milestone key 'notice_latest' is used twice"),
        (lambda d: d["checklist"][0].update({"required": "maybe"}),
         "checklist[0].required", "valid boolean"),
    ],
)  # fmt: skip
def test_a_bad_rule_file_names_file_field_and_problem(
    tmp_path: Path, change: Any, field: str, problem: str
) -> None:
    data = _jcc_data()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(ConfigurationError) as caught:
        load_framework(path)
    message = str(caught.value)
    assert str(path) in message
    assert field in message or (field == "(top level)" and "timeline[" in message)
    assert problem in message


def test_key_must_match_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, _jcc_data(), name="another-name")
    with pytest.raises(ConfigurationError, match="must match the file name 'another-name'"):
        load_framework(path)


def test_broken_yaml_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("key: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"broken.yaml: not valid YAML.*line"):
        load_framework(path)


def test_extra_frameworks_folder_adds_a_framework(tmp_path: Path) -> None:
    data = _jcc_data()
    data["key"] = "jcc-pilot"
    _write(tmp_path, data, name="jcc-pilot")
    registry = FrameworkRegistry.load(tmp_path)
    assert "jcc-pilot" in registry
    with pytest.raises(ConfigurationError, match="unknown framework 'nope'; known frameworks"):
        registry.get("nope")


def test_a_clash_with_a_builtin_framework_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, _jcc_data())
    with pytest.raises(ConfigurationError, match="defined twice"):
        FrameworkRegistry.load(tmp_path)


def test_a_missing_frameworks_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="the frameworks folder does not exist"):
        FrameworkRegistry.load(tmp_path / "nowhere")
