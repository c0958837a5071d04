"""The EMR side of GPU training: specs, a CPU twin of similar price, costs, Spark settings."""

import pytest

from emrlab.emr import costs, validate as emrvalidate
from emrlab.exceptions import SpecError
from emrlab.ml import gpuplan


@pytest.fixture(scope="module")
def gpu_cluster():
    return gpuplan.gpu_spec("emrlab-test-bucket")


def test_gpu_spec_is_valid_and_uses_gpu_core_nodes(gpu_cluster):
    assert emrvalidate.validate(gpu_cluster) == []
    roles = {g.role: g.instance_type for g in gpu_cluster.instance_groups}
    assert emrvalidate.is_gpu(roles["CORE"]) and not emrvalidate.is_gpu(roles["MASTER"])
    assert gpu_cluster.bootstrap_actions[0].path.startswith("s3://emrlab-test-bucket/")


def test_cpu_twin_costs_about_the_same(gpu_cluster):
    cpu = gpuplan.cpu_twin(gpu_cluster, "us-east-1")
    gpu_hour = costs.estimate(gpu_cluster, 1, "us-east-1").per_hour
    cpu_hour = costs.estimate(cpu, 1, "us-east-1").per_hour
    assert abs(cpu_hour - gpu_hour) / gpu_hour < 0.15
    assert not any(emrvalidate.is_gpu(g.instance_type) for g in cpu.instance_groups)


def test_compare_table(gpu_cluster):
    table = gpuplan.compare(gpu_cluster, gpuplan.cpu_twin(gpu_cluster), "us-east-1", hours=2)
    assert list(table.index) == ["GPU", "CPU"]
    assert table.loc["GPU", "gpus"] == 2 and table.loc["CPU", "gpus"] == 0
    assert table.loc["GPU", "usd_per_2h_run"] == pytest.approx(2 * table.loc["GPU", "usd_per_hour"])


def test_compare_refuses_an_invalid_spec(gpu_cluster):
    broken = gpuplan.cpu_twin(gpu_cluster)
    broken.instance_groups[1].market = "CHEAP"
    with pytest.raises(SpecError):
        gpuplan.compare(gpu_cluster, broken, "us-east-1")


def test_spark_conf_changes_show_rapids_and_gpu_amounts(gpu_cluster):
    table = gpuplan.spark_conf_changes(gpu_cluster)
    conf = table.set_index("property")["gpu_cluster"].to_dict()
    assert conf["spark.plugins"] == "com.nvidia.spark.SQLPlugin"
    assert "spark.executor.resource.gpu.amount" in conf
    assert "spark.task.resource.gpu.amount" in conf
    assert "container-executor/gpu" in set(table["classification"])


def test_price_region_falls_back_with_a_note():
    assert gpuplan.price_region("us-east-1") == ("us-east-1", "")
    region, note = gpuplan.price_region("ap-south-2")
    assert region in costs.load_prices()["regions"] and "ap-south-2" in note


def test_a_non_gpu_core_type_is_refused():
    with pytest.raises(SpecError, match="not an NVIDIA GPU type"):
        gpuplan.gpu_spec("emrlab-test-bucket", core_type="m5.xlarge")
