#!/usr/bin/env python3
"""PyTorch peer for accuracy: a plain IndRNN (4 x 128 by default) with a simple recipe, trained on exactly the
parts our trainer uses, as written by scripts/export-split.ts (docs/data.md, "Accuracy against a PyTorch peer").

  node dist/scripts/export-split.js --cache nucla.cache --split cameras:1,2 --out /tmp/nucla-peer
  python3 scripts/accuracy-peer.py --data /tmp/nucla-peer

Recipe: the exported frames (first-frame centring) divided by the standard deviation of all training-part
values (one number); T segments with one random frame each in training, the centre frames at evaluation; no
augmentation; input Linear (the authors' kaiming-uniform, a = 8) -> IndRNN -> BN over batch x time ->
dropout per layer (scripts/indrnn_peer.py), classifier on the last step; Adam, batch 64 (the last partial
batch of an epoch dropped), gradients clamped to +-10, |u| <= mag^(1/T), lr / 10 for the last fifth of the
epochs. The validation part is evaluated after every epoch; the weights of the best evaluation (higher
accuracy, at equal accuracy lower loss) are the model; the test part is read once, at the end, with them
(with no validation part: the final weights). Seeded (torch and numpy).
Prints progress on stderr and one JSON line on stdout: testAccuracy, validationAccuracy, chosenEpoch, ...
"""
import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from indrnn_peer import IndRec, train_step

p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
p.add_argument('--data', required=True, help='folder written by scripts/export-split.ts')
p.add_argument('--epochs', type=int, default=200)
p.add_argument('--lr', type=float, default=2e-3)
p.add_argument('--batch', type=int, default=64)
p.add_argument('--segments', type=int, default=20)
p.add_argument('--depth', type=int, default=4)
p.add_argument('--hidden', type=int, default=128)
p.add_argument('--dropout', type=float, default=0.25)
p.add_argument('--mag', type=float, default=5.0)
p.add_argument('--decay-at', type=float, default=0.8, help='fraction of the epochs after which lr / 10')
p.add_argument('--seed', type=int, default=1)
p.add_argument('--threads', type=int, default=1, help='torch threads (1: on busy shared cores, more thrash OpenBLAS)')
args = p.parse_args()
for name in ('epochs', 'batch', 'segments', 'depth', 'hidden', 'threads'):
    if getattr(args, name) < 1:
        p.error(f'--{name} must be >= 1, got {getattr(args, name)}')
if not 0 <= args.dropout < 1 or not args.mag > 1 or not args.lr > 0 or not 0 <= args.decay_at <= 1:
    p.error(f'need 0 <= --dropout < 1, --mag > 1, --lr > 0, 0 <= --decay-at <= 1; got {args.dropout}, '
            f'{args.mag}, {args.lr}, {args.decay_at}')


def fail(message):
    print(f'accuracy-peer: {message}', file=sys.stderr)
    sys.exit(1)


def read_frames(path):
    """The F32 tensor 'frames' [N, D] of a safetensors file (8-byte header length, JSON header, data)."""
    with open(path, 'rb') as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], 'little')
    if len(raw) < 8 or n > len(raw) - 8:
        fail(f'{path}: header length {n} runs past the end of the file ({len(raw)} bytes; truncated?)')
    entry = json.loads(raw[8:8 + n]).get('frames')
    if not entry or entry.get('dtype') != 'F32' or len(entry.get('shape', [])) != 2:
        fail(f'{path}: no F32 tensor "frames" [N, D] (written by scripts/export-split.ts?)')
    begin, end = entry['data_offsets']
    rows, cols = entry['shape']
    if not 0 <= begin <= end <= len(raw) - 8 - n or end - begin != rows * cols * 4:
        fail(f'{path}: frames [{rows}, {cols}] need {rows * cols * 4} bytes, data_offsets [{begin}, {end}] '
             f'hold {end - begin} of the {len(raw) - 8 - n} data bytes')
    return np.frombuffer(raw, dtype='<f4', count=rows * cols, offset=8 + n + begin).reshape(rows, cols)


def load(folder):
    split_path, frames_path = os.path.join(folder, 'split.json'), os.path.join(folder, 'frames.safetensors')
    try:
        with open(split_path) as f:
            split = json.load(f)
        frames = read_frames(frames_path)
    except (OSError, ValueError) as e:
        fail(f'{folder}: {e} (write it with scripts/export-split.ts)')
    if split.get('format') != 'indrnn-peer-split' or split.get('version') != 1:
        fail(f'{split_path}: not an export of scripts/export-split.ts (format {split.get("format")!r}, '
             f'version {split.get("version")!r})')
    samples = split['samples']
    total = sum(s['frames'] for s in samples)
    if frames.shape != (total, split['frameSize']):
        fail(f'{frames_path}: frames {list(frames.shape)}, but {split_path} lists {len(samples)} samples of '
             f'{total} frames x {split["frameSize"]} values (written by different exports?)')
    K = len(split['labels'])
    bad = [s['id'] for s in samples if not 0 <= s['label'] < K or s['frames'] < 1]
    if bad:
        fail(f'{split_path}: sample {bad[0]} has a label outside 0..{K - 1} or no frames')
    starts = np.concatenate([[0], np.cumsum([s['frames'] for s in samples])[:-1]]).astype(np.int64)
    parts = {}
    for part in ('train', 'validation', 'test'):
        idx = [i for i, s in enumerate(samples) if s['part'] == part]
        parts[part] = {
            'start': starts[idx],
            'length': np.array([samples[i]['frames'] for i in idx], dtype=np.int64),
            'label': np.array([samples[i]['label'] for i in idx], dtype=np.int64),
        }
    return split, frames, parts


