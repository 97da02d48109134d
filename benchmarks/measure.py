# SPDX-License-Identifier: Apache-2.0
"""Measuring tools: timed processes, server CPU, request logs, medians.

Every process under test is started with its stdout and stderr in files
and reaped with ``os.wait4``, which gives that one process's own peak RSS
and CPU time (no ``/usr/bin/time`` needed, and nothing of other children
mixed in). Server-side figures come from the sandbox itself: the CPU time
of each server's process group (``/proc``) and its uWSGI request log,
whose lines are counted but never printed.
"""

import collections
import dataclasses
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time

MiB = 1024 * 1024
GiB = 1024 * MiB
_TICK = os.sysconf('SC_CLK_TCK')
# uWSGI request log: "... [date] GET /v2/images?limit=1000 => generated ..."
_REQUEST = re.compile(
    rb'\] (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\S+) => ')


class BenchError(Exception):
    """A measurement could not be made; the message says why."""


@dataclasses.dataclass
class Run:
    """One timed execution of one or more processes."""

    wall: float
    cpu: float            # user + sys of the processes started, seconds
    maxrss: int           # largest peak RSS (VmHWM) among them, bytes
    returncodes: list
    outputs: list         # stdout of each process (bytes)
    errors: list          # stderr of each process (bytes)
    server_cpu: dict = dataclasses.field(default_factory=dict)

    @property
    def ok(self):
        return all(rc == 0 for rc in self.returncodes)

    def error_tail(self, limit=600):
        text = b'\n'.join(e.strip() for e in self.errors if e.strip())
        return text.decode('utf-8', 'replace')[-limit:]


