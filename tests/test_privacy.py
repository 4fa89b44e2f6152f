"""Safety and privacy: a private safety screen for the facilitator alone, notes
private until shared, a report for each reader, and a couple's mode that holds
nothing about anyone else."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from pypdf import PdfReader

from tests.test_report import pdftotext, report_of, tool
from toolkit.__main__ import main
from toolkit.report import encrypt_pdf, session_report
from toolkit.responses import AnswerError, AnswerKey
from toolkit.session import SessionModel
from toolkit.store import Store
from toolkit.store.transfer import export_couple, export_csv, import_couple
from toolkit.ui import SessionApp

PRIVATE_A = "A-private: the lighthouse summer"
SHARED_A = "A-shared: moving house at nine"
PRIVATE_B = "B-private: the letter I never sent"
SHARED_B = "B-shared: the kitchen at my grandmothers house"


def note(model: SessionModel, partner: str, section: str, text: str, shared: bool) -> None:
    model.set(("origins", partner, section, 0, "resonance"), 2)
    model.set(("origins", partner, section, 0, "notes"), text)
    if shared:
        model.set_shared(partner, section, True)


def answer_screen(model: SessionModel, partner: str, option: str = "never") -> None:
    for question in model.content.safety.questions:
        chosen = option if option in [o.id for o in question.options] else \
            question.options[0].id
        model.set(("safety", partner, question.id, 0, "answer"), chosen)


@pytest.fixture
def model(store):
    couple = store.create_couple("Ana", "Bo")
    m = SessionModel(store, store.new_session(couple.id, date="2026-11-02").id)
    note(m, "a", "past_hurts", PRIVATE_A, False)
    note(m, "a", "cultural_messages", SHARED_A, True)
    note(m, "b", "past_hurts", PRIVATE_B, False)
    note(m, "b", "self_awareness", SHARED_B, True)
    m.set(("spectrum", "a", "asking_for_help", 0, "position"), 2)
    answer_screen(m, "a")
    answer_screen(m, "b")
    m.set(("safety", "b", "control", 0, "answer"), "sometimes")  # an answer of concern
    return m


def text_of(store, model, tmp_path, reader: str) -> str:
    path = tmp_path / f"{reader}.pdf"
    path.write_bytes(report_of(store, model.session_id, reader=reader))
    return " ".join(pdftotext(path).split())


def test_each_reader_gets_their_own_report(store, model, tmp_path):
    couple = text_of(store, model, tmp_path, "couple")
    a = text_of(store, model, tmp_path, "a")
    b = text_of(store, model, tmp_path, "b")
    facilitator = text_of(store, model, tmp_path, "facilitator")
    question = model.content.safety.question("control").text

    assert SHARED_A in couple and SHARED_B in couple
    assert PRIVATE_A not in couple and PRIVATE_B not in couple
    assert "Notes kept private are not printed here" in couple
    assert PRIVATE_A in a and PRIVATE_B not in a and SHARED_B in a
    assert PRIVATE_B in b and PRIVATE_A not in b and SHARED_A in b
    for text in (couple, a, b):
        assert "Safety screen" not in text and question[:40] not in text
    assert PRIVATE_A in facilitator and PRIVATE_B in facilitator
    assert "Safety screen (facilitator only)" in facilitator
    assert "Joint exercises are not advised for now" in facilitator
    assert "Sometimes" in facilitator and "(concern)" in facilitator
    for reader, label in (("couple", "For Ana and Bo"), ("a", "For Ana only"),
                          ("b", "For Bo only"), ("facilitator", "Facilitator's copy")):
        pages = PdfReader(tmp_path / f"{reader}.pdf").pages
        assert all(label in page.extract_text() for page in pages), reader


def test_an_answer_of_concern_locks_the_couple_steps_until_confirmed(store, model):
    app = SessionApp(store=store)
    app.start(model.couple_id)
    app.go_to("safety")
    page = app.body.children[0]
    html = " ".join(child.value for child in page.children if hasattr(child, "value")
                    and isinstance(child.value, str))
    assert "Joint exercises are not advised for now" in html
    # where to refer, beside the result: the editable list, and the emergency line
    assert "Where to refer" in html and "worksheets/referrals.yaml" in html
    assert "If anyone is in immediate danger, call your local emergency number." in html
    assert app.model.locked
    for key in ("spectrum_a", "profiles", "origins", "plan", "finish"):
        app.go_to(key)
        assert app.step == "safety", key
        assert "Joint exercises are paused" in app.status.value
    app.next.click()
    assert app.step == "safety"
    confirm = next(c for c in app.body.children[0].children
                   if getattr(c, "description", "").startswith("I have spoken"))
    confirm.value = True  # the facilitator has seen each partner on their own
    assert not app.model.locked
    app.go_to("profiles")
    assert app.step == "profiles"
    again = SessionModel(store, model.session_id)  # kept: the confirmation is saved
    assert again.safety.confirmed and not again.locked


def test_no_concern_no_lock(store):
    couple = store.create_couple("Cy", "Di")
    m = SessionModel(store, store.new_session(couple.id).id)
    answer_screen(m, "a")
    answer_screen(m, "b")
    assert m.safety.complete and not m.safety.concern and not m.locked
    m.set(("safety", "a", "safe_today", 0, "answer"), "unsure")
    assert m.safety.concerns["a"] == ["safe_today"] and m.locked
    with pytest.raises(AnswerError, match="expected one of never, once"):
        m.set(("safety", "a", "fear", 0, "answer"), "yes")


def test_the_screen_stays_out_of_show_csv_and_json_unless_asked(store, model, data_dir, capsys,
                                                                  tmp_path):
    assert main(["--data-dir", str(data_dir), "show", model.couple_id]) == 0
    out = capsys.readouterr().out.lower()
    assert "safety" not in out and "sometimes" not in out and "control" not in out
    buffer = io.StringIO()
    export_csv(store, buffer)
    assert ",safety," not in buffer.getvalue()
    buffer = io.StringIO()
    export_csv(store, buffer, include_safety=True)
    assert ",safety,b,Bo,control,0,answer,sometimes," in buffer.getvalue()
    # once the facilitator has confirmed, the confirmation is a row of its own, named for
    # no partner
    model.confirm_safety()
    buffer = io.StringIO()
    export_csv(store, buffer, include_safety=True)
    assert ",safety,facilitator,,review,0,confirmed,true," in buffer.getvalue()
    assert main(["--data-dir", str(data_dir), "export", "--csv", "--include-safety", "-o",
                 "-"]) == 0
    assert ",safety," in capsys.readouterr().out

    data = export_couple(store, model.couple_id)
    assert data["safety"] == "left out"
    answers = data["sessions"][0]["answers"]
    assert not any(a["worksheet"] == "safety" for a in answers)
    notes = {a["value"]: a["shared"] for a in answers if a["field"] == "notes"}
    assert notes == {PRIVATE_A: False, SHARED_A: True, PRIVATE_B: False, SHARED_B: True}
    assert not any(a["field"] == "shared" for a in answers)  # folded into its note
    full = export_couple(store, model.couple_id, include_safety=True)
    assert full["safety"] == "included"
    with Store(tmp_path / "other", content=store.content) as other:
        import_couple(other, json.loads(json.dumps(full)))
        assert export_couple(other, model.couple_id, include_safety=True) == full
        copy = other.load_session(other.session(model.couple_id).id)
        assert copy.shared("a", "cultural_messages") and not copy.shared("a", "past_hurts")
        assert copy.safety("b")["control"] == "sometimes"


def test_a_password_protected_report_opens_only_with_the_password(store, model, tmp_path):
    pdf = session_report(model.content, model.data, model.scores, reader="facilitator")
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypt_pdf(pdf, "correct horse 42"))
    qpdf = tool("qpdf")
    wrong = subprocess.run([qpdf, "--check", "--password=wrong", str(path)],
                           capture_output=True, text=True)
    assert wrong.returncode != 0 and "invalid password" in (wrong.stdout + wrong.stderr)
    right = subprocess.run([qpdf, "--check", "--password=correct horse 42", str(path)],
                           capture_output=True, text=True)
    assert right.returncode == 0, right.stdout + right.stderr
    assert "R = 6" in right.stdout or "AES" in right.stdout  # AES-256 (revision 6)
    assert b"A-private" not in path.read_bytes()
    reader = PdfReader(path)
    assert reader.is_encrypted and reader.decrypt("correct horse 42")
    assert "Facilitator's copy" in reader.pages[0].extract_text()


def test_cli_report_for_each_reader_and_with_a_password(store, model, data_dir, tmp_path,
                                                         monkeypatch, capsys):
    d = ["--data-dir", str(data_dir)]
    out = tmp_path / "b.pdf"
    assert main([*d, "report", model.couple_id, "--for", "b", "-o", str(out)]) == 0
    assert PRIVATE_B in pdftotext(out) and PRIVATE_A not in pdftotext(out)
    monkeypatch.setenv("TOOLKIT_PDF_PASSWORD", "s3cret")
    locked = tmp_path / "f.pdf"
    assert main([*d, "report", model.couple_id, "--for", "facilitator", "--password", "-o",
                 str(locked)]) == 0
    assert PdfReader(locked).is_encrypted
    monkeypatch.delenv("TOOLKIT_PDF_PASSWORD")
    assert main([*d, "report", model.couple_id, "--password", "-o", str(tmp_path / "x.pdf")]) == 1
    assert "needs a terminal" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_a_private_note_never_shows_on_the_other_partners_screens(store, model):
    from toolkit.ui.origins import OriginsSummary, OriginsView

    summary = OriginsSummary(model).widget.value
    assert SHARED_A in summary and SHARED_B in summary
    assert PRIVATE_A not in summary and PRIVATE_B not in summary
    b_page = OriginsView(model, "b")
    shown = " ".join(s.notes.value for s in b_page.sections)
    assert PRIVATE_A not in shown and SHARED_A not in shown  # A's notes are not on B's page
    a_page = OriginsView(model, "a")
    section = next(s for s in a_page.sections if s.section.id == "past_hurts")
    assert section.shared.value is False and section.shared.description == "Share this note with Bo"
    section.shared.value = True  # A changes their mind
    assert PRIVATE_A in OriginsSummary(model).widget.value
    assert store.load_session(model.session_id).shared("a", "past_hurts")


def live_widgets() -> set[str]:
    import ipywidgets.widgets.widget as widget_module

    return set(widget_module._instances)


def widget_text(since: set[str] | None = None) -> str:
    """Everything the browser's widget manager could hold: the state of every live
    widget (made after ``since``, so other tests' widgets do not count)."""
    import ipywidgets.widgets.widget as widget_module

    return json.dumps([w.get_state() for key, w in list(widget_module._instances.items())
                       if since is None or key not in since], default=str)


def test_couple_mode_holds_nothing_about_anyone_else(store, model):
    other = store.create_couple("Zebulon", "Quillon", notes="other couple")
    store.new_session(other.id)
    model.confirm_safety()
    model.update_couple(notes="Facilitator-only: bring up the move")
    before = live_widgets()
    app = SessionApp(store=store)
    app.start(model.couple_id)
    app.views["profiles"].show_notes.value = True
    app.go_to("finish")
    app.export_report("facilitator")
    assert "Zebulon" in widget_text(before)  # the facilitator's mode lists every couple
    app.code.value = "2468"
    app.hand_over()
    state = widget_text(before)
    for secret in ("Zebulon", "Quillon", other.id, "Facilitator-only: bring up the move",
                   "Facilitator&#x27;s copy", "python -m toolkit", str(store.data_dir)):
        assert secret not in state, secret
    assert app.step == "spectrum_a" and "couple" not in app.visible_steps
    app.go_to("finish")
    buttons = [b.description for b in app.body.children[0].children[2].children]
    assert buttons == ["The couple's report", "Handout: the four patterns",
                       "Between-session sheet"]
    assert app.export_report("a") is None  # a partner's copy is the facilitator's to give
    # back to the facilitator: deliberately, and with the code
    app.facilitator_link.click()
    assert not app.return_to_facilitator("1111")
    assert app.mode == "couple" and "not the code" in app.return_status.value
    app.return_code.value = "2468"
    app.return_yes.click()
    assert app.mode == "facilitator" and "Zebulon" in widget_text(before)


def test_the_couple_answer_the_screen_in_turn_and_see_nothing_of_it(store):
    couple = store.create_couple("Cy", "Di")
    before = live_widgets()
    app = SessionApp(store=store)
    app.start(couple.id)
    app.hand_over(start="safety")
    view = app.views["safety"]
    assert "Please hand the screen to <b>Cy</b>" in view.couple_widget.children[0].value
    view.couple_widget.children[1].click()  # "I am Cy: start"
    for question in view.questions:
        question.choice.value = question.choice.options[0][1]  # never / yes
    view.questions[1].choice.value = "often"  # Cy is afraid
    done = view.couple_widget.children[-1]
    done.click()
    assert "Please hand the screen to <b>Di</b>" in view.couple_widget.children[0].value
    assert view.questions == []  # Cy's answers left the page
    view.couple_widget.children[1].click()
    for question in view.questions:
        question.choice.value = question.choice.options[0][1]
    view.couple_widget.children[-1].click()
    assert "Please hand the screen back" in view.couple_widget.children[0].value
    assert app.next.disabled and app.back.disabled
    state = widget_text(before)
    assert "Joint exercises are not advised" not in state and "(concern)" not in state
    # the couple cannot move on by themselves; nothing on screen says why
    app.go_to("spectrum_a")
    assert app.step == "safety" and "hand the screen back" in app.status.value
    assert "safety" not in app.status.value.lower()
    app.facilitator_link.click()
    app.return_yes.click()  # no code was set
    assert app.step == "safety" and app.model.safety.concerns["a"] == ["fear"]


def test_pause_hides_everything_at_once(store, model):
    app = SessionApp(store=store)
    app.start(model.couple_id)
    app.pause_button.click()
    assert app.content_box.layout.display == "none"
    assert app.paused.layout.display == ""
    app.resume_button.click()
    assert app.content_box.layout.display == "" and app.paused.layout.display == "none"


def test_demo_couples_share_some_notes_and_keep_others(data_dir, content, tmp_path):
    from toolkit.demo import seed_demos

    with Store(data_dir, content=content) as store:
        seed_demos(store)
        model = SessionModel.open(store, "demo-kim-kevin", 1)
        data = model.data
        assert not data.shared("a", "overcorrection")  # Kim keeps this one to herself
        assert data.shared("a", "cultural_messages")
        couple = text_of(store, model, tmp_path, "couple")
        kim = text_of(store, model, tmp_path, "a")
    assert "An ex used to check my phone" not in couple
    assert "An ex used to check my phone" in kim
    assert "needing people was treated as weakness" in couple
    assert AnswerKey  # the key type used above is the one the store validates
