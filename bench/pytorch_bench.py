"""PyTorch side of `npm run bench` (bench/run.ts spawns it): times the same workloads.

Usage: /usr/bin/python3 bench/pytorch_bench.py THREADS '<workloads JSON>'
Prints one JSON object: {"threads": n, "torch": version, "results": {id: {"infer": ms, "train": ms}}}
Inference runs under torch.no_grad(); a training step is forward + out.sum().backward(), as in
bench/run.ts. Times are medians of repeated runs after warm-up, in milliseconds.
"""
import json
import statistics
import sys
import time

import torch


def median_ms(fn, min_runs=5, min_seconds=1.0, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < min_seconds and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    threads = int(sys.argv[1])
    workloads = json.loads(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    results = {}
    for w in workloads:
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

        results[w["id"]] = {"infer": median_ms(infer), "train": median_ms(train)}
    print(json.dumps({"threads": threads, "torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
