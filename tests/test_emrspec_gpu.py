"""The RAPIDS/YARN GPU preset validates and lints clean for EMR 7.x and emr-spark-8.x."""

import pytest

from emrlab.emr import CGROUP_V1_SCRIPT, gpu_cluster, rapids_configurations
from emrlab.emr.lint import at_least, lint
from emrlab.emr.validate import find_classification, validate
from emrlab.exceptions import SpecError


@pytest.mark.parametrize("release", ["emr-7.13.0", "emr-spark-8.1.0"])
def test_preset_validates_and_has_no_lint_errors(release):
    spec = gpu_cluster("g", bootstrap_uri="s3://b/rapids-cgroup.sh", release_label=release,
                       task_type="g5.xlarge", task_count=2, idle_timeout=900,
                       log_uri="s3://b/logs/", security_configuration="sec")
    assert validate(spec) == []
    assert at_least(lint(spec), "warning") == []
    req = spec.to_run_job_flow()
    yarn = find_classification(req["Configurations"], "yarn-site")["Properties"]
    assert yarn["yarn.nodemanager.linux-container-executor.cgroups.mount-path"] == \
        "/spark-rapids-cgroup"
    assert find_classification(req["Configurations"], "cgroups")["Properties"]["root"] == \
        "/spark-rapids-cgroup"
    assert req["BootstrapActions"][0]["ScriptBootstrapAction"]["Path"] == "s3://b/rapids-cgroup.sh"
    markets = [g["Market"] for g in req["Instances"]["InstanceGroups"]]
    assert markets == ["ON_DEMAND", "ON_DEMAND", "SPOT"]
    assert req["Applications"] == ([{"Name": "Spark"}] if "spark-8" in release else
                                   [{"Name": "Hadoop"}, {"Name": "Spark"}])


def test_script_mounts_cgroup_v1_and_spark_defaults_enable_the_plugin():
    assert "mount -t cgroup -o devices cgroupv1-devices /spark-rapids-cgroup/devices" in \
        CGROUP_V1_SCRIPT
    confs = rapids_configurations("emr-7.13.0", tasks_per_gpu=4)
    defaults = find_classification(confs, "spark-defaults")["Properties"]
    assert defaults["spark.plugins"] == "com.nvidia.spark.SQLPlugin"
    assert defaults["spark.task.resource.gpu.amount"] == "0.25"
    assert find_classification(confs, "spark")["Properties"] == {"enableSparkRapids": "true"}


def test_bad_inputs():
    with pytest.raises(SpecError, match="core_type='m5.xlarge' is not an NVIDIA GPU type"):
        gpu_cluster("g", bootstrap_uri="s3://b/x.sh", core_type="m5.xlarge")
    with pytest.raises(SpecError, match="must be an s3:// URI"):
        gpu_cluster("g", bootstrap_uri="/tmp/x.sh")
    with pytest.raises(SpecError, match="6.x layout"):
        rapids_configurations("emr-6.15.0")
    with pytest.raises(SpecError, match="not a release label"):
        rapids_configurations("seven")


def test_arm_primary_is_refused_by_the_validator():
    spec = gpu_cluster("g", bootstrap_uri="s3://b/x.sh", primary_type="m7g.xlarge")
    assert "ARM" in str(validate(spec, raise_errors=False))
