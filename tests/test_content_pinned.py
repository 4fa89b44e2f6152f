"""Pinned details of the worksheet content a therapist edits: every malformed worksheet
is refused with a message naming the file, the item and the field (worded exactly, as
the facilitator reads it), and the words the toolkit fills in itself (readings, zone
words, titles) are the ones written here by hand.

Most cases edit a copy of the shipped worksheet (loaded once) and hand it to the
parser with the file name it would have on disk; a few write real files in tmp_path."""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import WORKSHEETS
from toolkit import content as content_module
from toolkit.content import (
    ContentError,
    archived_contents,
    content_for,
    default_worksheets_dir,
    load_content,
    parse_boundaries,
    parse_handout,
    parse_origins,
    parse_referrals,
    parse_safety,
    parse_spectrum,
)

PARSERS = {"spectrum": parse_spectrum, "origins": parse_origins,
           "boundaries": parse_boundaries, "handout": parse_handout, "safety": parse_safety,
           "referrals": parse_referrals}
SHIPPED = {name: yaml.safe_load((WORKSHEETS / f"{name}.yaml").read_text())
           for name in PARSERS}
V1_SPECTRUM = yaml.safe_load((WORKSHEETS / "archive" / "v1" / "spectrum.yaml").read_text())
FILE = "/practice/worksheets"


SHIPPED_DATA = object()


def parsed(name: str, change=None, data=SHIPPED_DATA):
    """The shipped worksheet ``name`` (or ``data``), changed by ``change(data)``, parsed."""
    data = copy.deepcopy(SHIPPED[name] if data is SHIPPED_DATA else data)
    if change is not None:
        change(data)
    return PARSERS[name](data, f"{FILE}/{name}.yaml")


def refused(name: str, change, data=SHIPPED_DATA) -> str:
    with pytest.raises(ContentError) as info:
        parsed(name, change, data)
    return str(info.value)


def where(name: str, item: str | None = None, field: str | None = None) -> str:
    text = f"{FILE}/{name}.yaml"
    if item is not None:
        text += f", item '{item}'"
    if field is not None:
        text += f", field '{field}'"
    return text + ": "


def folded(text: str) -> str:
    """Text as a facilitator wrote it, folded lines joined by single spaces."""
    return " ".join(text.split())


def item_of(data: dict, item_id: str) -> dict:
    return next(i for i in data["items"] if i["id"] == item_id)


def section_of(data: dict, section_id: str) -> dict:
    return next(s for s in data["sections"] if s["id"] == section_id)


# --- the error itself -----------------------------------------------------------------------


def test_the_error_names_file_line_item_and_field_in_that_order():
    error = ContentError(Path("w/spectrum.yaml"), "something is off", item="decisions",
                         field="prompt", line=12)
    assert str(error) == "w/spectrum.yaml, line 12, item 'decisions', field 'prompt': " \
                         "something is off"
    assert (error.file, error.item, error.field, error.line) == (
        "w/spectrum.yaml", "decisions", "prompt", 12)
    assert isinstance(error, ValueError)
    bare = ContentError("w/origins.yaml", "file not found")
    assert str(bare) == "w/origins.yaml: file not found"
    assert (bare.item, bare.field, bare.line) == (None, None, None)


# --- mappings, fields and their kinds --------------------------------------------------------


@pytest.mark.parametrize(("value", "kind"), [
    (None, "nothing"), (5, "a number"), (2.5, "a number"), (True, "true/false"),
    (["a"], "a list"), ({"a": 1}, "a mapping"), (dt.date(2026, 1, 1), "date"),
])
def test_a_title_of_the_wrong_kind_says_what_it_got(value, kind):
    message = refused("spectrum", lambda d: item_of(d, "decisions").update(title=value))
    assert message == where("spectrum", "decisions", "title") + f"expected text, got {kind}"


def test_a_section_that_is_not_a_mapping():
    message = refused("spectrum", lambda d: d.update(scale=[-3, 3]))
    assert message == where("spectrum", "scale") + "expected a mapping, got a list"


def test_a_whole_file_that_is_not_a_mapping():
    assert refused("origins", None, data=["worksheet", "origins"]) == \
        where("origins") + "expected a mapping, got a list"
    assert refused("origins", None, data=None) == where("origins") + \
        "expected a mapping, got nothing"


def test_unknown_fields_list_what_is_allowed_and_name_the_first_unknown():
    message = refused("spectrum", lambda d: d["scale"].update(zebra=1, colour="red"))
    assert message == where("spectrum", "scale", "colour") + (
        "unknown field (allowed: left_label, max, middle_label, min, right_label, zones)")
    message = refused("spectrum", lambda d: d.update(notes="mine"))
    assert message == where("spectrum", field="notes") + (
        "unknown field (allowed: intro, items, opposite_pattern, readings, scale, "
        "shared_patterns, title, version, worksheet)")
    message = refused("spectrum", lambda d: d["scale"].update({7: "seven"}))
    assert message == where("spectrum", "scale", "7") + (
        "unknown field (allowed: left_label, max, middle_label, min, right_label, zones)")


