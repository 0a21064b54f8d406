"""One batch spread over a Dask cluster: its shards run as Dask tasks and are merged, byte for
byte, into the output one machine would have written (https://distributed.dask.org).

>>> from distributed import Client, LocalCluster
>>> client = Client(LocalCluster(n_workers=4, threads_per_worker=1))
>>> b = blocsim.dask.batch("baseline", runs=100_000, client=client)   # a blocsim.Batch

Each shard is ``blocsim batch --shard I/N`` run by :func:`blocsim.batch` on a worker; by default
the worker sends the shard's files back to the client (a few MB per 10,000 runs: ``runs.csv``,
``detail.parquet`` and the sealed partial result), which merges them with :func:`blocsim.merge`.
With ``shared_dir=`` (a directory every worker and the client can reach, e.g. on a cluster's
shared file system) the workers write their shards there and nothing is sent.

The same code runs on a laptop (``LocalCluster``), a Slurm or PBS cluster (``dask-jobqueue``'s
``SLURMCluster``/``PBSCluster``) or Kubernetes (``dask-kubernetes``'s ``KubeCluster``): see
``docs/python.md``. The workers need blocsim installed (the same version: merge refuses shards of
another); a scenario given as a file must be readable at the same path on the workers.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from typing import Any, Optional, Union

from . import _outdir
from ._args import Args
from ._commands import ScenarioArg, batch as _batch, merge
from ._errors import InputError, InputTypeError
from ._kinds import Batch
from ._scenario import Sets, as_scenario, set_texts

__all__ = ["batch"]


def _worker_threads() -> Optional[int]:
    """The thread count of the worker running the task (None outside a worker)."""
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return None


def _run_shard(source: str, sets: list[str], runs: int, seed: Optional[int], threads: Optional[int],
               index: int, count: int, detail: bool, shared_dir: Optional[str]) -> Union[str, bytes]:
    """A Dask task: shard ``index`` of ``count``; its directory (shared) or its files as a tar."""
    threads = threads or _worker_threads()
    if shared_dir is not None:
        out = os.path.join(shared_dir, f"shard-{index:05}-of-{count:05}")
        _batch(source, runs, seed, threads, out, set=sets, shard=(index, count), plots=False, detail=detail,
               force=True, progress=False)
        return out
    with tempfile.TemporaryDirectory(prefix="blocsim-shard-") as tmp:
        out = os.path.join(tmp, "shard")
        _batch(source, runs, seed, threads, out, set=sets, shard=(index, count), plots=False, detail=detail,
               progress=False)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name in sorted(os.listdir(out)):
                tar.add(os.path.join(out, name), arcname=name)
        return buf.getvalue()


def _unpack(data: bytes, where: str) -> str:
    os.makedirs(where)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(where, filter="data")
    return where


def batch(scenario: ScenarioArg, runs: Optional[int] = None, seed: Optional[int] = None,
          threads: Optional[int] = None, out: Any = None, *, client: Any = None, shards: Optional[int] = None,
          set: Sets = None, detail: bool = True, plots: bool = True, plot_scale: float = 2.0, force: bool = False,
          shared_dir: Any = None) -> Batch:
    """A batch whose ``shards`` (default: one per worker) run on the Dask ``client``'s cluster
    (default: the current client), merged into ``out`` (default: a new temporary directory) with
    the files :func:`blocsim.batch` would write on one machine. ``threads`` are each shard's
    worker threads (default: the Dask worker's thread count)."""
    from distributed import Client, get_client

    if client is None:
        try:
            client = get_client()
        except ValueError:
            raise InputError("dask.batch(client=None): no Dask client is running; expected client=Client(...)") from None
    if not isinstance(client, Client):
        raise InputTypeError(f"dask.batch(client={client!r}): expected a distributed.Client")
    a = Args("dask.batch")  # the keyword checks only: each shard builds its own arguments
    a.plan(runs, seed, threads)
    if runs is None:
        from ._scenario import Scenario

        runs = Scenario.load(*as_scenario(scenario, "dask.batch")).runs
    count = shards if shards is not None else max(1, len(client.scheduler_info()["workers"]))
    a.whole("shards", count, 1, min(runs, 100_000), what="a number of shards (at most one per run)")
    source, sets = as_scenario(scenario, "dask.batch")
    sets += set_texts(set)
    where = None if shared_dir is None else os.path.abspath(os.fspath(shared_dir))
    futures = [
        client.submit(_run_shard, source, sets, runs, seed, threads, i, count, detail, where, pure=False, key=f"blocsim-shard-{i}-of-{count}-{os.urandom(4).hex()}")
        for i in range(count)
    ]
    results = client.gather(futures)
    if where is None:
        local = _outdir.fresh("dask", "shards")
        dirs = [_unpack(r, os.path.join(local, f"shard-{i:05}")) for i, r in enumerate(results)]
    else:
        dirs = list(results)
    return merge(dirs, out, plots=plots, plot_scale=plot_scale, force=force)
