"""Task codes given when none is written: the directive's code and the next free number ("KH-BCA-2026-1-3").

The number is the highest one in use under the same prefix plus one. Two tasks created at once may pick
the same number; the code column is unique, so the second insert fails and `actions.create_task` picks
again (see `CODE_ATTEMPTS`), which on PostgreSQL sees the first one's committed row.
"""

from __future__ import annotations

from govkpi.tasks.models import Directive, Task

NO_DIRECTIVE_PREFIX = "NV"  # nhiệm vụ: tasks given outside any directive
CODE_ATTEMPTS = 20  # a prefix busy with twenty tasks created at the same instant is not a real case


def code_prefix(directive: Directive | None) -> str:
    """The part before the number: the directive's code, else "NV"."""
    return f"{directive.code if directive else NO_DIRECTIVE_PREFIX}-"


def next_task_code(directive: Directive | None) -> str:
    """Return the directive's next free code "<directive>-<n>" (n from 1): one more than the highest in use.

    Only codes that are the prefix and digits count: appendix rows' "<directive>-PL<STT>", fanned-out
    parts "<code>/<unit>" and recurring occurrences "<code>@<period>" do not take a number."""
    prefix = code_prefix(directive)
    numbers = [int(tail) for tail in (code[len(prefix):] for code in Task.objects.filter(
        code__startswith=prefix).values_list("code", flat=True)) if tail.isascii() and tail.isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"