def test_text_is_tidied_and_blank_text_refused():
    spectrum = parsed("spectrum", lambda d: item_of(d, "decisions").update(
        title="  Making   decisions\n together "))
    assert spectrum.item("decisions").title == "Making decisions together"
    message = refused("spectrum", lambda d: item_of(d, "decisions").update(title=" \n "))
    assert message == where("spectrum", "decisions", "title") + "must not be empty"
    message = refused("spectrum", lambda d: item_of(d, "decisions").pop("title"))
    assert message == where("spectrum", "decisions", "title") + "missing required field"


@pytest.mark.parametrize(("version", "message"), [
    (True, "expected a whole number, got true/false"),
    (2.0, "expected a whole number, got a number"),
    ("2", "expected a whole number, got text"),
    (0, "must be 1 or more"),
    (-1, "must be 1 or more"),
])
def test_the_version_must_be_a_whole_number_from_one(version, message):
    assert refused("handout", lambda d: d.update(version=version)) == \
        where("handout", field="version") + message


def test_version_one_is_accepted():
    assert parsed("handout", lambda d: d.update(version=1)).version == 1
    assert parsed("handout", lambda d: d.update(version=7)).version == 7


def test_lists_must_be_lists_and_not_empty():
    assert refused("spectrum", lambda d: d.update(items="asking_for_help")) == \
        where("spectrum", field="items") + "expected a list, got text"
    assert refused("spectrum", lambda d: d.update(items={"id": "x"})) == \
        where("spectrum", field="items") + "expected a list, got a mapping"
    assert refused("spectrum", lambda d: d.update(items=[])) == \
        where("spectrum", field="items") + "must not be empty"
    assert refused("spectrum", lambda d: item_of(d, "decisions").update(sources=[])) == \
        where("spectrum", "decisions", "sources") + "must not be empty"


def test_required_lists_must_be_there():
    assert refused("spectrum", lambda d: d.pop("items")) == \
        where("spectrum", field="items") + "missing required field"
    assert refused("spectrum", lambda d: item_of(d, "decisions").pop("sources")) == \
        where("spectrum", "decisions", "sources") + "missing required field"
    assert refused("origins", lambda d: section_of(d, "past_hurts").pop("prompts")) == \
        where("origins", "past_hurts", "prompts") + "missing required field"


def test_each_source_must_be_text():
    assert refused("spectrum", lambda d: item_of(d, "decisions").update(
        sources=["000_6deb14e528918eb5.txt", "  "])) == \
        where("spectrum", "decisions", "sources") + "entry 2 must be non-empty text, got '  '"
    assert refused("spectrum", lambda d: item_of(d, "decisions").update(sources=[5])) == \
        where("spectrum", "decisions", "sources") + "entry 1 must be non-empty text, got 5"
    # a long wrong entry is cut to its first 57 characters and "...":
    # "[0, " to "9, " are 31 characters, "10, " to "15, " 24 more, then "16"
    numbers = list(range(30))
    assert refused("spectrum", lambda d: item_of(d, "decisions").update(sources=[numbers])) \
        == where("spectrum", "decisions", "sources") + "entry 1 must be non-empty text, got " \
        "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16..."
    spectrum = parsed("spectrum", lambda d: item_of(d, "decisions").update(
        sources=["  a.txt ", "b\n  c.txt"]))
    assert spectrum.item("decisions").sources == ("a.txt", "b c.txt")


def test_entries_of_a_list_need_a_mapping_with_a_proper_id():
    def third_is_text(d):
        d["items"][2] = "decisions"

    assert refused("spectrum", third_is_text) == \
        where("spectrum", field="items") + "entry 3 must be a mapping, got text"
    invalid = "missing or invalid id (letters, digits and underscores)"
    assert refused("spectrum", lambda d: d["items"][1].pop("id")) == \
        where("spectrum", "#2", "id") + invalid
    assert refused("spectrum", lambda d: d["items"][1].update(id=12)) == \
        where("spectrum", "#2", "id") + invalid
    assert refused("spectrum", lambda d: d["items"][0].update(id="two words")) == \
        where("spectrum", "two words", "id") + invalid
    assert refused("spectrum", lambda d: d["items"][0].update(id="1st")) == \
        where("spectrum", "1st", "id") + invalid
    assert refused("spectrum", lambda d: d["items"][4].update(id="sharing_feelings")) == \
        where("spectrum", "sharing_feelings", "id") + "duplicate id: entry 5 repeats entry 2"
    spectrum = parsed("spectrum", lambda d: d["items"][0].update(id="item_2b"))
    assert spectrum.ids[0] == "item_2b"


# --- which worksheet a file is ---------------------------------------------------------------


def test_a_file_of_another_worksheet_is_refused_by_name():
    assert refused("origins", None, data=SHIPPED["spectrum"]) == \
        where("origins", field="worksheet") + "expected worksheet: origins, got 'spectrum'"
    assert refused("origins", lambda d: d.pop("worksheet")) == \
        where("origins", field="worksheet") + "expected worksheet: origins, got None"


def test_a_long_wrong_worksheet_name_is_cut_short():
    # repr of 58 x's is 60 characters: shown whole; of 59 x's, 61: cut to 57 and "..."
    message = refused("handout", lambda d: d.update(worksheet="x" * 58))
    assert message.endswith("got '" + "x" * 58 + "'")
    message = refused("handout", lambda d: d.update(worksheet="x" * 59))
    assert message.endswith("got '" + "x" * 56 + "...")


