import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/**
 * A long-lived helper process that forks and execs commands on behalf of {@link runCommand}.
 *
 * Why: Node's child_process.spawn forks the whole agent (~60–100 MB of mappings) for every
 * command and sets up three stream objects; in bench/agent.mjs that was ~11 ms of agent CPU a
 * command and a third of the agent's CPU. The helper is a few kilobytes of Perl (perl-base is
 * Essential in Debian, so always installed there) whose process is ~5 MB; the agent only writes one
 * request and reads one reply a command. Measured with `perf stat` over 300 runs of /bin/true on the
 * shared VM: Node forking itself, 18 ms of CPU a command of which 9 ms in the agent; the helper,
 * 17 ms of which under 2 ms in the agent and ~5 ms in the helper.
 *
 * The forked child does as little as it can before exec: every page a forked process writes is
 * copied first (a page fault each, ~50 µs on the shared VM), and resetting the environment in the
 * child took ~80 of them, which made each command cost ~60 % more CPU than one forked by Node.
 * So the helper sets the environment and the working directory in itself, before forking and only
 * when they differ from the previous command's (they seldom do), leaves SIGPIPE/SIGCHLD on handlers
 * (exec resets handlers, not ignored signals) and keeps /dev/null open for stdin; the child only
 * unblocks signals, calls setsid and dup2 and execs.
 *
 * What it keeps from Node's spawn: argv without a shell (PATH looked up in the command's own
 * environment, as libuv does), the environment replaced wholesale, the working directory, a new
 * session and process group per command (so killing `-pid` reaches its children), stdin at EOF,
 * stdout and stderr read to their end (kept up to a cap, the rest read and dropped), the exit code
 * or the signal, and the errno of a failed exec or chdir (ENOENT, EACCES, …). The caller does
 * timeouts and kills itself with the pid it is told.
 *
 * Protocol over the helper's stdin/stdout (all numbers decimal ASCII):
 * - request `R <id> <bytes>\n` + payload: NUL-separated fields maxBytes, cwd, argc, argv…, env K=V…
 * - reply `S <id> <pid>\n` once forked;
 * - reply `E <id> <code> <signal> <errno> <truncated> <outBytes> <errBytes>\n` + stdout + stderr
 *   when the command has exited and both pipes reached EOF (code -1 when signaled or not started).
 */

/** How one command ended, as the helper reports it. */
export interface HelperOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The errno name when the command could not be started (`ENOENT`, …), or `EHELPER`. */
  errnoCode?: string;
  stdout: Buffer;
  stderr: Buffer;
  /** Whether stdout went past the cap. */
  isTruncated: boolean;
}

/** One command for the helper. */
export interface HelperRequest {
  file: string;
  args: readonly string[];
  /** The complete environment of the command. */
  env: Readonly<Record<string, string>>;
  cwd?: string | undefined;
  /** Bytes of stdout (and separately stderr) kept. */
  maxOutputBytes: number;
  /** Called once with the pid (the process group id too) as soon as the helper forked. */
  onPid: (pid: number) => void;
}

