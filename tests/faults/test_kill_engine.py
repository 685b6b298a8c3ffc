"""SIGKILL of `govkpi evaluate --follow` while its pass is writing: nothing half-applied is left behind that
the next start cannot mend, and the next start catches up (recompute --verify and audit verify clean)."""

from __future__ import annotations

import json
import time

import pytest

from tests.faults.site import MONTHS, month_values

pytestmark = pytest.mark.slow


def _import(site, name: str, months: list[str], base: int) -> None:
    path = site.folder / f"{name}.json"
    path.write_text(json.dumps({"dataValues": month_values(months, base)}))
    site.run("import", str(path))


def test_an_engine_killed_mid_pass_is_caught_up_by_the_next_start(any_site):
    site = any_site
    _import(site, "first", MONTHS[:36], 1000)  # 1,440 values: the engine's first pass has work for a while
    engine = site.engine().start()
    deadline = time.monotonic() + 40
    while not site.writing():  # the engine holds a write transaction: its pass is under way
        assert time.monotonic() < deadline and "events," not in engine.log(), (
            f"never caught the engine writing:\n{engine.log()[-3000:]}")
        time.sleep(0.01)
    engine.kill()
    assert "events," not in engine.log(), "the pass had finished before the kill"
    assert site.run("recompute", "--verify", check=False).returncode == 1  # the kill left the results behind

    _import(site, "while-down", MONTHS[36:48], 5000)  # written while no engine runs
    engine = site.engine("engine-again").start()
    engine.wait_for_log("events,", timeout=60)
    deadline = time.monotonic() + 60
    while (verify := site.run("recompute", "--verify", check=False)).returncode != 0:
        assert time.monotonic() < deadline, f"{verify.stdout[-2000:]}\n{engine.log()[-3000:]}"
        time.sleep(0.5)
    engine.stop()
    site.run("audit", "verify")
