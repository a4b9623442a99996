// Loads LiteRT.js (@litertjs/core, WebAssembly + XNNPACK) in Node. Its loader expects a browser worker: it calls
// importScripts() on the Emscripten glue and then reads self.ModuleFactory. A small shim provides those for the
// duration of the load, runs the glue with vm.runInThisContext (giving it require/__filename/__dirname, so the glue
// takes its Node path and reads the .wasm beside it with fs), and captures the runtime's log lines.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import type { Environment, LiteRt } from '@litertjs/core';
import { packageRoot } from './paths.js';

export type LiteRtWasm = LiteRt['liteRtWasm'];

export interface LiteRtNode {
  wasm: LiteRtWasm;
  env: Environment;
  version: string; // 'LiteRT.js 2.5.3'
  // Log lines printed by the runtime since the last drain (kept out of the console; quoted in errors).
  drainLogs(): string[];
}

let loading: Promise<LiteRtNode> | undefined;

export function litertWasmDir(): string {
  return join(packageRoot(), 'node_modules', '@litertjs', 'core', 'wasm');
}

export function loadLiteRtNode(): Promise<LiteRtNode> {
  loading ??= load().catch((e: unknown) => {
    loading = undefined;
    throw new Error(`cannot load LiteRT.js from ${litertWasmDir()}: ${(e as Error).message}`);
  });
  return loading;
}

async function load(): Promise<LiteRtNode> {
  const logs: string[] = [];
  const g = globalThis as Record<string, unknown>;
  const shimmed = ['self', 'importScripts', 'Module', 'ModuleFactory'];
  const saved = new Map(shimmed.filter((k) => k in g).map((k) => [k, g[k]]));
  g.self ??= globalThis;
  g.importScripts = (file: string) => {
    const code = readFileSync(file, 'utf8');
    const factory = vm.runInThisContext(`(function (require, __filename, __dirname) {${code}\n;return ModuleFactory;})`, {
      filename: file,
    });
    g.ModuleFactory = (factory as (r: NodeRequire, f: string, d: string) => unknown)(createRequire(file), file, dirname(file));
  };
  // Emscripten takes print/printErr from the Module object it is given.
  g.Module = { print: (s: string) => logs.push(s), printErr: (s: string) => logs.push(s) };
  // The default environment tries WebGPU through navigator.gpu and warns when it is absent; wasm needs none.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('Failed to create default WebGPU device')) warn(...args);
  };
  try {
    const { loadLiteRt } = await import('@litertjs/core');
    const lrt = await loadLiteRt(litertWasmDir() + '/');
    return {
      wasm: lrt.liteRtWasm,
      env: lrt.getDefaultEnvironment(),
      version: `LiteRT.js ${packageVersion()}`,
      drainLogs: () => logs.splice(0),
    };
  } finally {
    console.warn = warn;
    for (const k of shimmed) {
      if (saved.has(k)) g[k] = saved.get(k);
      else delete g[k];
    }
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(litertWasmDir(), '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
