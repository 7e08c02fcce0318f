#!/usr/bin/env python3
"""Sends the parity cases the way Python users do it today, for test/integration/python-parity.test.ts.

One run = one signer setup. Reads JSON from stdin:
  {"signer": "...", "url": "http://127.0.0.1:PORT", "region": "...", "service": "es",
   "credentials": {"accessKeyId", "secretAccessKey", "sessionToken"?},
   "cases": [{"name": "...", "op": "index" | "bulk" | "search" | "get", "kwargs": {...}}]}
and for every case calls the real client API (opensearch-py or elasticsearch-py 7.13, so
paths and query strings are built by the client's own _make_path / urlencode), with the
auth object applied by requests (or by opensearch-py's urllib3 connection), and sends it
for real. Prints {"signer", "results": [{case, status, method, path, signedHeaders,
sentHeaders, error?}]}: header names and the SignedHeaders list only, never a value,
so no secret, token or signature leaves this process.
"""
import base64
import json
import sys
from urllib.parse import urlsplit

import requests


def signed_headers_of(headers):
    auth = headers.get('Authorization') or headers.get('authorization') or ''
    for part in auth.split(','):
        part = part.strip()
        if part.startswith('SignedHeaders='):
            return part[len('SignedHeaders='):]
    return ''


def as_text(value):
    return value.decode('latin-1') if isinstance(value, bytes) else str(value)


class Recorder:
    """What went on the wire for the last request (names, not values)."""

    def __init__(self):
        self.last = None

    def requests_hook(self, response, *args, **kwargs):
        prepared = response.request
        headers = {as_text(k): as_text(v) for k, v in prepared.headers.items()}
        body = prepared.body or b''
        if isinstance(body, str):
            body = body.encode('utf-8')
        self.last = {
            'method': prepared.method,
            'path': prepared.path_url,
            'signedHeaders': signed_headers_of(headers),
            'sentHeaders': sorted(k.lower() for k in headers),
            # Not secret, and what a replay of the same bytes needs.
            'contentType': headers.get('Content-Type') or headers.get('content-type'),
            'bodyBase64': base64.b64encode(body).decode('ascii'),
        }
        return response

    def wrap_urllib3_auth(self, auth):
        # opensearch-py's Urllib3HttpConnection calls http_auth(method, url, body) and sends
        # the headers it returns along with its own.
        def signer(method, url, body, headers=None):
            added = auth(method, url, body, headers) if headers is not None else auth(method, url, body)
            parts = urlsplit(url)
            self.last = {
                'method': method,
                'path': parts.path + ('?' + parts.query if parts.query else ''),
                'signedHeaders': signed_headers_of(added),
                'sentHeaders': sorted(k.lower() for k in added),
            }
            return added
        signer.service = getattr(auth, 'service', None)
        return signer


class DropUnsignedContentSha256(requests.auth.AuthBase):
    """aws-requests-auth sends x-amz-content-sha256 without signing it. The verifying stub
    refuses any unsigned x-amz-* header (stricter than AWS `es`, which lets this one pass):
    this variant removes it after signing, to show how the rest of the signature fares."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, r):
        r = self.inner(r)
        if 'x-amz-content-sha256' not in signed_headers_of(r.headers).split(';'):
            r.headers.pop('x-amz-content-sha256', None)
        return r


def build_client(spec, recorder):
    signer = spec['signer']
    url = spec['url']
    region = spec['region']
    service = spec['service']
    c = spec['credentials']
    key, secret, token = c['accessKeyId'], c['secretAccessKey'], c.get('sessionToken')
    host_port = url.split('://', 1)[1].rstrip('/')
    host, port = host_port.rsplit(':', 1)
    hosts = [{'host': host, 'port': int(port)}]
    common = {'hosts': hosts, 'use_ssl': False, 'verify_certs': False, 'max_retries': 0, 'timeout': 30}

    if signer.endswith('+elasticsearch7'):
        from elasticsearch import Elasticsearch, RequestsHttpConnection
        if signer.startswith('AWS4Auth'):
            from requests_aws4auth import AWS4Auth
            auth = AWS4Auth(key, secret, region, service, session_token=token)
        elif signer.startswith('AWSRequestsAuth'):
            from aws_requests_auth.aws_auth import AWSRequestsAuth
            auth = AWSRequestsAuth(aws_access_key=key, aws_secret_access_key=secret, aws_token=token,
                                   aws_host=host_port, aws_region=region, aws_service=service)
        else:
            raise SystemExit('unknown signer ' + signer)
        if spec.get('dropUnsignedContentSha256'):
            auth = DropUnsignedContentSha256(auth)
        client = Elasticsearch(http_auth=auth, connection_class=RequestsHttpConnection, **common)
        client.transport.get_connection().session.hooks['response'].append(recorder.requests_hook)
        return client

    from opensearchpy import OpenSearch, RequestsHttpConnection, Urllib3HttpConnection
    if signer == 'AWSV4SignerAuth+opensearch-py':
        from botocore.credentials import Credentials
        from opensearchpy import AWSV4SignerAuth
        auth = AWSV4SignerAuth(Credentials(key, secret, token), region, service)
        connection_class = RequestsHttpConnection
    elif signer == 'Urllib3AWSV4SignerAuth+opensearch-py':
        from botocore.credentials import Credentials
        from opensearchpy import Urllib3AWSV4SignerAuth
        auth = recorder.wrap_urllib3_auth(Urllib3AWSV4SignerAuth(Credentials(key, secret, token), region, service))
        connection_class = Urllib3HttpConnection
    elif signer == 'AWS4Auth+opensearch-py':
        from requests_aws4auth import AWS4Auth
        auth = AWS4Auth(key, secret, region, service, session_token=token)
        connection_class = RequestsHttpConnection
    elif signer == 'BotoAWSRequestsAuth+opensearch-py':
        # Credentials from botocore's default chain: here the AWS_* variables set by the test.
        from aws_requests_auth.boto_utils import BotoAWSRequestsAuth
        auth = BotoAWSRequestsAuth(aws_host=host_port, aws_region=region, aws_service=service)
        connection_class = RequestsHttpConnection
    else:
        raise SystemExit('unknown signer ' + signer)
    client = OpenSearch(http_auth=auth, connection_class=connection_class, **common)
    if connection_class is RequestsHttpConnection:
        client.transport.get_connection().session.hooks['response'].append(recorder.requests_hook)
    return client


def main():
    spec = json.load(sys.stdin)
    recorder = Recorder()
    client = build_client(spec, recorder)
    results = []
    for case in spec['cases']:
        recorder.last = None
        result = {'case': case['name']}
        try:
            getattr(client, case['op'])(**case['kwargs'])
            result['status'] = 200
        except Exception as error:  # the clients raise per status; keep status and type only
            status = getattr(error, 'status_code', None)
            result['status'] = status if isinstance(status, int) else 0
            result['error'] = type(error).__name__
        if recorder.last is not None:
            result.update(recorder.last)
        results.append(result)
    json.dump({'signer': spec['signer'], 'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
