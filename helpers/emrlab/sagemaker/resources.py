"""SageMaker resources for the handoff, created with boto3 and always torn down.

Taught in notebooks/05_sagemaker_handoff.ipynb.

* :func:`image_uri`: the built-in XGBoost container through ``sagemaker.core.image_uris``
  (SageMaker Python SDK v3, offline), at a pinned container version: never ``latest`` or the
  legacy ``1`` tag, which move under you.
* :class:`Handoff`: creates a training job definition, a model, an endpoint configuration, an
  endpoint and a batch transform job with plain boto3 (the same calls against the local
  emulator and against AWS), records each, and deletes the endpoint, the endpoint
  configuration and the model on :meth:`Handoff.teardown`, when its ``with`` block ends
  (even on an exception) and, as a last resort, when the Python process exits (``atexit``:
  a notebook kernel that stops after a failing cell). Names carry a unique suffix, so a re-run
  never collides with a half-deleted earlier run.
* In local mode the SDK's telemetry is switched off (:func:`opt_out_telemetry`) before the SDK
  is imported: a config file with ``SageMaker.PythonSDK.Modules.TelemetryOptOut: true`` named by
  ``SAGEMAKER_USER_CONFIG_OVERRIDE``.
"""

from __future__ import annotations

import atexit
import os
import re
import time
import uuid

import botocore.exceptions

from emrlab import config
from emrlab.exceptions import ConfigError, SageMakerResourceError

FRAMEWORK = "xgboost"
# Container versions that load Booster.save_model output (1.3-1 and later); see sm_artifact.
CONTAINER_VERSIONS = ("1.3-1", "1.5-1", "1.7-1", "3.0-5", "3.2-0")
FLOATING_TAGS = ("latest", "1")
KIT_REGIONS = ("us-east-1", "eu-west-1")  # regions the kit's price snapshots cover
ROLE_ENV = "EMRLAB_SAGEMAKER_ROLE"
LOCAL_ROLE = "emrlab-sagemaker-local"
TAGS = [{"Key": "emrlab:managed", "Value": "true"}]
_INSTANCE_RE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_TELEMETRY_YAML = ("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n"
                   "      TelemetryOptOut: true\n")


def opt_out_telemetry(settings: config.Settings | None = None) -> str | None:
    """Point ``SAGEMAKER_USER_CONFIG_OVERRIDE`` at a telemetry opt-out file (local mode only).

    Returns the file's path, or None in AWS mode or when the variable is already set.
    """
    settings = settings or config.current()
    if not settings.is_local or os.environ.get("SAGEMAKER_USER_CONFIG_OVERRIDE"):
        return None
    path = settings.work_dir / "sagemaker" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_TELEMETRY_YAML)
    os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(path)
    return str(path)


def check_container_version(version: str) -> str:
    """``version`` when it is a pinned built-in XGBoost container this kit supports."""
    if version in FLOATING_TAGS:
        raise SageMakerResourceError(
            f"container_version={version!r} is a floating tag that changes under you; pin one of "
            f"{', '.join(CONTAINER_VERSIONS)}")
    if version not in CONTAINER_VERSIONS:
        raise SageMakerResourceError(f"container_version={version!r} is not supported; use one "
                                     f"of {', '.join(CONTAINER_VERSIONS)} (1.3-1 and later load "
                                     "Booster.save_model files)")
    return version


def check_instance_type(instance_type: str) -> str:
    """``instance_type`` when it looks like a SageMaker instance type (``ml.m5.large``)."""
    if not _INSTANCE_RE.match(instance_type or ""):
        raise SageMakerResourceError(f"instance_type={instance_type!r} is not a SageMaker "
                                     "instance type (they look like 'ml.m5.large')")
    return instance_type


def image_uri(region: str | None = None, version: str = "1.7-1", scope: str = "inference") -> str:
    """The ECR image URI of built-in XGBoost ``version`` in ``region`` (default: settings).

    Taught in notebooks/05_sagemaker_handoff.ipynb. Offline: the SDK reads its bundled table.
    """
    settings = config.current()
    check_container_version(version)
    if scope not in ("training", "inference"):
        raise SageMakerResourceError(f"scope={scope!r} must be 'training' or 'inference'")
    opt_out_telemetry(settings)
    from sagemaker.core import image_uris

    region = region or settings.region
    try:
        uri = image_uris.retrieve(FRAMEWORK, region, version, image_scope=scope)
    except ValueError as exc:
        raise SageMakerResourceError(f"no XGBoost {version} image for region {region!r}: "
                                     f"{exc}") from exc
    tag = uri.rsplit(":", 1)[-1]
    if tag != version:
        raise SageMakerResourceError(f"the SDK returned {uri!r}, not the pinned tag {version!r}")
    return uri


