/**
 * The suite's chart: an SVG drawn from a results JSON, with no dependency. One panel per
 * item; goals are dashed lines. Regenerate one from a results file:
 *
 *   node --import tsx test/bench/chart.ts test/bench/results/full.json test/bench/results/full.svg
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BUNDLE_LIMIT_BYTES } from './goals';
import type { SuiteResults } from './results';

const PANEL_W = 470;
const PANEL_H = 300;
const COLOURS = {
  core: '#1f6feb',
  warm: '#6ea8fe',
  other: '#9a9a9a',
  other2: '#c9c9c9',
  bad: '#d1242f',
  good: '#1a7f37',
  text: '#1f2328',
  grid: '#d0d7de',
};

const round1 = (value: number) => Math.round(value * 10) / 10;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Bar {
  label: string;
  value: number;
  colour: string;
  note?: string;
}

/** A horizontal bar chart in a panel whose top-left corner is (x, y). */
function bars(
  x: number,
  y: number,
  title: string,
  rows: Bar[],
  options: { max: number; goal?: { at: number; label: string }; unit: (value: number) => string; log?: boolean; subtitle?: string },
): string {
  const left = x + 165;
  const width = PANEL_W - 165 - 115;
  const top = y + (options.subtitle ? 48 : 36);
  const rowH = Math.min(26, (PANEL_H - (top - y) - 24) / Math.max(rows.length, 1));
  const scale = (value: number) => {
    if (!options.log) return (Math.max(0, value) / options.max) * width;
    const min = 1;
    return (Math.log10(Math.max(value, min)) / Math.log10(options.max)) * width;
  };
  const parts = [`<text x="${x + 8}" y="${y + 20}" font-weight="bold">${esc(title)}</text>`];
  if (options.subtitle) parts.push(`<text x="${x + 8}" y="${y + 36}" font-size="11" fill="#57606a">${esc(options.subtitle)}</text>`);
  rows.forEach((row, i) => {
    const rowY = top + i * rowH;
    const w = scale(row.value);
    parts.push(`<text x="${left - 6}" y="${rowY + rowH * 0.65}" text-anchor="end" font-size="11">${esc(row.label)}</text>`);
    parts.push(
      `<rect x="${left}" y="${rowY + 2}" width="${Math.max(0, w).toFixed(1)}" height="${(rowH - 5).toFixed(1)}" fill="${row.colour}"/>`,
    );
    parts.push(
      `<text x="${(left + w + 4).toFixed(1)}" y="${rowY + rowH * 0.65}" font-size="11">${esc(options.unit(row.value) + (row.note ? ` ${row.note}` : ''))}</text>`,
    );
  });
  if (options.goal) {
    const gx = left + scale(options.goal.at);
    const bottom = top + rows.length * rowH;
    parts.push(
      `<line x1="${gx.toFixed(1)}" y1="${top - 4}" x2="${gx.toFixed(1)}" y2="${bottom}" stroke="${COLOURS.bad}" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${gx.toFixed(1)}" y="${bottom + 14}" font-size="10" fill="${COLOURS.bad}" text-anchor="middle">${esc(options.goal.label)}</text>`,
    );
  }
  return parts.join('\n');
}

function frame(x: number, y: number): string {
  return `<rect x="${x + 2}" y="${y + 2}" width="${PANEL_W - 4}" height="${PANEL_H - 4}" fill="#ffffff" stroke="${COLOURS.grid}"/>`;
}

function utilisationPanel(x: number, y: number, results: SuiteResults): string {
  const u = results.items.utilisation;
  if (!u) return placeholder(x, y, '1. Backend utilisation', 'not run');
  const colour: Record<string, string> = {
    core: COLOURS.core,
    'core-warm': COLOURS.warm,
    'per-request': COLOURS.other,
    dataloader: COLOURS.other2,
  };
  const rows = (['embeddings', 'chat'] as const).flatMap((kind) =>
    u.kinds[kind].contenders
      .filter((c) => c.median)
      .map((c) => ({
        label: `${kind === 'embeddings' ? 'embed' : kind} · ${c.name}`,
        value: c.median!.fractionOfBest * 100,
        colour: colour[c.name] ?? COLOURS.other,
        note: `(p99 ${Math.round(c.median!.p99Ms)} ms)`,
      })),
  );
  return bars(x, y, '1. Throughput, % of the best possible', rows, {
    max: 100,
    goal: { at: 95, label: 'goal 95%' },
    unit: (v) => `${v.toFixed(1)}%`,
    subtitle: `best: embed ${u.simulator.maxItemsPerSecond} items/s, chat ${u.chatSimulator?.maxRequestsPerSecond ?? 'n/a'} requests/s; ${u.workload.requests} requests, ${u.workload.callers} callers, median of ${u.workload.rounds}`,
  });
}

