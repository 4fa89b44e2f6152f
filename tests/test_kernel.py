"""Widget actions as they run in a notebook: in a real kernel, with its event
loop, through the same paths a click in the browser takes. A handler that does
nothing, a step that shows nothing, or a delayed action that never runs fails
here without a browser."""

from __future__ import annotations

import asyncio
import json

import nbformat
from nbclient import NotebookClient

from toolkit.store import Store
from toolkit.ui import SessionApp

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_create_waits_for_typing_still_on_its_way(data_dir, content):
    """In a running loop the click runs a moment later, after field updates that
    were sent before it have arrived (the browser sends a click at once)."""

    async def scenario() -> SessionApp:
        app = SessionApp(store=Store(data_dir, content=content))
        app.name_a.value, app.name_b.value = "Noa", "Sa"
        app.create_button.click()
        assert app.model is None  # not yet: the last keystrokes may still be coming
        app.name_b.value = "Sami"  # the rest of the name arrives after the click
        await asyncio.sleep(0.6)
        return app

    app = asyncio.run(scenario())
    assert app.model is not None and app.model.couple.partner_b == "Sami"
    assert app.step == "safety"
    assert [c.partner_b for c in app.store.couples()] == ["Sami"]
    app.store.close()


def _cells(*sources: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return notebook


def _run(notebook: nbformat.NotebookNode, tmp_path) -> nbformat.NotebookNode:
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    return client.execute()


def _printed(cell) -> dict:
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def test_the_session_app_in_a_real_kernel(tmp_path, data_dir):
    """The notebook's own cell shows the app; clicks go through the kernel's loop;
    every step puts something on screen; answers reach the store."""
    notebook = _cells(
        f"import os\nos.environ['TOOLKIT_DATA_DIR'] = {str(data_dir)!r}\n"
        "from toolkit.ui import SessionApp\napp = SessionApp()\napp",
        "app.name_a.value, app.name_b.value = 'Noa', 'Sami'\n"
        "app.create_button.click()\n"
        "import asyncio\nawait asyncio.sleep(0.8)\n"
        "import json\nprint(json.dumps({'step': app.step, 'couple': app.model and "
        "app.model.couple.partner_b}))",
        "def shown(widget):\n"
        "    n = 1\n"
        "    for child in getattr(widget, 'children', ()):\n"
        "        n += shown(child)\n"
        "    return n\n"
        "seen = {}\n"
        "for key in ['safety', 'spectrum_a', 'spectrum_b', 'profiles', 'progress', 'origins',"
        " 'plan', 'finish']:\n"
        "    app.next.click() if key != 'safety' else app.go_to(key)\n"
        "    await asyncio.sleep(0.05)\n"
        "    seen[app.step] = shown(app.body)\n"
        "print(json.dumps(seen))",
        "app.go_to('spectrum_a')\n"
        "first = app.views['spectrum_a'].shown_items[0]\n"
        "first.ticks.value = 2\n"
        "first.slider.value = -1\n"
        "app.go_to('plan')\n"
        "table = app.views['plan'].tables['rituals']\n"
        "table.add_button.click()\n"
        "await asyncio.sleep(0.05)\n"
        "row = sorted(table.cells)[0]\n"
        "table.cells[row][0].widget.value = 'Sunday walk'\n"
        "from toolkit.session import SessionModel\n"
        "stored = SessionModel(app.store, app.model.session_id).data\n"
        "print(json.dumps({'item': first.item.id, 'position': "
        "stored.spectrum('a').get(first.item.id), 'rows': stored.plan('rituals')}))",
    )
    done = _run(notebook, tmp_path)
    shown = [o for o in done.cells[0].outputs if o.output_type == "execute_result"]
    assert shown and WIDGET_VIEW in shown[0]["data"]  # the app is displayed, not its repr
    for cell in done.cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    assert _printed(done.cells[1]) == {"step": "safety", "couple": "Sami"}
    seen = _printed(done.cells[2])
    assert list(seen) == ["safety", "spectrum_a", "spectrum_b", "profiles", "progress",
                          "origins", "plan", "finish"]
    assert all(count >= 3 for count in seen.values()), seen  # every step shows something
    assert seen["spectrum_a"] > 13 * 5  # thirteen item cards, each with its controls
    saved = _printed(done.cells[3])
    assert saved["position"] == -1  # the mark, then the slider: the last one stays
    assert [r.get("ritual") for r in saved["rows"]] == ["Sunday walk"]


def test_running_the_notebooks_alone_never_touches_the_real_data_folder(tmp_path):
    """`pytest notebooks/` loads no tests/conftest.py; the notebooks' own conftest must
    still send the demo couples to a temporary folder, not the user's data folder."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOLKIT_")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(xdg))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "notebooks/02_independence_spectrum.ipynb"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout
    written = [path for folder in (home, xdg) for path in folder.rglob("sessions.sqlite3*")]
    assert written == []  # the default data folder lives under these two
