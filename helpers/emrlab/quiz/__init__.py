"""Exam-style quizzes: the question bank and its schema, the blueprint, sampling, grading,
progress, reports and the ipywidgets UI.

Imports the core only. Taught in the quiz/ notebooks.

The public names are listed in ``__init__.pyi``, which type checkers read and which
:func:`emrlab.faces.attach` turns into lazy attributes, so that importing one module does not import them all.
"""

from emrlab.faces import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__, __loader__)
