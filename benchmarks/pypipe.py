# SPDX-License-Identifier: Apache-2.0
"""Reference: the plainest Python GET -> PUT pipe, no verification.

Reads a JSON document on stdin (so no token is ever on a command line)::

    {"src_token": ..., "dst_token": ..., "chunk_size": 1048576,
     "pairs": [[<source file URL>, <destination file URL>], ...],
     "verify": [<source CA file or true>, <destination CA file or true>]}

and copies every pair at once, one thread each: ``requests`` streams the
download in ``chunk_size`` pieces straight into a chunked upload. This is
what ``image migrate`` does minus hashing, the held-back last chunk, the
record creation and the checks, so it shows the cost of all of those.
"""

import concurrent.futures
import json
import sys

import requests


def copy(src_url, dst_url, src_token, dst_token, chunk_size,
         verify=(True, True)):
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 only: never through a proxy
    with session.get(src_url, headers={'X-Auth-Token': src_token},
                     stream=True, timeout=(30, 300),
                     verify=verify[0]) as source:
        if source.status_code != 200:
            return 'source HTTP %d' % source.status_code
        answer = session.put(
            dst_url, data=source.iter_content(chunk_size),
            headers={'X-Auth-Token': dst_token,
                     'Content-Type': 'application/octet-stream'},
            timeout=(30, 300), verify=verify[1])
    if answer.status_code != 204:
        return 'destination HTTP %d' % answer.status_code
    return None


def main():
    spec = json.load(sys.stdin)
    with concurrent.futures.ThreadPoolExecutor(len(spec['pairs'])) as pool:
        futures = [pool.submit(copy, src, dst, spec['src_token'],
                               spec['dst_token'], spec['chunk_size'],
                               spec.get('verify', (True, True)))
                   for src, dst in spec['pairs']]
    problems = [f.result() for f in futures if f.result()]
    for problem in problems:
        sys.stderr.write('pypipe: %s\n' % problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
