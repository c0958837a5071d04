"""emrlab: the package behind the kit's notebooks, labs and quizzes.

Notebooks start with ``emrlab.setup(...)`` (local emulator or real AWS), check their
parameters with ``emrlab.validate``, get Spark from ``emrlab.spark.session()`` and record
headline figures with ``emrlab.record``.
"""

from emrlab import spark
from emrlab.aws import client, setup
from emrlab.checks import check, summary
from emrlab.config import Settings, current
from emrlab.exceptions import (
    AwsModeNotAcknowledged,
    CheckFailed,
    ConfigError,
    EmrlabError,
    EndpointGuardError,
    ParameterError,
)
from emrlab.figures import record
from emrlab.params import Param, validate

__version__ = "0.1.0"

__all__ = [
    "AwsModeNotAcknowledged",
    "CheckFailed",
    "ConfigError",
    "EmrlabError",
    "EndpointGuardError",
    "Param",
    "ParameterError",
    "Settings",
    "check",
    "client",
    "current",
    "record",
    "setup",
    "spark",
    "summary",
    "validate",
]