def image_table(version: str = "1.7-1", regions=None) -> list[dict]:
    """Training and inference image URIs for ``regions`` (default: the kit's plus settings').

    Taught in notebooks/05_sagemaker_handoff.ipynb.
    """
    regions = sorted(set(regions or KIT_REGIONS) | {config.current().region})
    return [{"region": r, "scope": scope, "image": image_uri(r, version, scope)}
            for r in regions for scope in ("training", "inference")]


def execution_role(role_arn: str = "") -> str:
    """The IAM role SageMaker assumes: ``role_arn``, else ``EMRLAB_SAGEMAKER_ROLE``.

    Taught in notebooks/05_sagemaker_handoff.ipynb. In local mode, with neither given, a role
    is created in the emulator. In AWS mode a role is required (ConfigError otherwise).
    """
    from emrlab.aws import client

    role_arn = role_arn or os.environ.get(ROLE_ENV, "")
    if role_arn:
        if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", role_arn):
            raise ConfigError(f"role_arn={role_arn!r} is not an IAM role ARN")
        return role_arn
    if not config.current().is_local:
        raise ConfigError(f"AWS mode needs a SageMaker execution role: set {ROLE_ENV} to the "
                          "ARN of a role SageMaker can assume (AmazonSageMakerFullAccess or "
                          "narrower, plus S3 access to the lake bucket)")
    iam = client("iam")
    try:
        return iam.get_role(RoleName=LOCAL_ROLE)["Role"]["Arn"]
    except botocore.exceptions.ClientError:
        trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
                 '{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
        return iam.create_role(RoleName=LOCAL_ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]


_live: list[Handoff] = []


@atexit.register
def _teardown_all() -> None:
    """Process exit: delete whatever a Handoff still holds (a kernel stopped after a failure)."""
    for handoff in list(_live):
        handoff.teardown(quiet=True)


def _missing(exc: botocore.exceptions.ClientError) -> bool:
    msg = exc.response.get("Error", {}).get("Message", "")
    return "Could not find" in msg or "does not exist" in msg or "not found" in msg.lower()


