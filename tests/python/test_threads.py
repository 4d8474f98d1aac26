"""The GIL is released while the model runs, Ctrl-C stops a long embed between batches, and memory stays
flat over 1,000 calls."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import vit


@pytest.fixture(scope="module")
def model(tiny224):
    return vit.ViTModel.from_pretrained(tiny224)


def test_another_thread_runs_while_the_model_computes(model):
    x = np.random.default_rng(0).standard_normal((64, 3, 224, 224)).astype(np.float32)
    model(pixel_values=x[:2])  # warm up
    ticks, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    start = time.monotonic()
    model(pixel_values=x)
    end = time.monotonic()
    stop.set()
    t.join()
    assert end - start > 0.05, "the call was too short to tell"
    inside = [s for s in ticks if start + 0.2 * (end - start) < s < end - 0.2 * (end - start)]
    # With the GIL held through the call, the counting thread could not run at all inside it.
    assert len(inside) > 100, f"{len(inside)} ticks of another thread during a {end - start:.2f} s call"


@pytest.fixture(scope="module")
def many_images(photo_files):
    """20,000 copies of a 512x512 photograph's bytes: minutes of work, so that only an interrupt ends it early."""
    return [open(photo_files[0], "rb").read()] * 20000


def send_sigint(after=None, seconds=0.0):
    def interrupt():
        if after is not None:
            after.wait(60)
        time.sleep(seconds)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()


def test_ctrl_c_stops_embed_between_batches(model, many_images):
    first_batch, batches = threading.Event(), []

    def progress(done, total):
        batches.append(done)
        first_batch.set()

    send_sigint(after=first_batch)
    with pytest.raises(KeyboardInterrupt):
        model.embed(many_images, batch_size=4, progress=progress)
    assert 1 <= len(batches) < 100, f"{len(batches)} of 5000 batches ran"


def test_ctrl_c_without_a_progress_callback(model, many_images):
    send_sigint(seconds=1.0)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        model.embed(many_images, batch_size=4)
    assert time.monotonic() - start < 15


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_flat_over_1000_calls(tiny, photo_files):
    model = vit.ViTModel.from_pretrained(tiny)
    x = model.processor(images=photo_files[:2])["pixel_values"]
    images = [np.zeros((40, 30, 3), np.uint8)] * 2

    def calls(n):
        for _ in range(n):
            out = model(pixel_values=x, output_hidden_states=True, output_attentions=True)
            assert out.attentions[0].shape == (2, 4, 17, 17)
            model.processor(images=images)
            model.embed(images, pooling="mean")

    calls(100)
    before = rss_bytes()
    calls(1000)
    growth = rss_bytes() - before
    assert growth < 8 << 20, f"RSS grew by {growth / 2**20:.1f} MiB over 1,000 calls"
