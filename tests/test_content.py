from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from toolkit.content import ContentError, load_content

SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


SEEDS = {  # the articles the content is grounded in (they never ship with the toolkit)
    "000_6deb14e528918eb5.txt", "001_488ab021bac707c9.txt", "002_512ec97a7d8d20e6.txt",
    "003_f6fbaf0a297eb2e1.txt", "004_5a4926b35f120bc9.txt",
}
SEED_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def all_sources(content) -> list[tuple[str, tuple[str, ...]]]:
    out = [(f"spectrum.{i.id}", i.sources) for i in content.spectrum.items]
    out += [(f"spectrum.shared_patterns.{k}", p.sources)
            for k, p in content.spectrum.shared_patterns.items()]
    out.append(("spectrum.opposite_pattern", content.spectrum.opposite_pattern.sources))
    out += [(f"origins.{s.id}", s.sources) for s in content.origins.sections]
    out += [(f"boundaries.{s.id}", s.sources) for s in content.boundaries.sections]
    out += [(f"handout.{p.id}", p.sources) for p in content.handout.patterns]
    return out


def test_the_seed_list_matches_the_articles_when_they_are_here():
    if SEED_FOLDER.is_dir():
        assert {p.name for p in SEED_FOLDER.glob("*.txt")} == SEEDS


def test_every_source_names_an_existing_seed(content):
    for where, sources in all_sources(content):
        assert sources, where
        assert set(sources) <= SEEDS, (where, set(sources) - SEEDS)
        assert all(SEED_NAME.match(s) for s in sources), where


def test_shipped_spectrum_covers_the_brief(content):
    spectrum = content.spectrum
    assert spectrum.version == 2
    assert 11 <= len(spectrum.items) <= 13
    assert (spectrum.scale_min, spectrum.scale_max) == (-3, 3)
    assert spectrum.left_label == "Toward over-reliance"  # the unhealthy form, not "dependence"
    assert "dependence" not in spectrum.left_label.lower()
    assert "healthy" in spectrum.intro and "interdependence" in spectrum.intro.lower()
    titles = " ".join(item.title.lower() for item in spectrum.items)
    for topic in ("help", "feelings", "decisions", "time apart", "load", "upset",
                  "needs", "support", "self", "bubble", "relied"):
        assert topic in titles, topic
    for item in spectrum.items:
        statements = (item.left, item.middle, item.right)
        assert all(statements) and len(set(statements)) == 3, item.id
        assert item.prompt, item.id
        assert set(item.practice) == {"left", "middle", "right"}, item.id
        assert len(set(item.practice.values())) == 3, item.id  # each side its own step
        assert set(item.shared_prompt) == {"left", "right"}, item.id
        assert item.facilitator.get("listen_for") and item.facilitator.get("ask"), item.id
        for statement in statements:  # one partner can rate it alone
            assert not statement.lower().startswith(("we ", "us ")), (item.id, statement)
    assert set(spectrum.shared_patterns) == {"left", "right"}
    assert spectrum.shared_patterns["right"].title == "Living side by side"


def test_no_pole_shames_or_flatters(content):
    words = ("fend for themselves", "far too much", "needy", "weak", "selfish", "clingy")
    for item in content.spectrum.items:
        for statement in (item.left, item.middle, item.right):
            assert not any(w in statement.lower() for w in words), (item.id, statement)


def test_shipped_origins_and_plan_cover_the_brief(content):
    origins = content.origins
    assert len(origins.sections) == 7
    assert origins.resonance_labels == ("Not at all", "A little", "Quite a bit", "Very much")
    assert all(s.prompts and s.sources and s.facilitator for s in origins.sections)
    parent = " ".join(origins.sections[1].prompts).lower()
    assert "nobody came" not in parent  # asked without presuming neglect
    assert "family before self" not in origins.sections[5].intro.lower()
    plan = content.boundaries
    tables = [s.id for s in plan.sections if s.kind == "table"]
    assert tables == ["pursuits", "rituals", "small_risks", "agreements", "need_sentences",
                      "expectations", "repair"]
    assert plan.section("review").kind == "date"
    assert [c.id for c in plan.section("rituals").columns] == ["ritual", "how_often", "who_starts"]
    assert [c.id for c in plan.section("small_risks").columns] == [
        "who", "ask", "by_when", "done", "how_it_went"]
    assert all(len(c.label) <= 22 for s in plan.sections for c in s.columns)


def test_the_handout_names_the_four_patterns(content):
    handout = content.handout
    assert [p.id for p in handout.patterns] == [
        "healthy_independence", "hyper_independence", "codependency", "interdependence"]
    words = len(" ".join([handout.title, handout.intro, handout.closing,
                          *(p.title + " " + p.text for p in handout.patterns)]).split())
    assert words <= 420  # one A4 page


def test_the_first_worksheets_stay_available_for_old_sessions(content):
    from toolkit.content import archived_contents, content_for

    old = content_for({"spectrum": 1, "origins": 1, "boundaries": 1}, content.folder)
    assert old.spectrum.left_label == "Toward dependence"  # their own wording
    assert old.spectrum.item("asking_for_help").practice["left"] == \
        old.spectrum.item("asking_for_help").practice["right"]  # one practice for all, as then
    assert old.handout is content.handout  # borrowed from the worksheets in use
    assert [c.versions for c in archived_contents(content.folder)] == [
        {"spectrum": 1, "origins": 1, "boundaries": 1}]
    with pytest.raises(ContentError, match="no worksheets of versions spectrum 7"):
        content_for({"spectrum": 7, "origins": 1, "boundaries": 1}, content.folder)


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
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("labels:"))
    lines[index] = "  labels: [Not at all, A little"  # unclosed list
    path.write_text("\n".join(lines))
    message = _error(worksheet_copy)
    assert "origins.yaml" in message
    assert "YAML syntax error" in message
    assert re.search(rf"line ({index + 1}|{index + 2}|{index + 3})\b", message), message


def test_missing_field_names_item_and_field(worksheet_copy):
    _mutate(worksheet_copy, "spectrum", lambda d: d["items"][6].pop("prompt"))
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


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"min": 1}, "min", "resonance must run from 0 to 3, got 1..3"),
    ({"min": -1}, "min", "resonance must run from 0 to 3, got -1..3"),
    ({"max": 4}, "max", "resonance must run from 0 to 3, got 0..4"),
    ({"max": 2}, "max", "resonance must run from 0 to 3, got 0..2"),
    ({"labels": ["Not at all", "A little", "Very much"]}, "labels",
     "needs 4 labels, one per point, got 3"),
    ({"labels": ["Not at all", "A little", "Some", "Quite a bit", "Very much"]}, "labels",
     "needs 4 labels, one per point, got 5"),
])
def test_resonance_scale_bounds_and_labels_are_checked(worksheet_copy, change, field, words):
    _mutate(worksheet_copy, "origins", lambda d: d["resonance"].update(change))
    message = _error(worksheet_copy)
    assert "item 'resonance'" in message and f"field '{field}'" in message
    assert words in message


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
