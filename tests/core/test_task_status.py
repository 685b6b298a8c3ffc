import datetime

from hypothesis import given
from hypothesis import strategies as st

from govkpi.core.task_status import Stage, State, TaskFacts, days_overdue, deadline_on, figures_on, state_on

D = datetime.date
AUG_31 = D(2025, 8, 31)


def task(deadline=AUG_31, stages=(), extensions=(), assigned=D(2025, 7, 20)):
    return TaskFacts(assigned_on=assigned, deadlines=[(assigned, deadline), *extensions], stages=list(stages))


def test_overdue_appears_the_day_after_the_deadline_not_on_it():
    t = task()
    assert state_on(t, AUG_31) is State.NOT_STARTED
    assert state_on(t, D(2025, 9, 1)) is State.OVERDUE
    assert days_overdue(t, D(2025, 9, 1)) == 1 and days_overdue(t, D(2025, 9, 30)) == 30


def test_done_on_the_deadline_is_on_time_and_after_it_late():
    assert state_on(task(stages=[(AUG_31, Stage.DONE)]), D(2026, 1, 1)) is State.DONE_ON_TIME
    late = task(stages=[(D(2025, 8, 1), Stage.IN_PROGRESS), (D(2025, 9, 5), Stage.DONE)])
    assert state_on(late, D(2025, 9, 4)) is State.OVERDUE
    assert state_on(late, D(2025, 9, 5)) is State.DONE_LATE


def test_an_approved_extension_moves_the_deadline_from_its_approval_and_keeps_the_first():
    t = task(extensions=[(D(2025, 8, 25), D(2025, 10, 31))], stages=[(D(2025, 10, 15), Stage.DONE)])
    assert deadline_on(t, D(2025, 8, 24)) == AUG_31
    assert deadline_on(t, D(2025, 9, 15)) == D(2025, 10, 31)
    assert state_on(t, D(2025, 9, 15)) is State.NOT_STARTED
    assert state_on(t, D(2025, 12, 1)) is State.DONE_ON_TIME
    # An extension approved after the deadline passed does not erase the days it was overdue.
    late_ext = task(extensions=[(D(2025, 9, 10), D(2025, 10, 31))])
    assert state_on(late_ext, D(2025, 9, 5)) is State.OVERDUE
    assert state_on(late_ext, D(2025, 9, 10)) is State.NOT_STARTED


def test_paused_and_cancelled_are_not_overdue_and_no_deadline_is_never_overdue():
    assert state_on(task(stages=[(D(2025, 8, 1), Stage.PAUSED)]), D(2025, 12, 1)) is State.PAUSED
    assert state_on(task(stages=[(D(2025, 8, 1), Stage.CANCELLED)]), D(2025, 12, 1)) is State.CANCELLED
    assert state_on(task(deadline=None), D(2030, 1, 1)) is State.NOT_STARTED


def test_state_before_assignment_and_as_of_a_past_day():
    t = task(stages=[(D(2025, 8, 10), Stage.IN_PROGRESS), (D(2025, 9, 20), Stage.DONE)])
    assert state_on(t, D(2025, 7, 1)) is State.NOT_YET_ASSIGNED
    assert [state_on(t, d) for d in (D(2025, 8, 1), D(2025, 8, 15), D(2025, 9, 10), D(2025, 9, 25))] == [
        State.NOT_STARTED, State.IN_PROGRESS, State.OVERDUE, State.DONE_LATE]


def test_agency_figures_as_of_a_day():
    tasks = [
        task(),                                                        # overdue 30 days on 30/9
        task(deadline=D(2025, 10, 5)),                                 # due within 7
        task(deadline=D(2025, 10, 20), stages=[(D(2025, 8, 1), Stage.IN_PROGRESS)]),  # due within 30
        task(stages=[(D(2025, 8, 30), Stage.DONE)]),                   # on time
        task(stages=[(D(2025, 9, 3), Stage.DONE)]),                    # late
        task(assigned=D(2025, 10, 1)),                                 # not yet assigned on 30/9
    ]
    f = figures_on(tasks, D(2025, 9, 30))
    assert (f.total, f.overdue, f.overdue_days, f.done_on_time, f.done_late) == (5, 1, [30], 1, 1)
    assert (f.not_started, f.in_progress, f.due_within_7, f.due_within_30) == (1, 1, 1, 2)


@given(st.dates(D(2024, 1, 1), D(2027, 1, 1)), st.integers(0, 400), st.integers(0, 400))
def test_a_task_not_done_is_overdue_exactly_when_the_day_is_past_the_deadline(deadline, before, after):
    t = task(deadline=deadline, assigned=deadline - datetime.timedelta(days=before))
    day = deadline + datetime.timedelta(days=after)
    assert (state_on(t, day) is State.OVERDUE) == (after > 0)
    assert days_overdue(t, day) == after


def test_reports_on_the_same_day_keep_their_order():
    t = task(stages=[(D(2025, 8, 20), Stage.IN_PROGRESS), (D(2025, 8, 20), Stage.DONE)])
    assert state_on(t, D(2025, 8, 20)) is State.DONE_ON_TIME
    t2 = task(extensions=[(D(2025, 8, 1), D(2025, 9, 30)), (D(2025, 8, 1), D(2025, 10, 31))])
    assert deadline_on(t2, D(2025, 8, 1)) == D(2025, 10, 31)
