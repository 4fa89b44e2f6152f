"""PDFs as a reader and a PDF tool see them: text in order, valid files,
pages that are not blank, forms that read back."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader, PdfWriter

from toolkit.content import load_content
from toolkit.demo import seed_demos
from toolkit.forms import FormError, import_form, read_form
from toolkit.report import blank_worksheets, session_report
from toolkit.session import SessionModel
from toolkit.store import Store
from toolkit.textsafe import MissingGlyphsWarning, visual_lines, visual_order


def report_of(store, session_id: int, **kwargs) -> bytes:
    """The report as the app and the command line build it: from the session model."""
    model = SessionModel(store, session_id)
    return session_report(model.content, model.data, model.scores, **kwargs)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing on CI (apt-get install poppler-utils qpdf)")
        pytest.skip(f"{name} not installed (apt-get install poppler-utils qpdf)")
    return path


def pdftotext(path: Path) -> str:
    return subprocess.run([tool("pdftotext"), "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def qpdf_ok(path: Path) -> None:
    proc = subprocess.run([tool("qpdf"), "--check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No syntax or stream encoding errors found" in proc.stdout


def page_not_blank(path: Path, page: int, tmp_path: Path) -> None:
    from PIL import Image

    prefix = tmp_path / f"page{page}"
    subprocess.run([tool("pdftoppm"), "-r", "40", "-png", "-f", str(page), "-l", str(page),
                    str(path), str(prefix)], check=True)
    image = Image.open(next(tmp_path.glob(f"page{page}*.png"))).convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 200, f"page {page} looks blank ({dark} dark pixels)"


@pytest.fixture
def demo_store(data_dir, content):
    store = Store(data_dir, content=content)
    seed_demos(store)
    yield store
    store.close()


def test_demo_report_reads_in_order(demo_store, tmp_path):
    info = demo_store.session("demo-kim-kevin", 1)
    path = tmp_path / "report.pdf"
    path.write_bytes(report_of(demo_store, info.id))
    qpdf_ok(path)
    text = pdftotext(path)
    order = ["Kim & Kevin", "2 November 2026", "Confidential", "Where each of you stands",
             "Kim leans toward hyper-independence", "Where you differ most",
             "Time apart and time together", "Talk it through:", "Where you lean the same way",
             "Living side by side", "All items",
             "Where the patterns came from", "At home, needing people was treated as weakness",
             "Our plan", "Evenings with my friends", "30 November 2026"]
    positions = [text.find(marker) for marker in order]
    assert -1 not in positions, [m for m, p in zip(order, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    reader = PdfReader(path)
    assert len(reader.pages) >= 4
    assert "Page 1 of" in reader.pages[0].extract_text()
    assert reader.metadata.subject == "Confidential"
    page_not_blank(path, 1, tmp_path)
    page_not_blank(path, 2, tmp_path)


HOSTILE_NAME = "<b>Ana</b> & Bo"
HOSTILE_NOTE = ("<font color=red>not red</font> a<b and c>d & <script>alert(1)</script> "
                "Ωμέγα Юлия")


def test_hostile_and_multilingual_text_prints_literally(store, tmp_path):
    couple = store.create_couple(HOSTILE_NAME, "שרה")
    s = store.new_session(couple.id, date="2026-11-02", facilitator="<i>Dr</i> Kay")
    store.set_answer(s.id, ("spectrum", "a", "decisions", 0, "position"), 2)
    store.set_answer(s.id, ("spectrum", "b", "decisions", 0, "position"), -2)
    store.set_answer(s.id, ("origins", "a", "past_hurts", 0, "notes"), HOSTILE_NOTE)
    store.set_answer(s.id, ("origins", "b", "past_hurts", 0, "notes"), "מרحبا مرحبا بالعالم")
    for partner in ("a", "b"):  # shared, so the couple's report prints them
        store.set_answer(s.id, ("origins", partner, "past_hurts", 0, "shared"), True)
    row = store.add_plan_row(s.id, "agreements")
    store.set_answer(s.id, ("boundaries", "couple", "agreements", row, "event"), "<b>party</b>")
    path = tmp_path / "hostile.pdf"
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingGlyphsWarning)
        path.write_bytes(report_of(store, s.id))
    qpdf_ok(path)
    text = pdftotext(path)
    for literal in ("<b>Ana</b> & Bo", "<font color=red>not red</font>", "a<b and c>d",
                    "<script>alert(1)</script>", "Ωμέγα Юлия", "<i>Dr</i> Kay", "<b>party</b>"):
        assert literal in text, literal
    hebrew = PdfReader(path).pages[0].extract_text()
    assert set("שרה") <= set(hebrew)


def test_rtl_lines_wrap_in_reading_order():
    words = [f"מילה{i}" for i in range(12)]
    lines, rtl = visual_lines(" ".join(words), 80, lambda s: 10 * len(s))
    assert rtl and len(lines) > 1
    # the first line on the page holds the first words, drawn right to left
    assert visual_order("מילה0") in lines[0] and visual_order("מילה11") in lines[-1]
    assert lines[0].endswith(visual_order("מילה0"))
    assert visual_lines("plain <text>", 10, len) == (["plain <text>"], False)


def test_uncovered_characters_are_named_in_a_warning(store):
    couple = store.create_couple("Emoji 🎉", "漢字")
    s = store.new_session(couple.id)
    with pytest.warns(MissingGlyphsWarning) as caught:
        pdf = report_of(store, s.id)
    ours = [w for w in caught if w.category is MissingGlyphsWarning]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert "U+1F389 PARTY POPPER" in message
    assert "U+6F22 CJK UNIFIED IDEOGRAPH-6F22" in message
    assert pdf.startswith(b"%PDF")


def test_long_note_and_forty_row_plan_flow_across_pages(store, tmp_path):
    couple = store.create_couple("Long", "Plan")
    s = store.new_session(couple.id)
    note = ("This is a long reflection that goes on. " * 2600)[:100_000] + " END-OF-NOTE"
    store.set_answer(s.id, ("origins", "a", "past_hurts", 0, "notes"), note)
    store.set_answer(s.id, ("origins", "a", "past_hurts", 0, "shared"), True)
    for i in range(40):
        row = store.add_plan_row(s.id, "rituals")
        store.set_answer(s.id, ("boundaries", "couple", "rituals", row, "ritual"),
                         f"Ritual number {i} " + "with a longer description " * 6)
        store.set_answer(s.id, ("boundaries", "couple", "rituals", row, "how_often"), "Weekly")
    path = tmp_path / "long.pdf"
    path.write_bytes(report_of(store, s.id))
    qpdf_ok(path)
    assert len(PdfReader(path).pages) >= 25
    text = pdftotext(path)
    assert "END-OF-NOTE" in text  # never clipped
    assert "Ritual number 0 " in text and "Ritual number 39 " in text
    assert text.count("How often") >= 2  # the header repeats on the next page


def test_blank_worksheets_have_every_item_and_a_scale(content, tmp_path):
    path = tmp_path / "blank.pdf"
    path.write_bytes(blank_worksheets(content))
    qpdf_ok(path)
    text = pdftotext(path)
    for number, item in enumerate(content.spectrum.items, start=1):
        assert text.count(f"{number}. {item.title}") == 2  # once per partner
    for section in content.origins.sections + content.boundaries.sections:
        assert section.title in text
    assert "-3" in text and "+3" in text and "Tried it" in text
    assert PdfReader(path).get_fields() is None  # nothing to fill in
    page_not_blank(path, 2, tmp_path)


def test_fillable_form_has_every_field_and_none_required(content, tmp_path):
    path = tmp_path / "form.pdf"
    path.write_bytes(blank_worksheets(content, fillable=True))
    qpdf_ok(path)
    fields = PdfReader(path).get_fields()
    for partner in "ab":
        for item in content.spectrum.items:
            radio = fields[f"spectrum.{partner}.{item.id}"]
            assert radio["/FT"] == "/Btn"
            assert set(radio["/_States_"]) >= {"/m3", "/0", "/p3"}
        for section in content.origins.sections:
            assert fields[f"origins.{partner}.{section.id}.notes"]["/FT"] == "/Tx"
    assert fields["boundaries.small_risks.1.done"]["/FT"] == "/Btn"
    assert fields["boundaries.review.date"]["/FT"] == "/Tx"
    for name, f in fields.items():
        assert not int(f.get("/Ff", 0)) & 2, f"{name} is required"


def test_a_form_made_for_a_couple_carries_their_names_and_no_visible_stamp(content, tmp_path):
    from toolkit.forms import form_stamp

    path = tmp_path / "form.pdf"
    path.write_bytes(blank_worksheets(content, fillable=True,
                                      names={"a": "Noa", "b": "Sami \u05e9\u05dc\u05d5\u05dd"}))
    reader = PdfReader(path)
    fields = reader.get_fields()
    assert fields["name.a"]["/V"] == "Noa"
    assert fields["name.b"].get("/V", "") == ""  # not Latin-1: left for them to write in
    stamp = fields["toolkit.form"]
    assert stamp["/V"] == form_stamp(content)  # still read back on import
    widget = next(a.get_object() for a in reader.pages[0]["/Annots"]
                  if a.get_object().get("/T") == "toolkit.form")
    assert int(widget["/F"]) & 2 and not int(widget["/F"]) & 4  # hidden, not printed
    rest = pdftotext(path)
    assert "Independence spectrum: Noa" in rest and "Noa and Sami" in rest

    printed = tmp_path / "print.pdf"
    printed.write_bytes(blank_worksheets(content, names={"a": "Noa", "b": "Sami"}))
    text = pdftotext(printed)
    assert "Where the pattern came from: Sami" in text and "Partner B" in text


def fill(form: Path, target: Path, values: dict[str, str]) -> Path:
    writer = PdfWriter()
    writer.append(PdfReader(form))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    with target.open("wb") as fh:
        writer.write(fh)
    return target


def test_filled_form_round_trip(store, content, tmp_path):
    form = tmp_path / "form.pdf"
    form.write_bytes(blank_worksheets(content, fillable=True))
    values = {
        "name.a": "Noa", "name.b": "Sami",
        "spectrum.a.asking_for_help": "/p3", "spectrum.b.asking_for_help": "/m2",
        "spectrum.b.couple_bubble": "/0",
        "origins.a.past_hurts.resonance": "/2",
        "origins.b.self_awareness.notes": "Ωμέγα <b>not bold</b>\nשלום",
        "boundaries.rituals.1.ritual": "Walk after dinner",
        "boundaries.rituals.1.who_starts": "Sami",
        "boundaries.rituals.3.ritual": "Sunday coffee",
        "boundaries.small_risks.1.ask": "Ask for a lift", "boundaries.small_risks.1.done": "/Yes",
        "boundaries.small_risks.1.by_when": "2026-12-24",
        "boundaries.review.date": "2027-01-15",
    }
    filled = fill(form, tmp_path / "filled.pdf", values)
    couple = store.create_couple("Noa", "Sami")
    session_id = import_form(store, filled, couple.id, date="2026-12-01")
    data = store.load_session(session_id)
    assert data.spectrum("a") == {"asking_for_help": 3}
    assert data.spectrum("b") == {"asking_for_help": -2, "couple_bubble": 0}
    assert data.origin("a", "past_hurts") == (2, "")
    assert data.origin("b", "self_awareness") == (None, "Ωμέγα <b>not bold</b>\nשלום")
    assert data.plan("rituals") == [
        {"row": 1, "ritual": "Walk after dinner", "who_starts": "b"},
        {"row": 2, "ritual": "Sunday coffee"},
    ]
    assert data.plan("small_risks") == [
        {"row": 1, "ask": "Ask for a lift", "done": True, "by_when": "2026-12-24"}]
    assert data.plan_value("review") == "2027-01-15"
    assert data.info.date == "2026-12-01"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"boundaries.review.date": "next week"}, "YYYY-MM-DD"),
        ({"spectrum.a.decisions": "/p9"}, "unknown value 'p9'"),
        ({"boundaries.rituals.1.who_starts": "the dog"}, "should be A, B or both"),
        ({"toolkit.form": "couples-toolkit/form v1; spectrum 9; origins 1; boundaries 1"},
         "other worksheet versions"),
    ],
)
def test_bad_forms_are_refused_and_write_nothing(store, content, tmp_path, values, message):
    form = tmp_path / "form.pdf"
    form.write_bytes(blank_worksheets(content, fillable=True))
    filled = fill(form, tmp_path / "bad.pdf", {"spectrum.a.asking_for_help": "/p1", **values})
    couple = store.create_couple("Noa", "Sami")
    with pytest.raises(FormError, match=message):
        import_form(store, filled, couple.id)
    assert store.sessions(couple.id) == []


def test_broken_and_foreign_files_are_refused(store, content, tmp_path):
    couple = store.create_couple("Noa", "Sami")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(FormError, match="broken.pdf"):
        import_form(store, broken, couple.id)
    report = tmp_path / "report.pdf"
    report.write_bytes(blank_worksheets(content))  # a PDF, but not a form
    with pytest.raises(FormError, match="not a worksheet form from this toolkit"):
        read_form(content, report)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(blank_worksheets(content, fillable=True))
    with pytest.raises(FormError, match="the form is empty"):
        import_form(store, empty, couple.id)
    assert store.sessions(couple.id) == []


def test_non_latin1_worksheets_still_make_a_form(worksheet_copy, tmp_path):
    path = worksheet_copy / "spectrum.yaml"
    data = yaml.safe_load(path.read_text())
    data["items"][0]["title"] = "Ζητώντας βοήθεια"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    content = load_content(worksheet_copy)
    pdf = blank_worksheets(content, fillable=True)
    reader = PdfReader(io.BytesIO(pdf))
    field = reader.get_fields()["spectrum.a.asking_for_help"]
    assert field["/TU"] == "asking_for_help"  # tooltip falls back to the Latin-1 id
    assert "Ζητώντας βοήθεια" in reader.pages[1].extract_text()


def test_cli_report_blank_and_import_form(capsys, data_dir, tmp_path):
    from toolkit.__main__ import main

    d = ["--data-dir", str(data_dir)]
    assert main([*d, "demo"]) == 0
    out = tmp_path / "r.pdf"
    assert main([*d, "report", "demo-alison-brett", "-o", str(out)]) == 0
    assert "Alison & Brett" in pdftotext(out)
    assert main([*d, "report", "demo-alison-brett", "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    form = tmp_path / "f.pdf"
    assert main([*d, "blank", "--fillable", "-o", str(form)]) == 0
    filled = fill(form, tmp_path / "filled.pdf", {"spectrum.a.decisions": "/m1"})
    assert main([*d, "import-form", str(filled), "--couple", "demo-alison-brett"]) == 0
    assert "session 3" in capsys.readouterr().out
    assert main([*d, "import-form", str(out), "--couple", "demo-alison-brett"]) == 1
    assert "not a worksheet form" in capsys.readouterr().err