# --- the spectrum -----------------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "field", "got"), [
    ({"min": -2}, "min", "-2..3"),
    ({"max": 4}, "max", "-3..4"),
    ({"min": 0, "max": 6}, "min", "0..6"),
])
def test_the_scale_must_run_from_minus_three_to_three(scale, field, got):
    assert refused("spectrum", lambda d: d["scale"].update(scale)) == \
        where("spectrum", "scale", field) + f"the scale must run from -3 to 3, got {got}"


def test_the_shipped_spectrum_words_every_reading_without_a_full_stop():
    spectrum = parsed("spectrum")
    written = SHIPPED["spectrum"]
    assert written["readings"]  # the shipped file words its readings
    for reading_id, text in written["readings"].items():
        assert folded(text).endswith(".")  # written as sentences...
        assert spectrum.readings[reading_id] == folded(text)[:-1]  # ...shown without the stop
    assert set(spectrum.readings) == {"left", "right", "mixed", "pulls_left", "pulls_right",
                                      "balanced", "none"}
    zones = {side: folded(text) for side, text in written["scale"]["zones"].items()}
    assert dict(spectrum.zones) == zones and set(zones) == {"left", "middle", "right"}
    assert dict(spectrum.reading_titles) == {
        "left": f"leans {zones['left']}",
        "right": f"leans {zones['right']}",
        "mixed": "strong answers at both ends",
        "pulls_left": "mostly near the middle",
        "pulls_right": "mostly near the middle",
        "balanced": "near the middle",
        "none": "not answered yet",
    }
    assert (spectrum.scale_min, spectrum.scale_max) == (-3, 3)
    for label in ("left_label", "middle_label", "right_label"):
        assert getattr(spectrum, label) == folded(written["scale"][label]), label
    assert spectrum.title == folded(written["title"])
    assert spectrum.intro == folded(written["intro"])


def test_a_worksheet_without_zones_or_readings_gets_them_from_its_labels():
    """The first spectrum worded neither: the zones come from the scale labels and the
    readings are the toolkit's own, built from those zone words."""
    old = parsed("spectrum", data=V1_SPECTRUM)
    assert dict(old.zones) == {"left": "toward dependence", "middle": "near the middle",
                               "right": "toward hyper-independence"}
    assert dict(old.readings) == {
        "left": "leans toward dependence: tends to lean on the relationship to feel steady",
        "right": "leans toward hyper-independence: tends to carry things alone",
        "mixed": "mixed: leans in on some things and holds back on others",
        "pulls_left": "sits mostly near the middle, with a few answers leaning toward "
                      "dependence",
        "pulls_right": "sits mostly near the middle, with a few answers leaning toward "
                       "hyper-independence",
        "balanced": "sits close to balanced interdependence",
        "none": "has not answered the spectrum yet",
    }
    assert old.reading_titles["left"] == "leans toward dependence"
    assert old.reading_titles["right"] == "leans toward hyper-independence"
    assert dict(old.shared_patterns) == {} and old.opposite_pattern is None
    item = old.item("asking_for_help")
    assert item.practice["left"] == item.practice["middle"] == item.practice["right"]
    assert item.practice["middle"].startswith("Each of you makes one small, low-stakes request")
    assert dict(item.shared_prompt) == {} and dict(item.facilitator) == {}


def test_zones_and_readings_a_practice_words_itself():
    def change(d):
        d["scale"]["zones"] = {"left": "clinging", "middle": "steady", "right": "aloof"}
        d["readings"] = {"left": "holds on tight.", "none": "has not started yet..."}

    spectrum = parsed("spectrum", change)
    assert dict(spectrum.zones) == {"left": "clinging", "middle": "steady", "right": "aloof"}
    assert spectrum.readings["left"] == "holds on tight"  # the caller ends the sentence
    assert spectrum.readings["none"] == "has not started yet"
    # readings it leaves out use the toolkit's words with its own zones
    assert spectrum.readings["right"] == "leans aloof: tends to carry things alone"
    assert spectrum.readings["pulls_left"] == \
        "sits mostly near the middle, with a few answers leaning clinging"
    assert spectrum.reading_titles["right"] == "leans aloof"


def test_unknown_readings_and_incomplete_zones_are_refused():
    assert refused("spectrum", lambda d: d["readings"].update(neutral="x")) == \
        where("spectrum", "readings", "neutral") + (
            "unknown field (allowed: balanced, left, mixed, none, pulls_left, pulls_right, "
            "right)")
    assert refused("spectrum", lambda d: d["scale"]["zones"].pop("middle")) == \
        where("spectrum", "scale.zones", "middle") + "missing required field"
    assert refused("spectrum", lambda d: d["scale"].pop("left_label")) == \
        where("spectrum", "scale", "left_label") + "missing required field"


