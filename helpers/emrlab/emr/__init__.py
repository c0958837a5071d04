"""Amazon EMR: cluster specs, validation against botocore's model, lint, the GPU preset, steps,
transient-cluster lifecycle, guard rails, clean-up, costs and prices.

Imports the core only. Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

The public names are listed in ``__init__.pyi``, which type checkers read and which
``lazy_loader`` turns into lazy attributes, so that importing one module does not import them all.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
