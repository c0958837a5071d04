"""The SageMaker handoff: training channels and their formats, the model artifact, resources
with guaranteed teardown, serving, costs and a local inference server.

Imports the core and ``emrlab.etl``. Taught in notebooks/05_sagemaker_handoff.ipynb and
labs/05_sagemaker_artifacts.
"""

# The public face of this subpackage: its names load lazily on first use (emrlab.faces reads this stub).
from .artifact import load_artifact, load_booster, package, round_trip, upload
from .channels import CONTENT_TYPES, Channel, feature_frame, write_channels
from .costs import endpoint_vs_batch, load_prices, price
from .formats import check_channel
from .inference_server import InferenceServer, port_free, request
from .resources import (
    CONTAINER_VERSIONS,
    ROLE_ENV,
    Handoff,
    execution_role,
    image_table,
    image_uri,
    opt_out_telemetry,
)

__all__ = [
    "CONTAINER_VERSIONS",
    "CONTENT_TYPES",
    "Channel",
    "Handoff",
    "InferenceServer",
    "ROLE_ENV",
    "check_channel",
    "endpoint_vs_batch",
    "execution_role",
    "feature_frame",
    "image_table",
    "image_uri",
    "load_artifact",
    "load_booster",
    "load_prices",
    "opt_out_telemetry",
    "package",
    "port_free",
    "price",
    "request",
    "round_trip",
    "upload",
    "write_channels",
]
