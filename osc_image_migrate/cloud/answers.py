# SPDX-License-Identifier: Apache-2.0
"""What a cloud's answer says, in the few words an operator needs.

Glance's error pages, Keystone's JSON errors and OpenSSL's reason for a
certificate that does not verify, each taken out of the layers of markup
and library words around them.
"""

import html
import json
import re

# The longest reason from an answer's body that a row's Detail shows.
REASON_LIMIT = 240
_TAGS = re.compile(r'<[^>]*>')
_SPACE = re.compile(r'\s+')


def body_reason(body: str | bytes | None) -> str | None:
    """The reason a cloud gives in an answer's body, short; None if none.

    Glance answers errors with webob's HTML page (title and heading "400
    Bad Request", then the message) or, when asked, with JSON
    (``{"message", "title"}``, Keystone's ``{"error": {...}}``); both are
    read to the message, without the status line they repeat.
    """
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    text = (body or '').strip()
    if not text:
        return None
    if text[:1] in '{[':
        text = _json_reason(text) or ''
    else:
        text = re.sub(r'(?is)<(head|title|h1|script|style)\b.*?</\1\s*>',
                      ' ', text)
        text = html.unescape(_TAGS.sub(' ', text))
    text = _SPACE.sub(' ', text).strip(' :.')
    text = text.replace('The response body: ', '').strip()
    # glanceclient's details repeat the status line before the message.
    text = re.sub(r'^\d{3} [A-Z][A-Za-z ]*: ', '', text)
    # A bare status line ("404 Not Found") says nothing the status does not.
    if not text or re.fullmatch(r'\d{3}( [A-Za-z][\w \-]*)?', text):
        return None
    if len(text) > REASON_LIMIT:
        text = text[:REASON_LIMIT - 3].rstrip() + '...'
    return text


def _json_reason(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict) and isinstance(data.get('error'), dict):
        data = data['error']
    if not isinstance(data, dict):
        return str(data)
    for key in ('message', 'detail', 'details', 'explanation', 'title'):
        if data.get(key):
            return str(data[key])
    return None


# OpenSSL's reason for a certificate that does not verify, as ssl words it.
_TLS_CAUSE = re.compile(r'certificate verify failed: (.+?)\.? \(_ssl\.c')


def tls_cause(error: BaseException) -> str | None:
    """OpenSSL's reason when ``error`` is a certificate that does not verify.

    None for any other error. keystoneauth, requests and urllib3 wrap it
    in three layers of their own words; the operator needs OpenSSL's.
    """
    match = _TLS_CAUSE.search(str(error))
    return match.group(1) if match else None
