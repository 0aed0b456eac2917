import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { ROOT, tsxImport } from './childProcess';

/**
 * A GPU pool's admission in front of the simulator, for item 12: a proxy in a process of
 * its own that forwards every request to the simulator, but answers an inference POST
 * with 429 (`rate_limit_error`, no Retry-After) while `capacity` of them are already in
 * flight, as a pool's gateway (or Bedrock's quota) refuses work beyond what it can hold.
 * It counts what it forwarded and refused, and the most in flight at once.
 *
 *   node --import tsx test/bench/poolGate.ts --target http://127.0.0.1:8100 --capacity 128
 */

/** What the gate counted since its start or last reset. */
export interface PoolGateStats {
  forwarded: number;
  throttled: number;
  peakInFlight: number;
}

/** A running gate. */
export interface PoolGateProcess {
  url: string;
  stats(): Promise<PoolGateStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

function serve(target: URL, capacity: number): void {
  const agent = new http.Agent({ keepAlive: true, timeout: 4_000 });
  let inFlight = 0;
  let stats: PoolGateStats = { forwarded: 0, throttled: 0, peakInFlight: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/_gate/stats') return void res.end(JSON.stringify(stats));
    if (req.url === '/_gate/reset') {
      stats = { forwarded: 0, throttled: 0, peakInFlight: inFlight };
      return void res.end('{}');
    }
    const counted = req.method === 'POST';
    if (counted && inFlight >= capacity) {
      stats.throttled += 1;
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: `the pool holds ${capacity} requests at once`, type: 'rate_limit_error' } }));
    }
    if (counted) {
      inFlight += 1;
      stats.forwarded += 1;
      stats.peakInFlight = Math.max(stats.peakInFlight, inFlight);
    }
    let done = false;
    const finish = () => {
      if (counted && !done) inFlight -= 1;
      done = true;
    };
    res.once('close', finish);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    console.log(`pool gate listening on http://127.0.0.1:${port}`);
  });
}

/** Starts the gate in a child process in front of `targetUrl`. */
export async function startPoolGate(targetUrl: string, capacity: number): Promise<PoolGateProcess> {
  const child: ChildProcess = spawn(process.execPath, [...tsxImport(), __filename, '--target', targetUrl, '--capacity', String(capacity)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killOnExit));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then(() => reject(new Error(`pool gate exited before it listened:\n${output}`)));
  });
  const call = async (path: string) => (await fetch(`${url}${path}`)).json();
  return {
    url,
    stats: () => call('/_gate/stats') as Promise<PoolGateStats>,
    reset: async () => void (await call('/_gate/reset')),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { target: { type: 'string' }, capacity: { type: 'string' } } });
  serve(new URL(values.target!), Number(values.capacity));
}
