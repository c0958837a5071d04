"""The local AWS: an embedded moto emulator on loopback, and the local EMR whose steps really run.

Lowest layer beside the core: imports only the core (``emrlab.config``, ``emrlab.exceptions``,
``emrlab.uris``, ``emrlab.spark``). Taught in notebooks/00_start_here.ipynb and
notebooks/01_emr_provisioning.ipynb.
"""

# The public face of this subpackage: its names load lazily on first use (emrlab.faces reads this stub).
from .emr import check_moto_version, install, shutdown
from .emr_worker import TIME_SCALE_ENV, running, time_scale
from .emulator import ENDPOINT_ENV, apply_env, ensure, free_port, reachable, start, stop

__all__ = [
    "ENDPOINT_ENV",
    "TIME_SCALE_ENV",
    "apply_env",
    "check_moto_version",
    "ensure",
    "free_port",
    "install",
    "reachable",
    "running",
    "shutdown",
    "start",
    "stop",
    "time_scale",
]
