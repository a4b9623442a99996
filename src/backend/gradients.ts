// tfjs-core alone registers no gradients; tfjs-layers' node bundle registers tfjs-core's full set when imported.
import { getGradient } from '@tensorflow/tfjs-core';

export async function ensureGradients(): Promise<void> {
  if (getGradient('Conv2D') !== undefined) return;
  await import('@tensorflow/tfjs-layers');
  if (getGradient('Conv2D') === undefined) throw new Error('@tensorflow/tfjs-layers did not register the tfjs-core gradients');
}
