from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from toolkit.content import ContentError, load_content

SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def test_shipped_spectrum_covers_the_brief(content):
    spectrum = content.spectrum
    assert 10 <= len(spectrum.items) <= 12
    assert (spectrum.scale_min, spectrum.scale_max) == (-3, 3)
    titles = " ".join(item.title.lower() for item in spectrum.items)
    for topic in ("help", "feelings", "decisions", "time apart", "responsibilities", "upset",
                  "needs", "support", "self", "bubble", "relied"):
        assert topic in titles, topic
    for item in spectrum.items:
        assert item.left and item.middle and item.right and item.prompt and item.practice
        assert len({item.left, item.middle, item.right}) == 3
        assert item.sources and all(SEED_NAME.match(s) for s in item.sources), item.id


def test_shipped_origins_and_plan_cover_the_brief(content):
    assert len(content.origins.sections) == 7
    assert content.origins.resonance_labels[0] == "Not at all"
    assert all(s.prompts and s.sources for s in content.origins.sections)
    plan = content.boundaries
    tables = [s.id for s in plan.sections if s.kind == "table"]
    assert tables == ["pursuits", "rituals", "small_risks", "agreements", "need_sentences"]
    assert plan.section("review").kind == "date"
    assert [c.id for c in plan.section("rituals").columns] == ["ritual", "how_often", "who_starts"]
    assert plan.section("small_risks").column("by_when").type == "date"


def test_content_objects_are_immutable(content):
    with pytest.raises(dataclasses.FrozenInstanceError):
        content.spectrum.items[0].title = "changed"
    assert isinstance(content.spectrum.items, tuple)


def test_own_folder_by_argument_and_environment(worksheet_copy, monkeypatch):
    path = worksheet_copy / "spectrum.yaml"
    data = yaml.safe_load(path.read_text())
    data["items"][0]["title"] = "Demander de l'aide"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert load_content(worksheet_copy).spectrum.items[0].title == "Demander de l'aide"
    monkeypatch.setenv("TOOLKIT_WORKSHEETS_DIR", str(worksheet_copy))
    assert load_content().spectrum.items[0].title == "Demander de l'aide"


def _mutate(folder, name, change):
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _error(folder) -> str:
    with pytest.raises(ContentError) as info:
        load_content(folder)
    return str(info.value)


def test_yaml_syntax_error_names_file_and_line(worksheet_copy):
    path = worksheet_copy / "origins.yaml"
    lines = path.read_text().splitlines()
    lines[12] = "  labels: [Not at all, A little"  # unclosed list
    path.write_text("\n".join(lines))
    message = _error(worksheet_copy)
    assert "origins.yaml" in message
    assert "YAML syntax error" in message
    assert re.search(r"line (1[3-9]|2\d)", message), message


def test_missing_field_names_item_and_field(worksheet_copy):
    _mutate(worksheet_copy, "spectrum", lambda d: d["items"][2].pop("prompt"))
    message = _error(worksheet_copy)
    assert "spectrum.yaml" in message
    assert "item 'decisions'" in message
    assert "field 'prompt'" in message
    assert "missing" in message


def test_duplicate_id(worksheet_copy):
    _mutate(worksheet_copy, "spectrum", lambda d: d["items"][3].update(id="asking_for_help"))
    message = _error(worksheet_copy)
    assert "item 'asking_for_help'" in message and "duplicate id" in message
    assert "entry 4 repeats entry 1" in message


def test_unknown_field(worksheet_copy):
    _mutate(worksheet_copy, "boundaries", lambda d: d["sections"][1].update(colour="red"))
    message = _error(worksheet_copy)
    assert "boundaries.yaml" in message and "item 'rituals'" in message
    assert "field 'colour'" in message and "unknown field" in message


def test_wrong_type(worksheet_copy):
    _mutate(worksheet_copy, "origins", lambda d: d["sections"][0].update(prompts="one prompt"))
    message = _error(worksheet_copy)
    assert "item 'past_hurts'" in message and "field 'prompts'" in message
    assert "expected a list, got text" in message


def test_scale_must_be_minus_three_to_three(worksheet_copy):
    _mutate(worksheet_copy, "spectrum", lambda d: d["scale"].update(max=5))
    message = _error(worksheet_copy)
    assert "item 'scale'" in message and "field 'max'" in message
    assert "-3 to 3" in message and "got -3..5" in message


def test_empty_statement(worksheet_copy):
    _mutate(worksheet_copy, "spectrum", lambda d: d["items"][5].update(middle="   "))
    message = _error(worksheet_copy)
    assert "item 'partner_upset'" in message and "field 'middle'" in message
    assert "must not be empty" in message


def test_wrong_column_type_and_section_kind(worksheet_copy):
    _mutate(worksheet_copy, "boundaries",
            lambda d: d["sections"][0]["columns"][0].update(type="colour"))
    assert "item 'pursuits.who'" in _error(worksheet_copy)


def test_missing_file_and_folder(worksheet_copy, tmp_path):
    (worksheet_copy / "boundaries.yaml").unlink()
    assert "boundaries.yaml: file not found" in _error(worksheet_copy)
    assert "worksheet folder not found" in _error(tmp_path / "nowhere")


def test_file_of_the_wrong_worksheet(worksheet_copy):
    (worksheet_copy / "origins.yaml").write_text(
        (worksheet_copy / "spectrum.yaml").read_text())
    message = _error(worksheet_copy)
    assert "origins.yaml" in message and "field 'worksheet'" in message
