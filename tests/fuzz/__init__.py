"""Property tests over every reader of outside input: only documented errors, never an unhandled exception, never a
partial write, bounded time. Derandomised (the same examples every run) and small, so the set runs in seconds;
`FUZZ` is the one settings profile."""

import datetime

from hypothesis import HealthCheck, settings

# deadline: a slow example is a finding (a reader whose cost grows out of bounds), not noise.
FUZZ = settings(derandomize=True, database=None, deadline=datetime.timedelta(milliseconds=800),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
