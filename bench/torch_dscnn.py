#!/usr/bin/env python3
"""PyTorch CPU yardstick for `npm run bench:train`: MLPerf Tiny DS-CNN training step, median ms/step as JSON.

--qat times the same network with torch.ao.quantization's fake quantization (conv + batch norm + ReLU fused for QAT,
per-channel int8 weights, int8 activations with moving-average observers): PyTorch's own QAT step."""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.ao.quantization as tq


def conv_bn_relu(cin, cout, kernel, stride, groups=1):
    # padding comes from SamePad in front, as TF 'SAME' pads (the extra row/col at the end)
    return [nn.Conv2d(cin, cout, kernel, stride, 0, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class SamePad(nn.Module):
    """TF 'SAME' padding for a fixed input size, kernel and stride."""

    def __init__(self, size, kernel, stride):
        super().__init__()
        pads = []
        for n, k, s in zip(size, kernel, stride):
            out = -(-n // s)
            total = max((out - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        (top, bottom), (left, right) = pads
        self.pad = (left, right, top, bottom)

    def forward(self, x):
        return nn.functional.pad(x, self.pad)


def ds_cnn(classes=12):
    layers = [SamePad((49, 10), (10, 4), (2, 2))] + conv_bn_relu(1, 64, (10, 4), 2)
    for _ in range(4):
        layers += [SamePad((25, 5), (3, 3), (1, 1))] + conv_bn_relu(64, 64, 3, 1, groups=64)
        layers += conv_bn_relu(64, 64, 1, 1)
    layers += [nn.AvgPool2d((25, 5)), nn.Flatten(), nn.Linear(64, classes)]
    return nn.Sequential(*layers)


def qat_model(net):
    convs = [i for i, m in enumerate(net) if isinstance(m, nn.Conv2d)]
    tq.fuse_modules_qat(net, [[str(i), str(i + 1), str(i + 2)] for i in convs], inplace=True)
    model = nn.Sequential(tq.QuantStub(), net, tq.DeQuantStub())
    model.qconfig = tq.get_default_qat_qconfig('fbgemm')  # per-channel int8 weights, int8 activations
    model.train()
    return tq.prepare_qat(model)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--batch', type=int, default=100)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--qat', action='store_true')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ds_cnn()
    model.train()
    if args.qat:
        model = qat_model(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(args.batch, 1, 49, 10)
    y = torch.randint(0, 12, (args.batch,))
    times, cpu = [], []
    for i in range(args.warmup + args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({'backend': 'pytorch-cpu', 'step': 'qat' if args.qat else 'float', 'torch': torch.__version__, 'threads': args.threads,
                      'batch': args.batch, 'steps': args.steps, 'msPerStep': statistics.median(times),
                      'minMs': min(times), 'cpuMsPerStep': statistics.median(cpu),
                      'loss': float(loss)}))


if __name__ == '__main__':
    main()
