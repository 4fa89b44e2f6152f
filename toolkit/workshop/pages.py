"""The workshop's pages as HTML text: the join page, each partner's phone page,
the facilitator's page and the projector.

Every piece of text a person typed goes through ``e()`` (HTML-escaped, quotes
included); pages load nothing from other hosts and carry no inline script, so
the server's Content-Security-Policy can forbid both. Links are relative, so
the same pages work behind a proxy that serves them under a path prefix.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from ..content import Content
from ..responses import SessionData
from .room import K_MIN, Member, Workshop

__all__ = ["e", "facilitator_page", "join_page", "message_page", "partner_page",
           "projector_page", "qr_svg"]


def e(text: Any) -> str:
    """Text as HTML, shown literally (markup, scripts and quotes included)."""
    return html.escape(str(text), quote=True)


def n(name: Any) -> str:
    """A person's name, escaped and isolated, so a right-to-left name does not reorder
    the sentence around it."""
    return f"<bdi>{e(name)}</bdi>"


def qr_svg(link: str, title: str) -> str:
    """A QR code for a link, drawn inline (no image request, no other host)."""
    import segno

    code = segno.make(link, error="m")
    svg = code.svg_inline(scale=6, dark="#000", light="#fff", border=2)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{e(title)}" ', 1)
    return f'<figure class="qr">{svg}<figcaption>{e(title)}</figcaption></figure>'



def _page(title: str, body: str, *, depth: int, kind: str, refresh: str = "") -> str:
    up = "../" * depth
    data = f' data-refresh="{e(refresh)}"' if refresh else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{e(title)}</title>"
        f'<link rel="stylesheet" href="{up}static/workshop.css">'
        f'<script defer src="{up}static/workshop.js"></script>'
        f'</head><body class="{kind}"{data}><main id="main">{body}</main>'
        '<p class="status" role="status" aria-live="polite"></p></body></html>'
    )


def message_page(title: str, text: str, *, depth: int = 0) -> str:
    return _page(title, f"<h1>{e(title)}</h1><p>{e(text)}</p>", depth=depth, kind="message")


# --- joining ----------------------------------------------------------------------

def join_page(workshop: Workshop, problem: str = "", values: Mapping[str, str] | None = None
              ) -> str:
    values = values or {}
    error = f'<p class="problem" role="alert">{e(problem)}</p>' if problem else ""
    body = f"""
<h1>{e(workshop.name)}</h1>
<p>Welcome. Join as a couple: each of you chooses a name to use today. A first name,
a nickname or any pseudonym is fine; nobody else in the room will see it.</p>
{error}
<form method="post" action="join" class="join">
  <label for="a">Your name for today</label>
  <input id="a" name="a" maxlength="80" required autocomplete="off"
         value="{e(values.get('a', ''))}">
  <label for="b">Your partner's name for today</label>
  <input id="b" name="b" maxlength="80" required autocomplete="off"
         value="{e(values.get('b', ''))}">
  <button type="submit">Join</button>
</form>
<p class="small">You will each get a private page on your own phone. What you answer there is
yours: your partner sees your profile only when you both choose to reveal, and your notes only
if you share them.</p>"""
    return _page(f"Join: {workshop.name}", body, depth=0, kind="join")


def pair_page(workshop: Workshop, name: str) -> str:
    body = f"""
<h1>{e(workshop.name)}</h1>
<p>This link opens the private page for <strong>{n(name)}</strong>. It works once, on one
phone: open it on your own.</p>
<form method="post" action="">
  <button type="submit">I am {n(name)}: open my page</button>