def clean_env(**extra):
    """Our environment without OS_* credentials or proxies."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('OS_')
           and k.lower() not in ('http_proxy', 'https_proxy', 'all_proxy')}
    env['no_proxy'] = env['NO_PROXY'] = '127.0.0.1,localhost'
    env.update(extra)
    return env


def run_processes(pipelines, env, stdin_data=None, servers=None):
    """Start every pipeline at once and wait for all their processes.

    ``pipelines`` is a list of pipelines, each a list of argv lists whose
    stdout feeds the next one's stdin (a shell pipe). ``stdin_data``
    (bytes) feeds the first process of the first pipeline. Returns a
    :class:`Run`; ``servers`` (a :class:`ServerCpu`) adds the share of a
    core each server used meanwhile.
    """
    procs, files = [], []
    before = servers.snapshot() if servers is not None else None
    started = time.monotonic()
    try:
        for number, pipeline in enumerate(pipelines):
            previous = None
            for position, argv in enumerate(pipeline):
                out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
                files.append((out, err))
                if previous is not None:
                    stdin = previous.stdout
                elif stdin_data is not None and number == 0:
                    stdin = subprocess.PIPE
                else:
                    stdin = subprocess.DEVNULL
                last = position == len(pipeline) - 1
                proc = subprocess.Popen(
                    argv, env=env, stdin=stdin, stderr=err,
                    stdout=out if last else subprocess.PIPE)
                if previous is not None:
                    previous.stdout.close()  # the reader owns the pipe now
                if stdin is subprocess.PIPE:
                    proc.stdin.write(stdin_data)
                    proc.stdin.close()
                procs.append(proc)
                previous = proc
        sampler = _PeakRss([p.pid for p in procs])
        cpu, codes = 0.0, []
        for proc in procs:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
            codes.append(proc.returncode)
        wall = time.monotonic() - started
        maxrss = sampler.stop()
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                proc.wait()
    outputs, errors = [], []
    for out, err in files:
        for f, bucket in ((out, outputs), (err, errors)):
            f.seek(0)
            bucket.append(f.read())
            f.close()
    run = Run(wall, cpu, maxrss, codes, outputs, errors)
    if servers is not None:
        run.server_cpu = servers.since(before, wall)
    return run


class _PeakRss:
    """Largest VmHWM (peak RSS) among running processes, sampled.

    Not ``ru_maxrss`` from ``wait4``: on Linux a child's ``ru_maxrss``
    also counts the high-water mark of the address space it had before
    ``exec``, i.e. this (parent) process's own peak. VmHWM belongs to the
    executed program only. It is a high-water mark, so sampling it every
    few milliseconds misses at most the growth of the last interval.
    """

    INTERVAL = 0.01

    def __init__(self, pids):
        self.pids = pids
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while True:
            for pid in self.pids:
                self.peak = max(self.peak, vm_hwm(pid))
            if self._done.wait(self.INTERVAL):
                return

    def stop(self):
        self._done.set()
        self._thread.join()
        return self.peak


def vm_hwm(pid):
    """Peak RSS of a live process in bytes (0 once it has exited)."""
    try:
        with open('/proc/%d/status' % pid, 'rb') as f:
            for line in f:
                if line.startswith(b'VmHWM:'):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class ServerCpu:
    """CPU seconds used by each sandbox server (its whole process group)."""

    def __init__(self, pgids):
        self.pgids = dict(pgids)  # service name -> process group id

    def snapshot(self):
        used = collections.Counter()
        wanted = {pgid: name for name, pgid in self.pgids.items()}
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % entry) as f:
                    fields = f.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            name = wanted.get(int(fields[2]))  # field 5: process group
            if name is not None:
                used[name] += (int(fields[11]) + int(fields[12])) / _TICK
        return used

    def since(self, before, wall):
        """{service: share of one core used since ``before``, 0..n}."""
        after = self.snapshot()
        return {name: (after[name] - before[name]) / wall
                for name in self.pgids if wall > 0}


class RequestLog:
    """Counts the requests each server logged between two marks."""

    def __init__(self, logs):
        self.logs = dict(logs)  # service name -> uWSGI log path

    def mark(self):
        time.sleep(0.3)  # let earlier requests' lines reach the logs
        return {name: os.path.getsize(path)
                for name, path in self.logs.items()}

    def since(self, mark, classify):
        """{service: Counter of classify(method, path)} since ``mark``.

        The lines are read in binary and only method and path are looked
        at; nothing from them is printed.
        """
        time.sleep(0.3)  # uWSGI writes the line after the response
        counts = {}
        for name, path in self.logs.items():
            counter = collections.Counter()
            with open(path, 'rb') as f:
                f.seek(mark[name])
                for line in f:
                    match = _REQUEST.search(line)
                    if match:
                        counter[classify(
                            name, match.group(1).decode(),
                            match.group(2).decode('ascii', 'replace'))] += 1
            counts[name] = counter
        return counts


def median(values):
    return statistics.median(values) if values else float('nan')


def spread(values):
    """'min-max' of a list of seconds, for the table."""
    if len(values) < 2:
        return ''
    return '%.1f-%.1f' % (min(values), max(values))


@dataclasses.dataclass
class Case:
    """The repeated runs of one case of a section."""

    name: str
    runs: list = dataclasses.field(default_factory=list)
    copy_seconds: list = dataclasses.field(default_factory=list)

    def add(self, run, copy_seconds=None):
        self.runs.append(run)
        if copy_seconds is not None:
            self.copy_seconds.append(copy_seconds)

    @property
    def wall(self):
        return median([r.wall for r in self.runs])

    @property
    def cpu(self):
        return median([r.cpu for r in self.runs])

    @property
    def maxrss(self):
        return max((r.maxrss for r in self.runs), default=0)

    def server_share(self, service):
        return median([r.server_cpu.get(service, 0) for r in self.runs])


def alternate(cases, repeat, one_run):
    """Run every case once per round, ``repeat`` rounds: A B C A B C...

    ``one_run(case_name, round)`` performs and records one run. Alternating
    spreads the noise of a busy machine evenly over the cases, and the
    medians then compare like with like.
    """
    for round_no in range(repeat):
        for name in cases:
            one_run(name, round_no)
