"""Amazon EMR: cluster specs, validation against botocore's model, lint, the GPU preset, steps,
transient-cluster lifecycle, guard rails, clean-up, costs and prices.

Imports the core only. Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.
"""

# The public face of this subpackage: its names load lazily on first use (emrlab.faces reads this stub).
from .capacity import check_counts, count_problems, worst_count, worst_fill
from .cleanup import kit_clusters
from .costs import (
    billed_hours,
    compare_task_markets,
    compare_transient_persistent,
    cost_chart,
    estimate,
    instance_price,
    load_prices,
)
from .gpu_preset import CGROUP_V1_SCRIPT, gpu_cluster, rapids_configurations
from .guardrails import enforce, limits, max_instances, owner, worst_hourly_usd
from .lifecycle import TransientCluster, create_cluster, run_transient
from .lint import RULES, at_least
from .nodes import EbsVolume, FleetType, InstanceFleet, core, primary, task
from .pricing import endpoint_region, fetch_prices, on_demand_usd, price_for, prices_for
from .spec import BootstrapAction, ClusterSpec, ManagedScaling, configuration
from .specio import cli_to_run_job_flow, is_cli_shape, load_spec, save_spec
from .steps import bundled_script, stage
from .summaries import watch_step
from .validate import find_classification, is_arm, is_gpu

__all__ = [
    "at_least",
    "billed_hours",
    "BootstrapAction",
    "bundled_script",
    "CGROUP_V1_SCRIPT",
    "check_counts",
    "cli_to_run_job_flow",
    "ClusterSpec",
    "compare_task_markets",
    "compare_transient_persistent",
    "configuration",
    "core",
    "cost_chart",
    "count_problems",
    "create_cluster",
    "EbsVolume",
    "endpoint_region",
    "enforce",
    "estimate",
    "fetch_prices",
    "find_classification",
    "FleetType",
    "gpu_cluster",
    "instance_price",
    "InstanceFleet",
    "is_arm",
    "is_cli_shape",
    "is_gpu",
    "kit_clusters",
    "limits",
    "load_prices",
    "load_spec",
    "ManagedScaling",
    "max_instances",
    "on_demand_usd",
    "owner",
    "price_for",
    "prices_for",
    "primary",
    "rapids_configurations",
    "RULES",
    "run_transient",
    "save_spec",
    "stage",
    "task",
    "TransientCluster",
    "watch_step",
    "worst_count",
    "worst_fill",
    "worst_hourly_usd",
]
