"""A loopback TCP proxy that damages traffic on purpose, for fault tests.

It forwards 127.0.0.1:<port> to a target on 127.0.0.1. On each connection,
after ``after_bytes`` of the server's answer it either flips one byte
(``mode='flip'``: other bytes than the server's), cuts the connection
(``mode='cut'``) or stops forwarding while keeping it open
(``mode='stall'``: for ``stall_seconds``, then it goes on; None: until the
client goes away or the proxy is closed); ``mode=None`` only forwards.
``max_faults`` limits how many connections are damaged (the later ones
pass intact, so a retry can succeed); ``plan`` instead lists the mode of
each damaged connection in turn (e.g. ``['cut', 'flip']``: the first is
cut, the one after serves other bytes). ``rate`` slows the damaged
direction down to that many bytes per second. ``strip_range`` removes the
``Range`` header from requests, so the server answers every download
whole, like one that ignores ranges; ``refuse_ranged`` closes a
connection whose request asks for a ``Range`` before any answer (not
counted as a fault), like a source that cannot serve a resumed download.
A target that is down gets the client's connection closed, as a stopped
server would. Bounded: it serves until closed, and every thread is a
daemon.

Tests wait on events, never on the clock: ``faulted`` is set at each
fault (a stall sets it when it starts), ``reconnected`` when a connection
arrives after a fault; ``connections`` and ``requests`` (the first line of
each request) say what came through, ``abandoned`` how many stalls ended
because the client went away (not because ``stall_seconds`` ran out).
"""

import re
import socket
import threading
import time

_RANGE = re.compile(rb'\r\nRange:[^\r]*', re.IGNORECASE)


class LoopbackProxy:
    """Listens on a free 127.0.0.1 port; each connection to ``_serve``."""

    scheme = 'http'

    def __init__(self, target_port):
        self.target = ('127.0.0.1', target_port)
        self.connections = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return '%s://127.0.0.1:%d' % (self.scheme, self.port)

    def close(self):
        self.closed = True
        self.listener.close()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self._serve(client)

    def _serve(self, client):
        raise NotImplementedError


class FaultProxy(LoopbackProxy):
    def __init__(self, target_port, mode='flip', after_bytes=1024 * 1024,
                 direction='response', max_faults=None, rate=None,
                 plan=None, stall_seconds=None, strip_range=False,
                 refuse_ranged=False):
        self.mode = mode
        self.after_bytes = after_bytes
        self.direction = direction
        self.max_faults = max_faults
        self.rate = rate
        self.plan = list(plan) if plan is not None else None
        self.stall_seconds = stall_seconds
        self.strip_range = strip_range
        self.refuse_ranged = refuse_ranged
        self._fault_lock = threading.Lock()
        self.faults = 0
        self.requests = []
        self.abandoned = 0
        self.faulted = threading.Event()
        self.reconnected = threading.Event()
        super().__init__(target_port)

    def _serve(self, client):
        if self.faults:
            self.reconnected.set()
        try:
            server = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        damaged_up = self.direction == 'request'
        ended = threading.Event()
        threading.Thread(target=self._pipe, daemon=True,
                         args=(client, server, damaged_up, ended,
                               True)).start()
        threading.Thread(target=self._pipe, daemon=True,
                         args=(server, client, not damaged_up, ended,
                               False)).start()

    def _take_fault(self):
        """The mode of the next fault, or None: this connection passes."""
        with self._fault_lock:
            if self.plan is not None:
                if self.faults >= len(self.plan):
                    return None
                mode = self.plan[self.faults]
            elif self.mode is None or (self.max_faults is not None
                                       and self.faults >= self.max_faults):
                return None
            else:
                mode = self.mode
            self.faults += 1
            self.faulted.set()
            return mode

    def _stall(self, ended):
        """Hold the connection; True when it ended meanwhile."""
        deadline = (None if self.stall_seconds is None
                    else time.monotonic() + self.stall_seconds)
        while not self.closed and not ended.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            ended.wait(0.05)
        return True

    def _request_head(self, source, data):
        """The first request's bytes so far: as sent, without Range."""
        while b'\r\n\r\n' not in data:
            more = source.recv(65536)
            if not more:
                break
            data += more
        head, sep, rest = data.partition(b'\r\n\r\n')
        return data, _RANGE.sub(b'', head) + sep + rest

    def _pipe(self, source, sink, damage, ended, upstream):
        seen = 0
        done = False
        first = upstream
        started = time.monotonic()
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if first:
                    first = False
                    if self.strip_range or self.refuse_ranged:
                        data, stripped = self._request_head(source, data)
                        if self.refuse_ranged and stripped != data:
                            break
                        if self.strip_range:
                            data = stripped
                    self.requests.append(
                        data.split(b'\r\n', 1)[0].decode('latin-1'))
                if damage and self.rate:
                    ahead = seen / self.rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
                if damage and not done and seen + len(data) > \
                        self.after_bytes:
                    done = True
                    mode = self._take_fault()
                    if mode is None:
                        seen += len(data)
                        sink.sendall(data)
                        continue
                    offset = self.after_bytes - seen
                    if mode == 'cut':
                        sink.sendall(data[:offset])
                        break
                    if mode == 'stall':
                        sink.sendall(data[:offset])
                        if self._stall(ended):
                            if ended.is_set():
                                self.abandoned += 1
                            break
                        data = data[offset:]
                        seen += offset
                    else:
                        data = (data[:offset] + bytes([data[offset] ^ 0xFF])
                                + data[offset + 1:])
                seen += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            ended.set()
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
