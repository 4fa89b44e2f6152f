"""Child process for the crash tests: does one kind of work forever, reporting each
step on stdout only after the store has returned (that is, after the commit).

    crash_writer.py DATA_DIR WORKSHEETS START save      answers and plan rows
    crash_writer.py DATA_DIR WORKSHEETS START import    whole couples from an export
    crash_writer.py DATA_DIR WORKSHEETS START delete    import a couple, then delete it
    crash_writer.py DATA_DIR WORKSHEETS START migrate   open (and so upgrade) the store
"""

import json
import sys

from toolkit.content import load_content
from toolkit.store import Store
from toolkit.store.transfer import import_couple

data_dir, worksheets, start, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
content = load_content(worksheets)

if kind == "migrate":
    print("ready", flush=True)
    with Store(data_dir, content=content) as store:
        print("migrated", len(store.couples()), flush=True)
    sys.exit(0)

store = Store(data_dir, content=content)
print("ready", flush=True)
i = start
if kind == "save":
    session_id = store.sessions("crash-test")[0].id
    sections = store.content.origins.ids
    while True:
        partner = "ab"[i % 2]
        section = sections[i % len(sections)]
        store.set_answer(session_id, ("origins", partner, section, 0, "notes"), f"seq {i}")
        if i % 5 == 0:
            row = store.add_plan_row(session_id, "rituals")
            store.set_answer(session_id, ("boundaries", "couple", "rituals", row, "ritual"),
                             f"seq {i}")
            print(f"row {row} {i}", flush=True)
        print(f"note {partner} {section} {i}", flush=True)
        i += 1

with open(sys.argv[5], encoding="utf-8") as fh:
    export = json.load(fh)
while True:
    couple_id = f"copy-{i}"
    import_couple(store, export, couple_id=couple_id)
    print(f"imported {couple_id}", flush=True)
    if kind == "delete":
        store.delete_couple(couple_id)
        print(f"deleted {couple_id}", flush=True)
    i += 1
