"""SIGKILL of `govkpi import` while it writes: the file's values are there all or not at all (an import is
all or nothing by default), running it again completes it, and the checks are clean after."""

from __future__ import annotations

import json
import time

import pytest

from tests.faults.site import MONTHS, Server, key, month_values

pytestmark = pytest.mark.slow


def test_an_import_killed_while_it_writes_leaves_all_or_nothing_and_a_rerun_completes_it(any_site):
    site = any_site
    values = month_values(MONTHS)  # 2,880 values
    path = site.folder / "values.json"
    path.write_text(json.dumps({"dataValues": values}))
    importer = Server(site, "import", ("import", str(path))).start()
    deadline = time.monotonic() + 60
    while not site.writing():
        assert importer.process.poll() is None, f"the import ended before the kill:\n{importer.log()[-2000:]}"
        assert time.monotonic() < deadline, importer.log()[-2000:]
        time.sleep(0.005)
    importer.kill()

    stored = site.stored()
    present = sum(key(value) in stored for value in values)
    assert present in (0, len(values)), f"{present} of {len(values)} values of a killed import stored"
    site.run("import", str(path))
    assert {key(v): float(v["value"]) for v in values}.items() <= site.stored().items()
    site.run("evaluate")
    site.run("recompute", "--verify")
    site.run("audit", "verify")