const PERL = String.raw`
use strict; use POSIX ();
$SIG{PIPE} = sub {}; $SIG{CHLD} = sub {};
binmode STDIN; binmode STDOUT; $| = 1;
open(my $null, '<', '/dev/null') or die "/dev/null: $!";
my $nullfd = fileno $null; my $nomask = POSIX::SigSet->new();
my $home = POSIX::getcwd() // '/'; my ($lastenv, $lastcwd) = ('', $home);
my ($in, %jobs, %byfd, %status) = ('');
sub put { my $s = shift; my $o = 0;
  while ($o < length $s) { my $n = syswrite(STDOUT, $s, length($s) - $o, $o);
    if (!defined $n) { next if $!{EINTR}; POSIX::_exit(0) } $o += $n } }
sub start { my ($id, $p) = @_; my @f = split /\0/, $p, -1;
  my ($max, $cwd, $argc) = splice @f, 0, 3; my @argv = splice @f, 0, $argc;
  my $envkey = join "\0", @f;
  if ($envkey ne $lastenv) { %ENV = (); for (@f) { my $i = index($_, '='); $ENV{substr($_, 0, $i)} = substr($_, $i + 1) if $i > 0 } $lastenv = $envkey }
  $cwd = $cwd eq '' ? $home : $cwd =~ m{^/} ? $cwd : "$home/$cwd";
  if ($cwd ne $lastcwd) { $lastcwd = $cwd; if (!chdir($cwd)) { my $e = $!+0; chdir($home); $lastcwd = $home; put("E $id -1 0 $e 0 0 0\n"); return } }
  my ($or, $ow, $er, $ew, $sr, $sw);
  if (!pipe($or, $ow) || !pipe($er, $ew) || !pipe($sr, $sw)) { put("E $id -1 0 " . ($!+0) . " 0 0 0\n"); return }
  my ($owfd, $ewfd) = (fileno $ow, fileno $ew);
  my $pid = fork;
  if (!defined $pid) { put("E $id -1 0 " . ($!+0) . " 0 0 0\n"); return }
  if ($pid == 0) {
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), $nomask); POSIX::setsid();
    POSIX::dup2($nullfd, 0); POSIX::dup2($owfd, 1); POSIX::dup2($ewfd, 2);
    { no warnings; exec { $argv[0] } @argv; }
    syswrite($sw, ($!+0) . "\n"); POSIX::_exit(127);
  }
  close $ow; close $ew; close $sw;
  my $st = ''; while (1) { my $n = sysread($sr, $st, 64, length $st); last if defined $n && $n == 0; next if !defined $n && $!{EINTR}; last }
  close $sr;
  if ($st ne '') { close $or; close $er; waitpid($pid, 0); put("E $id -1 0 " . int($st) . " 0 0 0\n"); return }
  put("S $id $pid\n");
  my $j = $jobs{$id} = { id => $id, pid => $pid, max => $max, out => '', err => '', trunc => 0, open => 2 };
  $byfd{fileno $or} = [$j, 'out', $or]; $byfd{fileno $er} = [$j, 'err', $er];
}
sub finish { for my $j (values %jobs) { next if $j->{open} || !exists $status{$j->{pid}};
  my $s = delete $status{$j->{pid}}; delete $jobs{$j->{id}};
  my ($code, $sig) = ($s & 127) ? (-1, $s & 127) : ($s >> 8, 0);
  put("E $j->{id} $code $sig 0 $j->{trunc} " . length($j->{out}) . ' ' . length($j->{err}) . "\n" . $j->{out} . $j->{err}) } }
put("READY\n");
while (1) {
  my $rin = ''; vec($rin, 0, 1) = 1; vec($rin, $_, 1) = 1 for keys %byfd;
  my $waiting = grep { !$_->{open} } values %jobs;
  my $n = select(my $rout = $rin, undef, undef, $waiting ? 0.01 : undef);
  while ((my $p = waitpid(-1, POSIX::WNOHANG())) > 0) { $status{$p} = $? }
  if ($n > 0) {
    if (vec($rout, 0, 1)) { my $r = sysread(STDIN, $in, 65536, length $in);
      if (defined $r && $r == 0) { POSIX::_exit(0) }
      while ($in =~ /^R (\d+) (\d+)\n/ && length($in) >= $+[0] + $2) { my ($id, $len, $h) = ($1, $2, $+[0]);
        my $p = substr($in, $h, $len); substr($in, 0, $h + $len) = ''; start($id, $p) } }
    for my $fd (keys %byfd) { next unless vec($rout, $fd, 1); my ($j, $k, $fh) = @{$byfd{$fd}};
      my $buf; my $r = sysread($fh, $buf, 65536); next if !defined $r && $!{EINTR};
      if (!$r) { close $fh; delete $byfd{$fd}; $j->{open}--; next }
      my $room = $j->{max} - length $j->{$k};
      if ($room < $r) { $j->{trunc} = 1 if $k eq 'out'; $buf = substr($buf, 0, $room > 0 ? $room : 0) }
      $j->{$k} .= $buf } }
  finish();
}
`;

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

interface Pending {
  request: HelperRequest;
  resolve: (o: HelperOutcome) => void;
}

/**
 * See the module comment. One instance serves any number of concurrent commands; start it with
 * {@link SpawnHelper.start} and {@link close} it when done (closing its stdin ends it; commands
 * still running are left to finish on their own, as they would be with spawn's detached children).
 */
export class SpawnHelper {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #buf: Buffer = Buffer.alloc(0);
  #isAlive = true;

  private constructor(child: ChildProcessByStdio<Writable, Readable, null>) {
    this.#child = child;
  }

