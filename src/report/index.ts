// The report module's public surface: types, judging, baselines, metrics, writers.
export * from './types.js';
export { checkBudgets, finalizeReport, TOLERANT_RUNTIMES } from './budgets.js';
export { compareBaseline, parseTolerance, DEFAULT_TOLERANCE, type Tolerance } from './baseline.js';
export { correctness, datasetInfo, disagreements, modelFigures, pairedDrop, reportVersions, verificationFromRun } from './metrics.js';
export { readReport, parseReport, writeReportJson } from './json.js';
export { renderMarkdown } from './markdown.js';
export { renderJunit } from './junit.js';
export { renderPlots, renderSvg, type Plot } from './plots.js';
export { writeReport, type ReportFiles } from './write.js';
