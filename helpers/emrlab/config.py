"""Mode and settings: where the kit runs (local emulator or real AWS) and where it writes.

Taught in notebooks/00_start_here.ipynb.

Settings come from notebook parameters (passed to :func:`configure`) and, for anything left
unset, from environment variables. A parameter at its notebook default does not override the
environment: ``mode=""`` (or None) takes ``EMRLAB_MODE`` (else ``local``), and
``acknowledge_costs=False`` (or None, ``""``) is "not given", so ``EMRLAB_ACKNOWLEDGE_COSTS=yes``
still counts; the acknowledgement holds when either the parameter or the variable says yes.

================================  ==========================================================
``EMRLAB_MODE``                   ``local`` (default) or ``aws``
``EMRLAB_ACKNOWLEDGE_COSTS``      must be ``yes`` (or true/1) for AWS mode: real resources cost
``EMRLAB_REGION``                 AWS region (falls back to ``AWS_REGION``/``AWS_DEFAULT_REGION``)
``EMRLAB_BUCKET``                 S3 bucket for the data lake and logs (required in AWS mode)
``EMRLAB_WORK_DIR``               local working directory (lake, Spark scratch, step logs)
``EMRLAB_AWS_ENDPOINT``           address of a running local AWS emulator to share
================================  ==========================================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from emrlab.exceptions import AwsModeNotAcknowledged, ConfigError

MODES = ("local", "aws")
# The emulator needs some region; this one is a local-mode default only, never used for AWS.
LOCAL_DEFAULT_REGION = "us-east-1"
LOCAL_DEFAULT_BUCKET = "emrlab-local"
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"", "0", "false", "no", "n", "off"}
# One source for what a region and a bucket name look like (notebook parameters use them too).
REGION_PATTERN = r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d"
BUCKET_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"


@dataclass(frozen=True)
class Settings:
    """The resolved settings of this kernel.

    Attributes
    ----------
    mode : str
        ``"local"`` or ``"aws"``.
    region : str
        AWS region used by every client.
    bucket : str
        S3 bucket of the data lake.
    work_dir : pathlib.Path
        Local directory for the lake, Spark scratch space and logs.
    acknowledged_costs : bool
        Whether the user acknowledged that AWS mode creates billable resources.
    """

    mode: str
    region: str
    bucket: str
    work_dir: Path
    acknowledged_costs: bool = False

    @property
    def is_local(self) -> bool:
        """True in local mode (the emulator and local Spark)."""
        return self.mode == "local"


_current: Settings | None = None


def _yes(value: str | bool | None, name: str) -> bool:
    """True for a yes (True, "yes", "true", "1", "on", "y"); False for a no or nothing given.

    Raises ConfigError, naming ``name``, for anything else (a typo must not pass as "no").
    """
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if isinstance(value, str) and text in _TRUE | _FALSE:
        return text in _TRUE
    raise ConfigError(f"{name}={value!r} is not allowed; use True or False "
                      f"(as text: {', '.join(sorted(_TRUE))} or {', '.join(sorted(_FALSE - {''}))})")


def _pick(explicit, env_name: str, *fallback_envs: str):
    """An explicit (non-empty) parameter wins; then the first environment variable set."""
    if not (explicit is None or (isinstance(explicit, str) and not explicit.strip())):
        return explicit
    for name in (env_name, *fallback_envs):
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    return None


def resolve(
    mode: str | None = None,
    region: str | None = None,
    bucket: str | None = None,
    work_dir: str | os.PathLike | None = None,
    acknowledge_costs: bool | str | None = None,
) -> Settings:
    """Resolve settings from explicit values and the environment, and check them.

    Parameters
    ----------
    mode, region, bucket, work_dir : optional
        Explicit values (e.g. notebook parameters); None and empty (or blank) strings mean "not
        given" and take the environment (``mode``: ``EMRLAB_MODE``, else ``local``).
    acknowledge_costs : bool or str, optional
        AWS mode needs a yes from this parameter **or** ``EMRLAB_ACKNOWLEDGE_COSTS``. False (the
        notebooks' default), None and ``""`` mean "not given": they never cancel the
        environment's yes. Text may be yes/no, true/false, 1/0, on/off, y/n.

    Raises
    ------
    ConfigError
        A value is not allowed; the message names it and lists what is allowed.
    AwsModeNotAcknowledged
        AWS mode without the cost acknowledgement.
    """
    mode_from = "mode"
    if mode is None or (isinstance(mode, str) and not mode.strip()):
        mode_from = "EMRLAB_MODE" if os.environ.get("EMRLAB_MODE", "").strip() else "default"
    picked = _pick(mode, "EMRLAB_MODE")
    mode = str(picked or "local").strip().lower()
    if mode not in MODES:
        name = "EMRLAB_MODE" if mode_from == "EMRLAB_MODE" else "mode"
        raise ConfigError(f"{name}={picked!r} is not allowed; use one of {', '.join(MODES)}"
                          + ("" if name == "EMRLAB_MODE" else " (or '' for EMRLAB_MODE, else local)"))
    env_ack = os.environ.get("EMRLAB_ACKNOWLEDGE_COSTS")
    # Either says yes: a parameter at its default (False) does not override the environment.
    ack = _yes(acknowledge_costs, "acknowledge_costs") | _yes(env_ack, "EMRLAB_ACKNOWLEDGE_COSTS")
    region = _pick(region, "EMRLAB_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
    if mode == "aws":
        if not ack:
            source = "the mode parameter" if mode_from == "mode" else "EMRLAB_MODE=aws"
            env_state = ("is not set" if env_ack is None else f"is {env_ack!r}")
            raise AwsModeNotAcknowledged(
                f"mode 'aws' (from {source}) creates real, billable AWS resources, and the cost "
                f"acknowledgement is missing: acknowledge_costs is {acknowledge_costs!r} and "
                f"EMRLAB_ACKNOWLEDGE_COSTS {env_state}. To opt in, set acknowledge_costs=True or "
                "EMRLAB_ACKNOWLEDGE_COSTS=yes; otherwise use mode 'local'."
            )
        if not region:
            raise ConfigError(
                "AWS mode needs a region: set the region parameter or EMRLAB_REGION/AWS_REGION"
            )
    region = region or LOCAL_DEFAULT_REGION
    if not re.fullmatch(REGION_PATTERN, region):
        raise ConfigError(f"region={region!r} is not an AWS region name (e.g. eu-west-1)")
    bucket = _pick(bucket, "EMRLAB_BUCKET")
    if mode == "aws" and not bucket:
        raise ConfigError("AWS mode needs a bucket: set the bucket parameter or EMRLAB_BUCKET")
    bucket = bucket or LOCAL_DEFAULT_BUCKET
    if not re.fullmatch(BUCKET_PATTERN, bucket) or ".." in bucket:
        raise ConfigError(
            f"bucket={bucket!r} is not a valid S3 bucket name (3-63 characters: lower-case "
            "letters, digits, dots and hyphens, starting and ending with a letter or digit)"
        )
    work = _pick(work_dir, "EMRLAB_WORK_DIR") or platformdirs.user_data_dir("emrlab") + "/work"
    return Settings(mode, region, bucket, Path(work).expanduser().resolve(), ack)


def configure(**values) -> Settings:
    """Resolve settings (see :func:`resolve`), make them current for this kernel and return them.

    Taught in notebooks/00_start_here.ipynb.
    """
    global _current
    _current = resolve(**values)
    _current.work_dir.mkdir(parents=True, exist_ok=True)
    return _current


def current() -> Settings:
    """The settings of this kernel: those last passed to :func:`configure`, else the environment's."""
    return _current if _current is not None else configure()


def reset() -> None:
    """Forget the configured settings (tests and long-lived kernels)."""
    global _current
    _current = None


def with_overrides(settings: Settings, **changes) -> Settings:
    """A copy of ``settings`` with some fields changed."""
    return replace(settings, **changes)
