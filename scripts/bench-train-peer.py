#!/usr/bin/env python3
"""PyTorch CPU peer of `npm run bench:train`: the same res-IndRNN (5 blocks x 512, 150 inputs, 60 classes,
BN over batch x time, dropout with one mask per sequence, Adam) trained on random data, batch 128, T = 20.
The IndRNN layer (scripts/indrnn_peer.py, shared with the accuracy peer) loops over time with elementwise
tensor ops, as in the authors' CPU code.
Prints one JSON line: {"samplesPerSec": ..., "msPerStep": ..., "threads": ..., "torch": ...}.
Run by scripts/bench-train.ts in the same run as ours; alone: python3 scripts/bench-train-peer.py --threads 2
--profile: then 4 more steps under torch.profiler, printing where a step's CPU time goes (products vs the rest).
--infer: no training; the eval-mode latency of the same network for `npm run bench:infer` (run by
scripts/bench-infer.ts in the same run as ours): {"T20_B1_ms": ..., "T20_B64_ms": ..., "T300_B1_ms": ...}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn

from indrnn_peer import IndRec as Rec, train_step

p = argparse.ArgumentParser()
p.add_argument('--steps', type=int, default=10)
p.add_argument('--warmup', type=int, default=2)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--batch', type=int, default=128)
p.add_argument('--profile', action='store_true')
p.add_argument('--infer', action='store_true',
               help="eval-mode latency instead (scripts/bench-infer.ts): median ms of --runs forwards per case")
p.add_argument('--runs', type=int, default=50)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

T, I, H, K, BLOCKS, DROP, MAG = 20, 150, 512, 60, 5, 0.25, 5.0


def IndRec(last=False):
    return Rec(H, T, DROP, MAG, last)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.rec1, self.fc1, self.rec2, self.fc2 = IndRec(), nn.Linear(H, H), IndRec(), nn.Linear(H, H)

    def forward(self, x):
        return x + self.fc2(self.rec2(self.fc1(self.rec1(x))))


class ResIndRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc0 = nn.Linear(I, H)
        self.blocks = nn.Sequential(*[Block() for _ in range(BLOCKS)])
        self.final = IndRec(last=True)
        self.classifier = nn.Linear(H, K)

    def forward(self, x):  # x: [T, B, I]
        return self.classifier(self.final(self.blocks(self.fc0(x)))[-1])


if args.infer:
    # The cases of bench:infer: median of --runs forwards after 5 warm-up ones, eval mode, no autograd.
    import statistics

    net = ResIndRNN().eval()
    out = {'threads': torch.get_num_threads(), 'torch': torch.__version__}
    with torch.no_grad():
        for t, b in ((20, 1), (20, 64), (300, 1)):
            xi = torch.randn(t, b, I)
            for _ in range(5):
                net(xi)
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                net(xi)
                times.append(1000 * (time.perf_counter() - t0))
            out[f'T{t}_B{b}_ms'] = statistics.median(times)
    print(json.dumps(out))
    raise SystemExit(0)

net = ResIndRNN().train()
opt = torch.optim.Adam(net.parameters(), lr=2e-4)
x = torch.randn(T, args.batch, I)
labels = torch.randint(0, K, (args.batch,))


def step():
    train_step(net, opt, x, labels)


for _ in range(args.warmup):
    step()
start = time.perf_counter()
for _ in range(args.steps):
    step()
wall = time.perf_counter() - start
print(json.dumps({
    'samplesPerSec': args.steps * args.batch / wall,
    'msPerStep': 1000 * wall / args.steps,
    'threads': torch.get_num_threads(),
    'torch': torch.__version__,
    'parameters': sum(p.numel() for p in net.parameters()),
}))

if args.profile:
    import torch.profiler as tp

    with tp.profile(activities=[tp.ProfilerActivity.CPU]) as prof:
        for _ in range(4):
            step()
    ops = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in ops) / 4000
    products = sum(e.self_cpu_time_total for e in ops if e.key in ('aten::mm', 'aten::addmm')) / 4000
    for e in sorted(ops, key=lambda e: -e.self_cpu_time_total)[:12]:
        print(f'{e.key:36s} {e.self_cpu_time_total / 4000:7.1f} ms/step  {e.count / 4:5.0f} calls/step')
    print(f'self CPU time {total:.0f} ms/step: products (mm, addmm) {products:.0f}, the rest {total - products:.0f}')