def test_practice_for_each_side():
    assert refused("spectrum", lambda d: item_of(d, "decisions").pop("practice")) == \
        where("spectrum", "decisions", "practice") + "missing required field"
    assert refused("spectrum", lambda d: item_of(d, "decisions")["practice"].pop("middle")) == \
        where("spectrum", "decisions.practice", "middle") + "missing required field"
    assert refused("spectrum", lambda d: item_of(d, "decisions")["practice"].update(
        centre="x")) == where("spectrum", "decisions.practice", "centre") + \
        "unknown field (allowed: left, middle, right)"
    one = parsed("spectrum", lambda d: item_of(d, "decisions").update(
        practice="  Decide one   small thing together "))
    assert dict(one.item("decisions").practice) == dict.fromkeys(
        ("left", "middle", "right"), "Decide one small thing together")


def test_shared_prompts_and_facilitator_notes_are_optional_but_complete():
    assert refused("spectrum", lambda d: item_of(d, "decisions")["shared_prompt"].pop(
        "right")) == where("spectrum", "decisions.shared_prompt", "right") + \
        "missing required field"
    assert refused("spectrum", lambda d: item_of(d, "decisions")["facilitator"].update(
        note="x")) == where("spectrum", "decisions.facilitator", "note") + \
        "unknown field (allowed: ask, listen_for)"

    def bare(d):
        item_of(d, "decisions").pop("shared_prompt")
        item_of(d, "decisions").pop("facilitator")

    item = parsed("spectrum", bare).item("decisions")
    assert dict(item.shared_prompt) == {} and dict(item.facilitator) == {}
    shipped = SHIPPED["spectrum"]
    full = parsed("spectrum").item("decisions")
    assert set(full.shared_prompt) == {"left", "right"}
    assert full.facilitator["ask"] == " ".join(
        item_of(shipped, "decisions")["facilitator"]["ask"].split())


def test_shared_and_opposite_patterns():
    spectrum = parsed("spectrum")
    written = SHIPPED["spectrum"]
    for pole in ("left", "right"):
        pattern, raw = spectrum.shared_patterns[pole], written["shared_patterns"][pole]
        assert (pattern.title, pattern.text, pattern.prompt) == (
            folded(raw["title"]), folded(raw["text"]), folded(raw["prompt"])), pole
        assert pattern.sources == tuple(raw["sources"]), pole
    opposite, raw = spectrum.opposite_pattern, written["opposite_pattern"]
    assert (opposite.title, opposite.text, opposite.prompt, opposite.sources) == (
        folded(raw["title"]), folded(raw["text"]), folded(raw["prompt"]), tuple(raw["sources"]))
    only_left = parsed("spectrum", lambda d: d["shared_patterns"].pop("right"))
    assert list(only_left.shared_patterns) == ["left"]
    assert parsed("spectrum", lambda d: d.pop("opposite_pattern")).opposite_pattern is None
    assert refused("spectrum", lambda d: d["shared_patterns"].update(middle={})) == \
        where("spectrum", "shared_patterns", "middle") + \
        "unknown field (allowed: left, right)"
    assert refused("spectrum", lambda d: d["shared_patterns"]["left"].pop("prompt")) == \
        where("spectrum", "shared_patterns.left", "prompt") + "missing required field"
    assert refused("spectrum", lambda d: d["opposite_pattern"].pop("text")) == \
        where("spectrum", "opposite_pattern", "text") + "missing required field"
    assert refused("spectrum", lambda d: d["opposite_pattern"].update(sources=[])) == \
        where("spectrum", "opposite_pattern", "sources") + "must not be empty"


def test_every_item_keeps_its_statements():
    spectrum = parsed("spectrum")
    raw = item_of(SHIPPED["spectrum"], "asking_for_help")
    item = spectrum.item("asking_for_help")
    for name in ("title", "left", "middle", "right", "prompt"):
        assert getattr(item, name) == folded(raw[name]), name
    assert len({item.left, item.middle, item.right}) == 3
    assert dict(item.practice) == {side: folded(raw["practice"][side])
                                   for side in ("left", "middle", "right")}
    assert item.sources == tuple(raw["sources"])
    assert spectrum.ids == tuple(i["id"] for i in SHIPPED["spectrum"]["items"])
    assert spectrum.ids[:2] == ("asking_for_help", "sharing_feelings")
    with pytest.raises(KeyError, match="flying"):
        spectrum.item("flying")


# --- origins, plan, handout, safety, referrals ------------------------------------------------


@pytest.mark.parametrize(("change", "field", "got"), [
    ({"min": 1, "max": 4}, "min", "1..4"),
    ({"max": 5}, "max", "0..5"),
])
def test_resonance_runs_from_zero_to_three(change, field, got):
    assert refused("origins", lambda d: d["resonance"].update(change)) == \
        where("origins", "resonance", field) + f"resonance must run from 0 to 3, got {got}"


