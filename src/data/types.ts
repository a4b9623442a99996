// A dataset as training, quantization and verification see it: features already computed, float32, flattened.

export interface Split {
  x: Float32Array; // (n, ...inputShape), row-major
  y: Int32Array; // (n) class indices into Dataset.labels
  n: number;
}

export interface MfccParams {
  sampleRate: number; // 16000
  clipSamples: number; // 16000 (1 s)
  windowMs: number; // 40
  hopMs: number; // 20
  fftSize: number; // 1024
  melBands: number; // 40
  lowHz: number; // 20
  highHz: number; // 4000
  coefficients: number; // 10
  frames: number; // 49
}

export interface Dataset {
  name: string; // 'speech-commands:<dir>', 'mnist', 'fashion-mnist', ...
  task: 'kws' | 'image';
  labels: string[];
  inputShape: number[]; // per sample, NHWC without N: [49, 10, 1] for KWS, [28, 28, 1] for images
  train: Split;
  val: Split;
  test: Split;
  frontend?: MfccParams; // set for KWS sets so export can record it
}
