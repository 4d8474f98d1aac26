"""The job's progress on stderr: on a terminal a bar redrawn in place with rows/s and the time left; elsewhere
a line per tenth of the shards."""
import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressBar:
    def __init__(self, shards: int, inputs: int, done_shards: int, done_inputs: int, enabled: bool = True,
                 stream: TextIO = sys.stderr) -> None:
        self.shards, self.inputs = shards, inputs
        self.done_shards, self.done_inputs = done_shards, done_inputs
        self.start_inputs, self.start = done_inputs, time.monotonic()
        self.stream, self.enabled = stream, enabled
        self.terminal = enabled and stream.isatty()
        self.last_draw, self.last_decile = 0.0, -1

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = (self.done_inputs - self.start_inputs) / elapsed
        left = self.inputs - self.done_inputs
        eta = _duration(left / rate) if rate > 0 else "?"
        fraction = self.done_inputs / self.inputs if self.inputs else 1.0
        bar = "#" * int(fraction * 24)
        return (f"vit.distributed: [{bar:<24}] {fraction:4.0%} {self.done_shards}/{self.shards} shards, "
                f"{self.done_inputs}/{self.inputs} images, {rate:.1f} rows/s, ETA {eta}")

    def update(self, shard_inputs: int) -> None:
        self.done_shards += 1
        self.done_inputs += shard_inputs
        if not self.enabled:
            return
        now = time.monotonic()
        if self.terminal:
            if now - self.last_draw >= 0.1 or self.done_shards == self.shards:
                self.stream.write("\r" + self.line() + "\x1b[K")
                self.stream.flush()
                self.last_draw = now
        else:
            decile = self.done_shards * 10 // max(self.shards, 1)
            if decile != self.last_decile:
                self.stream.write(self.line() + "\n")
                self.last_decile = decile

    def close(self) -> None:
        if self.terminal:
            self.stream.write("\n")
            self.stream.flush()
