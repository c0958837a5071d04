"""The SageMaker handoff: training channels and their formats, the model artifact, resources
with guaranteed teardown, serving, costs and a local inference server.

Imports the core and ``emrlab.etl``. Taught in notebooks/05_sagemaker_handoff.ipynb and
labs/05_sagemaker_artifacts.

The public names are listed in ``__init__.pyi``, which type checkers read and which
:func:`emrlab.faces.attach` turns into lazy attributes, so that importing one module does not import them all.
"""

from emrlab.faces import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__, __loader__)
