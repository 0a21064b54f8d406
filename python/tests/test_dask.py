"""blocsim.dask: one batch's shards on a Dask cluster of several worker processes, merged into the
bytes one machine writes."""

from __future__ import annotations

import pytest

import blocsim
from conftest import same_bytes

distributed = pytest.importorskip("distributed")

FILES = ["runs.csv", "states.csv", "timeseries.csv", "indices.csv", "summary.json", "detail.parquet",
         "plots/fan_gdp_cloud.svg", "plots/ternary_all.png"]  # report.html shows the command, which differs


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def one_machine(tmp_path_factory):
    return blocsim.batch("baseline", runs=250, seed=11, threads=2, out=tmp_path_factory.mktemp("one") / "b",
                         set={"choice.lambda": 2.0}, progress=False)


@pytest.mark.parametrize("shards", [None, 5])
def test_shards_sent_back_merge_byte_identical(client, one_machine, tmp_path, shards):
    b = blocsim.dask.batch("baseline", runs=250, seed=11, set={"choice.lambda": 2.0}, client=client, shards=shards,
                           out=tmp_path / "merged")
    assert isinstance(b, blocsim.Batch)
    assert b.manifest["runs"] == 250 and b.manifest["command"][1] == "merge"
    for name in FILES:
        assert same_bytes(one_machine.dir / name, b.dir / name), name


def test_shards_on_a_shared_directory(client, one_machine, tmp_path):
    b = blocsim.dask.batch("baseline", runs=250, seed=11, set={"choice.lambda": 2.0}, client=client, shards=3,
                           shared_dir=tmp_path / "shared")
    assert len(list((tmp_path / "shared").iterdir())) == 3
    assert same_bytes(one_machine.dir / "runs.csv", b.dir / "runs.csv")


def test_bad_input_before_any_task(client):
    with pytest.raises(blocsim.InputError, match="shards"):
        blocsim.dask.batch("baseline", runs=10, client=client, shards=11)
    with pytest.raises(blocsim.InputTypeError, match="client"):
        blocsim.dask.batch("baseline", runs=10, client="tcp://nowhere")
