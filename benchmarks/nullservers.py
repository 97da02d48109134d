# SPDX-License-Identifier: Apache-2.0
"""The client's own ceiling: copies between two loopback null servers.

Glance spends more CPU per byte than the client, so on one machine the
sandbox shows the servers' ceiling, not ours. Here the servers cost next
to nothing: a source that answers ``GET /v2/images/<id>/file`` with a
file sent by ``sendfile`` (the kernel copies it), and a sink that reads a
chunked (or sized) ``PUT`` into one buffer and discards it. Between them,
side by side in alternating rounds:

- ``curl GET | curl -T - PUT``, the raw pipe;
- ``transfer.copy_data``, the project's verified stream (sha512, held-back
  last chunk, format check), run by this file in a child process
  (``stream`` mode) through keystoneauth adapters with endpoint_override;
- sha512 alone over the same bytes in 1 MiB updates: the CPU floor.

Client CPU is the client processes' own (user + sys): both curls for the
pipe; for the stream, ``time.process_time`` around ``copy_data`` (so the
Python start-up is left out, as curl has none worth counting). The
servers run in a third process (``serve`` mode) whose CPU is not counted.

    python benchmarks/nullservers.py serve <file>
    python benchmarks/nullservers.py stream <src-url> <dst-url> <size> <sha512>
"""

import hashlib
import http.server
import json
import os
import socketserver
import subprocess
import sys
import tempfile
import time

import measure
from measure import GiB
from measure import MiB
import report

HERE = os.path.abspath(__file__)
CURL = ['curl', '-sS', '--fail', '--noproxy', '*']
PIPE = 'curl GET | curl -T - PUT'
STREAM = 'verified stream (copy_data)'
FLOOR = 'sha512 alone (1 MiB updates)'
RATIO_TARGET = 0.9
CPU_TARGET = report.CPU_PER_GIB
CPU_SHARE_TARGET = 0.8
_SIZE_HEADER = 'x-openstack-image-size'


# -- the servers (serve mode) ------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    path_to_file = None
    sink_buffer = 4 * MiB

    def log_message(self, *args):
        pass

    def _answer(self, status, length=0):
        self.send_response(status)
        self.send_header('Content-Length', str(length))
        if length:
            self.send_header('Content-Type', 'application/octet-stream')
        self.end_headers()

    def do_GET(self):
        with open(self.path_to_file, 'rb') as f:
            size = os.fstat(f.fileno()).st_size
            self._answer(200, size)
            offset, out = 0, self.connection.fileno()
            while offset < size:
                sent = os.sendfile(out, f.fileno(), offset, size - offset)
                if not sent:
                    break
                offset += sent

    def do_PUT(self):
        buf = memoryview(bytearray(self.sink_buffer))
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            received = self._read_chunked(buf)
        else:
            received = self._read_exactly(
                buf, int(self.headers.get('Content-Length', 0)))
        expected = self.headers.get(_SIZE_HEADER)
        self._answer(400 if expected and int(expected) != received else 204)

    def _read_exactly(self, buf, count):
        left = count
        while left:
            got = self.rfile.readinto(buf[:min(left, len(buf))])
            if not got:
                raise ConnectionError('body cut off')
            left -= got
        return count

    def _read_chunked(self, buf):
        total = 0
        while True:
            size = int(self.rfile.readline(100).split(b';')[0], 16)
            if not size:
                while self.rfile.readline(1000) not in (b'\r\n', b'\n', b''):
                    pass
                return total
            total += self._read_exactly(buf, size)
            self.rfile.readline(10)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(path):
    """Serve ``path`` to GETs and discard PUTs; print the URL, run forever."""
    handler = type('Handler', (_Handler,), {'path_to_file': path})
    server = _Server(('127.0.0.1', 0), handler)
    print('http://127.0.0.1:%d' % server.server_address[1], flush=True)
    server.serve_forever()


# -- the verified stream (stream mode) ---------------------------------------

class _Cloud:
    def __init__(self, url):
        from keystoneauth1 import adapter
        from keystoneauth1 import session

        self.image = adapter.Adapter(session.Session(), service_type='image',
                                     endpoint_override=url)


def stream(src_url, dst_url, size, digest):
    """One ``copy_data`` between the null servers; prints wall and CPU."""
    from osc_image_migrate.stream import transfer

    image = {'id': 'null', 'size': size, 'os_hash_algo': 'sha512',
             'os_hash_value': digest, 'disk_format': 'raw',
             'container_format': 'bare'}
    src, dst = _Cloud(src_url), _Cloud(dst_url)
    cpu, wall = time.process_time(), time.monotonic()
    sent = transfer.copy_data(src, dst, image, 'sink').sent
    print(json.dumps({'wall': time.monotonic() - wall, 'sent': sent,
                      'cpu': time.process_time() - cpu}))


# -- the section -------------------------------------------------------------

