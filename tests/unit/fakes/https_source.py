# SPDX-License-Identifier: Apache-2.0
"""A real HTTPS download on 127.0.0.1, for the stream's socket reads.

``HttpsSource`` serves one body over TLS (a throwaway CA made here) the way
Glance does: Content-Length, and ``Range: bytes=N-`` answered ``206``.
It can send the body chunked instead, stop after some bytes (cut) or wait
on an event before the rest (silence). ``fetch`` GETs it with requests, as
the stream's source download is made.
"""

import http.server
import socket
import ssl
import tempfile
import threading

import requests

from tests import certificates

RECORD = 16 * 1024  # the most a TLS record carries


def _pump(src, dst, most, client):
    """Copy src to dst; after ``most`` bytes, cut the client off."""
    copied = 0
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b''
        if most is not None and copied + len(data) >= most:
            data = data[:most - copied]
        try:
            dst.sendall(data)
        except OSError:
            return
        copied += len(data)
        if not data or (most is not None and copied >= most):
            for end in (src, dst, client):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return


class HttpsSource:
    """An HTTPS server of ``data``; use as a context manager.

    ``chunked``: send the body with Transfer-Encoding chunked.
    ``cut_after``: bytes of the first answer before the server closes the
    connection. ``silent_after``: bytes of the first answer after which it
    waits for ``resume`` (an event) before sending the rest.
    ``cut_raw_after``: bytes of TLS (headers and records, encrypted) the
    first connection carries to the client before it is cut, wherever
    that falls in a record. ``requests_seen``: the Range header of every
    GET (None: no Range).
    """

    def __init__(self, data, chunked=False, cut_after=None,
                 silent_after=None, cut_raw_after=None, write_size=RECORD):
        self.data = data
        self.chunked = chunked
        self.cut_after = cut_after
        self.silent_after = silent_after
        self.write_size = write_size
        self.resume = threading.Event()
        self.silent = threading.Event()
        self.requests_seen = []
        self._folder = tempfile.TemporaryDirectory()
        self.cafile, key = certificates.self_signed(self._folder.name,
                                                    'source')
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cafile, key)
        self._server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), self._handler())
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket,
                                                  server_side=True)
        port = self._server.server_port
        self._threads = [threading.Thread(target=self._server.serve_forever,
                                          daemon=True)]
        self._proxy = None
        if cut_raw_after is not None:
            self._proxy = socket.create_server(('127.0.0.1', 0))
            self._threads.append(threading.Thread(
                target=self._forward, args=(port, cut_raw_after),
                daemon=True))
            port = self._proxy.getsockname()[1]
        self.url = 'https://127.0.0.1:%d/file' % port

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.resume.set()
        self._server.shutdown()
        self._server.server_close()
        if self._proxy is not None:
            self._proxy.close()
        self._folder.cleanup()

    def _forward(self, port, cut_raw_after):
        """The proxy: the first connection cut after some bytes back."""
        limit = cut_raw_after
        while True:
            try:
                client, _ = self._proxy.accept()
            except OSError:
                return
            server = socket.create_connection(('127.0.0.1', port))
            for a, b, most in ((client, server, None),
                               (server, client, limit)):
                threading.Thread(target=_pump, args=(a, b, most, client),
                                 daemon=True).start()
            limit = None

    def fetch(self, offset=0):
        """The streamed requests response of a GET from ``offset``."""
        headers = {'Range': 'bytes=%d-' % offset} if offset else {}
        session = requests.Session()
        session.trust_env = False
        return session.get(self.url, headers=headers, stream=True,
                           verify=self.cafile, timeout=30)

    def _handler(self):
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_GET(self):
                first = not source.requests_seen
                source.requests_seen.append(self.headers.get('Range'))
                offset = 0
                if self.headers.get('Range'):
                    offset = int(self.headers['Range'][6:].rstrip('-'))
                body = source.data[offset:]
                self.send_response(206 if offset else 200)
                if offset:
                    self.send_header('Content-Range', 'bytes %d-%d/%d' % (
                        offset, len(source.data) - 1, len(source.data)))
                if source.chunked:
                    self.send_header('Transfer-Encoding', 'chunked')
                else:
                    self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self._send(body, first)

            def _send(self, body, first):
                cut = source.cut_after if first else None
                quiet = source.silent_after if first else None
                sent = 0
                while sent < len(body):
                    if cut is not None and sent >= cut:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if quiet is not None and sent >= quiet:
                        quiet = None
                        source.silent.set()
                        source.resume.wait()
                    end = len(body)
                    for limit in (cut, quiet):
                        if limit is not None and limit > sent:
                            end = min(end, limit)
                    piece = body[sent:min(end, sent + source.write_size)]
                    if source.chunked:
                        piece = b'%x\r\n%b\r\n' % (len(piece), piece)
                    self.wfile.write(piece)
                    sent += min(end, sent + source.write_size) - sent
                if source.chunked:
                    self.wfile.write(b'0\r\n\r\n')
                self.wfile.flush()

        return Handler
