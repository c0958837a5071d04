"""Typed errors raised by emrlab.

Every error names the input that caused it and what is allowed, so a learner can fix a
parameter or a setting without reading a traceback. All derive from :class:`EmrlabError`.

Taught in notebooks/00_start_here.ipynb (a bad parameter and the error that names it).
"""

from __future__ import annotations


class EmrlabError(Exception):
    """Base class of every error emrlab raises on purpose."""


class ConfigError(EmrlabError):
    """A setting (environment variable or notebook parameter) has a value that is not allowed."""


class AwsModeNotAcknowledged(ConfigError):
    """AWS mode was asked for without the acknowledgement that real resources cost money."""


class EndpointGuardError(EmrlabError):
    """Local mode refused a request to a non-loopback (real AWS) endpoint."""


class EmulatorError(EmrlabError):
    """The local AWS emulator could not be started or reached."""


class JavaNotFoundError(EmrlabError):
    """No Java runtime that Spark 3.5 supports (17 or 21) was found."""


class SparkStartError(EmrlabError):
    """The local Spark session could not be started."""


class ParameterError(EmrlabError, ValueError):
    """A notebook or command parameter has the wrong type, an unknown value or is out of range."""


class NotebookRunError(EmrlabError):
    """The runner could not select, prepare or execute notebooks."""


class ReleaseError(EmrlabError):
    """A lab notebook's solution or hidden-test markers are malformed."""


class CheckFailed(EmrlabError, AssertionError):
    """One or more auto-graded lab checks failed."""


class QuizError(EmrlabError):
    """Base class of the quiz engine's errors (bank, answers, progress store)."""


class BankError(QuizError):
    """A question bank file is missing, unreadable or breaks quiz/bank/SCHEMA.md."""


class AnswerError(QuizError, ValueError):
    """An answer names an unknown question, has the wrong form or picks a non-existent option."""


class ProgressError(QuizError):
    """The quiz progress store (SQLite) could not be opened or written."""


class SpecError(EmrlabError, ValueError):
    """An EMR cluster spec (object or file) breaks the API model or a rule the model cannot express.

    ``.problems`` lists every problem found, each naming its field path (for example
    ``Instances.InstanceGroups[2].BidPrice``) and what is allowed.
    """

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class PriceNotFoundError(EmrlabError, KeyError):
    """No price is known for an instance type or region; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LocalEmrError(EmrlabError):
    """The local EMR (moto plus the step runner) cannot do what was asked (bad S3 URI, wrong moto)."""


class GuardrailError(EmrlabError):
    """A cluster request breaks a guard rail (tags, auto-termination, instance or cost limits)."""


class ClusterError(EmrlabError):
    """An EMR cluster did not start, or did not terminate, as expected."""


class StepFailedError(EmrlabError):
    """One or more EMR steps ended FAILED or CANCELLED; the message names them and the reason."""


class EtlInputError(EmrlabError):
    """The ETL's raw input is missing or not laid out as one ``date=YYYY-MM-DD`` folder per day."""


class LedgerMismatch(EmrlabError):
    """An ETL run's row accounting does not balance: rows were lost or invented."""


class DeviceError(EmrlabError, ValueError):
    """A training device is unknown, or ``cuda`` was asked for on a machine with no visible GPU."""


class TrainingDataError(EmrlabError, ValueError):
    """A training set is missing, lacks a needed column, or its label has a single class."""


class ModelError(EmrlabError, ValueError):
    """An unknown algorithm, a bad training option, or a saved model that is missing or unusable."""


class ChannelFormatError(EmrlabError, ValueError):
    """A SageMaker training channel breaks the built-in XGBoost format.

    ``.problems`` lists each problem with the object's URI and the line or row.
    """

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class ArtifactError(EmrlabError):
    """A SageMaker model artifact (model.tar.gz) is missing, malformed or fails its round trip."""


class SageMakerResourceError(EmrlabError):
    """A SageMaker resource request is not allowed (container version, instance type, role)."""
