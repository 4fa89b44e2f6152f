"""Child process for the crash test: writes answers forever, reporting each one
on stdout only after the store has returned (i.e. after the commit)."""

import sys

from toolkit.content import load_content
from toolkit.store import Store

data_dir, worksheets, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(data_dir, content=load_content(worksheets))
session_id = store.sessions("crash-test")[0].id
sections = store.content.origins.ids
print("ready", flush=True)
i = start
while True:
    partner = "ab"[i % 2]
    section = sections[i % len(sections)]
    store.set_answer(session_id, ("origins", partner, section, 0, "notes"), f"seq {i}")
    if i % 5 == 0:
        row = store.add_plan_row(session_id, "rituals")
        store.set_answer(session_id, ("boundaries", "couple", "rituals", row, "ritual"), f"seq {i}")
        print(f"row {row} {i}", flush=True)
    print(f"note {partner} {section} {i}", flush=True)
    i += 1
