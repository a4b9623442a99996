"""MobileNetV2 at width 0.35 (torchvision's layout: 17 inverted residual blocks, a 1280-channel last conv, ReLU6,
batch norm), trained in PyTorch on an image folder and exported to ONNX (opset 13, eval mode: the exporter folds
batch norm into the convolutions), for the MobileNetV2 import benchmark (bench/mobilenetv2.md).

    /usr/bin/python3 bench/mobilenetv2/model.py DATA_DIR SIZE EPOCHS OUT.onnx

Adam with a one-cycle schedule to 3e-3, batch 64, seed 1, 2 threads. Prints the test accuracy after every epoch.
"""
import glob
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image


def divisible(v, d=8):
    n = max(d, int(v + d / 2) // d * d)
    return n + d if n < 0.9 * v else n


class ConvBnRelu6(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True)
        )


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = int(round(cin * expand))
        self.residual = stride == 1 and cin == cout
        layers = [] if expand == 1 else [ConvBnRelu6(cin, hidden, 1)]
        layers += [ConvBnRelu6(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes, alpha=0.35):
        super().__init__()
        settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
        c = divisible(32 * alpha)
        features = [ConvBnRelu6(3, c, 3, 2)]
        for t, channels, n, s in settings:
            out = divisible(channels * alpha)
            for i in range(n):
                features.append(InvertedResidual(c, out, s if i == 0 else 1, t))
                c = out
        features.append(ConvBnRelu6(c, 1280, 1))
        self.features = nn.Sequential(*features)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(1280, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def load(folder, size):
    classes = sorted(os.listdir(os.path.join(folder, 'train')))
    out = {}
    for split in ['train', 'val', 'test']:
        xs, ys = [], []
        for ci, c in enumerate(classes):
            for f in sorted(glob.glob(os.path.join(folder, split, c, '*.png'))):
                im = Image.open(f).convert('RGB').resize((size, size), Image.BILINEAR)
                xs.append(np.asarray(im, dtype=np.float32) / 255.0)
                ys.append(ci)
        out[split] = (torch.tensor(np.stack(xs)).permute(0, 3, 1, 2).contiguous(), torch.tensor(ys))
    return classes, out


if __name__ == '__main__':
    folder, size, epochs, onnx_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    torch.manual_seed(1)
    torch.set_num_threads(2)
    classes, data = load(folder, size)
    m = MobileNetV2(len(classes))
    print('parameters', sum(p.numel() for p in m.parameters()), flush=True)
    x, y = data['train']
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * ((len(y) + 63) // 64))
    for e in range(epochs):
        m.train()
        order = torch.randperm(len(y))
        t0 = time.time()
        for b in range(0, len(y), 64):
            i = order[b : b + 64]
            loss = nn.functional.cross_entropy(m(x[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        m.eval()
        with torch.no_grad():
            xt, yt = data['test']
            acc = (m(xt).argmax(1) == yt).float().mean().item()
        print(f'epoch {e + 1}: test {acc * 100:.2f}% of {len(yt)} ({time.time() - t0:.0f} s)', flush=True)
    torch.onnx.export(m, torch.zeros(1, 3, size, size), onnx_path, opset_version=13, input_names=['input'], output_names=['logits'])
