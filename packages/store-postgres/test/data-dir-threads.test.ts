import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import { lockDataDir } from '../dist/data-dir-lock.js';
import { LOCK_MODULE, lockRefusal, original } from './support/lock-steps.js';

// Worker threads of one process share its pid but each has its own copy of the lock module (and of
// its list of directories held here): a lock with this pid and this process's start is another
// thread's, held, not the stale lock of an earlier process that had this pid.

/** A worker thread that opens `dataDir` on 'open', releases it on 'release', and answers each. */
class LockThread {
  private readonly worker: Worker;
  private readonly answers: string[] = [];
  private waiting: (() => void) | null = null;

  constructor(script: string) {
    this.worker = new Worker(pathToFileURL(script));
    this.worker.on('message', (answer: string) => {
      this.answers.push(answer);
      this.waiting?.();
    });
  }

  async ask(request: 'open' | 'release', dataDir = ''): Promise<string> {
    this.worker.postMessage({ request, dataDir });
    while (this.answers.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.answers.shift()!;
  }

  /** Ends the thread from inside (process.exit in a worker ends only it), its lock not released. */
  async exitHolding(): Promise<void> {
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ request: 'exit' });
    await exited;
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}


describe('PGlite data directory lock: worker threads of one process', function () {
  this.timeout(60_000);
  let root = '';
  let script = '';
  const threads: LockThread[] = [];
  const thread = () => {
    const t = new LockThread(script);
    threads.push(t);
    return t;
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'payhost-lock-threads-'));
    script = join(root, 'lock-thread.mjs');
    fs.writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
      import { lockDataDir } from ${JSON.stringify(pathToFileURL(LOCK_MODULE).href)};
      let lock = null;
      parentPort.on('message', ({ request, dataDir }) => {
        if (request === 'exit') process.exit(0); // ends this thread, without releasing
        if (request === 'release') { lock.release(); lock = null; parentPort.postMessage('RELEASED'); return; }
        try { lock = lockDataDir(dataDir); parentPort.postMessage('GOT'); } catch (e) { parentPort.postMessage('REFUSED ' + (e.code ?? e.message)); }
      });`,
    );
  });

  afterEach(async () => {
    await Promise.all(threads.splice(0).map((t) => t.terminate()));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("refuses a directory another thread holds, naming the thread, and leaves that thread's lock", async () => {
    const dataDir = join(root, 'held-by-thread');
    const other = thread();
    expect(await other.ask('open', dataDir)).to.equal('GOT');
    const held = original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8');
    expect(JSON.parse(held)).to.deep.include({ pid: process.pid });

    const error = lockRefusal(dataDir);
    expect(error.message).to.include(`already open in this process (pid ${process.pid})`).and.include('in another thread (worker_threads)');
    expect(original.readFileSync(join(dataDir, 'payhost.lock'), 'utf8')).to.equal(held);
    expect(await thread().ask('open', dataDir)).to.equal('REFUSED data_dir_in_use'); // a third thread too

    expect(await other.ask('release')).to.equal('RELEASED');
    const lock = lockDataDir(dataDir);
    try {
      expect(await thread().ask('open', dataDir)).to.equal('REFUSED data_dir_in_use'); // and the other way round
    } finally {
      lock.release();
    }
  });

  it('keeps refusing the lock of a thread that ended without releasing it, until the process exits', async () => {
    const dataDir = join(root, 'thread-ended');
    const gone = thread();
    expect(await gone.ask('open', dataDir)).to.equal('GOT');
    await gone.exitHolding();
    // Its store may still have been writing when it ended: this process cannot tell, so it does not take it over.
    expect(lockRefusal(dataDir).message).to.include('A thread that ended without closing its store holds it until this process exits.');
  });
});
