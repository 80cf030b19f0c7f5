# Project 2: "tidewire" - fictional Python HTTP client library (sync + async, HTTP/2, retries)
from common import write

ISSUES = [
("bug", "AsyncClient leaks connections when a request task is cancelled", r"""
When a request is cancelled (e.g. by `asyncio.wait_for` timing out), the connection never goes back to the pool. After `max_connections` cancellations every new request blocks and then fails with PoolTimeout.

```python
import asyncio, tidewire

async def main():
    async with tidewire.AsyncClient(limits=tidewire.Limits(max_connections=5)) as c:
        for i in range(10):
            try:
                await asyncio.wait_for(c.get("https://httpbin.org/delay/3"), 0.5)
            except asyncio.TimeoutError:
                pass
        r = await c.get("https://httpbin.org/get")

asyncio.run(main())
```

```
tidewire.PoolTimeout: Timed out waiting for a connection from the pool (5/5 in use)
```

tidewire 1.4.2, Python 3.11.6, Linux. Haven't tested with the trio backend.
"""),
("bug", "UnicodeEncodeError for non-ASCII header value", r"""
```
Traceback (most recent call last):
  File "upload.py", line 14, in <module>
    r = client.post(url, headers={"X-Filename": "résumé.pdf"}, content=data)
  File ".../tidewire/_client.py", line 612, in post
    return self.request("POST", url, **kwargs)
  File ".../tidewire/_models.py", line 201, in _normalize_header_value
    return value.encode("ascii")
UnicodeEncodeError: 'ascii' codec can't encode character '\xe9' in position 1: ordinal not in range(128)
```
requests sends this as latin-1. I know non-ascii headers are not really allowed by the RFC, but the (legacy) server I talk to expects it. At the very least a clearer error would be better than a raw UnicodeEncodeError from deep in the stack.
"""),
("question", "How to set a timeout for the whole request?", r"""
I want a request to fail if it takes more than 10s in total. `timeout=10` doesn't do that: a slow server that sends 1 byte every 5s keeps my request alive for minutes. Is there a total/deadline option? Or should I wrap it in something?
"""),
("feature", "SOCKS5 proxy support", r"""
Many of our users connect via SSH tunnels (`ssh -D`). Would be great to support `proxy="socks5://localhost:1080"`. Right now we get `ValueError: Unknown scheme for proxy URL`. Is it on the roadmap? I know there's a third-party transport but it lags behind your releases.
"""),
("bug", "verify=False ignored when going through an HTTPS proxy", r"""
```python
client = tidewire.Client(proxy="https://proxy.corp.local:8443", verify=False)
client.get("https://internal.example/api")
```
raises
```
tidewire.ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)
```
The proxy itself has a self-signed cert. It seems `verify` is only applied to the TLS connection to the origin, not to the TLS connection to the proxy, and there's no separate option for the proxy, so there's no way to make this work.

1.4.2, Python 3.12, Windows 10.
"""),
("question", "SSL: CERTIFICATE_VERIFY_FAILED on every request (macOS)", r"""
fresh install, every single request fails, even https://google.com

```
tidewire.ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1000)
```
curl works fine. Python 3.12.2 from the python.org installer, macOS 14. Is tidewire broken on Mac?
"""),
("bug", "Response.json() raises JSONDecodeError when body starts with UTF-8 BOM", r"""
Some IIS server returns JSON with a BOM. `r.text` shows `'\ufeff{"ok":true}'` and `r.json()` fails with `JSONDecodeError: Unexpected UTF-8 BOM (decode using utf-8-sig)`. requests handles this by detecting utf-8-sig. Expected: json() works. Version 1.4.1.
"""),
("feature", "Retry should honour the Retry-After header", r"""
The new `Retry` config is nice, but on 429/503 it only uses the exponential backoff. Many APIs (GitHub, Stripe, ...) send `Retry-After: 30`. It would be nice if Retry had `respect_retry_after=True` (default?), with a max cap so a server can't make us sleep for an hour.
"""),
("bug", "Cookies not sent after redirect from example.com to www.example.com", r"""
Login sets a cookie with `Domain=.example.com`, then redirects to `https://www.example.com/dashboard`. The redirected request doesn't include the cookie, so we land on the login page again. With `follow_redirects=False` and doing the second request manually with the same client, the cookie IS sent. So it's only the redirect path.

Log (TIDEWIRE_LOG_LEVEL=trace):
```
DEBUG send_request_headers host=example.com ...
DEBUG receive_response_headers status=302 set-cookie='sid=...; Domain=.example.com; Path=/; Secure; HttpOnly'
DEBUG send_request_headers host=www.example.com headers=[(b'Host', b'www.example.com'), (b'Accept', b'*/*'), ...]   # no Cookie
```
"""),
("bug", "1.4.0 installs on Python 3.7 but fails at import", r"""
```
>>> import tidewire
Traceback (most recent call last):
  ...
  File "/usr/lib/python3.7/site-packages/tidewire/_types.py", line 3, in <module>
    from typing import Literal, Protocol
ImportError: cannot import name 'Literal' from 'typing'
```
I understand 3.7 was dropped (the changelog says so), but `python_requires` in the wheel metadata still says `>=3.7`, so pip happily picks 1.4.0 instead of staying on 1.3.x. CI for one of our old products broke overnight.
"""),
("feature", "Event hooks for request/response logging", r"""
We want to log every request + status + duration in a structured way. Right now we wrap `Client.send`, which is fragile. Something like

```python
def log_response(response):
    logger.info("http", method=response.request.method, url=str(response.url), status=response.status_code)

client = tidewire.Client(event_hooks={"response": [log_response]})
```
would be enough. Plus async versions for AsyncClient.
"""),
("question", "Is Client thread-safe?", r"""
Can I share one `tidewire.Client` between threads in a ThreadPoolExecutor (~32 workers)? The docs say to reuse clients but don't mention threads. What about modifying `client.headers` from one thread while another is sending?
"""),
("bug", r"iter_lines() yields an empty line when \r\n is split across chunks", r"""
Streaming a server-sent-events endpoint. Occasionally I get a spurious empty line, which breaks event parsing (empty line = dispatch event). Happens when one chunk ends with `\r` and the next one starts with `\n`.

```python
from tidewire._decoders import LineDecoder
d = LineDecoder()
print(d.decode("data: a\r") + d.decode("\ndata: b\r\n") + d.flush())
# ['data: a', '', 'data: b']   expected ['data: a', 'data: b']
```
1.4.2
"""),
("bug", "HTTP/2: RemoteProtocolError after connection sits idle", r"""
With `http2=True`, the first request after ~60s of idle fails:

```
Traceback (most recent call last):
  File "/srv/app/sync.py", line 88, in push
    resp = self.client.post("/v1/events", json=batch)
  ...
  File "/srv/venv/lib/python3.11/site-packages/tidewire/_transports/h2.py", line 301, in _receive_events
    raise RemoteProtocolError(event)
tidewire.RemoteProtocolError: <ConnectionTerminated error_code:0, last_stream_id:19, additional_data:None>
```
error_code 0 is NO_ERROR, i.e. the server sent GOAWAY because it closed the idle connection. I would expect the client to notice the GOAWAY and open a new connection instead of raising on the next request. HTTP/1.1 mode doesn't have this problem. Server is behind a GCP load balancer.
"""),
("feature", "Proposal: pluggable DNS resolution", r"""
Use cases: pinning hosts to IPs in tests, DNS-over-HTTPS, custom service discovery (Consul), caching.

Sketch:
```python
class Resolver(Protocol):
    def resolve(self, host: str, port: int) -> list[tuple[str, int]]: ...

class AsyncResolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[tuple[str, int]]: ...

client = tidewire.Client(transport=tidewire.HTTPTransport(resolver=MyResolver()))
```
The transport would connect to the returned addresses in order (happy eyeballs later?) while still sending the original Host header and SNI. The default resolver keeps the current `socket.getaddrinfo` behaviour.

I can work on a PR if the maintainers agree on the interface.
"""),
("question", "content vs text vs read() – when to use which?", r"""
Sorry for the basic question. When streaming with `client.stream()` I get `ResponseNotRead` when accessing `.content`. Outside of streaming, `.content` just works. What's the mental model here, and do I need to call read() in the non-streaming case?
"""),
("question", "Multipart upload corrupts the file", r"""
Uploading a PNG:
```python
with open("chart.png") as f:
    r = client.post(url, files={"file": f})
```
The uploaded file on the server is broken/larger than the original. On Linux it fails with UnicodeDecodeError instead. Not sure what I'm doing wrong, same code with requests... is also broken actually?
"""),
("bug", "List values in params are encoded as their repr", r"""
```python
>>> tidewire.Request("GET", "https://x.test/", params={"id": [1, 2]}).url
URL('https://x.test/?id=%5B1%2C+2%5D')
```
expected `?id=1&id=2`. Works with a list of strings (`["1", "2"]`), breaks with ints. Version 1.4.2.
"""),
("feature", "HTTP/3 support", r"""
+1 for HTTP/3 / QUIC. aioquic exists, maybe as an optional extra?
"""),
("bug", "Memory keeps growing when creating and closing many Clients", r"""
I know reusing a client is recommended, but we have a plugin system where each plugin gets its own short-lived client. Even with a proper `with tidewire.Client() as c:` memory grows by ~350KB per client and never goes down.

tracemalloc top:
```
.../tidewire/_config.py:74: size=412 MiB, count=1201, average=351 KiB
```
line 74 is `ctx.load_verify_locations(certifi.where())`. Looks like SSL contexts are cached in a module-level dict keyed by something that's unique per client, so the cache never hits and never evicts.
"""),
("bug", "base_url path prefix dropped when request path starts with /", r"""
```python
c = tidewire.Client(base_url="https://api.example.com/v2")
c.get("/users").request.url
# https://api.example.com/users   <- /v2 is gone
```
Without the leading slash (`"users"`) it works. The docs for base_url show exactly the leading slash form as an example, so either the docs or the behaviour is wrong. Everyone in my team hit this.
"""),
("question", "Recommended way to mock tidewire in pytest?", r"""
What do you recommend for unit tests? I tried `responses` but it only patches requests. Is there a mock transport built in, or a pytest plugin?
"""),
("bug", "py.typed missing from the 1.4.2 wheel", r"""
mypy reports `error: Skipping analyzing "tidewire": module is installed, but missing library stubs or py.typed marker` since 1.4.2. It's in the sdist but not in the wheel, I think the hatch build config changed.
"""),
("bug", "Read timeouts raised as TransportError instead of ReadTimeout on Windows", r"""
On Windows, when the server stops responding, I get `tidewire.TransportError: [WinError 10060] A connection attempt failed because the connected party did not properly respond after a period of time...` instead of `tidewire.ReadTimeout`. Our retry logic catches `tidewire.TimeoutException`, so it doesn't retry on Windows. On Linux it's a proper ReadTimeout.

Windows Server 2019, Python 3.10.11, tidewire 1.4.1
"""),
("feature", "Accept an ssl.SSLContext for verify=", r"""
We need to load certs from the Windows cert store + set a specific cipher list. Currently `verify` only accepts a bool or a path. Allowing a pre-built `ssl.SSLContext` would cover all these edge cases without adding more options.
"""),
("bug", 'DigestAuth fails against server offering qop="auth,auth-int"', r"""
Server responds with `WWW-Authenticate: Digest realm="cams", qop="auth,auth-int", nonce="...", algorithm=MD5`. tidewire picks `auth-int` (the last one?) and then raises `NotImplementedError: Digest auth-int support is not yet implemented`. It should just choose `auth` since it's offered. Affects a bunch of IP cameras.
"""),
("question", "tidewire 3x slower than requests?", r"""
Benchmark:
```python
import time, tidewire, requests
t = time.time()
for _ in range(200):
    tidewire.get("https://api.internal/health")
print("tidewire", time.time() - t)

t = time.time()
s = requests.Session()
for _ in range(200):
    s.get("https://api.internal/health")
print("requests", time.time() - t)
```
tidewire 14.2s, requests 4.9s. Is something wrong with my setup?
"""),
("feature", "NO_PROXY entries in CIDR notation are not respected", r"""
Our environment has `NO_PROXY=localhost,10.0.0.0/8,.corp.local`. Requests to `http://10.2.3.4:8080` still go through the proxy. Hostnames work. curl supports CIDR in no_proxy since 7.86. Could tidewire support it too?
"""),
("bug", "307 redirect re-sends POST without body", r"""
**Describe the bug**
When a POST gets a 307 Temporary Redirect, the method is preserved (good) but the body is empty and Content-Length is 0.

**To Reproduce**
```python
r = tidewire.post("https://httpbin.org/redirect-to?url=/post&status_code=307", json={"a": 1}, follow_redirects=True)
print(r.json()["json"])   # None
```
**Expected behavior**
`{'a': 1}` – per RFC 9110 the request should be repeated unchanged.

**Version**
tidewire 1.4.2, py3.12. Works if content is bytes, fails for json= and for generator content (the latter can't be replayed, so an error would be fine there).
"""),
("bug", "AttributeError: 'NoneType' object has no attribute 'close' on interpreter exit", r"""
```
Exception ignored in: <function Client.__del__ at 0x7f3a2c1e8d30>
Traceback (most recent call last):
  File ".../tidewire/_client.py", line 1340, in __del__
AttributeError: 'NoneType' object has no attribute 'close'
```
printed every time our CLI exits. 1.4.2
"""),
("feature", "Client-level option to raise on 4xx/5xx", r"""
Every call site in our codebase does
```python
r = client.get(...)
r.raise_for_status()
```
and people forget it. An option like `Client(raise_for_status=True)` would help. I know it can be done with an event hook, but a simple flag is more discoverable.
"""),
("question", "Can I use AsyncClient with trio?", r"""
Docs only show asyncio examples. We use trio in our project. Does AsyncClient work under trio.run(), or do I need a different transport?
"""),
("bug", "DecodingError on empty body with Content-Encoding: gzip", r"""
```
tidewire.DecodingError: Error -3 while decompressing data: incorrect header check
```
The server sends `Content-Encoding: gzip` with `Content-Length: 0` on some endpoints. An empty body should just decode to empty. `curl --compressed` is fine with it.
"""),
("feature", "Expose connection pool statistics", r"""
For debugging PoolTimeouts in production it would be really helpful to see how many connections are idle/active per origin. Something like `client.pool_info()` returning a dict, or Prometheus-friendly counters. Right now I'm poking into `client._transport._pool._connections`.
"""),
("bug", "[1.5.0rc1] Calling Client.close() twice raises RuntimeError", r"""
`RuntimeError: Cannot close a client that is already closed` — in 1.4 this was a no-op. We call close() in a finally and also use the client as a context manager in some paths. Intentional change? It isn't in the changelog.
"""),
("question", "Vendoring tidewire in a GPLv3 project", r"""
We ship a GPLv3 desktop app and would like to vendor tidewire (BSD-3-Clause) plus its deps into our package. Is that OK from your point of view, and do we need to keep the license file next to the vendored code? Also, is h2 MIT?
"""),
("question", "RuntimeError: Event loop is closed on Windows", r"""
```python
import asyncio, tidewire

client = tidewire.AsyncClient()

async def main():
    r = await client.get("https://example.com")
    print(r.status_code)

asyncio.run(main())
```
prints 200 and then
```
Exception ignored in: <function _ProactorBasePipeTransport.__del__ at 0x000001F3C2A8B9C0>
...
RuntimeError: Event loop is closed
```
Python 3.11, Windows 11. Is this a tidewire bug?
"""),
("bug", "Connect timeout applies per address, total can be much longer", r"""
Host resolves to 6 A records, 5 of them blackholed (during a partial outage). With `Timeout(connect=2.0)` the call took ~12s before connecting to the working one, because each address gets its own 2s. I'd expect the connect timeout to bound the whole connect phase, or at least the docs to say so.
"""),
("feature", "Support Unix domain sockets", r"""
Talking to the Docker daemon (`/var/run/docker.sock`) and some local services. Would like `tidewire.HTTPTransport(uds="/var/run/docker.sock")`. requests-unixsocket exists for requests, nothing for tidewire.
"""),
("bug", "Response.elapsed is negative", r"""
we log r.elapsed.total_seconds() and sometimes see values like -0.42. happens on VMs after NTP sync. I guess it uses time.time() instead of time.monotonic()?
"""),
("feature", "There is no way to disable automatic decompression", r"""
I'm writing a caching proxy and want to store the upstream response bytes as-is (gzip) and forward them. `iter_raw()` gives raw bytes but `content`/`read()` always decompress, and there's no client option to turn it off, so I have to use streaming everywhere. Removing `Accept-Encoding` changes what upstream sends, so that's not a solution either.
"""),
("bug", "`~` in URL path gets percent-encoded to %7E", r"""
```python
>>> tidewire.URL("https://example.com/~alice/file").raw_path
b'/%7Ealice/file'
```
`~` is unreserved (RFC 3986 §2.3) and shouldn't be encoded. An S3-compatible storage we use computes signatures over the path and rejects the request because of this.
"""),
("question", "How to send the same header twice?", r"""
An old API wants two `X-Tag` headers (not comma-joined). With a dict I can obviously only set one. Is there a way?
"""),
("bug", "DeprecationWarning: ssl.PROTOCOL_TLS is deprecated (Python 3.12)", r"""
```
/venv/lib/python3.12/site-packages/tidewire/_config.py:61: DeprecationWarning: ssl.PROTOCOL_TLS is deprecated
  context = ssl.SSLContext(ssl.PROTOCOL_TLS)
```
Our test suite runs with `-W error`, so this fails every test that makes a request. Should be `PROTOCOL_TLS_CLIENT`.
"""),
("feature", "Retry on connection errors only for idempotent methods", r"""
Idea for `Retry`: allow configuring which exceptions are retried, and limit retries to idempotent methods by default (GET, HEAD, PUT, DELETE, OPTIONS). Currently `Retry(total=3)` also retries POSTs after a ReadTimeout, which caused duplicate payments for us (ouch). urllib3's `allowed_methods` is a good model.
"""),
("bug", "iter_bytes(chunk_size=1024) yields chunks larger than 1024 bytes", r"""
Docs say chunk_size is the size of the chunks yielded, but with gzip-encoded responses I get chunks of 16-60KB. Without compression it's fine. I rely on this for a progress bar + writing fixed-size blocks to a device.
"""),
("question", "Should I reuse one AsyncClient across FastAPI requests?", r"""
In a FastAPI app that calls an upstream service on each request, should I create one AsyncClient at startup (lifespan) and share it, or create one per request? Is there any issue with sharing it across concurrent requests on the same event loop?
"""),
("bug", "Basic auth with non-ASCII password sends latin-1 bytes", r"""
`auth=("jörg", "pässword")` produces `Authorization: Basic ak/2cmc6cORzc3dvcmQ=`, which is latin-1 encoded. Our server (Keycloak) expects UTF-8; per RFC 7617, charset="UTF-8" is the only allowed value. Logins with umlauts fail, the same creds work in curl.
"""),
]

if __name__ == "__main__":
    write("tidewire", ISSUES, first=2214, seed=202, max_gap=22)
