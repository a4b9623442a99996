// Writes a run's report files into its folder: report.json, report.md with its SVG plots beside it, junit.xml.
import { join } from 'node:path';
import type { TargetProfile } from '../targets/types.js';
import { atomicWrite } from '../util/fs.js';
import { writeReportJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderPlots } from './plots.js';
import type { RunReport } from './types.js';

export interface ReportFiles {
  json: string;
  markdown: string;
  junit: string;
  plots: string[];
}

export async function writeReport(dir: string, report: RunReport, target?: TargetProfile): Promise<ReportFiles> {
  const plots = await renderPlots(report);
  const files: ReportFiles = {
    json: join(dir, 'report.json'),
    markdown: join(dir, 'report.md'),
    junit: join(dir, 'junit.xml'),
    plots: plots.map((p) => join(dir, p.file)),
  };
  for (const p of plots) atomicWrite(join(dir, p.file), p.svg);
  atomicWrite(files.markdown, renderMarkdown(report, plots, target));
  atomicWrite(files.junit, renderJunit(report.budgets, { target: report.target, timestamp: report.createdAt }));
  // report.json last: its presence means the whole set is complete.
  writeReportJson(files.json, report);
  return files;
}