def test_origin_sections_are_read_whole():
    origins = parsed("origins")
    written = SHIPPED["origins"]
    assert origins.ids[0] == "past_hurts"
    assert (origins.title, origins.intro) == (folded(written["title"]),
                                              folded(written["intro"]))
    section, raw = origins.sections[0], section_of(written, "past_hurts")
    assert (section.title, section.intro) == (folded(raw["title"]), folded(raw["intro"]))
    assert section.prompts == tuple(folded(p) for p in raw["prompts"])
    assert section.sources == tuple(raw["sources"])
    assert dict(section.facilitator) == {k: folded(v) for k, v in raw["facilitator"].items()}
    assert set(section.facilitator) == {"listen_for", "ask"}
    assert refused("origins", lambda d: section_of(d, "past_hurts").update(mood="x")) == \
        where("origins", "past_hurts", "mood") + \
        "unknown field (allowed: facilitator, id, intro, prompts, sources, title)"
    assert refused("origins", lambda d: section_of(d, "past_hurts").pop("intro")) == \
        where("origins", "past_hurts", "intro") + "missing required field"
    assert refused("origins", lambda d: d["resonance"].update(labels=["a", ""])) == \
        where("origins", "resonance", "labels") + "entry 2 must be non-empty text, got ''"


def test_plan_sections_and_their_columns():
    plan = parsed("boundaries")
    assert plan.ids[-1] == "review"
    assert plan.section("review").columns == ()
    who = plan.section("small_risks").column("who")
    assert (who.id, who.type) == ("who", "partner")
    assert plan.section("rituals").title == folded(section_of(SHIPPED["boundaries"],
                                                              "rituals")["title"])
    with pytest.raises(KeyError, match="nope"):
        plan.section("nope")
    with pytest.raises(KeyError, match="colour"):
        plan.section("rituals").column("colour")
    assert refused("boundaries", lambda d: section_of(d, "rituals").update(kind="list")) == \
        where("boundaries", "rituals", "kind") + "must be one of table, date, got 'list'"
    assert refused("boundaries", lambda d: section_of(d, "pursuits")["columns"][0].update(
        type="colour")) == where("boundaries", "pursuits.who", "type") + \
        "must be one of text, partner, date, check, got 'colour'"
    assert refused("boundaries", lambda d: section_of(d, "pursuits")["columns"][0].update(
        width=3)) == where("boundaries", "pursuits.who", "width") + \
        "unknown field (allowed: id, label, type)"
    assert refused("boundaries", lambda d: section_of(d, "review").update(
        columns=[{"id": "date", "label": "Date", "type": "date"}])) == \
        where("boundaries", "review", "columns") + "only sections of kind 'table' have columns"
    assert refused("boundaries", lambda d: section_of(d, "rituals").pop("columns")) == \
        where("boundaries", "rituals", "columns") + "missing required field"
    assert refused("boundaries", lambda d: section_of(d, "rituals")["columns"][1].pop(
        "label")) == where("boundaries", "rituals.how_often", "label") + \
        "missing required field"
    assert refused("boundaries", lambda d: section_of(d, "rituals").update(colour="red")) == \
        where("boundaries", "rituals", "colour") + \
        "unknown field (allowed: columns, id, intro, kind, sources, title)"


def test_the_handout_needs_its_closing_words():
    handout = parsed("handout")
    assert handout.closing == folded(SHIPPED["handout"]["closing"])
    assert refused("handout", lambda d: d.pop("closing")) == \
        where("handout", field="closing") + "missing required field"
    assert refused("handout", lambda d: d["patterns"][0].update(colour="red")) == \
        where("handout", "healthy_independence", "colour") + \
        "unknown field (allowed: id, sources, text, title)"


def _scale(*concerns: bool) -> list[dict]:
    return [{"id": f"o{i}", "label": f"Option {i}", "concern": c}
            for i, c in enumerate(concerns, start=1)]


def test_the_safety_screen_needs_answers_of_concern_and_of_none():
    safety = parsed("safety")
    written = SHIPPED["safety"]
    shared_scale = [(o["id"], o["label"], o["concern"]) for o in written["scale"]]
    assert [(o.id, o.label, o.concern) for o in safety.question("fear").options] == shared_scale
    assert any(c for _, _, c in shared_scale) and not all(c for _, _, c in shared_scale)
    assert safety.question("safe_today").option("yes").concern is False
    assert safety.question("safe_today").option("no").concern is True
    assert safety.ids == tuple(q["id"] for q in written["questions"])
    assert dict(safety.facilitator) == {k: folded(v) for k, v in written["facilitator"].items()}
    assert safety.informed_by == tuple(folded(t) for t in written["informed_by"])
    with pytest.raises(KeyError, match="nope"):
        safety.question("nope")
    with pytest.raises(KeyError, match="maybe"):
        safety.question("fear").option("maybe")
    words = "needs answers of concern and answers of no concern"
    assert refused("safety", lambda d: d.update(scale=_scale(False, False))) == \
        where("safety", field="scale") + words
    assert refused("safety", lambda d: d.update(scale=_scale(True, True))) == \
        where("safety", field="scale") + words
    assert refused("safety", lambda d: section_of_questions(d, "safe_today").update(
        scale=_scale(True))) == where("safety", "safe_today", "scale") + words
    assert refused("safety", lambda d: d["scale"][0].update(concern="no")) == \
        where("safety", "scale.never", "concern") + "expected true or false, got text"
    assert refused("safety", lambda d: section_of_questions(d, "safe_today")["scale"][0]
                   .update(concern=None)) == \
        where("safety", "safe_today.yes", "concern") + "expected true or false, got nothing"
    assert refused("safety", lambda d: d["facilitator"].pop("confirm")) == \
        where("safety", "facilitator", "confirm") + "missing required field"
    assert refused("safety", lambda d: section_of_questions(d, "fear").update(hint="x")) == \
        where("safety", "fear", "hint") + "unknown field (allowed: id, scale, text)"


