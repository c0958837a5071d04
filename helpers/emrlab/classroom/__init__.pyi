"""The classroom: student copies of the labs, grading a class's submissions, the gradebook.

Imports the core, ``emrlab.local`` and ``emrlab.quiz``. Taught in docs/instructors.md.
"""

# The public face of this subpackage: its names load lazily on first use (emrlab.faces reads this stub).
from .gradebook import write
from .grading import Grade, build, expected_checks, outcomes, student_name
from .release import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    bundle,
    lab_solutions,
    render,
    stale,
    student_copy,
    write_student_copies,
)

__all__ = [
    "BEGIN_HIDDEN",
    "BEGIN_SOLUTION",
    "END_HIDDEN",
    "END_SOLUTION",
    "Grade",
    "build",
    "bundle",
    "expected_checks",
    "lab_solutions",
    "outcomes",
    "render",
    "stale",
    "student_copy",
    "student_name",
    "write",
    "write_student_copies",
]
