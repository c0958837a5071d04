"""Machine learning on the curated lake: MLlib pipelines, evaluation, XGBoost on Spark,
TorchDistributor, GPU detection and GPU cluster planning.

Imports the core, ``emrlab.etl`` and ``emrlab.emr``. Taught in notebooks/03_mllib.ipynb,
notebooks/04_gpu_training.ipynb and labs 03-04.

The public names are listed in ``__init__.pyi``, which type checkers read and which
:func:`emrlab.faces.attach` turns into lazy attributes, so that importing one module does not import them all.
"""

from emrlab.faces import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__, __loader__)