def section_of_questions(data: dict, question_id: str) -> dict:
    return next(q for q in data["questions"] if q["id"] == question_id)


def test_a_question_with_its_own_answers_keeps_them():
    safety = parsed("safety", lambda d: d["scale"].__setitem__(slice(None), _scale(
        False, True)))
    assert [o.id for o in safety.question("fear").options] == ["o1", "o2"]
    assert [o.id for o in safety.question("safe_today").options] == [
        "yes", "unsure", "no", "skip"]


def test_referrals_start_empty_and_list_each_service():
    referrals = parsed("referrals", lambda d: d.update(services=[]))
    assert referrals.services == ()
    assert referrals.emergency == folded(SHIPPED["referrals"]["emergency"])
    assert parsed("referrals", lambda d: d.pop("services")).services == ()
    services = [{"name": "Town Counselling", "what": "  Couples   and individuals ",
                 "contact": "01234 567890"},
                {"name": "Safe Line", "contact": "safe@example.org"}]
    listed = parsed("referrals", lambda d: d.update(services=services)).services
    assert [(s.name, s.what, s.contact) for s in listed] == [
        ("Town Counselling", "Couples and individuals", "01234 567890"),
        ("Safe Line", "-", "safe@example.org")]
    assert refused("referrals", lambda d: d.update(services={"name": "x"})) == \
        where("referrals", field="services") + "expected a list, got a mapping"
    assert refused("referrals", lambda d: d.update(services=[services[0], {"name": "x"}])) \
        == where("referrals", "service 2", "contact") + "missing required field"
    assert refused("referrals", lambda d: d.update(services=[{"name": "x", "contact": "y",
                                                              "fax": "z"}])) == \
        where("referrals", "service 1", "fax") + "unknown field (allowed: contact, name, what)"


# --- reading files ------------------------------------------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _read_error(path: Path) -> str:
    with pytest.raises(ContentError) as info:
        content_module._parse_yaml(path)
    return str(info.value)


def test_files_that_are_not_readable_worksheets(tmp_path):
    (tmp_path / "spectrum.yaml").mkdir()
    assert _read_error(tmp_path / "spectrum.yaml") == \
        f"{tmp_path}/spectrum.yaml: is a folder, not a worksheet file"
    assert _read_error(tmp_path / "gone.yaml") == f"{tmp_path}/gone.yaml: file not found"
    plain = _write(tmp_path / "plain.txt", b"x")
    assert _read_error(plain / "origins.yaml") == \
        f"{plain}/origins.yaml: cannot be read (Not a directory)"
    # byte 30 is the \xe9 of a Latin-1 "cafe" (20 bytes of the first line, 10 more)
    latin = _write(tmp_path / "latin.yaml", b"worksheet: spectrum\ntitle: caf\xe9\n")
    assert _read_error(latin) == \
        f"{latin}: not UTF-8 text (invalid continuation byte at byte 30)"


def test_yaml_mistakes_name_the_line(tmp_path):
    bad = _write(tmp_path / "bad.yaml", b"worksheet: spectrum\ntitle: a: b\n")
    assert _read_error(bad) == \
        f"{bad}, line 2: YAML syntax error: mapping values are not allowed here"
    alias = _write(tmp_path / "alias.yaml", b"title: &t Hello\nintro: *t\n")
    assert _read_error(alias) == (f"{alias}, line 2: YAML syntax error: aliases (*name) are "
                                  "not allowed in worksheets; write the text out")
    # a character YAML does not accept (here a bell, pasted from elsewhere) has no line
    bell = _write(tmp_path / "bell.yaml", b"title: \x07\n")
    message = _read_error(bell)
    assert message.startswith(f"{bell}: YAML syntax error: unacceptable character #x0007")
    # a long problem is cut at 200 characters: 48 for the words up to "'!", then 152 a's
    tag = _write(tmp_path / "tag.yaml", b"title: !" + b"a" * 250 + b" x\n")
    assert _read_error(tag) == (f"{tag}, line 1: YAML syntax error: could not determine a "
                                "constructor for the tag '!" + "a" * 152)
    deep = _write(tmp_path / "deep.yaml", b"[" * 1000)
    assert _read_error(deep) == f"{deep}: nested far too deeply to be a worksheet"


def test_a_worksheet_may_be_up_to_two_megabytes(tmp_path):
    limit = 2 * 1024 * 1024
    text = (WORKSHEETS / "referrals.yaml").read_bytes()
    padded = text + b"#" + b"x" * (limit - len(text) - 2) + b"\n"
    assert len(padded) == limit
    assert content_module._parse_yaml(_write(tmp_path / "big.yaml", padded))["worksheet"] == \
        "referrals"
    over = _write(tmp_path / "over.yaml", padded + b"\n")
    assert _read_error(over) == f"{over}: larger than 2 MB: not a worksheet"


# --- folders, caching, versions, archives ---------------------------------------------------


