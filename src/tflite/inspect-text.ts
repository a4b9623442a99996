// The human-readable rendering of an InspectReport: a summary, then one line per operator and per tensor.
import type { InspectReport, InspectTensor } from './inspect.js';

function fmtNum(n: number): string {
  return n.toLocaleString('en-US');
}

function fmtQuant(t: InspectTensor): string {
  if (t.scale.length === 0) return '';
  if (t.scale.length === 1) return `scale=${t.scale[0]!.toPrecision(6)} zp=${t.zeroPoint[0]}`;
  const lo = Math.min(...t.scale).toPrecision(4);
  const hi = Math.max(...t.scale).toPrecision(4);
  return `per-channel(dim ${t.quantizedDim ?? 0}) x${t.scale.length} scale=[${lo}..${hi}]`;
}

function fmtOptions(o: object): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
    .join(' ');
}

export function renderInspect(r: InspectReport, file?: string): string {
  const pct = (n: number) => (r.fileBytes ? ((100 * n) / r.fileBytes).toFixed(1) : '0.0');
  const lines = [
    `${file ?? 'model'}: ${fmtNum(r.fileBytes)} bytes (payload ${fmtNum(r.payloadBytes)}, metadata ${fmtNum(r.metadataBytes)}, overhead ${fmtNum(r.overheadBytes)} = ${pct(r.overheadBytes)}%)`,
    `MACs: ${fmtNum(r.macs)}   ops: ${r.operators.length}   tensors: ${r.tensors.length}` +
      (r.minRuntimeVersion ? `   min runtime: ${r.minRuntimeVersion}` : ''),
    `inputs: ${r.inputs.join(', ')}   outputs: ${r.outputs.join(', ')}`,
  ];
  if (r.description) lines.push(`description: ${r.description}`);
  lines.push('', 'operators:');
  for (const o of r.operators) {
    const macs = o.macs ? `  macs=${fmtNum(o.macs)}` : '';
    lines.push(
      `  #${o.index} ${o.op} v${o.version}  in=[${o.inputs.join(',')}] out=[${o.outputs.join(',')}]  ${fmtOptions(o.options)}${macs}`,
    );
  }
  lines.push('', 'tensors:');
  for (const t of r.tensors) {
    const sparsity =
      (t.sparsity === undefined ? '' : `  sparsity=${(100 * t.sparsity).toFixed(1)}%`) +
      (t.packed2of4Bytes === undefined ? '' : `  packed 2:4 ${fmtNum(t.packed2of4Bytes)} B`);
    const kind = t.constant ? 'const' : 'act';
    lines.push(`  #${t.index} ${t.name}  ${t.dtype}[${t.shape.join(',')}]  ${kind} ${fmtNum(t.bytes)} B  ${fmtQuant(t)}${sparsity}`);
  }
  const meta = Object.entries(r.metadata);
  if (meta.length) {
    lines.push('', 'metadata:');
    for (const [k, v] of meta) lines.push(`  ${k}: ${v.length > 80 ? `${v.slice(0, 77)}...` : v}`);
  }
  return lines.join('\n');
}
