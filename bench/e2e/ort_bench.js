// Times an ONNX model with onnxruntime-node: node ort_bench.js MODEL.onnx BATCH CHANNELS SIZE RUNS THREADS
// Prints one JSON object: {"seconds": [per-run wall seconds]}.
const path = require('path');
const ort = require(path.join(process.env.ORT_NODE_DIR || '.', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, batch, channels, size, runs, threads] = process.argv.slice(2);
  const b = Number(batch), c = Number(channels), s = Number(size);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const data = new Float32Array(b * c * s * s);
  for (let i = 0; i < data.length; ++i) data[i] = Math.sin(i) * 2;  // deterministic, image-like range
  const feeds = {pixel_values: new ort.Tensor('float32', data, [b, c, s, s])};
  for (let i = 0; i < 2; ++i) await session.run(feeds);  // warm-up
  const seconds = [];
  for (let i = 0; i < Number(runs); ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    seconds.push(Number(process.hrtime.bigint() - start) * 1e-9);
  }
  console.log(JSON.stringify({seconds}));
}
main().catch((e) => { console.error(e); process.exit(1); });