def segment_frames(length, T, rng):
    """Frame indices [n, T] (as sampleSegments in src/data/sampling.ts): segment i = [floor(i L / T),
    floor((i + 1) L / T)), a random frame of it with `rng`, its centre without."""
    i = np.arange(T)
    L = length[:, None]
    start = np.minimum(i * L // T, L - 1)
    seg = np.maximum(1, (i + 1) * L // T - start)
    pick = rng.integers(0, seg) if rng is not None else (seg - 1) // 2
    return start + pick


def batch(frames, part, idx, T, rng):
    rows = part['start'][idx, None] + segment_frames(part['length'][idx], T, rng)
    x = torch.from_numpy(frames[rows.reshape(-1)].reshape(len(idx), T, -1)).transpose(0, 1)
    return x.contiguous(), torch.from_numpy(part['label'][idx])


class PlainIndRNN(nn.Module):
    def __init__(self, inputs, classes):
        super().__init__()
        sizes = [inputs] + [args.hidden] * args.depth
        self.fc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.rec = nn.ModuleList(
            IndRec(args.hidden, args.segments, args.dropout, args.mag, last=k == args.depth - 1)
            for k in range(args.depth))
        self.classifier = nn.Linear(args.hidden, classes)
        for fc in self.fc:
            nn.init.kaiming_uniform_(fc.weight, a=8)
            nn.init.zeros_(fc.bias)
        nn.init.kaiming_normal_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):  # x: [T, B, D]
        for fc, rec in zip(self.fc, self.rec):
            x = rec(fc(x))
        return self.classifier(x[-1])


def evaluate(net, frames, part):
    """Accuracy and mean loss on a part, centre frames, batches of 256."""
    net.eval()
    n, correct, loss = len(part['label']), 0, 0.0
    with torch.no_grad():
        for s in range(0, n, 256):
            x, y = batch(frames, part, np.arange(s, min(s + 256, n)), args.segments, None)
            logits = net(x)
            loss += F.cross_entropy(logits, y, reduction='sum').item()
            correct += (logits.argmax(1) == y).sum().item()
    return correct / n, loss / n


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    split, frames, parts = load(args.data)
    train, val, test = parts['train'], parts['validation'], parts['test']
    n_train = len(train['label'])
    if n_train == 0 or len(test['label']) == 0:
        fail(f'{args.data}: {n_train} training and {len(test["label"])} test samples; both parts need some')
    train_rows = np.concatenate([np.arange(s, s + l) for s, l in zip(train['start'], train['length'])])
    std = float(frames[train_rows].std())
    frames = frames / (std if std > 0 else 1.0)
    net = PlainIndRNN(frames.shape[1], len(split['labels']))
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    decay_epoch = int(round(args.decay_at * args.epochs))
    steps_per_epoch = max(1, n_train // args.batch)
    has_val = len(val['label']) > 0
    best, history = None, []
    began = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        if epoch == decay_epoch + 1:
            for g in opt.param_groups:
                g['lr'] = args.lr / 10
        net.train()
        order = rng.permutation(n_train)
        losses = []
        for k in range(steps_per_epoch):
            x, y = batch(frames, train, order[k * args.batch:(k + 1) * args.batch], args.segments, rng)
            losses.append(train_step(net, opt, x, y).item())
        row = {'epoch': epoch, 'trainLoss': float(np.mean(losses))}
        if has_val:
            acc, vloss = evaluate(net, frames, val)
            row.update(validationAccuracy=acc, validationLoss=vloss)
            if best is None or acc > best['acc'] or (acc == best['acc'] and vloss < best['loss']):
                best = {'acc': acc, 'loss': vloss, 'epoch': epoch, 'weights': copy.deepcopy(net.state_dict())}
        history.append(row)
        print(f'epoch {epoch}/{args.epochs} train loss {row["trainLoss"]:.4f}'
              + (f' validation {100 * row["validationAccuracy"]:.1f} % (loss {row["validationLoss"]:.4f})'
                 if has_val else ''), file=sys.stderr, flush=True)
    train_seconds = time.perf_counter() - began
    if best is not None:
        net.load_state_dict(best['weights'])
    test_acc, test_loss = evaluate(net, frames, test)
    print(f'test accuracy {100 * test_acc:.1f} % ('
          + (f'weights of epoch {best["epoch"]}, validation {100 * best["acc"]:.1f} %' if best is not None
             else 'final weights: no validation part') + ')', file=sys.stderr)
    print(json.dumps({
        'testAccuracy': test_acc,
        'testLoss': test_loss,
        'validationAccuracy': best['acc'] if best is not None else None,
        'chosenEpoch': best['epoch'] if best is not None else args.epochs,
        'selection': 'validation' if best is not None else 'final',
        'clips': {part: len(parts[part]['label']) for part in parts},
        'split': split['split'],
        'cache': split['cache'],
        'validationCarve': split['validation'],
        'preprocessing': {'export': split['preprocessing'], 'std': std},
        'recipe': {k: getattr(args, k) for k in
                   ('epochs', 'lr', 'batch', 'segments', 'depth', 'hidden', 'dropout', 'mag', 'decay_at', 'seed')},
        'parameters': sum(w.numel() for w in net.parameters()),
        'trainSeconds': train_seconds,
        'samplesPerSec': args.epochs * steps_per_epoch * min(args.batch, n_train) / train_seconds,
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
        'history': history,
    }))


main()
