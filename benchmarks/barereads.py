# SPDX-License-Identifier: Apache-2.0
"""Reference for "plan": the source reads of a plan, by a bare client.

Reads a JSON document on stdin (no token on a command line)::

    {"token": ..., "image_url": <Glance endpoint>, "owner": <project id>,
     "threads": 8, "verify": <CA file or true>}

lists the project's images (pages of 1000, as the plan does) and reads
the member list of every ``shared`` one, ``threads`` at a time, with
plain ``requests``: no OpenStackClient start-up, no planning, no
destination. Its time is what the source Glance allows; the plan's time
over it is what the tool adds.
"""

import concurrent.futures
import json
import sys
import threading

import requests

_local = threading.local()


def session(spec):
    if not hasattr(_local, 'session'):
        _local.session = requests.Session()
        _local.session.trust_env = False  # 127.0.0.1 only
        _local.session.verify = spec['verify']
        _local.session.headers['X-Auth-Token'] = spec['token']
    return _local.session


def list_images(spec):
    base = spec['image_url'].rstrip('/')
    url = '%s/v2/images?owner=%s&limit=1000' % (base, spec['owner'])
    images = []
    while url:
        page = session(spec).get(url, timeout=300)
        page.raise_for_status()
        body = page.json()
        images += body['images']
        url = base + body['next'] if body.get('next') else None
    return images


def members(spec, image_id):
    answer = session(spec).get('%s/v2/images/%s/members' % (
        spec['image_url'].rstrip('/'), image_id), timeout=300)
    answer.raise_for_status()
    return len(answer.json()['members'])


def main():
    spec = json.load(sys.stdin)
    images = list_images(spec)
    shared = [i['id'] for i in images if i.get('visibility') == 'shared']
    with concurrent.futures.ThreadPoolExecutor(spec['threads']) as pool:
        read = list(pool.map(lambda i: members(spec, i), shared))
    print(json.dumps({'images': len(images), 'member_reads': len(read)}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
