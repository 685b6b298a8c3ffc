"""The load test's short form (bench/load.py, the same clients and mix): 10 clients at once against a real
server, on each database: no 5xx and no connection error. Timings are printed, never asserted."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.faults.site import REPO

pytestmark = pytest.mark.slow
CLIENTS, REQUESTS = 10, 12  # 120 requests: ~8 s on the 2-core machine (bench/load.py runs the long form)


def _load():
    spec = importlib.util.spec_from_file_location("govkpi_bench_load", REPO / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_ten_clients_mixing_pages_reads_and_writes_get_no_server_error(any_site):
    load = _load()
    site = any_site
    load.fill(site)
    server = site.server().start()
    figures = load.run_load(server.port, {"writer": site.writer, "reader": site.reader}, site.session,
                            CLIENTS, requests=REQUESTS)
    print(figures.report())
    assert figures.total == CLIENTS * REQUESTS
    assert figures.server_errors == 0 and figures.unanswered == 0, figures.report()
    assert set(figures.statuses) == {"page", "read", "write_one", "write_batch"}  # the whole mix ran
    assert figures.count(lambda status: status != 200) == 0, figures.report()
