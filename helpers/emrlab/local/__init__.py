"""The local AWS: an embedded moto emulator on loopback, and the local EMR whose steps really run.

Lowest layer beside the core: imports only the core (``emrlab.config``, ``emrlab.exceptions``,
``emrlab.uris``, ``emrlab.spark``). Taught in notebooks/00_start_here.ipynb and
notebooks/01_emr_provisioning.ipynb.

The public names are listed in ``__init__.pyi``, which type checkers read and which
:func:`emrlab.faces.attach` turns into lazy attributes, so that importing one module does not import them all.
"""

from emrlab.faces import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__, __loader__)
