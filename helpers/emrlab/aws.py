"""AWS clients for both modes, and the guard that keeps local mode off real AWS.

Taught in notebooks/00_start_here.ipynb.

Notebook code calls :func:`setup` once (right after its parameters cell) and then uses plain
``boto3.client(...)`` or :func:`client`: in local mode both reach the emulator, in AWS mode
both reach the real account. The guard wraps botocore's HTTP layer, so even a client built
with an explicit ``endpoint_url`` cannot leave loopback while the mode is ``local``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import boto3
import botocore.httpsession
from botocore.exceptions import ClientError

from emrlab import config, uris
from emrlab.exceptions import EndpointGuardError
from emrlab.local import emulator as localaws

if TYPE_CHECKING:
    from botocore.client import BaseClient

_original_send = botocore.httpsession.URLLib3Session.send


def _guarded_send(self, request):
    """botocore's send, refused for non-loopback URLs in local mode."""
    settings = config.current()
    if settings.is_local and not uris.is_loopback_url(request.url):
        raise EndpointGuardError(
            f"local mode refused a request to {request.url.split('?')[0]}: only the local AWS "
            "emulator on loopback may be called. To use real AWS, set mode='aws' and "
            "acknowledge_costs=True (EMRLAB_MODE=aws, EMRLAB_ACKNOWLEDGE_COSTS=yes)."
        )
    return _original_send(self, request)


def install_guard() -> None:
    """Install the local-mode endpoint guard for every botocore session of this process."""
    botocore.httpsession.URLLib3Session.send = _guarded_send


def setup(
    mode: str | None = None,
    region: str | None = None,
    bucket: str | None = None,
    work_dir: str | None = None,
    acknowledge_costs: bool | str | None = None,
) -> config.Settings:
    """Configure this kernel for local or AWS mode and make the lake bucket exist.

    Taught in notebooks/00_start_here.ipynb. Call it once, after the parameters cell; empty
    values fall back to the environment (see :mod:`emrlab.config`).

    Returns
    -------
    Settings
        The resolved settings.
    """
    settings = config.configure(
        mode=mode,
        region=region,
        bucket=bucket,
        work_dir=work_dir,
        acknowledge_costs=acknowledge_costs,
    )
    install_guard()
    if settings.is_local:
        localaws.apply_env(localaws.ensure(), settings.region)
        ensure_bucket(settings.bucket)
    else:
        # Never let an emulator address left in the environment capture AWS-mode clients.
        if uris.is_loopback_url(os.environ.get("AWS_ENDPOINT_URL", "http://x")):
            os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ["AWS_DEFAULT_REGION"] = settings.region
    return settings


def client(service: str, **kwargs: Any) -> BaseClient:
    """A boto3 client for ``service`` in the current mode and region.

    Taught in notebooks/00_start_here.ipynb.
    """
    settings = config.current()
    install_guard()
    kwargs.setdefault("region_name", settings.region)
    if settings.is_local:
        kwargs.setdefault("endpoint_url", localaws.ensure())
    return boto3.client(service, **kwargs)


def ensure_bucket(name: str) -> None:
    """Create bucket ``name`` unless it exists (local mode, or an AWS bucket you own)."""
    s3 = client("s3")
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        region = config.current().region
        extra = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}
        }
        s3.create_bucket(Bucket=name, **extra)
