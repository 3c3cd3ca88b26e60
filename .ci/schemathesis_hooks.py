"""Schemathesis hooks for .ci/schemathesis.sh.

Fuzzed webhook URLs (and the documented example, https://example.com/hook) would make the gateway
POST events to hosts on the internet. Every webhook URL in a generated body is pointed at a closed
port on loopback instead; its path and query are kept, so what the gateway validates still varies.
"""

from urllib.parse import urlsplit, urlunsplit

import schemathesis

LOOPBACK = "127.0.0.1:9"  # the discard port: nothing listens there


def _to_loopback(url):
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    return urlunsplit((parts.scheme, LOOPBACK, parts.path, parts.query, parts.fragment))


def _rewrite(body):
    if isinstance(body, dict):
        if "url" in body:
            body = {**body, "url": _to_loopback(body["url"])}
        if isinstance(body.get("webhook"), dict):
            body = {**body, "webhook": _rewrite(body["webhook"])}
    return body


@schemathesis.hook
def map_case(context, case):
    case.body = _rewrite(case.body)
    return case


@schemathesis.hook
def before_add_examples(context, examples):
    # The Examples phase builds its cases from the document's examples without `map_case`.
    for case in examples:
        case.body = _rewrite(case.body)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    # /wa/ws answers only a WebSocket handshake, which schemathesis' plain HTTP requests never are:
    # even a valid query gets 400 there, so "valid data rejected" says nothing about the gateway.
    upgrade_refused = failure.code == "ST202" and case.operation.path == "/wa/ws"
    return not (upgrade_refused and response.status_code == 400)