function throttlingPanel(x: number, y: number, results: SuiteResults): string {
  const t = results.items.throttling;
  if (!t || t.timeline.length === 0) return placeholder(x, y, '2. Throttling', 'not run');
  const left = x + 60;
  const top = y + 48;
  const width = PANEL_W - 90;
  const height = PANEL_H - 90;
  const last = t.timeline[t.timeline.length - 1]![0];
  const limit = t.options.tokensPerMinute;
  const ceiling = (s: number) => limit * (Math.floor(s / 60) + 1);
  const maxY = ceiling(last);
  const px = (s: number) => left + (s / last) * width;
  const py = (tokens: number) => top + height - (tokens / maxY) * height;
  const served = t.timeline.map(([s, tokens], i) => `${i === 0 ? 'M' : 'L'}${px(s).toFixed(1)},${py(tokens).toFixed(1)}`).join(' ');
  const steps: string[] = [];
  for (let s = 0; s <= last; s += 1) steps.push(`${s === 0 ? 'M' : 'L'}${px(s).toFixed(1)},${py(ceiling(s)).toFixed(1)}`);
  const parts = [
    `<text x="${x + 8}" y="${y + 20}" font-weight="bold">2. Tokens served under a ${limit.toLocaleString('en-US')} tokens/min limit</text>`,
    `<text x="${x + 8}" y="${y + 36}" font-size="11" fill="#57606a">${esc(`${(t.fractionOfLimitUsed * 100).toFixed(1)}% of the limit in [${t.options.windowFromS}, ${t.options.windowToS}) s; ${t.throttlesReachingCaller} throttles reached a caller`)}</text>`,
    `<line x1="${left}" y1="${top + height}" x2="${left + width}" y2="${top + height}" stroke="${COLOURS.grid}"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + height}" stroke="${COLOURS.grid}"/>`,
    `<path d="${steps.join(' ')}" fill="none" stroke="${COLOURS.bad}" stroke-dasharray="4 3"/>`,
    `<path d="${served}" fill="none" stroke="${COLOURS.core}" stroke-width="2"/>`,
    `<text x="${left - 4}" y="${top + 8}" font-size="10" text-anchor="end">${(maxY / 1000).toFixed(0)}k</text>`,
    `<text x="${left - 4}" y="${top + height}" font-size="10" text-anchor="end">0</text>`,
    `<text x="${left + width}" y="${top + height + 14}" font-size="10" text-anchor="end">${last} s</text>`,
    `<text x="${left + 6}" y="${top + height + 28}" font-size="10" fill="${COLOURS.core}">— tokens served (cumulative)</text>`,
    `<text x="${left + 200}" y="${top + height + 28}" font-size="10" fill="${COLOURS.bad}">- - most the limit allows</text>`,
  ];
  return parts.join('\n');
}

function overheadPanel(x: number, y: number, results: SuiteResults): string {
  const o = results.items.overhead;
  if (!o) return placeholder(x, y, '3. Overhead per request', 'not run');
  const rows = o.kinds.chat.stages.flatMap((stage) => {
    const embeddings = o.kinds.embeddings.stages.find((s) => s.stage === stage.stage)!;
    const short = stage.stage
      .replace('bare JSON.parse+stringify', 'parse+stringify')
      .replace(' (instant provider)', ' alone')
      .replace(' (HTTP)', '')
      .replace(/^bare HTTP: (.+)$/, '$1 POST');
    return [
      { label: `${short} · chat`, value: stage.microsPerRequest, colour: COLOURS.core },
      { label: `${short} · embed`, value: embeddings.microsPerRequest, colour: COLOURS.warm },
    ];
  });
  const max = Math.max(...rows.map((row) => row.value)) * 1.5;
  return bars(x, y, '3. CPU µs per request (log scale)', rows, {
    max,
    log: true,
    unit: (v) => `${v} µs`,
    subtitle: `simulator answering at once; ${o.options.lines} lines, median of ${o.options.rounds}`,
  });
}

