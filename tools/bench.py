#!/usr/bin/env python3
"""migcheck's benchmark: the figures in the README's performance section.

usage: python3 tools/bench.py [--runs N] [--skip-squawk] [--sizes 10000,30000,100000]

Builds the release binary, then measures (median of --runs, wall clock, this machine):
  1. all folders of ../shared/corpora in one run, JSON output, side by side with squawk 2.70.0
     (../shared/bench/compare-squawk.py; skipped when ../shared is absent or with --skip-squawk);
  2. end-to-end throughput on one core (taskset -c 0, RAYON_NUM_THREADS=1) and on all cores over the same
     corpora, in MB/s of SQL;
  3. scaling: generated golang-migrate trees of N migrations (an up and a down file each, a few
     statements per file): seconds, microseconds per file and peak RSS for each N;
  4. `migcheck --version` and one small file.
Peak RSS is read from /usr/bin/time -f %M when present (GNU time), else from resource.getrusage.
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, 'target', 'release', 'migcheck')
SHARED = os.path.normpath(os.path.join(ROOT, '..', 'shared'))


def timed(cmd, env=None):
    """(seconds, peak RSS in KB or None)"""
    gnu_time = shutil.which('time') if os.path.exists('/usr/bin/time') else None
    if gnu_time:
        full = ['/usr/bin/time', '-f', '%M'] + cmd
        t = time.perf_counter()
        p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
        dt = time.perf_counter() - t
        try:
            rss = int(p.stderr.strip().splitlines()[-1])
        except (ValueError, IndexError):
            rss = None
        return dt, rss
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def median_run(cmd, runs, env=None):
    res = [timed(cmd, env) for _ in range(runs)]
    return statistics.median(r[0] for r in res), max((r[1] or 0) for r in res)


def sql_bytes(dirs):
    n = 0
    for d in dirs:
        for root, _, names in os.walk(d):
            for name in names:
                if name.endswith('.sql') or name.endswith('.sql.postgres'):
                    n += os.path.getsize(os.path.join(root, name))
    return n


def gen_tree(path, n):
    os.makedirs(path, exist_ok=True)
    for i in range(1, n + 1):
        t = f't{i % 500}'
        with open(os.path.join(path, f'{i:06d}_change_{i}.up.sql'), 'w') as f:
            f.write(f'SET lock_timeout = \'2s\';\nALTER TABLE {t} ADD COLUMN c{i} text;\n'
                    f'CREATE INDEX CONCURRENTLY {t}_c{i}_idx ON {t} (c{i});\n')
        with open(os.path.join(path, f'{i:06d}_change_{i}.down.sql'), 'w') as f:
            f.write(f'ALTER TABLE {t} DROP COLUMN c{i};\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--skip-squawk', action='store_true')
    ap.add_argument('--sizes', default='10000,30000,100000')
    a = ap.parse_args()
    subprocess.run(['cargo', 'build', '--release', '--quiet'], cwd=ROOT, check=True)
    print(f'machine: {os.cpu_count()} cores; {a.runs} runs per figure (median)')

    corpora_dir = os.path.join(SHARED, 'corpora')
    corpora = sorted(os.path.join(corpora_dir, d) for d in os.listdir(corpora_dir)) if os.path.isdir(corpora_dir) else []
    if corpora:
        if not a.skip_squawk:
            print('\n== 1. all corpora, JSON, against squawk 2.70.0 (../shared/bench/compare-squawk.py)')
            subprocess.run([sys.executable, os.path.join(SHARED, 'bench', 'compare-squawk.py'),
                            '--runs', str(a.runs), '--migcheck', BIN], cwd=ROOT)
        size = sql_bytes(corpora)
        print(f'\n== 2. throughput over the corpora ({size / 1e6:.2f} MB of SQL, check --format json)')
        for label, threads in (('1 core', '1'), (f'{os.cpu_count()} cores', str(os.cpu_count()))):
            env = dict(os.environ, RAYON_NUM_THREADS=threads)
            # one core really is one: the parser thread that runs ahead of the replay too
            pin = ['taskset', '-c', '0'] if threads == '1' and shutil.which('taskset') else []
            secs, rss = median_run(pin + [BIN, 'check', '--format', 'json'] + corpora, a.runs, env)
            print(f'  {label:>8}: {secs:.3f} s  {size / 1e6 / secs:.1f} MB/s  peak RSS {rss / 1024:.0f} MB')
    else:
        print('(no ../shared/corpora: squawk comparison and corpus throughput skipped)')

    print('\n== 3. scaling: generated golang-migrate trees (2 files per migration)')
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in a.sizes.split(',')]:
            d = os.path.join(tmp, f'tree{n}')
            gen_tree(d, n // 2)
            secs, rss = median_run([BIN, 'check', '--format', 'json', '--layout', 'golang-migrate', d],
                                   max(1, a.runs // 2))
            print(f'  {n:>7} files: {secs:.2f} s  {secs / n * 1e6:.0f} µs/file  peak RSS {rss / 1024:.0f} MB')
            shutil.rmtree(d)

    print('\n== 4. start-up')
    secs, _ = median_run([BIN, '--version'], 20)
    print(f'  migcheck --version: {secs * 1000:.1f} ms')
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, '001_add.up.sql')
        with open(f, 'w') as h:
            h.write("ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'bronze';\n")
        secs, _ = median_run([BIN, 'check', '--no-config', f], 20)
        print(f'  one small file: {secs * 1000:.1f} ms')


if __name__ == '__main__':
    main()