def test_the_default_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("TOOLKIT_WORKSHEETS_DIR", raising=False)
    assert default_worksheets_dir() == WORKSHEETS
    monkeypatch.setenv("TOOLKIT_WORKSHEETS_DIR", "")
    assert default_worksheets_dir() == WORKSHEETS
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TOOLKIT_WORKSHEETS_DIR", "~/ours")
    assert default_worksheets_dir() == tmp_path / "ours"


def test_a_folder_in_the_home_directory_and_a_missing_folder(worksheet_copy, tmp_path,
                                                              monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_content("~/worksheets").folder == str(worksheet_copy)
    with pytest.raises(ContentError) as info:
        load_content(tmp_path / "nowhere")
    assert str(info.value) == f"{tmp_path}/nowhere: worksheet folder not found"


def test_optional_worksheets_may_be_left_out(worksheet_copy):
    for name in ("handout", "safety", "referrals"):
        (worksheet_copy / f"{name}.yaml").unlink()
    loaded = load_content(worksheet_copy)
    assert (loaded.handout, loaded.safety, loaded.referrals) == (None, None, None)
    assert loaded.versions == {"spectrum": 2, "origins": 2, "boundaries": 2}
    # a session that recorded a safety screen still matches worksheets without one
    assert loaded.matches({"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 1})
    assert loaded.spectrum.version == 2 and loaded.folder == str(worksheet_copy)


def test_loaded_once_until_a_file_changes(worksheet_copy):
    first = load_content(worksheet_copy)
    assert load_content(worksheet_copy) is first
    path = worksheet_copy / "handout.yaml"
    data = yaml.safe_load(path.read_text())
    data["title"] = "Standing tall"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    second = load_content(worksheet_copy)
    assert second is not first
    assert second.handout.title == "Standing tall"


def test_versions_and_matching(content):
    assert content.versions == {"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 1}
    assert content.matches({"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 1})
    assert content.matches({"spectrum": 2, "origins": 2, "boundaries": 2})  # no screen then
    assert not content.matches({"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 2})
    assert not content.matches({"spectrum": 1, "origins": 2, "boundaries": 2})
    assert not content.matches({"spectrum": 2, "origins": 2, "boundaries": 2, "workshop": 1})
    assert content_for(content.versions, content.folder) is content


def test_an_archived_version_borrows_what_it_lacks(content):
    old = content_for({"spectrum": 1, "origins": 1, "boundaries": 1}, content.folder)
    assert old.folder == str(WORKSHEETS / "archive" / "v1")
    assert old.spectrum.version == old.origins.version == old.boundaries.version == 1
    assert old.safety is content.safety and old.referrals is content.referrals
    assert old.handout is content.handout


def test_no_matching_version_says_what_is_wanted_and_what_is_in_use(content):
    with pytest.raises(ContentError) as info:
        content_for({"spectrum": 7, "origins": 1, "boundaries": 1}, content.folder)
    assert str(info.value) == (
        f"{content.folder}: no worksheets of versions spectrum 7, origins 1, boundaries 1 are "
        "available (in use: spectrum 2, origins 2, boundaries 2, safety 1); put a copy of the "
        "worksheets those answers were given with in a folder under archive/")


def test_archives_next_to_a_practice_copy_come_first_in_name_order(worksheet_copy):
    archive = worksheet_copy / "archive"
    shutil.copytree(archive / "v1", archive / "0-oldest")
    (archive / "README.txt").write_text("not a folder")
    found = archived_contents(worksheet_copy)
    assert [c.folder for c in found] == [str(archive / "0-oldest"), str(archive / "v1"),
                                         str(WORKSHEETS / "archive" / "v1")]


def test_archives_of_a_folder_without_any_are_the_shipped_ones(tmp_path, monkeypatch):
    assert [c.folder for c in archived_contents(tmp_path)] == [str(WORKSHEETS / "archive" /
                                                                   "v1")]
    monkeypatch.setenv("TOOLKIT_WORKSHEETS_DIR", str(tmp_path))
    assert [c.folder for c in archived_contents()] == [str(WORKSHEETS / "archive" / "v1")]


def test_each_worksheet_keeps_its_title_intro_and_version():
    """The headings and opening words a couple reads come through whole (folded lines
    joined by single spaces), each under its own name."""
    for name in PARSERS:
        worksheet, written = parsed(name), SHIPPED[name]
        assert worksheet.title == folded(written["title"]), name
        assert worksheet.intro == folded(written["intro"]), name
        if name != "referrals":
            assert worksheet.version == written["version"], name
    origins = parsed("origins")
    assert origins.resonance_labels == tuple(SHIPPED["origins"]["resonance"]["labels"])
    assert len(origins.resonance_labels) == 4  # one per point, 0..3
    plan, written = parsed("boundaries"), SHIPPED["boundaries"]
    for section in plan.sections:
        raw = section_of(written, section.id)
        assert (section.title, section.kind, section.intro, section.sources) == (
            folded(raw["title"]), raw["kind"], folded(raw["intro"]), tuple(raw["sources"]))
        assert [(c.id, c.label, c.type) for c in section.columns] == [
            (c["id"], folded(c["label"]), c["type"]) for c in raw.get("columns", [])]
    assert plan.section("review").kind == "date"
    assert [c.id for c in plan.section("small_risks").columns] == [
        "who", "ask", "by_when", "done", "how_it_went"]
    handout, written = parsed("handout"), SHIPPED["handout"]
    assert [(p.id, p.title, p.text, p.sources) for p in handout.patterns] == [
        (p["id"], folded(p["title"]), folded(p["text"]), tuple(p["sources"]))
        for p in written["patterns"]]
    safety, written = parsed("safety"), SHIPPED["safety"]
    assert [q.text for q in safety.questions] == [folded(q["text"]) for q in written["questions"]]


def test_a_file_the_practice_may_not_read(tmp_path, monkeypatch):
    path = _write(tmp_path / "safety.yaml", b"worksheet: safety\n")
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert _read_error(path) == f"{path}: cannot be read (no permission)"


def test_parsing_without_a_file_name_names_the_usual_file():
    for name, parse in PARSERS.items():
        data = copy.deepcopy(SHIPPED[name])
        data["version"] = 0
        with pytest.raises(ContentError) as info:
            parse(data)
        assert str(info.value) == f"{name}.yaml, field 'version': must be 1 or more", name


def test_a_plan_file_names_itself_in_top_level_mistakes():
    assert refused("boundaries", lambda d: d.update(version=0)) == \
        where("boundaries", field="version") + "must be 1 or more"
    assert refused("boundaries", lambda d: d.pop("title")) == \
        where("boundaries", field="title") + "missing required field"


@pytest.mark.parametrize(("name", "change", "expected"), [
    ("spectrum", lambda d: item_of(d, "decisions").pop("prompt"),
     "item 'decisions', field 'prompt': missing required field"),
    ("origins", lambda d: d["resonance"].update(max=4),
     "item 'resonance', field 'max': resonance must run from 0 to 3, got 0..4"),
    ("boundaries", lambda d: section_of(d, "rituals").update(kind="list"),
     "item 'rituals', field 'kind': must be one of table, date, got 'list'"),
    ("handout", lambda d: d.pop("closing"), "field 'closing': missing required field"),
    ("safety", lambda d: d.update(scale=_scale(False)),
     "field 'scale': needs answers of concern and answers of no concern"),
    ("referrals", lambda d: d.update(services="none"),
     "field 'services': expected a list, got text"),
])
def test_a_mistake_in_a_practice_copy_names_the_file_on_disk(worksheet_copy, name, change,
                                                             expected):
    path = worksheet_copy / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    with pytest.raises(ContentError) as info:
        load_content(worksheet_copy)
    assert str(info.value) == f"{path}, {expected}"


def test_a_practice_copy_loads_every_worksheet(worksheet_copy):
    loaded = load_content(worksheet_copy)
    assert loaded.folder == str(worksheet_copy)
    assert loaded.versions == {"spectrum": 2, "origins": 2, "boundaries": 2, "safety": 1}
    for name in ("spectrum", "origins", "boundaries", "handout", "safety", "referrals"):
        assert getattr(loaded, name).title == folded(SHIPPED[name]["title"]), name
    assert loaded.spectrum.reading_titles["mixed"] == "strong answers at both ends"


def test_a_practice_copy_serves_its_own_sessions_and_archives(worksheet_copy):
    path = worksheet_copy / "handout.yaml"
    data = yaml.safe_load(path.read_text())
    data["title"] = "Our own handout"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    current = content_for({"spectrum": 2, "origins": 2, "boundaries": 2}, worksheet_copy)
    assert current.folder == str(worksheet_copy)
    old = content_for({"spectrum": 1, "origins": 1, "boundaries": 1}, worksheet_copy)
    assert old.folder == str(worksheet_copy / "archive" / "v1")  # the copy's archive first
    assert old.handout.title == "Our own handout"  # borrowed from the copy in use


def test_an_installed_toolkit_reads_the_worksheets_inside_the_package(tmp_path, monkeypatch):
    """Installed from a wheel there is no repository folder beside the code: the worksheets
    and their archives come from inside the package."""
    import importlib.resources

    package = tmp_path / "site-packages" / "toolkit"
    inside = package / "worksheets"
    shutil.copytree(WORKSHEETS, inside)
    shutil.copytree(inside / "archive" / "v1", inside / "archive" / "v0")
    monkeypatch.setattr(content_module, "__file__", str(package / "content.py"))
    real_files = importlib.resources.files
    monkeypatch.setattr(importlib.resources, "files",
                        lambda anchor: package if anchor == "toolkit" else real_files(anchor))
    monkeypatch.delenv("TOOLKIT_WORKSHEETS_DIR", raising=False)
    assert default_worksheets_dir() == inside
    # a practice folder whose archive links to the package's v0: listed once, under the
    # practice's name, and the package's other archive (v1) still follows
    practice = tmp_path / "practice"
    (practice / "archive").mkdir(parents=True)
    (practice / "archive" / "linked").symlink_to(inside / "archive" / "v0")
    assert [c.folder for c in archived_contents(practice)] == [
        str(practice / "archive" / "linked"), str(inside / "archive" / "v1")]
