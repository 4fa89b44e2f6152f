"""Shared patterns in every view, facilitator notes kept from the couple, the
handout and the between-session sheet, and each partner's own item order."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.test_report import page_not_blank, pdftotext, qpdf_ok, report_of
from toolkit.__main__ import main
from toolkit.report import handout_pdf, homework_pdf
from toolkit.session import SessionModel
from toolkit.store import Store
from toolkit.ui import SessionApp
from toolkit.ui.profile import ProfileView
from toolkit.ui.spectrum import SpectrumView


def both_at(store, value: int) -> SessionModel:
    """A couple who give the same strong answer on every item: no gap anywhere."""
    couple = store.create_couple("Ana", "Bo")
    model = SessionModel(store, store.new_session(couple.id, date="2026-11-02").id)
    for item in store.content.spectrum.ids:
        for partner in ("a", "b"):
            model.set(("spectrum", partner, item, 0, "position"), value)
    return model


def flat(text: str) -> str:
    return " ".join(text.split()).replace("&#x27;", "'").replace("&quot;", '"')


@pytest.mark.parametrize(("value", "pole"), [(3, "right"), (-3, "left")])
def test_shared_patterns_reach_the_app_show_and_the_pdf(store, data_dir, tmp_path, capsys,
                                                        value, pole):
    model = both_at(store, value)
    spectrum = model.content.spectrum
    pattern = spectrum.shared_patterns[pole]
    first_three = [spectrum.item(i) for i in spectrum.ids[:3]]

    view = ProfileView(model)
    view.reveal_button.click()
    html = flat(view.shared_html.value)
    assert "Where you lean the same way" in html and pattern.title in html
    assert flat(pattern.prompt) in html
    for item in first_three:
        assert flat(item.shared_prompt[pole]) in html
    assert "same answer on every item" in view.gaps_html.value

    assert main(["--data-dir", str(data_dir), "show", model.couple_id]) == 0
    out = flat(capsys.readouterr().out)
    assert f"where you both lean the same way ({pattern.title})" in out
    assert flat(first_three[0].shared_prompt[pole]) in out

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_of(store, model.session_id))
    text = flat(pdftotext(pdf))
    assert "Where you lean the same way" in text and pattern.title in text
    assert flat(first_three[0].shared_prompt[pole])[:60] in text


def test_facilitator_notes_are_only_in_the_facilitators_copy(store, tmp_path):
    model = both_at(store, 3)
    model.set(("spectrum", "b", "asking_for_help", 0, "position"), -3)
    couple_pdf, facilitator_pdf = tmp_path / "couple.pdf", tmp_path / "facilitator.pdf"
    couple_pdf.write_bytes(report_of(store, model.session_id))
    facilitator_pdf.write_bytes(report_of(store, model.session_id, reader="facilitator"))
    for_couple, for_facilitator = flat(pdftotext(couple_pdf)), flat(pdftotext(facilitator_pdf))
    notes = [flat(item.facilitator["listen_for"])[:50] for item in model.content.spectrum.items]
    assert not any(note in for_couple for note in notes)
    assert "For the facilitator" not in for_couple and "Listen for" not in for_couple
    shown = model.content.spectrum.item("asking_for_help").facilitator
    assert flat(shown["listen_for"])[:50] in for_facilitator
    assert flat(shown["ask"]) in for_facilitator
    assert "Facilitator's copy: not for the couple" in for_facilitator
    reader = PdfReader(facilitator_pdf)
    assert all("Facilitator's copy" in page.extract_text() for page in reader.pages)


def test_facilitator_notes_show_in_the_app_only_when_asked(store):
    model = both_at(store, 2)
    model.set(("spectrum", "b", "asking_for_help", 0, "position"), -2)
    view = ProfileView(model)
    view.reveal_button.click()
    listen = flat(model.content.spectrum.item("asking_for_help").facilitator["listen_for"])
    assert listen[:40] not in flat(view.gaps_html.value)
    view.show_notes.value = True
    assert listen[:40] in flat(view.gaps_html.value)
    assert "For the facilitator" in view.gaps_html.value


def test_the_handout_is_one_page_with_the_four_patterns(content, tmp_path):
    path = tmp_path / "handout.pdf"
    path.write_bytes(handout_pdf(content))
    qpdf_ok(path)
    assert len(PdfReader(path).pages) == 1
    text = flat(pdftotext(path))
    for pattern in content.handout.patterns:
        assert pattern.title in text
    assert content.handout.title in text
    page_not_blank(path, 1, tmp_path)


@pytest.mark.parametrize("fillable", [False, True])
def test_the_between_session_sheet_lists_the_plans_risks_and_rituals(data_dir, content,
                                                                     tmp_path, fillable):
    from toolkit.demo import seed_demos

    with Store(data_dir, content=content) as store:
        seed_demos(store)
        model = SessionModel.open(store, "demo-priya-tom")
        pdf = homework_pdf(model.content, model.data, fillable=fillable)
    path = tmp_path / "homework.pdf"
    path.write_bytes(pdf)
    qpdf_ok(path)
    text = flat(pdftotext(path))
    assert "Between now and our next session" in text
    assert "Ask Tom to sort out the car service" not in text  # tried already
    assert "I'm feeling far from you" in text and "Tried it" in text
    assert "Sunday walk" in text and "Week 4" in text
    assert "14 January 2027" in text  # the review date
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    if fillable:
        assert "homework.notes" in fields
        assert any(name.endswith(".how_it_went") for name in fields)
        assert any(name.startswith("homework.rituals.") for name in fields)
    else:
        assert fields == {}
    page_not_blank(path, 1, tmp_path)


def test_cli_handout_homework_and_facilitator_report(capsys, data_dir, tmp_path):
    d = ["--data-dir", str(data_dir)]
    assert main([*d, "demo"]) == 0
    for args, name in ((["handout"], "h.pdf"),
                       (["homework", "demo-kim-kevin", "--fillable"], "w.pdf"),
                       (["report", "demo-kim-kevin", "--for", "facilitator"], "f.pdf")):
        out = tmp_path / name
        assert main([*d, *args, "-o", str(out)]) == 0, args
        assert out.read_bytes().startswith(b"%PDF")
    assert "Facilitator's copy" in pdftotext(tmp_path / "f.pdf")


def test_each_partner_sees_their_own_order_the_same_every_time(store, session):
    model = SessionModel(store, session.id)
    ids = list(model.content.spectrum.ids)
    a, b = model.item_order("a"), model.item_order("b")
    assert sorted(a) == sorted(ids) == sorted(b)
    assert a != b and a != ids  # shuffled, differently for each partner
    again = SessionModel(store, session.id)
    assert again.item_order("a") == a and again.item_order("b") == b  # stable on reopening
    view = SpectrumView(model, "a")
    assert [v.item.id for v in view.shown_items] == a
    assert view.cards.children[0] is view.shown_items[0].widget
    assert "1. " in view.shown_items[0].header.value and "Item 1 of 13" in \
        view.shown_items[0].header.value
    model.set_shuffle(False)  # the facilitator switches it off
    assert [v.item.id for v in view.shown_items] == ids
    assert "Item 1 of 13" in view.shown_items[0].header.value
    assert store.session(session.couple_id).shuffle_items is False


def test_the_shuffle_switch_is_in_the_app(store, session):
    app = SessionApp(store=store)
    app.start(session.couple_id)
    panel = app.views["sessions"]
    assert panel.shuffle.value is True
    panel.shuffle.value = False
    ids = list(app.model.content.spectrum.ids)
    assert [v.item.id for v in app.views["spectrum_b"].shown_items] == ids


def test_one_reaches_one_pulls_back_shows_for_a_pursue_withdraw_couple(data_dir, content,
                                                                      tmp_path, capsys):
    from toolkit.demo import seed_demos

    pattern = content.spectrum.opposite_pattern
    with Store(data_dir, content=content) as store:
        seed_demos(store)
        model = SessionModel.open(store, "demo-priya-tom", 1)
        assert model.scores.couple.iloc[0]["opposite_pattern"]
        view = ProfileView(model)
        view.reveal_button.click()
        assert pattern.title in view.gaps_html.value
        pdf = tmp_path / "pt.pdf"
        pdf.write_bytes(report_of(store, model.session_id))
        team = SessionModel.open(store, "demo-alison-brett", 1)
        assert not team.scores.couple.iloc[0]["opposite_pattern"]
        other = tmp_path / "ab.pdf"
        other.write_bytes(report_of(store, team.session_id))
    assert pattern.title in flat(pdftotext(pdf))
    assert pattern.title not in flat(pdftotext(other))
    assert main(["--data-dir", str(data_dir), "show", "demo-priya-tom", "--session", "1"]) == 0
    assert f"{pattern.title}: {flat(pattern.prompt)}" in flat(capsys.readouterr().out)
