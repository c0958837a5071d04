"""The classroom: student copies of the labs, grading a class's submissions, the gradebook.

Imports the core, ``emrlab.local`` and ``emrlab.quiz``. Taught in docs/instructors.md.

The public names are listed in ``__init__.pyi``, which type checkers read and which
``lazy_loader`` turns into lazy attributes, so that importing one module does not import them all.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
