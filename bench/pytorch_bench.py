"""PyTorch side of `npm run bench` (bench/run.ts starts one per thread count and keeps it).

Usage: /usr/bin/python3 bench/pytorch_bench.py THREADS
It prints {"ready": true, ...} once torch is imported, then takes one JSON request per line on stdin:
  {"w": <workload as in bench/workloads.ts>, "phase": "infer" | "train",
   "warmup": n, "minRuns": n, "minMs": ms, "maxRuns": n}
and one JSON line back per request: {"torch": version, "threads": n, "times": [ms, ...]}.
Staying up lets bench/run.ts interleave PyTorch's timing windows with torchlet's, so that both
see the same machine (a shared VM's throughput drifts over seconds). Inference runs under
torch.no_grad(); a training step is forward + out.sum().backward(), as in bench/run.ts.
"""
import json
import sys
import time

import torch


def sample_ms(fn, warmup, min_runs, min_ms, max_runs):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or ((time.perf_counter() - start) * 1000 < min_ms and len(times) < max_runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def build(w):
    torch.manual_seed(0)
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[w["mode"]]
    model = cls(w["input"], w["hidden"], num_layers=w["layers"], bidirectional=w["bidirectional"],
                batch_first=w["batchFirst"])
    shape = (w["batch"], w["steps"], w["input"]) if w["batchFirst"] else (w["steps"], w["batch"], w["input"])
    x = torch.randn(*shape)

    def infer():
        with torch.no_grad():
            model(x)

    def train():
        model.zero_grad(set_to_none=True)
        out, _ = model(x)
        out.sum().backward()

    return {"infer": infer, "train": train}


def main():
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    models = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        w = req["w"]
        if w["id"] not in models:
            models[w["id"]] = build(w)
        times = sample_ms(models[w["id"]][req["phase"]], req["warmup"], req["minRuns"], req["minMs"], req["maxRuns"])
        print(json.dumps({"torch": torch.__version__, "threads": threads, "times": times}), flush=True)


if __name__ == "__main__":
    main()
