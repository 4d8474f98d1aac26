"""python3 -m vit.distributed embed|verify: the command line of vit.distributed (--help for each)."""
import argparse
import os
import sys
from typing import List, Optional

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EMBED_EXAMPLES = """examples:
  python3 -m vit.distributed embed --model google/vit-base-patch16-224-in21k --out out photos/
  python3 -m vit.distributed embed --model M --out out --scheduler tcp://10.0.0.1:8786 \\
      --threads-per-worker 4 --shard-size 2000 --outputs pooler_output,cls @list.txt data-*.tar
Rerun the same command after an interruption: only the shards not yet written are computed.
Workers of an existing cluster: dask-worker tcp://HOST:8786 --nthreads 1 (the model runs on
--threads-per-worker threads). Exit codes: 0 done, 1 failed, 2 bad usage, 3 some inputs skipped
(listed in DIR/shards/*.errors.jsonl), 130 interrupted."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m vit.distributed",
                                     description="Embed many images on a Dask cluster, resumably, each exactly once.")
    commands = parser.add_subparsers(dest="command", required=True)
    embed = commands.add_parser("embed", help="run (or finish) a job", epilog=EMBED_EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    embed.add_argument("--model", required=True, help="a model folder or hub id org/name[@revision]")
    embed.add_argument("-o", "--out", required=True, help="the output folder (shards, manifest)")
    embed.add_argument("--scheduler", help="tcp://HOST:PORT of a running dask-scheduler (default: a LocalCluster here)")
    embed.add_argument("--local-workers", type=int, help="worker processes of the LocalCluster (default: cores / threads)")
    embed.add_argument("--threads-per-worker", type=int, default=1, help="threads of each worker's model (default 1)")
    embed.add_argument("-b", "--batch-size", type=int, default=8, help="images per forward pass (default 8)")
    embed.add_argument("--outputs", default="pooler_output",
                       help="comma-separated, among pooler_output, image_embeds, cls, mean, last_hidden_state, logits")
    embed.add_argument("--shard-size", type=int, default=1000, help="inputs per shard, one task each (default 1000)")
    embed.add_argument("-p", "--precision", default="f32", choices=["f32", "bf16", "int8"])
    embed.add_argument("--normalize", action="store_true", help="unit-length pooled rows")
    embed.add_argument("--exif-transpose", action="store_true", help="apply EXIF orientation")
    embed.add_argument("--new-plan", action="store_true",
                       help="discard a job of other inputs or options found in --out and start this one")
    embed.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    embed.add_argument("inputs", nargs="+", help="image files, folders, @list.txt, uncompressed .tar archives")
    verify = commands.add_parser("verify", help="check every shard of a job's folder (checksums, completeness)")
    verify.add_argument("out", help="the output folder")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    # Not Dask's start-up notes on a command's stderr, here and in the worker processes it starts.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    import vit
    from . import embed, verify
    try:
        if args.command == "verify":
            rows = verify(args.out)
            print(f"{args.out}: {rows} rows, every shard complete and intact")
            return EXIT_OK
        outputs = [name for name in args.outputs.split(",") if name]
        result = embed(args.inputs, args.out, model=args.model, scheduler=args.scheduler,
                       local_workers=args.local_workers, threads_per_worker=args.threads_per_worker,
                       batch_size=args.batch_size, outputs=outputs, shard_size=args.shard_size,
                       precision=args.precision, normalize=args.normalize, exif_transpose=args.exif_transpose,
                       new_plan=args.new_plan, progress=False if args.quiet else None)
    except KeyboardInterrupt:
        print("vit.distributed: interrupted; rerun the same command to finish the job", file=sys.stderr)
        return EXIT_INTERRUPTED
    except vit.InvalidArgumentError as e:
        print(f"vit.distributed: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (vit.VitError, OSError) as e:
        print(f"vit.distributed: {e}", file=sys.stderr)
        return EXIT_ERROR
    for skipped in result.skipped:
        print(f"vit.distributed: skipped {skipped['error']}", file=sys.stderr)
    if not args.quiet:
        print(f"vit.distributed: {result.rows} row(s) in {result.shards} shard(s) of {args.out} ({result.computed} "
              f"computed, {result.reused} already done) in {result.seconds:.1f} s"
              + (f"; skipped {len(result.skipped)} input(s)" if result.skipped else ""), file=sys.stderr)
    return EXIT_PARTIAL if result.skipped else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