</form>"""
    return _page(f"For {name}", body, depth=2, kind="join")


# --- a partner's phone -----------------------------------------------------------

def _radios(name: str, options: Iterable[tuple[str, str]], chosen: Any, *, legend: str,
            cls: str, key: Mapping[str, Any]) -> str:
    attrs = " ".join(f'data-{k}="{e(v)}"' for k, v in key.items())
    buttons = "".join(
        f'<label class="opt"><input type="radio" name="{e(name)}" value="{e(value)}"'
        f'{" checked" if str(chosen) == value else ""}><span>{e(label)}</span></label>'
        for value, label in options)
    return (f'<fieldset class="{cls}" {attrs}><legend>{legend}</legend>'
            f'<div class="opts">{buttons}</div></fieldset>')


def _safety_part(content: Content, data: SessionData, partner: str) -> str:
    screen = content.safety
    if screen is None:
        return ""
    answers = data.safety(partner)
    rows = []
    for question in screen.questions:
        rows.append(_radios(
            f"safety-{question.id}", [(o.id, o.label) for o in question.options],
            answers.get(question.id), legend=e(question.text), cls="answer choice",
            key={"worksheet": "safety", "item": question.id, "field": "answer"}))
    return (f'<section aria-labelledby="safety-h"><h2 id="safety-h">{e(screen.title)}</h2>'
            f"<p>{e(screen.intro)}</p>{''.join(rows)}</section>")


def _spectrum_part(content: Content, data: SessionData, partner: str) -> str:
    spectrum = content.spectrum
    answers = data.spectrum(partner)
    positions = range(spectrum.scale_min, spectrum.scale_max + 1)
    cards = []
    for n, item in enumerate(spectrum.items, 1):
        chosen = answers.get(item.id)
        options = [(str(p), f"{p:+d}" if p else "0") for p in positions]
        legend = (f'<span class="n">{n}.</span> {e(item.title)}'
                  f'<span class="poles"><span class="left">{e(item.left)}</span>'
                  f'<span class="mid">{e(item.middle)}</span>'
                  f'<span class="right">{e(item.right)}</span></span>')
        cards.append(_radios(f"item-{item.id}", options, chosen, legend=legend,
                             cls="answer scale",
                             key={"worksheet": "spectrum", "item": item.id,
                                  "field": "position"}))
    done = len(answers)
    return (f'<section aria-labelledby="spectrum-h"><h2 id="spectrum-h">{e(spectrum.title)}</h2>'
            f"<p>{e(spectrum.intro)}</p>"
            f'<p class="ends"><span>-3: {e(spectrum.left_label)}</span>'
            f"<span>0: {e(spectrum.middle_label)}</span>"
            f"<span>+3: {e(spectrum.right_label)}</span></p>"
            f"{''.join(cards)}"
            f'<p class="count" id="count">{done} of {len(spectrum.items)} answered</p></section>')


def _reveal_part(content: Content, data: SessionData, member: Member, partner: str,
                 *, ready: bool, opened: bool, gaps: list[dict] | None) -> str:
    other = "b" if partner == "a" else "a"
    them = data.couple.name(other)
    head = '<section aria-labelledby="reveal-h"><h2 id="reveal-h">Your two profiles</h2>'
    if not opened:  # the same words for every couple, whatever the reason
        return (head + f"<p>When the facilitator opens this part for the room, you and "
                f"{n(them)} can each choose to see your two profiles side by side.</p>"
                "</section>")
    if not ready:
        return (head + f"<p>When you and {n(them)} have both answered every line, you can "
                "each choose to see your two profiles side by side.</p></section>")
    if not member.revealed[partner]:
        return (head + f"<p>You have both answered. When you are ready, tap below; the "
                f"profiles appear once {n(them)} has tapped too.</p>"
                '<form method="post" action="reveal" class="reveal">'
                "<button type=\"submit\">I'm ready to see our profiles</button></form></section>")
    if not member.revealed[other]:
        return head + f"<p>Waiting for {n(them)} to tap reveal.</p></section>"
    names = f"{data.couple.partner_a} and {data.couple.partner_b}"
    items = "".join(
        f"<li><strong>{e(g['title'])}</strong> ({n(data.couple.partner_a)} {g['position_a']:+d}, "
        f"{n(data.couple.partner_b)} {g['position_b']:+d}). {e(g['prompt'])}</li>"
        for g in gaps or [])
    talk = (f"<h3>Where you differ most</h3><ol class=\"gaps\">{items}</ol>" if items else
            "<p>You answered alike on every line.</p>")
    return (head + f'<img class="profile" src="profile.png" alt="The spectrum profiles of '
            f'{e(names)} side by side: each line shows where each of you placed yourself.">'
            f"{talk}"
            '<p class="downloads"><a href="report.pdf" download>Our report (PDF)</a> '
            '<a href="my-report.pdf" download>My copy, with my private notes (PDF)</a></p>'
            "</section>")


def _origins_part(content: Content, data: SessionData, partner: str) -> str:
    origins = content.origins
    other = "b" if partner == "a" else "a"
    sections = []
    for section in origins.sections:
        resonance, notes = data.origin(partner, section.id)
        shared = data.shared(partner, section.id)
        labels = [(str(i), label) for i, label in enumerate(origins.resonance_labels)]
        prompts = "".join(f"<li>{e(p)}</li>" for p in section.prompts)
        their = ""
        if data.shared(other, section.id) and data.origin(other, section.id)[1]:
            their = (f'<p class="shared-note"><strong>{n(data.couple.name(other))} shared:'
                     f"</strong> {e(data.origin(other, section.id)[1])}</p>")
        sections.append(
            f'<div class="card"><h3>{e(section.title)}</h3><p>{e(section.intro)}</p>'
            f"<ul>{prompts}</ul>"
            + _radios(f"res-{section.id}", labels, resonance, legend="How much this fits you",
                      cls="answer choice", key={"worksheet": "origins", "item": section.id,
                                                "field": "resonance"})
            + f'<label for="note-{e(section.id)}">My notes (private unless I share them)</label>'
            f'<textarea id="note-{e(section.id)}" class="answer text" rows="3" '
            f'data-worksheet="origins" data-item="{e(section.id)}" data-field="notes">'
            f"{e(notes)}</textarea>"
            f'<label class="switch"><input type="checkbox" class="answer check" '
            f'data-worksheet="origins" data-item="{e(section.id)}" data-field="shared"'
            f'{" checked" if shared else ""}> Share this note with my partner</label>'
            f"{their}</div>")
    return (f'<section aria-labelledby="origins-h"><h2 id="origins-h">{e(origins.title)}</h2>'
            f"<p>{e(origins.intro)}</p>{''.join(sections)}</section>")


def _plan_part(content: Content, data: SessionData) -> str:
    names = {"a": data.couple.partner_a, "b": data.couple.partner_b, "both": "Both"}
    parts = []
    for section in content.boundaries.sections:
        if section.kind != "table":
            continue
        rows = []
        for row in data.plan(section.id):
            fields = []
            for column in section.columns:
                value = row.get(column.id)
                fid = f"{section.id}-{row['row']}-{column.id}"
                attrs = (f'data-worksheet="boundaries" data-item="{e(section.id)}" '
                         f'data-row="{row["row"]}" data-field="{e(column.id)}"')
                label = f'<label for="{e(fid)}">{e(column.label)}</label>'
                if column.type == "partner":
                    opts = "".join(
                        f'<option value="{k}"{" selected" if value == k else ""}>{e(v)}</option>'
                        for k, v in [("", "-"), *names.items()])
                    field = f'<select id="{e(fid)}" class="answer text" {attrs}>{opts}</select>'
                elif column.type == "check":
                    field = (f'<input id="{e(fid)}" type="checkbox" class="answer check" '
                             f'{attrs}{" checked" if value else ""}>')
                elif column.type == "date":
                    field = (f'<input id="{e(fid)}" type="date" class="answer text" {attrs} '
                             f'value="{e(value or "")}">')
                else:
                    field = (f'<textarea id="{e(fid)}" rows="2" class="answer text" {attrs}>'
                             f"{e(value or '')}</textarea>")
                fields.append(f'<div class="field">{label}{field}</div>')
            rows.append(f'<div class="row">{"".join(fields)}</div>')
        parts.append(
            f'<div class="card"><h3>{e(section.title)}</h3><p>{e(section.intro)}</p>'
            f"{''.join(rows)}"
            f'<form method="post" action="add-row" class="add"><input type="hidden" '
            f'name="section" value="{e(section.id)}"><button type="submit">Add a row to '
            f"{e(section.title)}</button></form></div>")
    return (f'<section aria-labelledby="plan-h"><h2 id="plan-h">Your plan together</h2>'
            "<p>This part belongs to both of you: you each see and can change it.</p>"
            f"{''.join(parts)}</section>")


def partner_page(content: Content, workshop: Workshop, data: SessionData, member: Member,
                 partner: str, *, ready: bool, opened: bool, gaps: list[dict] | None,
                 pair_link: str | None) -> str:
    """A partner's own page: everything they answer, and nothing of the other partner's
    that was not shared with them."""
    name = data.couple.name(partner)
    other = data.couple.name("b" if partner == "a" else "a")
    pair = ""
    if pair_link:
        pair = (f'<section class="pair" aria-labelledby="pair-h"><h2 id="pair-h">Now '
                f"{n(other)}'s page</h2><p>{n(other)}: scan this code with your own phone "
                "(or type the link). It opens once, so only you can use it.</p>"
                f"{qr_svg(pair_link, f'Link for {other}')}"
                f'<p class="link">{e(pair_link)}</p></section>')
    parts = [
        f"<h1>For {n(name)} alone</h1>",
        f'<p class="lead">{e(workshop.name)}. This page is yours: keep it on your own phone and '
        "do not share the link. Each answer is saved as you choose it.</p>",
        pair,
        _safety_part(content, data, partner),
        _spectrum_part(content, data, partner),
        _reveal_part(content, data, member, partner, ready=ready, opened=opened, gaps=gaps),
    ]
    if "origins" in workshop.open_parts:
        parts.append(_origins_part(content, data, partner))
    if "plan" in workshop.open_parts:
        parts.append(_plan_part(content, data))
    return _page(f"{workshop.name}: {name}", "".join(parts), depth=2, kind="partner",
                 refresh="state")


# --- the facilitator -------------------------------------------------------------

def facilitator_page(workshop: Workshop, rows: list[dict[str, Any]], *, projector: str,
                     join_link: str, new_link: tuple[str, str] | None = None,
                     frozen: bool = False) -> str:
    parts_open = set(workshop.open_parts)
    held = [r for r in rows if r["held"]]
    labels = (("reveal", "the reveal"), ("origins", "Origins"), ("plan", "the plan"))
    buttons = "".join(
        f'<form method="post" action="open"><input type="hidden" name="part" value="{p}">'
        f'<button type="submit">Open {label} for the room</button></form>'
        for p, label in labels if p not in parts_open)
    wait = ""
    if held:
        wait = ('<p class="problem">' + ", ".join(n(r["names"]) for r in held) +
                ": speak with each partner on their own. Until you confirm below, their reveal "
                "stays closed and looks to them like everyone's before it opens.</p>")
    body_rows = "".join(
        f"<tr><td>{n(r['names'])}</td><td>{r['answered_a']} / {r['answered_b']}</td>"
        f"<td>{'yes' if r['revealed'] else 'no'}</td><td>{_safety_cell(r)}</td>"
        f"<td>{_relink(r)}</td></tr>"
        for r in rows)
    fresh = ""
    if new_link:
        who, link = new_link
        fresh = (f'<section class="pair" aria-labelledby="new-h"><h2 id="new-h">A new link for '
                 f"{n(who)}</h2><p>Show this to {n(who)} alone. Their old link no longer "
                 f"works.</p>{qr_svg(link, f'New link for {who}')}"
                 f'<p class="link">{e(link)}</p><p><a href="./">Done: hide it</a></p></section>')
    picture = (
        '<p>The projector\'s picture is <strong>held</strong>: it shows the room as it was when '
        'you held it.</p><form method="post" action="live"><button type="submit">Let the '
        "picture update live</button></form>" if frozen else
        "<p>The projector's picture updates live. While you teach from it, hold it: then "
        "nobody can watch a dot move as a neighbour answers.</p>"
        '<form method="post" action="freeze"><button type="submit">Hold the picture as it is'
        "</button></form>")
    body = f"""
