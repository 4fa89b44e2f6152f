"""Command line: ``python -m toolkit COMMAND``.

For what a facilitator does outside a notebook: load the demo couples, look
at a couple's scores, move data between machines, and delete it for good.
Mistakes print one line to stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .content import ContentError, load_content
from .files import FileWriteError
from .responses import AnswerError, SessionInfo
from .store import Store, StoreError, default_data_dir

EXIT_ERROR = 1


class UserError(Exception):
    """A mistake in how the command was used; printed without a traceback."""


def _store(args: argparse.Namespace) -> Store:
    content = load_content(args.worksheets) if args.worksheets else None
    return Store(args.data_dir, content=content)


def cmd_where(args: argparse.Namespace) -> None:
    print(Path(args.data_dir).expanduser() if args.data_dir else default_data_dir())


def cmd_notebooks(args: argparse.Namespace) -> None:
    from .workspace import notebook_copies

    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    with _store(args):  # the data folder, checked and private, before anything is copied
        pass
    print(notebook_copies(data_dir))


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import seed_demos

    with _store(args) as store:
        added = seed_demos(store)
        if not args.quiet:
            if added:
                print("added demo couples: " + ", ".join(added))
            else:
                print("the demo couples are already in the store")


def cmd_list(args: argparse.Namespace) -> None:
    with _store(args) as store:
        couples = store.couples()
        counts = store.session_counts()
        if not couples:
            print("no couples yet (add the demo couples with: python -m toolkit demo)")
            return
        width = max(len(c.id) for c in couples)
        for c in couples:
            n, last_date = counts.get(c.id, (0, ""))
            last = f", last {last_date}" if n else ""
            print(f"{c.id:<{width}}  {c.partner_a} & {c.partner_b}  "
                  f"({n} session{'s' if n != 1 else ''}{last})")


def cmd_show(args: argparse.Namespace) -> None:
    import pandas as pd

    from .session import SessionModel
    from .wording import position_text

    with _store(args) as store:
        model = SessionModel.open(store, args.couple, args.session)
        info, data, scores = model.info, model.data, model.scores
    a, b = data.couple.partner_a, data.couple.partner_b
    print(f"{a} & {b}: session {info.number}, {info.date}\n")
    spectrum = model.content.spectrum
    table = scores.gaps[["title", "position_a", "position_b", "gap"]].rename(
        columns={"title": "item", "position_a": a, "position_b": b}
    )
    table["ends"] = [
        "opposite" if opposite else ("both " + shared if shared else "")
        for opposite, shared in zip(scores.gaps["opposite_poles"], scores.gaps["shared"],
                                    strict=True)
    ]
    with pd.option_context("display.width", 120, "display.max_colwidth", 48):
        print(table.to_string(index=False, na_rep="-"))
    print(f"\n(ends: 'opposite' = one of you at {position_text(-2)} or below and the other at "
          f"{position_text(2)} or above; 'both left/right' = both at the same end)\n")
    for row in scores.summary.itertuples():
        lean = "-" if row.lean is None else f"{row.lean:+.2f}"
        imbalance = "-" if row.imbalance is None else f"{row.imbalance:.2f}"
        print(f"{row.name} {row.reading_text} (lean {lean}, imbalance {imbalance}, "
              f"{row.answered}/{row.total} answered)")
        if row.missing and row.answered:
            print(f"  not answered yet: {', '.join(row.missing)}")
    couple = scores.couple.iloc[0]
    if couple["mean_gap"] is not None and not pd.isna(couple["mean_gap"]):
        print(f"\nmean gap {couple['mean_gap']:.2f}; {couple['opposite_pole_count']} item(s) "
              f"at opposite ends; {couple['shared_left_count'] + couple['shared_right_count']} "
              "where you both lean the same way")
    if couple["opposite_pattern"] and spectrum.opposite_pattern is not None:
        print(f"\n{spectrum.opposite_pattern.title}: {spectrum.opposite_pattern.prompt}")
    if len(scores.largest_gaps):
        print("\nlargest gaps, to talk about:")
        for row in scores.largest_gaps.itertuples():
            print(f"- {row.title} (gap {row.gap}): {row.prompt}")
    if len(scores.shared):
        pattern = spectrum.shared_patterns.get(couple["shared_pattern"] or "")
        print("\nwhere you both lean the same way"
              + (f" ({pattern.title}): {pattern.prompt}" if pattern else ":"))
        for row in scores.shared.itertuples():
            print(f"- {row.title} (both {spectrum.zones[row.shared]}): {row.shared_prompt}")


def _answered(store: Store, info: SessionInfo) -> str:
    data = store.load_session(info.id)
    total = len(store.content.spectrum.items)
    a, b = (len(data.spectrum(p)) for p in ("a", "b"))
    origins = sum(1 for k in data.answers if k.worksheet == "origins")
    rows = sum(len(r) for r in data.plan_rows.values())
    return (f"spectrum {a}/{total} and {b}/{total}, {origins} origin answer"
            f"{'s' if origins != 1 else ''}, {rows} plan row{'s' if rows != 1 else ''}")


def cmd_sessions(args: argparse.Namespace) -> None:
    with _store(args) as store:
        couple = store.couple(args.couple)
        sessions = store.sessions(couple.id)
        print(f"{couple.partner_a} & {couple.partner_b} ({couple.id})")
        if not sessions:
            print("no sessions yet (start one with: python -m toolkit session new "
                  f"{couple.id})")
        for info in sessions:
            who = f", with {info.facilitator}" if info.facilitator else ""
            print(f"  session {info.number}  {info.date}{who}: {_answered(store, info)}")


def cmd_progress(args: argparse.Namespace) -> None:
    import pandas as pd

    from .session import SessionModel
    from .wording import position_text

    with _store(args) as store:
        model = SessionModel.open(store, args.couple)
        frame, summary = model.progress()
    names = model.names()
    print(f"{names['a']} & {names['b']}: {len(summary)} session"
          f"{'s' if len(summary) != 1 else ''}\n")

    def cell(value: object) -> str:
        return "-" if value is None or pd.isna(value) else position_text(int(value))

    for partner in ("a", "b"):
        mine = frame[frame["partner"] == partner]
        table = mine.pivot(index="title", columns="session", values="position")
        table = table.reindex([i.title for i in model.content.spectrum.items])
        table.columns = [f"session {c}" for c in table.columns]
        table.index.name = names[partner]
        with pd.option_context("display.width", 160, "display.max_colwidth", 44):
            print(table.apply(lambda col: col.map(cell)).to_string())
        print()
    def signed(value: float) -> str:
        return "-" if pd.isna(value) else f"{value:+.2f}"

    for row in summary.itertuples():
        lean = " ".join(f"{names[p]} {signed(getattr(row, f'lean_{p}'))}" for p in ("a", "b"))
        gap = "-" if pd.isna(row.mean_gap) else f"{row.mean_gap:.2f}"
        print(f"session {row.session} ({row.date}): lean {lean}; mean gap {gap}; "
              f"{row.opposite_pole_count} item(s) at opposite ends")


def cmd_session(args: argparse.Namespace) -> None:
    from .session import start_follow_up

    with _store(args) as store:
        if args.action == "new":
            info = start_follow_up(store, args.couple, date=args.date,
                                   facilitator=args.facilitator)
            rows = sum(len(r) for r in store.load_session(info.id).plan_rows.values())
            print(f"started session {info.number} for {args.couple} on {info.date}"
                  + (f"; {rows} plan row{'s' if rows != 1 else ''} carried forward"
                     if rows else ""))
            return
        info = store.session(args.couple, args.session)
        if args.action == "edit":
            if args.date is None and args.facilitator is None:
                raise UserError("say what to change: --date YYYY-MM-DD and/or --facilitator NAME")
            info = store.update_session(info.id, date=args.date, facilitator=args.facilitator)
            who = f", facilitator {info.facilitator}" if info.facilitator else ""
            print(f"session {info.number} of {args.couple}: {info.date}{who}")
            return
        if args.session is None:
            raise UserError("name the session to delete with --session N "
                            f"(see: python -m toolkit sessions {args.couple})")
        _confirm(args, f"session {info.number} of '{args.couple}' ({info.date})")
        store.delete_session(info.id)
        print(f"deleted session {info.number} of {args.couple}")


def _confirm(args: argparse.Namespace, target: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UserError(f"deleting {target} cannot be undone; add --yes to confirm")
    answer = input(f"Delete {target} for good? Type 'delete' to confirm: ")
    if answer.strip() != "delete":
        raise UserError("nothing was deleted")


def cmd_export(args: argparse.Namespace) -> None:
    from .store import transfer

    with _store(args) as store:
        if args.csv:
            if args.output == "-":
                transfer.export_csv(store, sys.stdout, args.couple,
                                    include_safety=args.include_safety)
            else:
                transfer.export_csv(store, args.output, args.couple,
                                    include_safety=args.include_safety)
                print(f"wrote {args.output}", file=sys.stderr)
            return
        if not args.couple:
            raise UserError("name the couple to export (see: python -m toolkit list)")
        if args.output == "-":
            print(json.dumps(transfer.export_couple(store, args.couple,
                                                    include_safety=args.include_safety),
                             ensure_ascii=False, indent=2))
        else:
            path = transfer.export_json(store, args.couple,
                                        args.output or f"{args.couple}.json",
                                        include_safety=args.include_safety)
            print(f"wrote {path}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> None:
    """Read every page of the store: the thorough check that opening skips, so opening
    stays quick however many couples the store holds."""
    with _store(args) as store:
        _whole(store, ". Restore it from a backup or an exported JSON file; it was left "
                      "untouched.")
    print(f"the session store is whole: {store.path}")


def _whole(store: Store, then: str = "; nothing was imported. Restore it from a backup "
                                     "first.") -> None:
    result = store.check()
    if result != "ok":
        raise UserError(f"{store.path}: the session store is damaged ({result}){then}")


def cmd_import(args: argparse.Namespace) -> None:
    from .store.transfer import import_couple

    with _store(args) as store:
        _whole(store)  # never add to a damaged file
        couple = import_couple(store, args.file, couple_id=args.as_id)
        print(f"imported {couple.id} ({couple.partner_a} & {couple.partner_b})")


def cmd_delete(args: argparse.Namespace) -> None:
    if bool(args.couple) == bool(args.all):
        raise UserError("name one couple to delete, or use --all to delete every couple")
    target = "every couple in the store" if args.all else f"couple '{args.couple}'"
    _confirm(args, target)
    store = _store(args)
    if args.all:
        if store.in_use_elsewhere():
            if not args.force:
                store.close()
                raise UserError(
                    "the store is open in another notebook or program right now; close it "
                    "first, or add --force (it will then refuse to save anything more). "
                    "Nothing was deleted.")
            print("warning: the store is open elsewhere; anything it tries to save from now "
                  "on will be refused, not lost silently", file=sys.stderr)
        store.delete_everything()
        print(f"deleted every couple; removed {store.path}")
    else:
        with store:
            store.delete_couple(args.couple)
        print(f"deleted {args.couple}")


def _protect(data: bytes, password: str | None) -> bytes:
    if not password:
        return data
    from .report import encrypt_pdf

    return encrypt_pdf(data, password)


def _write(data: bytes, output: str) -> None:
    from .report import write_pdf

    path = write_pdf(data, output)
    print(f"wrote {path}", file=sys.stderr)


def _with_warnings(make):  # noqa: ANN001, ANN202
    """Run a PDF builder, turning font-coverage warnings into stderr lines."""
    import warnings

    from .textsafe import MissingGlyphsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingGlyphsWarning)
        data = make()
    for warning in caught:
        if issubclass(warning.category, MissingGlyphsWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
    return data


def cmd_report(args: argparse.Namespace) -> None:
    from .report import session_report
    from .session import SessionModel

    with _store(args) as store:
        model = SessionModel.open(store, args.couple, args.session)
        since = model.since_last_time()
    password = _password(args)
    data = _with_warnings(lambda: session_report(model.content, model.data, model.scores,
                                                 facilitator=args.facilitator, since=since,
                                                 reader=args.reader))
    _write(_protect(data, password),
           args.output or f"{args.couple}-session-{model.info.number}-{args.reader}.pdf")


PASSWORD_ENV = "TOOLKIT_PDF_PASSWORD"


def _password_option(parser: argparse.ArgumentParser, what: str = "the PDF with a password"
                     ) -> None:
    parser.add_argument("--password", action="store_true",
                        help=f"protect {what} (AES-256), asked for twice or taken from "
                             f"{PASSWORD_ENV}")


def _password(args: argparse.Namespace) -> str | None:
    """A password for the PDF: asked for twice (never on the command line, where it
    would stay in the shell's history), or from TOOLKIT_PDF_PASSWORD for scripts."""
    if not args.password:
        return None
    import os

    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise UserError(f"--password needs a terminal to ask for it, or {PASSWORD_ENV} set")
    import getpass

    first = getpass.getpass("Password for the PDF: ")
    if not first:
        raise UserError("the password cannot be empty; nothing was written")
    if getpass.getpass("The same password again: ") != first:
        raise UserError("the two passwords differ; nothing was written")
    return first


def cmd_handout(args: argparse.Namespace) -> None:
    from .report import handout_pdf

    content = load_content(args.worksheets) if args.worksheets else load_content()
    password = _password(args)
    _write(_protect(_with_warnings(lambda: handout_pdf(content)), password),
           args.output or "handout.pdf")


def cmd_homework(args: argparse.Namespace) -> None:
    from .report import homework_pdf
    from .session import SessionModel

    with _store(args) as store:
        model = SessionModel.open(store, args.couple, args.session)
    password = _password(args)
    data = _with_warnings(lambda: homework_pdf(model.content, model.data,
                                               fillable=args.fillable))
    kind = "-fillable" if args.fillable else ""
    _write(_protect(data, password), args.output or f"{args.couple}-homework{kind}.pdf")


def cmd_blank(args: argparse.Namespace) -> None:
    from .report import blank_worksheets

    content = load_content(args.worksheets) if args.worksheets else load_content()
    names = None
    kind = "fillable-worksheets" if args.fillable else "worksheets-to-print"
    default = f"blank-{kind}.pdf"
    if args.couple:
        with _store(args) as store:
            couple = store.couple(args.couple)
        names = {"a": couple.partner_a, "b": couple.partner_b}
        default = f"{couple.id}-{kind}.pdf"
    password = _password(args)
    data = _with_warnings(lambda: blank_worksheets(content, fillable=args.fillable,
                                                   names=names))
    _write(_protect(data, password), args.output or default)


def cmd_import_form(args: argparse.Namespace) -> None:
    from .forms import FormError, import_form

    with _store(args) as store:
        try:
            session_id = import_form(store, args.file, args.couple)
        except FormError as exc:
            raise UserError(str(exc)) from None
        info = store.load_session(session_id).info
    print(f"imported the form into {args.couple}, session {info.number}")


# --- workshops --------------------------------------------------------------------------

def cmd_workshop(args: argparse.Namespace) -> None:
    from .workshop import Workshops

    action = args.workshop_command
    if action == "demo":
        from .workshop.room import seed_demo_workshop

        with _store(args) as store:
            args.name = seed_demo_workshop(Workshops(store)).name
        return _serve_workshop(args)
    if action == "serve":
        return _serve_workshop(args)
    with _store(args) as store:
        workshops = Workshops(store)
        if action == "create":
            w = workshops.create(args.name, args.date)
            print(f"created workshop '{w.name}' on {w.date}; serve it with: "
                  f"python -m toolkit workshop serve {_quoted(w.name)}")
        elif action == "list":
            found = workshops.all()
            if not found:
                print("no workshops yet; create one with: python -m toolkit workshop create NAME")
            for w in found:
                members = len(workshops.members(w.id))
                print(f"{w.id}\t{w.date}\t{w.state}\t{members} couple"
                      f"{'' if members == 1 else 's'}\t{w.name}")
        elif action == "close":
            w = workshops.close(args.name)
            print(f"closed '{w.name}': every link it handed out has stopped working")
        elif action == "export":
            _export_workshop(store, workshops, args)
        elif action == "delete":
            w = workshops.get(args.name)
            _confirm(args, f"workshop '{w.name}' and every couple in it")
            gone = workshops.delete(w.id)
            print(f"deleted workshop '{w.name}' and its {len(gone)} couple"
                  f"{'' if len(gone) == 1 else 's'}")


def _quoted(name: str) -> str:
    import shlex

    return shlex.quote(name)


def _export_workshop(store: Store, workshops, args: argparse.Namespace) -> None:  # noqa: ANN001
    """Every couple's take-home report (shared notes only), one PDF each, in a folder."""
    from .report import session_report
    from .scoring import score_session

    w = workshops.get(args.name)
    folder = Path(args.output or f"{w.id}-reports").expanduser()
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder}: the folder is not empty; choose another with -o, nothing "
                        "was written")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    members = workshops.members(w.id)
    password = _password(args)
    for member in members:
        data = store.load_session(member.session_id)
        content = store.content_of(data.info)
        scores = score_session(content.spectrum, data)
        pdf = _with_warnings(lambda c=content, d=data, s=scores: session_report(
            c, d, s, reader="couple"))
        _write(_protect(pdf, password), str(folder / f"{member.couple.id}-workshop-report.pdf"))
    print(f"wrote {len(members)} report{'' if len(members) == 1 else 's'} to {folder}")


