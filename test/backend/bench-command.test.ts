// pqk bench train --json prints { backend, model, batch, msPerStep, steps } for a real (small) training run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchTrainCommand } from '../../src/cli/commands/bench.js';
import { UserError, type CommandContext } from '../../src/cli/command.js';

function ctx(values: CommandContext['values']): CommandContext {
  return { values, positionals: [], json: true, log: () => {} };
}

describe('bench train command', () => {
  it('times DS-CNN steps on the native backend and prints the JSON summary', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    // the test runner itself writes binary frames to stdout; the command writes one JSON string
    process.stdout.write = ((s: unknown, ...rest: unknown[]) =>
      typeof s === 'string' && s.startsWith('{') ? (out.push(s), true) : (write as (...a: unknown[]) => boolean)(s, ...rest)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await benchTrainCommand.run(ctx({ model: 'ds-cnn', batch: '8', steps: '2', warmup: '1', backend: 'native', bn: 'fused' }));
    } finally {
      process.stdout.write = write;
    }
    assert.equal(code, 0);
    const r = JSON.parse(out.join('')) as Record<string, unknown>;
    assert.equal(r.backend, 'native');
    assert.equal(r.model, 'ds-cnn');
    assert.equal(r.batch, 8);
    assert.equal(r.steps, 2);
    assert.ok(typeof r.msPerStep === 'number' && r.msPerStep > 0 && r.msPerStep < 60_000);
    assert.ok(typeof r.loss === 'number' && Number.isFinite(r.loss) && r.loss > 0);
  });

  it('rejects an unknown model with a UserError naming the flag', async () => {
    await assert.rejects(benchTrainCommand.run(ctx({ model: 'vgg' })), (e: unknown) => e instanceof UserError && /--model must be one of ds-cnn, got 'vgg'/.test(e.message));
  });
});
