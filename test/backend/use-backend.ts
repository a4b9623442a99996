// Switches tfjs to a backend that initialises synchronously (cpu, native) inside synchronous test code: the switch
// is complete when setBackend returns, which this checks instead of leaving its promise unexamined.
import * as tf from '@tensorflow/tfjs-core';

export function useBackend(name: string): void {
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`tfjs backend '${name}' did not become active (still '${tf.getBackend()}')`);
}
