"""Widget logic in the kernel: set values as a user would and check what the
store, the scores and the picture hold afterwards."""

from __future__ import annotations

import datetime as dt

import pytest

from toolkit.responses import AnswerKey
from toolkit.store import Store
from toolkit.ui import SessionApp

HOSTILE = "<img src=x onerror=alert(1)> <script>alert('x')</script> & $x$ שלום 🎉"


@pytest.fixture
def app(data_dir, content):
    store = Store(data_dir, content=content)
    app = SessionApp(store=store)
    app.name_a.value = "Noa"
    app.name_b.value = "Sami"
    app.create_button.click()
    assert app.step == "safety"  # a new session starts at the private safety screen
    app.go_to("spectrum_a")
    yield app
    store.close()


def items(app, partner):
    return app.views[f"spectrum_{partner}"].items


def content_item(app, item_id):
    return app.model.content.spectrum.item(item_id)


def test_creating_a_couple_starts_at_the_safety_screen(data_dir, content):
    app = SessionApp(store=Store(data_dir, content=content))
    app.name_a.value, app.name_b.value = "Noa", "Sami"
    app.create_button.click()
    assert app.step == "safety"
    assert app.model.couple.partner_a == "Noa"
    assert [label for label, _ in app.steps.options][:4] == ["1 Couple", "2 Safety", "3 Noa",
                                                              "4 Sami"]
    assert "Safety screen: for you only" in app.body.children[0].children[0].value
    app.next.click()
    assert app.step == "spectrum_a"
    assert "for <b>Noa</b> alone" in app.body.children[0].value


def test_create_with_bad_names_says_what_is_wrong(data_dir, content):
    app = SessionApp(store=Store(data_dir, content=content))
    app.name_a.value = "   "
    app.create_button.click()
    # both empty names are reported at once, not one per attempt
    assert "Partner A&#x27;s name: a name is needed" in app.setup_status.value
    assert "Partner B&#x27;s name: a name is needed" in app.setup_status.value
    assert app.model is None and app.store.couples() == []
    app.name_b.value = "Sami"
    app.create_button.click()
    assert "Partner A" in app.setup_status.value and "Partner B" not in app.setup_status.value
    app.go_to("profiles")
    assert app.step == "couple"
    assert "before moving on" in app.status.value  # Next with no couple says why
    app.next.click()
    assert app.step == "couple" and "before moving on" in app.status.value


def test_untouched_items_are_not_answered_not_zero(app):
    first = items(app, "a")[0]
    assert first.value is None
    assert "Not answered yet" in first.answer.value
    assert "tk-unanswered" in first.slider._dom_classes
    assert app.model.data.spectrum("a") == {}
    first.middle_button.click()  # choosing the middle on purpose
    assert app.model.data.spectrum("a") == {"asking_for_help": 0}
    assert "tk-unanswered" not in first.slider._dom_classes
    assert "0 &middot; near the middle" in first.answer.value


def item(app, partner, item_id):
    return next(v for v in items(app, partner) if v.item.id == item_id)


def test_slider_saves_at_once_and_clear_unanswers(app):
    view = item(app, "b", "time_apart_together")
    view.slider.value = -2
    assert app.model.data.spectrum("b") == {"time_apart_together": -2}
    assert "-2 &middot; leans toward over-reliance" in view.answer.value
    view.slider.value = -1
    assert "-1 &middot; near the middle" in view.answer.value
    view.clear_button.click()
    assert app.model.data.spectrum("b") == {}
    assert view.value is None and view.slider.value == 0
    assert "0 of 13 answered" in app.views["spectrum_b"].progress.value


