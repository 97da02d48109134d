"""A loopback TCP proxy that damages traffic on purpose, for fault tests.

It forwards 127.0.0.1:<port> to a target on 127.0.0.1. On each connection,
after ``after_bytes`` of the server's answer it either flips one byte
(``mode='flip'``) or cuts the connection (``mode='cut'``). Bounded: it
serves until closed, and every thread is a daemon.
"""

import socket
import threading


class FaultProxy:
    def __init__(self, target_port, mode='flip', after_bytes=1024 * 1024,
                 direction='response'):
        self.target = ('127.0.0.1', target_port)
        self.mode = mode
        self.after_bytes = after_bytes
        self.direction = direction
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.faults = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def close(self):
        self.closed = True
        self.listener.close()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            damaged_up = self.direction == 'request'
            threading.Thread(target=self._pipe, daemon=True,
                             args=(client, server, damaged_up)).start()
            threading.Thread(target=self._pipe, daemon=True,
                             args=(server, client, not damaged_up)).start()

    def _pipe(self, source, sink, damage):
        seen = 0
        done = False
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if damage and not done and seen + len(data) > \
                        self.after_bytes:
                    offset = self.after_bytes - seen
                    if self.mode == 'cut':
                        sink.sendall(data[:offset])
                        self.faults += 1
                        break
                    data = (data[:offset] + bytes([data[offset] ^ 0xFF])
                            + data[offset + 1:])
                    self.faults += 1
                    done = True
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
