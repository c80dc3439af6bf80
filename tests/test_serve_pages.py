"""The endpoint serves the build's own pages: explorer, report.html and explorer data, nothing else."""

from __future__ import annotations

from starlette.testclient import TestClient

from graph.pipeline import BuildResult
from graph.serve import create_app
from graph.settings import Settings


def test_report_page_and_explorer_data_routes(sample_build: BuildResult) -> None:
    with TestClient(create_app(sample_build.out, Settings())) as client:
        assert client.get("/").status_code == 200
        page = client.get("/report.html")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert client.get("/explorer-data/cluster-1.js").status_code == 404  # small site: no cluster files
        for sneaky in ("../build.json", "view.json", "%2e%2e%2fbuild.json", "cluster-1.js.map"):
            assert client.get(f"/explorer-data/{sneaky}").status_code == 404