def _make_file(folder, size):
    """A file of ``size`` random bytes; returns (path, sha512 hex)."""
    path = os.path.join(folder, 'image.raw')
    hasher = hashlib.sha512()
    block = os.urandom(MiB)
    with open(path, 'wb') as f:
        for n in range(0, size, MiB):
            piece = block[:min(MiB, size - n)]
            # Differ block to block: no compression or dedup anywhere.
            piece = (n // MiB).to_bytes(8, 'big') + piece[8:]
            hasher.update(piece)
            f.write(piece)
    return path, hasher.hexdigest()


def sha512_floor(size):
    """CPU seconds per GiB of sha512 alone, 1 MiB updates from memory."""
    block, hasher = os.urandom(MiB), hashlib.sha512()
    count = max(1, size // MiB)
    started = time.process_time()
    for _ in range(count):
        hasher.update(block)
    return (time.process_time() - started) * GiB / (count * MiB)


def _curl_pipe(url, size):
    file_url = url + '/v2/images/null/file'
    run = measure.run_processes([[
        CURL + [file_url],
        CURL + ['-H', 'Expect:', '-H', 'Content-Type: application/'
                'octet-stream', '-H', '%s: %d' % (_SIZE_HEADER, size),
                '-T', '-', '-o', '/dev/null', file_url],
    ]], measure.clean_env())
    if not run.ok:
        raise measure.BenchError('curl pipe failed: ' + run.error_tail())
    return run


def _stream(url, size, digest):
    run = measure.run_processes([[[
        sys.executable, HERE, 'stream', url, url, str(size), digest]]],
        measure.clean_env())
    if not run.ok:
        raise measure.BenchError('verified stream failed: '
                                 + run.error_tail())
    inner = json.loads(run.outputs[0])
    if inner['sent'] != size:
        raise measure.BenchError('verified stream sent %d of %d bytes'
                                 % (inner['sent'], size))
    run.wall, run.cpu = inner['wall'], inner['cpu']
    return run


def _start_servers(path):
    proc = subprocess.Popen([sys.executable, HERE, 'serve', path],
                            stdout=subprocess.PIPE, env=measure.clean_env())
    line = proc.stdout.readline().decode().strip()
    if not line.startswith('http://'):
        proc.kill()
        proc.wait()
        raise measure.BenchError('null servers did not start')
    return proc, line


def ceiling(size, repeat, log):
    """Section 0: verified stream vs curl pipe between null servers."""
    folder = tempfile.mkdtemp(prefix='bench-null-')
    try:
        log('ceiling: writing a %s file' % report.size(size))
        path, digest = _make_file(folder, size)
        proc, url = _start_servers(path)
        results = {name: measure.Case(name) for name in (PIPE, STREAM)}
        try:
            def one_run(name, round_no):
                run = (_curl_pipe(url, size) if name == PIPE
                       else _stream(url, size, digest))
                results[name].add(run)
                log('%s round %d/%d: %.2f s, %.2f CPU s' % (
                    name, round_no + 1, repeat, run.wall, run.cpu))

            measure.alternate((PIPE, STREAM), repeat, one_run)
        finally:
            proc.kill()
            proc.wait()
        floor = measure.median([sha512_floor(min(size, GiB))
                                for _ in range(repeat)])
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    return ceiling_table(results, size, floor)


def ceiling_table(results, size, floor):
    pipe, mine = results[PIPE], results[STREAM]
    ratio = report.paired(pipe.runs, mine.runs)
    gib = size / GiB
    rows = []
    for case in (pipe, mine):
        rows.append((case.name, len(case.runs), '%.2f' % case.wall,
                     measure.spread([r.wall for r in case.runs]),
                     '%.0f' % (size / MiB / case.wall),
                     '%.2f' % report.paired(pipe.runs, case.runs),
                     '%.2f' % (case.cpu / gib),
                     '%.0f' % (case.maxrss / MiB)))
    rows.append((FLOOR, '', '', '', '', '', '%.2f' % floor, ''))
    table = report.Table(
        '0. Client ceiling: %s between loopback null servers'
        % report.size(size),
        ('case', 'runs', 'median s', 'range s', 'MiB/s', 'x curl pipe',
         'client CPU s/GiB', 'peak RSS MiB'), rows)
    table.notes += [
        "null servers = benchmarks/nullservers.py: the source sends a file "
        "with sendfile, the sink discards the body; neither is counted",
        "'x curl pipe' = median over rounds of the pipe's time / this "
        "row's (above 1: faster than the pipe); client CPU = user+sys of "
        "both curls, or of the copy_data call in its own process",
    ]
    per_gib = mine.cpu / gib
    table.targets += [
        ('verified stream >= %.1f x curl pipe (%.2f x)'
         % (RATIO_TARGET, ratio), ratio >= RATIO_TARGET),
        ('client CPU <= %.1f s/GiB, verification on (%.2f s/GiB; sha512 '
         'floor %.2f)' % (CPU_TARGET, per_gib, floor),
         per_gib <= CPU_TARGET),
    ]
    # Issue 26: over plain HTTP no worse than before the TLS work.
    reference = pipe.cpu / gib + floor
    table.targets.append((
        'client CPU <= %.2f x curl pipe + sha512 alone, plain http (%.2f vs '
        '%.2f + %.2f s/GiB: %.2f x)' % (
            CPU_SHARE_TARGET, per_gib, pipe.cpu / gib, floor,
            per_gib / reference),
        per_gib <= CPU_SHARE_TARGET * reference))
    return table


def main(argv):
    if argv[:1] == ['serve'] and len(argv) == 2:
        serve(argv[1])
    elif argv[:1] == ['stream'] and len(argv) == 5:
        stream(argv[1], argv[2], int(argv[3]), argv[4])
    elif argv[:1] == ['bench']:
        size = report.parse_size(argv[1]) if len(argv) > 1 else GiB
        repeat = int(argv[2]) if len(argv) > 2 else 3
        print(ceiling(size, repeat,
                      lambda m: sys.stderr.write(m + '\n')).render())
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