function ingestPanel(x: number, y: number, results: SuiteResults): string {
  const ingest = results.items.ingest;
  if (!ingest) return placeholder(x, y, '4. Ingest as files grow', 'not run');
  const rows = [...ingest.sizes, ...(ingest.extra ?? [])].flatMap((size) => {
    const size_ = size.fileMiB >= 1024 ? `${round1(size.fileMiB / 1024)} GiB` : `${size.fileMiB} MiB`;
    const name = `${size_}${size.lineBytes && size.lineBytes !== 1024 ? ` (${size.lineBytes / 1024} KiB)` : ''}`;
    return [
      { label: `${name} · ingest`, value: size.ingestMibPerSecond, colour: COLOURS.core, note: `(peak RSS ${size.peakRssMiB} MiB)` },
      { label: `${name} · plain`, value: size.plainReadMibPerSecond, colour: COLOURS.other },
    ];
  });
  const max = Math.max(...rows.map((row) => row.value)) * 1.35;
  return bars(x, y, '4. Ingest vs a plain S3 read (MiB/s)', rows, {
    max,
    unit: (v) => `${v}`,
    subtitle: 'plain: the same object read with the S3 client; 1 KiB lines',
  });
}

function coldStartPanel(x: number, y: number, results: SuiteResults): string {
  const c = results.items.coldStart;
  if (!c) return placeholder(x, y, '5. Cold start', 'not run');
  const rows = c.functions
    .filter((f) => f.zipBytes > 0)
    .map((f) => ({
      label: f.name,
      value: f.zipBytes / 1024,
      colour: f.zipBytes < BUNDLE_LIMIT_BYTES ? COLOURS.good : COLOURS.bad,
      note: f.importRatio === null ? '' : `init ×${f.importRatio}`,
    }));
  const max = Math.max(...rows.map((row) => row.value), 300) * 1.45;
  return bars(x, y, '5. Zip KiB and init against the old bundle', rows, {
    max,
    goal: { at: 300, label: '300 KB' },
    unit: (v) => `${v.toFixed(0)}`,
    subtitle: `init ×: CPU time of a fresh require, against ${c.baselineRef} as packaged (goal ≤ 0.6)`,
  });
}

function endToEndPanel(x: number, y: number, results: SuiteResults): string {
  const e = results.items.endToEnd;
  if (!e) return placeholder(x, y, '6. End to end', 'not run');
  const rows = [
    { label: 'best possible', value: e.bestPossibleSeconds, colour: COLOURS.other },
    { label: 'local platform', value: e.wallSeconds, colour: COLOURS.core, note: `(${(e.fractionOfBest * 100).toFixed(0)}% of best)` },
  ];
  return bars(x, y, `6. A ${e.lines.toLocaleString('en-US')}-line job end to end (s)`, rows, {
    max: Math.max(e.wallSeconds, e.bestPossibleSeconds) * 1.4,
    unit: (v) => `${v} s`,
    subtitle: `${e.items} items · GPU busy ${((e.simulator.busy.embeddings ?? 0) * 100).toFixed(0)}% embed, ${((e.simulator.busy.chat ?? 0) * 100).toFixed(0)}% chat · AWS calls $${e.awsCalls.usdPerMillionRequests.total.toFixed(2)}/M requests`,
  });
}

function placeholder(x: number, y: number, title: string, text: string): string {
  return `<text x="${x + 8}" y="${y + 20}" font-weight="bold">${esc(title)}</text><text x="${x + 8}" y="${y + 48}" fill="#57606a">${esc(text)}</text>`;
}

/** The chart of a run, as an SVG document. */
export function renderChart(results: SuiteResults): string {
  const panels = [utilisationPanel, throttlingPanel, overheadPanel, ingestPanel, coldStartPanel, endToEndPanel];
  const width = PANEL_W * 2;
  const height = 40 + PANEL_H * 3;
  const body = panels.map((panel, i) => {
    const x = (i % 2) * PANEL_W;
    const y = 40 + Math.floor(i / 2) * PANEL_H;
    return `${frame(x, y)}\n${panel(x, y, results)}`;
  });
  const heading = `Benchmarks (${results.mode}) · ${results.machine.nproc} × ${results.machine.cpuModel} · Node ${results.machine.node} · ${results.startedAt.slice(0, 10)} · ${results.machine.commit}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="${COLOURS.text}">`,
    `<rect width="${width}" height="${height}" fill="#f6f8fa"/>`,
    `<text x="10" y="26" font-size="14" font-weight="bold">${esc(heading)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

if (require.main === module) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node --import tsx test/bench/chart.ts <results.json> <chart.svg>');
    process.exit(2);
  }
  writeFileSync(output, renderChart(JSON.parse(readFileSync(input, 'utf8')) as SuiteResults));
}
