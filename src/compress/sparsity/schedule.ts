// Sparsity schedules: the levels of PQK's iterative prune-and-retrain rounds, and TFMOT's PolynomialDecay for
// pruning during training.

export type StepRule = 'geometric' | 'cubic';

/**
 * Levels of `steps` prune-and-retrain rounds ending exactly at `final`, strictly increasing.
 * 'geometric' (default): every round prunes the same fraction of the weights still kept, so the kept fraction after
 *   round k is (1 - final)^(k/steps): level_k = 1 - (1 - final)^(k/steps). final 0.9 in 3 -> 0.5358, 0.7846, 0.9.
 * 'cubic': Zhu & Gupta's gradual rule sampled at the rounds: level_k = final * (1 - (1 - k/steps)^3).
 *   final 0.9 in 3 -> 0.6333, 0.8667, 0.9.
 */
export function pqkSteps(opts: { final: number; steps: number; rule?: StepRule }): number[] {
  const { final, steps, rule = 'geometric' } = opts;
  if (!(final > 0 && final < 1)) throw new RangeError(`pqkSteps: final ${final} is outside (0, 1)`);
  if (!(Number.isInteger(steps) && steps >= 1)) {
    throw new RangeError(`pqkSteps: steps ${steps} is not a positive integer`);
  }
  const levels: number[] = [];
  for (let k = 1; k < steps; k++) {
    const t = k / steps;
    levels.push(rule === 'geometric' ? 1 - Math.pow(1 - final, t) : final * (1 - Math.pow(1 - t, 3)));
  }
  levels.push(final); // the last round lands on the target without rounding drift
  return levels;
}

export interface PolynomialDecayOptions {
  initial: number; // sparsity at beginStep, in [0, 1)
  final: number; // sparsity from endStep on, in [0, 1)
  beginStep: number;
  endStep: number;
  frequency: number; // masks are updated every `frequency` steps from beginStep
  power?: number; // default 3
}

export interface PolynomialDecay {
  (step: number): number; // level of the masks at `step`: the value at the last pruning step, clamped outside
  shouldPrune(step: number): boolean; // whether masks are recomputed at `step`
  raw(step: number): number; // TFMOT's value at `step` itself (no holding between pruning steps)
}

function checkDecay(o: PolynomialDecayOptions): void {
  for (const key of ['initial', 'final'] as const) {
    if (!(o[key] >= 0 && o[key] < 1)) throw new RangeError(`polynomialDecay: ${key} ${o[key]} is outside [0, 1)`);
  }
  for (const key of ['beginStep', 'endStep', 'frequency'] as const) {
    if (!Number.isInteger(o[key])) throw new RangeError(`polynomialDecay: ${key} ${o[key]} is not an integer`);
  }
  if (o.beginStep < 0) throw new RangeError(`polynomialDecay: beginStep ${o.beginStep} < 0`);
  if (o.endStep <= o.beginStep) {
    throw new RangeError(`polynomialDecay: endStep ${o.endStep} <= beginStep ${o.beginStep}`);
  }
  if (o.frequency < 1) throw new RangeError(`polynomialDecay: frequency ${o.frequency} < 1`);
}

/**
 * TFMOT's PolynomialDecay: s(step) = final + (initial - final) * (1 - p)^power, p = (step - begin) / (end - begin)
 * clamped to [0, 1]; masks change only when shouldPrune(step):
 * begin <= step <= end and (step - begin) % frequency == 0.
 * TFMOT evaluates in float32; this evaluates in float64, so values agree within float32 rounding.
 * When (end - begin) is not a multiple of frequency the last update falls before endStep and, as in TFMOT, the
 * masks never reach `final`: choose endStep = beginStep + k * frequency.
 */
export function polynomialDecay(opts: PolynomialDecayOptions): PolynomialDecay {
  checkDecay(opts);
  const { initial, final, beginStep, endStep, frequency, power = 3 } = opts;
  const raw = (step: number): number => {
    const p = Math.min(1, Math.max(0, (step - beginStep) / (endStep - beginStep)));
    return final + (initial - final) * Math.pow(1 - p, power);
  };
  const shouldPrune = (step: number): boolean => step >= beginStep && step <= endStep && (step - beginStep) % frequency === 0;
  const held = (step: number): number => {
    if (step <= beginStep || step >= endStep) return raw(step);
    return raw(beginStep + Math.floor((step - beginStep) / frequency) * frequency);
  };
  return Object.assign(held, { shouldPrune, raw });
}
