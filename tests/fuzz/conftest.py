"""The fuzz tests write through the real importers: the data-collection catalog and an open month."""

from tests.datavalues.conftest import elements, month, today  # noqa: F401 - fixtures shared with tests/datavalues