class Handoff:
    """Create SageMaker resources with boto3 and guarantee their teardown.

    Taught in notebooks/05_sagemaker_handoff.ipynb.

    Parameters
    ----------
    prefix : str
        Start of every resource name (letters, digits, hyphens).
    role_arn : str
        See :func:`execution_role`.
    client : optional
        A boto3 SageMaker client (default: this mode's).
    """

    def __init__(self, prefix: str = "emrlab-05", role_arn: str = "", client=None):
        from emrlab.aws import client as make_client

        if not re.match(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,30}$", prefix):
            raise SageMakerResourceError(f"prefix={prefix!r} must be 1-31 letters, digits or "
                                         "hyphens, starting and ending with a letter or digit")
        self.settings = config.current()
        opt_out_telemetry(self.settings)
        self.sm = client or make_client("sagemaker")
        self.role = execution_role(role_arn)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        self.suffix = f"{stamp}-{uuid.uuid4().hex[:4]}"
        self.prefix = prefix
        self.created: dict[str, list[str]] = {
            "training_job": [], "model": [], "endpoint_config": [], "endpoint": [],
            "transform_job": []}
        _live.append(self)

    def name(self, kind: str) -> str:
        """A unique resource name (at most 63 characters)."""
        return f"{self.prefix}-{kind}-{self.suffix}"[:63].rstrip("-")

    def __enter__(self) -> Handoff:
        return self

    def __exit__(self, *exc) -> None:
        self.teardown()

    def create_training_job(self, channels: dict, image: str, output_s3: str,
                            instance_type: str = "ml.m5.xlarge", hyperparameters=None) -> str:
        """CreateTrainingJob for built-in XGBoost on ``channels`` (``sm_channels.Channel``)."""
        check_instance_type(instance_type)
        name = self.name("train")
        params = {"objective": "binary:logistic", "num_round": "50", "max_depth": "4",
                  "eval_metric": "auc", **(hyperparameters or {})}
        self.sm.create_training_job(
            TrainingJobName=name, RoleArn=self.role, Tags=TAGS,
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            HyperParameters={k: str(v) for k, v in params.items()},
            InputDataConfig=[c.input_config() for c in channels.values()],
            OutputDataConfig={"S3OutputPath": output_s3},
            ResourceConfig={"InstanceType": instance_type, "InstanceCount": 1,
                            "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600})
        self.created["training_job"].append(name)
        return name

    def create_model(self, image: str, model_data_url: str) -> str:
        """CreateModel: the container image plus the ``model.tar.gz`` S3 URI."""
        name = self.name("model")
        self.sm.create_model(ModelName=name, ExecutionRoleArn=self.role, Tags=TAGS,
                             PrimaryContainer={"Image": image, "ModelDataUrl": model_data_url})
        self.created["model"].append(name)
        return name

    def create_endpoint(self, model: str, instance_type: str = "ml.m5.large",
                        wait: bool = True) -> str:
        """CreateEndpointConfig and CreateEndpoint (one instance); waits until InService."""
        check_instance_type(instance_type)
        config_name = self.name("config")
        self.sm.create_endpoint_config(
            EndpointConfigName=config_name, Tags=TAGS,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model,
                                 "InitialInstanceCount": 1, "InstanceType": instance_type}])
        self.created["endpoint_config"].append(config_name)
        name = self.name("endpoint")
        self.sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=TAGS)
        self.created["endpoint"].append(name)
        if wait:
            self.sm.get_waiter("endpoint_in_service").wait(
                EndpointName=name, WaiterConfig={"Delay": 1 if self.settings.is_local else 30})
        return name

    def create_transform_job(self, model: str, input_s3: str, output_s3: str,
                             instance_type: str = "ml.m5.large") -> str:
        """CreateTransformJob: score every CSV line under ``input_s3`` into ``output_s3``."""
        check_instance_type(instance_type)
        name = self.name("transform")
        self.sm.create_transform_job(
            TransformJobName=name, ModelName=model, Tags=TAGS,
            TransformInput={"ContentType": "text/csv", "SplitType": "Line",
                            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                            "S3Uri": input_s3}}},
            TransformOutput={"S3OutputPath": output_s3, "AssembleWith": "Line"},
            TransformResources={"InstanceType": instance_type, "InstanceCount": 1})
        self.created["transform_job"].append(name)
        return name

    def describe(self) -> dict:
        """Each created resource's status, as SageMaker reports it."""
        calls = {"training_job": ("describe_training_job", "TrainingJobName", "TrainingJobStatus"),
                 "model": ("describe_model", "ModelName", None),
                 "endpoint_config": ("describe_endpoint_config", "EndpointConfigName", None),
                 "endpoint": ("describe_endpoint", "EndpointName", "EndpointStatus"),
                 "transform_job": ("describe_transform_job", "TransformJobName",
                                   "TransformJobStatus")}
        out = {}
        for kind, names in self.created.items():
            method, key, status = calls[kind]
            for name in names:
                try:
                    found = getattr(self.sm, method)(**{key: name})
                    out[name] = found.get(status, "exists") if status else "exists"
                except botocore.exceptions.ClientError:
                    out[name] = "deleted"
        return out

    def teardown(self, quiet: bool = False) -> list[str]:
        """Stop running jobs; delete endpoints, endpoint configs, models. Returns what went.

        Idempotent: safe to call twice, from ``__exit__``, a teardown cell and ``atexit``.
        """
        gone = []
        for kind, stop, key in (("training_job", "stop_training_job", "TrainingJobName"),
                                ("transform_job", "stop_transform_job", "TransformJobName")):
            describe = "describe_" + kind
            for name in self.created[kind]:
                try:
                    status = getattr(self.sm, describe)(**{key: name})
                    state = status.get("TrainingJobStatus") or status.get("TransformJobStatus")
                    if state == "InProgress":
                        getattr(self.sm, stop)(**{key: name})
                        gone.append(f"stopped {name}")
                except botocore.exceptions.ClientError:
                    pass
        for kind, delete, key in (("endpoint", "delete_endpoint", "EndpointName"),
                                  ("endpoint_config", "delete_endpoint_config",
                                   "EndpointConfigName"),
                                  ("model", "delete_model", "ModelName")):
            for name in list(self.created[kind]):
                try:
                    getattr(self.sm, delete)(**{key: name})
                    gone.append(f"deleted {name}")
                except botocore.exceptions.ClientError as exc:
                    if not _missing(exc) and not quiet:
                        raise
                self.created[kind].remove(name)
        if self in _live and not any(self.created[k] for k in
                                     ("endpoint", "endpoint_config", "model")):
            _live.remove(self)
        return gone
