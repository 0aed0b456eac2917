/*
 * The status page's script (served as /console/console.js; no build step, no framework).
 *
 * It asks for an API key (kept in sessionStorage, so only in this tab), then polls the
 * platform's own API with it: GET /v1/batches, /v1/requests, /v1/models and /v1/status.
 * Everything the API returns is put into the page as text (textContent, SVG attributes set
 * from numbers), never as markup, and the page's CSP allows no inline script or style.
 *
 * The first half is pure (no DOM): node's tests load this file with require() and check it.
 */

/** Most samples kept per job: two minutes at the default poll interval. */
const MAX_SAMPLES = 120;
const KEY_STORAGE = 'inference-platform.console.apiKey';
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];

/**
 * Lines of a batch settled so far (completed or failed). `request_counts` moves once per
 * chunk; when the batch object carries the finer, advisory `progress.processed` extension
 * (lines of chunks still running included) and it is further along, that is used instead.
 */
function linesDone(batch) {
  const counts = batch.request_counts || { completed: 0, failed: 0 };
  const done = (counts.completed || 0) + (counts.failed || 0);
  const processed = batch.progress && typeof batch.progress === 'object' ? batch.progress.processed : undefined;
  return typeof processed === 'number' && Number.isFinite(processed) ? Math.max(done, processed) : done;
}

/** Lines of a batch in all (0 while it is validating). */
const linesTotal = (batch) => (batch.request_counts ? batch.request_counts.total || 0 : 0);

/**
 * Adds a poll's reading `{ t, done }` (t in ms) to a job's samples: a reading no later than
 * the last one is dropped, `done` never goes below the last (the advisory progress may step
 * back when a running chunk is sent back to the queue; the bar does not), and only the last
 * {@link MAX_SAMPLES} are kept. Returns a new array.
 */
function addSample(samples, t, done) {
  const last = samples[samples.length - 1];
  if (last && t <= last.t) return samples;
  return [...samples, { t, done: Math.max(done, last ? last.done : 0) }].slice(-MAX_SAMPLES);
}

/** The span rates are averaged over: a job moves in chunks, so a single poll's rate is mostly 0 or a spike. */
const RATE_WINDOW_MS = 3000;

/**
 * Throughput in lines per second at each sample after the first: the lines done since the
 * earliest sample at most `windowMs` before it (the one just before, when none is that
 * recent), over the time between them. A count that went down (never expected) counts as
 * no progress.
 */
function throughput(samples, windowMs = RATE_WINDOW_MS) {
  const series = [];
  let from = 0;
  for (let i = 1; i < samples.length; i++) {
    const after = samples[i];
    while (from < i - 1 && samples[from].t < after.t - windowMs) from++;
    const before = samples[from];
    const seconds = (after.t - before.t) / 1000;
    if (seconds > 0) series.push({ t: after.t, rate: Math.max(0, after.done - before.done) / seconds });
  }
  return series;
}

/** The smallest of 1, 2, 5 × 10^k that is at least `value` (1 for nothing to show). */
function niceCeiling(value) {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value * (1 - 1e-12)) return step * magnitude;
  return 10 * magnitude;
}

/**
 * Where a throughput series goes in a `width` × `height` chart: time left to right over
 * the series' span, rate bottom to top from 0 to a round maximum. Returns the polyline's
 * points (`"x,y x,y"`, rounded to a tenth) and that maximum.
 */
function chartPoints(series, width, height) {
  const max = niceCeiling(Math.max(0, ...series.map((point) => point.rate)));
  if (series.length === 0) return { points: '', max };
  const t0 = series[0].t;
  const span = series[series.length - 1].t - t0;
  const round = (n) => Math.round(n * 10) / 10;
  const points = series.map((point) => {
    const x = span > 0 ? ((point.t - t0) / span) * width : width;
    const y = height - (point.rate / max) * height;
    return `${round(x)},${round(y)}`;
  });
  return { points: points.join(' '), max };
}

/** A finished job's average throughput over its run (lines/s), or undefined when it never ran. */
function averageRate(batch) {
  const end = batch.completed_at || batch.failed_at || batch.cancelled_at || batch.expired_at || batch.finalizing_at;
  if (!batch.in_progress_at || !end || end <= batch.in_progress_at) return undefined;
  return linesDone(batch) / (end - batch.in_progress_at);
}

/**
 * A batch's error counts by code, most frequent first: the per-line `error_counts`
 * extension of the batch object, and the code of a batch that failed as a whole.
 */