def test_profiles_stay_hidden_until_revealed_then_follow_each_move(app):
    for view in items(app, "a"):
        view.slider.value = 2
    items(app, "b")[0].slider.value = -2
    app.go_to("profiles")
    profile = app.views["profiles"]
    assert not profile.revealed and bytes(profile.image.value) == b""
    assert profile.shown.layout.display == "none"
    profile.reveal_button.click()
    first = profile.image.value
    assert first[:4] == b"\x89PNG"
    assert "Noa</b> leans toward hyper-independence" in profile.readings.value
    readings = profile.readings.value
    assert "Sami</b> leans toward over-reliance" in readings
    assert "(so far: 1 of 13 items answered)" in readings
    assert "Asking for help" in profile.gaps_html.value
    assert "at opposite ends" in profile.gaps_html.value
    steps = content_item(app, "asking_for_help").practice
    assert f"Noa: {steps['right']}" in profile.gaps_html.value.replace("&#x27;", "'")
    assert f"Sami: {steps['left']}" in profile.gaps_html.value.replace("&#x27;", "'")
    figure = profile.plot.figure

    items(app, "b")[0].slider.value = 2  # now they agree
    assert profile.image.value != first
    assert profile.plot.figure is figure  # same figure, updated in place
    assert "same answer on every item" in profile.gaps_html.value
    offsets = profile.plot._own["b"].get_offsets()
    assert offsets.tolist() == [[2.0, 0.0]]

    app.go_to("spectrum_a")  # back to a partner's private page hides both profiles again
    assert not profile.revealed and bytes(profile.image.value) == b""


def test_where_both_agree_neither_partner_disappears_from_the_picture(data_dir, content):
    """Alison and Brett give the same answer on most items: each panel still draws
    both of them there (the other as a ring around the marker)."""
    import numpy as np

    from toolkit.demo import seed_demos
    from toolkit.session import SessionModel

    store = Store(data_dir, content=content)
    seed_demos(store)
    app = SessionApp(store=store)
    app.start("demo-alison-brett")
    app.go_to("profiles")
    profile = app.views["profiles"]
    profile.reveal()
    gaps = SessionModel.open(store, "demo-alison-brett").scores.gaps
    agreed = gaps.index[gaps["gap"] == 0].tolist()
    assert len(agreed) >= 3
    plot = profile.plot
    for panel, other in (("a", "b"), ("b", "a")):
        own, ring = plot._own[panel].get_offsets(), plot._other[panel].get_offsets()
        for row in agreed:
            mine = float(gaps.loc[row, f"position_{panel}"])
            theirs = float(gaps.loc[row, f"position_{other}"])
            assert mine == theirs
            assert [mine, row] in own.tolist()
            assert [theirs, row] in ring.tolist()  # the other partner, same place, visible
        assert plot._other[panel].get_sizes()[0] > plot._own[panel].get_sizes()[0]
        assert plot._other[panel].get_zorder() > plot._own[panel].get_zorder()
        assert np.all(plot._other[panel].get_facecolors()[:, 3] == 0)  # a ring: hollow
    # only the rows talked about below the picture are shaded
    ids = [item.id for item in content.spectrum.items]
    shaded = {ids[i] for i, band in enumerate(plot._bands["a"]) if band.get_visible()}
    assert shaded == set(profile.model.scores.largest_gaps["item_id"])
    assert 0 < len(shaded) < len(ids) / 2
    store.close()


def test_pictures_are_drawn_for_the_width_they_are_shown_at(app):
    from toolkit.plots import ProfilePlot

    app.go_to("profiles")
    profile = app.views["profiles"]
    profile.reveal()
    profile.bridge.width, profile.bridge.viewport_height = 600, 768  # what the page reports
    assert profile.plot.figure.get_figwidth() * 96 == pytest.approx(584)  # less the margins
    assert profile.image.layout.max_width == "584px"  # shown at its own size, not stretched
    assert profile.bridge.picture_label_px == ProfilePlot.LABEL_PX >= 12
    profile.bridge.width = 1000
    assert profile.plot.figure.get_figwidth() * 96 == pytest.approx(984)