def _serve_workshop(args: argparse.Namespace) -> None:
    from .workshop.server import WorkshopServer

    store = _store(args)
    try:
        server = WorkshopServer(store, args.name, address=args.address, port=args.port,
                                join_limit=args.join_limit,
                                base_url=getattr(args, "base_url", "/"),
                                public_url=getattr(args, "public_url", None),
                                certfile=getattr(args, "certfile", None),
                                keyfile=getattr(args, "keyfile", None))
    except OSError as exc:
        store.close()
        raise UserError(f"cannot listen on {args.address}:{args.port} ({exc.strerror}); "
                        "choose another with --port") from None
    except BaseException:
        store.close()
        raise
    shared = args.address not in ("127.0.0.1", "localhost", "::1")
    print(f"Workshop '{server.room.workshop.name}'")
    if getattr(args, "public_url", None):
        print(f"Behind the proxy at {args.public_url}: ANYONE who can reach that address can "
              "open the join page.")
    if shared and not getattr(args, "certfile", None):
        print("Plain HTTP: on a shared network, people nearby could read the links and the "
              "answers as they travel. Prefer --certfile/--keyfile, or a network only this "
              "room uses.")
    if shared:
        print(f"Listening on {args.address}: ANYONE on this network can reach the join page.\n"
              "Use it only on the room's own network, and close the workshop at the end.")
    else:
        print("Listening on this laptop only (127.0.0.1): phones cannot reach it. To let the "
              "room join, serve with --address 0.0.0.0 on the room's network.")
    print(f"\n  Join page (for the room):      {server.url}")
    print(f"  Projector view (shared screen): {server.projector_url}")
    print(f"  Facilitator page (yours alone): {server.facilitator_url}")
    print("\nStop with Ctrl+C. Answers are saved as they are given.", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit",
        description="Couples' independence workshop toolkit: manage couples and their answers.",
    )
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where the session store lives (default: TOOLKIT_DATA_DIR or the "
                             "user data folder; see 'where')")
    parser.add_argument("--worksheets", metavar="DIR",
                        help="folder of worksheet YAML files (default: TOOLKIT_WORKSHEETS_DIR "
                             "or the shipped worksheets)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("where", help="print the folder where client data is stored")
    p.set_defaults(func=cmd_where)

    p = sub.add_parser("notebooks", help="copy the notebooks into the data folder (where "
                       "make lab runs them) and print that folder")
    p.set_defaults(func=cmd_notebooks)

    p = sub.add_parser("demo", help="add the fictional demo couples (never overwrites)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("list", help="list couples and their sessions")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show a couple's spectrum scores as a table")
    p.add_argument("couple", help="couple id (see 'list')")
    p.add_argument("--session", type=int, metavar="N", help="session number (default: latest)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("sessions", help="list a couple's sessions and how much each holds")
    p.add_argument("couple", help="couple id (see 'list')")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("progress", help="a couple's answers across sessions (item x session)")
    p.add_argument("couple", help="couple id (see 'list')")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("session", help="start a follow-up session, correct one, or delete one")
    p.add_argument("action", choices=["new", "edit", "delete"],
                   help="new: a follow-up that carries the plan forward; edit: change the date "
                        "or facilitator; delete: remove one session for good")
    p.add_argument("couple", help="couple id (see 'list')")
    p.add_argument("--session", type=int, metavar="N",
                   help="which session to edit or delete (edit: default latest)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the session's date (new: default today)")
    p.add_argument("--facilitator", metavar="NAME",
                   help="the facilitator's name (new: default the last session's)")
    p.add_argument("--yes", action="store_true", help="delete without asking")
    p.set_defaults(func=cmd_session)

    p = sub.add_parser("export", help="export a couple to JSON, or answers to CSV")
    p.add_argument("couple", nargs="?", help="couple id (with --csv: optional, default all)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="file to write, '-' for standard output (default: COUPLE.json); "
                        "an existing file is never overwritten")
    p.add_argument("--csv", action="store_true", help="every answer as one tidy CSV table")
    p.add_argument("--include-safety", action="store_true",
                   help="include the private safety screen's answers (left out by default)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("check", help="read the whole store and say whether it is whole "
                       "(opening the store checks only its header, to stay quick)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("import", help="import a couple from an exported JSON file")
    p.add_argument("file", help="a JSON file written by 'export'")
    p.add_argument("--as", dest="as_id", metavar="ID", help="import under another couple id")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("report", help="write a couple's session report as PDF")
    p.add_argument("couple", help="couple id (see 'list')")
    p.add_argument("--session", type=int, metavar="N", help="session number (default: latest)")
    p.add_argument("--facilitator", metavar="NAME", help="name on the cover (default: the "
                   "session's)")
    p.add_argument("--for", dest="reader", choices=["couple", "a", "b", "facilitator"],
                   default="couple",
                   help="who the report is for: the couple (default: shared notes only), "
                        "partner a or b (adds their own private notes), or the facilitator "
                        "(everything, with the facilitator's notes and the safety screen)")
    _password_option(p)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="PDF to write (default: COUPLE-session-N-READER.pdf); never overwritten")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("handout", help="write the one-page handout on the four patterns as PDF")
    _password_option(p)
    p.add_argument("-o", "--output", metavar="FILE", help="PDF to write; never overwritten")
    p.set_defaults(func=cmd_handout)

    p = sub.add_parser("homework", help="write a couple's between-session sheet as PDF")
    _password_option(p)
    p.add_argument("couple", help="couple id (see 'list')")
    p.add_argument("--session", type=int, metavar="N", help="session number (default: latest)")
    p.add_argument("--fillable", action="store_true", help="a form to fill in on a tablet")
    p.add_argument("-o", "--output", metavar="FILE", help="PDF to write; never overwritten")
    p.set_defaults(func=cmd_homework)

    p = sub.add_parser("blank", help="write the blank worksheets as PDF, to print or fill in")
    _password_option(p)
    p.add_argument("--fillable", action="store_true",
                   help="a form to fill in on a tablet or computer (read back with import-form)")
    p.add_argument("--couple", metavar="ID",
                   help="made for this couple: their names on each page and in the form")
    p.add_argument("-o", "--output", metavar="FILE", help="PDF to write; never overwritten")
    p.set_defaults(func=cmd_blank)

    p = sub.add_parser("import-form", help="import a filled fillable PDF as a new session")
    p.add_argument("file", help="a PDF made with 'blank --fillable' and filled in")
    p.add_argument("--couple", required=True, help="couple id to add the session to")
    p.set_defaults(func=cmd_import_form)

    p = sub.add_parser("workshop", help="run a workshop: many couples on their phones, one "
                       "anonymous picture on the projector")
    w = p.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)
    q = w.add_parser("create", help="create a workshop")
    q.add_argument("name", help="the workshop's name, e.g. 'Spring workshop'")
    q.add_argument("--date", help="YYYY-MM-DD (default: today)")
    w.add_parser("list", help="list workshops")
    q = w.add_parser("serve", help="serve a workshop's pages (join, phones, projector)")
    q.add_argument("name")
    q.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this laptop only; "
                        "0.0.0.0 shares it on the room's network)")
    q.add_argument("--port", type=int, default=8765)
    q.add_argument("--join-limit", type=int, default=20, metavar="N",
                   help="couples that may join per minute from one address (default 20; "
                        "raise it behind a proxy, where every phone has the proxy's address)")
    q.add_argument("--base-url", default="/", metavar="PATH",
                   help="path prefix a proxy passes on (JupyterHub service: /services/NAME/)")
    q.add_argument("--certfile", metavar="PEM",
                   help="serve over HTTPS with this certificate (and --keyfile): on a shared "
                        "network, plain HTTP lets anyone nearby read the links and answers")
    q.add_argument("--keyfile", metavar="PEM", help="the certificate's private key")
    q.add_argument("--public-url", metavar="URL",
                   help="the address people open, when the server sits behind a proxy (used "
                        "for the join link and QR code)")
    q = w.add_parser("demo", help="serve a demo workshop of six invented couples (made "
                     "once, then reused)")
    q.add_argument("--address", default="127.0.0.1")
    q.add_argument("--port", type=int, default=8765)
    q.add_argument("--join-limit", type=int, default=20, metavar="N")
    q = w.add_parser("close", help="close a workshop: every link stops working")
    q.add_argument("name")
    q = w.add_parser("export", help="write every couple's report (PDF) into a folder")
    q.add_argument("name")
    q.add_argument("-o", "--output", metavar="DIR")
    _password_option(q, "every PDF with one password")
    q = w.add_parser("delete", help="delete a workshop and every couple in it, for good")
    q.add_argument("name")
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_workshop)

    p = sub.add_parser("delete", help="delete a couple (or everything) for good")
    p.add_argument("couple", nargs="?", help="couple id (see 'list')")
    p.add_argument("--all", action="store_true", help="delete the whole store")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--force", action="store_true",
                   help="with --all: delete even while another notebook has the store open")
    p.set_defaults(func=cmd_delete)
    return parser


EXIT_PIPE = 141  # the reader of our output went away (128 + SIGPIPE), as shells report it
EXIT_BUG = 70


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Every failure ends in one line on stderr and a non-zero exit,
    never a traceback (set TOOLKIT_DEBUG=1 to see one)."""
    import os

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
        sys.stdout.flush()
    except (UserError, StoreError, ContentError, AnswerError, FileWriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # e.g. "export --csv -o - | head -1": the reader has what it wanted; stop quietly
        # and keep Python from complaining about the closed pipe on the way out.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE
    except KeyboardInterrupt:
        print("interrupted; nothing more was changed", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: not enough memory to finish; nothing more was changed", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 (the last line of defence: one sentence, no traceback)
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        print(f"error: something unexpected went wrong ({type(exc).__name__}: "
              f"{str(exc)[:200]}); nothing more was changed. Set TOOLKIT_DEBUG=1 to see "
              "the details.", file=sys.stderr)
        return EXIT_BUG
    return 0


if __name__ == "__main__":
    sys.exit(main())