<h1>{e(workshop.name)}: facilitator</h1>
{fresh}
<p class="lead">Keep this page to yourself: it shows the couples' names. Put the
<a href="{e(projector)}">projector view</a> on the shared screen.</p>
<p>Join link for the room: <span class="link">{e(join_link)}</span></p>
<h2>Parts open</h2><p>{e(', '.join(workshop.open_parts))}</p>{wait}{buttons}
<h2>The projector</h2>{picture}
<h2>Couples ({len(rows)})</h2>
<table><thead><tr><th scope="col">Couple</th><th scope="col">Lines answered (A / B)</th>
<th scope="col">Profiles revealed</th><th scope="col">Safety screen</th>
<th scope="col">Links and removal</th></tr></thead>
<tbody>{body_rows}</tbody></table>
<h2>At the end</h2>
<p><a href="reports.zip" download>Download every couple's report (zip of PDFs)</a></p>
<form method="post" action="close" class="danger" data-confirm="Close the workshop? Every
link stops working, for good."><button type="submit">Close the workshop: every link stops
working</button></form>"""
    return _page(f"{workshop.name}: facilitator", body, depth=2, kind="facilitator")


def _relink(row: Mapping[str, Any]) -> str:
    """A partner who closed their page or lost their phone gets a fresh link here; a
    couple who joined by mistake (or twice) can be removed."""
    couple = f'<input type="hidden" name="couple" value="{e(row["couple_id"])}">'
    links = "".join(
        f'<form method="post" action="relink">{couple}'
        f'<input type="hidden" name="partner" value="{p}">'
        f'<button type="submit">New link for {n(row["name_" + p])}</button></form>'
        for p in ("a", "b"))
    return (links + f'<form method="post" action="remove" data-confirm="Remove this couple '
            f'and delete their answers for good?">{couple}<button type="submit" '
            'class="quiet">Remove couple</button></form>')


def _safety_cell(row: Mapping[str, Any]) -> str:
    """The safety screen's state for one couple; for the facilitator's eyes only. A
    concern stays on record even if the answer is changed afterwards."""
    if row["held"]:
        changed = (" (an answer of concern was given, then changed: ask about it)"
                   if row["changed"] else "")
        return ("<strong>Speak with each partner on their own before they compare "
                f"profiles{changed}.</strong>"
                '<form method="post" action="confirm">'
                f'<input type="hidden" name="couple" value="{e(row["couple_id"])}">'
                '<button type="submit">I have spoken with each partner</button></form>')
    if row["concern"]:
        return "spoken with each partner"
    return "no answer of concern" if row["complete"] else "not finished"


def projector_page(workshop: Workshop, content: Content, join_link: str,
                   slides: list[Mapping[str, str]]) -> str:
    spectrum = content.spectrum
    strips = "".join(
        f'<div class="strip" data-item="{e(item.id)}"><h3>{e(item.title)}</h3>'
        f'<div class="ends"><span>{e(item.left)}</span><span>{e(item.right)}</span></div>'
        f'<div class="dots" aria-live="off"></div>'
        f'<p class="waiting">Waiting for more answers (shown once {K_MIN} couples have '
        "answered).</p></div>"
        for item in spectrum.items)
    slide_html = "".join(
        f'<article class="slide"><h3>{e(s["title"])}</h3><p>{e(s["text"])}</p>'
        f'<p class="source">From {e(s["source"])}</p></article>' for s in slides)
    body = f"""
<header class="room-head"><h1>{e(workshop.name)}</h1>
<div class="join-box">{qr_svg(join_link, "Scan to join")}<p class="link">{e(join_link)}</p></div>
<p class="joined" id="joined">No couples yet.</p></header>
<section aria-labelledby="spread-h"><h2 id="spread-h">Where the room is most spread out</h2>
<div id="spread"><p>Shown once {K_MIN} couples have answered.</p></div>
<p id="ask" aria-live="polite"></p></section>
<section aria-labelledby="room-h"><h2 id="room-h">The room, line by line</h2>
<p class="small">Each dot is one person. No names, no couples: only where people stand.</p>
<p class="scale-ends"><span>-3 {e(spectrum.left_label)}</span>
<span>0 {e(spectrum.middle_label)}</span>
<span>+3 {e(spectrum.right_label)}</span></p>
{strips}</section>
<section aria-labelledby="stories-h"><h2 id="stories-h">Two stories</h2>{slide_html}</section>"""
    return _page(f"{workshop.name}: the room", body, depth=2, kind="projector", refresh="room")