def test_presentation_view_shows_the_picture_alone_and_large(app):
    app.go_to("profiles")
    profile = app.views["profiles"]
    profile.bridge._message(profile.bridge, {"key": "p"}, None)  # P before the reveal
    assert not profile.presenting  # nothing to present while both profiles are hidden
    profile.reveal()
    profile.bridge.width, profile.bridge.viewport_height = 1008, 768
    profile.bridge._message(profile.bridge, {"key": "p"}, None)
    assert profile.presenting and "tk-presenting" in profile.widget._dom_classes
    assert profile.bridge.picture_label_px >= 20
    assert profile.image.layout.max_width == "992px"
    for part in (app.steps, app.top_row, app.nav, profile.gaps_html, profile.options):
        assert part.layout.display == "none"  # everything else out of the way
    assert profile.exit_button.layout.display == ""
    assert app.views["profiles"]._big.band_label == "largest gaps"
    profile.bridge._message(profile.bridge, {"key": "Escape"}, None)
    assert not profile.presenting and "tk-presenting" not in profile.widget._dom_classes
    assert app.steps.layout.display == "" and profile.gaps_html.layout.display == ""
    assert profile.bridge.picture_label_px < 20

    profile.present_button.click()
    assert profile.presenting
    app.go_to("spectrum_a")  # leaving the step (or a partner's page) ends it and hides all
    assert not profile.presenting and not profile.revealed
    assert app.steps.layout.display == ""

    app.go_to("progress")
    progress = app.views["progress"]
    progress.reveal()
    progress.present()
    assert progress.presenting and progress.bridge.picture_label_px >= 20
    assert app.nav.layout.display == "none" and progress.risks.layout.display == "none"
    progress.exit_button.click()
    assert app.nav.layout.display == "" and progress.risks.layout.display == ""


def test_a_session_builds_each_view_only_when_its_step_is_shown(data_dir, content):
    app = SessionApp(store=Store(data_dir, content=content))
    app.name_a.value, app.name_b.value = "Noa", "Sami"
    app.create_button.click()
    assert "profiles" not in app.views and "plan" not in app.views
    app.hand_over()  # a profile view built later still leaves the facilitator's notes out
    app.go_to("profiles")
    assert app.views["profiles"].show_notes.layout.display == "none"


def test_blank_worksheets_made_in_a_session_carry_the_couples_names(app):
    from pypdf import PdfReader

    app.go_to("finish")
    app.fillable_button.click()
    app.blank_button.click()
    couple = app.model.couple_id
    for name in (f"{couple}-fillable-worksheets.pdf", f"{couple}-worksheets-to-print.pdf"):
        assert name in app.downloads.value  # both links stay, each named for the couple
    form = app.store.reports_dir(couple) / f"{couple}-fillable-worksheets.pdf"
    fields = PdfReader(form).get_fields()
    assert fields["name.a"]["/V"] == "Noa" and fields["name.b"]["/V"] == "Sami"


def test_dollar_signs_are_shown_literally_never_typeset():
    """The notebook typesets $...$ as mathematics: text from people keeps its dollars."""
    from toolkit.ui.common import error_html, esc

    html = esc("costs $5 and $x$ <b>")
    assert "$" not in html  # every dollar is an entity inside a span the typesetter skips
    assert html.count('<span class="tex2jax_ignore mathjax_ignore">&#36;</span>') == 3
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert esc("line one\nline two") == "line one<br>line two"
    assert "&#36;" in error_html("$x$") and 'role="alert"' in error_html("x")


def test_a_hostile_name_renders_as_text_in_every_view(data_dir, content):
    store = Store(data_dir, content=content)
    app = SessionApp(store=store)
    app.name_a.value, app.name_b.value = HOSTILE, "Sami"
    app.create_button.click()
    for step in ("spectrum_a", "spectrum_b", "profiles", "origins", "plan", "finish"):
        app.go_to(step)
        if step == "profiles":
            app.views["profiles"].reveal()
        shown = [app.header.value, app.status.value]
        stack = [app.body]
        while stack:
            widget = stack.pop()
            stack += list(getattr(widget, "children", ()))
            if hasattr(widget, "value") and isinstance(widget.value, str):
                shown.append(widget.value)
        text = "\n".join(shown)
        assert "<img src=x" not in text and "<script>" not in text, step
        assert "$x$" not in text, step
        assert "&lt;img src=x onerror=alert(1)&gt;" in text or step == "plan", step
    store.close()


def test_origins_resonance_notes_and_summary(app):
    app.go_to("origins")
    view = app.views["origins_a"].sections[0]
    view.resonance.value = 3
    view.notes.value = HOSTILE
    data = app.model.data
    assert data.origin("a", "past_hurts") == (3, HOSTILE)
    summary = app.views["origins_summary"].widget.value
    assert "●●●</span> Very much" in summary and "not marked" in summary
    app.origins_partner.value = "b"
    assert app.origins_box.children[0] is app.views["origins_b"].widget


