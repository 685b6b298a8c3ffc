"""The engine's tests start from the small catalog, every period provisional (test_official_basis has its
own `catalog`, loaded while July 2025 is being reported)."""

import pytest

from govkpi.evaluation import engine
from govkpi.indicators.catalog import apply_catalog


@pytest.fixture
def catalog(small_catalog, all_provisional):
    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    assert apply_catalog(small_catalog).ok
    engine.process_pending()  # start from the events written so far
