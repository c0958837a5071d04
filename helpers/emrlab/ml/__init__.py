"""Machine learning on the curated lake: MLlib pipelines, evaluation, XGBoost on Spark,
TorchDistributor, GPU detection and GPU cluster planning.

Imports the core, ``emrlab.etl`` and ``emrlab.emr``. Taught in notebooks/03_mllib.ipynb,
notebooks/04_gpu_training.ipynb and labs 03-04.

The public names are listed in ``__init__.pyi``, which type checkers read and which
``lazy_loader`` turns into lazy attributes, so that importing one module does not import them all.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