function errorEntries(batch) {
  const counts = batch.error_counts && typeof batch.error_counts === 'object' ? batch.error_counts : {};
  const entries = Object.entries(counts)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const whole = batch.errors && Array.isArray(batch.errors.data) ? batch.errors.data : [];
  return [
    ...entries.map(([code, count]) => ({ code, count, whole: false })),
    ...whole.map((e) => ({ code: String(e.code), count: 1, whole: true })),
  ];
}

/** A rate for people: `0`, `3.4`, `120`. */
function formatRate(rate) {
  if (!(rate > 0)) return '0';
  return rate >= 100 ? String(Math.round(rate)) : String(Math.round(rate * 10) / 10);
}

/** Unix seconds as local time of day, or an empty string. */
function formatTime(unixSeconds) {
  if (typeof unixSeconds !== 'number') return '';
  return new Date(unixSeconds * 1000).toLocaleTimeString();
}

const pure = {
  RATE_WINDOW_MS,
  linesDone,
  linesTotal,
  addSample,
  throughput,
  niceCeiling,
  chartPoints,
  averageRate,
  errorEntries,
  formatRate,
  formatTime,
};
if (typeof module === 'object' && module.exports) module.exports = pure;

/* ---- The page (browser only) ---- */

const SVG = 'http://www.w3.org/2000/svg';
const CHART = { width: 320, height: 72 };

/** An element with attributes (values as strings) and children (strings become text nodes). */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {}))
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  for (const child of children) if (child !== undefined && child !== null) element.append(child instanceof Node ? child : String(child));
  return element;
}

function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** An API error worth stopping for (the key was refused). */
class KeyRefused extends Error {}

