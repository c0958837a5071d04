"""The classroom: student copies of the labs, grading a class's submissions, the gradebook.

Imports the core, ``emrlab.local`` and ``emrlab.quiz``. Taught in docs/instructors.md.

The public names are listed in ``__init__.pyi``, which type checkers read and which
:func:`emrlab.faces.attach` turns into lazy attributes, so that importing one module does not import them all.
"""

from emrlab.faces import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__, __loader__)
