"""Invoking an endpoint and finishing a batch transform in either mode.

Taught in notebooks/05_sagemaker_handoff.ipynb.

The SageMaker *control plane* (CreateModel, CreateEndpoint, CreateTransformJob) is plain boto3
in both modes: the emulator accepts the calls and reports InService/Completed at once. Its
*data plane* is a running container, which the emulator does not have: in local mode the
model is served by :class:`emrlab.sagemaker.inference_server.InferenceServer` (the same HTTP contract,
the same artifact), and a transform job's output is produced by that server from the job's S3
input. In AWS mode :func:`endpoint` calls ``sagemaker-runtime`` ``invoke_endpoint`` and
:func:`finish_transform` waits for the real job. Notebook cells are the same in both modes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from emrlab import config
from emrlab.sagemaker.inference_server import InferenceServer, parse_scores

if TYPE_CHECKING:
    from botocore.client import BaseClient


class _RuntimeEndpoint:
    """A deployed SageMaker endpoint called through ``sagemaker-runtime``."""

    def __init__(self, name: str):
        from emrlab.aws import client

        self.name, self.url = name, f"sagemaker-runtime invoke_endpoint({name})"
        self.runtime = client("sagemaker-runtime")

    def invoke(self, rows: ArrayLike) -> np.ndarray:
        body = "\n".join(",".join(repr(float(v)) for v in row) for row in np.atleast_2d(rows))
        answer = self.runtime.invoke_endpoint(EndpointName=self.name, ContentType="text/csv",
                                              Accept="text/csv", Body=body.encode())
        return parse_scores(answer["Body"].read().decode())


@contextlib.contextmanager
def endpoint(endpoint_name: str, artifact_uri: str,
             port: int | None = None) -> Iterator[InferenceServer | _RuntimeEndpoint]:
    """An object with ``invoke(rows) -> scores`` and ``url`` for a deployed endpoint.

    Taught in notebooks/05_sagemaker_handoff.ipynb. Local mode: a local inference server on
    loopback serving ``artifact_uri`` (stopped when the block ends). AWS mode: the real
    endpoint ``endpoint_name``.
    """
    if config.current().is_local:
        with InferenceServer(artifact_uri, port=port) as server:
            yield server
    else:
        yield _RuntimeEndpoint(endpoint_name)


def _list_keys(s3: BaseClient, bucket: str, prefix: str) -> list[str]:
    return [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix) for o in page.get("Contents", [])
        if not o["Key"].endswith("/")]


def finish_transform(sm: BaseClient, job_name: str, artifact_uri: str) -> list[str]:
    """Wait for transform job ``job_name``; returns its output objects (``s3://`` URIs).

    Taught in notebooks/05_sagemaker_handoff.ipynb. In local mode the output is produced here,
    as SageMaker would: each input object ``name`` gives ``name.out`` under the output path,
    one score per input line.
    """
    from emrlab.aws import client

    job = sm.describe_transform_job(TransformJobName=job_name)
    source = job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    target = job["TransformOutput"]["S3OutputPath"].rstrip("/") + "/"
    s3 = client("s3")
    in_bucket, in_prefix = source[5:].split("/", 1)
    out_bucket, out_prefix = target[5:].split("/", 1)
    if config.current().is_local:
        with InferenceServer(artifact_uri, batch=True) as server:
            for key in _list_keys(s3, in_bucket, in_prefix):
                body = s3.get_object(Bucket=in_bucket, Key=key)["Body"].read()
                answer = server.handle({"Content-Type": "text/csv"}, body)
                name = key.rsplit("/", 1)[-1] + ".out"
                s3.put_object(Bucket=out_bucket, Key=out_prefix + name, Body=answer.encode(),
                              ContentType="text/csv")
    else:
        sm.get_waiter("transform_job_completed_or_stopped").wait(
            TransformJobName=job_name, WaiterConfig={"Delay": 30, "MaxAttempts": 120})
    return [f"s3://{out_bucket}/{k}" for k in _list_keys(s3, out_bucket, out_prefix)]


def read_scores(uris: Iterable[str]) -> np.ndarray:
    """All scores in the given ``text/csv`` output objects, in order."""
    from emrlab.aws import client

    s3 = client("s3")
    scores = []
    for uri in uris:
        bucket, key = uri[5:].split("/", 1)
        scores.append(parse_scores(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()))
    return np.concatenate(scores) if scores else np.array([])


def upload_rows(rows: ArrayLike, s3_uri: str) -> str:
    """Write feature rows (no label, no header) as one CSV object at ``s3_uri``; returns it."""
    from emrlab.aws import client

    bucket, key = s3_uri[5:].split("/", 1)
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in np.atleast_2d(rows)) + "\n"
    client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="text/csv")
    return s3_uri
