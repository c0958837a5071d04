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
    """botocore's send, refused in local mode unless both the URL and any proxy are loopback."""
    settings = config.current()
    if settings.is_local:
        if not uris.is_loopback_url(request.url):
            raise EndpointGuardError(
                f"local mode refused a request to {request.url.split('?')[0][:200]}: only the "
                "local AWS emulator on loopback may be called. To use real AWS, set mode='aws' "
                "and acknowledge_costs=True (EMRLAB_MODE=aws, EMRLAB_ACKNOWLEDGE_COSTS=yes)."
            )
        # botocore would connect to the proxy, not to the URL's host.
        proxy = self._proxy_config.proxy_url_for(request.url)
        if proxy and not uris.is_loopback_url(proxy):
            raise EndpointGuardError(
                f"local mode refused to send a request to {request.url.split('?')[0][:200]} "
                "through a proxy that is not on loopback: the emulator is on this machine. "
                "Add 127.0.0.1 and localhost to NO_PROXY, or drop the client's proxies setting."
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

    In local mode these S3 clients reach the emulator with no endpoint argument:

    * ``boto3.client(...)`` / ``boto3.resource(...)`` (``AWS_ENDPOINT_URL``; every
      service-specific ``AWS_ENDPOINT_URL_<SERVICE>`` is removed, ``AWS_ENDPOINT_URL_S3`` is set
      to the emulator), behind the endpoint guard;
    * ``pyarrow.fs.FileSystem.from_uri("s3://...")``, ``pyarrow.parquet.read_table("s3://...")``
      and ``pandas.read_parquet("s3://...")`` without fsspec (pyarrow reads
      ``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL`` for URIs);
    * ``pyarrow.fs.S3FileSystem()``: pyarrow's constructor ignores those variables, so setup
      makes ``pyarrow.fs.S3FileSystem`` a subclass that defaults ``endpoint_override`` to
      ``AWS_ENDPOINT_URL_S3`` (else ``AWS_ENDPOINT_URL``), as boto3 does.

    Not covered: an ``S3FileSystem`` name imported before ``setup()`` (``from pyarrow.fs import
    S3FileSystem`` binds pyarrow's own class) or from ``pyarrow._s3fs``, and pandas' other
    ``s3://`` readers (``read_csv``, ``read_json``), which need ``s3fs``: the kit does not
    install it, and whether an ``s3fs`` you add follows ``AWS_ENDPOINT_URL`` depends on its
    aiobotocore version (pass ``storage_options={"client_kwargs": {"endpoint_url": ...}}`` to be
    sure). The endpoint guard covers botocore only: pyarrow and aiobotocore send their own
    requests, so an explicit ``endpoint_override``/``endpoint_url`` to AWS is not refused there.

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
    _point_pyarrow()
    if settings.is_local:
        localaws.apply_env(localaws.ensure(), settings.region)
        ensure_bucket(settings.bucket)
    else:
        # Never let an emulator address left in the environment capture AWS-mode clients.
        for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
            if uris.is_loopback_url(os.environ[name]):
                os.environ.pop(name, None)
        os.environ["AWS_DEFAULT_REGION"] = settings.region
    return settings


def _env_endpoint() -> str | None:
    """The S3 endpoint boto3 takes from the environment (``AWS_ENDPOINT_URL_S3`` first)."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _point_pyarrow() -> None:
    """Make ``pyarrow.fs.S3FileSystem()`` honour ``AWS_ENDPOINT_URL(_S3)`` like boto3.

    Called by :func:`setup`. pyarrow's ``FileSystem.from_uri`` reads those
    variables but its ``S3FileSystem`` constructor does not (checked with pyarrow 25), so without this a
    plain ``S3FileSystem()`` in local mode would look up AWS host names. Replaces
    ``pyarrow.fs.S3FileSystem`` (once) by a subclass whose ``endpoint_override`` defaults to
    that variable, read when the file system is made; instances pickle as plain pyarrow ones.
    Does nothing when pyarrow is not installed.
    """
    try:
        import pyarrow.fs as pafs
    except ImportError:
        return
    if getattr(pafs, "S3FileSystem", None) is None or getattr(
        pafs.S3FileSystem, "_emrlab_endpoint_from_env", False
    ):
        return

    class S3FileSystem(pafs.S3FileSystem):
        __doc__ = pafs.S3FileSystem.__doc__
        _emrlab_endpoint_from_env = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("endpoint_override") is None:
                endpoint = _env_endpoint()
                if endpoint:
                    kwargs["endpoint_override"] = endpoint
            super().__init__(*args, **kwargs)

    S3FileSystem.__module__ = pafs.__name__
    S3FileSystem.__qualname__ = "S3FileSystem"
    pafs.S3FileSystem = S3FileSystem


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