function startPage() {
  const params = new URLSearchParams(location.search);
  const interval = Math.max(250, Number(params.get('interval')) || 1000);
  // Relative to /console (or /<stage>/console once deployed): the API is beside the page.
  const api = (path) => new URL(path, location.href).toString();
  const samples = new Map();
  const form = document.getElementById('key-form');
  const input = document.getElementById('api-key');
  const forget = document.getElementById('forget-key');
  const dashboard = document.getElementById('dashboard');
  const statusLine = document.getElementById('status-line');
  let timer;

  async function get(path) {
    const key = sessionStorage.getItem(KEY_STORAGE);
    const response = await fetch(api(path), { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' });
    if (response.status === 401) throw new KeyRefused('The API key was refused.');
    if (response.status === 404) return undefined;
    const body = await response.json().catch(() => undefined);
    if (!response.ok) throw new Error(body?.error?.message || `${path} answered ${response.status}`);
    return body;
  }

  function show(connected) {
    dashboard.hidden = !connected;
    forget.hidden = !connected;
    input.hidden = connected;
    document.getElementById('api-key-label').hidden = connected;
    form.querySelector('button[type=submit]').hidden = connected;
  }

  async function poll() {
    try {
      const [batches, requests, models, status] = await Promise.all([
        get('v1/batches?limit=20'),
        get('v1/requests?limit=20'),
        get('v1/models'),
        get('v1/status'),
      ]);
      const now = Date.now();
      const jobs = batches ? batches.data : [];
      for (const batch of jobs) samples.set(batch.id, addSample(samples.get(batch.id) || [], now, linesDone(batch)));
      renderJobs(jobs);
      renderRequests(requests);
      renderModels(models, status);
      statusLine.textContent = `Updated ${new Date(now).toLocaleTimeString()}; every ${interval / 1000} s.`;
      timer = setTimeout(poll, interval);
    } catch (error) {
      if (error instanceof KeyRefused) {
        sessionStorage.removeItem(KEY_STORAGE);
        show(false);
        statusLine.textContent = 'That API key was refused. Enter another one.';
        return;
      }
      statusLine.textContent = `Could not reach the API (${error.message}); trying again.`;
      timer = setTimeout(poll, interval * 2);
    }
  }

  function renderJobs(jobs) {
    const list = document.getElementById('jobs');
    if (jobs.length === 0) {
      list.replaceChildren(h('p', { class: 'empty' }, 'No batch jobs yet.'));
      return;
    }
    list.replaceChildren(...jobs.map(jobCard));
  }

  function jobCard(batch) {
    const history = samples.get(batch.id) || [];
    const done = history.length ? history[history.length - 1].done : linesDone(batch);
    const total = linesTotal(batch);
    const counts = batch.request_counts || { completed: 0, failed: 0 };
    const source = batch.metadata?.source_key || batch.input_file_id || '';
    const bar = h('progress', { max: Math.max(total, 1), value: total > 0 ? done : 0, 'aria-label': `progress of ${batch.id}` });
    return h(
      'article',
      { class: 'job', 'data-batch-id': batch.id, 'data-status': batch.status },
      h(
        'header',
        {},
        h('code', { class: 'job-id' }, batch.id),
        h('span', { class: `badge status-${batch.status}` }, batch.status),
        h('span', { class: 'source', title: source }, source),
        h('span', { class: 'created' }, `created ${formatTime(batch.created_at)}`),
      ),
      h(
        'div',
        { class: 'progress' },
        bar,
        h(
          'span',
          { class: 'counts' },
          total > 0 ? `${done.toLocaleString()} of ${total.toLocaleString()} lines` : 'counting lines…',
          total > 0 ? ` · ${counts.completed.toLocaleString()} completed, ${counts.failed.toLocaleString()} failed` : '',
        ),
      ),
      throughputChart(batch),
      errorList(batch),
    );
  }

  function throughputChart(batch) {
    const series = throughput(samples.get(batch.id) || []);
    const { points, max } = chartPoints(series, CHART.width, CHART.height);
    const chart = svg('svg', {
      class: 'chart',
      viewBox: `0 0 ${CHART.width} ${CHART.height}`,
      width: CHART.width,
      height: CHART.height,
      role: 'img',
      'aria-label': `throughput of ${batch.id}, lines per second`,
    });
    chart.append(svg('line', { x1: 0, y1: CHART.height, x2: CHART.width, y2: CHART.height, class: 'axis' }));
    if (points) chart.append(svg('polyline', { points, class: 'rate' }));
    const latest = series.length ? series[series.length - 1].rate : undefined;
    const span = series.length > 1 ? ` over the last ${Math.round((series[series.length - 1].t - series[0].t) / 1000)} s` : '';
    const average = averageRate(batch);
    const caption =
      latest !== undefined && !TERMINAL.includes(batch.status)
        ? `${formatRate(latest)} lines/s now · scale 0–${max} lines/s${span}`
        : average !== undefined
          ? `${formatRate(average)} lines/s on average over its run${series.length ? ` · scale 0–${max} lines/s` : ''}`
          : 'measuring…';
    return h('figure', { class: 'throughput' }, chart, h('figcaption', {}, caption));
  }

  function errorList(batch) {
    const entries = errorEntries(batch);
    if (entries.length === 0) return h('p', { class: 'errors none' }, 'No errors.');
    return h(
      'ul',
      { class: 'errors' },
      ...entries.map((e) =>
        h('li', { 'data-code': e.code }, h('code', {}, e.code), e.whole ? ' (the whole batch)' : ` × ${e.count.toLocaleString()}`),
      ),
    );
  }

  function renderRequests(page) {
    const body = document.getElementById('requests');
    if (!page) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 6 }, 'Listing requests is not available on this platform.')));
      return;
    }
    if (page.data.length === 0) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No async requests yet.')));
      return;
    }
    body.replaceChildren(
      ...page.data.map((request) =>
        h(
          'tr',
          { 'data-request-id': request.id },
          h('td', {}, h('code', {}, request.id)),
          h('td', {}, request.url),
          h('td', {}, h('span', { class: `badge status-${request.status}` }, request.status)),
          h('td', {}, formatTime(request.created_at)),
          h('td', {}, formatTime(request.completed_at || request.failed_at)),
          h('td', {}, request.error ? `${request.error.code}: ${request.error.message}` : ''),
        ),
      ),
    );
  }

  function renderModels(models, status) {
    const body = document.getElementById('models');
    const health = new Map((status ? status.models : []).map((model) => [model.id, model]));
    const list = models ? models.data : [];
    body.replaceChildren(
      ...list.map((model) => {
        const entry = health.get(model.id);
        return h(
          'tr',
          { 'data-model': model.id },
          h('td', {}, h('code', {}, model.id)),
          h('td', {}, entry ? entry.kind : ''),
          h(
            'td',
            { class: 'backends' },
            ...(entry
              ? entry.backends.map((backend) =>
                  h(
                    'span',
                    { class: `backend health-${backend.health}`, 'data-backend': backend.name, title: backend.detail || '' },
                    `${backend.name}: ${backend.health}`,
                  ),
                )
              : ['backend health not available']),
          ),
        );
      }),
    );
  }

  function connect() {
    clearTimeout(timer);
    show(true);
    statusLine.textContent = 'Loading…';
    void poll();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    input.value = '';
    connect();
  });
  forget.addEventListener('click', () => {
    clearTimeout(timer);
    sessionStorage.removeItem(KEY_STORAGE);
    samples.clear();
    show(false);
    statusLine.textContent = 'Key forgotten. Enter an API key to see your tenant’s jobs.';
  });
  if (sessionStorage.getItem(KEY_STORAGE)) connect();
}

if (typeof document !== 'undefined') startPage();