def test_note_that_is_too_long_is_refused_with_a_message(app):
    view = app.views["origins_b"].sections[1]
    view.notes.value = "x" * 200_001
    assert "limit is 200,000" in view.status.value
    assert app.model.data.origin("b", view.section.id) == (None, "")


def test_plan_rows_add_edit_remove(app):
    plan = app.views["plan"]
    table = plan.tables["rituals"]
    first = table.add_row()
    second = table.add_row()
    ritual, how_often, who = table.cells[first]
    ritual.widget.value = HOSTILE
    how_often.widget.value = "Every evening"
    who.widget.value = "b"
    table.cells[second][0].widget.value = "Sunday walk"
    risk_row = plan.tables["small_risks"].add_row()
    plan.tables["small_risks"].cells[risk_row][2].widget.value = dt.date(2026, 12, 24)
    plan.tables["small_risks"].cells[risk_row][3].widget.value = True  # "Tried it"
    plan.dates["review"].value = dt.date(2027, 2, 1)
    data = app.model.data
    assert data.plan("rituals") == [
        {"row": 1, "ritual": HOSTILE, "how_often": "Every evening", "who_starts": "b"},
        {"row": 2, "ritual": "Sunday walk"},
    ]
    assert data.plan("small_risks")[0]["by_when"] == "2026-12-24"
    assert data.plan("small_risks")[0]["done"] is True
    assert data.plan_value("review") == "2027-02-01"
    table.remove_row(first)
    assert [r["row"] for r in app.model.data.plan("rituals")] == [2]
    assert len(table.rows_box.children) == 1
    assert table.rows_box.children[0].children[0].children[0].value == "Sunday walk"


def test_everything_is_restored_after_reopening(app, data_dir, content):
    items(app, "a")[2].slider.value = 3
    items(app, "b")[2].slider.value = -1
    app.views["origins_b"].sections[2].notes.value = "Mum read my diary"
    row = app.views["plan"].tables["agreements"].add_row()
    app.views["plan"].tables["agreements"].cells[row][1].widget.value = HOSTILE
    app.views["plan"].dates["review"].value = dt.date(2027, 3, 3)
    couple_id = app.model.couple_id
    app.store.close()

    again = SessionApp.open(couple_id, data_dir=data_dir)
    assert again.step == "spectrum_a"
    assert items(again, "a")[2].slider.value == 3 and items(again, "a")[2].value == 3
    assert items(again, "a")[3].value is None
    assert items(again, "b")[2].slider.value == -1
    assert again.views["origins_b"].sections[2].notes.value == "Mum read my diary"
    cells = again.views["plan"].tables["agreements"].cells[row]
    assert cells[1].widget.value == HOSTILE
    assert again.views["plan"].dates["review"].value == dt.date(2027, 3, 3)
    assert len(again.store.sessions(couple_id)) == 1  # continued, not duplicated


def test_free_text_is_shown_literally_everywhere(data_dir, content):
    store = Store(data_dir, content=content)
    couple = store.create_couple("<b>Ana</b>", "<script>x</script>")
    app = SessionApp(store=store)
    app.start(couple.id)
    app.go_to("spectrum_a")
    html = app.header.value + app.body.children[0].value
    assert "&lt;b&gt;Ana&lt;/b&gt;" in html and "<b>Ana</b>" not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    app.views["spectrum_a"].items[0].slider.value = 3
    app.views["spectrum_b"].items[0].slider.value = -3
    app.go_to("profiles")
    app.views["profiles"].reveal()
    shown = app.views["profiles"].gaps_html.value + app.views["profiles"].readings.value
    assert "<script>" not in shown and "&lt;script&gt;x&lt;/script&gt;" in shown
    assert "&lt;b&gt;Ana&lt;/b&gt;, you placed yourself at +3" in shown
    assert app.views["profiles"].image.value[:4] == b"\x89PNG"
    app.go_to("origins")
    app.origins_partner.value = "summary"
    assert "<script>x" not in app.views["origins_summary"].widget.value


def test_step_navigation_back_and_forth(app):
    app.next.click()
    assert app.step == "spectrum_b"
    app.steps.value = "plan"
    assert app.step == "plan" and app.body.children[0] is app.views["plan"].widget
    app.back.click()
    assert app.step == "origins"
    app.go_to("finish")
    assert app.next.disabled
    assert "Finishing the session" in app.body.children[0].children[0].value
    app.go(0)
    assert app.back.disabled and app.body.children[0] is app.setup