  /**
   * Starts the helper with `perlPath` (default `/usr/bin/perl`) and resolves once it answered, or
   * with undefined when it cannot run here (no perl): callers then spawn directly.
   */
  static start(options: { perlPath?: string } = {}): Promise<SpawnHelper | undefined> {
    return new Promise((resolve) => {
      let child: ChildProcessByStdio<Writable, Readable, null>;
      try {
        child = spawn(options.perlPath ?? '/usr/bin/perl', ['-e', PERL], {
          stdio: ['pipe', 'pipe', 'inherit'],
          env: { PATH: '/usr/bin:/bin' },
        });
      } catch {
        resolve(undefined);
        return;
      }
      let isSettled = false;
      const settle = (helper: SpawnHelper | undefined): void => {
        if (isSettled) return;
        isSettled = true;
        resolve(helper);
      };
      child.on('error', () => settle(undefined));
      child.stdin.on('error', () => {});
      let greeting = '';
      const onGreeting = (chunk: Buffer): void => {
        greeting += chunk.toString('latin1');
        const nl = greeting.indexOf('\n');
        if (nl === -1) return;
        child.stdout.off('data', onGreeting);
        if (greeting.slice(0, nl) !== 'READY') {
          child.kill('SIGKILL');
          settle(undefined);
          return;
        }
        const helper = new SpawnHelper(child);
        helper.#attach(Buffer.from(greeting.slice(nl + 1), 'latin1'));
        settle(helper);
      };
      child.stdout.on('data', onGreeting);
      child.on('exit', () => settle(undefined));
    });
  }

  /** Whether the helper still runs; once it has exited, callers spawn directly. */
  get isAlive(): boolean {
    return this.#isAlive;
  }

  /** The helper's own pid (benchmarks add its CPU and memory to the agent's). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Runs one command. Never rejects: a command that could not start resolves with `errnoCode`
   * (`EHELPER` when the helper itself died before the command ended).
   */
  run(request: HelperRequest): Promise<HelperOutcome> {
    return new Promise((resolve) => {
      if (!this.#isAlive) {
        resolve(helperGone());
        return;
      }
      const id = this.#nextId++;
      if (this.#pending.size === 0) this.#setRef(true);
      this.#pending.set(id, { request, resolve });
      const fields = [
        String(request.maxOutputBytes),
        request.cwd ?? '',
        String(request.args.length + 1),
        request.file,
        ...request.args,
        ...Object.entries(request.env).map(([k, v]) => `${k}=${v}`),
      ];
      const payload = Buffer.from(fields.join('\0'), 'utf8');
      this.#child.stdin.write(Buffer.concat([Buffer.from(`R ${id} ${payload.length}\n`), payload]));
    });
  }

  /** Ends the helper (closing its stdin) and resolves when it has exited. */
  close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      // Referenced while it ends, as while commands run: unreferenced, a process with nothing else
      // to do would exit first, leaving the promise unsettled (node's exit code 13).
      this.#setRef(true);
      this.#child.once('exit', () => resolve());
      this.#child.stdin.end();
    });
  }

  #attach(rest: Buffer): void {
    this.#child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#child.on('exit', () => {
      this.#isAlive = false;
      for (const p of this.#pending.values()) p.resolve(helperGone());
      this.#pending.clear();
    });
    // The agent must be able to exit while the helper idles.
    this.#setRef(false);
    if (rest.length > 0) this.#onData(rest);
  }

  /** Whether the helper keeps the event loop alive: only while commands run or it is closing. */
  #setRef(isRef: boolean): void {
    const handles = [this.#child, this.#child.stdin, this.#child.stdout] as unknown as {
      ref?: () => void;
      unref?: () => void;
    }[];
    for (const h of handles) {
      if (isRef) h.ref?.();
      else h.unref?.();
    }
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const nl = this.#buf.indexOf(0x0a);
      if (nl === -1) return;
      const f = this.#buf.toString('latin1', 0, nl).split(' ');
      const id = Number(f[1]);
      if (f[0] === 'S') {
        this.#buf = this.#buf.subarray(nl + 1);
        this.#pending.get(id)?.request.onPid(Number(f[2]));
        continue;
      }
      // E id code signal errno truncated outBytes errBytes
      const outBytes = Number(f[6]);
      const errBytes = Number(f[7]);
      const end = nl + 1 + outBytes + errBytes;
      if (this.#buf.length < end) return;
      const body = this.#buf.subarray(nl + 1, end);
      this.#buf = this.#buf.subarray(end);
      const pending = this.#pending.get(id);
      if (!pending) continue;
      this.#pending.delete(id);
      if (this.#pending.size === 0) this.#setRef(false);
      const code = Number(f[2]);
      const sig = Number(f[3]);
      const errno = Number(f[4]);
      const outcome: HelperOutcome = {
        exitCode: code >= 0 ? code : null,
        signal: sig > 0 ? (signalNames.get(sig) ?? null) : null,
        // Copies, so a reply does not pin the whole read buffer.
        stdout: Buffer.from(body.subarray(0, outBytes)),
        stderr: Buffer.from(body.subarray(outBytes)),
        isTruncated: f[5] === '1',
      };
      if (errno > 0) outcome.errnoCode = errnoNames.get(errno) ?? `errno ${errno}`;
      pending.resolve(outcome);
    }
  }
}

function helperGone(): HelperOutcome {
  return {
    exitCode: null,
    signal: null,
    errnoCode: 'EHELPER',
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    isTruncated: false,
  };
}
