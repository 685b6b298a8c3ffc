"""Run a govkpi command as if today were another day: `python tests/faults/at_date.py DAY python -m govkpi.cli
ARGS…` (the shape a Server's `as_user` prefix gives). The clock of this process only, moved by time-machine and
ticking from there: govkpi reads no date but the system's, so this is how a test stops a server on one day and
starts it again weeks later."""

import sys

import time_machine


def main() -> int:
    day, *command = sys.argv[1:]
    at = command.index("govkpi.cli")  # [python, -m, govkpi.cli, ARGS…]
    with time_machine.travel(f"{day}T09:00:00+07:00", tick=True):
        from govkpi.cli import main as govkpi

        return govkpi(command[at + 1:])


if __name__ == "__main__":
    sys.exit(main())
