"""Embedding many images on a Dask cluster: sharded, resumable, each input exactly once.

    import vit.distributed
    result = vit.distributed.embed(["photos/", "@more.txt", "shard-0001.tar"], "out",
                                   model="google/vit-base-patch16-224-in21k", shard_size=1000)
    keys, values = vit.distributed.read("out", output="pooler_output")   # rows in input order

or `python3 -m vit.distributed embed --model M --out DIR [--scheduler tcp://HOST:8786] INPUTS...`.
Needs Dask distributed (Debian's python3-distributed); the layout of the output folder is in plan.py.
"""
from .job import EmbedResult, embed, errors, read, verify
from .plan import PlanMismatchError, ShardError

__all__ = ["EmbedResult", "PlanMismatchError", "ShardError", "embed", "errors", "read", "verify"]