def test_reopening_offers_the_couples_already_stored(app, data_dir, content):
    couple_id = app.model.couple_id
    again = SessionApp(store=Store(data_dir, content=content))
    assert again.existing.value == couple_id  # one click on Open continues
    again.open_button.click()
    assert again.step == "safety" and again.model.couple_id == couple_id


def test_existing_couple_new_session(app):
    couple_id = app.model.couple_id
    app.go(0)
    app.existing.value = couple_id
    app.session_choice.value = "new"
    app.open_button.click()
    assert [s.number for s in app.store.sessions(couple_id)] == [1, 2]
    assert app.model.data.info.number == 2
    assert "Session 2" in app.header.value


def test_saved_key_shape(app):
    items(app, "a")[0].slider.value = 1
    assert app.model.data.answers[AnswerKey("spectrum", "a", "asking_for_help", 0, "position")] == 1


def test_finish_exports_pdfs_with_download_links(app):
    import base64

    items(app, "a")[0].slider.value = 2
    app.go_to("finish")
    path = app.export_report()
    assert path.parent == app.store.data_dir / "reports" / app.model.couple_id
    assert oct(path.stat().st_mode)[-3:] == "600"
    html = app.downloads.value
    assert 'download="' in html and "data:application/pdf;base64," in html
    encoded = html.split("base64,")[1].split('"')[0]
    assert base64.b64decode(encoded) == path.read_bytes()
    app.fillable_button.click()
    made = f"{app.model.couple_id}-fillable-worksheets.pdf"
    assert made in app.downloads.value
    assert path.name in app.downloads.value  # the report's link stays beside the new one
    assert (path.parent / made).read_bytes().startswith(b"%PDF")

    app.store.delete_couple(app.model.couple_id)  # deleting the couple deletes its PDFs
    assert not path.parent.exists()


def test_a_password_protects_every_pdf_made_on_the_finish_step(app):
    from pypdf import PdfReader

    app.go_to("finish")
    app.password.value = "tea at five"
    made = [app.export_report(), app.export_homework(fillable=True), app.export_handout(),
            app.export_blank(fillable=True)]
    for path in made:
        reader = PdfReader(path)
        assert reader.is_encrypted, path.name
        assert reader.decrypt("tea at five") != 0, path.name
    app.password.value = ""
    assert not PdfReader(app.export_handout()).is_encrypted


def test_emoji_names_are_reported_when_exporting(data_dir, content):
    store = Store(data_dir, content=content)
    couple = store.create_couple("Noa 🎉", "Sami")
    app = SessionApp(store=store)
    app.start(couple.id)
    app.go_to("finish")
    app.report_button.click()
    assert "U+1F389 PARTY POPPER" in app.downloads.value
    assert "Download" in app.downloads.value


def test_binder_sessions_warn_and_offer_downloads(data_dir, content, monkeypatch):
    import base64
    import json

    plain = SessionApp(store=Store(data_dir, content=content))
    assert plain.binder.children == ()  # no notice on a facilitator's own machine
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    app = SessionApp(store=plain.store)
    notice = app.binder.children[0].children[0].value
    assert "temporary online session" in notice and "deleted" in notice
    app.export_json(into_notice=True)
    assert "Choose or create a couple first" in app.binder_downloads.value
    app.name_a.value, app.name_b.value = "Noa", "Sami"
    app.create_button.click()
    items(app, "a")[0].slider.value = -1
    app.binder.children[0].children[1].children[0].click()  # "Download answers (JSON)"
    encoded = app.binder_downloads.value.split("base64,")[1].split('"')[0]
    exported = json.loads(base64.b64decode(encoded))
    assert exported["couple"]["partner_a"] == "Noa"
    assert exported["sessions"][0]["answers"][0]["value"] == -1
    app.export_report()
    assert "data:application/pdf;base64," in app.downloads.value


def test_a_click_handler_that_raises_fails_the_test():
    """ipywidgets would only log it; the suite's conftest makes it fail loudly, so a
    button whose action breaks can never pass unnoticed."""
    import ipywidgets as w

    button = w.Button(description="Broken")
    button.on_click(lambda _: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        button.click()
