"""Amazon EMR: cluster specs, validation against botocore's model, lint, the GPU preset, steps,
transient-cluster lifecycle, guard rails, clean-up, costs and prices.

Imports the core only. Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

The public names are listed in ``__init__.pyi``, which type checkers read and which
:func:`emrlab.faces.attach` turns into lazy attributes, so that importing one module does not import them all.
"""

from emrlab.faces import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__, __loader__)
