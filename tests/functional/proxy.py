"""A loopback TCP proxy that damages traffic on purpose, for fault tests.

It forwards 127.0.0.1:<port> to a target on 127.0.0.1. On each connection,
after ``after_bytes`` of the server's answer it either flips one byte
(``mode='flip'``), cuts the connection (``mode='cut'``), stops
forwarding while keeping it open (``mode='stall'``, until closed) or
pauses until :meth:`FaultProxy.resume` (``mode='pause'``: ``paused`` is
set while it waits);
``mode=None`` only forwards. ``max_faults`` limits how many connections
are damaged (the later ones pass intact, so a retry can succeed); ``rate``
slows the damaged direction down to that many bytes per second. A target
that is down gets the client's connection closed, as a stopped server
would. Bounded: it serves until closed, and every thread is a daemon.
"""

import socket
import threading
import time


class LoopbackProxy:
    """Listens on a free 127.0.0.1 port; each connection to ``_serve``."""

    scheme = 'http'

    def __init__(self, target_port):
        self.target = ('127.0.0.1', target_port)
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
            self._serve(client)

    def _serve(self, client):
        raise NotImplementedError


class FaultProxy(LoopbackProxy):
    def __init__(self, target_port, mode='flip', after_bytes=1024 * 1024,
                 direction='response', max_faults=None, rate=None):
        self.mode = mode
        self.after_bytes = after_bytes
        self.direction = direction
        self.max_faults = max_faults
        self.rate = rate
        self._fault_lock = threading.Lock()
        self.faults = 0
        self.paused = threading.Event()
        self._resumed = threading.Event()
        super().__init__(target_port)

    def resume(self):
        """Let a paused connection go on (``mode='pause'``)."""
        self._resumed.set()

    def close(self):
        self._resumed.set()
        super().close()

    def _serve(self, client):
        try:
            server = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        damaged_up = self.direction == 'request'
        threading.Thread(target=self._pipe, daemon=True,
                         args=(client, server, damaged_up)).start()
        threading.Thread(target=self._pipe, daemon=True,
                         args=(server, client, not damaged_up)).start()

    def _take_fault(self):
        with self._fault_lock:
            if self.mode is None or (self.max_faults is not None
                                     and self.faults >= self.max_faults):
                return False
            self.faults += 1
            return True

    def _pipe(self, source, sink, damage):
        seen = 0
        done = False
        started = time.monotonic()
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if damage and self.rate:
                    ahead = seen / self.rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
                if damage and not done and seen + len(data) > \
                        self.after_bytes:
                    done = True
                    if not self._take_fault():
                        seen += len(data)
                        sink.sendall(data)
                        continue
                    offset = self.after_bytes - seen
                    if self.mode == 'cut':
                        sink.sendall(data[:offset])
                        break
                    if self.mode == 'pause':
                        sink.sendall(data[:offset])
                        self.paused.set()
                        self._resumed.wait()
                        seen += len(data)
                        sink.sendall(data[offset:])
                        continue
                    if self.mode == 'stall':
                        sink.sendall(data[:offset])
                        while not self.closed:
                            time.sleep(0.05)
                        break
                    data = (data[:offset] + bytes([data[offset] ^ 0xFF])
                            + data[offset + 1:])
                seen += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
