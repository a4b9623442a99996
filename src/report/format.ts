// How figures print in report.md, JUnit messages and the CLI: one place, so all three read the same.
import type { BudgetUnit } from './types.js';

export const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatValue(value: number, unit: BudgetUnit): string {
  switch (unit) {
    case 'bytes':
      return `${INT.format(value)} B`;
    case 'instructions':
      return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M instr` : `${INT.format(value)} instr`;
    case 'ms':
      return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
    case 'accuracy':
      return `${(value * 100).toFixed(2)}%`;
    case 'values':
      return `${INT.format(value)} ${value === 1 ? 'value' : 'values'}`;
    case 'lsb':
      return `${INT.format(value)} LSB`;
    case 'ops':
      return `${INT.format(value)} ${value === 1 ? 'op' : 'ops'}`;
  }
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

export function formatOptional(value: number | null | undefined, unit: BudgetUnit): string {
  return value === null || value === undefined ? '—' : formatValue(value, unit);
}
