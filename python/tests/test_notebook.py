"""examples/python/first-hour.ipynb executes headlessly (nbclient, this environment's kernel) with no
error, and shows its results inline: tables as HTML and charts as SVG."""

from __future__ import annotations

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = ROOT / "examples" / "python" / "first-hour.ipynb"


def test_the_first_hour_notebook_executes_and_shows_tables_and_charts():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    svg = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert sum("<table>" in h for h in html) >= 3, "the batch, sweep and forecast views"
    assert sum("<svg" in h for h in html) >= 2 and len(svg) >= 2, "charts inline"
