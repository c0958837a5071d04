"""The Spark ETL: the seeded clickstream generator, the lake, the job and its rules, sessions,
the row ledger, lessons and the spark-submit entry point (``emrlab/etl/jobs``).

Imports the core only. Taught in notebooks/02_spark_etl.ipynb and labs/02_etl_quarantine.

The public names are listed in ``__init__.pyi``, which type checkers read and which
:func:`emrlab.faces.attach` turns into lazy attributes, so that importing one module does not import them all.
"""

from emrlab.faces import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__, __loader__)
